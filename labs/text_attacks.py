"""Scoring helpers for the ``text-attacks`` lab's test cells.

They split the generated messages, pick the attack sample, measure a classifier's clean F1 and its
recall on disguised phishing, and measure how far a perturbed word is from the original (edit
distance). Nothing here wraps a model for TextAttack, composes an attack, summarizes attack results,
normalizes text or hardens a model: that is the learner's job.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

from labs.datasets import Dataset


def split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``train`` and ``test`` rows of a messages table, each with a fresh index."""
    train = frame[frame["split"] == "train"].reset_index(drop=True)
    test = frame[frame["split"] == "test"].reset_index(drop=True)
    return train, test


def attack_sample(ds: Dataset) -> pd.DataFrame:
    """The test phishing messages the lab attacks (truth ``attack_sample``), in the generator's order."""
    by_id = ds.data.set_index("message_id")
    return by_id.loc[ds.truth["attack_sample"], ["text", "label"]].reset_index()


def _predict(model, texts: Sequence[str]) -> np.ndarray:
    proba = np.asarray(model.predict_proba(list(texts)))
    return proba.argmax(axis=1)


def clean_scores(model, ds: Dataset) -> dict[str, float]:
    """F1 (phishing = positive) on the whole test split, and recall on its disguised phishing."""
    _, test = split(ds.data)
    predicted = _predict(model, test["text"])
    disguised = test["message_id"].isin(ds.truth["obfuscated"]).to_numpy()
    return {
        "f1": float(f1_score(test["label"], predicted)),
        "disguised_recall": float(predicted[disguised].mean()) if disguised.any() else 1.0,
    }


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions) between two strings."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]
