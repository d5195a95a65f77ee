"""`govner serve-ml`: a Label Studio ML backend, so Label Studio asks the model itself.

The protocol is the one Label Studio's server speaks (label_studio/ml/api_connector.py and
ml/models.py in label-studio 1.23), not the stale ``label-studio-ml`` package:

* ``GET /health`` (and ``/``): any 200 JSON means "up"; we return ``{"status": "UP", ...}``.
* ``POST /setup`` ``{"project", "schema", "hostname", "access_token", "extra_params"}`` →
  ``{"model_version"}``. Label Studio calls it when the backend is connected and before
  each prediction run; a 4xx here is shown to the user, so a labeling config without our
  ``<Labels name="label" toName="text">`` is refused with the reason.
* ``POST /predict`` ``{"tasks": [...], "project", "label_config", "params"}`` →
  ``{"results": [{"result": [...], "score", "model_version"}, ...]}``, one per task, in
  order (a length mismatch makes Label Studio drop them all). Offsets are UTF-16.
* ``POST /webhook`` ``{"action", "project", ...}``: acknowledged and logged; with
  ``--train-config`` a ``START_TRAINING`` action starts ``govner train --config FILE`` in a
  background process (one at a time; it trains on the annotation files named in that
  config, so run ``govner ls pull`` into them first). The new model is served after a
  restart of ``serve-ml`` with ``--model`` pointing at it.
* ``GET /versions``: ``{"versions": [model_version]}``.

Label Studio blocks backends on loopback/private addresses unless the server runs with
``ML_BLOCK_LOCAL_IP=false`` (see docs/model-assisted-labelling.md).
"""
from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from govner.errors import GovnerError
from govner.labelstudio.config import FROM_NAME, TO_NAME
from govner.assist.prelabel import ModelPrelabeller
from govner.text.read import check_text

log = logging.getLogger("govner.assist.mlbackend")


def check_label_config(xml: Any) -> str | None:
    """Why this labeling config cannot take our predictions, or None if it can."""
    if xml is None or xml == "":
        return None  # Label Studio sometimes sends none; predictions are still well formed
    if not isinstance(xml, str):
        return f"label config must be an XML string, got {type(xml).__name__}"
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        return f"label config is not valid XML ({exc})"
    except RecursionError:
        return "label config is nested too deeply"
    ok = any(el.get("name") == FROM_NAME and el.get("toName") == TO_NAME for el in root.iter("Labels"))
    if not ok:
        return (f'label config has no <Labels name="{FROM_NAME}" toName="{TO_NAME}">: '
                "use the config of `govner ls config`")
    return None


class FairLock:
    """A lock handed out in arrival order (a ticket lock).

    Why: the Predictor takes it once per batch of windows, so a long request releases it
    many times; ``threading.Lock`` would usually let the releasing thread take it straight
    back, and an annotator's one-sentence request would still wait for the whole long one.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._next = 0  # the next ticket to hand out
        self._serving = 0  # the ticket that may hold the lock

    def __enter__(self) -> "FairLock":
        with self._cond:
            ticket = self._next
            self._next += 1
            while ticket != self._serving:
                self._cond.wait()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self._serving += 1
            self._cond.notify_all()


class Trainer:
    """At most one background `govner train` at a time."""

    def __init__(self, config: str | None):
        self.config = config
        self.proc: subprocess.Popen | None = None
        self.lock = threading.Lock()

    def start(self) -> str:
        if not self.config:
            return "not configured (start serve-ml with --train-config to retrain on START_TRAINING)"
        with self.lock:
            if self.proc is not None and self.proc.poll() is None:
                return f"already running (pid {self.proc.pid})"
            self.proc = subprocess.Popen([sys.executable, "-m", "govner.cli", "train", "--config", self.config])
            log.info("started retraining: pid %d, config %s", self.proc.pid, self.config)
            return f"started (pid {self.proc.pid})"


def create_app(model_dir: str | Path, device: str = "auto", train_config: str | None = None,
               batch_size: int = 32):
    """The Starlette app; the model is loaded here, once, so the first request is fast."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    labeller = ModelPrelabeller(model_dir, device=device, batch_size=batch_size)
    trainer = Trainer(train_config)
    # One batch of windows at a time on the shared model (and tokenizer), taken in arrival
    # order: a request for a long document never holds the model for more than one batch.
    labeller.predictor.model_lock = FairLock()

    def error(status: int, message: str) -> JSONResponse:
        log.warning("HTTP %d: %s", status, message)
        return JSONResponse({"status": "error", "error": message}, status_code=status)

    async def body(request: Request) -> dict[str, Any] | None:
        try:
            data = await request.json()
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested past Python's stack
            return None
        return data if isinstance(data, dict) else None

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "UP", "model_class": "govner.predict.predictor.Predictor",
                             "model_dir": str(labeller.model_dir), "model_version": labeller.version,
                             "device": str(labeller.predictor.device)})

    async def setup(request: Request) -> JSONResponse:
        data = await body(request)
        if data is None:
            return error(400, "/setup expects a JSON object")
        problem = check_label_config(data.get("schema"))
        if problem:
            return error(400, f"project {data.get('project')}: {problem}")
        return JSONResponse({"model_version": labeller.version})

    def predict_texts(texts: list[str]) -> list[dict]:
        return labeller.predictions(texts, progress=False)

    async def predict(request: Request) -> JSONResponse:
        data = await body(request)
        if data is None or not isinstance(data.get("tasks"), list):
            return error(400, '/predict expects {"tasks": [...]}')
        problem = check_label_config(data.get("label_config"))
        if problem:
            return error(400, f"project {data.get('project')}: {problem}")
        texts = []
        for n, task in enumerate(data["tasks"]):
            task_data = task.get("data") if isinstance(task, dict) else None
            text = task_data.get(TO_NAME) if isinstance(task_data, dict) else None
            tid = task.get("id") if isinstance(task, dict) else None
            name = f"task {tid if isinstance(tid, (int, str)) else f'#{n}'}"
            if not isinstance(text, str):
                return error(400, f"{name}: data.{TO_NAME} is missing or not a string (task and data must be "
                                  "JSON objects)")
            try:
                texts.append(check_text(text, f"{name}: data.{TO_NAME}"))
            except GovnerError as exc:
                return error(400, str(exc))
        results = await run_in_threadpool(predict_texts, texts)
        log.info("predicted %d task(s) for project %s", len(results), data.get("project"))
        return JSONResponse({"results": results, "model_version": labeller.version})

    async def webhook(request: Request) -> JSONResponse:
        data = await body(request)
        if data is None:
            return error(400, "/webhook expects a JSON object")
        action = str(data.get("action"))
        project = data.get("project")
        project_id = project.get("id") if isinstance(project, dict) else project
        retrain = trainer.start() if action == "START_TRAINING" else "not requested"
        log.info("webhook %s for project %s; retraining: %s", action, project_id, retrain)
        return JSONResponse({"status": "ok", "action": action, "retrain": retrain}, status_code=201)

    async def versions(request: Request) -> JSONResponse:
        return JSONResponse({"versions": [labeller.version]})

    routes = [Route("/", health, methods=["GET"]), Route("/health", health, methods=["GET"]),
              Route("/setup", setup, methods=["POST"]), Route("/predict", predict, methods=["POST"]),
              Route("/webhook", webhook, methods=["POST"]), Route("/versions", versions, methods=["GET"])]
    app = Starlette(routes=routes)
    app.state.labeller = labeller
    app.state.trainer = trainer
    return app


def main(args: argparse.Namespace) -> int:
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if not 0 < args.port < 65536:  # checked before the model is loaded, not by the socket after it
        raise GovnerError(f"--port {args.port}: must be between 1 and 65535")
    train_config = getattr(args, "train_config", None)
    if train_config and not Path(train_config).is_file():
        raise GovnerError(f"--train-config {train_config}: config file not found")
    app = create_app(args.model, device=args.device, train_config=train_config)
    log.info("serving %s (%s) on http://%s:%d", args.model, app.state.labeller.version, args.host, args.port)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0
