"""Leases on the grading journal's claims. Graders on several hosts (Kubernetes pods) share one
gradebook: a grader that dies without a word leaves its claim, which no other grader takes while
the lease runs and another takes over once it has run out; a grader that is alive keeps its claims
by renewing them, however long a learner takes."""
import datetime as dt
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from labs.grading.journal import TABLE, Journal, _now, grader_id, journal
from tests.grading_cohort import EXPECTED_SCORES, gradebook_state, toy_cohort

LEASE = dt.timedelta(seconds=0.6)


def _plant_claim(store: Journal, student: str, claimed_by: str, lease_until: dt.datetime | None) -> None:
    with store.engine.begin() as db:
        db.execute(journal.insert().values(assignment="lab", student=student, state="claimed", claimed_by=claimed_by,
                                           claimed_at=_now(), lease_until=lease_until, reasons="[]"))


def test_another_hosts_claim_holds_while_its_lease_runs_and_is_taken_over_after(tmp_path):
    store = Journal(f"sqlite:///{tmp_path / 'gradebook.db'}", LEASE)
    _plant_claim(store, "ada", "pod-7f9c:12", _now() + dt.timedelta(seconds=2))
    assert store.claim("lab", "ada", None, False) == "being graded by pod-7f9c:12"
    time.sleep(2.2)
    assert store.claim("lab", "ada", None, False) is None
    with store.engine.begin() as db:
        row = db.execute(sa.select(journal)).mappings().one()
    assert row["claimed_by"] == grader_id() and row["lease_until"] > _now()


def test_a_claim_renewed_by_a_live_grader_outlasts_its_lease(tmp_path):
    store = Journal(f"sqlite:///{tmp_path / 'gradebook.db'}", LEASE)
    assert store.claim("lab", "ada", None, False) is None
    with store.engine.begin() as db:
        first = db.execute(sa.select(journal.c.lease_until)).scalar_one()
    with store.leases_kept():
        time.sleep(5 * LEASE.total_seconds())
        with store.engine.begin() as db:
            renewed = db.execute(sa.select(journal.c.lease_until)).scalar_one()
    assert renewed > first + 3 * LEASE and renewed > _now()


def test_a_journal_made_before_leases_gets_the_column_and_its_claims_count_as_dead(tmp_path):
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with sqlite3.connect(tmp_path / "gradebook.db") as db:
        db.execute(f"CREATE TABLE {TABLE} (assignment VARCHAR(128), student VARCHAR(128), state VARCHAR(16) NOT NULL, "
                   "claimed_by VARCHAR(256), claimed_at DATETIME, submitted_at VARCHAR(64), graded_at DATETIME, "
                   "score FLOAT, max_score FLOAT, reasons TEXT NOT NULL, PRIMARY KEY (assignment, student))")
        db.execute(f"INSERT INTO {TABLE} VALUES ('lab', 'ada', 'claimed', 'old-host:4', '2026-11-01 09:00:00', "
                   "NULL, NULL, NULL, NULL, '[]')")
    store = Journal(url, LEASE)
    assert store.claim("lab", "ada", None, False) is None


def _journal_rows(course) -> dict[str, tuple[str, str | None, str | None]]:
    try:
        with sqlite3.connect(course / "gradebook.db", timeout=5) as db:
            rows = db.execute(f"SELECT student, state, claimed_by, lease_until FROM {TABLE}").fetchall()
    except sqlite3.OperationalError:
        return {}
    return {student: (state, by, until) for student, state, by, until in rows}


#: long enough for the second grader to start and reach the claim on a loaded machine (8 s was not)
POD_LEASE = 45


def _grade_on_host(course, host: str, *args: str) -> list[str]:
    # a UTS namespace of its own: the grader's host name is `host`, as in a pod of its own
    grade = f"exec {sys.executable} -m labs.cli --course-dir {course} grade toy --lease {POD_LEASE} {' '.join(args)}"
    return ["unshare", "-u", "sh", "-c", f"hostname {host} && {grade}"]


@pytest.mark.slow
def test_a_grader_pod_that_dies_leaves_its_learner_to_another_pod_once_the_lease_runs_out(toy_course):
    students = toy_cohort(toy_course)
    pod_a = subprocess.Popen(_grade_on_host(toy_course, "grader-a"), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and pod_a.poll() is None:
        rows = _journal_rows(toy_course).values()
        if any(state == "graded" for state, _, _ in rows) and any(state == "claimed" for state, _, _ in rows):
            break
        time.sleep(0.1)
    assert pod_a.poll() is None, "grader-a finished before it could be killed; grade a bigger cohort"
    pod_a.send_signal(signal.SIGKILL)  # the pod is evicted: no word to the journal
    pod_a.wait()
    left = {s: row for s, row in _journal_rows(toy_course).items() if row[0] == "claimed"}
    assert len(left) == 1, left
    (student, (_, claimed_by, lease_until)), = left.items()
    assert claimed_by == f"grader-a:{pod_a.pid}"

    early = subprocess.run(_grade_on_host(toy_course, "grader-b", "--student", student),
                           capture_output=True, text=True, timeout=300)
    assert early.returncode == 0, early.stdout + early.stderr
    assert f"toy {student}: skipped (being graded by grader-a:{pod_a.pid})" in early.stdout

    expires = dt.datetime.fromisoformat(lease_until)
    time.sleep(max(0.0, (expires - _now()).total_seconds()) + 0.5)
    later = subprocess.run(_grade_on_host(toy_course, "grader-b"), capture_output=True, text=True, timeout=300)
    assert later.returncode == 0, later.stdout + later.stderr
    assert f"toy {student}: skipped" not in later.stdout
    assert {s: row[0] for s, row in _journal_rows(toy_course).items()} == {s: "graded" for s in students}
    state = gradebook_state(toy_course)
    assert {s: score for s, (score, _) in state.items()} == EXPECTED_SCORES
    assert all(set(rows.values()) == {1} for _, rows in state.values())  # nobody graded twice
