"""The proficiency roster: who reached which tier, and who is due or overdue for renewal.

    policy.py     configuration (traitlets, from nbgrader_config.py): pass mark, role -> tier, windows
    store.py      the roster's own database: HR learner directory and completions ledger
    directory.py  ``labs learners import FILE``: validate the HR export, register learners
    grades.py     aggregate reads of nbgrader's gradebook (scores, penalties, flags, pass rates)
    rules.py      tiers, reach dates, completions, statuses: docs/course-design.md in code
    feedback.py   the ungraded feedback cell that ends every lab, and its safe reader
    report.py     the one implementation behind ``labs roster`` and the nbgrader exporter
    export.py     CSV / JSON / insight CSV writers; html.py the self-contained HTML report
    plugin.py     ``nbgrader export --exporter=labs.roster.RosterExportPlugin``
"""
from labs.roster.feedback import add_feedback_cell, feedback_cell
from labs.roster.plugin import RosterExportPlugin
from labs.roster.policy import RosterPolicy
from labs.roster.report import build_roster, format_summary, run_roster

__all__ = ["RosterExportPlugin", "RosterPolicy", "add_feedback_cell", "build_roster", "feedback_cell",
           "format_summary", "run_roster"]
