"""Helpers for the test cells of every lab: messages that say what passed and what is wrong.

Test cells run under nbgrader, which gives a cell 0 points when it raises *or* writes anything
to stderr, and reads a float as the cell's last expression as partial credit (in points).
These helpers print to stdout only.
"""
from __future__ import annotations

from collections.abc import Iterable, Hashable


class CheckFailed(AssertionError):
    """A learner-facing failure: the message says what is wrong and what to look at."""


def check(condition: bool, message: str) -> None:
    """Fail the test cell with ``message`` unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(message)


def passed(message: str) -> None:
    """Tell the learner what was verified."""
    print(f"PASSED: {message}")


def precision_recall(predicted: Iterable[Hashable], truth: Iterable[Hashable]) -> tuple[float, float]:
    """Set-based precision and recall; an empty prediction against empty truth is perfect."""
    predicted, truth = set(predicted), set(truth)
    hits = len(predicted & truth)
    precision = hits / len(predicted) if predicted else float(not truth)
    recall = hits / len(truth) if truth else 1.0
    return precision, recall


def partial_credit(points: float, score: float, full_at: float) -> float:
    """Points for a score in [0, 1]: all of them at ``full_at`` or above, proportionally below.

    Returned as a plain ``float`` rounded to hundredths: as the last expression of a test cell
    nbgrader reads it as the points earned. (A numpy float would print as ``np.float64(...)``,
    which nbgrader cannot parse and grades as *full* credit.)
    """
    score = float(score)
    if score >= full_at:
        return float(points)
    return float(round(points * max(score, 0.0) / full_at, 2))
