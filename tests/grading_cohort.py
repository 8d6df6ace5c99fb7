"""A small cohort of the toy lab for the grading tests, and what the gradebook says about it."""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from labs.course import filled_notebook, load_variants, nbgrader, notebook_path, write_submission

#: what each learner of the cohort earns out of 3 (the toy lab: square 1 point, offset 2)
EXPECTED_SCORES = {"learner-ada": 3, "learner-grace": 3, "learner-blank": 0, "learner-rule-breaker": 0,
                   "learner-square-doubles": 2, "learner-offset-hardcoded": 1}


def toy_cohort(course: Path) -> list[str]:
    """Release the toy lab and hand in for six learners: solutions, variants, blank, a policy breaker."""
    nbgrader(["generate_assignment", "toy", "--force"], course)
    release = nbformat.read(notebook_path(course, "release", "toy"), as_version=4)
    source = nbformat.read(notebook_path(course, "source", "toy"), as_version=4)
    submissions = {"learner-ada": filled_notebook(release, source),
                   "learner-grace": filled_notebook(release, source),
                   "learner-blank": release,
                   "learner-rule-breaker": filled_notebook(
                       release, source, {"square": "import os\ndef square(x):\n    return x * x"})}
    for variant in load_variants(course, "toy"):
        submissions[f"learner-{variant.name}"] = filled_notebook(release, source, variant.cells)
    for student, notebook in submissions.items():
        write_submission(course, "toy", student, notebook)
        (course / "submitted" / student / "toy" / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")
    return sorted(submissions)


def gradebook_state(course: Path, db_url: str | None = None) -> dict[str, tuple[float, dict[str, int]]]:
    """learner -> (score, {graded cell: number of grade rows}) from nbgrader's gradebook."""
    result = {}
    with Gradebook(db_url or f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in gradebook.students:
            try:
                notebook = gradebook.find_submission_notebook("toy", "toy", student.id)
            except Exception:
                continue
            rows: dict[str, int] = {}
            for grade_row in notebook.grades:
                rows[grade_row.name] = rows.get(grade_row.name, 0) + 1
            result[student.id] = (notebook.score, rows)
    return result
