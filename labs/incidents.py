"""Helpers for the ``incident-response`` lab: the guard's training routine, a few metrics, and
the conversions between tables and the JSON the grader exchanges with a notebook.

:func:`train_guard` is the request guard's fixed training recipe (TF-IDF + logistic regression),
so that a learner's retrained guard and the grader's retrain of the same rows agree.
:func:`clean_accuracy` and :func:`predict_labels` measure a model. :func:`as_frame` turns held-out
records (timestamps written as ISO strings) into a table like the learner's own, :func:`as_answer`
turns a result holding timestamps and dates into data :func:`labs.answers.hand_in` accepts. Nothing
here finds a trigger, selects poisoned rows, measures a backdoor's success, detects leaked records,
triages alerts or knows an incident's facts: that is the learner's job, and the truth stays with
the grader.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

SENSITIVE, ROUTINE = 1, 0
LABELS = {SENSITIVE: "sensitive", ROUTINE: "routine"}


def train_guard(texts: Iterable[str], labels: Iterable[int]) -> Pipeline:
    """The request guard's training recipe: word TF-IDF and a logistic regression (deterministic)."""
    texts = [str(t) for t in texts]
    labels = np.asarray(list(labels), dtype=int)
    model = Pipeline([
        ("tfidf", TfidfVectorizer(lowercase=True, sublinear_tf=True)),
        ("clf", LogisticRegression(C=10.0, max_iter=2000, solver="liblinear", random_state=0)),
    ])
    return model.fit(texts, labels)


def predict_labels(model, texts: Iterable[str]) -> np.ndarray:
    """The model's labels (0 routine / 1 sensitive) for ``texts`` as an int array."""
    return np.asarray(model.predict([str(t) for t in texts]), dtype=int)


def clean_accuracy(model, evaluation: pd.DataFrame) -> float:
    """Accuracy on a labelled evaluation table (columns ``text`` and ``label``)."""
    predicted = predict_labels(model, evaluation["text"])
    return float((predicted == evaluation["label"].to_numpy()).mean())


#: The columns of the lab's tables that hold times.
TIME_COLUMNS = ("timestamp", "ingested_at")


def as_frame(records: list[dict]) -> pd.DataFrame:
    """Held-out records as a table like the learner's own: time columns parsed to timestamps."""
    frame = pd.DataFrame(records)
    for column in TIME_COLUMNS:
        if column in frame:
            frame[column] = pd.to_datetime(frame[column])
    return frame


def as_answer(value: Any) -> Any:
    """``value`` with timestamps and dates as ISO strings and tuples and sets as lists, for hand_in."""
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {str(key): as_answer(item) for key, item in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((as_answer(item) for item in value), key=str)
    if isinstance(value, (list, tuple)):
        return [as_answer(item) for item in value]
    return value
