"""The foundations scorer, in process: the instructor's solution earns full marks on two learners'
data and held-out sets, and degenerate answers (none, constant, identity) earn nothing.

The notebook's setup, solution and test cells run here as the grading kernel would run them, with
``hand_in`` collecting the answers and ``held_out`` reading the scorer's inputs; the scorer then
scores what was collected. ``labs verify foundations`` does the same through real nbgrader."""
from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

from grader.materialize import learner_data
from grader.scorers.foundations import scorer
from grader.scoring import Answers, Context
from labs.datasets import DATA_DIR_VARIABLE

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = REPO / "source" / "foundations" / "foundations.ipynb"
SECRET = bytes(range(32))


def _cells():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        info = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and info.get("grade_id"):
            yield info["grade_id"], info, cell.source


def run_notebook(ctx: Context, folder: Path, replacements: dict[str, str] | None = None,
                 errors: list[str] | None = None) -> dict[str, Answers]:
    """Run setup, answer and test cells for ``ctx``'s learner; the answers each test cell handed in
    (and, in ``errors``, the cells that raised)."""
    errors = [] if errors is None else errors
    learner_data(ctx, folder, scorer.datasets)
    inputs = json.loads(json.dumps(scorer.inputs(ctx)))  # as the kernel reads them: JSON
    collected: dict[str, dict] = {}
    current: dict = {}

    def hand_in(name, value):
        from labs.answers import _plain
        current[name] = json.loads(json.dumps(_plain(value, name)))

    previous = os.environ.get(DATA_DIR_VARIABLE)
    os.environ[DATA_DIR_VARIABLE] = str(folder)
    namespace: dict = {"display": lambda *a, **k: None}
    try:
        for grade_id, info, source in _cells():
            if grade_id in ("plot-tiers", "controls-table", "incidents-peek"):
                continue
            if replacements and grade_id in replacements:
                source = replacements[grade_id]
            current = {}
            namespace.update(hand_in=hand_in, held_out=lambda name: inputs[name])
            try:
                exec(compile(source, grade_id, "exec"), namespace)
            except Exception as error:  # noqa: BLE001 -- a failing cell stops; the next ones run, as in the kernel
                errors.append(f"{grade_id}: {type(error).__name__}: {error}")
            if info.get("grade") and not info.get("solution"):
                collected[grade_id] = Answers(dict(current))
            namespace.update(hand_in=hand_in, held_out=lambda name: inputs[name])
    finally:
        if previous is None:
            os.environ.pop(DATA_DIR_VARIABLE, None)
        else:
            os.environ[DATA_DIR_VARIABLE] = previous
    return collected


def scores(ctx: Context, collected: dict[str, Answers]) -> dict[str, tuple[float, str]]:
    result = {}
    for grade_id, _, _ in _cells():
        if grade_id in scorer.tests:
            score = scorer.score(grade_id, collected.get(grade_id, Answers({})), ctx)
            result[grade_id] = (score.fraction, score.message)
    return result


def test_every_test_cell_is_scored():
    graded = {g for g, info, _ in _cells() if info.get("grade") and not info.get("solution")}
    assert graded == set(scorer.tests)


@pytest.mark.parametrize("learner", ["learner-ada", "learner-grace"])
def test_solution_earns_full_marks(learner, tmp_path):
    ctx = Context("foundations", learner, SECRET)
    errors: list[str] = []
    result = scores(ctx, run_notebook(ctx, tmp_path, errors=errors))
    assert not errors
    short = {g: m for g, (f, m) in result.items() if f < 1.0}
    assert not short, short


def test_no_answers_earn_nothing():
    ctx = Context("foundations", "learner-blank", SECRET)
    assert all(f == 0.0 for f, _ in scores(ctx, {}).values())


CONSTANT = {
    "data-level": "def data_level(data_categories):\n    return 'personal'\n",
    "third-party": ("def third_party_api(system):\n    return True\n\n"
                    "def sends_personal_data_out(system):\n    return True\n\n"
                    "flagged = list(inventory['system_id'])\n"),
    "risk-tier": "def risk_points(system):\n    return 3\n\ndef risk_tier(system):\n    return 'limited'\n",
    "owasp": "def owasp_category(report):\n    return 'LLM01'\n",
    "safe-to-send": ("def luhn_valid(number):\n    return True\n\n"
                     "def safe_to_send(prompt):\n    return (False, ['blocked'])\n"),
    "threat-model": ("def build_threat_model(architecture):\n"
                     "    return [{'component': c, 'asset': 'everything', 'threat': t, 'mitigation': sorted(CONTROLS)}\n"
                     "            for c in architecture['component_id'] for t in OWASP_LLM_2025]\n"),
}
IDENTITY = {
    "data-level": "def data_level(data_categories):\n    return data_categories\n",
    "owasp": "def owasp_category(report):\n    return report\n",
    "safe-to-send": "def luhn_valid(number):\n    return True\n\ndef safe_to_send(prompt):\n    return prompt\n",
}


IDENTITY_CELLS = {"test-data-level", "test-owasp-examples", "test-owasp-scenarios", "test-owasp-holdout",
                  "test-safe-to-send-examples", "test-safe-to-send-batch", "test-safe-to-send-holdout"}


@pytest.mark.parametrize("answers, cells", [(CONSTANT, None), (IDENTITY, IDENTITY_CELLS)], ids=["constant", "identity"])
def test_degenerate_answers_earn_nothing(answers, cells, tmp_path):
    ctx = Context("foundations", "learner-cheat", SECRET)
    result = scores(ctx, run_notebook(ctx, tmp_path, answers))
    earned = {g: m for g, (f, m) in result.items() if f > 0 and (cells is None or g in cells)}
    assert not earned, earned


def _cheats():
    import tomllib

    with (REPO / "tests" / "cheating" / "foundations.toml").open("rb") as handle:
        return tomllib.load(handle)["cheat"]


def _release_answers() -> dict[str, str]:
    nb = nbformat.read(REPO / "release" / "foundations" / "foundations.ipynb", as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


# labs verify grades them all; here only those that need neither a real IPython kernel (the escapes,
# the history manager) nor a process without the grader (the registry and import cheats)
IN_KERNEL_ONLY = ("history-manager", "grader-import", "generator-registry", "old-generator-module")


@pytest.mark.parametrize("cheat", [c for c in _cheats() if "escape" not in c["name"] and c["name"] not in IN_KERNEL_ONLY],
                         ids=lambda c: c["name"])
def test_cheats_earn_nothing_in_process(cheat, tmp_path):
    ctx = Context("foundations", f"cheat-{cheat['name']}", SECRET)
    result = scores(ctx, run_notebook(ctx, tmp_path, {**_release_answers(), **cheat["cells"]}))
    earned = {g: m for g, (f, m) in result.items() if f > 0}
    assert not earned, earned
