"""nbgrader preprocessors that make a test cell's result evidence, not a claim.

The course's ``nbgrader_config.py`` puts them into ``Autograde.autograde_preprocessors``, so
every ``nbgrader autograde`` of this course (through ``labs grade`` or not) uses them:

    GuardTests        before execution: a first cell installs ``labs.grading.guard``; each test
                      cell starts with ``verify`` and ends with ``receipt``
    BoundedExecute    nbgrader's Execute with a cap on output kept per cell, and a kernel that
                      dies ends the run instead of the grading: what ran is graded
    CheckReceipts     after execution: a test cell without a valid receipt gets an error output
                      (0 points); the instrumentation is removed again, and what was found is
                      recorded in the notebook's metadata (``labs_grading``) for ``labs grade``

For a lab the grader scores (``grader/preprocessors.py``: its test cells hand answers in and
the grader scores them after execution), the guard is defence in depth and a source of integrity
flags only: no receipt key enters the kernel, and a receipt decides nothing.
"""
from __future__ import annotations

import ast
import builtins
import json
import os
import secrets

from nbclient.exceptions import DeadKernelError
from nbformat.notebooknode import NotebookNode, from_dict
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Integer, Unicode

from labs.grading.guard import KEY_VARIABLE, RECEIPT_MIME, receipt_mac

GUARD = "_labs_guard"
METADATA = "labs_grading"
INTEGRITY_ERROR = "GradingIntegrityError"
REFUSAL = "this course directory cannot grade"
#: Set in the resources by the grader's MaterializeData (grader/preprocessors.py) for a lab it scores.
GRADER_SCORED = "grader_scored"


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _is_test(cell) -> bool:
    info = _nbgrader(cell)
    return cell.cell_type == "code" and bool(info.get("grade")) and not info.get("solution")


def _imports(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def instrument(source: str, grade_id: str) -> str:
    """The test cell's code between ``verify`` and ``receipt``; its last value is kept as is."""
    lines = [f"{GUARD}.verify({grade_id!r})"]
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source  # fails as it would have; no receipt, so no points
    body = tree.body
    if body and isinstance(body[-1], ast.Expr):
        last = body[-1]
        source_lines = source.splitlines(keepends=True)
        before = "".join(source_lines[: last.lineno - 1]) + source_lines[last.lineno - 1][: last.col_offset]
        # IPython displays the cell's last expression; nbgrader reads a float there as partial credit
        lines.append(before.rstrip("\n") if before.strip() else "")
        lines.append(f"{GUARD}.receipt({grade_id!r}, ({ast.get_source_segment(source, last.value)}))")
    else:
        lines += source.splitlines()
        lines.append(f"{GUARD}.receipt({grade_id!r});")
    return "\n".join(lines)


# Errors of learner cells that mean a sandbox limit was reached, worth the instructor's attention.
LIMIT_ERRORS = {"MemoryError": "the kernel's memory limit was reached",
                "BlockingIOError": "the kernel's process limit was probably reached"}


def _describe(cell, index) -> str:
    info = _nbgrader(cell)
    if info.get("solution"):
        return f"answer {info.get('grade_id')}"
    if _is_test(cell):
        return f"test {info.get('grade_id')}"
    return f"cell {index}"


def _guard_cell(source: str, cell_id: str) -> NotebookNode:
    # removed again by CheckReceipts, with any error it raised reported as a finding
    return from_dict({"cell_type": "code", "execution_count": None, "outputs": [], "id": cell_id,
                      "metadata": {METADATA: {"guard": True}}, "source": source})


class GuardTests(NbGraderPreprocessor):
    """Instrument the test cells and put the guard's installation first."""

    def preprocess(self, nb: NotebookNode, resources: dict):
        from labs.grading.policy import defined_names, read_names

        state = resources.setdefault("labs_grading", {})
        if state.get(GRADER_SCORED):
            # The grader scores this lab from handed-in answers (grader/preprocessors.py): a receipt
            # decides nothing, and no key enters the learner's kernel.
            os.environ.pop(KEY_VARIABLE, None)
        else:
            key = secrets.token_hex(32)
            # The kernel inherits this process's environment; the guard reads the key and removes it.
            os.environ[KEY_VARIABLE] = key
            state["key"] = key
        modules = {"labs.checks"}
        tested_builtins: set[str] = set()
        cells = []
        for cell in nb.cells:
            cells.append(cell)
            if cell.cell_type == "code" and (_nbgrader(cell).get("locked") or _is_test(cell)):
                modules |= _imports(cell.source)
            if _is_test(cell):
                grade_id = _nbgrader(cell)["grade_id"]
                tested_builtins |= read_names(cell.source) & set(dir(builtins))
                cell.metadata[METADATA] = {"original_source": cell.source}
                cell.source = instrument(cell.source, grade_id)
            elif cell.cell_type == "code" and _nbgrader(cell).get("locked") and not _nbgrader(cell).get("solution"):
                names = sorted(defined_names(cell.source))
                if names:  # what this locked cell bound must still be there when a test runs
                    cells.append(_guard_cell(f"{GUARD}.remember({names!r})", f"labs-grading-remember-{len(cells)}"))
        nb.cells = cells
        install = _guard_cell(f"import labs.grading.guard as {GUARD}\n"
                              f"{GUARD}.install({sorted(modules)!r}, {sorted(tested_builtins)!r})", "labs-grading-guard")
        nb.cells.insert(0, install)
        return nb, resources


class BoundedExecute(Execute):
    """nbgrader's Execute, bounded in output, and graded as far as it got if the kernel dies."""

    max_output_bytes = Integer(4 * 2**20, help="Output kept per cell; the rest is dropped with a note.").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._kept: dict[int, int] = {}
        try:
            return super().preprocess(nb, resources, km)
        except DeadKernelError:
            index = getattr(self, "_current_index", None)
            where = f"cell {index}" if index is not None else "a cell"
            nb.metadata.setdefault(METADATA, {}).setdefault("problems", []).append(
                f"the kernel died while running {where} (memory, CPU time or process limit reached, or "
                "the code ended the kernel); tests after that point earned 0")
            return nb, resources

    def _problem(self, text: str) -> None:
        self.nb.metadata.setdefault(METADATA, {}).setdefault("problems", []).append(text)

    def preprocess_cell(self, cell, resources, index):
        self._current_index = index
        cell, resources = super().preprocess_cell(cell, resources, index)
        if cell.cell_type == "code" and not _is_test(cell):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error" and output.get("ename") in LIMIT_ERRORS:
                    name, value = output.get("ename"), output.get("evalue")
                    self._problem(f"{_describe(cell, index)} raised {name}{': ' + value if value else ''} "
                                  f"({LIMIT_ERRORS[name]}); tests that need it earned 0")
        return cell, resources

    async def _async_handle_timeout(self, timeout, cell=None):
        # nbclient interrupts the cell (interrupt_on_timeout) and the notebook goes on: say which one
        index = getattr(self, "_current_index", None)
        where = _describe(cell, index) if cell is not None else f"cell {index}"
        self._problem(f"{where} timed out after {timeout} s and was interrupted (an endless loop?)")
        return await super()._async_handle_timeout(timeout, cell)

    def output(self, outs, msg, display_id, cell_index):
        size = len(json.dumps(msg.get("content", {}), default=str))
        kept = self._kept.get(cell_index, 0)
        if kept > self.max_output_bytes:
            return None
        self._kept[cell_index] = kept + size
        if kept + size > self.max_output_bytes:
            note = from_dict({"output_type": "stream", "name": "stdout",
                              "text": f"[the grader dropped this cell's output beyond {self.max_output_bytes // 2**20} MB]\n"})
            outs.append(note)
            self.nb.metadata.setdefault(METADATA, {}).setdefault("problems", []).append(
                f"cell {cell_index} printed over {self.max_output_bytes // 2**20} MB; the rest was dropped")
            return None
        return super().output(outs, msg, display_id, cell_index)


class CheckReceipts(NbGraderPreprocessor):
    """Give 0 to test cells without a valid receipt; remove the instrumentation; record findings."""

    def preprocess(self, nb: NotebookNode, resources: dict):
        key = resources.get("labs_grading", {}).get("key", "").encode()
        findings = nb.metadata.setdefault(METADATA, {}).setdefault("problems", [])
        cells = []
        for cell in nb.cells:
            if cell.metadata.get(METADATA, {}).get("guard"):
                for output in cell.get("outputs", []):
                    if output.get("output_type") == "error":
                        findings.append(f"the grading guard could not start: {output.get('ename')}: {output.get('evalue')}")
                continue
            if _is_test(cell) and METADATA in cell.metadata:
                self._settle(cell, key, findings, keyed=bool(key))
            cells.append(cell)
        nb.cells = cells
        return nb, resources

    @staticmethod
    def _settle(cell, key: bytes, findings: list[str], keyed: bool) -> None:
        grade_id = _nbgrader(cell)["grade_id"]
        expected = receipt_mac(key, grade_id)
        outputs, valid = [], False
        for output in cell.outputs:
            receipt = output.get("data", {}).get(RECEIPT_MIME) if output.get("output_type") == "display_data" else None
            if receipt is not None:
                valid = valid or (isinstance(receipt, dict) and receipt.get("mac") == expected)
                continue
            outputs.append(output)
        errors = [o for o in outputs if o.get("output_type") == "error"]
        for error in errors:
            if error.get("ename") == INTEGRITY_ERROR:
                findings.append(f"tampering: {error.get('evalue')}")
        if keyed and not valid and not errors:
            # first: nbgrader scores a cell by its first error or execute_result output
            outputs.insert(0, from_dict({
                "output_type": "error", "ename": INTEGRITY_ERROR,
                "evalue": "this test did not run to completion (the kernel stopped or was interrupted)",
                "traceback": [f"{INTEGRITY_ERROR}: {grade_id} did not run to completion"],
            }))
            findings.append(f"{grade_id}: the test did not run to completion")
        cell.outputs = outputs
        cell.source = cell.metadata.pop(METADATA)["original_source"]


def configure_autograde(c) -> None:
    """Put the guard into a course's ``nbgrader_config.py``: ``configure_autograde(c)``."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import AssignLatePenalties, CheckCellMetadata, IgnorePattern, LimitOutput, SaveAutoGrades

    c.Autograde.autograde_preprocessors = [
        GuardTests, BoundedExecute, CheckReceipts,  # in place of nbgrader's Execute
        IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades, AssignLatePenalties,
        CheckCellMetadata,
    ]


class RefuseToGrade(NbGraderPreprocessor):
    """Stands in for the whole autograde chain when the course cannot score safely."""

    reason = Unicode("", help="Why this course directory cannot grade.").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict):
        raise RuntimeError(f"{REFUSAL}: {self.reason}. Grade from the course "
                           "repository, which holds grader/ beside source/ (see docs/instructors-guide.md)")


def refuse_autograde(c, reason: str) -> None:
    """Make every autograde of this course fail loudly, with ``reason`` (nothing is scored)."""
    c.Autograde.autograde_preprocessors = [RefuseToGrade]
    c.RefuseToGrade.reason = reason
