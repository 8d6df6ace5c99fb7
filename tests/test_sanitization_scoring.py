"""The sanitization lab's grader-side scoring, in process and fast (no nbgrader, no kernel).

The source notebook's code cells run in one namespace, as a kernel would run them: on a learner's
materialized data and the held-out inputs the scorer prepares (grader/materialize.py), with
``hand_in`` capturing each test cell's answers as the JSON the grader would parse. Each test cell
is then scored by grader/scorers/sanitization.py. ``labs verify sanitization`` does the same through
the real nbgrader autograde, sandbox and guard; this file is the quick loop for the scorer and the
instructor-curated held-out items (grader/heldout/sanitization/*.toml).
"""
from __future__ import annotations

import json
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
from grader.scoring import Answers, Context
from grader.scorers.sanitization import scorer
from labs.course import load_variants
from labs.datasets import DATA_DIR_VARIABLE
from tests.conftest import REPO

matplotlib.use("Agg")

LAB = "sanitization"
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


DEGENERATE = {
    "column-categories": ('def classify_column(name, values):\n    return "direct"\n\n'
                          'column_categories = {c: classify_column(c, customers[c]) for c in customers.columns}'),
    "find-pii": ("def luhn_valid(number):\n    return True\n\ndef find_pii(text):\n    return []"),
    "redact": 'def redact(text, spans):\n    return ""',
    "dictionary-attack": "def dictionary_attack(hashes, candidates):\n    return {h: h for h in hashes}",
    "pseudonymize": 'def pseudonymize(value, key):\n    return "0" * 64',
    "k-anonymity": "def k_anonymity(df, quasi_identifiers):\n    return 1\n\nQUASI_IDENTIFIERS = ['zip', 'birth_date', 'sex']",
    "generalize": ("def generalize(customers, k=5):\n    return customers[['zip', 'birth_date', 'sex', 'diagnosis']]"
                   ".rename(columns={'birth_date': 'birth_year'}).iloc[:0]\n\nrelease = generalize(customers)"),
    "linkage": ("def link(release, roll, on=('zip', 'birth_date', 'sex')):\n"
                "    return release[['release_id']].merge(roll[['voter_id']], how='cross')\n\n"
                "links = link(deidentified, roll)"),
    "duplicates": ("def find_duplicates(customers):\n    ids = list(customers['customer_id'])\n"
                   "    return {(a, b) for a, b in zip(ids, ids[1:])}\n\nduplicates = find_duplicates(customers)"),
}


def test_degenerate_answers_earn_nothing(tmp_path, monkeypatch):
    results = grade(notebook(DEGENERATE, blank=True), "learner-degenerate", tmp_path, monkeypatch)
    assert {g: r for g, r in results.items() if r[0]} == {}


def test_identity_redaction_earns_nothing_and_the_pipeline_needs_the_text(tmp_path, monkeypatch):
    solution_cells = {_meta(c)["grade_id"]: c.source for c in notebook().cells if _meta(c).get("solution")}
    cells = {"redact": "def redact(text, spans):\n    return text"}
    results = grade(notebook(cells), "learner-identity", tmp_path, monkeypatch)
    assert results["test-redact"][0] == 0 and results["test-redact-pipeline"][0] == 0
    # a redactor that drops everything but the placeholders leaks nothing and keeps nothing
    cells = {"redact": "def redact(text, spans):\n    return ''.join(f'[{k}]' for _, _, k in sorted(spans))"}
    results = grade(notebook(cells), "learner-placeholders", tmp_path, monkeypatch)
    assert results["test-redact"][0] == 0 and results["test-redact-pipeline"][0] == 0
    assert solution_cells  # the solution's own cells were kept everywhere else


def test_the_scorer_knows_the_notebooks_worked_examples():
    import ast

    from grader.scorers import sanitization as scoring

    cells = {c.id: c.source for c in nbformat.read(SOURCE, as_version=4).cells}

    def literal(cell_id: str, name: str):
        tree = ast.parse(cells[cell_id])
        node = next(n for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == name)
        return ast.literal_eval(node.value)

    assert literal("test-find-pii-examples", "_EXAMPLES") == scoring.VISIBLE_PII_EXAMPLES
    assert literal("test-find-pii-holdout", "_FORMATS") == scoring.VISIBLE_FORMAT_EXAMPLES
    assert literal("test-redact", "_text") == scoring._REDACT_TEXT
