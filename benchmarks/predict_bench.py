"""govner's Predictor against the Hugging Face token-classification pipeline.

Same model, same first N real sentences, each engine in its own subprocess so that peak
memory is that engine's alone. Memory is the process's peak resident set size
(``resource.getrusage(...).ru_maxrss``, a kernel high-water mark, so torch's native
allocations count too), reported whole and as the rise over the level after loading and
warm-up; on CUDA also ``torch.cuda.max_memory_allocated``.

    python benchmarks/predict_bench.py --model DIR --device cpu --n 2000

Sentences: ``govner prepare`` over ../shared/seeds and ../shared/reports/extra; if that
command is not available, the seeds are cleaned and split here at 。！？； (max 150 chars).
Ends with one line ``sentences=N govner_per_s=X pipeline_per_s=Y ratio=Z agree=W``.
"""
from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
WARMUP = 16


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


# -- sentences ---------------------------------------------------------------------------------


def prepared_sentences(tmp: Path) -> tuple[list[str], str]:
    reports = sorted((SHARED / "seeds").glob("*.txt")) + sorted((SHARED / "reports" / "extra").glob("*"))
    reports = [r for r in reports if r.suffix in (".txt", ".html", ".docx")]
    out = tmp / "sentences.jsonl"
    cmd = [sys.executable, "-m", "govner.cli", "prepare", *map(str, reports), "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode == 0 and out.is_file():
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").split("\n") if line.strip()]
        return [r["text"] for r in rows], f"`govner prepare` of {len(reports)} seed/extra reports"
    return split_seeds(), "seeds cleaned with govner.text.clean and split at 。！？； (govner prepare unavailable)"


def split_seeds(max_len: int = 150) -> list[str]:
    from govner.text.clean import clean_text

    out: list[str] = []
    for path in sorted((SHARED / "seeds").glob("*.txt")):
        text = clean_text(path.read_text(encoding="utf-8")).text
        for line in text.split("\n"):
            for sent in re.findall(r"[^。！？]+[。！？]?", line):
                pieces = re.findall(r"[^；]+；?", sent) if len(sent) > max_len else [sent]
                out += [p.strip()[:max_len] for p in pieces if p.strip()]
    return out


# -- workers (one engine per process) ----------------------------------------------------------


def run_pipeline(model_dir: str, device: str, sentences: list[str], batch_size: int):
    import torch
    from transformers import AutoModelForTokenClassification, pipeline

    import govner.model  # noqa: F401  lets the Auto class load govner's feature models (govner_bert)
    from govner.tokenizer import load_tokenizer

    # A feature model (rule/word tags) gets no features through the pipeline, which knows only
    # input_ids: it runs the same network minus govner's feature work, so the ratio is
    # conservative, and ``agree`` then also measures what the features change.
    model = AutoModelForTokenClassification.from_pretrained(model_dir, dtype=torch.float32)  # as Predictor
    pipe = pipeline("token-classification", model=model, tokenizer=load_tokenizer(model_dir),
                    aggregation_strategy="simple", device=0 if device.startswith("cuda") else -1)
    pipe(sentences[:WARMUP])

    def run():
        return [[{"start": int(e["start"]), "end": int(e["end"]), "label": e["entity_group"],
                  "score": float(e["score"])} for e in ents]
                for ents in pipe(sentences, batch_size=batch_size)]

    return run


def run_govner(model_dir: str, device: str, sentences: list[str], batch_size: int):
    from govner.predict import Predictor

    predictor = Predictor.from_pretrained(model_dir, device=device)
    predictor.predict(sentences[:WARMUP], batch_size=batch_size)
    return lambda: predictor.predict(sentences, batch_size=batch_size)


def worker(args) -> None:
    import torch

    sentences = json.loads(Path(args.sentences).read_text(encoding="utf-8"))
    engine = {"pipeline": run_pipeline, "govner": run_govner}[args.worker]
    run = engine(args.model, args.device, sentences, args.batch_size if args.worker == "govner" else args.pipeline_batch_size)
    loaded = peak_rss_mib()
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    seconds = float("inf")
    ents = None
    for _ in range(args.repeat):  # best of R: the shared CPU's load only ever slows a run down
        ents = None  # the previous run's output is not part of this run's peak memory
        t0 = time.perf_counter()
        ents = run()
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()
        seconds = min(seconds, time.perf_counter() - t0)
    result = {"seconds": seconds, "per_s": len(sentences) / seconds, "peak_rss_mib": peak_rss_mib(),
              "rss_after_load_mib": loaded, "entities": ents,
              "cuda_peak_mib": torch.cuda.max_memory_allocated() / 2**20 if args.device.startswith("cuda") else None}
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


def spawn(engine: str, args, sentences_file: Path, tmp: Path) -> dict:
    out = tmp / f"{engine}.json"
    cmd = [sys.executable, __file__, "--worker", engine, "--model", args.model, "--device", args.device,
           "--batch-size", str(args.batch_size), "--pipeline-batch-size", str(args.pipeline_batch_size),
           "--repeat", str(args.repeat),
           "--sentences", str(sentences_file), "--out", str(out)]
    subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL if not args.verbose else None)
    return json.loads(out.read_text(encoding="utf-8"))


# -- comparison -------------------------------------------------------------------------------


def classify(ours: set, theirs: set) -> Counter:
    """Why two entity sets differ, one count per unmatched entity."""
    kinds: Counter = Counter()
    for a, other, side in ((ours, theirs, "govner"), (theirs, ours, "pipeline")):
        for s, e, label in a - other:
            overlaps = [(s2, e2, l2) for s2, e2, l2 in other - a if s2 < e and s < e2]
            if any((s2, e2) == (s, e) for s2, e2, _ in overlaps):
                kinds["same span, other label"] += 1
            elif any(l2 == label for _, _, l2 in overlaps):
                kinds[f"boundary differs ({side} side)"] += 1
            elif overlaps:
                kinds[f"overlaps another label ({side} side)"] += 1
            else:
                kinds[f"only {side}"] += 1
    return kinds


def compare(sentences: list[str], ours: list[list[dict]], theirs: list[list[dict]], show: int = 5):
    same = 0
    kinds: Counter = Counter()
    examples = []
    for text, a, b in zip(sentences, ours, theirs):
        sa = {(e["start"], e["end"], e["label"]) for e in a}
        sb = {(e["start"], e["end"], e["label"]) for e in b}
        if sa == sb:
            same += 1
            continue
        kinds += classify(sa, sb)
        if len(examples) < show:
            examples.append((text, sorted(sa - sb), sorted(sb - sa)))
    return same / max(1, len(sentences)), kinds, examples


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--batch-size", type=int, default=64, help="govner's batch size")
    ap.add_argument("--pipeline-batch-size", type=int, default=1, help="the pipeline's (its default is 1)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per engine; the fastest counts")
    ap.add_argument("--sentences", help="use these texts (JSON list / sentence JSONL) instead of preparing")
    ap.add_argument("--worker", choices=["pipeline", "govner"], help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--verbose", action="store_true", help="show the workers' stderr")
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if args.sentences:
            raw = Path(args.sentences).read_text(encoding="utf-8")
            texts = json.loads(raw) if raw.lstrip().startswith("[") else \
                [json.loads(line)["text"] for line in raw.split("\n") if line.strip()]
            origin = args.sentences
        else:
            texts, origin = prepared_sentences(tmp)
        sentences = texts[:args.n]
        chars = sum(map(len, sentences))
        print(f"sentences: {len(sentences)} (mean {chars / max(1, len(sentences)):.1f} chars) from {origin}")
        sentences_file = tmp / "sentences.json"
        sentences_file.write_text(json.dumps(sentences, ensure_ascii=False), encoding="utf-8")
        results = {engine: spawn(engine, args, sentences_file, tmp) for engine in ("pipeline", "govner")}
    for engine, r in results.items():
        cuda = f", CUDA peak {r['cuda_peak_mib']:.0f} MiB" if r["cuda_peak_mib"] is not None else ""
        print(f"{engine:9s} {r['per_s']:9.1f} sentences/s ({r['seconds']:.2f} s); peak RSS {r['peak_rss_mib']:.0f} MiB, "
              f"+{r['peak_rss_mib'] - r['rss_after_load_mib']:.0f} MiB over load+warm-up{cuda}")
    agree, kinds, examples = compare(sentences, results["govner"]["entities"], results["pipeline"]["entities"])
    print(f"identical entity sets: {agree:.4f}")
    for kind, n in kinds.most_common():
        print(f"  {n:6d}  {kind}")
    for text, only_ours, only_theirs in examples:
        print(f"  e.g. {text[:60]!r}\n       govner only {only_ours[:4]} | pipeline only {only_theirs[:4]}")
    g, p = results["govner"]["per_s"], results["pipeline"]["per_s"]
    print(f"sentences={len(sentences)} govner_per_s={g:.1f} pipeline_per_s={p:.1f} ratio={g / p:.2f} agree={agree:.4f}")


if __name__ == "__main__":
    main()
