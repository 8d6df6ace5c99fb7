"""The roster as files: CSV (for an HR or LMS import), JSON (same fields, typed) and HTML, plus
the instructor-insight CSVs (per-exercise pass rates, learner feedback).

CSV: UTF-8, RFC 4180 quoting (a field with a comma, a quote or a newline is quoted, quotes
doubled), ISO 8601 dates, empty cells for "none", one flag list joined with "; ".

Learners write some of this text (feedback comments; names and ids come from HR), and HR opens
the CSVs in a spreadsheet, which runs a cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula (CSV injection). Every text cell that begins so is written with a
leading apostrophe, OWASP's rule: the spreadsheet shows the text as text. The JSON keeps the text
exactly as written (it is data to every reader).
"""
from __future__ import annotations

import csv
import json
import os
import tempfile
from pathlib import Path

from labs.roster.rules import Roster, RosterRow

FORMATS = (".csv", ".json", ".html")
FLAG_SEPARATOR = "; "
EXERCISE_FIELDS = ("assignment", "grade_id", "tier", "competency", "points", "graded_submissions",
                   "full_marks", "pass_rate", "mean_score_percent")
FEEDBACK_FIELDS = ("learner_id", "assignment", "minutes_spent", "difficulty", "comments")


def fields(roster: Roster) -> list[str]:
    return ["learner_id", "name", "email", "department", "role", "required_tier",
            *(f"score_{c}" for c in roster.competencies), "tier_achieved", "completion_date", "expiry",
            "status", "curriculum_version", "flags"]


def row_values(row: RosterRow) -> dict:
    """A row as typed values (JSON): numbers, ISO date strings, None, a list of flags."""
    values = {"learner_id": row.learner_id, "name": row.name, "email": row.email,
              "department": row.department, "role": row.role, "required_tier": row.required_tier}
    values.update({f"score_{c}": score for c, score in row.scores.items()})
    values.update({
        "tier_achieved": row.tier_achieved or None,
        "completion_date": row.completion_date.isoformat() if row.completion_date else None,
        "expiry": row.expiry.isoformat() if row.expiry else None,
        "status": row.status, "curriculum_version": row.curriculum_version, "flags": list(row.flags)})
    return values


#: What makes a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """``text`` as a spreadsheet shows it and never runs it: an apostrophe before a formula trigger."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return FLAG_SEPARATOR.join(value)
    if isinstance(value, float):
        return f"{value:g}" if value == int(value) else f"{value:.1f}"
    return str(value)


def _atomic_write(path: Path, write) -> None:
    """Write through a temporary file and rename: an importer never reads half a roster."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; the roster is a normal file
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            write(handle)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _write_csv(path: Path, header, records) -> None:
    def write(handle):
        writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows([spreadsheet_safe(str(value)) for value in record] for record in records)
    _atomic_write(path, write)


def write_csv(roster: Roster, path: Path) -> None:
    header = fields(roster)
    _write_csv(path, header, ([_cell(row_values(row)[name]) for name in header] for row in roster.rows))


def write_json(roster: Roster, path: Path) -> None:
    document = {"as_of": roster.as_of.isoformat(), "curriculum_version": roster.curriculum_version,
                "policy": roster.policy, "fields": fields(roster), "summary": roster.summary(),
                "learners": [row_values(row) for row in roster.rows]}
    _atomic_write(path, lambda handle: json.dump(document, handle, indent=1, ensure_ascii=False))


def write_html(roster: Roster, path: Path) -> None:
    from labs.roster.html import render

    text = render(roster)
    _atomic_write(path, lambda handle: handle.write(text))


def write_exercises_csv(roster: Roster, path: Path) -> None:
    def record(e):
        rate = e.pass_rate
        return [e.assignment, e.grade_id, e.tier, e.competency, _cell(e.points), e.graded, e.full_marks,
                "" if rate is None else f"{rate:.3f}",
                "" if not e.graded else f"{100 * e.mean_score / e.points:.1f}"]
    _write_csv(path, EXERCISE_FIELDS, (record(e) for e in roster.exercises))


def write_feedback_csv(roster: Roster, path: Path) -> None:
    _write_csv(path, FEEDBACK_FIELDS, ([f.learner_id, f.assignment, _cell(f.minutes_spent), _cell(f.difficulty),
                                        f.comments] for f in roster.feedback))


WRITERS = {".csv": write_csv, ".json": write_json, ".html": write_html}


def write(roster: Roster, path: Path) -> None:
    """Write the roster in the format its extension names (.csv, .json or .html)."""
    suffix = Path(path).suffix.lower()
    if suffix not in WRITERS:
        raise ValueError(f"{path}: the roster is written as {', '.join(FORMATS)}; the extension picks the format")
    WRITERS[suffix](roster, Path(path))
