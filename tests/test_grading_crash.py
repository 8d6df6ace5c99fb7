"""Crash safety of `labs grade`: a grader killed with SIGKILL mid-cohort, then run again, leaves
the gradebook exactly as a clean run does -- each learner graded once, with the same scores."""
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from labs.grading import GradingOptions, grade
from tests.grading_cohort import EXPECTED_SCORES, gradebook_state, toy_cohort

pytestmark = pytest.mark.slow


def _graded_in_journal(course) -> int:
    try:
        with sqlite3.connect(course / "gradebook.db", timeout=5) as db:
            return db.execute("SELECT count(*) FROM labs_grading_journal WHERE state = 'graded'").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_a_grader_killed_mid_cohort_completes_on_rerun_as_a_clean_run_would(toy_course, tmp_path):
    students = toy_cohort(toy_course)
    crashed = tmp_path / "crashed"
    shutil.copytree(toy_course, crashed)

    grade(toy_course, "toy", options=GradingOptions(workers=2), echo=lambda line: None)
    clean = gradebook_state(toy_course)
    assert {student: score for student, (score, _) in clean.items()} == EXPECTED_SCORES

    command = [sys.executable, "-m", "labs.cli", "--course-dir", str(crashed), "grade", "toy"]
    grader = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while _graded_in_journal(crashed) < 2 and time.monotonic() < deadline and grader.poll() is None:
        time.sleep(0.2)
    assert grader.poll() is None, "the grader finished before it could be killed; grade a bigger cohort"
    grader.send_signal(signal.SIGKILL)  # mid-cohort: some learners graded, one probably mid-autograde
    grader.wait()
    assert 2 <= _graded_in_journal(crashed) < len(students)
    # no orphaned nbgrader or kernel (their command lines name the course) goes on writing grades:
    # each gets its SIGKILL from the kernel (PDEATHSIG), and on a loaded machine takes a moment to go
    assert _processes_naming(crashed, within=20) == []

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "skipped" in rerun.stdout  # the learners graded before the crash are not graded twice
    after = gradebook_state(crashed)
    assert after == clean  # same scores; every cell has exactly one grade row

    again = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert f"graded 0, skipped {len(students)}" in again.stdout


def test_a_grader_fault_on_one_learner_leaves_the_rest_graded_and_that_learner_regradable(
        toy_course, monkeypatch):
    from labs.grading import runner

    toy_cohort(toy_course)
    stage = runner.Grader._stage

    def faulty_stage(self, assignment, student, folder):
        if student == "learner-grace":
            raise SystemError("AST constructor recursion depth mismatch")  # as CPython gh-106905 did
        return stage(self, assignment, student, folder)

    monkeypatch.setattr(runner.Grader, "_stage", faulty_stage)
    lines = []
    outcomes = {o.student: o for o in grade(toy_course, "toy", options=GradingOptions(workers=2), echo=lines.append)}
    assert "SystemError" in outcomes["learner-grace"].error
    assert any("learner-grace: not graded, the grader failed" in line and "again" in line for line in lines)
    graded = {student: score for student, (score, _) in gradebook_state(toy_course).items()}
    assert graded == {s: points for s, points in EXPECTED_SCORES.items() if s != "learner-grace"}

    monkeypatch.setattr(runner.Grader, "_stage", stage)
    rerun = {o.student: o for o in grade(toy_course, "toy", options=GradingOptions(workers=2), echo=lambda _: None)}
    assert rerun["learner-grace"].error is None and rerun["learner-grace"].skipped is None
    assert all(o.skipped for s, o in rerun.items() if s != "learner-grace")
    assert {s: score for s, (score, _) in gradebook_state(toy_course).items()} == EXPECTED_SCORES


def _processes_naming(folder, within: float) -> list[str]:
    """The pids of processes whose command line names ``folder``, once none are left or ``within`` seconds passed."""
    deadline = time.monotonic() + within
    while True:
        pids = subprocess.run(["pgrep", "-f", str(folder)], capture_output=True, text=True).stdout.split()
        if not pids or time.monotonic() > deadline:
            return pids
        time.sleep(0.2)
