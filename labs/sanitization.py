"""Feedback helpers for the ``sanitization`` lab's test cells.

They run a learner's detector over a table of texts (checking the shape of what it returns, with
messages that say what is wrong), compare it with the notebook's own worked examples, and print
spans in context. Nothing here detects, redacts, anonymizes or scores anything: the grader scores
what the test cells hand in (``labs.answers``), against data and labels it keeps.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd

from labs.checks import CheckFailed

PII_TYPES = ("EMAIL", "PHONE", "SSN", "CARD", "IP")

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


def example_problems(detector: Callable[[str], Iterable], text: str, expected: list[tuple[str, str]]) -> list[str]:
    """What ``detector`` gets wrong on one worked example: ``expected`` lists (type, value) pairs.

    A found span matches an expected value of the same type when they overlap by at least half of
    the longer of the two (so including or leaving out a ``+1`` does not matter)."""
    found = [(s, e, k) for _, s, e, k in detect_all(detector, pd.DataFrame({"ticket_id": ["example"], "text": [text]}))]
    wanted = []
    for kind, value in expected:
        start = text.index(value)
        wanted.append((start, start + len(value), kind))

    def overlaps(a, b):
        overlap = min(a[1], b[1]) - max(a[0], b[0])
        return a[2] == b[2] and overlap > 0 and overlap >= 0.5 * max(a[1] - a[0], b[1] - b[0])

    missed = [w for w in wanted if not any(overlaps(w, f) for f in found)]
    flagged = [f for f in found if not any(overlaps(f, w) for w in wanted)]
    problems = []
    if missed:
        problems.append(f"in {text!r}: missed {[(k, text[a:b]) for a, b, k in missed]}")
    if flagged:
        problems.append(f"in {text!r}: flagged {[(k, text[a:b]) for a, b, k in flagged]}, which is not PII of that type")
    return problems


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
