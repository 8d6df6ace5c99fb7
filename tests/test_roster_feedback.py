"""The learners' feedback cell: its exact form, and a reader that never executes learner code and
shrugs off a deleted, emptied or malformed cell (hand-made notebooks, no kernel)."""
from __future__ import annotations

import nbformat
import pytest

from labs.roster.feedback import (CELL_ID, CELL_SOURCE, add_feedback_cell, collect_feedback, feedback_cell,
                                  notebook_feedback, parse_feedback)

FILLED = CELL_SOURCE.replace('"minutes_spent": None', '"minutes_spent": 75') \
    .replace('"difficulty": None', '"difficulty": 4') \
    .replace('"comments": ""', '"comments": "Exercise 3\'s hint,\\n\\"k-anonymity\\" was unclear"')


def test_the_cell_is_exactly_the_specified_one():
    cell = feedback_cell()
    assert cell.cell_type == "code" and cell.id == "lab-feedback"
    assert cell.source.splitlines() == [
        "# Your feedback on this lab (ungraded; read by the course owners for the quarterly update).",
        "LAB_FEEDBACK = {",
        '    "minutes_spent": None,  # e.g. 75',
        '    "difficulty": None,  # 1 (too easy) to 5 (too hard)',
        '    "comments": "",  # what was unclear, broken or missing?',
        "}",
    ]
    assert "nbgrader" not in cell.metadata  # ungraded: nbgrader leaves it alone
    namespace: dict = {}
    exec(compile(cell.source, "feedback", "exec"), namespace)  # it runs as-is in the lab
    assert namespace["LAB_FEEDBACK"] == {"minutes_spent": None, "difficulty": None, "comments": ""}


def test_adding_the_cell_is_idempotent_and_valid():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Lab"), feedback_cell(),
                                               nbformat.v4.new_code_cell("x = 1")])
    add_feedback_cell(notebook)
    add_feedback_cell(notebook)
    assert [c.get("id") for c in notebook.cells][-1] == CELL_ID
    assert sum(c.get("id") == CELL_ID for c in notebook.cells) == 1
    nbformat.validate(notebook)


def test_parse_filled_cell():
    assert parse_feedback(FILLED) == {"minutes_spent": 75, "difficulty": 4,
                                      "comments": "Exercise 3's hint, \"k-anonymity\" was unclear"}


@pytest.mark.parametrize("source, expected", [
    ("LAB_FEEDBACK = {'minutes_spent': -5, 'difficulty': 9, 'comments': 42}",
     {"minutes_spent": None, "difficulty": None, "comments": ""}),  # out of range / wrong types dropped
    ("LAB_FEEDBACK = {'minutes_spent': True, 'difficulty': 2.6}",
     {"minutes_spent": None, "difficulty": 3, "comments": ""}),
    ("x = 1\nLAB_FEEDBACK = dict(minutes_spent=5)", None),  # not a literal: never evaluated
    ("LAB_FEEDBACK = {'comments': __import__('os').system('echo pwned')}", None),
    ("LAB_FEEDBACK = {'minutes_spent': 30,", None),  # syntax error
    ("LAB_FEEDBACK = [1, 2]", None),
    ("# the learner deleted everything", None),
    ("", None),
])
def test_parse_is_tolerant_and_never_executes(source, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert parse_feedback(source) == expected


def _notebook(path, cells):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def test_notebook_reader(tmp_path):
    tagged = feedback_cell()
    tagged.source = FILLED
    found = notebook_feedback(_notebook(tmp_path / "a.ipynb", [nbformat.v4.new_code_cell("x = 1"), tagged]))
    assert found["difficulty"] == 4
    # Re-created by the learner (new id): found by its assignment.
    recreated = nbformat.v4.new_code_cell(FILLED.replace('"difficulty": 4', '"difficulty": 2'))
    assert notebook_feedback(_notebook(tmp_path / "b.ipynb", [recreated]))["difficulty"] == 2
    # Deleted cell, broken JSON, missing file.
    assert notebook_feedback(_notebook(tmp_path / "c.ipynb", [nbformat.v4.new_code_cell("x = 1")])) is None
    (tmp_path / "d.ipynb").write_text("{not json")
    assert notebook_feedback(tmp_path / "d.ipynb") is None
    assert notebook_feedback(tmp_path / "missing.ipynb") is None
    # The tagged cell made unparsable: a later untagged copy still counts, else nothing.
    broken = feedback_cell()
    broken.source = "LAB_FEEDBACK = {"
    assert notebook_feedback(_notebook(tmp_path / "e.ipynb", [broken])) is None


def test_collect_prefers_autograded_and_skips_empty_feedback(tmp_path):
    def cell(source):
        c = feedback_cell()
        c.source = source
        return c
    _notebook(tmp_path / "autograded/ana/alpha/alpha.ipynb", [cell(FILLED)])
    _notebook(tmp_path / "submitted/ana/alpha/alpha.ipynb", [cell(FILLED.replace("75", "10"))])
    _notebook(tmp_path / "submitted/ben/alpha/alpha.ipynb", [cell(FILLED.replace("75", "20"))])  # not graded yet
    _notebook(tmp_path / "autograded/cy/alpha/alpha.ipynb", [feedback_cell()])  # left as released
    _notebook(tmp_path / "autograded/cy/beta/beta.ipynb", [nbformat.v4.new_code_cell("x = 1")])  # deleted
    _notebook(tmp_path / "autograded/ana/other/other.ipynb", [cell(FILLED)])  # not in the curriculum
    found, cache = collect_feedback(tmp_path, ["alpha", "beta"])
    assert [(f.learner_id, f.assignment, f.minutes_spent) for f in found] == [("ana", "alpha", 75),
                                                                              ("ben", "alpha", 20)]
    assert set(cache) == {("ana", "alpha"), ("ben", "alpha"), ("cy", "alpha"), ("cy", "beta")}
    assert collect_feedback(tmp_path, ["alpha"], students={"ben"})[0][0].learner_id == "ben"


def test_unchanged_notebooks_are_not_read_again(tmp_path, monkeypatch):
    from labs.roster import feedback as module
    from labs.roster.store import RosterStore

    cell = feedback_cell()
    cell.source = FILLED
    path = _notebook(tmp_path / "autograded/ana/alpha/alpha.ipynb", [cell])
    with RosterStore(f"sqlite:///{tmp_path / 'roster.db'}") as store:
        found, changed = collect_feedback(tmp_path, ["alpha"], cache=store.feedback_cache())
        store.update_feedback_cache(changed)
        reads = []
        monkeypatch.setattr(module, "notebook_feedback", lambda p: reads.append(p))
        again, changed = collect_feedback(tmp_path, ["alpha"], cache=store.feedback_cache())
        assert again == found and changed == {} and reads == []
        # Re-graded: the file changed, it is read again.
        path.write_text(path.read_text() + "\n")
        collect_feedback(tmp_path, ["alpha"], cache=store.feedback_cache())
        assert reads == [path]
