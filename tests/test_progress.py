"""``labs progress``: a learner's whole picture from their own saved notebooks, offline.

Its example folder holds the sanitization lab solved and run (a real kernel, about 3 s), the
foundations lab as released and never run, a stale checkpoint copy, and no other lab.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import nbformat
import pytest

from labs import cli, progress, selfcheck
from labs.course import filled_notebook
from labs.manifest import load_manifest
from labs.roster.feedback import CELL_ID as FEEDBACK_CELL_ID
from tests.conftest import REPO

MANIFEST = load_manifest()
SOLVED, UNTOUCHED = "sanitization", "foundations"


def _release(lab: str):
    return nbformat.read(REPO / "release" / lab / f"{lab}.ipynb", as_version=4)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    os.environ.pop("LABS_LEARNER", None)
    os.environ.pop("JUPYTERHUB_USER", None)
    root = tmp_path_factory.mktemp("learner")
    solved = filled_notebook(_release(SOLVED), nbformat.read(REPO / "source" / SOLVED / f"{SOLVED}.ipynb",
                                                              as_version=4))
    (root / SOLVED).mkdir()
    work, _, problem = selfcheck.execute(solved, root / SOLVED, timeout=300)
    assert not problem
    nbformat.write(work, root / SOLVED / f"{SOLVED}.ipynb")
    (root / UNTOUCHED).mkdir()
    nbformat.write(_release(UNTOUCHED), root / UNTOUCHED / f"{UNTOUCHED}.ipynb")
    # an older autosave of the solved lab: never the learner's copy
    checkpoint = root / SOLVED / ".ipynb_checkpoints" / f"{SOLVED}.ipynb"
    checkpoint.parent.mkdir()
    nbformat.write(_release(SOLVED), checkpoint)
    later = time.time() + 60
    os.utime(checkpoint, (later, later))
    return root


def _lab(result, lab):
    return next(entry for entry in result.labs if entry.lab == lab)


def test_reads_each_lab_as_saved(folder):
    result = progress.learner_progress(folder)
    solved, untouched = _lab(result, SOLVED), _lab(result, UNTOUCHED)
    points = MANIFEST.assignment(SOLVED).points
    assert solved.notebook == str(folder / SOLVED / f"{SOLVED}.ipynb")
    assert (solved.on_track, solved.passed, solved.tests, solved.not_attempted) == (points, solved.tests,
                                                                                  len(MANIFEST.assignment(SOLVED).cells), 0)
    assert untouched.on_track == 0 and untouched.passed == 0 and untouched.not_attempted == untouched.tests
    others = [lab for lab in result.labs if lab.lab not in (SOLVED, UNTOUCHED)]
    assert others and all(lab.notebook is None and lab.on_track == 0 for lab in others)


def test_tier_outlook_follows_the_roster_rule(folder):
    result = progress.learner_progress(folder)
    foundational = result.tiers[0]
    assert foundational.tier == "F" and not foundational.on_track
    assert SOLVED not in foundational.shortfalls and "governance" in foundational.shortfalls
    assert SOLVED not in foundational.labs_left and UNTOUCHED in foundational.labs_left
    assert result.on_track_for is None
    assert all(not tier.on_track for tier in result.tiers)  # a tier needs the one below


def _earned(share_of: dict[str, float]):
    """Every cell of the manifest earning the share its tier is given (missing tiers: nothing)."""
    return {(a.id, c.grade_id): c.points * share_of.get(c.tier, 0.0) for a in MANIFEST.assignments for c in a.cells}


def test_outlook_on_the_pass_mark():
    full_f = progress.outlook(MANIFEST, _earned({"F": 1.0}), 0.8)
    assert [t.on_track for t in full_f] == [True, False, False][:len(full_f)]
    assert full_f[0].shortfalls == {} and full_f[0].labs_left == []
    assert progress.outlook(MANIFEST, _earned({"F": 0.8}), 0.8)[0].on_track  # exactly the pass mark
    short = progress.outlook(MANIFEST, _earned({"F": 0.79}), 0.8)[0]
    assert not short.on_track and set(short.shortfalls) == {c.competency for a in MANIFEST.assignments
                                                           for c in a.cells if c.tier == "F"}
    everything = progress.outlook(MANIFEST, _earned({"F": 1.0, "A": 1.0, "G": 1.0}), 0.8)
    assert all(t.on_track for t in everything)


def test_a_saved_notebook_never_run_says_so(folder):
    report = selfcheck.saved_report(folder / UNTOUCHED / f"{UNTOUCHED}.ipynb")
    assert {cell.status for cell in report.cells} == {selfcheck.NOT_RUN}
    assert all(cell.message == selfcheck.NOT_RUN_SINCE_SAVED for cell in report.cells)


def test_command_outside_a_course_directory(folder, capsys, monkeypatch):
    monkeypatch.chdir(folder)
    assert cli.main(["progress", "--role", "ml-engineer"]) == 0
    out = capsys.readouterr().out
    assert "read each notebook as you last saved it" in out
    assert "Your role requires Applied Safety (A): not yet" in out
    assert f"left: " in out and "On track for: no tier yet." in out
    assert cli.main(["progress", str(folder), "--json", "--tier", "F"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["required_tier"] == "F" and len(document["labs"]) == len(MANIFEST.assignments)


def test_usage_errors(tmp_path, capsys):
    assert cli.main(["progress", str(tmp_path / "nowhere")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert cli.main(["progress", str(tmp_path), "--role", "astronaut"]) == 2
    assert "unknown role 'astronaut'" in capsys.readouterr().err
    assert cli.main(["progress", str(tmp_path)]) == 0
    assert "no lab notebook (<lab>.ipynb) under" in capsys.readouterr().out


def test_run_agrees_with_the_saved_outputs(folder):
    saved, rerun = progress.learner_progress(folder), progress.learner_progress(folder, run=True)
    assert [(lab.lab, lab.on_track, lab.passed) for lab in saved.labs] == \
           [(lab.lab, lab.on_track, lab.passed) for lab in rerun.labs]


@pytest.mark.parametrize("lab", MANIFEST.ids)
def test_every_lab_ends_with_the_progress_then_the_feedback_cell(lab):
    for stage in ("source", "release"):
        cells = nbformat.read(REPO / stage / lab / f"{lab}.ipynb", as_version=4).cells
        assert [cell.get("id") for cell in cells[-2:]] == [progress.CELL_ID, FEEDBACK_CELL_ID], stage
        assert cells[-2].source == progress.CELL_SOURCE and "nbgrader" not in cells[-2].metadata


def test_the_progress_cell_is_quiet_under_the_grader(monkeypatch, capsys):
    monkeypatch.setitem(__import__("sys").modules, progress.GRADING_GUARD_MODULE, object())
    progress.show(Path("/nonexistent"))
    assert capsys.readouterr().out.strip() == "labs progress: not shown while the grader runs this notebook"
