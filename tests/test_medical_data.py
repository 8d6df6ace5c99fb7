"""The private-training lab's generator: pure, per-seed different, and truthful about what it drew."""
from __future__ import annotations


import pytest

from labs.datasets import load, specs
from labs.datasets.medical import CORE_RISK_FACTORS, FEATURES, FLOOR_SHARE, LABEL, NAME

SEEDS = (0, 1, 7, 2026)
BINARY = ("sex_female", "smoker", "emergency_admission", LABEL)


@pytest.fixture(scope="module")
def data():
    return {seed: load(NAME, seed=seed) for seed in SEEDS}


# --- registration, purity and variation ----------------------------------------------------------

def test_registered_with_a_datasheet_for_every_column(data):
    spec = specs()[NAME]
    assert spec.title and spec.generation and spec.planted and spec.intended_use
    for ds in data.values():
        assert set(ds.data.columns) <= set(spec.fields)
    assert list(data[SEEDS[0]].data.columns) == ["patient_id", "split", *FEATURES, LABEL]


def test_different_seeds_different_data(data):
    frames = [data[seed].data for seed in SEEDS]
    assert len({tuple(f["patient_id"].head(20)) for f in frames}) == len(SEEDS)
    assert len({tuple(f["age"].head(50)) for f in frames}) == len(SEEDS)
    models = [data[seed].truth["risk_model"] for seed in SEEDS]
    assert len({tuple(sorted(m["weights"])) + tuple(m["interaction"]["features"]) for m in models}) == len(SEEDS), \
        "the risk factors should differ between learners"


# --- the frame -----------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_values_well_formed(seed, data):
    df = data[seed].data
    assert 960 <= len(df) <= 1040
    assert df["patient_id"].is_unique and df["patient_id"].str.fullmatch(r"P\d{6}").all()
    assert not df.isna().any().any()
    for column in BINARY:
        assert set(df[column]) == {0, 1}, column
    assert df["age"].between(18, 95).all() and df["bmi"].between(16, 52).all()
    assert (df["diastolic_bp"] < df["systolic_bp"]).mean() > 0.99
    assert df["hba1c"].between(4, 14).all() and df["creatinine"].between(0.3, 6).all()
    assert (df[["prior_admissions", "n_medications"]] >= 0).all().all() and (df["length_of_stay"] >= 1).all()
    assert 0.3 <= df[LABEL].mean() <= 0.55


@pytest.mark.parametrize("seed", SEEDS)
def test_clinical_correlations(seed, data):
    df = data[seed].data
    assert df["hba1c"].corr(df["glucose"]) > 0.6
    assert df["systolic_bp"].corr(df["diastolic_bp"]) > 0.4
    assert df["age"].corr(df["creatinine"]) > 0.1


# --- the split and the truth ---------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_membership_truth_is_the_split(seed, data):
    ds = data[seed]
    df, truth = ds.data, ds.truth
    train = set(df.loc[df["split"] == "train", "patient_id"])
    test = set(df.loc[df["split"] == "test", "patient_id"])
    assert set(df["split"]) == {"train", "test"} and len(train) == len(test)
    assert set(truth["members"]) == train and set(truth["non_members"]) == test
    assert not set(truth["members"]) & set(truth["non_members"])


@pytest.mark.parametrize("seed", SEEDS)
def test_split_is_independent_of_the_label(seed, data):
    # invariance: which half a patient lands in tells nothing about their outcome or risk
    ds = data[seed]
    df = ds.data
    rates = df.groupby("split")[LABEL].mean()
    assert abs(rates["train"] - rates["test"]) < 0.1
    risk = ds.truth["risk"].loc[df["patient_id"]].to_numpy()
    assert abs(risk[(df["split"] == "train").to_numpy()].mean() - risk[(df["split"] == "test").to_numpy()].mean()) < 0.06


@pytest.mark.parametrize("seed", SEEDS)
def test_risk_atypical_and_accuracies_consistent(seed, data):
    ds = data[seed]
    df, truth = ds.data, ds.truth
    risk = truth["risk"].loc[df["patient_id"]].to_numpy()
    assert ((risk > 0) & (risk < 1)).all()
    label = df[LABEL].to_numpy()
    likely = (risk > 0.5).astype(int)
    assert set(truth["atypical"]) == set(df.loc[likely != label, "patient_id"])
    assert 0.1 <= len(truth["atypical"]) / len(df) <= 0.3, "enough unusual outcomes to memorize, not noise"
    # calibration: the labels were drawn from the risk
    assert abs(label.mean() - risk.mean()) < 0.05
    assert label[risk > 0.7].mean() > 0.6 and label[risk < 0.3].mean() < 0.4
    test = (df["split"] == "test").to_numpy()
    assert truth["bayes_accuracy"] == round(float((likely[test] == label[test]).mean()), 4)
    majority = int(label[~test].mean() >= 0.5)
    assert truth["majority_accuracy"] == round(float((label[test] == majority).mean()), 4)
    assert 0.75 <= truth["bayes_accuracy"] <= 0.88
    floor = truth["utility_floor"]
    gap = truth["bayes_accuracy"] - truth["majority_accuracy"]
    assert truth["majority_accuracy"] < floor <= truth["majority_accuracy"] + FLOOR_SHARE * gap + 1e-9
    assert floor == round(floor, 2)


@pytest.mark.parametrize("seed", SEEDS)
def test_risk_rises_with_the_core_risk_factors(seed, data):
    # directional: more prior admissions or a longer stay never lowers the true risk on average
    ds = data[seed]
    weights = ds.truth["risk_model"]["weights"]
    assert all(weights[f] > 0 for f in CORE_RISK_FACTORS)
    assert set(weights) <= set(FEATURES)
    df = ds.data
    risk = ds.truth["risk"].loc[df["patient_id"]].reset_index(drop=True)
    for factor in CORE_RISK_FACTORS:
        high = df[factor] > df[factor].median()
        assert risk[high.to_numpy()].mean() > risk[~high.to_numpy()].mean(), factor


def test_learnable_but_not_trivial(data):
    # a linear model on the training half beats the majority class clearly, and stays below Bayes + noise
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    for ds in data.values():
        df = ds.data
        train = df["split"] == "train"
        scaler = StandardScaler().fit(df.loc[train, list(FEATURES)])
        model = LogisticRegression(max_iter=1000).fit(scaler.transform(df.loc[train, list(FEATURES)]), df.loc[train, LABEL])
        acc = model.score(scaler.transform(df.loc[~train, list(FEATURES)]), df.loc[~train, LABEL])
        assert ds.truth["majority_accuracy"] + 0.1 < acc < ds.truth["bayes_accuracy"] + 0.05
