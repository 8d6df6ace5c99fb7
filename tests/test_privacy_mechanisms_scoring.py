"""The privacy-mechanisms lab's grader-side scoring, in process (no nbgrader, no kernel).

The source notebook's code cells run in one namespace, as a kernel would run them: on a learner's
materialized data and the held-out inputs the scorer prepares (grader/materialize.py), with
``hand_in`` capturing each test cell's answers as the JSON the grader would parse. Each test cell
is then scored by grader/scorers/privacy_mechanisms.py. ``labs verify privacy-mechanisms`` does the
same through the real nbgrader autograde, sandbox and guard; this file is the quick loop.
"""
from __future__ import annotations

import numpy as np
import pytest

from grader.scoring import Answers, Context
from tests.conftest import REPO
from tests.scoring_harness import VariantsLandInBetween, SECRET, InProcessLab, cell_meta

LAB = "privacy-mechanisms"
LAB_RUN = InProcessLab(LAB)
SOURCE, scorer = LAB_RUN.source, LAB_RUN.scorer
notebook, grade, _meta = LAB_RUN.notebook, LAB_RUN.grade, cell_meta


class TestScorerContract(VariantsLandInBetween):
    lab = LAB_RUN


DEGENERATE = {
    "sensitivity": ("def clip(values, upper):\n    return np.asarray(values, dtype=float)\n\n"
                    "def sensitivity(query, upper=None, n=None):\n    return 1.0"),
    "laplace": "def laplace_mechanism(value, sensitivity, epsilon, rng):\n    return float(value)",
    "gaussian": ("def gaussian_sigma(sensitivity, epsilon, delta):\n    return 1.0\n\n"
                 "def gaussian_mechanism(value, sensitivity, epsilon, delta, rng):\n    return float(value + rng.normal(0, 1e-9))"),
    "dp-mean": "def dp_mean(values, upper, epsilon, rng):\n    return 0.0",
    "accountant": ("class BudgetAccountant:\n    def __init__(self, epsilon, delta=0.0):\n        pass\n\n"
                   "    spent = (0.0, 0.0)\n    remaining = (1.0, 0.0)\n\n    def spend(self, epsilon, delta=0.0):\n        pass"),
    "randomized-response": ("def randomized_response(answers, p_truth, rng):\n    return np.asarray(answers, dtype=bool)\n\n"
                            "def rr_epsilon(p_truth):\n    return 1.0\n\n"
                            "def rr_estimate(responses, p_truth):\n    return float(np.mean(responses))"),
    "differencing-attack": "def differencing_attack(total_salary, departments, department, start_date):\n    return 100000.0",
    "dp-dashboard": ("def dp_total_salary(df, departments, epsilon, rng, hired_before=None, accountant=None):\n"
                     "    rows = df[df['department'].isin(departments)]\n"
                     "    return float(rows['salary'].clip(0, SALARY_CAP).sum())"),
}


def test_degenerate_answers_earn_nothing(tmp_path, monkeypatch):
    """Constants, no noise, too little noise, echoed answers: nothing (the visible checks are bypassed)."""
    from grader.scorers import privacy_mechanisms as scoring

    ctx = Context(lab=LAB, learner="learner-degenerate", secret=SECRET)
    inputs = scoring.inputs(ctx)
    rng = np.random.default_rng(0)
    cases = {
        "test-sensitivity": {"held-out": [1.0] * len(inputs["sensitivity"]), "clip": [c["values"] for c in inputs["clip"]]},
        "test-laplace": {"held-out": [[c["value"]] * c["draws"] for c in inputs["laplace"]],
                         "again": [inputs["laplace"][0]["value"]] * scoring.REPEAT},
        "test-gaussian-sigma": {"held-out": [1.0] * len(inputs["gaussian_sigma"])},
        # the raw mean with almost no noise
        "test-dp-mean": {"held-out": [list(np.mean(c["values"]) + rng.laplace(0, 1e-3, c["draws"]))
                                      for c in inputs["dp_mean"]]},
        "test-rr-estimate": {"held-out": [float(np.mean(c["responses"])) for c in inputs["rr_estimate"]]},
        "test-differencing-attack": {"held-out": [100_000.0] * len(inputs["dashboards"])},
        "test-accountant": {"held-out": [{"outcomes": ["answered"] * len(c["queries"]), "spent": [[0.0, 0.0]] * len(c["queries"])}
                                         for c in inputs["accountant"]]},
    }
    cases["test-dp-mean"]["again"] = cases["test-dp-mean"]["held-out"][0][:scoring.REPEAT]
    for grade_id, values in cases.items():
        score = scorer.score(grade_id, Answers(values), ctx)
        assert score.fraction == 0, (grade_id, score.message)


def test_degenerate_notebook_earns_nothing(tmp_path, monkeypatch):
    results = grade(notebook(DEGENERATE, blank=True), "learner-degenerate", tmp_path, monkeypatch)
    assert {g: r for g, r in results.items() if r[0]} == {}


def test_noise_from_elsewhere_or_a_tenth_too_little_earns_nothing(tmp_path, monkeypatch):
    cells = {"laplace": "def laplace_mechanism(value, sensitivity, epsilon, rng):\n"
                        "    return float(value + rng.laplace(0.0, 0.9 * sensitivity / epsilon))",
             "gaussian": ("def gaussian_sigma(sensitivity, epsilon, delta):\n"
                          "    return math.sqrt(2 * math.log(1.25 / delta)) * sensitivity / epsilon\n\n"
                          "def gaussian_mechanism(value, sensitivity, epsilon, delta, rng):\n"
                          "    return float(value + np.random.normal(0.0, gaussian_sigma(sensitivity, epsilon, delta)))")}
    results = grade(notebook(cells), "learner-too-little", tmp_path, monkeypatch)
    assert results["test-laplace"][0] == 0 and results["test-gaussian-mechanism"][0] == 0
    assert results["test-gaussian-sigma"][0] == results["test-gaussian-sigma"][1]


def _cheats() -> list[dict]:
    import tomllib

    with (REPO / "tests" / "cheating" / f"{LAB}.toml").open("rb") as handle:
        return tomllib.load(handle)["cheat"]


@pytest.mark.slow
@pytest.mark.parametrize("cheat", _cheats(), ids=lambda c: c["name"])
def test_cheats_earn_nothing_in_process(cheat, tmp_path, monkeypatch):
    """In process the grader is importable and hand_in is the test's: the scoring alone must stop them."""
    results = grade(notebook(cheat["cells"], blank=True), f"cheat-{cheat['name']}", tmp_path, monkeypatch)
    assert {g: r for g, r in results.items() if r[0]} == {}
