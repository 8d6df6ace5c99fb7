"""The governance-automation lab's generators (grader-side): pure, per-seed different, truthful about what they
planted, and their held-out variants of other kinds than the learners' data."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from grader.datasets import generate
from grader.datasets import model_cards as gen
from labs.guardrails import AGE_BANDS, FEATURES, MODEL_NAME, REGIONS, STANDARDS, train_model

SEEDS = (0, 1, 7, 2026)
NAMES = ("claims_triage", "data_source_registry", "release_policy", "release_candidates")


@pytest.fixture(scope="module")
def data():
    return {(name, seed): generate(name, seed) for name in NAMES for seed in SEEDS}


@pytest.mark.parametrize("name", NAMES)
def test_different_seeds_different_data(name, data):
    frames = [data[(name, seed)].data for seed in SEEDS]
    distinct = {f.to_csv(index=False) for f in frames}
    # four draws of seven thresholds from short lists may repeat; the other tables never do
    assert len(distinct) >= (3 if name == "release_policy" else len(SEEDS))


# --- claims_triage --------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_claims_well_formed(seed, data):
    ds = data[("claims_triage", seed)]
    df = ds.data
    assert df["claim_id"].is_unique
    assert set(df["split"]) == {"train", "eval"}
    assert set(df["region"]) == set(REGIONS) and set(df["age_band"]) == set(AGE_BANDS)
    assert set(df["needs_review"]) == {0, 1}
    assert not df[list(FEATURES)].isna().any().any()
    assert ds.truth["gap_group"] in REGIONS and ds.truth["gap_attribute"] == "region"
    rates = ds.truth["label_flip_rates"]
    assert rates[ds.truth["gap_group"]] >= 0.25 > 0.05 >= max(v for r, v in rates.items() if r != ds.truth["gap_group"])
    evaluation = df[df["split"] == "eval"]
    assert evaluation.groupby("region").size().min() >= 100, "every region needs enough eval rows for a stable metric"


@pytest.mark.parametrize("seed", range(12))
def test_planted_region_is_the_clear_worst_subgroup(seed):
    """The card's known bias must be unambiguous: the planted region is the only subgroup at least 0.05
    below overall accuracy, and the worst by a margin, whoever the learner is."""
    ds = generate("claims_triage", seed)
    model = train_model(ds.data)
    evaluation = ds.data[ds.data["split"] == "eval"]
    correct = model.predict(evaluation[list(FEATURES)]) == evaluation["needs_review"].to_numpy()
    overall = correct.mean()
    gaps = {(a, g): overall - correct[(evaluation[a] == g).to_numpy()].mean()
            for a in ("region", "age_band") for g in evaluation[a].unique()}
    ranked = sorted(gaps, key=gaps.get, reverse=True)
    assert ranked[0] == ("region", ds.truth["gap_group"])
    assert gaps[ranked[0]] >= 0.10 and gaps[ranked[0]] - gaps[ranked[1]] >= 0.05


def test_directional_more_documents_fewer_reviews(data):
    """CheckList-style DIR check of the generator: complete documentation lowers the review rate."""
    df = pd.concat([data[("claims_triage", s)].data for s in SEEDS])
    low, high = df["docs_complete"].quantile([0.25, 0.75])
    assert df.loc[df["docs_complete"] <= low, "needs_review"].mean() > df.loc[df["docs_complete"] >= high, "needs_review"].mean() + 0.1


def test_model_training_is_deterministic():
    claims = generate("claims_triage", 3).data
    a, b = train_model(claims), train_model(claims)
    np.testing.assert_array_equal(a.named_steps["classifier"].coef_, b.named_steps["classifier"].coef_)


# --- data_source_registry ------------------------------------------------------------------------

def _walk(registry: pd.DataFrame) -> set[str]:
    by_id = registry.set_index("source_id")
    todo = [s for s, used in zip(registry["source_id"], registry["used_by"]) if MODEL_NAME in used.split(";")]
    seen: set[str] = set()
    while todo:
        s = todo.pop()
        if s not in seen:
            seen.add(s)
            todo += [u for u in by_id.at[s, "upstream"].split(";") if u]
    return seen


@pytest.mark.parametrize("seed", SEEDS)
def test_registry_lineage_truth(seed, data):
    ds = data[("data_source_registry", seed)]
    df = ds.data
    assert df["source_id"].is_unique
    assert set(ds.truth["lineage"]) == _walk(df)
    assert set(ds.truth["direct"]) <= set(ds.truth["lineage"])
    assert set(ds.truth["decoys"]) == set(df["source_id"]) - set(ds.truth["lineage"])
    lineage_rows = df[df["source_id"].isin(ds.truth["lineage"])]
    assert len(lineage_rows) >= 4 and (lineage_rows["upstream"] == "").any(), "a lineage at least two levels deep"
    # decoys include an older version of a lineage source (same name) and a source derived from one
    decoys = df[df["source_id"].isin(ds.truth["decoys"])]
    assert set(decoys["name"]) & set(lineage_rows["name"])
    assert any(set(u.split(";")) & set(ds.truth["lineage"]) for u in decoys["upstream"])
    assert (pd.to_datetime(df["collected_from"]) <= pd.to_datetime(df["collected_to"])).all()
    assert set(df["pii"]) <= {"none", "pseudonymized", "direct"}


# --- release_policy and release_candidates ----------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_policy_matches_truth(seed, data):
    ds = data[("release_policy", seed)]
    assert dict(zip(ds.data["standard"], ds.data["threshold"])) == ds.truth["thresholds"]
    assert set(ds.truth["thresholds"]) == set(STANDARDS)


def _independent_gate(doc: dict, t: dict) -> set[tuple[str, str]]:
    """A second, straightforward reading of the standards, to check the generator's truth."""
    out = set()

    def num(*path):
        node = doc
        for k in path:
            if not isinstance(node, dict) or node.get(k) is None:
                return None
            node = node[k]
        return node

    for standard, path in {"min_accuracy": ("metrics", "overall", "accuracy"), "max_fpr": ("metrics", "overall", "fpr"),
                           "min_safety_pass_rate": ("safety", "pass_rate"), "max_pii_leaks": ("safety", "pii_leaks"),
                           "min_card_completeness": ("model_card", "completeness")}.items():
        v = num(*path)
        if v is None or (v < t[standard] if standard.startswith("min") else v > t[standard]):
            out.add((standard, ""))
    groups = num("metrics", "by_subgroup")
    if not groups:
        return out | {("min_subgroup_recall", ""), ("max_accuracy_gap", "")}
    for attribute, members in groups.items():
        for g, m in members.items():
            if m.get("recall") is None or m["recall"] < t["min_subgroup_recall"]:
                out.add(("min_subgroup_recall", f"{attribute}={g}"))
        accuracies = [m.get("accuracy") for m in members.values()]
        if None in accuracies or max(accuracies) - min(accuracies) > t["max_accuracy_gap"]:
            out.add(("max_accuracy_gap", attribute))
    return out


@pytest.mark.parametrize("seed", (*SEEDS, 11, 12, 13))
def test_candidate_truth_is_what_the_standards_say(seed):
    ds = generate("release_candidates", seed)
    thresholds = generate("release_policy", seed).truth["thresholds"]
    violations = ds.truth["violations"]
    for cid, text in zip(ds.data["candidate_id"], ds.data["results_json"]):
        planted = {(s, g) for c, s, g in violations.itertuples(index=False) if c == cid}
        assert _independent_gate(json.loads(text), thresholds) == planted, (cid, ds.truth["faults"][cid])
    assert set(ds.truth["blocked"]) == set(violations["candidate_id"])


@pytest.mark.parametrize("seed", SEEDS)
def test_candidates_cover_every_case(seed, data):
    ds = data[("release_candidates", seed)]
    faults = ",".join(ds.truth["faults"].values())
    assert len(ds.data) - len(ds.truth["blocked"]) >= 3, "some releases must pass"
    assert any(not f for f in ds.truth["faults"].values()), "the notebook's visible gate tests start from a fault-free one"
    assert "boundary" in faults and "missing" in faults
    assert len(set(ds.truth["violations"]["standard"])) >= 5


# --- held-out variants -----------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(8))
def test_held_out_claims_plant_the_gap_in_an_age_band(seed):
    frame, truth = gen.held_out_claims(seed)
    assert truth["gap_attribute"] == "age_band" and truth["gap_group"] in AGE_BANDS
    model = train_model(frame)
    evaluation = frame[frame["split"] == "eval"]
    correct = model.predict(evaluation[list(FEATURES)]) == evaluation["needs_review"].to_numpy()
    gaps = {(a, g): correct.mean() - correct[(evaluation[a] == g).to_numpy()].mean()
            for a in ("region", "age_band") for g in evaluation[a].unique()}
    ranked = sorted(gaps, key=gaps.get, reverse=True)
    assert ranked[0] == ("age_band", truth["gap_group"])
    assert gaps[ranked[0]] >= 0.10 and gaps[ranked[0]] - gaps[ranked[1]] >= 0.05


@pytest.mark.parametrize("seed", SEEDS)
def test_held_out_registry_is_deeper_and_has_a_namesake(seed):
    frame, truth = gen.held_out_registry(seed)
    assert set(truth["lineage"]) == _walk(frame) == set(gen.lineage_of(frame, MODEL_NAME))
    learners_depth = max(_depth(generate("data_source_registry", s).data) for s in SEEDS)
    assert _depth(frame) > learners_depth
    namesake = frame[frame["used_by"] == gen.NAMESAKE_MODEL]
    assert len(namesake) == 1 and MODEL_NAME in namesake["used_by"].iloc[0]
    assert set(namesake["source_id"]).isdisjoint(truth["lineage"])
    for model, lineage in truth["other_models"].items():
        assert lineage and set(lineage) != set(truth["lineage"]), model


def _depth(registry: pd.DataFrame) -> int:
    upstream = dict(zip(registry["source_id"], registry["upstream"]))

    def depth(source: str) -> int:
        parents = [u for u in upstream[source].split(";") if u]
        return 1 + max((depth(u) for u in parents), default=0)

    return max(depth(s) for s in _walk(registry))


@pytest.mark.parametrize("seed", SEEDS)
def test_held_out_candidates_truth_and_kinds(seed):
    frame, truth = gen.held_out_candidates(seed)
    thresholds = generate("release_policy", seed).truth["thresholds"]
    for cid, text in zip(frame["candidate_id"], frame["results_json"]):
        doc = json.loads(text)
        planted = {(s, g) for c, s, g in truth["violations"].itertuples(index=False) if c == cid}
        assert _independent_gate(doc, thresholds) == planted, (cid, truth["faults"][cid])
        by_subgroup = (doc["metrics"] or {}).get("by_subgroup")
        if by_subgroup:
            assert "channel" in by_subgroup
    assert any(not f for f in truth["faults"].values())
    assert len(frame) - len(truth["blocked"]) >= 3


def test_held_out_candidates_show_every_new_kind_of_missing_input():
    faults = ",".join(f for seed in SEEDS for f in gen.held_out_candidates(seed)[1]["faults"].values())
    for kind in ("missing_by_subgroup_empty", "missing_safety_null", "missing_group_all"):
        assert kind in faults
