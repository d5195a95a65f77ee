"""`govner select`: the unlabelled sentences the model is least sure about, for labelling next.

Uncertainty measure ("mean least confidence"): for each token of a sentence take the
model's highest tag probability ``p_max``; the sentence's uncertainty is the mean of
``1 - p_max`` over its tokens (:func:`govner.predict.predictor.token_uncertainty`). Why this one:

* it needs only what the Predictor already computes (one forward pass, no sampling);
* a mean, not a sum, so long sentences are not picked just for being long;
* tokens the model tags confidently as ``O`` pull the score down, tokens near a span edge
  or between two labels (VALUE vs INDICATOR) push it up - exactly where corrections pay.

Ties and near-ties are spread across documents: scores are bucketed into steps of
``tie`` (default 0.01) and within a bucket sentences are taken round-robin over their
documents, the document with the fewest sentences already chosen first. A report repeats
its own phrasing, so ten near-identical sentences from one document teach less than ten
from ten documents.
"""
from __future__ import annotations

import argparse
import heapq
import math
import sys
from collections import deque
from typing import TYPE_CHECKING, Sequence

from govner.errors import GovnerError
from govner.schema import Entity

if TYPE_CHECKING:
    from govner.predict.predictor import Predictor

#: width of a near-tie bucket of uncertainty scores
TIE = 0.01


def spread_rank(doc_ids: Sequence[str], uncertainties: Sequence[float], tie: float = TIE) -> list[int]:
    """Indices, most uncertain first, near-ties (same ``tie`` bucket) round-robin by document."""
    if len(doc_ids) != len(uncertainties):
        raise ValueError("doc_ids and uncertainties differ in length")
    if tie <= 0:
        raise GovnerError(f"tie must be > 0, got {tie}")
    buckets: dict[int, list[int]] = {}
    for i, u in enumerate(uncertainties):
        buckets.setdefault(math.floor(u / tie), []).append(i)
    chosen: dict[str, int] = {}
    out: list[int] = []
    for b in sorted(buckets, reverse=True):
        per_doc: dict[str, deque[int]] = {}
        for i in sorted(buckets[b], key=lambda i: (-uncertainties[i], i)):
            per_doc.setdefault(str(doc_ids[i]), deque()).append(i)
        # heap of (already chosen from doc, -uncertainty of its next sentence, first index, doc)
        heap = [(chosen.get(d, 0), -uncertainties[q[0]], q[0], d) for d, q in per_doc.items()]
        heapq.heapify(heap)
        while heap:
            _, _, _, doc = heapq.heappop(heap)
            queue = per_doc[doc]
            out.append(queue.popleft())
            chosen[doc] = chosen.get(doc, 0) + 1
            if queue:
                heapq.heappush(heap, (chosen[doc], -uncertainties[queue[0]], queue[0], doc))
    return out


def score_texts(predictor: "Predictor", texts: Sequence[str], batch_size: int = 64,
                progress: bool = True) -> list[tuple[list[Entity], float]]:
    """Entities and uncertainty per text, in chunks so the progress bar moves."""
    from tqdm import tqdm

    out: list[tuple[list[Entity], float]] = []
    chunk = max(batch_size * 8, 256)
    with tqdm(total=len(texts), unit="sent", desc="scoring", file=sys.stderr,
              disable=not progress or len(texts) < chunk) as bar:
        for i in range(0, len(texts), chunk):
            part = list(texts[i:i + chunk])
            out.extend(predictor.predict_with_uncertainty(part, batch_size=batch_size))
            bar.update(len(part))
    return out


def select(predictor: "Predictor", records: list[dict], top: int | None = None, batch_size: int = 64,
           tie: float = TIE, progress: bool = True) -> list[dict]:
    """Records ranked for labelling, each with ``uncertainty`` and ``rank`` added; the first ``top``."""
    scored = score_texts(predictor, [r["text"] for r in records], batch_size, progress)
    order = spread_rank([str(r.get("doc_id")) for r in records], [u for _, u in scored], tie)
    if top is not None:
        order = order[:top]
    return [{**records[i], "uncertainty": round(scored[i][1], 6), "rank": k + 1} for k, i in enumerate(order)]


def main(args: argparse.Namespace) -> int:
    from govner.fileio import atomic_write_jsonl, check_output
    from govner.text.prepare import load_sentences
    from govner.predict.predictor import Predictor

    if args.top < 1:
        raise GovnerError(f"--top must be at least 1, got {args.top}")
    check_output(args.out, [args.inp])
    records = load_sentences(args.inp)
    predictor = Predictor.from_pretrained(args.model, device=args.device)
    chosen = select(predictor, records, args.top)
    atomic_write_jsonl(args.out, chosen, inputs=[args.inp])
    docs = len({r.get("doc_id") for r in chosen})
    span = f"uncertainty {chosen[0]['uncertainty']:.4f} .. {chosen[-1]['uncertainty']:.4f}" if chosen else "none"
    print(f"wrote {args.out}: {len(chosen)} of {len(records)} sentence(s) from {docs} document(s), {span}")
    return 0
