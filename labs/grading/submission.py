"""What of a learner's notebook file reaches the grader: the answers, and nothing else.

A learner controls the whole ``.ipynb`` file, not only their answer cells. So the graded
notebook is rebuilt from the *released* notebook: its locked cells, test cells, metadata and
points come from the release; from the submission come only the sources of the answer
(solution) cells, matched by grade id, and the learner's own unlocked scratch cells, kept after
the answer they followed. Anything else the file says (edited tests, changed points or grade
flags, duplicated or deleted cells, a different kernel) cannot reach the grade; each difference
becomes a note on the learner's record. A file that is not a notebook at all becomes an
unanswered release, which grades to 0, with the reason.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field

import nbformat

MAX_NOTEBOOK_BYTES = 256 * 2**20  # outputs are cleared before grading; beyond this we do not parse
LARGE_NOTEBOOK_BYTES = 20 * 2**20


@dataclass
class Submission:
    """A notebook ready for the grader, and what the instructor should know about it."""
    notebook: nbformat.NotebookNode
    notes: list[str] = field(default_factory=list)      # differences repaired; grading goes on
    ungradable: str | None = None                        # why nothing of the file could be used
    learner_code: list[tuple[str, str]] = field(default_factory=list)  # (where, source) of learner code


def _nbgrader(cell: dict) -> dict:
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    value = meta.get("nbgrader") if isinstance(meta, dict) else None
    return value if isinstance(value, dict) else {}


def _text(source) -> str:
    if isinstance(source, list):
        return "".join(part for part in source if isinstance(part, str))
    return source if isinstance(source, str) else ""


def _is_answer(cell: dict) -> bool:
    return bool(_nbgrader(cell).get("solution"))


def _is_locked(cell: dict) -> bool:
    info = _nbgrader(cell)
    return bool(info.get("locked") or info.get("grade"))


def unanswered(release: nbformat.NotebookNode, reason: str) -> Submission:
    """The release as handed out: every answer unanswered, so every test earns 0."""
    return Submission(copy.deepcopy(release), ungradable=reason)


def parse(data: bytes, name: str) -> tuple[dict | None, str | None]:
    """The notebook JSON in ``data``, or why it is not one."""
    if len(data) > MAX_NOTEBOOK_BYTES:
        return None, (f"{name} is {len(data) / 2**20:.0f} MB, over the {MAX_NOTEBOOK_BYTES // 2**20} MB limit: "
                      "clear all outputs (Edit > Clear Outputs of All Cells), save and submit again")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, f"{name} is not a text file (byte {error.start} is not UTF-8): submit the .ipynb saved by Jupyter"
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        return None, (f"{name} is not valid notebook JSON (line {error.lineno}, column {error.colno}: {error.msg}); "
                      "it may have been edited by hand or truncated: download it again from JupyterLab")
    if isinstance(raw, dict) and "nbformat" in raw and raw["nbformat"] != 4:
        # an old notebook (nbformat 3 keeps its cells in "worksheets"): say so, not "no cells"
        return None, f"{name} has nbformat {raw.get('nbformat')!r}; the course uses nbformat 4 (save it from JupyterLab)"
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        return None, f"{name} is JSON but not a Jupyter notebook (no list of cells)"
    if raw.get("nbformat") != 4:
        return None, f"{name} has nbformat {raw.get('nbformat')!r}; the course uses nbformat 4 (save it from JupyterLab)"
    return raw, None


def rebuild(data: bytes, release: nbformat.NotebookNode, name: str) -> Submission:
    """The graded notebook: the release with this submission's answers and scratch cells."""
    raw, problem = parse(data, name)
    if problem:
        return unanswered(release, problem)
    notes: list[str] = []
    if len(data) > LARGE_NOTEBOOK_BYTES:
        notes.append(f"{name} was {len(data) / 2**20:.0f} MB; its outputs were cleared before grading")

    release_answers = [_nbgrader(c).get("grade_id") for c in release.cells if _is_answer(c)]
    release_locked = {_nbgrader(c).get("grade_id"): c for c in release.cells if _is_locked(c) and not _is_answer(c)}
    # Unlocked cells of the release (exploration, plots, the feedback cell) are the learner's to edit.
    release_open = {c.get("id") for c in release.cells if not _nbgrader(c) and c.get("id")}
    answers: dict[str, str] = {}
    seen_locked: set[str] = set()
    edited: dict[str, dict] = {}
    scratch_after: dict[str | None, list[dict]] = {}
    anchor: str | None = None  # the last release cell seen in the submission: scratch cells follow it
    for cell in raw["cells"]:
        if not isinstance(cell, dict):
            notes.append("a cell that is not a JSON object was ignored")
            continue
        info = _nbgrader(cell)
        grade_id = info.get("grade_id")
        kept = {"cell_type": cell.get("cell_type"), "source": _text(cell.get("source"))}
        if grade_id in release_answers:
            if grade_id in answers:
                notes.append(f"answer cell {grade_id!r} appears more than once; the first one was graded")
                continue
            if not _is_answer(cell):
                notes.append(f"tampering: answer cell {grade_id!r} had its nbgrader metadata changed (restored)")
            answers[grade_id] = kept["source"]
            anchor = f"grade:{grade_id}"
        elif grade_id in release_locked:
            released = release_locked[grade_id]
            kind = "test cell" if _nbgrader(released).get("grade") else "locked cell"
            if grade_id in seen_locked:
                notes.append(f"{kind} {grade_id!r} appears more than once; the copy was ignored "
                             "(the released cell was graded once)")
                continue
            seen_locked.add(grade_id)
            # Locked cells cannot be edited or deleted in JupyterLab: a change was made to the file itself.
            if kept["source"] != released.source:
                notes.append(f"tampering: {kind} {grade_id!r} was modified (the released version was graded)")
            elif info != _nbgrader(released):
                notes.append(f"tampering: {kind} {grade_id!r} had its nbgrader metadata changed (restored)")
            anchor = f"grade:{grade_id}"
        elif info:
            notes.append(f"a cell with unknown nbgrader metadata (grade id {grade_id!r}) was graded as a "
                         "scratch cell without it")
            scratch_after.setdefault(anchor, []).append(kept)
        elif cell.get("id") in release_open and cell.get("id") not in edited:
            edited[cell["id"]] = kept
            anchor = f"id:{cell['id']}"
        elif kept["cell_type"] in ("code", "markdown"):
            scratch_after.setdefault(anchor, []).append(kept)
    for grade_id in release_answers:
        if grade_id not in answers:
            notes.append(f"answer cell {grade_id!r} is missing (deleted?); graded as unanswered")
    for grade_id, released in release_locked.items():
        if grade_id not in seen_locked:
            if _nbgrader(released).get("grade"):
                notes.append(f"tampering: test cell {grade_id!r} was deleted (the released test was graded)")
            else:
                notes.append(f"locked cell {grade_id!r} is missing (deleted?); the released one was used")

    graded = copy.deepcopy(release)
    cells, code = [], []

    def add_scratch(key: str | None) -> None:
        for extra in scratch_after.pop(key, []):
            if extra["cell_type"] == "markdown":
                cells.append(nbformat.v4.new_markdown_cell(extra["source"]))
            else:
                cells.append(nbformat.v4.new_code_cell(extra["source"]))
                code.append(("a scratch cell", extra["source"]))

    add_scratch(None)
    for cell in graded.cells:
        grade_id = _nbgrader(cell).get("grade_id")
        if _is_answer(cell):
            if grade_id in answers:
                cell.source = answers[grade_id]
                if cell.cell_type == "code":
                    code.append((f"answer {grade_id}", cell.source))
        elif not _nbgrader(cell) and cell.get("id") in edited:
            cell.source = edited[cell["id"]]["source"]
        if cell.cell_type == "code" and not _nbgrader(cell):
            code.append((f"unlocked cell {cell.get('id')}", cell.source))
        cells.append(cell)
        add_scratch(f"grade:{grade_id}" if grade_id else f"id:{cell.get('id')}")
    graded.cells = cells
    return Submission(graded, list(dict.fromkeys(notes)), learner_code=code)
