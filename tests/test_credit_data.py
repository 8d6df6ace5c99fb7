"""The interpretability lab's generator: pure, per-seed different, and truthful about what it planted."""
from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from labs.datasets import load, specs
from labs.datasets.credit import (EFFECTS, ID, LEAKAGE_POOL, NAME, NOISE_POOL, PROTECTED, PROXY_POOL,
                                  TARGET)
from labs.interpretability import adverse_action_notice, data_dictionary

SEEDS = (0, 1, 7, 2026)


@pytest.fixture(scope="module")
def data():
    return {seed: load(NAME, seed=seed) for seed in SEEDS}


def single_auc(frame: pd.DataFrame, column: str) -> float:
    auc = roc_auc_score(frame[TARGET], frame[column])
    return max(auc, 1 - auc)


# --- purity and variation ------------------------------------------------------------------------

def test_registered_with_a_complete_datasheet(data):
    spec = specs()[NAME]
    assert spec.title and spec.generation and spec.planted and spec.intended_use
    for ds in data.values():
        assert set(ds.data.columns) <= set(spec.fields)
    pools = set(LEAKAGE_POOL) | set(PROXY_POOL) | set(NOISE_POOL) | set(EFFECTS)
    assert pools | {ID, TARGET, PROTECTED} == set(spec.fields)


def test_different_seeds_different_data(data):
    frames = [ds.data for ds in data.values()]
    for a, b in zip(frames, frames[1:]):
        assert not (a.shape == b.shape and a.equals(b))
    assert len({tuple(f[ID].head(10)) for f in frames}) == len(frames)


def test_roles_names_and_order_vary_per_seed():
    truths = [load(NAME, seed=seed).truth for seed in range(12)]
    assert len({t["leakage"] for t in truths}) >= 2
    assert len({t["proxy"] for t in truths}) >= 2
    assert len({tuple(t["noise"]) for t in truths}) >= 2
    assert len({tuple(t["features"]) for t in truths}) == len(truths), "column order should differ"
    assert {t["proxy_sign"] for t in truths} == {-1, 1}


# --- truth consistent with the data --------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_truth_describes_the_columns(seed, data):
    ds = data[seed]
    df, truth = ds.data, ds.truth
    assert list(df.columns) == [ID, *truth["features"], PROTECTED, TARGET]
    assert df[ID].is_unique and df[ID].str.fullmatch(r"A\d{6}").all()
    roles = [truth["leakage"], truth["proxy"], *truth["noise"], *truth["legitimate"]]
    assert sorted(roles) == sorted(truth["features"]), "every feature has exactly one role"
    assert truth["leakage"] in LEAKAGE_POOL and truth["proxy"] in PROXY_POOL
    assert set(truth["noise"]) <= set(NOISE_POOL) and len(truth["noise"]) == 2
    assert set(truth["effects"]) == set(truth["legitimate"])
    assert set(truth["strong"]) == {f for f, e in truth["effects"].items() if abs(e) >= 0.5}
    for feature, effect in truth["effects"].items():
        low, high, sign = EFFECTS[feature]
        assert np.sign(effect) == sign and low <= abs(effect) <= high
    assert set(df[TARGET]) == {0, 1} and set(df[PROTECTED]) == {0, 1}
    assert 0.45 <= df[TARGET].mean() <= 0.75
    assert 0.2 <= df[PROTECTED].mean() <= 0.45
    assert not df.isna().any().any()


@pytest.mark.parametrize("seed", SEEDS)
def test_leak_is_recorded_after_the_decision(seed, data):
    df, truth = data[seed].data, data[seed].truth
    leak = df[truth["leakage"]]
    set_ = leak > 0
    # set for most approved and few denied applications
    assert set_[df[TARGET] == 1].mean() > 0.85
    assert set_[df[TARGET] == 0].mean() < 0.08
    # alone it predicts the decision far better than any legitimate feature
    assert single_auc(df, truth["leakage"]) >= 0.9
    others = [f for f in truth["features"] if f != truth["leakage"]]
    assert max(single_auc(df, f) for f in others) < 0.8


@pytest.mark.parametrize("seed", SEEDS)
def test_proxy_encodes_the_protected_group(seed, data):
    df, truth = data[seed].data, data[seed].truth
    corr = df[truth["features"]].corrwith(df[PROTECTED])
    assert abs(corr[truth["proxy"]]) >= 0.7
    assert np.sign(corr[truth["proxy"]]) == truth["proxy_sign"]
    assert corr.drop(truth["proxy"]).abs().max() < 0.4
    # and the historical decisions are biased against the group (what makes the proxy useful)
    assert df.loc[df[PROTECTED] == 1, TARGET].mean() < df.loc[df[PROTECTED] == 0, TARGET].mean() - 0.1


@pytest.mark.parametrize("seed", SEEDS)
def test_noise_is_unrelated_to_the_decision(seed, data):
    df, truth = data[seed].data, data[seed].truth
    for feature in truth["noise"]:
        assert single_auc(df, feature) < 0.56
        assert abs(df[feature].corr(df[PROTECTED])) < 0.1


@pytest.mark.parametrize("seed", SEEDS)
def test_directional_effects(seed, data):
    # CheckList-style directional test: approval rates move with the sign of each strong effect
    df, truth = data[seed].data, data[seed].truth
    for feature in truth["strong"]:
        rank = df[feature].rank(method="first")  # halves even for a mostly-zero count
        high, low = rank > len(df) / 2, rank <= len(df) / 2
        difference = df.loc[high, TARGET].mean() - df.loc[low, TARGET].mean()
        assert np.sign(difference) == np.sign(truth["effects"][feature]), feature


def test_roles_are_invariant_to_row_order(data):
    # CheckList-style invariance: shuffling the rows does not change what the scans find
    ds = data[SEEDS[0]]
    shuffled = ds.data.sample(frac=1.0, random_state=3)
    features = ds.truth["features"]
    best_leak = max(features, key=lambda f: single_auc(shuffled, f))
    best_proxy = shuffled[features].corrwith(shuffled[PROTECTED]).abs().idxmax()
    assert (best_leak, best_proxy) == (ds.truth["leakage"], ds.truth["proxy"])


# --- display helpers -----------------------------------------------------------------------------

def test_data_dictionary_documents_every_column(data):
    frame = data[SEEDS[0]].data.set_index(ID)
    dictionary = data_dictionary(frame)
    assert list(dictionary.index) == [ID, *frame.columns]
    assert not (dictionary["description"] == "(undocumented)").any()


def test_adverse_action_notice_lists_reasons_in_order():
    notice = adverse_action_notice("A123456", ["debt_to_income", "delinquencies_2y"])
    assert "A123456" in notice
    assert notice.index("1. debt_to_income") < notice.index("2. delinquencies_2y")
    assert "not compliant" in adverse_action_notice("A1", [])
