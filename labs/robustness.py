"""Helpers for the ``robustness`` lab's test cells: the evasion attack's rules, checked.

:func:`feasibility_problems` says, for a table of adversarial transactions, which rows break the
threat model (an attacker controls the amount within +-20 %, the merchant category within the
card-not-present ones, the hour within +-3 h, and nothing else). Nothing here adds noise, masks
features, attacks, measures drift or hardens a model: that is the learner's job.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from labs.datasets.transactions import (ALLOWED_CATEGORIES, AMOUNT_BOUND, CATEGORIES, CONTROLLABLE, FEATURES,
                                        FIXED, HOUR_BOUND, NUMERIC_FEATURES, TARGET)

__all__ = ["ALLOWED_CATEGORIES", "AMOUNT_BOUND", "CATEGORIES", "CONTROLLABLE", "FEATURES", "FIXED", "HOUR_BOUND",
           "NUMERIC_FEATURES", "TARGET", "feasibility_problems", "feasible_rows", "hour_distance", "robust_accuracy"]

#: Amounts are compared to the bound with a cent of slack (an attacker pays whole cents).
CENT = 0.005


def hour_distance(a, b) -> np.ndarray:
    """Circular distance in hours between two hours of day (23 and 1 are 2 hours apart)."""
    d = np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)) % 24
    return np.minimum(d, 24 - d)


def _violations(original: pd.DataFrame, adversarial: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per rule, a boolean array over the rows: True where the adversarial row breaks it."""
    o, a = original, adversarial
    rules: dict[str, np.ndarray] = {}
    for column in FIXED:
        rules[f"{column} changed (the attacker does not control it)"] = ~np.isclose(
            a[column].to_numpy(dtype=float), o[column].to_numpy(dtype=float), rtol=0, atol=1e-9)
    amount, base = a["amount"].to_numpy(dtype=float), o["amount"].to_numpy(dtype=float)
    rules[f"amount outside +-{AMOUNT_BOUND:.0%} of the original"] = ~(
        (amount >= base * (1 - AMOUNT_BOUND) - CENT) & (amount <= base * (1 + AMOUNT_BOUND) + CENT))
    hour = a["hour"].to_numpy(dtype=float)
    rules["hour is not a whole hour in 0-23"] = ~((hour == np.round(hour)) & (hour >= 0) & (hour <= 23))
    rules[f"hour moved by more than {HOUR_BOUND} h"] = ~(hour_distance(hour, o["hour"]) <= HOUR_BOUND)
    category, before = a["merchant_category"].astype(str).to_numpy(), o["merchant_category"].astype(str).to_numpy()
    rules["merchant_category changed to one the attacker cannot use"] = (category != before) & ~np.isin(
        category, ALLOWED_CATEGORIES)
    return rules


def _shape_problems(original: pd.DataFrame, adversarial) -> list[str]:
    if not isinstance(adversarial, pd.DataFrame):
        return [f"the adversarial examples must be a DataFrame, got {type(adversarial).__name__}"]
    missing = [c for c in FEATURES if c not in adversarial.columns]
    if missing:
        return [f"the adversarial examples lack the column(s) {missing}"]
    if len(adversarial) != len(original) or not adversarial.index.equals(original.index):
        return ["return one adversarial row per input row, with the same index in the same order "
                f"(got {len(adversarial)} rows for {len(original)})"]
    if adversarial[list(FEATURES)].isna().any().any():
        return ["the adversarial examples contain missing values"]
    return []


def feasible_rows(original: pd.DataFrame, adversarial: pd.DataFrame) -> np.ndarray:
    """Boolean array: which adversarial rows respect every rule (all False if the frame is malformed)."""
    if _shape_problems(original, adversarial):
        return np.zeros(len(original), dtype=bool)
    return ~np.any(list(_violations(original, adversarial).values()), axis=0)


def feasibility_problems(original: pd.DataFrame, adversarial, examples: int = 3) -> list[str]:
    """What is infeasible about ``adversarial`` as an attack on ``original`` (empty list: all feasible)."""
    problems = _shape_problems(original, adversarial)
    if problems:
        return problems
    for rule, bad in _violations(original, adversarial).items():
        if bad.any():
            ids = list(original.index[bad][:examples])
            problems.append(f"{rule}: {int(bad.sum())} of {len(bad)} rows, e.g. index {ids}")
    return problems


def robust_accuracy(model, X: pd.DataFrame, y, attack) -> float:
    """Accuracy when every fraud row of ``X`` is replaced by ``attack(model, fraud_rows)``.

    Legitimate transactions are left as they are (nobody attacks their own genuine purchase);
    infeasible adversarial rows are not counted as evasions: they keep their original values.
    """
    y = np.asarray(y)
    features = list(FEATURES)
    fraud = X[y == 1]
    attacked = attack(model, fraud)
    ok = feasible_rows(fraud, attacked)
    if ok.any():
        fraud = fraud.copy()
        fraud.loc[ok, features] = attacked.loc[ok, features].astype(fraud[features].dtypes.to_dict())
    combined = pd.concat([X[y != 1], fraud]).loc[X.index]
    return float(np.mean(model.predict(combined[features]) == y))
