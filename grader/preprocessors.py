"""The grader's two steps inside ``nbgrader autograde``, for labs with a scorer.

    MaterializeData   before execution: the learner's data and the held-out inputs in a fresh
                      folder (``LABS_DATA_DIR``) the kernel reads, read-only in the sandbox
    ScoreCollected    after execution: each test cell's handed-in answers, parsed as untrusted
                      data, scored against the grader's truth; the cell's outputs become the
                      grader's message and its points (what nbgrader's SaveAutoGrades reads).
                      Nothing the kernel printed is kept: feedback never carries held-out items.

``configure_scoring(c)`` in the course's ``nbgrader_config.py`` puts them around the kernel.
A lab without a scorer passes through both untouched (still scored in the kernel).
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from nbformat.notebooknode import NotebookNode, from_dict
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer

from grader.materialize import grading_data
from grader.scoring import Answers, Context, Score, scorer_for
from grader.secret import course_secret, secret_path
from labs.answers import ANSWER_MIME, MAX_ANSWER_BYTES, MAX_NAME_LENGTH
from labs.datasets import DATA_DIR_VARIABLE
from labs.grading.preprocessors import GRADER_SCORED, METADATA, _is_test, _nbgrader


def _graded_before(db_url: str, course_id: str) -> bool:
    """Whether the gradebook holds points already earned on a lab the grader scores."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url, course_id) as gradebook:
        return any(submission.score for assignment in gradebook.assignments if scorer_for(assignment.name)
                   for submission in assignment.submissions)


class _ScoredLab(NbGraderPreprocessor):
    def _context(self, resources: dict):
        info = resources.get("nbgrader", {})
        lab, learner = info.get("assignment"), info.get("student")
        scorer = scorer_for(lab) if lab else None
        if scorer is None:
            return None, None
        state = resources.setdefault("labs_grading", {})
        if "context" not in state:
            coursedir = CourseDirectory(config=self.config)
            root = Path(coursedir.root)
            # never a new secret for a course that has graded with one (only asked when it is missing)
            may_create = secret_path(root).exists() or not _graded_before(coursedir.db_url, coursedir.course_id)
            secret = course_secret(root, may_create=may_create)
            state["context"] = Context(lab=lab, learner=learner, secret=secret)
        return scorer, state["context"]


class MaterializeData(_ScoredLab):
    """Give the kernel its data folder: the learner's tables and the held-out inputs."""

    def preprocess(self, nb: NotebookNode, resources: dict):
        scorer, ctx = self._context(resources)
        if scorer is None:
            os.environ.pop(DATA_DIR_VARIABLE, None)
            return nb, resources
        folder = Path(tempfile.mkdtemp(prefix="labs-data-"))
        grading_data(scorer, ctx, folder)
        # The kernel (and the sandbox launcher, which binds it read-only) inherits this environment.
        os.environ[DATA_DIR_VARIABLE] = str(folder)
        resources["labs_grading"].update({GRADER_SCORED: True, "data_dir": str(folder)})
        return nb, resources


def collected_answers(cell: NotebookNode, max_bytes: int = MAX_ANSWER_BYTES) -> tuple[Answers, list[str]]:
    """The answers a test cell handed in, and what was wrong with the rest (never evaluated)."""
    values, problems = {}, []
    for output in cell.get("outputs", []):
        if output.get("output_type") != "display_data" or ANSWER_MIME not in output.get("data", {}):
            continue
        payload = output["data"][ANSWER_MIME]
        if isinstance(payload, str):  # a JSON MIME type may arrive as text
            try:
                payload = json.loads(payload) if len(payload) <= max_bytes else None
            except ValueError:
                payload = None
        if not isinstance(payload, dict) or not isinstance(payload.get("name"), str) or "value" not in payload:
            problems.append("an answer that was not {name, value} was ignored")
            continue
        name = payload["name"]
        if not 0 < len(name) <= MAX_NAME_LENGTH:
            problems.append("an answer with an unusable name was ignored")
        elif len(json.dumps(payload["value"])) > max_bytes:
            problems.append(f"the answer {name[:40]!r} is larger than {max_bytes} bytes and was ignored")
        elif name in values:
            problems.append(f"the answer {name!r} was handed in twice; neither counts")
            values[name] = _DUPLICATE
        else:
            values[name] = payload["value"]
    return Answers({k: v for k, v in values.items() if v is not _DUPLICATE}), problems


_DUPLICATE = object()


def _stopped_early(cell: NotebookNode) -> str | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            # the error's name only: its message and traceback came from learner code, which may
            # have put held-out inputs in them
            return f"the test stopped with {output.get('ename', 'an error')} before it finished"
    return None


def graded_outputs(score: Score, points: float, notes: list[str]) -> list[NotebookNode]:
    earned = round(points * score.fraction, 2)
    text = "\n".join([f"{'PASSED' if score.fraction >= 1 else 'SCORED'} by the grader: {score.message}", *notes])
    return [from_dict({"output_type": "stream", "name": "stdout", "text": text + "\n"}),
            # nbgrader reads a number as the cell's last result as the points earned
            from_dict({"output_type": "execute_result", "execution_count": None, "metadata": {},
                       "data": {"text/plain": repr(float(earned))}})]


class ScoreCollected(_ScoredLab):
    """Score every test cell from its handed-in answers; keep nothing the kernel printed."""

    max_answer_bytes = Integer(MAX_ANSWER_BYTES, help="Largest answer the grader parses.").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict):
        scorer, ctx = self._context(resources)
        if scorer is None:
            return nb, resources
        try:
            scores = nb.metadata.setdefault(METADATA, {}).setdefault("scores", {})
            for cell in nb.cells:
                if _is_test(cell):
                    grade_id = _nbgrader(cell)["grade_id"]
                    answers, notes = collected_answers(cell, self.max_answer_bytes)
                    early = _stopped_early(cell)
                    if early:
                        notes.append(early)
                    score = scorer.score(grade_id, answers, ctx)
                    cell.outputs = graded_outputs(score, float(_nbgrader(cell).get("points", 0)), notes)
                    scores[grade_id] = {"fraction": score.fraction, "message": score.message}
                elif cell.cell_type == "code":
                    cell.outputs = []
        finally:
            folder = resources.get("labs_grading", {}).pop("data_dir", None)
            if folder:
                shutil.rmtree(folder, ignore_errors=True)
            os.environ.pop(DATA_DIR_VARIABLE, None)
        return nb, resources


def configure_scoring(c) -> None:
    """Put grader-side scoring into a course's autograde (after ``configure_autograde(c)``)."""
    from labs.grading.preprocessors import CheckReceipts, GuardTests

    chain = list(c.Autograde.autograde_preprocessors)
    chain.insert(chain.index(GuardTests), MaterializeData)
    chain.insert(chain.index(CheckReceipts) + 1, ScoreCollected)
    c.Autograde.autograde_preprocessors = chain
