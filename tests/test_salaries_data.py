"""The privacy-mechanisms lab's generators (grader-side) and statistics: pure, per-seed different, truthful;
the held-out dashboards answer what their payroll says and isolate their newcomer."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from labs.checks import CheckFailed
from grader.datasets import generate, specs
from grader.datasets.salaries import SALARY_CAP, SURVEY_QUESTION
from grader.scorers.privacy_mechanisms import DASHBOARD_KINDS, _dashboards, gaussian_delta
from grader.scoring import Context
from labs.privacy import (QueryRefused, as_number, check_distribution, check_reproducible, check_share, check_unbiased,
                          check_variance, draws, published_dashboard)

SEEDS = (0, 1, 7, 2026)
NAMES = ("salaries", "health_survey")


@pytest.fixture(scope="module")
def data():
    return {(name, seed): generate(name, seed) for name in NAMES for seed in SEEDS}


# --- purity and variation ------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_different_seeds_different_data(name, data):
    frames = [data[(name, seed)].data for seed in SEEDS]
    for a, b in zip(frames, frames[1:]):
        assert not (a.shape == b.shape and a.equals(b))
    column = {"salaries": "employee_id", "health_survey": "respondent_id"}[name]
    assert len({tuple(f[column].head(20)) for f in frames}) == len(frames)


def test_truth_differs_per_seed(data):
    targets = {data[("salaries", s)].truth["target"]["employee_id"] for s in SEEDS}
    rates = {round(data[("health_survey", s)].truth["true_rate"], 6) for s in SEEDS}
    assert len(targets) == len(SEEDS) and len(rates) == len(SEEDS)


# --- salaries ------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_salary_values_well_formed(seed, data):
    ds = data[("salaries", seed)]
    df = ds.data
    assert list(df.columns) == list(specs()["salaries"].fields)
    assert df["employee_id"].is_unique and df["employee_id"].str.fullmatch(r"E\d{5}").all()
    assert len(df) == ds.truth["n"] and 420 <= len(df) <= 620
    assert 5 <= df["department"].nunique() <= 7
    assert pd.to_datetime(df["start_date"], format="%Y-%m-%d").notna().all()
    assert (df["salary"] > 0).all() and df["salary"].dtype.kind == "i"
    assert df["age"].between(21, 66).all() and (df["sick_days"] >= 0).all()
    assert df["chronic_condition"].dtype == bool and 0.05 < df["chronic_condition"].mean() < 0.35
    # chronic conditions come with more sick days (directional)
    assert df.loc[df["chronic_condition"], "sick_days"].mean() > df.loc[~df["chronic_condition"], "sick_days"].mean()


@pytest.mark.parametrize("seed", SEEDS)
def test_outliers_are_above_the_cap_and_matter(seed, data):
    ds = data[("salaries", seed)]
    df = ds.data
    assert ds.truth["salary_cap"] == SALARY_CAP
    outliers = ds.truth["outliers"]
    assert 3 <= len(outliers) and set(outliers) == set(df.loc[df["salary"] > SALARY_CAP, "employee_id"])
    executives = df[df["job_level"] == "Executive"]
    assert set(executives["employee_id"]) <= set(outliers)
    # clipping moves the mean by more than twice the noise of one DP mean at epsilon = 1 (and by
    # far more than the standard error over the lab's thousands of releases)
    bias = df["salary"].mean() - np.clip(df["salary"], 0, SALARY_CAP).mean()
    assert bias > 2 * math.sqrt(2) * SALARY_CAP / len(df)


@pytest.mark.parametrize("seed", SEEDS)
def test_differencing_target_is_isolated(seed, data):
    ds = data[("salaries", seed)]
    df, target = ds.data, ds.truth["target"]
    row = df.set_index("employee_id").loc[target["employee_id"]]
    assert (row["name"], row["department"], row["start_date"], row["salary"]) == \
        (target["name"], target["department"], target["start_date"], target["salary"])
    dept = df[df["department"] == target["department"]]
    assert (dept["start_date"] >= target["start_date"]).sum() == 1, "the target is the only newest hire"
    assert len(dept) >= 10, "the department passes a minimum-group-size rule"
    # the two exact totals differ by exactly the target's salary
    before = dept[dept["start_date"] < target["start_date"]]
    assert dept["salary"].sum() - before["salary"].sum() == target["salary"]
    # the target is an ordinary employee, so clipping leaves their salary intact
    assert target["salary"] < SALARY_CAP and target["employee_id"] not in ds.truth["outliers"]


def test_target_department_invariant_to_row_order(data):
    # CheckList-style invariance: shuffling rows does not change what the attack recovers
    ds = data[("salaries", SEEDS[2])]
    df, target = ds.data.sample(frac=1.0, random_state=0), ds.truth["target"]
    dept = df[df["department"] == target["department"]]
    assert dept["salary"].sum() - dept.loc[dept["start_date"] < target["start_date"], "salary"].sum() == target["salary"]


# --- health survey -------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_survey_truth_consistent(seed, data):
    ds = data[("health_survey", seed)]
    df = ds.data
    assert df["respondent_id"].is_unique and len(df) == ds.truth["n"]
    assert df["answer"].dtype == bool
    assert ds.truth["true_rate"] == pytest.approx(df["answer"].mean())
    assert 0.05 < ds.truth["true_rate"] < 0.45
    assert ds.truth["question"] == SURVEY_QUESTION
    # younger bands answer yes more often (directional), over enough seeds to see it
    young = df[df["age_band"].isin(["20-29", "30-39"])]["answer"].mean()
    old = df[df["age_band"].isin(["50-59", "60+"])]["answer"].mean()
    assert young > old - 0.05


def test_survey_rate_spread_across_seeds():
    rates = [generate("health_survey", s).truth["true_rate"] for s in range(30)]
    assert min(rates) < 0.17 and max(rates) > 0.27


# --- scoring helpers -----------------------------------------------------------------------------

def test_statistical_checks_accept_correct_laplace_and_reject_inverted_scale():
    rng = np.random.default_rng(0)
    good = draws(lambda: 10.0 + rng.laplace(0, 4.0), 20000, "m")
    check_unbiased(good, 10.0, math.sqrt(2) * 4.0, "m")
    check_variance(good, 2 * 16.0, "m", "laplace")
    check_distribution(good, stats.laplace(10.0, 4.0), "m")
    bad = draws(lambda: 10.0 + rng.laplace(0, 0.25), 20000, "m")
    with pytest.raises(CheckFailed, match="standard deviation"):
        check_variance(bad, 2 * 16.0, "m", "laplace")
    with pytest.raises(CheckFailed, match="Kolmogorov-Smirnov"):
        check_distribution(bad, stats.laplace(10.0, 4.0), "m")


def test_checks_do_not_fail_correct_mechanisms_by_chance():
    # many independent seeds: a 5-sigma check should never fire on a correct mechanism
    for seed in range(40):
        rng = np.random.default_rng(seed)
        s = rng.normal(3.0, 2.0, 2000)
        check_unbiased(s, 3.0, 2.0, "g")
        check_variance(s, 4.0, "g", "gaussian")
        lap = rng.laplace(0.0, 1.0, 2000)
        check_variance(lap, 2.0, "l", "laplace")
        check_share(int((rng.random(3000) < 0.3).sum()), 3000, 0.3, "b")


def test_biased_mean_is_caught():
    rng = np.random.default_rng(1)
    with pytest.raises(CheckFailed, match="biased"):
        check_unbiased(rng.laplace(1.0, 1.0, 5000), 0.0, math.sqrt(2), "m")


def test_as_number_and_reproducibility_helpers():
    assert as_number(np.float64(2.5), "f") == 2.5 and as_number(np.array(3.0), "f") == 3.0
    for bad in ("1", None, [1.0], True, float("nan")):
        with pytest.raises(CheckFailed):
            as_number(bad, "f")
    check_reproducible(lambda rng: float(rng.laplace()), "f")
    with pytest.raises(CheckFailed, match="seeded alike"):
        check_reproducible(lambda rng: float(np.random.laplace()), "f")
    with pytest.raises(CheckFailed, match="same output"):
        check_reproducible(lambda rng: 1.0, "f")


def test_gaussian_delta_oracle():
    # the classic calibration is private by the exact analysis; forgetting delta is not
    for eps, delta in ((0.1, 1e-5), (0.5, 1e-7), (0.9, 1e-3)):
        sigma = math.sqrt(2 * math.log(1.25 / delta)) / eps
        assert gaussian_delta(sigma, 1.0, eps) <= delta
        assert gaussian_delta(1.0 / eps, 1.0, eps) > 100 * delta
    # scale invariance: only sigma / sensitivity matters
    assert gaussian_delta(3.0, 1.0, 0.5) == pytest.approx(gaussian_delta(300.0, 100.0, 0.5))
    # more noise, smaller delta (directional)
    assert gaussian_delta(5.0, 1.0, 0.5) < gaussian_delta(3.0, 1.0, 0.5)


# --- held-out dashboards -------------------------------------------------------------------------

@pytest.mark.parametrize("learner", ["learner-ada", "learner-grace"])
def test_held_out_dashboards_are_truthful_and_refuse_the_newcomers_department(learner):
    ctx = Context(lab="privacy-mechanisms", learner=learner, secret=bytes(range(32)))
    dashboards = _dashboards(ctx)
    assert len(dashboards) == len(DASHBOARD_KINDS)
    for case, salary in dashboards:
        total_salary = published_dashboard(case["answers"])
        department, date = case["department"], case["start_date"]
        if case["min_group"] > 5:  # the newcomer's department is below the minimum group
            with pytest.raises(QueryRefused):
                total_salary([department])
        if "nearly everyone" in case["kind"]:
            with pytest.raises(QueryRefused):
                total_salary(case["departments"])
        # the published answers are exact: a padded difference isolates the newcomer
        for pad in case["departments"]:
            try:
                padded = total_salary([department, pad]) - total_salary([department, pad], hired_before=date)
                padding = total_salary([pad]) - total_salary([pad], hired_before=date)
            except QueryRefused:
                continue
            if pad != department:
                assert padded - padding == salary
                break
        else:
            pytest.fail(f"no padding answers the held-out dashboard ({case['kind']})")
        assert salary >= 38_000
    assert len({case["start_date"] for case, _ in dashboards}) == len(dashboards), "other companies, other newcomers"
