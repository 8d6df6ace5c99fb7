"""A grader-scored lab's notebook run and scored, fast (no nbgrader, no kernel: a forked child runs the code).

The source notebook's code cells run in one namespace, as a kernel would run them: on a learner's
materialized data and the held-out inputs the scorer prepares (grader/materialize.py), with
``hand_in`` capturing each test cell's answers as the JSON the grader would parse. Each test cell
is then scored by the lab's scorer (grader/scorers/<lab>.py). ``labs verify <lab>`` does the same
through the real nbgrader autograde, sandbox and guard; ``tests/test_<lab>_scoring.py`` use this
as the quick loop for a scorer and its held-out items.
"""
from __future__ import annotations

import json
import multiprocessing
import re
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import nbformat
import pytest

import labs.answers
from grader.materialize import grading_data
from grader.scoring import Answers, Context, scorer_for
from labs.course import load_variants
from labs.datasets import DATA_DIR_VARIABLE
from labs.progress import CELL_ID as PROGRESS_CELL_ID
from tests.conftest import REPO

matplotlib.use("Agg")

#: A fixed course secret: these runs are reproducible, and no real learner's data is made.
SECRET = bytes(range(32))
SOLUTION = re.compile(r"### BEGIN SOLUTION\n.*?### END SOLUTION\n?", re.S)


def cell_meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def released(source: str) -> str:
    """An answer cell as the release has it (nbgrader's ClearSolutions)."""
    def stub(match):
        indent = source[:match.start()].rsplit("\n", 1)[-1]
        return f"# YOUR CODE HERE\n{indent}raise NotImplementedError()\n"
    return SOLUTION.sub(stub, source)


def total(results) -> tuple[float, float]:
    return sum(r[0] for r in results.values()), sum(r[1] for r in results.values())


class InProcessLab:
    """One lab's source notebook and scorer."""

    def __init__(self, lab: str):
        self.lab = lab
        self.source = REPO / "source" / lab / f"{lab}.ipynb"
        self.scorer = scorer_for(lab)

    def notebook(self, replacements: dict[str, str] | None = None, blank: bool = False):
        """The solution, with ``replacements`` (grade_id -> source) and, if ``blank``, the release's stubs elsewhere."""
        nb = nbformat.read(self.source, as_version=4)
        for cell in nb.cells:
            grade_id = cell_meta(cell).get("grade_id")
            if cell_meta(cell).get("solution"):
                if replacements and grade_id in replacements:
                    cell.source = replacements[grade_id]
                elif blank:
                    cell.source = released(cell.source)
        return nb

    def grade(self, nb, learner: str, tmp_path: Path, monkeypatch) -> dict[str, tuple[float, float, str]]:
        """{grade_id: (points earned, points, message)} for the notebook, run in a forked child and scored here."""
        ctx = Context(lab=self.lab, learner=learner, secret=SECRET)
        folder = tmp_path / f"data-{learner}"
        grading_data(self.scorer, ctx, folder)
        monkeypatch.setenv(DATA_DIR_VARIABLE, str(folder))
        collected = _in_a_child(_run_cells, nb)
        results = {}
        for cell in nb.cells:
            if cell_meta(cell).get("grade"):
                grade_id = cell_meta(cell)["grade_id"]
                score = self.scorer.score(grade_id, Answers(collected[grade_id]), ctx)
                results[grade_id] = (score.fraction * cell_meta(cell)["points"], cell_meta(cell)["points"],
                                     score.message)
        return results


def _in_a_child(function, *args):
    """``function(*args)`` in a forked child: what the notebook's code patches (a cheat rebinding
    ``labs.answers.held_out``, say) dies with the child, as it dies with a kernel, instead of
    changing every later test in this process."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_send_result, args=(sender, function, args))
    child.start()
    sender.close()
    try:
        result = receiver.recv()
    except EOFError:
        result = None
    child.join()
    if child.exitcode != 0 or result is None:
        raise RuntimeError(f"the notebook's run ended its process (exit code {child.exitcode})")
    return result


def _send_result(sender, function, args):
    sender.send(function(*args))
    sender.close()


def _run_cells(nb) -> dict[str, dict]:
    """{grade_id: the answers its test cell handed in}: the code cells run in one namespace."""
    collected: dict[str, dict] = {}
    current: dict = {}

    def hand_in(name, value):
        current[name] = json.loads(json.dumps(labs.answers._plain(value, name)))

    labs.answers.hand_in = hand_in  # in the child only
    namespace = {"display": lambda *args, **kwargs: None, "__name__": "__main__"}
    for cell in nb.cells:
        if cell.cell_type != "code" or cell.get("id") == PROGRESS_CELL_ID:
            continue  # the progress cell reads the learner's other notebooks: no part of the lab
        current = {}
        try:
            with redirect_stdout(StringIO()):
                exec(compile(cell.source, cell_meta(cell).get("grade_id", "cell"), "exec"), namespace)
        except Exception:  # noqa: BLE001 -- a failing cell is part of what is graded
            pass
        if cell_meta(cell).get("grade"):
            collected[cell_meta(cell)["grade_id"]] = current
    plt.close("all")
    return collected


class ScorerContract:
    """What every grader-scored lab's scorer owes, run on its notebook: a test module subclasses
    it as ``class TestScorerContract(ScorerContract): lab = InProcessLab(LAB)``."""

    lab: InProcessLab
    learners = ("learner-ada", "learner-grace")

    def pytest_generate_tests(self, metafunc):
        if "learner" in metafunc.fixturenames:
            metafunc.parametrize("learner", self.learners)
        if "variant" in metafunc.fixturenames:
            metafunc.parametrize("variant", load_variants(REPO, self.lab.lab), ids=lambda v: v.name)

    def test_every_test_cell_has_a_scoring_function(self):
        nb = nbformat.read(self.lab.source, as_version=4)
        graded = {cell_meta(c)["grade_id"] for c in nb.cells if cell_meta(c).get("grade")}
        assert graded == set(self.lab.scorer.tests)

    def test_solution_earns_full_marks(self, learner, tmp_path, monkeypatch):
        results = self.lab.grade(self.lab.notebook(), learner, tmp_path, monkeypatch)
        lost = {g: r for g, r in results.items() if r[0] < r[1] - 1e-9}
        assert not lost, lost

    def test_release_earns_nothing(self, tmp_path, monkeypatch):
        results = self.lab.grade(self.lab.notebook(blank=True), "learner-blank", tmp_path, monkeypatch)
        assert {g: r[0] for g, r in results.items() if r[0]} == {}


class VariantsLandInBetween(ScorerContract):
    """The contract, and each of the lab's plausible-wrong variants earning some points but not all
    (``labs verify`` runs them through nbgrader too)."""

    @pytest.mark.slow
    def test_plausible_wrong_variants_land_in_between(self, variant, tmp_path, monkeypatch):
        earned, possible = total(self.lab.grade(self.lab.notebook(variant.cells), "learner-wrong", tmp_path, monkeypatch))
        assert 0 < earned < possible
