"""Everything the roster needs from nbgrader's gradebook, in four column selects.

The queries go through the Gradebook's own SQLAlchemy connection and nbgrader's ORM models, so
any database nbgrader supports works. They never walk ``student.submissions[...].notebooks[...]``
(several queries per learner: ``nbgrader export`` takes most of an hour at 10,000 learners); the
grades are read in one streamed pass and aggregated here (see :func:`read_gradebook`).

Scores are ``Grade.score`` as nbgrader defines it (the manual grade when an instructor set one,
else the autograder's, plus extra credit). A notebook's ``late_submission_penalty`` P is applied
the way ``nbgrader export`` applies it to the notebook's total S -- ``max(0, S - P)`` -- spread over
its cells in proportion to their scores: every cell of that notebook is scaled by
``max(0, S - P) / S``.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import (Assignment, Grade, GradeCell, Gradebook, Notebook, Student,
                          SubmittedAssignment, SubmittedNotebook)
from sqlalchemy import inspect, select

from labs.manifest import Manifest


def open_gradebook(db_url: str, course_id: str = "default_course") -> Gradebook:
    """nbgrader's Gradebook. Creating a new gradebook database runs the ``alembic`` command by
    name, so this environment's bin/ must be on PATH even when the venv was never activated."""
    bin_dir = str(Path(sys.executable).parent)
    if shutil.which("alembic") is None and bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
    return Gradebook(db_url, course_id)


@dataclass
class Submission:
    assignment: str
    timestamp: dt.datetime | None  # naive UTC, as nbgrader stores it
    graded: bool = False  # at least one grade recorded by autograde
    needs_manual_grade: bool = False
    flagged: bool = False
    grading_notes: list[str] = field(default_factory=list)  # reasons `labs grade` recorded


@dataclass
class StudentGrades:
    id: str
    first_name: str | None
    last_name: str | None
    email: str | None
    #: (tier, competency) -> points earned on the manifest's cells of that tier and competency
    #: (this tier only, not cumulative), late penalties applied.
    earned: dict[tuple[str, str], float] = field(default_factory=lambda: defaultdict(float))
    submissions: dict[str, Submission] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part) or self.id


@dataclass(frozen=True)
class ExerciseStats:
    """One graded cell across the cohort (instructor insight)."""
    assignment: str
    grade_id: str
    tier: str
    competency: str
    points: float
    graded: int  # submissions with a grade for this cell
    full_marks: int  # of which earned every point
    mean_score: float  # mean points earned, over graded submissions

    @property
    def pass_rate(self) -> float | None:
        return self.full_marks / self.graded if self.graded else None


@dataclass
class GradebookSnapshot:
    students: dict[str, StudentGrades]
    exercises: list[ExerciseStats]
    registered: set[str]  # ids of the gradebook's Student rows


def _manifest_cells(connection, manifest: Manifest) -> dict[str, tuple[str, str, float]]:
    """gradebook cell id -> (assignment, grade_id, the cell's max score in the gradebook), for the
    grade cells the manifest lists (the manifest is the source of truth: other graded cells do
    not count towards any tier)."""
    listed = {(a.id, c.grade_id) for a in manifest.assignments for c in a.cells}
    rows = connection.execute(
        select(GradeCell.id, GradeCell.name, Assignment.name, GradeCell.max_score)
        .select_from(GradeCell)
        .join(Notebook, GradeCell.notebook_id == Notebook.id)
        .join(Assignment, Notebook.assignment_id == Assignment.id)
        .where(Assignment.name.in_(manifest.ids))).all()
    return {cell_id: (assignment, name, max_score) for cell_id, name, assignment, max_score in rows
            if (assignment, name) in listed}


def _attach_grading_notes(connection, manifest: Manifest, students: dict[str, StudentGrades]) -> None:
    """The reasons `labs grade` recorded in its journal (a table of the gradebook's database)."""
    from labs.grading.journal import journal

    if not inspect(connection).has_table(journal.name):
        return  # never graded with labs grade
    rows = connection.execute(select(journal.c.assignment, journal.c.student, journal.c.reasons)
                              .where(journal.c.assignment.in_(manifest.ids))).all()
    for assignment, student, reasons in rows:
        submission = students.get(student) and students[student].submissions.get(assignment)
        if submission is not None:
            submission.grading_notes = json.loads(reasons or "[]")


def read_gradebook(gradebook: Gradebook, manifest: Manifest) -> GradebookSnapshot:
    """Students, submissions, points per (tier, competency) and per-exercise statistics.

    Three column selects on nbgrader's models, run on the session's Core connection (plain
    tuples, no ORM identity map): students; submitted notebooks with their submission; and one
    streamed pass over the grades, aggregated here both per notebook (for the learner) and per
    cell (for the cohort) -- SQL would need two grouped scans of the largest table for that.
    """
    connection = gradebook.db.connection()
    cells = _manifest_cells(connection, manifest)
    exercise_keys = [(a.id, c.grade_id) for a in manifest.assignments for c in a.cells]
    buckets = sorted({(c.tier, c.competency) for a in manifest.assignments for c in a.cells})
    bucket_of = {(a.id, c.grade_id): buckets.index((c.tier, c.competency))
                 for a in manifest.assignments for c in a.cells}
    # cell id -> (bucket index, exercise index, max score)
    cell_info = {cell_id: (bucket_of[(assignment, name)], exercise_keys.index((assignment, name)), max_score)
                 for cell_id, (assignment, name, max_score) in cells.items()}

    students = {row[0]: StudentGrades(*row) for row in connection.execute(
        select(Student.id, Student.first_name, Student.last_name, Student.email))}
    registered = set(students)

    # One row per submitted notebook of the curriculum's assignments (outer join: a submission
    # with no notebook is still a submission).
    notebooks: dict[str, list] = {}  # id -> [submission, student grades, penalty, points, per-bucket points]
    for notebook_id, student_id, assignment, timestamp, penalty, flagged in connection.execute(
            select(SubmittedNotebook.id, SubmittedAssignment.student_id, Assignment.name,
                   SubmittedAssignment.timestamp, SubmittedNotebook.late_submission_penalty, SubmittedNotebook.flagged)
            .select_from(SubmittedAssignment)
            .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
            .outerjoin(SubmittedNotebook, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
            .where(Assignment.name.in_(manifest.ids))).all():
        grades = students.get(student_id)
        if grades is None:  # cannot happen with nbgrader's foreign keys; never drop a submission
            grades = students[student_id] = StudentGrades(student_id, None, None, None)
        submission = grades.submissions.get(assignment)
        if submission is None:
            submission = grades.submissions[assignment] = Submission(assignment, timestamp)
        submission.flagged |= bool(flagged)
        if notebook_id is not None:
            notebooks[notebook_id] = [submission, grades, penalty or 0.0, 0.0, [0.0] * len(buckets)]

    _attach_grading_notes(connection, manifest, students)

    stats = [[0, 0, 0.0] for _ in exercise_keys]  # graded, full marks, points
    result = connection.execute(select(Grade.notebook_id, Grade.cell_id, Grade.score, Grade.needs_manual_grade))
    for part in result.partitions(50_000):
        for notebook_id, cell_id, score, needs_manual in part:
            entry = notebooks.get(notebook_id)
            if entry is None:
                continue  # an assignment the curriculum does not list
            score = score or 0.0
            entry[3] += score
            submission = entry[0]
            submission.graded = True
            if needs_manual:
                submission.needs_manual_grade = True
            info = cell_info.get(cell_id)
            if info is not None:
                entry[4][info[0]] += score
                exercise = stats[info[1]]
                exercise[0] += 1
                exercise[2] += score
                if score >= info[2] - 1e-9:
                    exercise[1] += 1

    for submission, grades, penalty, total, points in notebooks.values():
        factor = max(0.0, total - penalty) / total if penalty and total > 0 else 1.0
        for index, value in enumerate(points):
            if value:
                grades.earned[buckets[index]] += value * factor

    exercises = [ExerciseStats(a.id, c.grade_id, c.tier, c.competency, c.points, graded, full,
                               total / graded if graded else 0.0)
                 for (graded, full, total), (a, c) in zip(stats, ((a, c) for a in manifest.assignments
                                                                  for c in a.cells))]
    return GradebookSnapshot(students, exercises, registered)
