"""The roster as an nbgrader exporter, sharing :func:`labs.roster.report.run_roster` with ``labs roster``::

    nbgrader export --exporter=labs.roster.RosterExportPlugin --to roster.html \\
        --RosterExportPlugin.as_of=2026-11-26
"""
from __future__ import annotations

from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.plugins import ExportPlugin
from traitlets import Unicode

from labs.roster.policy import RosterPolicy
from labs.roster.report import format_summary, parse_as_of, run_roster


class RosterExportPlugin(ExportPlugin):
    """Export the proficiency roster (format from the extension of ``--to``: .csv, .json, .html)."""

    as_of = Unicode("", help="Compute statuses for this date (YYYY-MM-DD; default: today, UTC).").tag(config=True)
    exercises_to = Unicode("", help="Also write per-exercise pass rates to this CSV.").tag(config=True)
    feedback_to = Unicode("", help="Also write the learners' lab feedback to this CSV.").tag(config=True)

    def export(self, gradebook: Gradebook) -> None:
        coursedir = getattr(self.parent, "coursedir", None)
        course_root = Path(coursedir.root) if coursedir is not None else Path.cwd()
        destination = Path(self.to or "roster.csv")
        if self.assignment:
            self.log.warning("The roster covers every assignment of the curriculum; --assignment is ignored")
        self.log.info("Exporting the proficiency roster to %s", destination)
        roster = run_roster(gradebook, course_root, RosterPolicy(parent=self), parse_as_of(self.as_of),
                            [destination], exercises_to=self.exercises_to or None,
                            feedback_to=self.feedback_to or None,
                            students={str(s) for s in self.student} or None)
        self.log.info("%s", format_summary(roster))
