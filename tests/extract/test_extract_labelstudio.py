"""Gold links through a real Label Studio: a project with govner's config (relations included)
stores VALUE -> INDICATOR relations, `govner ls pull` keeps them, and the scorer reads them."""
from __future__ import annotations

import pytest

from govner.cli import main as cli
from govner.extract.score import link_scores, read_gold
from govner.fileio import atomic_write_jsonl
from govner.labelstudio.client import Client
from govner.labelstudio.config import normalise
from helpers.extract_spans import YUNNAN_SPANS as SPANS
from helpers.extract_spans import YUNNAN_TEXT as TEXT
from helpers.extract_spans import ents

pytestmark = [pytest.mark.labelstudio, pytest.mark.slow]

PROJECT = "govner-relations"


def test_relations_round_trip(label_studio, tmp_path):
    auth = ["--url", label_studio["url"], "--token", label_studio["token"]]
    sentences = tmp_path / "s.jsonl"
    atomic_write_jsonl(sentences, [{"doc_id": "yunnan_2026_gov-work-report", "sent_idx": 27, "text": TEXT,
                                    "source": "test"}])
    assert cli(["ls", "push", str(sentences), "--project", PROJECT, *auth]) == 0
    client = Client(label_studio["url"], label_studio["token"])
    project = client.project(PROJECT)
    full = client.ls.projects.get(id=project.id)
    assert "<Relations>" in normalise(full.label_config) and "数值→指标" in full.label_config
    [task] = list(client.ls.tasks.list(project=project.id, fields="all"))

    e = ents(TEXT, SPANS)  # the sentence has no character outside the BMP: UTF-16 = Python offsets
    result = [{"id": f"r{k}", "from_name": "label", "to_name": "text", "type": "labels",
               "value": {"start": x["start"], "end": x["end"], "text": x["text"], "labels": [x["label"]]}}
              for k, x in enumerate(e)]
    gold = [(1, 0), (3, 2), (4, 2), (6, 5)]
    result += [{"type": "relation", "from_id": f"r{v}", "to_id": f"r{i}", "direction": "right",
                "labels": ["数值→指标"]} for v, i in gold]
    client.ls.annotations.create(id=task.id, result=result)

    out = tmp_path / "annotations" / f"{PROJECT}.json"
    assert cli(["ls", "pull", "--project", PROJECT, "--out", str(out), *auth]) == 0
    assert cli(["validate", str(out)]) == 0
    [sentence] = read_gold([out])
    assert sentence.links == {(e[v]["start"], e[v]["end"], e[i]["start"], e[i]["end"]) for v, i in gold}
    scores = link_scores([sentence])
    assert (scores["precision"], scores["recall"]) == (1.0, 1.0)
