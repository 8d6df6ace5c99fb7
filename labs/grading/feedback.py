"""Learners' feedback without the hidden tests.

nbgrader's ``generate_feedback`` renders the autograded notebook, whose test cells hold the full
instructor source, hidden tests included (nbgrader issue #917), and a failing hidden test's
traceback quotes the failing lines. A learner's feedback is shared: next year's learners must not
get this year's hidden tests from a colleague's HTML. ``configure_feedback(c)`` in a course's
``nbgrader_config.py`` puts ``HideHiddenTests`` into ``GenerateFeedback.preprocessors``, before
the HTML export; the scores per cell (nbgrader's ``GetGrades``) are untouched.
"""
from __future__ import annotations

import re
from pathlib import Path

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode, default

TEMPLATES = Path(__file__).with_name("templates")
PLACEHOLDER = "# hidden tests ran here; their code is not shown"
REDACTED = "[hidden test code removed]"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# hidden lines shorter than this (``)``, ``else:``) are too common to look for in outputs
MIN_LINE = 8


class HideHiddenTests(NbGraderPreprocessor):
    """Replace each hidden-test region with a placeholder and scrub its code from every output.

    - source: the lines from ``### BEGIN HIDDEN TESTS`` to ``### END HIDDEN TESTS`` become one
      placeholder line (at the marker's indentation);
    - errors of a cell that had hidden tests keep only ``Type: message`` (a traceback quotes the
      cell's lines, hidden ones included, even for a failure in its visible part);
    - anywhere else (other cells' tracebacks, streams, rich outputs, cell and notebook metadata),
      a line or value that contains a hidden line is replaced.
    """

    begin_delimiter = Unicode(help="Marks the start of hidden tests (default: ClearHiddenTests').").tag(config=True)
    end_delimiter = Unicode(help="Marks the end of hidden tests (default: ClearHiddenTests').").tag(config=True)
    placeholder = Unicode(PLACEHOLDER, help="What the learner sees in place of the hidden tests.").tag(config=True)

    @default("begin_delimiter")
    def _begin_default(self):
        return self.config.ClearHiddenTests.get("begin_test_delimeter", "BEGIN HIDDEN TESTS")

    @default("end_delimiter")
    def _end_default(self):
        return self.config.ClearHiddenTests.get("end_test_delimeter", "END HIDDEN TESTS")

    def preprocess(self, nb: NotebookNode, resources: dict):
        hidden: set[str] = set()
        hiding_cells = []
        for cell in nb.cells:
            found = self._hide(cell)
            if found is not None:
                hidden |= found
                hiding_cells.append(cell)
        if not hiding_cells:
            return nb, resources
        lines = sorted({line.strip() for line in hidden if len(line.strip()) >= MIN_LINE}, key=len, reverse=True)
        for cell in hiding_cells:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output.traceback = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
        if lines:
            for cell in nb.cells:
                if "outputs" in cell:
                    cell.outputs = [self._scrub(output, lines) for output in cell.outputs]
                cell.metadata = self._scrub(cell.metadata, lines)
                if cell.get("attachments"):
                    cell.attachments = self._scrub(cell.attachments, lines)
            nb.metadata = self._scrub(nb.metadata, lines)
        return nb, resources

    def _hide(self, cell) -> set[str] | None:
        """Replace the hidden regions of ``cell``'s source; the hidden lines, or None if none."""
        if self.begin_delimiter not in cell.get("source", ""):
            return None
        kept, hidden, inside = [], set(), False
        for line in cell.source.split("\n"):
            if self.begin_delimiter in line:
                inside = True
                kept.append(line[: len(line) - len(line.lstrip())] + self.placeholder)
            elif self.end_delimiter in line:
                inside = False
            elif inside:
                hidden.add(line)
            else:
                kept.append(line)
        cell.source = "\n".join(kept)
        return hidden

    def _scrub(self, value, lines: list[str]):
        """``value`` (an output, metadata: dicts, lists, strings) with no hidden line left in it."""
        if isinstance(value, str):
            plain = ANSI.sub("", value)
            if not any(line in plain for line in lines):
                return value
            return "\n".join(REDACTED if any(line in ANSI.sub("", part) for line in lines) else part
                             for part in value.split("\n"))
        if isinstance(value, dict):
            return type(value)((key, self._scrub(item, lines)) for key, item in value.items())
        if isinstance(value, list):
            return [self._scrub(item, lines) for item in value]
        return value


def configure_feedback(c) -> None:
    """Hide the hidden tests from a course's feedback: ``configure_feedback(c)`` in nbgrader_config.py."""
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import GetGrades

    # nbgrader's own list (nbgrader/converters/generate_feedback.py), with the hiding before the export
    c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
    # nbgrader's feedback page, loading nothing from the network (templates/offline_feedback/)
    c.HTMLExporter.template_name = "offline_feedback"
    c.HTMLExporter.extra_template_basedirs = [str(TEMPLATES), str(_nbgrader_templates())]


def _nbgrader_templates() -> Path:
    """nbgrader's own feedback template, which the course's extends (GenerateFeedback's default)."""
    import nbgrader

    return Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"
