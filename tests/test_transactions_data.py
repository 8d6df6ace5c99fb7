"""The ``transactions`` generator of the robustness lab and its test-cell helpers (``labs.robustness``)."""
from __future__ import annotations


import numpy as np
import pytest
from scipy.stats import ks_2samp

from labs.datasets import load, specs
from labs.datasets.transactions import (
    ALLOWED_CATEGORIES,
    AMOUNT_BOUND,
    CATEGORIES,
    CONTROLLABLE,
    FEATURES,
    HOUR_BOUND,
    NUMERIC_FEATURES,
    TARGET,
)
from labs.robustness import feasibility_problems, feasible_rows, hour_distance, robust_accuracy

SEEDS = (0, 1, 7, 123456789)


@pytest.fixture(scope="module")
def data():
    return {seed: load("transactions", seed=seed) for seed in SEEDS}


def _periods(ds):
    df = ds.data
    return df[df["period"] == "reference"], df[df["period"] == "production"]


def _psi(expected, actual, bins=10):
    # a plain PSI for checking the generator's planted shifts (the lab's learners write their own)
    edges = np.unique(np.quantile(expected, np.linspace(0, 1, bins + 1)[1:-1]))
    e = np.bincount(np.searchsorted(edges, expected, side="right"), minlength=len(edges) + 1) / len(expected)
    a = np.bincount(np.searchsorted(edges, actual, side="right"), minlength=len(edges) + 1) / len(actual)
    e, a = np.clip(e, 1e-4, None), np.clip(a, 1e-4, None)
    return float(np.sum((a - e) * np.log(a / e)))


# --- purity, variation, datasheet ---------------------------------------------------------------

def test_registered_with_a_complete_datasheet(data):
    spec = specs()["transactions"]
    assert spec.title and spec.generation and spec.planted and spec.intended_use
    assert set(data[SEEDS[0]].data.columns) == set(spec.fields)


def test_different_seeds_differ(data):
    frames = [data[s].data for s in SEEDS]
    assert len({tuple(f["amount"].head(20)) for f in frames}) == len(SEEDS)
    assert len({tuple(data[s].truth["drifted"]) for s in SEEDS}) > 1


def test_drifted_features_vary_across_learners():
    drifted = {tuple(load("transactions", seed=s).truth["drifted"]) for s in range(12)}
    assert len(drifted) >= 4
    assert {f for d in drifted for f in d} == set(NUMERIC_FEATURES), "every numeric feature can drift"


# --- well-formed data -----------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_values_well_formed(seed, data):
    df = data[seed].data
    assert list(df.columns) == ["transaction_id", "period", *FEATURES, TARGET]
    assert df["transaction_id"].is_unique and df["transaction_id"].str.fullmatch(r"T\d{7}").all()
    assert set(df["period"]) == {"reference", "production"}
    reference, production = _periods(data[seed])
    assert 3800 <= len(reference) <= 4200 and 1800 <= len(production) <= 2200
    assert set(df["merchant_category"]) <= set(CATEGORIES)
    assert df["hour"].between(0, 23).all() and (df["amount"] > 0).all() and (df["distance_km"] > 0).all()
    assert (df["account_age_days"] >= 1).all() and (df[["device_txn_count", "txn_last_24h"]] >= 0).all().all()
    assert not df.isna().any().any()
    assert 0.12 <= reference[TARGET].mean() <= 0.26


@pytest.mark.parametrize("seed", SEEDS)
def test_fraud_signals_point_the_right_way(seed, data):
    # directional expectations (CheckList-style): fraud is younger, newer device, faster, farther, bigger, later
    reference, _ = _periods(data[seed])
    fraud, legit = reference[reference[TARGET] == 1], reference[reference[TARGET] == 0]
    assert fraud["account_age_days"].median() < legit["account_age_days"].median() / 2
    assert (fraud["device_txn_count"] == 0).mean() > 2 * (legit["device_txn_count"] == 0).mean()
    assert fraud["txn_last_24h"].mean() > legit["txn_last_24h"].mean() + 0.5
    assert fraud["distance_km"].median() > 2 * legit["distance_km"].median()
    assert fraud["amount"].median() > 1.5 * legit["amount"].median()
    assert fraud["hour"].isin(range(0, 6)).mean() > 2 * legit["hour"].isin(range(0, 6)).mean()
    assert fraud["merchant_category"].isin(["electronics", "digital_goods"]).mean() > \
        2 * legit["merchant_category"].isin(["electronics", "digital_goods"]).mean()


# --- the planted drift ------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_truth_partitions_the_numeric_features(seed, data):
    truth = data[seed].truth
    assert 2 <= len(truth["drifted"]) <= 3
    groups = [set(truth["drifted"]), {truth["minor_shift"]}, set(truth["stable"])]
    assert set().union(*groups) == set(NUMERIC_FEATURES) and sum(map(len, groups)) == len(NUMERIC_FEATURES)
    assert set(truth["shifts"]) == set(truth["drifted"]) | {truth["minor_shift"]}
    assert truth["controllable"] == list(CONTROLLABLE) and truth["allowed_categories"] == list(ALLOWED_CATEGORIES)
    assert (truth["amount_bound"], truth["hour_bound"]) == (AMOUNT_BOUND, HOUR_BOUND)


@pytest.mark.parametrize("seed", range(25))
def test_planted_drift_is_separable_by_psi_and_ks(seed):
    # the lab's rule (PSI >= 0.2 and KS p < 0.01) must recover exactly the planted material drift, and the
    # minor shift must be one that KS alone flags: both with a comfortable margin
    ds = load("transactions", seed=seed)
    reference, production = _periods(ds)
    for feature in NUMERIC_FEATURES:
        value = _psi(reference[feature].to_numpy(float), production[feature].to_numpy(float))
        p = ks_2samp(reference[feature], production[feature]).pvalue
        if feature in ds.truth["drifted"]:
            assert value >= 0.3 and p < 1e-20, (feature, value, p)
        elif feature == ds.truth["minor_shift"]:
            assert value < 0.15 and p < 0.01, (feature, value, p)
        else:
            assert value < 0.05, (feature, value)


def test_stable_features_have_the_same_distribution():
    # without the transformations the two periods come from one distribution: KS p-values of stable
    # features look uniform (few below 0.01 over many seeds)
    pvalues = []
    for seed in range(20):
        ds = load("transactions", seed=seed)
        reference, production = _periods(ds)
        pvalues += [ks_2samp(reference[f], production[f]).pvalue for f in ds.truth["stable"]]
    assert np.mean(np.array(pvalues) < 0.01) < 0.05
    assert np.median(pvalues) > 0.2


def test_labels_do_not_depend_on_period(data):
    rates = [_periods(data[s])[1][TARGET].mean() - _periods(data[s])[0][TARGET].mean() for s in SEEDS]
    assert max(abs(r) for r in rates) < 0.04


# --- feasibility helper -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fraud_rows(data):
    reference, _ = _periods(data[SEEDS[0]])
    return reference[reference[TARGET] == 1][list(FEATURES)].head(40)


def test_unchanged_rows_are_feasible(fraud_rows):
    assert feasibility_problems(fraud_rows, fraud_rows.copy()) == []
    assert feasible_rows(fraud_rows, fraud_rows.copy()).all()


def test_changes_within_bounds_are_feasible(fraud_rows):
    adv = fraud_rows.copy()
    adv["amount"] = fraud_rows["amount"] * np.where(np.arange(len(adv)) % 2, 0.8, 1.2)
    adv["hour"] = (fraud_rows["hour"] + 3) % 24
    adv["merchant_category"] = "digital_goods"
    assert feasibility_problems(fraud_rows, adv) == []
    # rounding to the cent is tolerated
    adv["amount"] = (fraud_rows["amount"] * 0.8).round(2)
    assert feasibility_problems(fraud_rows, adv) == []


@pytest.mark.parametrize("column, value, rule", [
    ("account_age_days", 5000, "account_age_days changed"),
    ("device_txn_count", 99, "device_txn_count changed"),
    ("txn_last_24h", 0, "txn_last_24h changed"),
    ("distance_km", 1.0, "distance_km changed"),
    ("merchant_category", "fuel", "merchant_category changed to one the attacker cannot use"),
])
def test_each_rule_is_enforced(fraud_rows, column, value, rule):
    adv = fraud_rows.copy()
    target = adv.index[adv[column] != value][0]
    adv.loc[target, column] = value
    problems = feasibility_problems(fraud_rows, adv)
    assert len(problems) == 1 and problems[0].startswith(rule) and str(target) in problems[0]
    assert feasible_rows(fraud_rows, adv).sum() == len(adv) - 1


def test_amount_and_hour_bounds(fraud_rows):
    adv = fraud_rows.copy()
    adv["amount"] = fraud_rows["amount"] * 0.75
    assert any(p.startswith("amount outside") for p in feasibility_problems(fraud_rows, adv))
    adv = fraud_rows.copy()
    adv["hour"] = (fraud_rows["hour"] + 4) % 24
    assert any(p.startswith("hour moved") for p in feasibility_problems(fraud_rows, adv))
    adv["hour"] = fraud_rows["hour"] + 0.5
    assert any(p.startswith("hour is not a whole hour") for p in feasibility_problems(fraud_rows, adv))


def test_shape_problems(fraud_rows):
    assert feasibility_problems(fraud_rows, fraud_rows.iloc[:-1])[0].startswith("return one adversarial row")
    assert feasibility_problems(fraud_rows, fraud_rows.reset_index(drop=True))[0].startswith("return one adversarial row")
    assert "DataFrame" in feasibility_problems(fraud_rows, fraud_rows.to_numpy())[0]
    assert not feasible_rows(fraud_rows, fraud_rows.drop(columns="hour")).any()


def test_hour_distance_is_circular():
    assert list(hour_distance([23, 0, 5, 12], [1, 22, 5, 0])) == [2, 2, 0, 12]


class _Rule:
    """A toy 'model': fraud when the amount is above a threshold (predict on a feature frame)."""

    def __init__(self, threshold):
        self.threshold = threshold

    def predict(self, X):
        return (X["amount"].to_numpy() > self.threshold).astype(int)


def test_robust_accuracy_counts_only_feasible_evasions(fraud_rows):
    X = fraud_rows
    y = np.ones(len(X), dtype=int)
    model = _Rule(0.0)
    assert robust_accuracy(model, X, y, lambda m, rows: rows.copy()) == 1.0
    # an infeasible attack (amount to 0) is ignored; a feasible one below a threshold counts
    assert robust_accuracy(model, X, y, lambda m, rows: rows.assign(amount=0.0)) == 1.0
    high = _Rule(float(X["amount"].median()))
    clean = float(np.mean(high.predict(X) == y))
    attacked = robust_accuracy(high, X, y, lambda m, rows: rows.assign(amount=rows["amount"] * 0.8))
    assert attacked <= clean
    # legitimate rows are never attacked
    legit = np.zeros(len(X), dtype=int)
    assert robust_accuracy(high, X, legit, lambda m, rows: rows.assign(amount=1e9)) == float(np.mean(high.predict(X) == 0))
