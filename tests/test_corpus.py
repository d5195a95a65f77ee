"""The annotated corpus: complete against the splitter, valid, split by document, big enough."""
from __future__ import annotations

import collections
import glob
import json

import pytest
import yaml

from govner.data import load_examples
from govner.prepare import prepare
from govner.sample import sample_records
from govner.schema import LABEL_CODES
from govner.validate import validate_tasks
from helpers.paths import EXTRA_FILES, ROOT, SEED_FILES

ANNOTATIONS = sorted(glob.glob(str(ROOT / "annotations" / "*.json")))


@pytest.fixture(scope="module")
def examples():
    return load_examples(ANNOTATIONS)


@pytest.fixture(scope="module")
def splits():
    return yaml.safe_load((ROOT / "annotations" / "splits.yaml").read_text(encoding="utf-8"))


def test_corpus_covers_every_prepared_sentence(examples):
    """A splitter or cleaner change that orphans annotations must fail here, loudly."""
    _, seed_records, _ = prepare([str(p) for p in SEED_FILES], progress=False)
    _, extra_records, _ = prepare([str(p) for p in EXTRA_FILES], progress=False)
    expected = {(r["doc_id"], r["sent_idx"]): r["text"] for r in seed_records + sample_records(extra_records)}
    have = {(ex.doc_id, ex.sent_idx): ex.text for ex in examples}
    missing = sorted(set(expected) - set(have))
    assert not missing, f"{len(missing)} prepared sentences have no annotation, e.g. {missing[:5]}"
    changed = [k for k in expected if have[k] != expected[k]]
    assert not changed, f"{len(changed)} annotated sentences no longer match the splitter, e.g. {changed[:5]}"
    assert len(examples) >= 4000
    extra_docs = {ex.doc_id for ex in examples if not ex.doc_id[:3].isdigit()}
    assert sum(not ex.doc_id[:3].isdigit() for ex in examples) >= 2500 and len(extra_docs) >= 15


def test_every_file_validates():
    for path in ANNOTATIONS:
        tasks = json.loads(open(path, encoding="utf-8").read())
        assert validate_tasks(tasks, path) == []
        for t in tasks:  # every task was reviewed by a person, not only pre-labelled
            assert t["annotations"] and all(a.get("reviewed") for a in t["annotations"])


def test_splits_are_by_document(examples, splits):
    owner = {}
    for name, docs in splits.items():
        for d in docs:
            assert d not in owner, f"{d} in {owner.get(d)} and {name}"
            owner[d] = name
    assert {ex.doc_id for ex in examples} == set(owner)
    sizes = collections.Counter(owner[ex.doc_id] for ex in examples)
    total = sum(sizes.values())
    assert 0.6 <= sizes["train"] / total <= 0.8
    assert 0.08 <= sizes["dev"] / total <= 0.22 and 0.08 <= sizes["test"] / total <= 0.22
    for split in ("train", "dev", "test"):
        labels = collections.Counter(lab for ex in examples if owner[ex.doc_id] == split for *_, lab in ex.spans)
        assert labels["LEAD_OFFICE"] and labels["PROJECT"], (split, labels)


def test_train_has_at_least_100_entities_per_label(examples, splits):
    train = set(splits["train"])
    labels = collections.Counter(lab for ex in examples if ex.doc_id in train for *_, lab in ex.spans)
    for code in LABEL_CODES:
        assert labels[code] >= 100, (code, labels[code])
