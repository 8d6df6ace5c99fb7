"""`labs demo`: the instructor's loop end to end on SQLite, idempotent, state kept out of git."""
import csv
import shutil
import subprocess
import sys

import pytest
from nbgrader.api import Gradebook

from labs.demo import COHORT, INSIGHT_FILES, ROSTER_FILES
from labs.manifest import load_manifest
from tests.conftest import REPO


@pytest.mark.slow
def test_demo_runs_twice_with_the_same_result(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy2(REPO / "nbgrader_config.py", course)
    for folder in ("source", "release", "grader"):  # grader/: the course's grader-only part
        shutil.copytree(REPO / folder, course / folder, ignore=shutil.ignore_patterns("__pycache__"))

    def run_demo(*assignments):
        result = subprocess.run([sys.executable, "-m", "labs.cli", "--course-dir", str(course), "demo", *assignments],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Grading (labs grade)" in result.stderr  # the progress bar
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
            students = sorted(s.id for s in gradebook.students)
            scores = {(sub.student.id, sub.assignment.name): (sub.score, sub.max_score)
                      for assignment in gradebook.assignments for sub in assignment.submissions}
        return result.stdout, students, scores

    first_out, students, scores = run_demo()
    manifest = load_manifest()
    assert students == sorted(learner.id for learner in COHORT)
    by_kind = {learner.submission: learner.id for learner in COHORT}
    for assignment in manifest.assignments:
        solution = [scores[(l.id, assignment.id)] for l in COHORT if l.submission == "solution"]
        assert all(score == maximum == assignment.points for score, maximum in solution)
        assert scores[(by_kind["blank"], assignment.id)][0] == 0
        assert 0 < scores[(by_kind["partial"], assignment.id)][0] < assignment.points
        assert 0 < scores[(by_kind["wrong"], assignment.id)][0] < assignment.points
        assert (by_kind["missing"], assignment.id) not in scores
    assert "not submitted" in first_out

    with (course / "grades.csv").open() as exported:
        rows = list(csv.DictReader(exported))
    assert {row["student_id"] for row in rows} == set(students)

    # It ends with the roster, in every format, and its summary.
    assert "Proficiency roster as of" in first_out and "new completion(s) recorded" in first_out
    for name in (*ROSTER_FILES, *INSIGHT_FILES):
        assert (course / name).stat().st_size > 0, name
    with (course / "roster.csv").open(newline="", encoding="utf-8") as exported:
        roster = {row["learner_id"]: row for row in csv.DictReader(exported)}
    assert set(roster) == set(students)
    assert roster["kwame.mensah"]["name"] == 'Kwame "KJ" Mensah, Jr.'  # the HR directory's name
    assert roster["priya.nair"]["status"] == "not-started"  # nothing handed in
    assert all(roster[l.id]["status"] == "compliant" for l in COHORT if l.submission == "solution")
    assert not any("ungradable" in row["flags"] for row in roster.values())

    # Again, for one lab (the whole cohort again would only cost time): same grades, no duplicates,
    # and the other labs' grades untouched.
    second_out, students_again, scores_again = run_demo(manifest.ids[0])
    assert students_again == students
    assert scores_again == scores
    # Same day, same work: the completions ledger does not move.
    assert "0 new completion(s) recorded" in second_out
    with (course / "roster.csv").open(newline="", encoding="utf-8") as exported:
        assert {row["learner_id"]: row for row in csv.DictReader(exported)} == roster


def test_demo_state_is_ignored_by_git():
    generated = ["gradebook.db", "submitted/x/sanitization/sanitization.ipynb",
                 "autograded/x/sanitization/sanitization.ipynb", "feedback/x/a.html", "grades.csv",
                 "roster.db", *ROSTER_FILES, *INSIGHT_FILES]
    result = subprocess.run(["git", "check-ignore", *generated], cwd=REPO, capture_output=True, text=True)
    assert result.stdout.split() == generated
