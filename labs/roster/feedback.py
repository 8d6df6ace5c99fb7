"""The learners' feedback: the last, ungraded cell of every lab, and how the roster reads it.

The cell is plain Python a learner edits. The roster never executes it: it finds the cell by its
id (``lab-feedback``; by its ``LAB_FEEDBACK =`` assignment if a learner re-created the cell), parses
it with :mod:`ast` and evaluates only the literal dict with :func:`ast.literal_eval`. A deleted,
emptied or malformed cell simply yields no feedback.
"""
from __future__ import annotations

import ast
import json
import os
from dataclasses import dataclass
from pathlib import Path

import nbformat

CELL_ID = "lab-feedback"
VARIABLE = "LAB_FEEDBACK"
CELL_SOURCE = '''# Your feedback on this lab (ungraded; read by the course owners for the quarterly update).
LAB_FEEDBACK = {
    "minutes_spent": None,  # e.g. 75
    "difficulty": None,  # 1 (too easy) to 5 (too hard)
    "comments": "",  # what was unclear, broken or missing?
}'''
MAX_COMMENT = 2000  # a pasted traceback should not swamp the report


def feedback_cell():
    """The ungraded feedback cell that ends every lab (an nbformat code cell, id ``lab-feedback``)."""
    return nbformat.v4.new_code_cell(CELL_SOURCE, id=CELL_ID)


def add_feedback_cell(notebook) -> None:
    """Make ``notebook`` end with the feedback cell (replacing an older copy): idempotent."""
    notebook.cells = [c for c in notebook.cells if c.get("id") != CELL_ID]
    notebook.cells.append(feedback_cell())


@dataclass(frozen=True)
class Feedback:
    learner_id: str
    assignment: str
    minutes_spent: float | None
    difficulty: int | None
    comments: str

    @property
    def empty(self) -> bool:
        return self.minutes_spent is None and self.difficulty is None and not self.comments


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def parse_feedback(source: str) -> dict | None:
    """The ``LAB_FEEDBACK`` dict of a cell's source, cleaned; None when absent or malformed."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id == VARIABLE):
            try:
                value = ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                return None
            return _clean(value) if isinstance(value, dict) else None
    return None


def _clean(raw: dict) -> dict:
    minutes = raw.get("minutes_spent")
    if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or not 0 <= minutes <= 24 * 60:
        minutes = None
    difficulty = raw.get("difficulty")
    if isinstance(difficulty, bool) or not isinstance(difficulty, (int, float)) or not 1 <= difficulty <= 5:
        difficulty = None
    comments = raw.get("comments")
    comments = " ".join(comments.split())[:MAX_COMMENT] if isinstance(comments, str) else ""
    return {"minutes_spent": minutes, "difficulty": None if difficulty is None else int(round(difficulty)),
            "comments": comments}


def notebook_feedback(path: Path) -> dict | None:
    """The feedback in one notebook file, or None. Read as plain JSON: no validation, no execution."""
    try:
        with open(path, encoding="utf-8") as handle:
            cells = json.load(handle).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(cells, list):
        return None
    by_id = [c for c in cells if isinstance(c, dict) and c.get("id") == CELL_ID]
    by_text = [c for c in cells if isinstance(c, dict) and c.get("cell_type") == "code" and VARIABLE in _source(c)]
    for cell in by_id + by_text[::-1]:  # the tagged cell first, else the last cell that sets it
        parsed = parse_feedback(_source(cell))
        if parsed is not None:
            return parsed
    return None


#: (learner id, assignment) -> (notebook path, mtime_ns, size, parsed feedback or None)
FeedbackCache = dict[tuple[str, str], tuple[str, int, int, dict | None]]


def collect_feedback(course_root: Path, assignments: list[str], students: set[str] | None = None,
                     cache: FeedbackCache | None = None) -> tuple[list[Feedback], FeedbackCache]:
    """Non-empty feedback of every learner for ``assignments``, from ``autograded/`` (what was
    graded), else ``submitted/``; and the cache entries that changed.

    A cohort's graded notebooks run to gigabytes, so a notebook whose path, size and mtime are in
    ``cache`` is not read again: a roster run costs one ``stat`` per notebook after the first.
    """
    cache = cache or {}
    folders: dict[tuple[str, str], str] = {}
    wanted = set(assignments)
    for stage in ("autograded", "submitted"):  # autograded wins: it is what was graded
        root = Path(course_root) / stage
        if not root.is_dir():
            continue
        for learner in os.scandir(root):
            if not learner.is_dir() or (students is not None and learner.name not in students):
                continue
            for assignment in os.scandir(learner.path):
                if assignment.name in wanted and assignment.is_dir():
                    folders.setdefault((learner.name, assignment.name), assignment.path)

    found, changed = [], {}
    for key, folder in folders.items():
        for entry in sorted((e for e in os.scandir(folder) if e.name.endswith(".ipynb")), key=lambda e: e.name):
            stat = entry.stat()
            cached = cache.get(key)
            if cached and cached[:3] == (entry.path, stat.st_mtime_ns, stat.st_size):
                parsed = cached[3]
            else:
                parsed = notebook_feedback(Path(entry.path))
                changed[key] = (entry.path, stat.st_mtime_ns, stat.st_size, parsed)
            if parsed is not None:
                feedback = Feedback(key[0], key[1], **parsed)
                if not feedback.empty:
                    found.append(feedback)
                break
    order = {a: i for i, a in enumerate(assignments)}
    return sorted(found, key=lambda f: (order[f.assignment], f.learner_id)), changed
