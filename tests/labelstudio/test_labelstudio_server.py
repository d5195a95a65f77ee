"""The Label Studio round trip against a real server: push, annotate via the API, pull, validate."""
from __future__ import annotations

import json

import pytest

from govner.cli import main as cli
from govner.fileio import atomic_write_jsonl
from govner.labelstudio.client import Client
from govner.labelstudio.convert import from_utf16, records_from_tasks
from govner.rules.tagger import RULES_VERSION, rule_entities
from helpers.paths import SEED_FILES

pytestmark = [pytest.mark.labelstudio, pytest.mark.slow]

PROJECT = "govner-test"
# Outside the BMP: 𠮷 (CJK Ext. B) and an emoji shift every later UTF-16 offset.
ASTRAL = {"doc_id": "astral", "sent_idx": 0, "source": "test", "text": "𠮷溪镇新增市场主体450家😀，财政总收入增长10%。"}
ASTRAL_SPANS = [("市场主体", "INDICATOR"), ("450家", "VALUE"), ("财政总收入", "INDICATOR"), ("增长10%", "VALUE")]


def utf16(text: str, i: int) -> int:
    """What a browser reports: JavaScript string indices are UTF-16 code units."""
    return len(text[:i].encode("utf-16-le")) // 2


def ls_result(text: str, spans: list[tuple[int, int, str]]) -> list[dict]:
    return [{"id": f"r{k}", "from_name": "label", "to_name": "text", "type": "labels",
             "value": {"start": utf16(text, s), "end": utf16(text, e), "text": text[s:e], "labels": [lab]}}
            for k, (s, e, lab) in enumerate(spans)]


def locate(text: str, spans: list[tuple[str, str]]) -> list[tuple[int, int, str]]:
    out, pos = [], 0
    for frag, lab in spans:
        s = text.index(frag, pos)
        out.append((s, s + len(frag), lab))
        pos = s + len(frag)
    return out


def ls_args(server: dict, token: str | None = None, url: str | None = None) -> list[str]:
    return ["--url", url or server["url"], "--token", token or server["token"]]


@pytest.fixture(scope="module")
def sentences(tmp_path_factory):
    from govner.text.prepare import prepare

    _, records, _ = prepare([str(SEED_FILES[0])], progress=False)
    assert len(records) >= 30
    path = tmp_path_factory.mktemp("ls_push") / "sentences.jsonl"
    atomic_write_jsonl(path, records[:30] + [ASTRAL])
    return path, records[:30] + [ASTRAL]


@pytest.fixture(scope="module")
def pushed(label_studio, sentences):
    path, records = sentences
    rc = cli(["ls", "push", str(path), "--project", PROJECT, "--prelabel", "rules", *ls_args(label_studio)])
    assert rc == 0
    client = Client(label_studio["url"], label_studio["token"])
    project = client.project(PROJECT)
    tasks = {(t.data["doc_id"], t.data["sent_idx"]): t
             for t in client.ls.tasks.list(project=project.id, fields="all", page_size=500)}
    return client, project, tasks, records


def test_push_imports_every_sentence_with_rule_predictions(pushed):
    client, project, tasks, records = pushed
    assert len(tasks) == len(records) == 31
    astral = tasks[("astral", 0)]
    assert astral.data["text"] == ASTRAL["text"]
    preds = list(client.ls.predictions.list(task=astral.id))
    assert [p.model_version for p in preds] == [RULES_VERSION]
    text = ASTRAL["text"]
    got = [(from_utf16(text, r["value"]["start"]), from_utf16(text, r["value"]["end"]), r["value"]["labels"][0])
           for r in preds[0].result]
    want = [(e["start"], e["end"], e["label"]) for e in rule_entities(text)]
    assert want and got == want
    # the prediction's UTF-16 offsets are what a browser would use
    assert any(r["value"]["start"] != from_utf16(text, r["value"]["start"]) for r in preds[0].result)


def test_repush_imports_nothing(pushed, sentences, label_studio, capsys):
    path, _ = sentences
    capsys.readouterr()
    assert cli(["ls", "push", str(path), "--project", PROJECT, "--prelabel", "rules", *ls_args(label_studio)]) == 0
    assert "imported 0 task(s), skipped 31 already present" in capsys.readouterr().out
    client, project, _, _ = pushed
    assert len(list(client.ls.tasks.list(project=project.id, page_size=500))) == 31


def test_annotate_pull_validate_convert(pushed, label_studio, tmp_path, capsys):
    client, project, tasks, records = pushed
    keys = [(r["doc_id"], r["sent_idx"]) for r in records]
    expected: dict[int, list[tuple[int, int, str]]] = {}

    def annotate(key, spans, **kw):
        t = tasks[key]
        client.ls.annotations.create(id=t.id, result=ls_result(t.data["text"], spans), lead_time=2.5, **kw)
        return t

    # the astral sentence, annotated as the browser would send it (UTF-16 offsets)
    t = annotate(("astral", 0), locate(ASTRAL["text"], ASTRAL_SPANS))
    expected[t.id] = locate(ASTRAL["text"], ASTRAL_SPANS)
    # the rule predictions accepted as they are, for five seed sentences where rules find something
    accepted = [k for k in keys[4:] if rule_entities(tasks[k].data["text"])][:5]
    assert len(accepted) == 5
    for key in accepted:
        text = tasks[key].data["text"]
        spans = [(e["start"], e["end"], e["label"]) for e in rule_entities(text)]
        expected[annotate(key, spans).id] = spans
    # an empty annotation: a negative, kept
    expected[annotate(keys[0], []).id] = []
    # a skipped task: reported, not written
    skipped = annotate(keys[1], [], was_cancelled=True)
    # two annotations, the older one marked ground truth: it wins over the later one
    text = tasks[keys[3]].data["text"]
    first = text.index("财政总收入")
    truth = [(first, first + 5, "INDICATOR")]
    gt = annotate(keys[3], truth, ground_truth=True)
    annotate(keys[3], [(first, first + 2, "INDICATOR")])
    expected[gt.id] = truth

    # a second annotator labels an already annotated task, keeping only its first span:
    # no ground truth, so the later annotation wins; the pull reports the conflict and agreement
    second = client.ls.users.create(username="second", email="second@example.com", password="second-pw-123")
    both = accepted[0]
    spans = expected[tasks[both].id]
    assert len(spans) >= 2
    annotate(both, spans[:1], completed_by=second.id)
    expected[tasks[both].id] = spans[:1]

    out = tmp_path / "annotations" / f"{PROJECT}.json"
    capsys.readouterr()
    assert cli(["ls", "pull", "--project", PROJECT, "--out", str(out), *ls_args(label_studio)]) == 0
    report = capsys.readouterr().out
    assert f"{len(expected)} annotated (1 with no entity" in report and "1 skipped/cancelled" in report
    assert f"skipped task ids: {skipped.id}" in report
    assert f"{label_studio['username']} {len(expected) + 1}" in report  # live annotations, one annotator
    assert "second@example.com 1" in report
    for label in ("INDICATOR", "VALUE"):
        n = sum(lab == label for spans in expected.values() for *_, lab in spans)
        assert f"{label} {n}" in report
    assert f"conflicts (annotators disagree, no ground truth; latest annotation used): task ids {tasks[both].id}" in report
    assert "entity F1 over 1 task(s)): " in report and f"ALL {2 / (len(spans) + 1):.3f}" in report

    assert cli(["validate", str(out)]) == 0
    written = json.loads(out.read_text(encoding="utf-8"))
    assert skipped.id not in {t["id"] for t in written}
    got = {r.task_id: [(e["start"], e["end"], e["label"]) for e in r.spans] for r in records_from_tasks(written)}
    assert got == expected
    astral = next(t for t in written if t["id"] == tasks[("astral", 0)].id)
    assert [r["value"]["text"] for r in astral["annotations"][0]["result"]] == [f for f, _ in ASTRAL_SPANS]

    # pulling again keeps the previous file as a timestamped backup
    assert cli(["ls", "pull", "--project", PROJECT, "--out", str(out), *ls_args(label_studio)]) == 0
    assert len(list(out.parent.glob(f"{out.name}.*.bak"))) == 1


def run_cli(argv, capsys) -> tuple[int, str]:
    capsys.readouterr()
    rc = cli(argv)
    err = capsys.readouterr().err
    return rc, err


def test_wrong_token_is_a_clear_error(label_studio, sentences, capsys):
    path, _ = sentences
    rc, err = run_cli(["ls", "push", str(path), "--project", PROJECT, *ls_args(label_studio, token="f" * 40)], capsys)
    assert rc == 2 and "rejected the API token" in err and "Traceback" not in err


def test_stopped_server_is_a_clear_error(tmp_path, capsys):
    import socket

    with socket.socket() as s:  # a port nobody listens on: what a stopped server looks like
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    rc, err = run_cli(["ls", "pull", "--project", PROJECT, "--out", str(tmp_path / "x.json"),
                       "--url", url, "--token", "t" * 40], capsys)
    assert rc == 2 and f"cannot reach Label Studio at {url}" in err and "Traceback" not in err
    assert not (tmp_path / "x.json").exists()


def test_unknown_project_and_foreign_config_are_clear_errors(label_studio, sentences, tmp_path, capsys):
    rc, err = run_cli(["ls", "pull", "--project", "no-such-project", "--out", str(tmp_path / "x.json"),
                       *ls_args(label_studio)], capsys)
    assert rc == 2 and "no Label Studio project titled 'no-such-project'" in err
    client = Client(label_studio["url"], label_studio["token"])
    client.ls.projects.create(title="foreign", label_config=(
        '<View><Text name="text" value="$text"/><Labels name="label" toName="text">'
        '<Label value="PER"/></Labels></View>'))
    path, _ = sentences
    rc, err = run_cli(["ls", "push", str(path), "--project", "foreign", *ls_args(label_studio)], capsys)
    assert rc == 2 and "differs from `govner ls config`" in err
