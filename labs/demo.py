"""``labs demo``: the instructor's whole loop on the embedded SQLite gradebook.

Builds the release with nbgrader, enrols a small cohort, hands in a solution, a partial, a
wrong, a blank and a missing submission (each learner on their own data), grades them with
``labs grade`` (sandboxed kernels, guarded tests, two learners at a time), exports nbgrader's grades to ``grades.csv`` and prints a summary. It ends with
the compliance roster: imports the cohort's HR directory (``labs/demo_directory.csv``) and writes
``roster.csv``, ``roster.json``, ``roster.html`` (plus the instructor-insight CSVs) and prints the
roster's summary. Running it again replaces the same cohort's submissions and grades; nothing is
duplicated. Everything it writes (``gradebook.db``, ``roster.db``, ``submitted/``, ``autograded/``,
``grades.csv``, ``roster*``) is ignored by git.
"""
from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from tqdm import tqdm

from labs.course import filled_notebook, load_variants, nbgrader, notebook_path, write_submission
from labs.grading import GradingOptions, grade, raise_for_grader_faults
from labs.manifest import Manifest, load_manifest


@dataclass(frozen=True)
class DemoLearner:
    id: str
    first_name: str
    last_name: str
    submission: str  # solution | partial | wrong | blank | missing

    @property
    def email(self) -> str:
        return f"{self.id}@example.com"


#: The cohort's HR export: a department and a role per learner (names with a comma and quotes).
DEMO_DIRECTORY = Path(__file__).with_name("demo_directory.csv")
ROSTER_FILES = ("roster.csv", "roster.json", "roster.html")
INSIGHT_FILES = ("roster-exercises.csv", "roster-feedback.csv")

COHORT = (
    DemoLearner("amara.okafor", "Amara", "Okafor", "solution"),
    DemoLearner("lin.zhao", "Lin", "Zhao", "solution"),
    DemoLearner("diego.ramos", "Diego", "Ramos", "partial"),
    DemoLearner("sofia.berg", "Sofia", "Berg", "wrong"),
    DemoLearner("kwame.mensah", "Kwame", "Mensah", "blank"),
    DemoLearner("priya.nair", "Priya", "Nair", "missing"),
)


def _submission(kind: str, course_dir: Path, assignment_id: str, release_nb, source_nb):
    """The notebook a learner of this kind hands in, or None for a missing submission."""
    if kind == "missing":
        return None
    if kind == "blank":
        return release_nb
    if kind == "partial":
        solution_ids = [c.metadata["nbgrader"]["grade_id"] for c in source_nb.cells
                        if c.get("metadata", {}).get("nbgrader", {}).get("solution")]
        return filled_notebook(release_nb, source_nb, leave_blank=set(solution_ids[len(solution_ids) // 2:]))
    if kind == "wrong":
        variants = load_variants(course_dir, assignment_id)
        return filled_notebook(release_nb, source_nb, replacements=variants[0].cells if variants else None)
    return filled_notebook(release_nb, source_nb)


def run_demo(course_dir: Path, assignment_ids: list[str] | None = None, *, manifest: Manifest | None = None,
             echo: Callable[[str], None] = print) -> list[dict]:
    roster_manifest = manifest  # None: the roster uses the configured one (RosterPolicy.manifest_path)
    manifest = manifest or load_manifest()
    assignments = [manifest.assignment(a) for a in assignment_ids] if assignment_ids else list(manifest.assignments)
    echo(f"Building the release of {len(assignments)} assignment(s) with nbgrader generate_assignment ...")
    for assignment_id in (a.id for a in assignments):
        nbgrader(["generate_assignment", assignment_id, "--force"], course_dir)

    database = f"sqlite:///{course_dir / 'gradebook.db'}"
    with Gradebook(database) as gradebook:
        for learner in COHORT:
            gradebook.update_or_create_student(learner.id, first_name=learner.first_name,
                                               last_name=learner.last_name, email=learner.email)

    echo(f"Handing in submissions for {len(COHORT)} learners ...")
    timestamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    to_grade = []
    for assignment_id in (a.id for a in assignments):
        source_nb = nbformat.read(notebook_path(course_dir, "source", assignment_id), as_version=4)
        release_nb = nbformat.read(notebook_path(course_dir, "release", assignment_id), as_version=4)
        for learner in COHORT:
            notebook = _submission(learner.submission, course_dir, assignment_id, release_nb, source_nb)
            folder = course_dir / "submitted" / learner.id / assignment_id
            if notebook is None:
                shutil.rmtree(folder, ignore_errors=True)
                continue
            write_submission(course_dir, assignment_id, learner.id, notebook)
            (folder / "timestamp.txt").write_text(timestamp)
            to_grade.append((assignment_id, learner.id))

    # the instructor's grading command: sandboxed kernels, guarded tests, two learners at a time
    progress = tqdm(total=len(to_grade), desc="Grading (labs grade)", unit="notebook")
    outcomes = []
    for assignment_id in (a.id for a in assignments):
        students = [learner_id for a, learner_id in to_grade if a == assignment_id]
        outcomes += grade(course_dir, assignment_id, students, GradingOptions(workers=2, force=True),
                          echo=lambda line: progress.update(1))
    progress.close()
    raise_for_grader_faults(outcomes)

    nbgrader(["export", "--to", "grades.csv"], course_dir)
    echo(f"Exported nbgrader's grades to {course_dir / 'grades.csv'}")

    rows = []
    with Gradebook(database) as gradebook:
        for learner in COHORT:
            for assignment in assignments:
                try:
                    submission = gradebook.find_submission(assignment.id, learner.id)
                    score = submission.score
                except MissingEntry:
                    score = None
                rows.append({"learner": learner.id, "submission": learner.submission,
                             "assignment": assignment.id, "score": score, "max_score": assignment.points})
    echo(format_summary(rows))
    write_roster(course_dir, database, echo, manifest=roster_manifest)
    return rows


def write_roster(course_dir: Path, database: str, echo: Callable[[str], None] = print, *,
                 manifest: Manifest | None = None):
    """The demo's last step: import the HR directory, write the roster in every format, summarise."""
    from labs.roster import RosterPolicy, format_summary as roster_summary, run_roster
    from labs.roster.directory import import_directory
    from labs.roster.policy import course_app
    from labs.roster.report import today
    from labs.roster.store import RosterStore

    policy = RosterPolicy(parent=course_app(course_dir))  # c.RosterPolicy.* from nbgrader_config.py
    with Gradebook(database) as gradebook, RosterStore(policy.ledger_url_for(course_dir)) as store:
        learners = import_directory(DEMO_DIRECTORY, policy, store, gradebook)
        echo(f"Imported the HR directory: {len(learners)} learners from {DEMO_DIRECTORY.name}")
        roster = run_roster(gradebook, course_dir, policy, today(), [course_dir / name for name in ROSTER_FILES],
                            exercises_to=course_dir / INSIGHT_FILES[0], feedback_to=course_dir / INSIGHT_FILES[1],
                            manifest=manifest)
    echo(f"Wrote the roster to {', '.join(ROSTER_FILES)} and instructor insight to {', '.join(INSIGHT_FILES)}")
    echo(roster_summary(roster))
    return roster


def format_summary(rows: list[dict]) -> str:
    lines = [f"{'learner':<16} {'handed in':<10} {'assignment':<14} {'score':>7} {'max':>5}  percent"]
    for row in rows:
        if row["score"] is None:
            score, percent = "-", "not submitted"
        else:
            score, percent = f"{row['score']:g}", f"{100 * row['score'] / row['max_score']:.0f} %"
        lines.append(f"{row['learner']:<16} {row['submission']:<10} {row['assignment']:<14} "
                     f"{score:>7} {row['max_score']:>5g}  {percent}")
    return "\n".join(lines)
