"""Scoring helpers for the ``sanitization`` lab's test cells.

They run a learner's detector over a table of texts (checking what it returns, with messages that
say what is wrong) and score predicted character spans against the generator's labels. Nothing
here detects, redacts or anonymizes anything: that is the learner's job.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from labs.checks import CheckFailed

PII_TYPES = ("EMAIL", "PHONE", "SSN", "CARD", "IP")
#: A predicted span matches a labelled one of the same type when they overlap by at least this
#: fraction of the longer of the two (so "+1 555 123 4567" and "555 123 4567" both count).
MIN_OVERLAP = 0.5

Span = tuple[str, int, int, str]  # (document id, start, end, type), end exclusive


def _validated(result, text: str, doc_id: str) -> list[tuple[int, int, str]]:
    if not isinstance(result, (list, tuple, set)):
        raise CheckFailed(f"find_pii must return a list of (start, end, type) tuples, got {type(result).__name__}")
    spans = []
    for item in result:
        if not isinstance(item, (list, tuple)) or len(item) != 3:
            raise CheckFailed(f"every span must be a (start, end, type) tuple, got {item!r} (ticket {doc_id})")
        start, end, kind = item
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
            raise CheckFailed(f"start and end must be ints, got {item!r} (ticket {doc_id})")
        if not 0 <= start < end <= len(text):
            raise CheckFailed(f"span {item!r} is not inside the text of ticket {doc_id} (length {len(text)}); "
                              "end is exclusive, as in text[start:end]")
        if kind not in PII_TYPES:
            raise CheckFailed(f"unknown type {kind!r} in {item!r}; use one of {', '.join(PII_TYPES)}")
        spans.append((int(start), int(end), str(kind)))
    return spans


def detect_all(detector: Callable[[str], Iterable], frame: pd.DataFrame, *, text_column: str = "text",
               id_column: str = "ticket_id") -> list[Span]:
    """Run ``detector`` over every text of ``frame``; its output is checked for the span format."""
    found: list[Span] = []
    for doc_id, text in zip(frame[id_column], frame[text_column]):
        found += [(doc_id, s, e, k) for s, e, k in _validated(detector(text), text, doc_id)]
    return found


def truth_spans(spans: pd.DataFrame) -> list[Span]:
    """The generator's labelled spans as (ticket_id, start, end, type) tuples."""
    return [(t, int(s), int(e), k) for t, s, e, k in spans[["ticket_id", "start", "end", "type"]].itertuples(index=False)]


@dataclass(frozen=True)
class SpanScores:
    precision: float
    recall: float
    per_type: pd.DataFrame
    false_positives: list[Span]
    false_negatives: list[Span]


def _overlaps(a: Span, b: Span, min_overlap: float) -> bool:
    overlap = min(a[2], b[2]) - max(a[1], b[1])
    return overlap > 0 and overlap >= min_overlap * max(a[2] - a[1], b[2] - b[1])


def span_scores(predicted: Iterable[Span], truth: Iterable[Span], min_overlap: float = MIN_OVERLAP) -> SpanScores:
    """Precision and recall of predicted spans, matched one-to-one to labelled spans of the same type."""
    predicted = sorted(set(predicted))
    truth = sorted(set(truth))
    by_key: dict[tuple[str, str], list[Span]] = {}
    for span in truth:
        by_key.setdefault((span[0], span[3]), []).append(span)
    matched: set[Span] = set()
    false_positives = []
    for span in predicted:
        hit = next((t for t in by_key.get((span[0], span[3]), []) if t not in matched
                    and _overlaps(span, t, min_overlap)), None)
        if hit is None:
            false_positives.append(span)
        else:
            matched.add(hit)
    false_negatives = [t for t in truth if t not in matched]
    rows = []
    for kind in PII_TYPES:
        n_pred = sum(s[3] == kind for s in predicted)
        n_true = sum(t[3] == kind for t in truth)
        hits = sum(t[3] == kind for t in matched)
        rows.append({"type": kind, "labelled": n_true, "found": n_pred, "correct": hits,
                     "precision": round(hits / n_pred, 3) if n_pred else float(n_true == 0),
                     "recall": round(hits / n_true, 3) if n_true else 1.0})
    precision = len(matched) / len(predicted) if predicted else float(not truth)
    recall = len(matched) / len(truth) if truth else 1.0
    return SpanScores(precision, recall, pd.DataFrame(rows).set_index("type"), false_positives, false_negatives)


def show_examples(spans: list[Span], frame: pd.DataFrame, label: str, limit: int = 5,
                  id_column: str = "ticket_id", text_column: str = "text") -> None:
    """Print a few spans with their text in context (for test-cell feedback)."""
    if not spans:
        return
    texts = dict(zip(frame[id_column], frame[text_column]))
    print(f"{label} ({len(spans)}), e.g.:")
    for doc_id, start, end, kind in spans[:limit]:
        text = texts[doc_id]
        print(f"  {doc_id} {kind:5s} {text[start:end]!r} in ...{text[max(0, start - 25):end + 25]!r}...")
