"""The roster's rules on small gradebooks built with nbgrader's Gradebook API (no notebook runs).

Test curriculum: alpha (sanitization; F 5+5, A 10), beta (robustness; F 10, A 10), gamma
(governance; G 10). Per competency, F needs 8 of 10, A 16 of 20, G 8 of 10 at the 80 % mark.
"""
from __future__ import annotations

import atexit
import datetime as dt
import shutil
import tempfile
from pathlib import Path

import pytest

from labs.roster.grades import open_gradebook
from labs.roster.policy import RosterPolicy
from labs.roster.report import build_roster
from labs.roster.store import Learner, RosterStore

MANIFEST = """
version = "{version}"
[competencies]
sanitization = "s"
robustness = "r"
governance = "g"
{extra_competencies}
[[assignment]]
id = "alpha"
title = "Alpha"
tiers = ["F", "A"]
competency = "sanitization"
minutes = 60
last_reviewed = 2026-01-01
[[assignment.cell]]
grade_id = "a-f1"
tier = "F"
points = 5
[[assignment.cell]]
grade_id = "a-f2"
tier = "F"
points = 5
[[assignment.cell]]
grade_id = "a-a1"
tier = "A"
points = 10

[[assignment]]
id = "beta"
title = "Beta"
tiers = ["F", "A"]
competency = "robustness"
minutes = 60
last_reviewed = 2026-01-01
[[assignment.cell]]
grade_id = "b-f1"
tier = "F"
points = 10
[[assignment.cell]]
grade_id = "b-a1"
tier = "A"
points = 10

[[assignment]]
id = "gamma"
title = "Gamma"
tiers = ["G"]
competency = "governance"
minutes = 60
last_reviewed = 2026-01-01
[[assignment.cell]]
grade_id = "g-g1"
tier = "G"
points = 10
"""
# Next cycle's curriculum adds an F lab: last cycle's work alone no longer reaches F.
NEXT_CYCLE = """
[[assignment]]
id = "delta"
title = "Delta"
tiers = ["F"]
competency = "privacy"
minutes = 60
last_reviewed = 2027-01-01
[[assignment.cell]]
grade_id = "d-f1"
tier = "F"
points = 10
"""
ANA = ("ana", "Ana A", "Platform", "software-engineer")
FULL_F = {"alpha": {"a-f1": 5, "a-f2": 5}, "beta": {"b-f1": 10}}
FULL_A = {"alpha": {"a-f1": 5, "a-f2": 5, "a-a1": 10}, "beta": {"b-f1": 10, "b-a1": 10}}
FULL_G = {**FULL_A, "gamma": {"g-g1": 10}}


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


_EMPTY_GRADEBOOK: list[Path] = []


def empty_gradebook(path: Path) -> None:
    """A fresh nbgrader gradebook at ``path``: created once (nbgrader runs ``alembic`` for a new
    database, seconds each time) and copied."""
    if not _EMPTY_GRADEBOOK:
        folder = tempfile.mkdtemp(prefix="roster-test-")
        atexit.register(shutil.rmtree, folder, True)
        template = Path(folder) / "gradebook.db"
        open_gradebook(f"sqlite:///{template}").close()
        _EMPTY_GRADEBOOK.append(template)
    shutil.copy2(_EMPTY_GRADEBOOK[0], path)


class CourseBuilder:
    """A course directory in ``tmp_path`` with a gradebook matching a small test manifest."""

    def __init__(self, root: Path, version: str = "test.1", next_cycle: bool = False, policy: dict | None = None):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.db_url = f"sqlite:///{root / 'gradebook.db'}"
        self.policy = RosterPolicy(manifest_path=str(root / "curriculum.toml"),
                                   ledger_url=f"sqlite:///{root / 'roster.db'}", **(policy or {}))
        empty_gradebook(root / "gradebook.db")
        self.gradebook = open_gradebook(self.db_url)
        self.set_manifest(version, next_cycle)

    def set_manifest(self, version: str, next_cycle: bool = False) -> None:
        text = MANIFEST.format(version=version, extra_competencies='privacy = "p"' if next_cycle else "")
        (self.root / "curriculum.toml").write_text(text + (NEXT_CYCLE if next_cycle else ""))
        from labs.manifest import load_manifest

        self.manifest = load_manifest(self.root / "curriculum.toml")
        for assignment in self.manifest.assignments:
            self.gradebook.update_or_create_assignment(assignment.id)
            self.gradebook.update_or_create_notebook(assignment.id, assignment.id)
            for cell in assignment.cells:
                self.gradebook.update_or_create_grade_cell(cell.grade_id, assignment.id, assignment.id,
                                                           max_score=cell.points, cell_type="code")

    def learners(self, *rows: tuple[str, str, str, str]) -> None:
        """Directory entries (id, name, department, role); registered in the gradebook too."""
        with RosterStore(self.policy.ledger_url) as store, store.transaction() as session:
            store.replace_learners(session, [Learner(i, n, f"{i}@example.com", d, r) for i, n, d, r in rows],
                                   dt.datetime(2026, 1, 1))
        for learner_id, *_ in rows:
            self.gradebook.update_or_create_student(learner_id)

    def submit(self, student: str, assignment: str, scores: dict[str, float], when: str, *,
               penalty: float = 0.0, manual: dict[str, float] | None = None,
               needs_manual: set[str] = frozenset(), flagged: bool = False) -> None:
        """Hand in (or re-take) ``assignment``: autograder ``scores`` per grade id (0 if absent)."""
        self.gradebook.update_or_create_student(student)
        timestamp = dt.datetime.fromisoformat(when if " " in when else f"{when} 12:00:00")
        with self.gradebook.db.no_autoflush:  # nbgrader's add_submission warns when autoflushing midway
            self.gradebook.update_or_create_submission(assignment, student, timestamp=timestamp)
        for cell in self.manifest.assignment(assignment).cells:
            grade = self.gradebook.find_grade(cell.grade_id, assignment, assignment, student)
            grade.auto_score = scores.get(cell.grade_id, 0.0)
            grade.manual_score = (manual or {}).get(cell.grade_id)
            grade.needs_manual_grade = cell.grade_id in needs_manual
        notebook = self.gradebook.find_submission_notebook(assignment, assignment, student)
        notebook.late_submission_penalty = penalty
        notebook.flagged = flagged
        self.gradebook.db.commit()

    def submit_all(self, student: str, work: dict[str, dict[str, float]], when: str, **kwargs) -> None:
        for assignment, scores in work.items():
            self.submit(student, assignment, scores, when, **kwargs)

    def roster(self, as_of: str, **kwargs):
        return build_roster(self.gradebook, self.root, self.policy, day(as_of), with_feedback=False, **kwargs)

    def rows(self, as_of: str) -> dict:
        return {row.learner_id: row for row in self.roster(as_of).rows}

    def close(self) -> None:
        self.gradebook.close()


@pytest.fixture
def course(tmp_path):
    builder = CourseBuilder(tmp_path / "course")
    yield builder
    builder.close()


# ---------------------------------------------------------------------------------------------
# Statuses

def test_not_started_and_in_progress(course):
    course.learners(("nina", "Nina N", "Data", "software-engineer"), ("omar", "Omar O", "Data", "software-engineer"))
    course.submit("omar", "alpha", {"a-f1": 5}, "2026-03-01")
    rows = course.rows("2026-03-10")
    assert rows["nina"].status == "not-started"
    assert rows["nina"].tier_achieved == "" and rows["nina"].completion_date is None
    assert rows["omar"].status == "in-progress"
    assert rows["omar"].scores == {"sanitization": 50.0, "robustness": 0.0, "governance": None}


def test_compliant_with_completion_and_expiry(course):
    course.learners(ANA)
    course.submit("ana", "alpha", FULL_F["alpha"], "2026-03-01")
    course.submit("ana", "beta", FULL_F["beta"], "2026-03-05 18:30:00")
    row = course.rows("2026-04-01")["ana"]
    assert row.status == "compliant"
    assert row.tier_achieved == "F"
    # Reached on the day of the last contributing submission, valid for renewal_days.
    assert row.completion_date == day("2026-03-05")
    assert row.expiry == day("2027-03-05")
    assert row.curriculum_version == "test.1"
    assert row.flags == []


def test_due_soon_overdue_and_the_window_boundaries(course):
    course.learners(ANA)
    course.submit_all("ana", FULL_F, "2026-03-05")
    assert course.rows("2026-03-05")["ana"].status == "compliant"  # reached that very day
    # Expiry 2027-03-05; due-soon when 30 days or fewer remain.
    assert course.rows("2027-02-02")["ana"].status == "compliant"  # 31 days left
    assert course.rows("2027-02-03")["ana"].status == "due-soon"  # 30 days left
    assert course.rows("2027-03-04")["ana"].status == "due-soon"  # 1 day left
    overdue = course.rows("2027-03-05")["ana"]  # the expiry day itself: no longer valid
    assert overdue.status == "overdue"
    assert overdue.completion_date == day("2026-03-05") and overdue.expiry == day("2027-03-05")
    assert overdue.tier_achieved == ""  # the work is older than the renewal period


def test_statuses_are_reproducible_for_a_past_date(course):
    course.learners(ANA)
    course.submit_all("ana", FULL_F, "2026-03-05")
    # Before the submissions happened: nothing handed in yet on that day, and nothing recorded.
    before = course.roster("2026-03-01")
    assert before.rows[0].status == "not-started" and before.new_completions == []
    assert course.rows("2026-04-01")["ana"].status == "compliant"
    assert course.rows("2026-03-01")["ana"].status == "not-started"  # still, after recording


def test_policy_windows_are_configuration(tmp_path):
    course = CourseBuilder(tmp_path / "c", policy={"renewal_days": 100, "due_soon_days": 10, "pass_mark": 0.5})
    course.learners(ANA)
    course.submit_all("ana", {"alpha": {"a-f1": 5}, "beta": {"b-f1": 5}}, "2026-03-01")  # 50 % each
    row = course.rows("2026-05-31")["ana"]
    assert row.status == "due-soon" and row.expiry == day("2026-06-09")
    assert course.rows("2026-06-09")["ana"].status == "overdue"
    course.close()


# ---------------------------------------------------------------------------------------------
# Tier boundaries: just under and at the pass mark, for every tier

@pytest.mark.parametrize("earned, reached", [(7.99, False), (8.0, True), (10.0, True)])
def test_foundational_boundary(course, earned, reached):
    course.learners(ANA)
    course.submit("ana", "alpha", {"a-f1": 5, "a-f2": earned - 5}, "2026-03-01")
    course.submit("ana", "beta", {"b-f1": 10}, "2026-03-01")
    row = course.rows("2026-03-10")["ana"]
    assert row.tier_achieved == ("F" if reached else "")
    assert row.status == ("compliant" if reached else "in-progress")
    assert row.scores["sanitization"] == round(10 * earned, 1)


def test_every_competency_must_pass_not_the_total(course):
    course.learners(ANA)
    course.submit("ana", "alpha", {"a-f1": 5, "a-f2": 5}, "2026-03-01")  # 100 %
    course.submit("ana", "beta", {"b-f1": 7}, "2026-03-01")  # 70 %: 85 % overall, still not F
    assert course.rows("2026-03-10")["ana"].tier_achieved == ""


@pytest.mark.parametrize("a_points, reached", [(5.99, False), (6.0, True)])
def test_applied_boundary_is_cumulative(course, a_points, reached):
    # Sanitization at <= A: 10 F points + a_points of 10 A points, needs 16 of 20.
    course.learners(("ml", "Mo L", "AI", "ml-engineer"))
    course.submit("ml", "alpha", {"a-f1": 5, "a-f2": 5, "a-a1": a_points}, "2026-03-01")
    course.submit("ml", "beta", FULL_A["beta"], "2026-03-01")
    row = course.rows("2026-03-10")["ml"]
    assert row.required_tier == "A"
    assert row.tier_achieved == ("A" if reached else "F")
    assert row.status == ("compliant" if reached else "in-progress")
    assert row.scores["sanitization"] == round(100 * (10 + a_points) / 20, 1)
    assert row.scores["governance"] is None  # no governance exercise at or below A


@pytest.mark.parametrize("g_points, reached", [(7.9, False), (8.0, True)])
def test_governance_boundary(course, g_points, reached):
    course.learners(("lea", "Lea D", "Arch", "architect"))
    course.submit_all("lea", FULL_A, "2026-03-01")
    course.submit("lea", "gamma", {"g-g1": g_points}, "2026-03-02")
    row = course.rows("2026-03-10")["lea"]
    assert row.tier_achieved == ("G" if reached else "A")
    assert row.status == ("compliant" if reached else "in-progress")
    if reached:
        assert row.completion_date == day("2026-03-02")  # gamma was the last contributing hand-in


def test_a_higher_tier_needs_the_lower_one(course):
    course.learners(("lea", "Lea D", "Arch", "architect"))
    course.submit("lea", "alpha", FULL_A["alpha"], "2026-03-01")
    course.submit("lea", "beta", {"b-f1": 0, "b-a1": 10}, "2026-03-01")  # robustness 50 % at A, 0 % at F
    course.submit("lea", "gamma", {"g-g1": 10}, "2026-03-01")
    assert course.rows("2026-03-10")["lea"].tier_achieved == ""


def test_a_tier_without_exercises_of_its_own_cannot_be_reached(tmp_path):
    course = CourseBuilder(tmp_path / "c")
    text = (course.root / "curriculum.toml").read_text()
    # The manifest stops listing gamma (the gradebook still has it): no G exercise is left.
    (course.root / "curriculum.toml").write_text(text.split('[[assignment]]\nid = "gamma"')[0])
    course.learners(("lea", "Lea D", "Arch", "architect"))
    course.submit_all("lea", FULL_A, "2026-03-01")
    row = course.rows("2026-03-10")["lea"]
    assert row.tier_achieved == "A" and row.status == "in-progress"
    course.close()


def test_a_higher_completion_satisfies_a_lower_requirement(course):
    course.learners(("sam", "Sam E", "Platform", "software-engineer"))
    course.submit_all("sam", FULL_G, "2026-03-01")
    row = course.rows("2026-03-10")["sam"]
    assert row.tier_achieved == "G" and row.status == "compliant"
    assert row.scores["governance"] is None  # scores are shown at the required tier (F)


# ---------------------------------------------------------------------------------------------
# Missing submissions, late penalties, manual grades

def test_a_missing_submission_earns_nothing(course):
    course.learners(ANA)
    course.submit("ana", "alpha", FULL_F["alpha"], "2026-03-01")  # beta never handed in
    row = course.rows("2026-03-10")["ana"]
    assert row.scores["robustness"] == 0.0 and row.scores["sanitization"] == 100.0
    assert row.status == "in-progress" and row.tier_achieved == ""


@pytest.mark.parametrize("penalty, reached", [(0.0, True), (2.0, True), (2.5, False), (50.0, False)])
def test_late_penalty_scales_the_notebook(course, penalty, reached):
    course.learners(ANA)
    course.submit("ana", "alpha", FULL_F["alpha"], "2026-03-01", penalty=penalty)
    course.submit("ana", "beta", FULL_F["beta"], "2026-03-01")
    row = course.rows("2026-03-10")["ana"]
    # alpha's notebook: 10 points, minus the penalty (never below 0), spread over its cells.
    assert row.scores["sanitization"] == round(10 * max(0.0, 10 - penalty), 1)
    assert row.tier_achieved == ("F" if reached else "")


def test_late_penalty_is_shared_by_the_cells_of_all_tiers(course):
    course.learners(("ml", "Mo L", "AI", "ml-engineer"))
    # alpha: F 10 + A 10 = 20 points, penalty 4 -> each cell scaled by 16/20.
    course.submit("ml", "alpha", FULL_A["alpha"], "2026-03-01", penalty=4)
    course.submit("ml", "beta", FULL_A["beta"], "2026-03-01")
    row = course.rows("2026-03-10")["ml"]
    assert row.scores["sanitization"] == 80.0
    assert row.tier_achieved == "A"


def test_manual_grade_overrides_the_autograder(course):
    course.learners(ANA, ("ben", "Ben B", "Platform", "software-engineer"))
    # The autograder gave 0 on a-f2; the instructor's manual grade of 5 wins.
    course.submit("ana", "alpha", {"a-f1": 5, "a-f2": 0}, "2026-03-01", manual={"a-f2": 5})
    course.submit("ana", "beta", FULL_F["beta"], "2026-03-01")
    # ... and the other way round: full auto marks, a manual 0 (a copied answer).
    course.submit("ben", "alpha", FULL_F["alpha"], "2026-03-01", manual={"a-f1": 0})
    course.submit("ben", "beta", FULL_F["beta"], "2026-03-01")
    rows = course.rows("2026-03-10")
    assert rows["ana"].scores["sanitization"] == 100.0 and rows["ana"].status == "compliant"
    assert rows["ben"].scores["sanitization"] == 50.0 and rows["ben"].status == "in-progress"


def test_waiting_for_a_manual_grade_and_flagged_notebooks_are_flags(course):
    course.learners(ANA)
    course.submit("ana", "alpha", {"a-f1": 5}, "2026-03-01", needs_manual={"a-f2"})
    course.submit("ana", "beta", FULL_F["beta"], "2026-03-01", flagged=True)
    row = course.rows("2026-03-10")["ana"]
    assert row.flags == ["needs manual grade: alpha", "flagged: beta"]
    assert row.status == "in-progress"


def test_ungradable_submission_is_a_flag(course):
    course.learners(ANA, ("ben", "Ben B", "Platform", "software-engineer"))
    # Handed in, but autograde never recorded a grade (it failed, or was never run).
    (course.root / "submitted" / "ana" / "alpha").mkdir(parents=True)
    (course.root / "submitted" / "ana" / "not-in-curriculum").mkdir(parents=True)
    with course.gradebook.db.no_autoflush:
        course.gradebook.update_or_create_submission("beta", "ben", timestamp=dt.datetime(2026, 3, 1))
    for cell in course.manifest.assignment("beta").cells:  # a submission with no grades at all
        course.gradebook.db.delete(course.gradebook.find_grade(cell.grade_id, "beta", "beta", "ben"))
    course.gradebook.db.commit()
    rows = course.rows("2026-03-10")
    assert rows["ana"].flags == ["ungradable: alpha"] and rows["ana"].status == "in-progress"
    assert rows["ben"].flags == ["ungradable: beta"]


# ---------------------------------------------------------------------------------------------
# Re-takes, regrades, renewals and the ledger

def test_a_retake_that_passes_dates_the_completion(course):
    course.learners(ANA)
    course.submit_all("ana", {"alpha": {"a-f1": 5}, "beta": FULL_F["beta"]}, "2026-03-01")
    assert course.rows("2026-03-10")["ana"].status == "in-progress"
    course.submit("ana", "alpha", FULL_F["alpha"], "2026-04-02")  # re-take replaces the submission
    row = course.rows("2026-04-10")["ana"]
    assert row.status == "compliant" and row.completion_date == day("2026-04-02")


def test_regrading_and_reexporting_never_move_a_completion(course):
    course.learners(ANA)
    course.submit_all("ana", FULL_F, "2026-03-01")
    first = course.roster("2026-03-10")
    assert [(c.tier, c.reached_on) for c in first.new_completions] == [("F", day("2026-03-01"))]
    assert course.roster("2026-03-10").new_completions == []  # re-export: nothing new
    # A regrade lowers the score below the mark: the recorded completion stands.
    course.submit("ana", "beta", {"b-f1": 2}, "2026-03-01")
    row = course.rows("2026-03-20")["ana"]
    assert row.status == "compliant" and row.completion_date == day("2026-03-01")
    assert row.tier_achieved == "F"  # from the ledger's active completion
    # A re-take months later (not yet in the renewal window) does not restart the cycle.
    course.submit_all("ana", FULL_F, "2026-09-01")
    assert course.roster("2026-09-10").new_completions == []
    assert course.rows("2026-09-10")["ana"].expiry == day("2027-03-01")
    with RosterStore(course.policy.ledger_url) as store:
        assert [(c.tier, c.reached_on) for c in store.completions()["ana"]] == [("F", day("2026-03-01"))]


def test_a_retake_in_the_renewal_window_renews(course):
    course.learners(ANA)
    course.submit_all("ana", FULL_F, "2026-03-01")
    course.roster("2026-03-10")
    course.submit_all("ana", FULL_F, "2027-02-10")  # expiry 2027-03-01 minus 30 days = 2027-01-30
    row = course.rows("2027-02-15")["ana"]
    assert row.status == "compliant"
    assert row.completion_date == day("2027-02-10") and row.expiry == day("2028-02-10")
    # The earlier cycle is still on record.
    with RosterStore(course.policy.ledger_url) as store:
        assert [c.reached_on for c in store.completions()["ana"]] == [day("2026-03-01"), day("2027-02-10")]


def test_completed_last_cycle_and_now_due_soon(tmp_path):
    course = CourseBuilder(tmp_path / "c", version="2025.4")
    course.learners(ANA)
    course.submit_all("ana", FULL_F, "2025-12-10")
    assert course.rows("2025-12-31")["ana"].status == "compliant"  # the year-end roster records it
    # Next cycle: a new F lab, a new curriculum version, new assignments in the gradebook.
    course.set_manifest("2026.4", next_cycle=True)
    row = course.rows("2026-11-26")["ana"]
    assert row.status == "due-soon"
    assert row.completion_date == day("2025-12-10") and row.expiry == day("2026-12-10")
    assert row.curriculum_version == "2025.4"  # the version the completion was earned under
    assert row.tier_achieved == "F"
    assert row.scores["privacy"] == 0.0  # this cycle's new lab, not yet done
    after = course.rows("2026-12-10")["ana"]
    assert after.status == "overdue" and after.tier_achieved == ""
    # Completing this cycle's new lab renews, under this cycle's version.
    course.submit("ana", "delta", {"d-f1": 10}, "2026-12-12")
    renewed = course.rows("2026-12-15")["ana"]
    assert renewed.status == "compliant" and renewed.completion_date == day("2026-12-12")
    assert renewed.curriculum_version == "2026.4"
    course.close()


def test_the_ledger_survives_a_rebuilt_gradebook(course):
    course.learners(ANA)
    course.submit_all("ana", FULL_F, "2026-03-01")
    course.roster("2026-03-10")
    course.close()
    empty_gradebook(course.root / "gradebook.db")
    course.gradebook = open_gradebook(course.db_url)
    course.set_manifest("test.1")
    row = course.rows("2026-06-01")["ana"]
    assert row.status == "compliant" and row.completion_date == day("2026-03-01")
    assert row.flags == ["not registered in gradebook"]


# ---------------------------------------------------------------------------------------------
# Directory and gradebook mismatches

def test_mismatches_are_rows_with_flags_and_counted(course):
    course.learners(("ana", "Ana A", "Platform", "software-engineer"), ("hal", "Hal H", "Data", "data-scientist"))
    # hal is in the HR directory but was never registered in this gradebook.
    course.gradebook.remove_student("hal")
    # zed is graded but HR does not know him.
    course.gradebook.update_or_create_student("zed", first_name="Zed", last_name="Zulu", email="zed@example.com")
    course.submit_all("zed", FULL_F, "2026-03-01")
    roster = course.roster("2026-03-10")
    rows = {row.learner_id: row for row in roster.rows}
    assert set(rows) == {"ana", "hal", "zed"}
    assert rows["zed"].flags == ["not in HR directory"]
    assert (rows["zed"].name, rows["zed"].email, rows["zed"].role) == ("Zed Zulu", "zed@example.com", "")
    assert rows["zed"].required_tier == "F" and rows["zed"].status == "compliant"  # default tier: F
    assert rows["hal"].flags == ["not registered in gradebook"]
    assert rows["hal"].required_tier == "A" and rows["hal"].status == "not-started"
    assert rows["ana"].flags == []
    summary = roster.summary()
    assert summary["not_in_directory"] == 1 and summary["not_in_gradebook"] == 1
    assert summary["by_status"] == {"compliant": 1, "due-soon": 0, "overdue": 0, "in-progress": 0,
                                    "not-started": 2}


def test_a_role_dropped_from_the_policy_is_flagged(tmp_path):
    course = CourseBuilder(tmp_path / "c", policy={"role_tiers": {"software-engineer": "F"}})
    with RosterStore(course.policy.ledger_url) as store, store.transaction() as session:
        store.replace_learners(session, [Learner("ana", "Ana", "a@example.com", "X", "ml-engineer")],
                               dt.datetime(2026, 1, 1))
    row = course.rows("2026-03-10")["ana"]
    assert "unknown role: ml-engineer" in row.flags and row.required_tier == "F"
    course.close()


def test_student_filter(course):
    course.learners(ANA, ("ben", "Ben B", "Platform", "software-engineer"))
    roster = course.roster("2026-03-10", students={"ben"})
    assert [row.learner_id for row in roster.rows] == ["ben"]
