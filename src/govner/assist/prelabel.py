"""A trained model as a Label Studio pre-annotator: shared by `ls push --prelabel` and `serve-ml`.

A prediction carries, per span, the Predictor's score (mean max tag probability over the
span's tokens) as the region ``score``, and as the task ``score`` the model's confidence
in the whole sentence, ``1 - uncertainty`` (see :mod:`govner.assist.select`): sorting the Data
Manager by "Prediction score" ascending shows the least certain sentences first.
``model_version`` is ``<model dir name>@<training date, UTC>`` so annotators and exports
tell apart predictions of two trainings of the same config.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from govner.errors import GovnerError
from govner.labelstudio.convert import result_from_entities
from govner.schema import Entity

#: files a training run writes last; the first that exists dates the model
_DATED_BY = ("metrics.json", "train_config.yaml", "config.json")


def model_version(model_dir: str | Path) -> str:
    path = Path(model_dir).resolve()
    for name in _DATED_BY:
        f = path / name
        if f.is_file():
            stamp = dt.datetime.fromtimestamp(f.stat().st_mtime, tz=dt.timezone.utc)
            return f"{path.name}@{stamp:%Y-%m-%dT%H:%MZ}"
    raise GovnerError(f"{path}: no {', '.join(_DATED_BY)}: not a trained model directory")


def ls_prediction(text: str, entities: list[Entity], uncertainty: float, version: str) -> dict:
    """One Label Studio prediction (UTF-16 offsets), region and task scores included."""
    result = result_from_entities(text, entities)
    for item, e in zip(result, entities):
        item["score"] = round(float(e["score"]), 4)
    return {"model_version": version, "score": round(1.0 - uncertainty, 4), "result": result}


class ModelPrelabeller:
    """A Predictor loaded once, turning texts into Label Studio predictions."""

    def __init__(self, model_dir: str | Path, device: str = "auto", batch_size: int = 64):
        from govner.predict.predictor import Predictor

        path = Path(model_dir)
        if not path.is_dir():
            raise GovnerError(f"{model_dir}: expected `rules` or a trained model directory")
        self.model_dir = path
        self.version = model_version(path)
        self.predictor = Predictor.from_pretrained(path, device=device)
        self.batch_size = batch_size

    def score(self, texts: list[str], progress: bool = True) -> list[tuple[list[Entity], float]]:
        from govner.assist.select import score_texts

        return score_texts(self.predictor, texts, self.batch_size, progress)

    def predictions(self, texts: list[str], progress: bool = True) -> list[dict]:
        return [ls_prediction(t, ents, u, self.version)
                for t, (ents, u) in zip(texts, self.score(texts, progress))]
