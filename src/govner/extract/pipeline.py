"""Sentences with their entities -> table rows of the three kinds, grouped by document.

Kept apart from the tagger so that any entity source works the same way: a trained model, the
rule tagger, or gold annotations. The one document-level step is the lead-office convention:
whether a document says ``列第一位者为牵头单位`` is decided over all its sentences, then
applied to each of its assignments.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from govner.extract.link import measures
from govner.extract.records import assignments, projects, states_lead_first
from govner.extract.table import assignment_row, measure_row, project_row


@dataclass
class DocumentRows:
    doc_id: str
    sentences: list[dict] = field(default_factory=list)
    entities: list[list[dict]] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    lead_first: bool = False
    text: str | None = None
    title: str = ""


def sentence_rows(sent: dict, entities: list[dict], lead_first: bool = False) -> list[dict]:
    """The table rows of one sentence: measures, then assignments, then projects."""
    text = sent["text"]
    rows = [measure_row(sent, m) for m in measures(text, entities)]
    rows += [assignment_row(sent, a) for a in assignments(text, entities, lead_first)]
    rows += [project_row(sent, p) for p in projects(text, entities)]
    return rows


def extract_rows(sentences: list[dict], entity_lists: list[list[dict]]) -> list[DocumentRows]:
    """Rows per document, documents in order of first appearance, sentences in sent_idx order."""
    docs: dict[str, DocumentRows] = {}
    for sent, ents in zip(sentences, entity_lists, strict=True):
        d = docs.setdefault(str(sent["doc_id"]), DocumentRows(str(sent["doc_id"])))
        d.sentences.append(sent)
        d.entities.append(ents)
    for d in docs.values():
        order = sorted(range(len(d.sentences)), key=lambda k: d.sentences[k]["sent_idx"])
        d.sentences = [d.sentences[k] for k in order]
        d.entities = [d.entities[k] for k in order]
        d.lead_first = states_lead_first(s["text"] for s in d.sentences)
        for sent, ents in zip(d.sentences, d.entities):
            d.rows.extend(sentence_rows(sent, ents, d.lead_first))
    return list(docs.values())
