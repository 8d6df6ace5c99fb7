"""The grading journal: one row per (assignment, learner) in the gradebook's own database.

It lives next to nbgrader's tables (SQLite or PostgreSQL, whatever ``CourseDirectory.db_url``
names), so every grader process sharing a gradebook shares it too. It records

* who is grading a submission right now: a claim with the grader's host and process id and a
  lease the grader renews while it works (every third of the lease), so a second grader skips it.
  A grader that dies stops renewing: on its own host its claim is taken over at once (its process
  is gone), elsewhere -- another machine, a Kubernetes pod that was evicted -- once the lease has
  run out, and never while a slow learner is still being graded;
* the outcome of the last grading: the submission's timestamp, the score, and the reasons the
  instructor should read (tampering, an ungradable file, a dead kernel…), which the roster shows.

A submission whose journal row says it was graded at its current timestamp is not graded again
unless asked (``--force``), so a rerun after a crash grades exactly the rest.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa

TABLE = "labs_grading_journal"
metadata = sa.MetaData()
journal = sa.Table(
    TABLE, metadata,
    sa.Column("assignment", sa.String(128), primary_key=True),
    sa.Column("student", sa.String(128), primary_key=True),
    sa.Column("state", sa.String(16), nullable=False),          # claimed | graded
    sa.Column("claimed_by", sa.String(256)),
    sa.Column("claimed_at", sa.DateTime),
    sa.Column("lease_until", sa.DateTime),                      # the claim is dead after this
    sa.Column("submitted_at", sa.String(64)),                   # nbgrader's timestamp.txt, verbatim
    sa.Column("graded_at", sa.DateTime),
    sa.Column("score", sa.Float),
    sa.Column("max_score", sa.Float),
    sa.Column("reasons", sa.Text, nullable=False, default="[]"),  # JSON list of strings
)
DEFAULT_LEASE = dt.timedelta(minutes=5)


def grader_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _claim_is_dead(claimed_by: str | None, lease_until: dt.datetime | None) -> bool:
    if not claimed_by:
        return True
    host, _, pid = claimed_by.rpartition(":")
    if host == socket.gethostname():
        try:
            os.kill(int(pid), 0)
        except (ProcessLookupError, ValueError):
            return True  # its process is gone: no need to wait for the lease
        except PermissionError:
            pass
        if int(pid) == os.getpid():
            return True
    # a live process of that name may be another one (a restarted container reuses pids): the lease decides
    return lease_until is None or _now() > lease_until


@dataclass
class Outcome:
    assignment: str
    student: str
    score: float | None
    max_score: float | None
    reasons: list[str]
    skipped: str | None = None  # why this run did not grade it
    error: str | None = None  # the grader itself failed on this learner: nothing recorded, grade again


class Journal:
    def __init__(self, db_url: str, lease: dt.timedelta = DEFAULT_LEASE):
        self.engine = sa.create_engine(db_url, future=True)
        self.lease = lease
        metadata.create_all(self.engine)
        columns = {c["name"] for c in sa.inspect(self.engine).get_columns(TABLE)}
        if "lease_until" not in columns:  # a journal made before leases: its claims have none, so are dead
            with self.engine.begin() as db:
                db.execute(sa.text(f"ALTER TABLE {TABLE} ADD COLUMN lease_until TIMESTAMP"))

    def claim(self, assignment: str, student: str, submitted_at: str | None, force: bool) -> str | None:
        """Take the submission for this process; return why not if another grader has it or it is done."""
        me = grader_id()
        key = (journal.c.assignment == assignment) & (journal.c.student == student)
        with self.engine.begin() as db:
            row = db.execute(sa.select(journal).where(key)).mappings().first()
            if row is None:
                try:
                    db.execute(journal.insert().values(assignment=assignment, student=student, state="claimed",
                                                       claimed_by=me, claimed_at=_now(),
                                                       lease_until=_now() + self.lease, reasons="[]"))
                    return None
                except sa.exc.IntegrityError:
                    return "claimed by another grader"
            if row["state"] == "graded" and row["submitted_at"] == submitted_at and not force:
                return "already graded at this submission time (use --force to grade again)"
            if row["state"] == "claimed" and not _claim_is_dead(row["claimed_by"], row["lease_until"]):
                return f"being graded by {row['claimed_by']}"
            # compare-and-set on the row as read: of two graders racing here, one updates it
            taken = db.execute(journal.update().where(key)
                               .where(journal.c.state == row["state"])
                               .where(journal.c.claimed_by.is_(row["claimed_by"]) if row["claimed_by"] is None
                                      else journal.c.claimed_by == row["claimed_by"])
                               .values(state="claimed", claimed_by=me, claimed_at=_now(),
                                       lease_until=_now() + self.lease)).rowcount
            return None if taken == 1 else "claimed by another grader"

    def record(self, outcome: Outcome, submitted_at: str | None) -> None:
        key = (journal.c.assignment == outcome.assignment) & (journal.c.student == outcome.student)
        with self.engine.begin() as db:
            db.execute(journal.update().where(key).values(
                state="graded", claimed_by=None, lease_until=None, submitted_at=submitted_at, graded_at=_now(),
                score=outcome.score, max_score=outcome.max_score, reasons=json.dumps(outcome.reasons)))

    def release(self, assignment: str, student: str) -> None:
        """Give a claim back without an outcome (the grader is stopping)."""
        key = (journal.c.assignment == assignment) & (journal.c.student == student) & \
            (journal.c.claimed_by == grader_id())
        with self.engine.begin() as db:
            db.execute(journal.update().where(key).values(claimed_by=None, claimed_at=None, lease_until=None))

    def renew(self) -> None:
        """Extend the lease of every claim this process holds."""
        mine = (journal.c.claimed_by == grader_id()) & (journal.c.state == "claimed")
        with self.engine.begin() as db:
            db.execute(journal.update().where(mine).values(lease_until=_now() + self.lease))

    @contextmanager
    def leases_kept(self):
        """Renew this process's claims every third of the lease while the block runs."""
        stop = threading.Event()

        def keep():
            while not stop.wait(self.lease.total_seconds() / 3):
                try:
                    self.renew()
                except sa.exc.OperationalError:
                    pass  # the database is away for a moment: the next turn renews, well within the lease

        keeper = threading.Thread(target=keep, name="journal-leases", daemon=True)
        keeper.start()
        try:
            yield
        finally:
            stop.set()
            keeper.join()

    def reasons(self) -> dict[tuple[str, str], list[str]]:
        """(assignment, student) -> the reasons recorded at their last grading."""
        with self.engine.begin() as db:
            rows = db.execute(sa.select(journal.c.assignment, journal.c.student, journal.c.reasons)).all()
        return {(a, s): json.loads(r or "[]") for a, s, r in rows}
