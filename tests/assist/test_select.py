"""Uncertainty selection: the measure, near-tie spreading, `govner select`, `ls push --order uncertainty`."""
from __future__ import annotations

import json

import pytest

from govner.cli import main as cli
from govner.errors import GovnerError
from govner.fileio import atomic_write_jsonl, read_jsonl
from govner.predict.predictor import Predictor, token_uncertainty
from govner.schema import BIO_TAGS
from govner.assist.select import spread_rank
from helpers.paths import SEED_FILES
from helpers.tiny_model import build_tiny_model


@pytest.fixture(scope="module")
def seed_records():
    from govner.text.prepare import prepare

    _, records, _ = prepare([str(f) for f in SEED_FILES[:2]], progress=False)
    assert len({r["doc_id"] for r in records}) >= 2
    return records[:40] + records[-40:]


@pytest.fixture(scope="module")
def predictor(tiny_model_dir):
    return Predictor.from_pretrained(tiny_model_dir, device="cpu")


def test_token_uncertainty_is_mean_least_confidence():
    assert token_uncertainty([]) == 0.0
    assert token_uncertainty([1.0, 1.0]) == 0.0
    assert token_uncertainty([0.5, 0.9]) == pytest.approx(0.3)


def test_spread_rank_orders_by_uncertainty_across_buckets():
    # doc a's sentences are all clearly more uncertain: no spreading overrides that
    assert spread_rank(["a", "a", "b"], [0.9, 0.8, 0.1]) == [0, 1, 2]
    assert spread_rank(["x", "y", "z"], [0.1, 0.5, 0.3]) == [1, 2, 0]


def test_spread_rank_round_robins_ties_by_document():
    docs = ["a", "a", "a", "b", "b", "c"]
    got = spread_rank(docs, [0.5] * 6)
    assert [docs[i] for i in got] == ["a", "b", "c", "a", "b", "a"]
    assert sorted(got) == list(range(6))


def test_spread_rank_near_ties_prefer_unseen_documents():
    # 0.503 and 0.501 are within one 0.01 bucket: document b gets its turn before a's second
    docs = ["a", "a", "b"]
    assert spread_rank(docs, [0.505, 0.503, 0.501]) == [0, 2, 1]
    # ... but with a finer tie width they are not ties any more
    assert spread_rank(docs, [0.505, 0.503, 0.501], tie=0.001) == [0, 1, 2]
    # counts carry over between buckets: a was already picked in the higher bucket
    assert spread_rank(["a", "a", "b", "b"], [0.9, 0.4, 0.4, 0.4]) == [0, 2, 1, 3]


def test_predict_with_uncertainty_matches_predict(predictor, seed_records):
    texts = [r["text"] for r in seed_records[:20]] + ["", "   ", "𠮷😀 GDP增长5%"]
    scored = predictor.predict_with_uncertainty(texts, batch_size=4)
    assert [ents for ents, _ in scored] == predictor.predict(texts, batch_size=4)
    top = 1 - 1 / len(BIO_TAGS)
    for (_, u), text in zip(scored, texts):
        assert 0.0 <= u <= top
        assert (u == 0.0) == (not text.strip())
    # a random model is unsure: its scores are far from 0
    assert min(u for _, u in scored[:20]) > 0.3


def test_confident_model_scores_lower_than_random(tmp_path, predictor, seed_records):
    sure = Predictor.from_pretrained(build_tiny_model(tmp_path / "sure", winning_tag="O"), device="cpu")
    texts = [r["text"] for r in seed_records[:10]]
    sure_u = [u for _, u in sure.predict_with_uncertainty(texts)]
    random_u = [u for _, u in predictor.predict_with_uncertainty(texts)]
    assert max(sure_u) < 0.1 < min(random_u)


def test_select_cli_writes_most_uncertain(tmp_path, tiny_model_dir, predictor, seed_records, capsys):
    inp, out = tmp_path / "sentences.jsonl", tmp_path / "next.jsonl"
    atomic_write_jsonl(inp, seed_records)
    assert cli(["select", "--model", str(tiny_model_dir), "--in", str(inp), "--top", "10",
                "--out", str(out), "--device", "cpu"]) == 0
    chosen = read_jsonl(out)
    assert len(chosen) == 10 and [r["rank"] for r in chosen] == list(range(1, 11))
    assert "wrote" in capsys.readouterr().out
    scores = {r["text"]: u for r, (_, u) in zip(seed_records, predictor.predict_with_uncertainty(
        [r["text"] for r in seed_records]))}
    threshold = min(r["uncertainty"] for r in chosen)
    # nothing left behind is more uncertain than the chosen, beyond the near-tie width
    left = [u for t, u in scores.items() if t not in {r["text"] for r in chosen}]
    assert max(left) < threshold + 0.01
    for r in chosen:
        assert r["uncertainty"] == pytest.approx(scores[r["text"]], abs=1e-6)
        assert {"doc_id", "sent_idx", "text"} <= r.keys()


def test_select_cli_errors(tmp_path, tiny_model_dir):
    inp = tmp_path / "s.jsonl"
    inp.write_text(json.dumps({"text": "x"}) + "\n", encoding="utf-8")
    assert cli(["select", "--model", str(tiny_model_dir), "--in", str(inp), "--top", "0",
                "--out", str(tmp_path / "o.jsonl")]) == 2
    assert cli(["select", "--model", str(tiny_model_dir), "--in", str(inp), "--top", "3",
                "--out", str(tmp_path / "o.jsonl")]) == 2  # no doc_id
    assert cli(["select", "--model", str(tmp_path / "nope"), "--in", str(inp), "--top", "3",
                "--out", str(tmp_path / "o.jsonl")]) == 2


def test_push_order_uncertainty_tasks(tiny_model_dir, seed_records):
    from govner.assist.ls import build_tasks, load_prelabeller
    from govner.labelstudio.convert import from_utf16

    labeller = load_prelabeller(str(tiny_model_dir), "uncertainty")
    records = seed_records[:30]
    tasks = build_tasks(records, labeller, "uncertainty")
    scored = labeller.predictor.predict_with_uncertainty([r["text"] for r in records])
    want = spread_rank([r["doc_id"] for r in records], [u for _, u in scored])
    assert [t["data"]["text"] for t in tasks] == [records[i]["text"] for i in want]
    task_scores = [t["predictions"][0]["score"] for t in tasks]
    assert task_scores[0] <= task_scores[-1] + 0.01  # least confident first
    for t, i in zip(tasks, want):
        [pred] = t["predictions"]
        assert pred["model_version"] == labeller.version and pred["model_version"].startswith(tiny_model_dir.name + "@")
        assert pred["score"] == pytest.approx(1 - scored[i][1], abs=1e-4)
        text = t["data"]["text"]
        got = [(from_utf16(text, r["value"]["start"]), from_utf16(text, r["value"]["end"]),
                r["value"]["labels"][0], r["score"]) for r in pred["result"]]
        assert got == [(e["start"], e["end"], e["label"], pytest.approx(e["score"], abs=1e-4))
                       for e in scored[i][0]]
    # file order with the same model: same predictions, original order
    plain = build_tasks(records, labeller, "file")
    assert [t["data"]["text"] for t in plain] == [r["text"] for r in records]


def test_order_uncertainty_needs_a_model(tiny_model_dir):
    from govner.assist.ls import load_prelabeller

    for prelabel in (None, "rules"):
        with pytest.raises(GovnerError, match="pass --prelabel MODEL_DIR"):
            load_prelabeller(prelabel, "uncertainty")
    assert load_prelabeller("rules", "file") == "rules"


@pytest.mark.labelstudio
@pytest.mark.slow
def test_push_prelabel_model_order_uncertainty_on_real_server(label_studio, tiny_model_dir, seed_records, tmp_path):
    from govner.labelstudio.client import Client
    from govner.assist.prelabel import model_version

    records = seed_records[:12] + seed_records[-12:]
    path = tmp_path / "sentences.jsonl"
    atomic_write_jsonl(path, records)
    auth = ["--url", label_studio["url"], "--token", label_studio["token"]]
    args = ["ls", "push", str(path), "--project", "govner-uncertainty", "--prelabel", str(tiny_model_dir),
            "--order", "uncertainty", *auth]
    assert cli(args) == 0
    client = Client(label_studio["url"], label_studio["token"])
    proj = client.project("govner-uncertainty")
    tasks = sorted(client.ls.tasks.list(project=proj.id, fields="all", page_size=100), key=lambda t: t.id)
    assert len(tasks) == len(records)
    scored = Predictor.from_pretrained(tiny_model_dir, device="cpu").predict_with_uncertainty(
        [r["text"] for r in records])
    want = spread_rank([r["doc_id"] for r in records], [u for _, u in scored])
    # Label Studio hands tasks out by id: ids follow the uncertainty ranking
    assert [t.data["text"] for t in tasks] == [records[i]["text"] for i in want]
    by_text = {r["text"]: s for r, s in zip(records, scored)}
    for t in tasks:
        [pred] = client.ls.predictions.list(task=t.id)
        ents, u = by_text[t.data["text"]]
        assert pred.model_version == model_version(tiny_model_dir)
        assert pred.score == pytest.approx(1 - u, abs=1e-3)
        assert len(pred.result) == len(ents)
    assert cli(args) == 0  # re-push: nothing new, no error
    assert len(list(client.ls.tasks.list(project=proj.id, page_size=100))) == len(records)
