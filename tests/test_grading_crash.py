"""Crash safety of `labs grade`: a grader killed with SIGKILL mid-cohort, then run again, leaves
the gradebook exactly as a clean run does -- each learner graded once, with the same scores."""
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import nbformat
import pytest
from nbgrader.api import Gradebook

from labs.course import filled_notebook, load_variants, nbgrader, notebook_path, write_submission
from labs.grading import GradingOptions, grade

pytestmark = pytest.mark.slow


def _cohort(course):
    """Submissions for six learners of the toy lab: solutions, variants, blank, a policy breaker."""
    nbgrader(["generate_assignment", "toy", "--force"], course)
    release = nbformat.read(notebook_path(course, "release", "toy"), as_version=4)
    source = nbformat.read(notebook_path(course, "source", "toy"), as_version=4)
    submissions = {"learner-ada": filled_notebook(release, source),
                   "learner-grace": filled_notebook(release, source),
                   "learner-blank": release,
                   "learner-rule-breaker": filled_notebook(release, source, {"square": "import os\ndef square(x):\n    return x * x"})}
    for variant in load_variants(course, "toy"):
        submissions[f"learner-{variant.name}"] = filled_notebook(release, source, variant.cells)
    for student, notebook in submissions.items():
        write_submission(course, "toy", student, notebook)
        (course / "submitted" / student / "toy" / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")
    return sorted(submissions)


def _gradebook(course):
    """learner -> (score, {cell: number of grade rows}) from nbgrader's gradebook."""
    result = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in gradebook.students:
            try:
                notebook = gradebook.find_submission_notebook("toy", "toy", student.id)
            except Exception:
                continue
            rows = {}
            for grade_row in notebook.grades:
                rows[grade_row.name] = rows.get(grade_row.name, 0) + 1
            result[student.id] = (notebook.score, rows)
    return result


def _graded_in_journal(course) -> int:
    try:
        with sqlite3.connect(course / "gradebook.db", timeout=5) as db:
            return db.execute("SELECT count(*) FROM labs_grading_journal WHERE state = 'graded'").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_a_grader_killed_mid_cohort_completes_on_rerun_as_a_clean_run_would(toy_course, tmp_path):
    students = _cohort(toy_course)
    crashed = tmp_path / "crashed"
    shutil.copytree(toy_course, crashed)

    grade(toy_course, "toy", options=GradingOptions(workers=2), echo=lambda line: None)
    clean = _gradebook(toy_course)
    assert sorted(clean) == students and clean["learner-ada"][0] == 3 and clean["learner-rule-breaker"][0] == 0

    command = [sys.executable, "-m", "labs.cli", "--course-dir", str(crashed), "grade", "toy"]
    grader = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while _graded_in_journal(crashed) < 2 and time.monotonic() < deadline and grader.poll() is None:
        time.sleep(0.2)
    assert grader.poll() is None, "the grader finished before it could be killed; grade a bigger cohort"
    grader.send_signal(signal.SIGKILL)  # mid-cohort: some learners graded, one probably mid-autograde
    grader.wait()
    assert 2 <= _graded_in_journal(crashed) < len(students)
    time.sleep(0.5)  # the orphaned nbgrader child gets its SIGKILL from the kernel (PDEATHSIG)
    # no orphaned nbgrader or kernel (their command lines name the course) goes on writing grades
    leftovers = subprocess.run(["pgrep", "-f", str(crashed)], capture_output=True, text=True).stdout.split()
    assert leftovers == []

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "skipped" in rerun.stdout  # the learners graded before the crash are not graded twice
    after = _gradebook(crashed)
    assert after == clean  # same scores; every cell has exactly one grade row

    again = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert f"graded 0, skipped {len(students)}" in again.stdout
