"""Helpers for the ``incident-response`` lab: the guard's training routine and a few metrics.

:func:`train_guard` is the request guard's fixed training recipe (TF-IDF + logistic regression),
so that a learner's retrained guard and the grader's clean reference differ only in their data.
:func:`clean_accuracy` and :func:`predict_labels` measure a model. Nothing here finds a trigger,
selects poisoned rows, measures a backdoor's success, detects leaked records or triages alerts:
that is the learner's job.
"""
from __future__ import annotations

from collections.abc import Iterable

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
