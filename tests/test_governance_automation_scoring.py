"""The governance-automation lab's grader-side scoring, in process and fast (no nbgrader, no kernel).

The source notebook's code cells run in one namespace, as a kernel would run them: on a learner's
materialized data and the held-out inputs the scorer prepares (grader/materialize.py), with
``hand_in`` capturing each test cell's answers as the JSON the grader would parse. Each test cell
is then scored by grader/scorers/governance_automation.py. ``labs verify governance-automation`` does the same through
the real nbgrader autograde, sandbox and guard; this file is the quick loop for the scorer.
"""
from __future__ import annotations

import json
import re
import tomllib
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import nbformat
import pytest

import labs.answers
from grader.materialize import grading_data
from grader.scoring import Answers, Context
from grader.scorers.governance_automation import scorer
from labs.course import load_variants
from labs.datasets import DATA_DIR_VARIABLE
from tests.conftest import REPO

matplotlib.use("Agg")

LAB = "governance-automation"
SOURCE = REPO / "source" / LAB / f"{LAB}.ipynb"
SECRET = bytes(range(32))
SOLUTION = re.compile(r"### BEGIN SOLUTION\n.*?### END SOLUTION\n?", re.S)


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def released(source: str) -> str:
    """An answer cell as the release has it (nbgrader's ClearSolutions)."""
    def stub(match):
        indent = source[:match.start()].rsplit("\n", 1)[-1]
        return f"# YOUR CODE HERE\n{indent}raise NotImplementedError()\n"
    return SOLUTION.sub(stub, source)


def notebook(replacements: dict[str, str] | None = None, blank: bool = False):
    nb = nbformat.read(SOURCE, as_version=4)
    for cell in nb.cells:
        grade_id = _meta(cell).get("grade_id")
        if _meta(cell).get("solution"):
            if replacements and grade_id in replacements:
                cell.source = replacements[grade_id]
            elif blank:
                cell.source = released(cell.source)
    return nb


def grade(nb, learner: str, tmp_path: Path, monkeypatch) -> dict[str, tuple[float, float, str]]:
    """{grade_id: (points earned, points, message)} for the notebook, run in process."""
    ctx = Context(lab=LAB, learner=learner, secret=SECRET)
    folder = tmp_path / f"data-{learner}"
    grading_data(scorer, ctx, folder)
    monkeypatch.setenv(DATA_DIR_VARIABLE, str(folder))
    collected: dict[str, dict] = {}
    current: dict = {}

    def hand_in(name, value):
        current[name] = json.loads(json.dumps(labs.answers._plain(value, name)))

    monkeypatch.setattr(labs.answers, "hand_in", hand_in)
    namespace = {"display": lambda *args, **kwargs: None, "__name__": "__main__"}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        current = {}
        try:
            with redirect_stdout(StringIO()):
                exec(compile(cell.source, _meta(cell).get("grade_id", "cell"), "exec"), namespace)
        except Exception:  # noqa: BLE001 -- a failing cell is part of what is graded
            pass
        if _meta(cell).get("grade"):
            collected[_meta(cell)["grade_id"]] = current
    plt.close("all")
    results = {}
    for cell in nb.cells:
        if _meta(cell).get("grade"):
            grade_id = _meta(cell)["grade_id"]
            score = scorer.score(grade_id, Answers(collected[grade_id]), ctx)
            results[grade_id] = (score.fraction * _meta(cell)["points"], _meta(cell)["points"], score.message)
    return results


def total(results) -> tuple[float, float]:
    return sum(r[0] for r in results.values()), sum(r[1] for r in results.values())


def test_every_test_cell_has_a_scoring_function():
    nb = nbformat.read(SOURCE, as_version=4)
    graded = {_meta(c)["grade_id"] for c in nb.cells if _meta(c).get("grade")}
    assert graded == set(scorer.tests)


@pytest.mark.parametrize("learner", ["learner-ada", "learner-grace"])
def test_solution_earns_full_marks(learner, tmp_path, monkeypatch):
    results = grade(notebook(), learner, tmp_path, monkeypatch)
    lost = {g: r for g, r in results.items() if r[0] < r[1] - 1e-9}
    assert not lost, lost


def test_release_earns_nothing(tmp_path, monkeypatch):
    results = grade(notebook(blank=True), "learner-blank", tmp_path, monkeypatch)
    assert {g: r[0] for g, r in results.items() if r[0]} == {}


@pytest.mark.slow
@pytest.mark.parametrize("variant", load_variants(REPO, LAB), ids=lambda v: v.name)
def test_plausible_wrong_variants_land_in_between(variant, tmp_path, monkeypatch):
    earned, possible = total(grade(notebook(variant.cells), "learner-wrong", tmp_path, monkeypatch))
    assert 0 < earned < possible


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
