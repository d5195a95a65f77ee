"""govner's Predictor against the Hugging Face pipeline, the bare model, int8 and Ray Data.

One run, one model, the same first N real sentences:

(a) ``govner``     ``Predictor.from_pretrained(DIR).predict(sentences, batch_size=64)``: the
                   default path (``quantize="auto"``: on a CPU with native bfloat16 the encoder
                   runs in bfloat16, else float32); ``fp32``, ``bf16`` and ``int8`` the same
                   with that ``quantize=``
(b) ``pipeline``   ``pipeline("token-classification", aggregation_strategy="simple")`` at its
                   default batch size (1) and ``pipeline64`` at batch size 64
(c) ``forward``    the limit: the bare float32 ``model(**inputs)`` over exactly the batches the
                   Predictor runs (``Predictor.model_inputs``: tokenised, windowed, length-sorted,
                   padded, rule-feature tensors built, all before the clock starts); no
                   pre- or post-processing
    ``forward_default`` the bare forward of the default path's model (when it is not float32)
(d) ``ray``        ``govner predict --engine ray`` (:mod:`govner.raydata`) on a local Ray with
                   all CPUs, over ``--ray-n`` sentences (the N repeated) in a JSONL file, timed
                   from building the dataset to the last Parquet file written (actor start-up
                   and model loading included, ``ray.init`` not), one actor per CPU with one
                   torch thread each; compared with (a) on the same ``--ray-n`` sentences in
                   one process with as many torch threads as CPUs (the same machine used the
                   other way; ``--threads`` applies to (a)-(c) only)

(a), (b), (c) and (e) run in one process, interleaved round by round (``--repeat`` rounds,
the fastest of each counts: the shared machine's other load only ever slows a run down), so
the ratios between them compare like with like. (d) runs in a second process (a local Ray
beside it), interleaved with its own (a).

    python benchmarks/predict_bench.py --model DIR [--device cpu|cuda] [--n 2000] [--threads T]

Sentences: ``govner prepare`` over ../shared/seeds and ../shared/reports/extra; if that
command is not available, the seeds are cleaned and split here at 。！？； (max 150 chars).
Ends with one line
``sentences=N govner_per_s=X pipeline_per_s=Y pipeline64_per_s=Z forward_per_s=W ratio=X/Y agree=A``;
the line before it gives the ratios the targets are stated in (benchmarks/RESULTS.md).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
WARMUP = 16


# -- sentences ---------------------------------------------------------------------------------


def prepared_sentences(tmp: Path) -> tuple[list[str], str]:
    reports = sorted((SHARED / "seeds").glob("*.txt")) + sorted((SHARED / "reports" / "extra").glob("*"))
    reports = [r for r in reports if r.suffix in (".txt", ".html", ".docx")]
    out = tmp / "sentences.jsonl"
    cmd = [sys.executable, "-m", "govner.cli", "prepare", *map(str, reports), "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if out.is_file():  # a file prepare could not read is reported and skipped (exit 1), the rest is written
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").split("\n") if line.strip()]
        if rows:
            return [r["text"] for r in rows], f"`govner prepare` of {len(reports)} seed/extra reports"
    print(f"govner prepare failed ({done.returncode}): {done.stderr[-300:]}", file=sys.stderr)
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


# -- engines (each returns a callable that runs once over all sentences) -----------------------


def pipeline_engine(model_dir: str, device: str, sentences: list[str], batch_size: int):
    import torch
    from transformers import AutoModelForTokenClassification, pipeline

    import govner.modeling.model  # noqa: F401  lets the Auto class load govner's feature models (govner_bert)
    from govner.modeling.tokenizer import load_tokenizer

    # A feature model (rule/word tags) gets no features through the pipeline, which knows only
    # input_ids: it runs the same network minus govner's feature work, so the ratio is
    # conservative, and ``agree`` then also measures what the features change.
    model = AutoModelForTokenClassification.from_pretrained(model_dir, dtype=torch.float32)  # as Predictor
    pipe = pipeline("token-classification", model=model, tokenizer=load_tokenizer(model_dir),
                    aggregation_strategy="simple", device=0 if device.startswith("cuda") else -1)
    pipe(sentences[:WARMUP], batch_size=batch_size)

    def run():
        return [[{"start": int(e["start"]), "end": int(e["end"]), "label": e["entity_group"],
                  "score": float(e["score"])} for e in ents]
                for ents in pipe(sentences, batch_size=batch_size)]

    return run


def govner_engines(model_dir: str, device: str, sentences: list[str], batch_size: int, quantize: str):
    """(predict, bare forward) over the same batches, for one Predictor."""
    import torch

    from govner.predict.predictor import Predictor

    predictor = Predictor.from_pretrained(model_dir, device=device, quantize=quantize)
    predictor.predict(sentences[:WARMUP], batch_size=batch_size)
    inputs = predictor.model_inputs(sentences, batch_size=batch_size)
    model = predictor.model

    def forward():
        with torch.inference_mode():
            for kw in inputs:
                model(**kw).logits
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    return (lambda: predictor.predict(sentences, batch_size=batch_size)), forward


def speed_worker(args) -> None:
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    sentences = json.loads(Path(args.sentences).read_text(encoding="utf-8"))
    engines = {"pipeline": pipeline_engine(args.model, args.device, sentences, args.pipeline_batch_size),
               "pipeline64": pipeline_engine(args.model, args.device, sentences, 64)}
    engines["govner"], forward_default = govner_engines(args.model, args.device, sentences, args.batch_size, "auto")
    engines["fp32"], engines["forward"] = govner_engines(args.model, args.device, sentences, args.batch_size, "none")
    if args.device == "cpu":
        from govner.predict.precision import cpu_has_bf16

        engines["int8"], _ = govner_engines(args.model, "cpu", sentences, args.batch_size, "int8")
        if cpu_has_bf16():
            engines["forward_default"] = forward_default  # the default path is bf16: its own limit
        else:
            engines["bf16"], _ = govner_engines(args.model, "cpu", sentences, args.batch_size, "bf16")
    best = dict.fromkeys(engines, float("inf"))
    outputs: dict[str, list] = {}
    for r in range(args.repeat):
        for name, run in engines.items():  # interleaved: a slow spell of the machine hits every engine
            t0 = time.perf_counter()
            out = run()
            best[name] = min(best[name], time.perf_counter() - t0)
            if out is not None:
                outputs[name] = out
        print(f"round {r + 1}: " + " ".join(f"{k}={len(sentences) / v:.1f}/s" for k, v in best.items()),
              file=sys.stderr)
    result = {"per_s": {k: len(sentences) / v for k, v in best.items()}, "entities": outputs,
              "threads": torch.get_num_threads()}
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


def ray_worker(args) -> None:
    """Ray Data (local, all CPUs) against the in-process Predictor on the same ``--ray-n`` sentences."""
    import torch

    import ray

    from govner.predict.predictor import Predictor
    from govner.raydata.runner import read_output, run
    from govner.raydata.tasks import predict_records, predict_task

    sentences = json.loads(Path(args.sentences).read_text(encoding="utf-8"))
    texts = (sentences * (args.ray_n // max(1, len(sentences)) + 1))[:args.ray_n]
    tmp = Path(args.out).parent
    src = tmp / "ray-input.jsonl"
    src.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, logging_level="WARNING")
    # the single process gets the CPUs the Ray job gets (all of them, as torch threads), whatever
    # --threads says: the comparison is of two ways to use one machine
    torch.set_num_threads(os.cpu_count() or 1)
    predictor = Predictor.from_pretrained(args.model, device=args.device)
    predictor.predict(texts[:WARMUP], batch_size=args.batch_size)
    actors = args.ray_actors or int(ray.cluster_resources().get("CPU", 1))
    # the fixed cost of a job (actors start, import torch, load the model; plan; write) from a
    # 32-sentence run: paid once per job, whatever its size
    small = tmp / "ray-small.jsonl"
    small.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts[:32]), encoding="utf-8")
    fixed = run(predict_task(args.model, args.device, args.batch_size, threads=1), [str(small)], tmp / "ray-out-small",
                actors=actors, progress=False).seconds
    best = {"ray": float("inf"), "govner": float("inf")}
    ray_out, local = None, None
    for r in range(args.ray_repeat):
        out = tmp / f"ray-out-{r}"
        task = predict_task(args.model, args.device, args.batch_size, threads=1)
        summary = run(task, [str(src)], out, actors=actors, progress=False)
        best["ray"] = min(best["ray"], summary.seconds)
        ray_out = out
        t0 = time.perf_counter()
        local = predictor.predict(texts, batch_size=args.batch_size)
        best["govner"] = min(best["govner"], time.perf_counter() - t0)
        print(f"ray round {r + 1}: ray {len(texts) / summary.seconds:.1f}/s ({actors} actors), "
              f"in-process {len(texts) / best['govner']:.1f}/s", file=sys.stderr)
    got = predict_records(read_output(ray_out))
    same = sum(_span_set(g["entities"]) == _span_set(w) for g, w in zip(got, local)) / max(1, len(texts))
    result = {"n": len(texts), "actors": actors, "threads": torch.get_num_threads(), "per_s": {k: len(texts) / v for k, v in best.items()},
              "agree": same, "fixed_s": fixed,
              "steady_per_s": (len(texts) - 32) / max(1e-9, best["ray"] - fixed)}
    Path(args.out).write_text(json.dumps(result), encoding="utf-8")
    ray.shutdown()


def spawn(kind: str, args, sentences_file: Path, tmp: Path) -> dict:
    out = tmp / f"{kind}.json"
    cmd = [sys.executable, __file__, "--worker", kind, "--model", args.model, "--device", args.device,
           "--batch-size", str(args.batch_size), "--pipeline-batch-size", str(args.pipeline_batch_size),
           "--repeat", str(args.repeat), "--ray-n", str(args.ray_n), "--ray-repeat", str(args.ray_repeat),
           "--ray-actors", str(args.ray_actors or 0), "--threads", str(args.threads or 0),
           "--sentences", str(sentences_file), "--out", str(out)]
    subprocess.run(cmd, check=True, stderr=None if args.verbose else subprocess.DEVNULL)
    return json.loads(out.read_text(encoding="utf-8"))


# -- comparison -------------------------------------------------------------------------------


def _span_set(ents: list[dict]) -> set:
    return {(e["start"], e["end"], e["label"]) for e in ents}


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
        sa, sb = _span_set(a), _span_set(b)
        if sa == sb:
            same += 1
            continue
        kinds += classify(sa, sb)
        if len(examples) < show:
            examples.append((text, sorted(sa - sb), sorted(sb - sa)))
    return same / max(1, len(sentences)), kinds, examples


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="a trained model directory (e.g. outputs/default)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--batch-size", type=int, default=64, help="govner's batch size")
    ap.add_argument("--pipeline-batch-size", type=int, default=1, help="the pipeline's (its default is 1)")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved rounds; the fastest of each engine counts")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's own choice)")
    ap.add_argument("--no-ray", action="store_true", help="skip Ray Data")
    ap.add_argument("--ray-n", type=int, default=20000,
                    help="sentences for the Ray comparison (the N, repeated); a job's fixed cost (~7 s here) is "
                         "amortised only over a job this size or larger")
    ap.add_argument("--ray-repeat", type=int, default=2)
    ap.add_argument("--ray-actors", type=int, default=0, help="default: one per CPU")
    ap.add_argument("--sentences", help="use these texts (JSON list / sentence JSONL) instead of preparing")
    ap.add_argument("--worker", choices=["speed", "ray"], help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--verbose", action="store_true", help="show the workers' stderr")
    args = ap.parse_args()
    if args.worker == "speed":
        return speed_worker(args)
    if args.worker == "ray":
        return ray_worker(args)
    if not Path(args.model).is_dir():
        sys.exit(f"--model {args.model}: no such directory (train one: govner train --config configs/default.yaml)")
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
        print(f"sentences: {len(sentences)} (mean {chars / max(1, len(sentences)):.1f} chars) from {origin}; "
              f"model {args.model}; device {args.device}")
        sentences_file = tmp / "sentences.json"
        sentences_file.write_text(json.dumps(sentences, ensure_ascii=False), encoding="utf-8")
        speed = spawn("speed", args, sentences_file, tmp)
        ray_res = None if args.no_ray or args.device != "cpu" else spawn("ray", args, sentences_file, tmp)
    per_s, ents = speed["per_s"], speed["entities"]
    print(f"torch threads: {speed['threads']}; best of {args.repeat} interleaved rounds")
    for name, v in per_s.items():
        print(f"  {name:13s} {v:9.1f} sentences/s")
    agree, kinds, examples = compare(sentences, ents["govner"], ents["pipeline"])
    print(f"identical entity sets, govner vs pipeline: {agree:.4f}")
    for kind, n in kinds.most_common():
        print(f"  {n:6d}  {kind}")
    for text, only_ours, only_theirs in examples:
        print(f"  e.g. {text[:60]!r}\n       govner only {only_ours[:4]} | pipeline only {only_theirs[:4]}")
    g, p, p64, f = per_s["govner"], per_s["pipeline"], per_s["pipeline64"], per_s["forward"]
    figures = [f"forward_ratio={g / f:.2f}", f"pipeline_ratio={g / p:.2f}", f"pipeline64_ratio={g / p64:.2f}"]
    figures += [f"fp32_per_s={per_s['fp32']:.1f}", f"default_vs_fp32={g / per_s['fp32']:.2f}",
                f"fp32_forward_ratio={per_s['fp32'] / f:.2f}"]
    if "forward_default" in per_s:
        figures += [f"default_own_forward_ratio={g / per_s['forward_default']:.2f}"]
    for mode in ("int8", "bf16"):
        if mode in per_s:
            figures += [f"{mode}_per_s={per_s[mode]:.1f}", f"{mode}_vs_fp32={per_s[mode] / per_s['fp32']:.2f}"]
    for name in ("govner", "int8", "bf16"):
        if name in ents:
            same = compare(sentences, ents[name], ents["fp32"])[0]
            print(f"identical entity sets, {name} vs fp32: {same:.4f} (dev F1: benchmarks/quantize_eval.py)")
            figures += [f"{name}_fp32_agree={same:.4f}"]
    if ray_res:
        rp = ray_res["per_s"]
        print(f"ray: {ray_res['n']} sentences, {ray_res['actors']} actors: {rp['ray']:.1f}/s end to end against "
              f"{rp['govner']:.1f}/s in one process with {ray_res['threads']} threads (same sentences); a job's fixed cost {ray_res['fixed_s']:.1f} s "
              f"(a 32-sentence job), beyond it {ray_res['steady_per_s']:.1f}/s; identical entity sets "
              f"{ray_res['agree']:.4f}")
        figures += [f"ray_per_s={rp['ray']:.1f}", f"ray_ratio={rp['ray'] / rp['govner']:.2f}",
                    f"ray_fixed_s={ray_res['fixed_s']:.1f}",
                    f"ray_steady_ratio={ray_res['steady_per_s'] / rp['govner']:.2f}", f"ray_agree={ray_res['agree']:.4f}"]
    print("targets: " + " ".join(figures))
    print(f"sentences={len(sentences)} govner_per_s={g:.1f} pipeline_per_s={p:.1f} pipeline64_per_s={p64:.1f} "
          f"forward_per_s={f:.1f} ratio={g / p:.2f} agree={agree:.4f}")


if __name__ == "__main__":
    main()
