"""The token classifier with per-token features beside the characters (``model.rule_features``,
``model.word_features``).

Why: the corpus is small (2,882 training sentences) and the shipped encoder was pretrained
on two CPU cores; fine-tuned on the characters alone it memorises the training documents
(dev micro F1 0.48). Two kinds of knowledge that carry over to unseen reports are given to
it as inputs instead:

- ``rule_tags``: the BIO tag the regex tagger of :mod:`govner.rules.tagger` gives each token. The
  rules encode the guide's surface patterns (numbers with units, ``（X、Y负责）`` lead-unit
  lists, ``…工程/项目`` names); the network is meant to learn only what they get wrong
  (measured so far: it learns no correction that holds on dev; see the model card).
  This is spaCy's ``entity_ruler`` feeding ``ner``, done inside the network.
- ``word_tags``: jieba's word boundaries and part of speech (:mod:`govner.modeling.lexical`).

Each feature is embedded and added to the word embedding. The rule tag also adds a learnt
bias straight to the tag logits, which starts at ``config.rule_prior`` for the tag the rules
give: the model begins by believing the rules and learns corrections. (Through the
embedding alone, a 4-layer model was measured to *lose* rule spans it was handed: dev
LEAD_OFFICE 0.95 → 0.75.) Rule tags are hidden for a whole window at a time during
training (``config.rule_dropout``), so the model also learns to tag without them.

The architecture is registered with ``transformers``' Auto classes as ``govner_bert``:
``AutoModelForTokenClassification`` loads a saved model once :mod:`govner.modeling.model` is
imported, and a program that has not imported it gets an "unknown model type" error
instead of a BERT that silently ignores its feature inputs.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import torch
from torch import nn
from transformers import AutoConfig, AutoModelForTokenClassification, BertConfig, BertForTokenClassification

from govner.modeling import lexical
from govner.rules import tagger as rules
from govner.modeling.projection import bio_tags
from govner.modeling.lexical import NUM_WORD_TAGS, token_word_tags
from govner.rules.tagger import RULES_VERSION, rule_entities
from govner.schema import BIO_TAGS, TAG2ID


#: texts longer than this reach the rules in chunks of whole sentences (see rule_spans)
RULE_CHUNK = 2000


def rule_spans(text: str, chunk: int = RULE_CHUNK) -> list[tuple[int, int, str]]:
    """The rule tagger's spans on ``text``; a long text is tagged a few sentences at a time.

    Why: the rules are written for one sentence, and several of them look back to the start
    of their input, so on a 200,000-character document they took minutes. A sentence (what
    training gives them) is far below ``chunk`` and is tagged whole, exactly as before; a
    longer text is cut at sentence ends (:func:`govner.text.split.split_sentences`) into
    pieces of at most ``chunk`` characters where its sentences allow, so the time is linear.
    """
    if len(text) <= chunk:
        return [(e["start"], e["end"], e["label"]) for e in rule_entities(text)]
    from govner.text.split import split_sentences

    pieces: list[tuple[int, int]] = []
    for s, e in split_sentences(text):
        if pieces and e - pieces[-1][0] <= chunk:
            pieces[-1] = (pieces[-1][0], e)
        else:
            pieces.append((s, e))
    return [(e["start"] + s, e["end"] + s, e["label"]) for s, end in pieces for e in rule_entities(text[s:end])]


def token_rule_tags(text: str, token_spans: Sequence[tuple[int, int]]) -> list[int]:
    """The rule tagger's entities on ``text`` as one BIO tag id per token.

    ``token_spans`` are the tokens' character spans in ``text``; rule spans are projected
    onto them exactly as gold spans are for training (:func:`govner.modeling.projection.bio_tags`).
    """
    return [TAG2ID[t] for t in bio_tags(rule_spans(text), token_spans)]


@dataclass(frozen=True)
class TokenFeature:
    """A per-token input: its batch key (also the ``forward`` argument) and its id space."""

    name: str
    size: int  # ids, the last of which means "no information" ([CLS], [SEP], padding, dropped)
    tags: Callable[[str, Sequence[tuple[int, int]]], list[int]]
    version: str  # enters the dataset cache key: a change in how tags are made must not hit a stale cache

    @property
    def none(self) -> int:
        return self.size - 1


def source_fingerprint(module) -> str:
    """A short hash of a module's source file.

    Why: a rule edited without bumping ``RULES_VERSION`` would otherwise hit the dataset
    cache built with the old rules, and train on stale rule tags without a word.
    """
    return hashlib.sha256(Path(module.__file__).read_bytes()).hexdigest()[:10]


RULE_TAGS = "rule_tags"
WORD_TAGS = "word_tags"
FEATURES: dict[str, TokenFeature] = {
    RULE_TAGS: TokenFeature(RULE_TAGS, len(BIO_TAGS) + 1, token_rule_tags,
                            f"{RULES_VERSION}+{source_fingerprint(rules)}"),
    WORD_TAGS: TokenFeature(WORD_TAGS, NUM_WORD_TAGS, token_word_tags, f"jieba-pos-1+{source_fingerprint(lexical)}"),
}
RULE_NONE = FEATURES[RULE_TAGS].none


def feature_names(rule_features: bool, word_features: bool) -> list[str]:
    return [name for name, on in ((RULE_TAGS, rule_features), (WORD_TAGS, word_features)) if on]


class GovBertConfig(BertConfig):
    model_type = "govner_bert"

    def __init__(self, token_features: Sequence[str] = (RULE_TAGS,), rule_dropout: float = 0.1,
                 rule_prior: float = 2.0, feature_versions: dict[str, str] | None = None, **kwargs):
        super().__init__(**kwargs)
        unknown = [f for f in token_features if f not in FEATURES]
        if unknown:
            raise ValueError(f"token_features: unknown {unknown}; known: {', '.join(FEATURES)}")
        self.token_features = list(token_features)
        self.rule_dropout = rule_dropout
        self.rule_prior = rule_prior
        #: how each feature was computed when the model was trained (see :func:`stale_features`)
        self.feature_versions = dict(feature_versions or {})


def stale_features(config: GovBertConfig) -> list[str]:
    """Features whose code changed since the model was trained, one line each.

    Why: the model learnt what the training-time rules get wrong; served with other rules,
    its inputs differ from what it was trained on and its scores no longer hold.
    """
    return [f"{name}: trained with {config.feature_versions[name]}, now {FEATURES[name].version}"
            for name in config.token_features
            if name in config.feature_versions and config.feature_versions[name] != FEATURES[name].version]


class GovBertForTokenClassification(BertForTokenClassification):
    config_class = GovBertConfig

    def __init__(self, config: GovBertConfig):
        super().__init__(config)
        self.feature_embeddings = nn.ModuleDict(
            {name: nn.Embedding(FEATURES[name].size, config.hidden_size) for name in config.token_features})
        self.rule_logits = (nn.Embedding(FEATURES[RULE_TAGS].size, config.num_labels)
                            if RULE_TAGS in config.token_features else None)
        self.reset_feature_parameters()

    @torch.no_grad()
    def reset_feature_parameters(self) -> None:
        """Fresh feature weights; call after loading a plain BERT into this class.

        Embeddings get the word embeddings' scale (a far weaker signal would be washed out by
        the LayerNorm that follows); the rule logit bias starts at ``rule_prior`` on the tag
        the rules give and 0 elsewhere.
        """
        words = self.bert.embeddings.word_embeddings.weight
        if words.is_meta:  # inside from_pretrained: the checkpoint (or the caller) fills them
            return
        scale = float(words.float().std())
        for name, emb in self.feature_embeddings.items():
            nn.init.normal_(emb.weight, std=scale)
            emb.weight[FEATURES[name].none].zero_()
        if self.rule_logits is not None:
            self.rule_logits.weight.zero_()
            for tag, i in TAG2ID.items():
                label_id = self.config.label2id.get(tag)
                if label_id is not None:
                    self.rule_logits.weight[i, label_id] = self.config.rule_prior

    def forward(self, input_ids: torch.Tensor | None = None, attention_mask: torch.Tensor | None = None,
                token_type_ids: torch.Tensor | None = None, rule_tags: torch.Tensor | None = None,
                word_tags: torch.Tensor | None = None, labels: torch.Tensor | None = None, **kwargs):
        if input_ids is None:
            raise ValueError("GovBertForTokenClassification needs input_ids (its features are added to them)")
        given = {RULE_TAGS: rule_tags, WORD_TAGS: word_tags}
        embeds = self.bert.embeddings.word_embeddings(input_ids)
        feats = {}
        for name in self.config.token_features:
            ids = given[name] if given[name] is not None else torch.full_like(input_ids, FEATURES[name].none)
            if name == RULE_TAGS and self.training and self.config.rule_dropout > 0:
                drop = torch.rand(ids.shape[0], 1, device=ids.device) < self.config.rule_dropout
                ids = ids.masked_fill(drop, FEATURES[name].none)
            feats[name] = ids
            embeds = embeds + self.feature_embeddings[name](ids)
        out = super().forward(inputs_embeds=embeds, attention_mask=attention_mask, token_type_ids=token_type_ids,
                              **kwargs)
        if self.rule_logits is not None:
            out.logits = out.logits + self.rule_logits(feats[RULE_TAGS])
        if labels is not None:
            out.loss = nn.functional.cross_entropy(out.logits.view(-1, self.num_labels), labels.view(-1),
                                                   ignore_index=-100)
        return out


AutoConfig.register(GovBertConfig.model_type, GovBertConfig)
AutoModelForTokenClassification.register(GovBertConfig, GovBertForTokenClassification)


def model_features(model) -> list[str]:
    """The per-token features a loaded model takes (none for a plain token classifier)."""
    config = getattr(model, "config", None)
    return list(config.token_features) if isinstance(config, GovBertConfig) else []


def pad_feature(rows: Sequence[Sequence[int]], width: int, none: int) -> torch.Tensor:
    out = torch.full((len(rows), width), none, dtype=torch.long)
    for i, row in enumerate(rows):
        out[i, :len(row)] = torch.tensor(row, dtype=torch.long)
    return out
