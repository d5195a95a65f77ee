"""`govner ls config|push|pull`: the annotation round trip through Label Studio."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from govner.errors import GovnerError
from govner.fileio import atomic_write_json, backup, check_output
from govner.labelstudio.client import Client, task_key
from govner.labelstudio.config import label_config
from govner.labelstudio.convert import PullReport, clean_export, result_from_entities
from govner.assist.prelabel import ModelPrelabeller, ls_prediction
from govner.text.prepare import load_sentences  # noqa: F401  (sentence records: read where they are made)
from govner.schema import LABEL_CODES

TASK_FIELDS = ("text", "doc_id", "sent_idx", "source")


def config_main(args: argparse.Namespace) -> int:
    sys.stdout.write(label_config())
    return 0


# --- push ----------------------------------------------------------------------------

def predictions_for(texts: list[str], prelabel: "str | ModelPrelabeller | None") -> list[dict | None]:
    """One Label Studio prediction per text (or None), from ``--prelabel``: the single hook.

    ``rules`` uses the rule pre-labeller; anything else names a trained model directory
    (or is an already loaded :class:`ModelPrelabeller`). Offsets are UTF-16, as Label Studio expects.
    """
    if prelabel is None:
        return [None] * len(texts)
    if prelabel == "rules":
        from govner.rules.tagger import RULES_VERSION, rule_entities

        return [{"model_version": RULES_VERSION, "score": 1.0,
                 "result": result_from_entities(t, rule_entities(t))} for t in texts]
    labeller = prelabel if isinstance(prelabel, ModelPrelabeller) else ModelPrelabeller(prelabel)
    return list(labeller.predictions(texts))


def load_prelabeller(prelabel: str | None, order: str) -> "str | ModelPrelabeller | None":
    """Check ``--prelabel``/``--order`` and load the model once, before any server call."""
    if order not in ("file", "uncertainty"):
        raise GovnerError(f"--order {order}: expected file or uncertainty")
    loaded = prelabel if prelabel in (None, "rules") else ModelPrelabeller(prelabel)
    if order == "uncertainty" and not isinstance(loaded, ModelPrelabeller):
        raise GovnerError("--order uncertainty ranks sentences by a trained model's uncertainty: "
                          "pass --prelabel MODEL_DIR as well")
    return loaded


def build_tasks(records: list[dict], prelabel: "str | ModelPrelabeller | None",
                order: str = "file") -> list[dict]:
    """Tasks in import order; ``uncertainty`` order puts the model's least certain first."""
    texts = [r["text"] for r in records]
    if order == "uncertainty":
        from govner.assist.select import spread_rank

        if not isinstance(prelabel, ModelPrelabeller):
            raise GovnerError("--order uncertainty needs --prelabel MODEL_DIR")
        scored = prelabel.score(texts)
        ranking = spread_rank([str(r.get("doc_id")) for r in records], [u for _, u in scored])
        records = [records[i] for i in ranking]
        preds: list[dict | None] = [ls_prediction(texts[i], *scored[i], prelabel.version) for i in ranking]
    else:
        preds = predictions_for(texts, prelabel)
    tasks = []
    for r, p in zip(records, preds):
        task: dict = {"data": {k: r.get(k) for k in TASK_FIELDS}}
        if p is not None:
            task["predictions"] = [p]
        tasks.append(task)
    return tasks


def push(client: Client, path: str, project: str, prelabel: str | None = None, order: str = "file",
         batch_size: int = 200) -> tuple[int, int, int]:
    """Import the sentences not yet in the project; returns (project id, imported, skipped).

    Ordering covers only the sentences imported now: Label Studio hands out tasks by id,
    i.e. in import order, so the least certain new sentences are labelled first.
    """
    records = load_sentences(path)
    labeller = load_prelabeller(prelabel, order)
    proj, created = client.get_or_create_project(project)
    present = set() if created else client.task_keys(proj.id)
    seen: set[str] = set()
    new = []
    for r in records:
        key = task_key(r)
        if key not in present and key not in seen:
            new.append(r)
        seen.add(key)
    imported = client.import_tasks(proj.id, build_tasks(new, labeller, order), batch_size) if new else 0
    return proj.id, imported, len(records) - imported


def push_main(args: argparse.Namespace) -> int:
    client = Client(args.url, args.token)
    client.check()
    pid, imported, skipped = push(client, args.sentences, args.project, args.prelabel, args.order,
                                  args.batch_size)
    print(f"project {args.project!r} (id {pid}) at {client.url}: imported {imported} task(s), "
          f"skipped {skipped} already present"
          + (f", pre-labelled with {args.prelabel}" if args.prelabel and imported else ""))
    return 0


# --- pull ----------------------------------------------------------------------------

def pull(client: Client, project: str, out: str) -> tuple[PullReport, Path | None]:
    proj = client.project(project)
    tasks, report = clean_export(client.export(proj.id))
    names = client.user_names()
    report.per_annotator = {names.get(k, k): n for k, n in report.per_annotator.items()}
    kept = backup(out)
    atomic_write_json(out, tasks)
    return report, kept


def format_report(rep: PullReport) -> str:
    def fmt(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.3f}"

    lines = [f"{rep.tasks} task(s): {rep.annotated} annotated ({rep.empty} with no entity, kept as negatives), "
             f"{rep.unannotated} not yet annotated, {len(rep.cancelled)} skipped/cancelled (not written)"]
    if rep.cancelled:
        lines.append(f"  skipped task ids: {', '.join(map(str, rep.cancelled))}")
    lines.append("spans per label: " + ", ".join(f"{c} {rep.per_label.get(c, 0)}" for c in LABEL_CODES))
    lines.append("annotations per annotator: "
                 + (", ".join(f"{a} {n}" for a, n in sorted(rep.per_annotator.items())) or "none"))
    if rep.conflicts:
        lines.append(f"conflicts (annotators disagree, no ground truth; latest annotation used): task ids "
                     f"{', '.join(map(str, rep.conflicts))}")
    if rep.agreement_tasks:
        lines.append(f"inter-annotator agreement (entity F1 over {rep.agreement_tasks} task(s)): "
                     + ", ".join(f"{k} {fmt(v)}" for k, v in rep.agreement.items()))
    return "\n".join(lines)


def pull_main(args: argparse.Namespace) -> int:
    check_output(args.out)  # before the server is asked for anything
    client = Client(args.url, args.token)
    client.check()
    report, kept = pull(client, args.project, args.out)
    print(f"wrote {args.out}" + (f" (previous file kept as {kept})" if kept else ""))
    print(format_report(report))
    return 0
