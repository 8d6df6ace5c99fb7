"""The one roster implementation behind ``labs roster`` and ``nbgrader export --exporter=...``."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from nbgrader.api import Gradebook

from labs.manifest import Manifest, load_manifest
from labs.roster import export
from labs.roster.feedback import collect_feedback
from labs.roster.grades import GradebookSnapshot, StudentGrades, Submission, read_gradebook
from labs.roster.policy import RosterPolicy
from labs.roster.rules import STATUSES, Roster, build_rows
from labs.roster.store import RosterStore


class RosterError(ValueError):
    """A roster request that cannot be served (bad date, unknown output format)."""


def today() -> dt.date:
    """Today in UTC, the zone nbgrader stores submission timestamps in."""
    return dt.datetime.now(dt.timezone.utc).date()


def parse_as_of(text: str | None) -> dt.date:
    if not text:
        return today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise RosterError(f"--as-of must be a date like 2026-11-26, got {text!r}") from None


def build_roster(gradebook: Gradebook, course_root: Path, policy: RosterPolicy, as_of: dt.date, *,
                 manifest: Manifest | None = None, students: set[str] | None = None,
                 record: bool = True, with_feedback: bool = True) -> Roster:
    """Compute the roster for ``as_of`` and (by default) record new completions in the ledger."""
    course_root = Path(course_root)
    manifest = manifest or load_manifest(policy.manifest_for(course_root))
    snapshot = read_gradebook(gradebook, manifest)
    _mark_ungraded_folders(snapshot, course_root, manifest)
    with RosterStore(policy.ledger_url_for(course_root)) as store:
        rows, new = build_rows(manifest, policy, snapshot, store.learners(), store.completions(), as_of, students)
        if record:
            store.record(new, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))
        roster = Roster(as_of=as_of, curriculum_version=manifest.version, competencies=list(manifest.competencies),
                        policy=policy.describe(), rows=rows, exercises=snapshot.exercises, new_completions=new)
        if with_feedback:
            roster.feedback, changed = collect_feedback(course_root, manifest.ids, students, store.feedback_cache())
            store.update_feedback_cache(changed)
    return roster


def _mark_ungraded_folders(snapshot: GradebookSnapshot, course_root: Path, manifest: Manifest) -> None:
    """A ``submitted/<student>/<assignment>/`` folder the gradebook has no grades for is an
    ungradable submission (autograde failed on it, or it was never run)."""
    submitted = course_root / "submitted"
    if not submitted.is_dir():
        return
    wanted = set(manifest.ids)
    for learner in submitted.iterdir():
        if not learner.is_dir():
            continue
        for folder in learner.iterdir():
            if folder.name in wanted and folder.is_dir():
                grades = snapshot.students.setdefault(learner.name, StudentGrades(learner.name, None, None, None))
                grades.submissions.setdefault(folder.name, Submission(folder.name, None, graded=False))


def run_roster(gradebook: Gradebook, course_root: Path, policy: RosterPolicy, as_of: dt.date,
               destinations: list[Path], *, exercises_to: Path | None = None, feedback_to: Path | None = None,
               manifest: Manifest | None = None, students: set[str] | None = None) -> Roster:
    for path in destinations:  # fail on a bad extension before recording anything
        if Path(path).suffix.lower() not in export.FORMATS:
            raise RosterError(f"{path}: the roster is written as {', '.join(export.FORMATS)}; "
                             "the extension picks the format")
    roster = build_roster(gradebook, course_root, policy, as_of, manifest=manifest, students=students,
                          with_feedback=bool(feedback_to) or any(Path(p).suffix.lower() == ".html"
                                                                for p in destinations))
    for path in destinations:
        export.write(roster, Path(path))
    if exercises_to:
        export.write_exercises_csv(roster, Path(exercises_to))
    if feedback_to:
        export.write_feedback_csv(roster, Path(feedback_to))
    return roster


def format_summary(roster: Roster) -> str:
    summary = roster.summary()
    learners = summary["learners"]
    lines = [f"Proficiency roster as of {summary['as_of']} (curriculum {summary['curriculum_version']}): "
             f"{learners} learner{'s' * (learners != 1)}"]
    lines.append("  status:        " + ", ".join(f"{s} {summary['by_status'][s]}" for s in STATUSES))
    lines.append("  tier achieved: " + ", ".join(f"{t} {n}" for t, n in summary["by_tier_achieved"].items()))
    for department, counts in summary["by_department"].items():
        share = 100 * counts["compliant"] / counts["learners"]
        lines.append(f"  {department:<24} {counts['compliant']}/{counts['learners']} compliant ({share:.0f} %)")
    if summary["not_in_directory"] or summary["not_in_gradebook"]:
        lines.append(f"  mismatches:    {summary['not_in_directory']} in the gradebook but not the HR directory, "
                     f"{summary['not_in_gradebook']} in the HR directory but not the gradebook")
    lines.append(f"  flagged:       {summary['flagged_learners']} learner(s) with flags; "
                 f"{summary['new_completions']} new completion(s) recorded")
    return "\n".join(lines)
