"""The interpretability lab's generator (grader side): pure, per-seed different, truthful about what it
planted, and its held-out variants of other kinds than the learners' tables."""
from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from grader.datasets import generate, specs
from grader.datasets.credit import (EFFECTS, ID, LEAKAGE_POOL, MODIFIER_POOL, NAME, NOISE_POOL, OTHER_BANK,
                                    PROTECTED, PROXY_POOL, TARGET, new_applications, other_bank)
from labs.interpretability import adverse_action_notice, data_dictionary

SEEDS = (0, 1, 7, 2026)


@pytest.fixture(scope="module")
def data():
    return {seed: generate(NAME, seed) for seed in SEEDS}


def single_auc_for(frame: pd.DataFrame, column: str, target: str) -> float:
    auc = roc_auc_score(frame[target], frame[column])
    return max(auc, 1 - auc)


def single_auc(frame: pd.DataFrame, column: str) -> float:
    return single_auc_for(frame, column, TARGET)


# --- purity and variation ------------------------------------------------------------------------

def test_registered_with_a_complete_datasheet(data):
    spec = specs()[NAME]
    assert spec.title and spec.generation and spec.planted and spec.intended_use
    for ds in data.values():
        assert set(ds.data.columns) <= set(spec.fields)
    pools = set(LEAKAGE_POOL) | set(PROXY_POOL) | set(MODIFIER_POOL) | set(NOISE_POOL) | set(EFFECTS)
    assert pools | {ID, TARGET, PROTECTED} == set(spec.fields)


def test_different_seeds_different_data(data):
    frames = [ds.data for ds in data.values()]
    for a, b in zip(frames, frames[1:]):
        assert not (a.shape == b.shape and a.equals(b))
    assert len({tuple(f[ID].head(10)) for f in frames}) == len(frames)


def test_roles_names_and_order_vary_per_seed():
    truths = [generate(NAME, seed).truth for seed in range(12)]
    assert len({t["leakage"] for t in truths}) >= 2
    assert len({tuple(t["proxies"]) for t in truths}) >= 2
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
    roles = [truth["leakage"], *truth["proxies"], *truth["noise"], *truth["legitimate"]]
    assert sorted(roles) == sorted(truth["features"]), "every feature has exactly one role"
    assert truth["leakage"] in LEAKAGE_POOL and truth["proxy_kind"] == "interaction"
    assert truth["proxies"][0] in PROXY_POOL and truth["proxies"][1] in MODIFIER_POOL
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
def test_the_proxy_pair_encodes_the_group_only_together(seed, data):
    df, truth = data[seed].data, data[seed].truth
    score, code = truth["proxies"]
    # invisible to a one-feature scan: no feature correlates with the group, and the score has the
    # same distribution in both groups
    corr = df[truth["features"]].corrwith(df[PROTECTED])
    assert corr.drop(truth["leakage"]).abs().max() < 0.15
    assert single_auc_for(df, score, PROTECTED) < 0.56 and set(df[code]) == {1, 2}
    # within each code the score separates the groups, in opposite directions
    directions = []
    for value in (1, 2):
        rows = df[df[code] == value]
        assert single_auc_for(rows, score, PROTECTED) > 0.85
        directions.append(np.sign(rows[score].corr(rows[PROTECTED])))
    assert directions[0] == -directions[1]
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
    # CheckList-style invariance: shuffling the rows does not change what the leak scan finds
    ds = data[SEEDS[0]]
    shuffled = ds.data.sample(frac=1.0, random_state=3)
    assert max(ds.truth["features"], key=lambda f: single_auc(shuffled, f)) == ds.truth["leakage"]


# --- held-out variants ---------------------------------------------------------------------------

def test_new_applications_are_the_learners_bank_at_decision_time(data):
    own = data[SEEDS[0]]
    frame, truth = new_applications(SEEDS[0], held_out_seed=11)
    assert list(frame.columns) == [ID, *own.truth["features"], PROTECTED], "the learner's columns, no decision"
    assert (frame[truth["leakage"]] == 0).all(), "the post-decision field is not recorded yet"
    assert frame[PROTECTED].mean() > own.data[PROTECTED].mean(), "more applicants of the protected group"
    assert not set(frame[ID]) & set(own.data[ID]) or len(set(frame[ID]) & set(own.data[ID])) < 5
    assert len(truth["approved"]) == len(frame) and 0.3 < np.mean(truth["approved"]) < 0.75


@pytest.mark.parametrize("kind", ["interaction", "marginal"])
def test_other_banks_use_other_names_leaks_and_proxies(kind):
    frame, truth = other_bank(5, kind)
    own_names = set(specs()[NAME].fields)
    assert not set(truth["features"]) & own_names, "another bank's catalogue shares no column name"
    assert truth["leakage"] in OTHER_BANK.leakage and truth["proxies"][0] in OTHER_BANK.proxies
    assert len(truth["proxies"]) == (2 if kind == "interaction" else 1)
    assert single_auc(frame, truth["leakage"]) >= 0.9
    if kind == "marginal":
        assert abs(frame[truth["proxies"][0]].corr(frame[PROTECTED])) > 0.7


def test_one_other_bank_leak_is_set_for_denied_applications():
    leaks = {}
    for seed in range(30):
        frame, truth = other_bank(seed, "marginal", n=400)
        leaks[truth["leakage"]] = roc_auc_score(frame[TARGET], frame[truth["leakage"]])
    assert leaks["denial_letter_sent"] < 0.1 and leaks["card_activated"] > 0.9


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
