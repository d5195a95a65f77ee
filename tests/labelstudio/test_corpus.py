"""The annotated corpus: complete against the splitter, valid, split by document, big enough."""
from __future__ import annotations

import collections
import glob
import json

import pytest
import yaml

from govner.training.data import load_examples
from govner.text.prepare import prepare
from govner.schema import LABEL_CODES
from govner.rules.validate import validate_tasks
from helpers.paths import EXTRA_FILES, ROOT, SEED_FILES

ANNOTATIONS = sorted(glob.glob(str(ROOT / "annotations" / "*.json")))


@pytest.fixture(scope="module")
def examples():
    return load_examples(ANNOTATIONS)


@pytest.fixture(scope="module")
def splits():
    return yaml.safe_load((ROOT / "annotations" / "splits.yaml").read_text(encoding="utf-8"))


SKIPPED = ROOT / "annotations" / "skipped.json"


def skipped_sentences() -> dict[tuple[str, int], str]:
    """Sentences deliberately left unannotated, each with its reason (annotations/skipped.json)."""
    if not SKIPPED.is_file():
        return {}
    rows = json.loads(SKIPPED.read_text(encoding="utf-8"))
    assert all(r.get("reason", "").strip() for r in rows), "every skipped sentence needs a reason"
    return {(r["doc_id"], r["sent_idx"]): r["reason"] for r in rows}


def test_corpus_covers_every_prepared_sentence(examples):
    """Every sentence of every seed and extra document is annotated or listed as skipped with a
    reason; a splitter or cleaner change that orphans annotations fails here, loudly."""
    _, records, _ = prepare([str(p) for p in SEED_FILES + EXTRA_FILES], progress=False)
    expected = {(r["doc_id"], r["sent_idx"]): r["text"] for r in records}
    have = {(ex.doc_id, ex.sent_idx): ex.text for ex in examples}
    skipped = skipped_sentences()
    missing = sorted(set(expected) - set(have) - set(skipped))
    assert not missing, f"{len(missing)} prepared sentences have no annotation and no skip reason, e.g. {missing[:5]}"
    assert not set(have) - set(expected), "annotations for sentences the splitter no longer makes"
    changed = [k for k in have if have[k] != expected[k]]
    assert not changed, f"{len(changed)} annotated sentences no longer match the splitter, e.g. {changed[:5]}"
    # the corpus issue's floor: >= 16,000 sentences from >= 45 documents, >= 90% of the extras
    assert len(examples) >= 16000 and len({ex.doc_id for ex in examples}) >= 45
    extra = [k for k in expected if not k[0][:3].isdigit()]
    assert sum(k in have for k in extra) >= 0.9 * len(extra)
    labels = collections.Counter(lab for ex in examples for *_, lab in ex.spans)
    assert labels["PROJECT"] >= 1400 and labels["LEAD_OFFICE"] >= 1000, labels


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
    assert 0.7 <= sizes["train"] / total <= 0.85
    assert 0.08 <= sizes["dev"] / total <= 0.22 and 0.08 <= sizes["test"] / total <= 0.22
    for split in ("train", "dev", "test"):
        labels = collections.Counter(lab for ex in examples if owner[ex.doc_id] == split for *_, lab in ex.spans)
        assert labels["LEAD_OFFICE"] and labels["PROJECT"], (split, labels)


def test_train_has_at_least_100_entities_per_label(examples, splits):
    train = set(splits["train"])
    labels = collections.Counter(lab for ex in examples if ex.doc_id in train for *_, lab in ex.spans)
    for code in LABEL_CODES:
        assert labels[code] >= 100, (code, labels[code])


def test_dev_and_test_hold_every_kind_of_new_document(splits):
    """Corpus v2: dev and test each gained two provincial reports and two district-level
    documents, so they measure the kinds of document users bring, not only the seeds' towns."""
    for split in ("dev", "test"):
        docs = splits[split]
        assert sum("gov-work-report" in d and not d.startswith("shanghai-") for d in docs) >= 3, (split, docs)
        assert sum(d.startswith("shanghai-") for d in docs) >= 3, (split, docs)
