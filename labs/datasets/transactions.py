"""Dataset of the ``robustness`` lab: card transactions for a fraud model, with a drifting month.

``transactions`` is one table of card transactions in two periods: a ``reference`` period (the
model's training data) and a ``production`` month. Every generator draw comes from ``rng_for``:
per seed, the fraud rate, the strength of each fraud signal, which features drift in the
production month and how strongly all change. The ground truth records:

* ``drifted``: the features whose distribution shifts materially in the production month;
* ``minor_shift``: one feature with a real but small shift (a large sample makes KS flag it,
  its PSI stays low);
* ``stable``: the numeric features generated identically in both periods;
* ``shifts``: how each shifted feature was transformed;
* ``fraud_rate`` and the constraints of a feasible evasion attack (``controllable`` features,
  ``amount_bound``, ``hour_bound``, ``allowed_categories``).

Nothing in here solves an exercise: the generator knows what it *planted*; it does not contain
a PSI, a drift detector, an attack or a hardened model.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from labs.datasets import dataset, rng_for

CATEGORIES = ("grocery", "restaurants", "fuel", "pharmacy", "online_retail", "electronics",
              "digital_goods", "travel")
#: Card-not-present merchants a fraudster can move a purchase to (fuel and pharmacy need a
#: physical visit with the card).
ALLOWED_CATEGORIES = ("grocery", "restaurants", "online_retail", "electronics", "digital_goods", "travel")
#: What an attacker controls: how much, where, and (within a few hours) when.
CONTROLLABLE = ("amount", "merchant_category", "hour")
#: What an attacker does not control: the account's and the device's history, velocity, location.
FIXED = ("account_age_days", "device_txn_count", "txn_last_24h", "distance_km")
FEATURES = CONTROLLABLE + FIXED
NUMERIC_FEATURES = tuple(f for f in FEATURES if f != "merchant_category")
TARGET = "is_fraud"
#: Feasibility bounds of an evasion attack: amount within +-20 %, hour within +-3 h (circular).
AMOUNT_BOUND = 0.20
HOUR_BOUND = 3

_LEGIT_MIX = np.array([0.25, 0.19, 0.12, 0.08, 0.15, 0.06, 0.07, 0.08])
_FRAUD_MIX = np.array([0.07, 0.05, 0.04, 0.03, 0.21, 0.25, 0.23, 0.12])
_CATEGORY_SCALE = {"grocery": 1.0, "restaurants": 0.8, "fuel": 1.1, "pharmacy": 0.7, "online_retail": 1.4,
                   "electronics": 2.6, "digital_goods": 0.6, "travel": 3.0}

#: Shifts the production month may get, per feature: (material, minor) transformation parameters.
_DRIFTABLE = ("amount", "hour", "account_age_days", "device_txn_count", "txn_last_24h", "distance_km")


def _hours(rng: np.random.Generator, n: int, night_share: float, day_peak: float) -> np.ndarray:
    night = rng.random(n) < night_share
    day = rng.normal(day_peak, 3.6, n)
    late = rng.normal(2.0, 2.2, n)
    return np.mod(np.round(np.where(night, late, day)), 24).astype(int)


def _period(rng: np.random.Generator, n: int, params: dict[str, float]) -> pd.DataFrame:
    """One period's rows, class-conditional: draw the label, then the features given it."""
    fraud = rng.random(n) < params["fraud_rate"]
    nf = int(fraud.sum())
    nl = n - nf
    out = pd.DataFrame(index=range(n))
    cats = np.empty(n, dtype=object)
    cats[~fraud] = rng.choice(CATEGORIES, size=nl, p=_LEGIT_MIX)
    cats[fraud] = rng.choice(CATEGORIES, size=nf, p=_FRAUD_MIX)
    scale = np.array([_CATEGORY_SCALE[c] for c in cats])
    amount = np.empty(n)
    amount[~fraud] = rng.lognormal(np.log(38.0), 0.85, nl)
    amount[fraud] = rng.lognormal(np.log(38.0 * params["amount_ratio"]), 0.95, nf)
    hour = np.empty(n, dtype=int)
    hour[~fraud] = _hours(rng, nl, 0.05, 14.0)
    hour[fraud] = _hours(rng, nf, params["night_share"], 15.0)
    age = np.empty(n)
    age[~fraud] = rng.lognormal(np.log(900.0), 0.8, nl)
    age[fraud] = rng.lognormal(np.log(900.0 / params["age_ratio"]), 1.1, nf)
    new_device = np.where(fraud, rng.random(n) < params["new_device_fraud"], rng.random(n) < 0.07)
    devices = np.where(new_device, 0, 1 + rng.negative_binomial(2, 0.05, n))
    velocity = np.where(fraud, rng.poisson(params["velocity_fraud"], n), rng.poisson(1.4, n))
    distance = np.where(fraud, rng.lognormal(np.log(8.0 * params["distance_ratio"]), 1.2, n),
                        rng.lognormal(np.log(8.0), 1.0, n))
    out["amount"] = np.round(np.clip(amount * scale, 1.0, 25000.0), 2)
    out["merchant_category"] = cats.astype(str)
    out["hour"] = hour
    out["account_age_days"] = np.clip(np.round(age), 1, 9000).astype(int)
    out["device_txn_count"] = devices.astype(int)
    out["txn_last_24h"] = velocity.astype(int)
    out["distance_km"] = np.round(np.clip(distance, 0.1, 15000.0), 1)
    out[TARGET] = fraud.astype(int)
    return out


def _shift(frame: pd.DataFrame, feature: str, material: bool, rng: np.random.Generator) -> tuple[pd.DataFrame, str]:
    """Transform one feature of the production month; return the frame and a description."""
    f = frame.copy()
    n = len(f)
    if feature == "amount":
        factor = rng.uniform(1.9, 2.4) if material else rng.uniform(1.24, 1.28)
        f["amount"] = np.round(np.clip(f["amount"] * factor, 1.0, 25000.0), 2)
        return f, f"amounts multiplied by {factor:.2f} (price change / new premium product)"
    if feature == "hour":
        delta = int(rng.integers(4, 7)) if material else 1
        moved = rng.random(n) < (0.9 if material else 0.85)
        f.loc[moved, "hour"] = np.mod(f.loc[moved, "hour"] + delta, 24)
        return f, f"{moved.mean():.0%} of transactions {delta} h later (new market in another time zone)"
    if feature == "account_age_days":
        share = rng.uniform(0.45, 0.6) if material else rng.uniform(0.09, 0.11)
        young = rng.random(n) < share
        f.loc[young, "account_age_days"] = np.clip(np.round(rng.lognormal(np.log(25.0), 0.8, int(young.sum()))), 1, 9000).astype(int)
        return f, f"{share:.0%} of transactions from freshly opened accounts (sign-up campaign)"
    if feature == "device_txn_count":
        share = rng.uniform(0.4, 0.55) if material else rng.uniform(0.08, 0.1)
        reset = rng.random(n) < share
        f.loc[reset, "device_txn_count"] = (f.loc[reset, "device_txn_count"] // 10).astype(int)
        return f, f"device history cut for {share:.0%} of transactions (app update re-issued device ids)"
    if feature == "txn_last_24h":
        extra = rng.uniform(1.8, 2.6) if material else rng.uniform(0.3, 0.35)
        f["txn_last_24h"] = f["txn_last_24h"] + rng.poisson(extra, n)
        return f, f"about {extra:.1f} more transactions per 24 h on average (holiday season)"
    if feature == "distance_km":
        factor = rng.uniform(2.8, 3.6) if material else rng.uniform(1.2, 1.25)
        f["distance_km"] = np.round(np.clip(f["distance_km"] * factor, 0.1, 15000.0), 1)
        return f, f"distances multiplied by {factor:.2f} (travel season)"
    raise ValueError(feature)


@dataset(
    "transactions",
    title="Card transactions for a fraud model: a reference period and a drifting production month",
    fields={
        "transaction_id": "unique id of the transaction (T + 7 digits)",
        "period": "`reference` (the training period) or `production` (the month after deployment)",
        "amount": "amount in USD; attacker-controllable (a fraudster picks how much to spend)",
        "merchant_category": "merchant category (" + ", ".join(CATEGORIES) + "); attacker-controllable "
                             "within the card-not-present ones (" + ", ".join(ALLOWED_CATEGORIES) + ")",
        "hour": "local hour of day, 0-23; attacker-controllable within a few hours",
        "account_age_days": "days since the card account was opened; not attacker-controllable",
        "device_txn_count": "earlier transactions of this account from the same device (0 = new device); not controllable",
        "txn_last_24h": "transactions of this card in the previous 24 hours (velocity); not controllable",
        "distance_km": "distance between the transaction's location and the card holder's home; not controllable",
        "is_fraud": "1 when the transaction was later confirmed fraudulent (chargeback), else 0",
    },
    generation="""
Class-conditional numpy draws from `rng_for("transactions", seed)`: first the label (a per-seed
fraud rate between 15 and 22 %, a fraud-enriched review sample), then each feature given the
label. Fraud is more likely on young accounts, new devices, high velocity, far from home, at
night, with larger amounts and in electronics / digital goods / online retail; the strength of
every signal varies per seed. About 4000 reference and 2000 production rows. The production
month is drawn from the same model, then two or three of the numeric features are transformed
(the *material* drift) and one more slightly (the *minor* shift).
""",
    planted="""
`truth["drifted"]`: the numeric features with a material shift in the production month (PSI well
above 0.2, KS p-value near 0); `truth["minor_shift"]`: one feature with a small real shift (KS
flags it at this sample size, PSI stays well below 0.2); `truth["stable"]`: the numeric features
generated identically in both periods; `truth["shifts"]`: a description of each transformation.
The evasion constraints are part of the truth too: `controllable`, `allowed_categories`,
`amount_bound` (relative), `hour_bound` (hours, circular).
""",
    intended_use="""
Teaching robustness testing of a tabular fraud model (noise and missing-feature stress, a
feasible evasion attack, drift detection with PSI and KS, hardening). Synthetic; it describes
no real card holder or merchant and is not a benchmark of fraud detection methods.
""",
)
def transactions(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    rng = rng_for("transactions", seed)
    params = {
        "fraud_rate": rng.uniform(0.15, 0.22),
        "amount_ratio": rng.uniform(2.4, 3.0),
        "night_share": rng.uniform(0.5, 0.6),
        "age_ratio": rng.uniform(2.5, 4.0),
        "new_device_fraud": rng.uniform(0.25, 0.35),
        "velocity_fraud": rng.uniform(2.2, 2.8),
        "distance_ratio": rng.uniform(2.5, 4.0),
    }
    n_ref = int(rng.integers(3900, 4101))
    n_prod = int(rng.integers(1900, 2101))
    reference = _period(rng, n_ref, params)
    production = _period(rng, n_prod, params)

    n_drift = int(rng.integers(2, 4))
    order = [str(f) for f in rng.permutation(_DRIFTABLE)]
    drifted, minor = sorted(order[:n_drift]), order[n_drift]
    shifts = {}
    for feature in drifted:
        production, shifts[feature] = _shift(production, feature, True, rng)
    production, shifts[minor] = _shift(production, minor, False, rng)

    reference.insert(0, "period", "reference")
    production.insert(0, "period", "production")
    frame = pd.concat([reference, production], ignore_index=True)
    ids = rng.choice(np.arange(1_000_000, 10_000_000), size=len(frame), replace=False)
    frame.insert(0, "transaction_id", [f"T{int(i)}" for i in ids])
    truth = {
        "drifted": drifted,
        "minor_shift": minor,
        "stable": [f for f in NUMERIC_FEATURES if f not in drifted and f != minor],
        "shifts": shifts,
        "fraud_rate": float(params["fraud_rate"]),
        "controllable": list(CONTROLLABLE),
        "allowed_categories": list(ALLOWED_CATEGORIES),
        "amount_bound": AMOUNT_BOUND,
        "hour_bound": HOUR_BOUND,
    }
    return frame, truth
