"""`govner serve-ml`: the ML backend protocol in-process, then Label Studio itself calling it."""
from __future__ import annotations

import sys

import httpx
import pytest

from govner.cli import main as cli
from govner.fileio import atomic_write_jsonl
from govner.labelstudio.config import label_config
from govner.labelstudio.convert import from_utf16
from govner.assist.prelabel import model_version
from govner.predict.predictor import Predictor
from helpers.servers import free_port, running_server

ASTRAL = "𠮷溪镇新增市场主体450家😀，财政总收入增长10%。"
TEXTS = ["全年地区生产总值增长6%左右。", ASTRAL, "由区发改局牵头负责推进重点项目建设。"]


@pytest.fixture(scope="module")
def app_client(tiny_model_dir):
    from starlette.testclient import TestClient

    from govner.assist.mlbackend import create_app

    with TestClient(create_app(tiny_model_dir, device="cpu")) as client:
        yield client


@pytest.fixture(scope="module")
def expected(tiny_model_dir):
    """What the Predictor says about TEXTS, in Python offsets."""
    return Predictor.from_pretrained(tiny_model_dir, device="cpu").predict_with_uncertainty(TEXTS)


def spans(text: str, result: list[dict]) -> list[tuple[int, int, str, str]]:
    """A prediction's regions back in Python offsets (Label Studio's are UTF-16)."""
    out = []
    for r in result:
        assert r["from_name"] == "label" and r["to_name"] == "text" and r["type"] == "labels"
        s, e = from_utf16(text, r["value"]["start"]), from_utf16(text, r["value"]["end"])
        assert r["value"]["text"] == text[s:e]
        out.append((s, e, r["value"]["labels"][0], text[s:e]))
    return out


def test_health_and_setup(app_client, tiny_model_dir):
    version = model_version(tiny_model_dir)
    for path in ("/", "/health"):
        r = app_client.get(path)
        assert r.status_code == 200 and r.json()["status"] == "UP" and r.json()["model_version"] == version
    r = app_client.post("/setup", json={"project": "1.1700000000", "schema": label_config(), "hostname": "x",
                                        "access_token": "t", "extra_params": None})
    assert r.status_code == 200 and r.json() == {"model_version": version}
    assert app_client.get("/versions").json() == {"versions": [version]}


def test_setup_refuses_a_foreign_label_config(app_client):
    xml = '<View><Choices name="sentiment" toName="text"/><Text name="text" value="$text"/></View>'
    r = app_client.post("/setup", json={"project": "3.1", "schema": xml})
    assert r.status_code == 400 and '<Labels name="label" toName="text">' in r.json()["error"]
    assert app_client.post("/setup", json={"project": "3.1", "schema": "<View"}).status_code == 400


def test_predict_returns_one_prediction_per_task_in_utf16(app_client, tiny_model_dir, expected):
    tasks = [{"id": 10 + i, "data": {"text": t, "doc_id": "d", "sent_idx": i}} for i, t in enumerate(TEXTS)]
    r = app_client.post("/predict", json={"tasks": tasks, "project": "1.1700000000",
                                          "label_config": label_config(), "params": {}})
    assert r.status_code == 200
    results = r.json()["results"]
    assert len(results) == len(TEXTS)
    assert any(res["result"] for res in results)
    for text, res, (ents, u) in zip(TEXTS, results, expected):
        assert res["model_version"] == model_version(tiny_model_dir)
        assert res["score"] == pytest.approx(1 - u, abs=1e-4)
        assert spans(text, res["result"]) == [(e["start"], e["end"], e["label"], e["text"]) for e in ents]
        assert [x["score"] for x in res["result"]] == [pytest.approx(e["score"], abs=1e-4) for e in ents]
    # the astral text really has shifted offsets: UTF-16 ends are past the Python ones
    astral = results[1]["result"]
    assert astral and all(x["value"]["end"] > from_utf16(ASTRAL, x["value"]["end"]) for x in astral)


def test_predict_bad_requests_name_the_problem(app_client):
    assert app_client.post("/predict", content=b"not json").status_code == 400
    r = app_client.post("/predict", json={"tasks": [{"id": 7, "data": {"image": "x.png"}}]})
    assert r.status_code == 400 and "task 7" in r.json()["error"]
    assert app_client.post("/predict", json={"tasks": []}).json()["results"] == []


@pytest.mark.parametrize("body", [
    {"tasks": [{"id": 7, "data": "财政总收入增长10%。"}]},  # data not an object
    {"tasks": [{"id": 7, "data": ["财政总收入增长10%。"]}]},
    {"tasks": ["财政总收入增长10%。"]},  # a task not an object
    {"tasks": [{"id": {"nested": 1}, "data": {"text": 5}}]},
    {"tasks": [], "label_config": 5},  # a label config that is not a string
    {"tasks": [], "label_config": ["<View/>"]},
    {"tasks": [], "label_config": "<a>" * 100000 + "</a>" * 100000},
    {"tasks": {"id": 1}},
])
def test_predict_answers_400_to_malformed_tasks(app_client, body):
    r = app_client.post("/predict", json=body)
    assert r.status_code == 400 and r.json()["status"] == "error", r.text


@pytest.mark.parametrize("path,content", [
    ("/predict", b'{"tasks": ' + b"[" * 100000 + b"]" * 100000 + b"}"),  # deeper than Python's stack
    ("/setup", b'{"schema": ' + b"[" * 100000 + b"]" * 100000 + b"}"),
    ("/webhook", b"[" * 100000 + b"]" * 100000),
    ("/predict", b'{"tasks": [{"id": 1, "data": {"text": "\\ud800"}}]}'),  # a lone surrogate
    ("/predict", b"\xff\xfe not utf-8"),
])
def test_deep_nesting_bad_bytes_and_lone_surrogates_are_400(app_client, path, content):
    r = app_client.post(path, content=content, headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text


def test_setup_refuses_a_label_config_that_is_not_a_string(app_client):
    r = app_client.post("/setup", json={"project": "3.1", "schema": {"View": []}})
    assert r.status_code == 400 and "must be an XML string" in r.json()["error"]


class HoldRecorder:
    """Wraps the Predictor's model lock and records how long each hold lasts."""

    def __init__(self, inner):
        import threading

        self.inner, self.holds, self.entered = inner, [], threading.Event()

    def __enter__(self):
        import time

        self.inner.__enter__()
        self.entered.set()
        self.start = time.perf_counter()

    def __exit__(self, *exc):
        import time

        self.holds.append(time.perf_counter() - self.start)
        self.inner.__exit__(*exc)


def test_a_long_request_holds_the_model_one_batch_at_a_time(tiny_model_dir):
    """One annotator's 100k-character task must not make the others wait for all of it."""
    import threading
    import time

    from starlette.testclient import TestClient

    from govner.assist.mlbackend import FairLock, create_app

    app = create_app(tiny_model_dir, device="cpu")
    predictor = app.state.labeller.predictor
    assert isinstance(predictor.model_lock, FairLock)
    recorder = predictor.model_lock = HoldRecorder(predictor.model_lock)
    long_task = {"tasks": [{"id": 1, "data": {"text": "财政总收入增长10%，工业总产值增长9%。" * 5000}}]}
    short_task = {"tasks": [{"id": 2, "data": {"text": TEXTS[0]}}]}
    finished = {}
    with TestClient(app) as client:
        def post(name, body):
            assert client.post("/predict", json=body).status_code == 200
            finished[name] = time.perf_counter()

        long = threading.Thread(target=post, args=("long", long_task))
        long.start()
        assert recorder.entered.wait(60)
        post("short", short_task)
        long.join(120)
    assert len(recorder.holds) > 20  # one hold per batch of windows, not one per request
    assert max(recorder.holds) < 1.0  # the longest: tokenising the whole text (0.2 s here)
    assert finished["short"] < finished["long"]


def test_webhook_acknowledges(app_client):
    r = app_client.post("/webhook", json={"action": "ANNOTATION_CREATED", "project": {"id": 1}})
    assert r.status_code == 201 and r.json()["retrain"] == "not requested"
    r = app_client.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 1}})
    assert r.status_code == 201 and r.json()["retrain"].startswith("not configured")


def test_webhook_start_training_runs_govner_train_once(tiny_model_dir, tmp_path):
    from starlette.testclient import TestClient

    from govner.assist.mlbackend import create_app

    missing = tmp_path / "no-such-config.yaml"  # `govner train` fails fast on it: the launch is what is tested
    app = create_app(tiny_model_dir, device="cpu", train_config=str(missing))
    with TestClient(app) as client:
        r = client.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 1}})
        assert r.status_code == 201 and r.json()["retrain"].startswith("started (pid")
        proc = app.state.trainer.proc
        if proc.poll() is None:
            again = client.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 1}})
            assert again.json()["retrain"] == f"already running (pid {proc.pid})"
        assert proc.wait(timeout=60) == 2  # GovnerError: config file not found


# --- against the real Label Studio server ------------------------------------------------

@pytest.fixture(scope="module")
def ml_server(tiny_model_dir, tmp_path_factory):
    """`govner serve-ml` as a user starts it, in its own process on a free port."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("serve_ml") / "serve-ml.log"
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "govner.cli", "serve-ml", "--model", str(tiny_model_dir),
           "--host", "127.0.0.1", "--port", str(port), "--device", "cpu"]
    with running_server(cmd, url, log_path, 120, "serve-ml"):
        yield {"url": url, "log": log_path}


@pytest.mark.labelstudio
@pytest.mark.slow
def test_label_studio_stores_the_backends_prediction_when_a_task_is_opened(
        label_studio, ml_server, tiny_model_dir, expected, tmp_path):
    from govner.labelstudio.client import Client

    path = tmp_path / "sentences.jsonl"
    atomic_write_jsonl(path, [{"doc_id": "ml", "sent_idx": i, "source": "test", "text": t}
                              for i, t in enumerate(TEXTS)])
    project = "govner-ml-backend"
    assert cli(["ls", "push", str(path), "--project", project,
                "--url", label_studio["url"], "--token", label_studio["token"]]) == 0
    client = Client(label_studio["url"], label_studio["token"])
    proj = client.project(project)
    # listed before the backend exists: with automatic predictions on, listing would predict too
    tasks = {t.data["sent_idx"]: t for t in client.ls.tasks.list(project=proj.id, fields="all", page_size=100)}
    assert len(tasks) == len(TEXTS)
    client.ls.projects.update(id=proj.id, evaluate_predictions_automatically=True)
    backend = client.ls.ml.create(project=proj.id, url=ml_server["url"], title="govner")
    assert backend.id and "ER" not in str(backend.state), backend
    astral = tasks[1]
    assert not list(client.ls.predictions.list(task=astral.id))
    # what the labeling page does when an annotator opens the task: GET /api/tasks/<id>
    r = httpx.get(f"{label_studio['url']}/api/tasks/{astral.id}",
                  headers={"Authorization": f"Token {label_studio['token']}"}, timeout=120)
    assert r.status_code == 200, r.text
    preds = list(client.ls.predictions.list(task=astral.id))
    assert len(preds) == 1, ml_server["log"].read_text(errors="replace")[-2000:]
    [pred] = preds
    ents, u = expected[1]
    assert pred.model_version == model_version(tiny_model_dir)
    assert pred.score == pytest.approx(1 - u, abs=1e-3)
    assert spans(ASTRAL, pred.result) == [(e["start"], e["end"], e["label"], e["text"]) for e in ents]
    assert "predicted 1 task(s)" in ml_server["log"].read_text(errors="replace")
    assert not list(client.ls.predictions.list(task=tasks[0].id))  # only the opened task was predicted
