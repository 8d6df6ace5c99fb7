"""The roster's rules (docs/course-design.md, "Tiers and who needs them" and "The proficiency roster").

Scores: for tier t and competency c, *possible* is the manifest points of the cells of tier <= t
and competency c, *earned* the learner's points on them (0 when not submitted; manual grades and
late penalties as nbgrader applies them, see :mod:`labs.roster.grades`).

Tier t is reached when the tier below is reached, the manifest has exercises of tier t itself
(a tier nothing certifies yet cannot be reached), and every competency with possible > 0 at <= t
has earned / possible >= the pass mark. It is reached on the date of the latest submission among
the assignments that contribute to it, and counts only if that date is on or before the as-of
date -- so a roster for a past date is reproducible.

The completions ledger keeps the first time a tier was reached in each cycle; statuses come from
it, so a completion survives regrading, next cycle's new assignments and a rebuilt gradebook.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from labs.manifest import Manifest
from labs.roster.grades import ExerciseStats, GradebookSnapshot, StudentGrades
from labs.roster.policy import TIER_ORDER, RosterPolicy, tier_rank
from labs.roster.store import Completion, Learner

STATUSES = ("compliant", "due-soon", "overdue", "in-progress", "not-started")
NOT_IN_DIRECTORY = "not in HR directory"
NOT_IN_GRADEBOOK = "not registered in gradebook"


@dataclass
class RosterRow:
    learner_id: str
    name: str
    email: str
    department: str
    role: str
    required_tier: str
    scores: dict[str, float | None]  # competency -> percent at or below the required tier
    tier_achieved: str
    completion_date: dt.date | None
    expiry: dt.date | None
    status: str
    curriculum_version: str
    flags: list[str] = field(default_factory=list)


@dataclass
class Roster:
    as_of: dt.date
    curriculum_version: str
    competencies: list[str]
    policy: dict
    rows: list[RosterRow]
    exercises: list[ExerciseStats]
    new_completions: list[Completion]
    feedback: list = field(default_factory=list)  # labs.roster.feedback.Feedback

    def count(self, **where) -> int:
        return sum(all(getattr(row, k) == v for k, v in where.items()) for row in self.rows)

    def summary(self) -> dict:
        departments: dict[str, dict[str, int]] = {}
        for row in self.rows:
            counts = departments.setdefault(row.department or "(unknown)", {"learners": 0, "compliant": 0})
            counts["learners"] += 1
            counts["compliant"] += row.status in ("compliant", "due-soon")
        return {
            "as_of": self.as_of.isoformat(),
            "curriculum_version": self.curriculum_version,
            "learners": len(self.rows),
            "by_status": {status: self.count(status=status) for status in STATUSES},
            "by_tier_achieved": {tier or "none": self.count(tier_achieved=tier) for tier in ("", *TIER_ORDER)},
            "by_required_tier": {tier: self.count(required_tier=tier) for tier in TIER_ORDER},
            "by_department": dict(sorted(departments.items())),
            "not_in_directory": sum(NOT_IN_DIRECTORY in row.flags for row in self.rows),
            "not_in_gradebook": sum(NOT_IN_GRADEBOOK in row.flags for row in self.rows),
            "flagged_learners": sum(bool(row.flags) for row in self.rows),
            "new_completions": len(self.new_completions),
        }


class TierTable:
    """The manifest's points per (tier, competency) and which assignments feed each tier."""

    def __init__(self, manifest: Manifest):
        self.possible: dict[tuple[str, str], float] = {}
        self.assignments: dict[str, set[str]] = {tier: set() for tier in TIER_ORDER}
        own: set[str] = set()
        for assignment in manifest.assignments:
            for cell in assignment.cells:
                key = (cell.tier, cell.competency)
                self.possible[key] = self.possible.get(key, 0.0) + cell.points
                own.add(cell.tier)
                for tier in TIER_ORDER[tier_rank(cell.tier):]:
                    self.assignments[tier].add(assignment.id)
        self.has_exercises = {tier: tier in own for tier in TIER_ORDER}
        self.competencies = list(manifest.competencies)

        # Per tier, per competency: the (tier, competency) buckets at or below it and their points,
        # computed once (the roster asks for 10,000 learners).
        self._cumulative: dict[str, dict[str, tuple[list, float]]] = {}
        for tier in TIER_ORDER:
            below = {key: p for key, p in self.possible.items() if tier_rank(key[0]) <= tier_rank(tier)}
            self._cumulative[tier] = {
                c: ([key for key in below if key[1] == c], sum(p for key, p in below.items() if key[1] == c))
                for c in sorted({key[1] for key in below})}

    def totals(self, earned: dict[tuple[str, str], float], tier: str) -> dict[str, tuple[float, float]]:
        """competency -> (earned, possible) over every cell at or below ``tier``."""
        return {c: (sum(earned.get(key, 0.0) for key in keys), possible)
                for c, (keys, possible) in self._cumulative[tier].items() if possible > 0}


def reached_tiers(table: TierTable, grades: StudentGrades | None, pass_mark: float) -> list[str]:
    """Tiers reached on the gradebook's current grades, lowest first (dates not considered)."""
    reached = []
    if grades is None:
        return reached
    for tier in TIER_ORDER:
        if not table.has_exercises[tier]:
            break
        totals = table.totals(grades.earned, tier)
        # A tiny tolerance: 0.8 * 15 points must pass at exactly 12.0 despite float sums.
        if not totals or any(earned < pass_mark * possible - 1e-9 for earned, possible in totals.values()):
            break
        reached.append(tier)
    return reached


def reach_date(table: TierTable, grades: StudentGrades, tier: str) -> dt.date | None:
    """The day a tier was reached: the latest dated submission among the assignments feeding it."""
    stamps = [s.timestamp for a, s in grades.submissions.items() if a in table.assignments[tier] and s.timestamp]
    return max(stamps).date() if stamps else None


def should_record(existing: list[Completion], reached_on: dt.date, policy: RosterPolicy) -> bool:
    """A reach is a new completion the first time in a cycle: no completion of that tier yet, or
    on/after the renewal window of the latest one opened (expiry - due-soon window). Regrading
    or re-exporting the same work therefore never moves or duplicates a completion."""
    if not existing:
        return True
    latest = max(c.reached_on for c in existing)
    window_opens = latest + dt.timedelta(days=policy.renewal_days - policy.due_soon_days)
    return reached_on > latest and reached_on >= window_opens


def build_rows(manifest: Manifest, policy: RosterPolicy, snapshot: GradebookSnapshot,
               directory: dict[str, Learner], ledger: dict[str, list[Completion]], as_of: dt.date,
               students: set[str] | None = None) -> tuple[list[RosterRow], list[Completion]]:
    """One row per learner of the directory or the gradebook, and the completions to record."""
    table = TierTable(manifest)
    renewal = dt.timedelta(days=policy.renewal_days)
    rows, new_completions = [], []
    learner_ids = sorted(set(directory) | set(snapshot.students))
    for learner_id in learner_ids:
        if students is not None and learner_id not in students:
            continue
        person, grades = directory.get(learner_id), snapshot.students.get(learner_id)
        flags: list[str] = []
        if person is None:
            flags.append(NOT_IN_DIRECTORY)
        if learner_id not in snapshot.registered:
            flags.append(NOT_IN_GRADEBOOK)
        role = person.role if person else ""
        required = policy.required_tier(role)
        if required is None:
            if person is not None:
                flags.append(f"unknown role: {role}")
            required = policy.default_tier

        # Submissions dated after the as-of date had not happened yet on that day.
        submissions = [s for s in (grades.submissions.values() if grades else [])
                       if s.timestamp is None or s.timestamp.date() <= as_of]
        for submission in sorted(submissions, key=lambda s: s.assignment):
            if not submission.graded:
                flags.append(f"ungradable: {submission.assignment}")
            if submission.needs_manual_grade:
                flags.append(f"needs manual grade: {submission.assignment}")
            if submission.flagged:
                flags.append(f"flagged: {submission.assignment}")
            if submission.graded and submission.timestamp is None:
                flags.append(f"undated submission: {submission.assignment}")
            if submission.grading_notes:
                more = len(submission.grading_notes) - 1
                flags.append(f"grading: {submission.assignment}: {submission.grading_notes[0]}"
                             + (f" (+{more} more)" if more else ""))

        # Record completions for tiers reached (by the as-of date) and not yet in this cycle's ledger.
        completions = list(ledger.get(learner_id, []))
        reached_now: list[str] = []
        reach_dates: dict[str, dt.date] = {}
        for tier in reached_tiers(table, grades, policy.pass_mark):
            reached_on = reach_date(table, grades, tier)
            if reached_on is None or reached_on > as_of:
                break
            reached_now.append(tier)
            reach_dates[tier] = reached_on
            if should_record([c for c in completions if c.tier == tier], reached_on, policy):
                completion = Completion(learner_id, tier, reached_on, manifest.version)
                completions.append(completion)
                new_completions.append(completion)

        # Status from the ledger: a completion of the required tier or higher, valid on as_of.
        relevant = [c for c in completions if tier_rank(c.tier) >= tier_rank(required) and c.reached_on <= as_of]
        active = [c for c in relevant if as_of < c.reached_on + renewal]
        completion = max(active or relevant, key=lambda c: c.reached_on, default=None)
        expiry = completion.reached_on + renewal if completion else None
        if active:
            status = "due-soon" if (expiry - as_of).days <= policy.due_soon_days else "compliant"
        elif completion:
            status = "overdue"
        elif submissions:
            status = "in-progress"
        else:
            status = "not-started"

        # Tier achieved: the highest tier still valid on as_of, from the gradebook or the ledger.
        valid_tiers = [tier for tier in reached_now if as_of < reach_dates[tier] + renewal]
        valid_tiers += [c.tier for c in completions if c.reached_on <= as_of < c.reached_on + renewal]
        achieved = max(valid_tiers, key=tier_rank, default="")
        totals = table.totals(grades.earned if grades else {}, required)
        scores = {c: (round(100 * totals[c][0] / totals[c][1], 1) if c in totals else None)
                  for c in table.competencies}
        if person is not None:
            name, email, department = person.name, person.email, person.department
        else:
            name, email, department = (grades.name, grades.email or "", "") if grades else (learner_id, "", "")
        rows.append(RosterRow(
            learner_id=learner_id, name=name, email=email, department=department, role=role,
            required_tier=required, scores=scores, tier_achieved=achieved,
            completion_date=completion.reached_on if completion else None, expiry=expiry, status=status,
            curriculum_version=completion.curriculum_version if completion else manifest.version,
            flags=flags))
    return rows, new_completions
