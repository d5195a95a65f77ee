"""Peak memory of ``govner predict`` on a large sentence JSONL: 10,000 against 100,000 sentences.

The sentences are the seed reports' (``govner prepare ../shared/seeds/*.txt``), repeated to
length; each run is ``govner predict --model DIR --device cpu FILE > /dev/null`` in its own
process, and its peak resident set size is the kernel's high-water mark for that process
(``os.wait4`` rusage ``ru_maxrss``: torch's native allocations count, unlike tracemalloc).
Streaming keeps the peak flat: the target is a ratio of at most 1.2.

    OMP_NUM_THREADS=1 python benchmarks/predict_memory_bench.py --model DIR [--sizes 10000 100000]

Ends with one line ``sentences=A,B peak_rss_mib=X,Y ratio=Y/X``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"


def seed_records(tmp: Path) -> list[dict]:
    out = tmp / "seeds.jsonl"
    cmd = [sys.executable, "-m", "govner.cli", "prepare", *map(str, sorted(SEEDS.glob("*.txt"))), "--out", str(out)]
    subprocess.run(cmd, check=True, capture_output=True)
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_jsonl(path: Path, records: list[dict], n: int) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            rec = dict(records[i % len(records)], sent_idx=i)
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


def measure(model: str, path: Path, batch_size: int, extra: list[str]) -> tuple[float, float]:
    """(peak RSS MiB, seconds) of one ``govner predict`` process."""
    cmd = [sys.executable, "-m", "govner.cli", "predict", "--model", model, "--device", "cpu",
           "--batch-size", str(batch_size), *extra, str(path)]
    t0 = time.perf_counter()
    with open(os.devnull, "w") as null:
        proc = subprocess.Popen(cmd, stdout=null, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed with exit code {os.waitstatus_to_exitcode(status)}")
    return usage.ru_maxrss / 1024, seconds  # Linux: KiB


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--sizes", type=int, nargs=2, default=[10_000, 100_000])
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--quantize", default=None, help="passed to govner predict (default: its own)")
    args = ap.parse_args()
    extra = ["--quantize", args.quantize] if args.quantize else []
    peaks = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        records = seed_records(tmp)
        print(f"{len(records)} seed sentences (mean {sum(len(r['text']) for r in records) / len(records):.1f} "
              f"chars), repeated; model {args.model}")
        for n in args.sizes:
            path = tmp / f"s{n}.jsonl"
            write_jsonl(path, records, n)
            peak, seconds = measure(args.model, path, args.batch_size, extra)
            peaks.append(peak)
            print(f"  {n:>8,} sentences ({path.stat().st_size / 2**20:.1f} MiB JSONL): peak RSS {peak:.0f} MiB, "
                  f"{seconds:.0f} s ({n / seconds:.0f} sentences/s)")
            path.unlink()
    print(f"sentences={args.sizes[0]},{args.sizes[1]} peak_rss_mib={peaks[0]:.0f},{peaks[1]:.0f} "
          f"ratio={peaks[1] / peaks[0]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
