"""``labs verify``: prove, through ``labs grade`` (the real ``nbgrader autograde``, sandboxed and
guarded), that a lab's grades mean something.

In a scratch copy of the course it grades the instructor's solution as two different learners
(each on their own data; ``--learners N`` adds learner ids never used before, so a sweep shows
that per-learner data never makes a correct answer fail), the released notebook untouched, and every plausible-wrong variant
the lab ships in ``source/<id>/variants.toml``. It passes only when both solutions earn full
marks, the released notebook earns 0 on every autograded cell, and every wrong variant scores
strictly between 0 and full marks. With ``--cheats FILE`` (``[[cheat]]`` entries, as in
``tests/cheating/``) it also grades each cheating submission in the same cohort and fails unless
each earns exactly what the released notebook earns: nothing.
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat
from nbgrader.api import Gradebook

from labs.course import (Variant, filled_notebook, load_variants, nbgrader, notebook_path, scratch_course,
                         write_submission)
from labs.grading import GradingOptions, grade, raise_for_grader_faults
from labs.manifest import Manifest, load_manifest

#: Two learners with different ids, hence different per-learner data.
SOLUTION_LEARNERS = ("learner-ada", "learner-grace")
RELEASED_LEARNER = "learner-blank"
#: The fewest learners the solution is graded as: two, so that per-learner data is exercised.
MIN_SOLUTION_LEARNERS = len(SOLUTION_LEARNERS)
TOLERANCE = 1e-6
AS_RELEASED = "what the release earns"
# how a lab the grader scores (grader/preprocessors.py) explains a cell that lost points
GRADER_MESSAGE = "SCORED by the grader"


@dataclass
class Outcome:
    learner: str
    variant: str
    expectation: str
    score: float
    max_score: float
    cell_scores: dict[str, tuple[float, float]]
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _graded_cell_outputs(notebook_file: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Read an autograded notebook: for each graded cell, why it lost points (an error or stderr),
    and any result value nbgrader cannot read as points -- which it grades as *full* credit."""
    messages: dict[str, str] = {}
    unreadable: dict[str, str] = {}
    if not notebook_file.exists():
        return messages, unreadable
    for cell in nbformat.read(notebook_file, as_version=4).cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("grade"):
            continue
        grade_id = meta.get("grade_id")
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                messages[grade_id] = f"{output.get('ename')}: {output.get('evalue')}".strip()[:300]
            elif output.get("output_type") == "stream" and output.get("name") == "stderr":
                messages.setdefault(grade_id, "stderr: " + output.get("text", "").strip()[:300])
            elif output.get("output_type") == "stream" and output.get("text", "").startswith(GRADER_MESSAGE):
                messages.setdefault(grade_id, output["text"].strip()[:300])
            elif output.get("output_type") == "execute_result":
                value = output.get("data", {}).get("text/plain", "")
                try:
                    float(value)
                except ValueError:
                    unreadable[grade_id] = value[:80]
    return messages, unreadable


def _judge(outcome: Outcome, messages: dict[str, str], unreadable: dict[str, str]) -> None:
    for grade_id, value in unreadable.items():
        outcome.problems.append(f"{grade_id}: ends with the value {value!r}, which nbgrader grades as full "
                                "credit; end a test cell with a statement or a plain float of points")
    lost = {g: s for g, s in outcome.cell_scores.items() if s[0] < s[1] - TOLERANCE}
    if outcome.expectation == "full marks":
        for grade_id, (score, max_score) in lost.items():
            why = messages.get(grade_id, "no error shown (partial credit?)")
            outcome.problems.append(f"{grade_id}: {score:g}/{max_score:g} -- {why}")
    elif outcome.expectation == "zero on every cell":
        for grade_id, (score, _) in outcome.cell_scores.items():
            if score > TOLERANCE:
                outcome.problems.append(f"{grade_id}: earned {score:g} with no answer written")
    elif outcome.expectation == AS_RELEASED:
        for grade_id, (score, _) in outcome.cell_scores.items():
            if score > TOLERANCE:
                outcome.problems.append(f"{grade_id}: the cheat earned {score:g} -- {messages.get(grade_id, '')}")
    elif not TOLERANCE < outcome.score < outcome.max_score - TOLERANCE:
        outcome.problems.append(f"scored {outcome.score:g} of {outcome.max_score:g}; a wrong variant must "
                                "score strictly between 0 and full marks")


def solution_learners(count: int = MIN_SOLUTION_LEARNERS) -> list[str]:
    """The two named learners, then ``count - 2`` random ids no run has used (printed in the table,
    so a failing id can be looked at again)."""
    if count < MIN_SOLUTION_LEARNERS:
        raise ValueError(f"the solution is graded as at least {MIN_SOLUTION_LEARNERS} learners, not {count}")
    return [*SOLUTION_LEARNERS, *(f"learner-{secrets.token_hex(4)}" for _ in range(count - MIN_SOLUTION_LEARNERS))]


def verify_assignment(course_dir: Path, assignment_id: str, manifest: Manifest,
                      echo: Callable[[str], None] = print, cheats: list[Variant] = (),
                      learners: list[str] = SOLUTION_LEARNERS) -> list[Outcome]:
    manifest_points = manifest.assignment(assignment_id).points
    variants = load_variants(course_dir, assignment_id)
    with scratch_course(course_dir, [assignment_id]) as scratch:
        nbgrader(["generate_assignment", assignment_id, "--force"], scratch)
        source_nb = nbformat.read(notebook_path(scratch, "source", assignment_id), as_version=4)
        release_nb = nbformat.read(notebook_path(scratch, "release", assignment_id), as_version=4)

        plan: list[tuple[str, str, str]] = []
        for learner in learners:
            write_submission(scratch, assignment_id, learner, filled_notebook(release_nb, source_nb))
            plan.append((learner, "solution", "full marks"))
        write_submission(scratch, assignment_id, RELEASED_LEARNER, release_nb)
        plan.append((RELEASED_LEARNER, "released", "zero on every cell"))
        for variant in variants:
            learner = f"wrong-{variant.name}"
            write_submission(scratch, assignment_id, learner,
                             filled_notebook(release_nb, source_nb, replacements=variant.cells))
            plan.append((learner, variant.name, "between 0 and full"))
        for cheat in cheats:
            # a cheat only replaces answer cells; the release earns 0 everywhere, so must it
            learner = f"cheat-{cheat.name}"
            write_submission(scratch, assignment_id, learner,
                             filled_notebook(release_nb, release_nb, replacements=cheat.cells))
            plan.append((learner, cheat.name, AS_RELEASED))

        started = time.perf_counter()
        # the instructor's own grading path: rebuilt notebooks, the policy, the sandbox, the guard
        graded = {o.student: o for o in grade(scratch, assignment_id, options=GradingOptions(workers=2),
                                              echo=lambda line: None)}
        echo(f"{assignment_id}: graded {len(plan)} notebooks with labs grade in {time.perf_counter() - started:.1f} s")
        raise_for_grader_faults(list(graded.values()))

        outcomes = []
        with Gradebook(f"sqlite:///{scratch / 'gradebook.db'}") as gradebook:
            for learner, variant, expectation in plan:
                submission = gradebook.find_submission_notebook(assignment_id, assignment_id, learner)
                cells = {g.name: (g.score or 0.0, g.max_score) for g in submission.grades if g.auto_score is not None}
                outcome = Outcome(learner, variant, expectation, submission.score, submission.max_score, cells)
                if abs(submission.max_score - manifest_points) > TOLERANCE:
                    outcome.problems.append(f"the notebook is worth {submission.max_score:g} points, the manifest "
                                            f"says {manifest_points:g}")
                # a solution or variant the grader flags (the policy, a dead kernel) is a broken lab; a
                # cheat may well be flagged (the policy refused it): what counts is that it earned nothing
                if expectation != AS_RELEASED:
                    outcome.problems += [f"labs grade: {reason}" for reason in graded[learner].reasons]
                _judge(outcome, *_graded_cell_outputs(notebook_path(scratch, "autograded", assignment_id, learner)))
                outcomes.append(outcome)
    if not variants:
        outcomes.append(Outcome("-", "(no variants)", "at least one wrong variant", 0, 0, {},
                                [f"source/{assignment_id}/variants.toml ships no plausible-wrong variant"]))
    return outcomes


def format_table(assignment_id: str, outcomes: list[Outcome]) -> str:
    rows = [("learner", "variant", "score", "max", "expected", "result")]
    for o in outcomes:
        rows.append((o.learner, o.variant, f"{o.score:g}", f"{o.max_score:g}", o.expectation,
                     "ok" if o.ok else "FAIL"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [f"== {assignment_id}"]
    lines += ["  ".join(value.ljust(width) for value, width in zip(row, widths)).rstrip() for row in rows]
    for o in outcomes:
        lines += [f"  {o.learner}: {problem}" for problem in o.problems]
    return "\n".join(lines)


def verify(course_dir: Path, assignment_ids: list[str] | None = None, *, manifest: Manifest | None = None,
           echo: Callable[[str], None] = print, cheats: dict[str, list[Variant]] | None = None,
           learners: int = MIN_SOLUTION_LEARNERS) -> bool:
    """Verify each assignment (and grade its ``cheats``, which must earn what the release earns) with
    the solution graded as ``learners`` learners; print a table per assignment; True when every check holds."""
    manifest = manifest or load_manifest()
    all_ok = True
    for assignment_id in assignment_ids or manifest.ids:
        outcomes = verify_assignment(course_dir, assignment_id, manifest, echo, (cheats or {}).get(assignment_id, []),
                                     solution_learners(learners))
        echo(format_table(assignment_id, outcomes))
        all_ok = all_ok and all(o.ok for o in outcomes)
    return all_ok
