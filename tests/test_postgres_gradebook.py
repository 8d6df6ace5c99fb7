"""The gradebook on PostgreSQL (`CourseDirectory.db_url`): parallel grading, several grader hosts
sharing one gradebook, feedback and the roster -- against a real server on loopback."""
import re
import shutil
import subprocess
import sys

import pytest

from labs.grading import GradingOptions, grade
from labs.grading.journal import Journal
from tests.grading_cohort import EXPECTED_SCORES, gradebook_state, toy_cohort
from tests.postgres_server import postgres_server

pytestmark = pytest.mark.slow


@pytest.fixture
def postgres_url():
    with postgres_server() as url:
        yield url


def _use_gradebook(course, url):
    with (course / "nbgrader_config.py").open("a") as config:
        config.write(f"\nc.CourseDirectory.db_url = {url!r}\n"
                     f"c.RosterPolicy.manifest_path = {str(course / 'curriculum.toml')!r}\n")


def _graded_lines(output: str) -> set[str]:
    """Learners a `labs grade` run graded (not skipped), from its report lines."""
    return set(re.findall(r"^toy (\S+): (?!skipped)", output, flags=re.MULTILINE))


def test_parallel_grading_feedback_and_roster_on_postgresql(toy_course, postgres_url):
    _use_gradebook(toy_course, postgres_url)
    toy_cohort(toy_course)
    outcomes = grade(toy_course, "toy", options=GradingOptions(workers=2), echo=lambda line: None)
    assert not any(o.skipped for o in outcomes)
    state = gradebook_state(toy_course, postgres_url)
    assert {student: score for student, (score, _) in state.items()} == EXPECTED_SCORES
    assert all(set(rows.values()) == {1} for _, rows in state.values())
    assert not (toy_course / "gradebook.db").exists()  # nothing fell back to SQLite

    feedback = subprocess.run([sys.executable, "-m", "nbgrader", "generate_feedback", "toy", "--force"],
                              cwd=toy_course, capture_output=True, text=True)
    assert feedback.returncode == 0, feedback.stdout + feedback.stderr
    assert (toy_course / "feedback" / "learner-ada" / "toy" / "toy.html").is_file()

    roster = subprocess.run([sys.executable, "-m", "labs.cli", "--course-dir", str(toy_course), "roster",
                             "--to", str(toy_course / "roster.csv"), "--as-of", "2026-11-26"],
                            capture_output=True, text=True)
    assert roster.returncode == 0, roster.stdout + roster.stderr
    rows = (toy_course / "roster.csv").read_text()
    assert "learner-ada" in rows and "learner-rule-breaker" in rows
    breaker = next(line for line in rows.splitlines() if line.startswith("learner-rule-breaker,"))
    assert "flagged: toy" in breaker and "grading: toy: tampering: answer square, line 1: imports 'os'" in breaker


def test_two_grader_hosts_sharing_one_gradebook_grade_each_learner_once(toy_course, tmp_path, postgres_url):
    _use_gradebook(toy_course, postgres_url)
    students = toy_cohort(toy_course)
    hosts = [tmp_path / "host-a", tmp_path / "host-b"]
    for host in hosts:  # each grader has its own copy of the course, as on its own machine
        shutil.copytree(toy_course, host)
    graders = [subprocess.Popen([sys.executable, "-m", "labs.cli", "--course-dir", str(host), "grade", "toy"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for host in hosts]
    outputs = [grader.communicate(timeout=600)[0] for grader in graders]
    assert [grader.returncode for grader in graders] == [0, 0], outputs
    graded = [_graded_lines(output) for output in outputs]
    assert graded[0] | graded[1] == set(students), outputs
    assert not graded[0] & graded[1], outputs  # nobody graded twice
    state = gradebook_state(toy_course, postgres_url)
    assert {student: score for student, (score, _) in state.items()} == EXPECTED_SCORES
    assert all(set(rows.values()) == {1} for _, rows in state.values())
    assert set(Journal(postgres_url).reasons()) == {("toy", student) for student in students}
