"""The roster's own small database: the HR learner directory and the completions ledger.

They live apart from nbgrader's gradebook (``RosterPolicy.ledger_url``, default
``sqlite:///<course root>/roster.db``) because they outlive it: a completion recorded this year
must still be there next year to compute its expiry, whatever happens to the gradebook (regrade,
re-export, next cycle's new assignments, even a rebuilt gradebook).
"""
from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Iterator

from sqlalchemy import (BigInteger, Column, Date, DateTime, Float, Integer, String, Text, UniqueConstraint,
                        create_engine, delete, select, tuple_)
from sqlalchemy.orm import Session, declarative_base, sessionmaker

Base = declarative_base()


class LearnerRecord(Base):
    """One person of the last HR export: the directory is replaced as a whole at each import."""

    __tablename__ = "learners"
    id = Column(String(128), primary_key=True)
    name = Column(String(256), nullable=False)
    email = Column(String(256), nullable=False)
    department = Column(String(256), nullable=False)
    role = Column(String(128), nullable=False)
    imported_at = Column(DateTime(), nullable=False)


class CompletionRecord(Base):
    """The first time a learner reached a tier in a cycle. Never updated, never deleted."""

    __tablename__ = "completions"
    __table_args__ = (UniqueConstraint("learner_id", "tier", "reached_on"),)
    id = Column(Integer, primary_key=True, autoincrement=True)
    # No foreign key to learners: a learner graded but missing from the HR export still earns
    # completions, and a learner who leaves the directory keeps their history.
    learner_id = Column(String(128), nullable=False, index=True)
    tier = Column(String(1), nullable=False)
    reached_on = Column(Date(), nullable=False)
    curriculum_version = Column(String(32), nullable=False)
    recorded_at = Column(DateTime(), nullable=False)


class FeedbackRecord(Base):
    """What the feedback cell of one learner's notebook said, keyed by the file's size and mtime
    so that unchanged notebooks are not read again (a cache: safe to delete)."""

    __tablename__ = "feedback_cache"
    learner_id = Column(String(128), primary_key=True)
    assignment = Column(String(128), primary_key=True)
    path = Column(Text(), nullable=False)
    mtime_ns = Column(BigInteger(), nullable=False)
    size = Column(BigInteger(), nullable=False)
    present = Column(Integer(), nullable=False)  # 0: no readable feedback cell
    minutes_spent = Column(Float())
    difficulty = Column(Integer())
    comments = Column(Text())


@dataclass(frozen=True)
class Learner:
    id: str
    name: str
    email: str
    department: str
    role: str


@dataclass(frozen=True)
class Completion:
    learner_id: str
    tier: str
    reached_on: dt.date
    curriculum_version: str


class RosterStore:
    """The directory and the ledger behind one SQLAlchemy URL (any database SQLAlchemy supports)."""

    def __init__(self, url: str):
        self.url = url
        self.engine = create_engine(url, future=True)
        Base.metadata.create_all(self.engine)
        self._sessions = sessionmaker(bind=self.engine, future=True)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "RosterStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction: committed on success, rolled back entirely on any error."""
        with self._sessions() as session, session.begin():
            yield session

    # -- directory -------------------------------------------------------------------------
    def learners(self) -> dict[str, Learner]:
        with self._sessions() as session:
            rows = session.execute(select(LearnerRecord.id, LearnerRecord.name, LearnerRecord.email,
                                          LearnerRecord.department, LearnerRecord.role)).all()
        return {row.id: Learner(*row) for row in rows}

    @staticmethod
    def replace_learners(session: Session, learners: Iterable[Learner], imported_at: dt.datetime) -> None:
        """Make the directory exactly ``learners`` (an HR export is a full snapshot)."""
        session.query(LearnerRecord).delete()
        session.bulk_insert_mappings(LearnerRecord, [
            dict(id=l.id, name=l.name, email=l.email, department=l.department, role=l.role,
                 imported_at=imported_at) for l in learners])

    # -- ledger ----------------------------------------------------------------------------
    def completions(self) -> dict[str, list[Completion]]:
        """Every completion, grouped by learner, oldest first."""
        with self._sessions() as session:
            rows = session.execute(select(CompletionRecord.learner_id, CompletionRecord.tier,
                                          CompletionRecord.reached_on, CompletionRecord.curriculum_version)
                                   .order_by(CompletionRecord.reached_on, CompletionRecord.id)).all()
        grouped: dict[str, list[Completion]] = {}
        for row in rows:
            grouped.setdefault(row.learner_id, []).append(Completion(*row))
        return grouped

    def record(self, completions: list[Completion], recorded_at: dt.datetime) -> None:
        if not completions:
            return
        with self.transaction() as session:
            session.bulk_insert_mappings(CompletionRecord, [
                dict(learner_id=c.learner_id, tier=c.tier, reached_on=c.reached_on,
                     curriculum_version=c.curriculum_version, recorded_at=recorded_at) for c in completions])

    # -- feedback cache --------------------------------------------------------------------
    def feedback_cache(self) -> dict:
        with self._sessions() as session:
            rows = session.execute(select(FeedbackRecord)).scalars().all()
            return {(r.learner_id, r.assignment): (r.path, r.mtime_ns, r.size, {
                "minutes_spent": r.minutes_spent, "difficulty": r.difficulty, "comments": r.comments or ""}
                if r.present else None) for r in rows}

    def update_feedback_cache(self, changed: dict) -> None:
        if not changed:
            return
        keys = list(changed)
        with self.transaction() as session:
            for start in range(0, len(keys), 500):
                session.execute(delete(FeedbackRecord).where(
                    tuple_(FeedbackRecord.learner_id, FeedbackRecord.assignment).in_(keys[start:start + 500])))
            session.bulk_insert_mappings(FeedbackRecord, [
                dict(learner_id=learner, assignment=assignment, path=path, mtime_ns=mtime, size=size,
                     present=int(parsed is not None), **(parsed or {}))
                for (learner, assignment), (path, mtime, size, parsed) in changed.items()])
