"""The interpretability lab's grader-side scoring, in process (no nbgrader, no kernel).

The source notebook's code cells run in one namespace, as a kernel would run them: on a learner's
materialized credit table and the held-out inputs the scorer prepares (grader/materialize.py),
with ``hand_in`` capturing each test cell's answers as the JSON the grader would parse. Each test
cell is then scored by grader/scorers/interpretability.py. ``labs verify interpretability`` does
the same through the real nbgrader autograde, sandbox and guard; this is the quick loop.
"""
from __future__ import annotations

import pytest

from grader.scoring import Answers, Context
from tests.scoring_harness import ScorerContract, SECRET, InProcessLab, cell_meta

LAB = "interpretability"
LAB_RUN = InProcessLab(LAB)
SOURCE, scorer = LAB_RUN.source, LAB_RUN.scorer
notebook, grade, _meta = LAB_RUN.notebook, LAB_RUN.grade, cell_meta


def lost(results) -> dict:
    return {g: r for g, r in results.items() if r[0] < r[1] - 1e-9}


def earned(results) -> dict:
    return {g: r for g, r in results.items() if r[0] > 1e-9}


class TestScorerContract(ScorerContract):
    lab = LAB_RUN


# --- the scorer alone, on answers built from the grader's own references (no notebook) -----------

from grader.scorers import interpretability as scoring  # noqa: E402


@pytest.fixture(scope="module")
def ctx():
    return Context(lab=LAB, learner="learner-scorer", secret=SECRET)


def _proba(model, X):
    return model.predict_proba(X)[:, 1].tolist()


def test_a_constant_model_earns_nothing_for_training_or_retraining(ctx):
    frame, train, test, truth = scoring._own(ctx)
    _, applications, _ = scoring._training_frames(ctx)
    prior = float(train[scoring.TARGET].mean())
    fit = scoring.scorer.score("test-fit-model", Answers({
        "own": {"features": truth["features"], "proba": [prior] * len(test)},
        "held-out": [prior] * len(applications)}), ctx)
    assert fit.fraction == 0
    clean = [f for f in truth["features"] if f != truth["leakage"] and f not in truth["proxies"]]
    new, _ = scoring._new_applications(ctx)
    reference = scoring._own_model(ctx, clean)
    full = scoring._own_model(ctx, truth["features"])
    own = {"clean_features": clean,
           "auc_full": scoring.roc_auc_score(test[scoring.TARGET], _proba(full, test[truth["features"]])),
           "auc_clean": scoring.roc_auc_score(test[scoring.TARGET], _proba(reference, test[clean])),
           "gap_full": 0.0, "gap_clean": 0.0}
    constant = scoring.scorer.score("test-retrain", Answers({"own": own, "held-out": {
        "proba": [prior] * len(new), "gap": 0.0}}), ctx)
    assert constant.fraction == 0
    honest = scoring.scorer.score("test-retrain", Answers({"own": own, "held-out": {
        "proba": _proba(reference, new[clean]),
        "gap": scoring._gap(reference.predict(new[clean]) == 1, new[scoring.PROTECTED].to_numpy())}}), ctx)
    assert 0 < honest.fraction < 1  # the gaps handed in on the learner's test rows are wrong


def test_a_one_feature_correlation_scan_misses_the_interaction_proxy(ctx):
    frame, _, _, truth = scoring._own(ctx)
    candidates = [f for f in truth["features"] if f != truth["leakage"]]

    def correlation(table, features):
        return table[features].corrwith(table[scoring.PROTECTED]).abs().sort_values(ascending=False).to_dict()

    tables = scoring._proxy_tables(ctx)
    held = [correlation(t, [f for f in tt["features"] if f != tt["leakage"]]) for t, tt in tables]
    own_scan = correlation(frame, candidates)
    score = scoring.scorer.score("test-proxy", Answers({
        "own": {"scan": own_scan, "proxies": list(own_scan)[:1]}, "held-out": held}), ctx)
    assert score.fraction == 0
    kinds = [tt["proxy_kind"] for _, tt in tables]
    found = [scoring._proxy_found(h, t, [f for f in tt["features"] if f != tt["leakage"]], tt["proxies"])
             for h, (t, tt) in zip(held, tables)]
    assert dict(zip(kinds, found)) == {"interaction": False, "marginal": True}


def test_constant_scans_and_rankings_earn_nothing(ctx):
    frame, train, _, truth = scoring._own(ctx)
    flat = {f: 0.5 for f in truth["features"]}
    leak = scoring.scorer.score("test-leakage", Answers({
        "own": {"scan": flat, "leakage": truth["leakage"]},
        "held-out": [{f: 0.5 for f in tt["features"]} for _, tt in scoring._leakage_tables(ctx)]}), ctx)
    assert leak.fraction == 0
    cases = scoring._contribution_cases(ctx)
    ranking = scoring.scorer.score("test-global-importance", Answers({
        "own": flat, "held-out": [{c: 1.0 for c in case["columns"]} for case in cases]}), ctx)
    assert ranking.fraction == 0


def test_guessing_the_explanation_without_the_rule_earns_nothing(ctx):
    _, _, _, truth = scoring._own(ctx)
    clean = [f for f in truth["features"] if f != truth["leakage"] and f not in truth["proxies"]]
    score = scoring.scorer.score("test-disagreement", Answers({
        "own": {"clean_features": clean, "not_useful": [], "explanation": "b"},
        "held-out": [[] for _ in scoring._importance_cases(ctx)]}), ctx)
    assert score.fraction == 0


def test_reason_codes_for_everyone_or_nobody_earn_nothing(ctx):
    _, _, test, truth = scoring._own(ctx)
    clean = [f for f in truth["features"] if f != truth["leakage"] and f not in truth["proxies"]]
    X = test[clean].iloc[:scoring.OWN_EXPLAINED]
    everyone = {a: clean[:3] for a in X.index}
    held_everyone = {a: [] for a in scoring._explained_rows(ctx).index}
    for grade_id in ("test-reason-codes-format", "test-reason-codes"):
        for codes, held in ((everyone, held_everyone), ({}, {})):
            score = scoring.scorer.score(grade_id, Answers({
                "own": {"clean_features": clean, "codes": codes}, "held-out": held}), ctx)
            assert score.fraction == 0, (grade_id, score.message)
