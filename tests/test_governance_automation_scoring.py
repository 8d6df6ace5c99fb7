"""The governance-automation lab's grader-side scoring, in process and fast (no nbgrader, no kernel).

The source notebook's code cells run in one namespace, as a kernel would run them: on a learner's
materialized data and the held-out inputs the scorer prepares (grader/materialize.py), with
``hand_in`` capturing each test cell's answers as the JSON the grader would parse. Each test cell
is then scored by grader/scorers/governance_automation.py. ``labs verify governance-automation`` does the same through
the real nbgrader autograde, sandbox and guard; this file is the quick loop for the scorer.
"""
from __future__ import annotations

import tomllib

import pytest

from tests.conftest import REPO
from tests.scoring_harness import VariantsLandInBetween, InProcessLab, cell_meta

LAB = "governance-automation"
LAB_RUN = InProcessLab(LAB)
SOURCE, scorer = LAB_RUN.source, LAB_RUN.scorer
notebook, grade, _meta = LAB_RUN.notebook, LAB_RUN.grade, cell_meta


class TestScorerContract(VariantsLandInBetween):
    lab = LAB_RUN


CHEATS = tomllib.loads((REPO / "tests" / "cheating" / f"{LAB}.toml").read_text(encoding="utf-8"))["cheat"]
#: Cheats that only fail where the grading sandbox is: grader/ is importable in this process.
NEEDS_THE_SANDBOX = {"grader-import"}


@pytest.mark.slow
@pytest.mark.parametrize("cheat", [c for c in CHEATS if c["name"] not in NEEDS_THE_SANDBOX], ids=lambda c: c["name"])
def test_in_process_cheats_earn_nothing(cheat, tmp_path, monkeypatch):
    results = grade(notebook(cheat["cells"], blank=True), f"cheat-{cheat['name']}", tmp_path, monkeypatch)
    assert {g: r for g, r in results.items() if r[0]} == {}


def test_the_namesake_model_and_an_invented_card_earn_nothing_on_the_card(tmp_path, monkeypatch):
    """A substring test on used_by walks the namesake in; a card whose numbers are not the model's loses
    every number-dependent point even when its known bias happens to be the planted one."""
    solution = {_meta(c)["grade_id"]: c.source for c in notebook().cells if _meta(c).get("solution")}
    substring = solution["lineage"].replace('model_name in [m for m in str(row["used_by"]).split(";") if m]',
                                            'model_name in str(row["used_by"])')
    assert substring != solution["lineage"]
    results = grade(notebook({"lineage": substring}), "learner-substring", tmp_path, monkeypatch)
    assert results["test-lineage"][0] < results["test-lineage"][1]
    inflated = solution["model-card"].replace('overall = subgroup_metrics(truth, predicted)',
                                              'overall = {**subgroup_metrics(truth, predicted), "precision": 0.99}')
    assert inflated != solution["model-card"]
    results = grade(notebook({"model-card": inflated}), "learner-inflated", tmp_path, monkeypatch)
    assert results["test-card-metrics"][0] < 3 and results["test-card-holdout"][0] < 3
