"""``labs learners import FILE``: the HR export (CSV: id, name, email, department, role).

The whole file is validated before anything is written; every problem is reported with its
line number, and either all learners are imported (directory replaced, learners registered as
nbgrader students, in one transaction each) or none.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

from nbgrader.api import Gradebook, Student
from sqlalchemy import select

from labs.roster.policy import RosterPolicy
from labs.roster.store import Learner, RosterStore

FIELDS = ("id", "name", "email", "department", "role")
# Deliberately simple: one @, no spaces, a dot in the domain. HR systems hold real addresses;
# this catches the usual export accidents (a name in the email column, a missing domain).
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
# A learner id becomes a directory name under submitted/ and autograded/ and a hub user name.
LEARNER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")
NAME_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "phd", "md"}
MAX_REPORTED = 50


class DirectoryError(ValueError):
    """The HR file is not importable; the message lists every problem with its line number."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.problems = problems
        shown = problems[:MAX_REPORTED]
        more = f"\n  ... and {len(problems) - MAX_REPORTED} more" if len(problems) > MAX_REPORTED else ""
        super().__init__(f"{path}: not imported ({len(problems)} problem{'s' * (len(problems) != 1)}; "
                         "nothing was changed):\n  " + "\n  ".join(shown) + more)


def read_directory(path: Path, policy: RosterPolicy) -> list[Learner]:
    """Parse and validate the HR export; raise :class:`DirectoryError` listing every problem."""
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")  # Excel writes a BOM
    except UnicodeDecodeError as error:
        raise DirectoryError(path, [f"not UTF-8 text (byte {error.start}); export the file as CSV UTF-8"]) from None
    except OSError as error:
        raise DirectoryError(path, [f"cannot read it: {error.strerror}"]) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[str] = []
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise DirectoryError(path, [f"line 1: {error}"]) from None
    if not header or not any(cell.strip() for cell in header):
        raise DirectoryError(path, ["line 1: empty file; expected a header row: " + ",".join(FIELDS)])
    columns = [cell.strip().lower() for cell in header]
    missing = [name for name in FIELDS if name not in columns]
    duplicated = sorted({name for name in columns if name and columns.count(name) > 1})
    if missing or duplicated:
        detail = ([f"missing column(s) {', '.join(missing)}"] if missing else []) + \
                 ([f"column(s) listed twice: {', '.join(duplicated)}"] if duplicated else [])
        raise DirectoryError(path, [f"line 1: header {'; '.join(detail)}; expected: {','.join(FIELDS)}"])
    index = {name: columns.index(name) for name in FIELDS}

    learners: list[Learner] = []
    first_line: dict[str, int] = {}
    known_roles = ", ".join(sorted(policy.role_tiers))
    line = reader.line_num + 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(f"line {line}: {error}")
            break  # the csv module cannot resynchronise after a broken quote
        start, line = line, reader.line_num + 1  # a quoted field may span lines
        if not record or not any(cell.strip() for cell in record):
            continue  # blank line
        if len(record) != len(columns):
            problems.append(f"line {start}: {len(record)} fields, the header has {len(columns)} "
                            "(an unquoted comma in a name?)")
            continue
        values = {name: record[i].strip() for name, i in index.items()}
        empty = [name for name in FIELDS if not values[name]]
        if empty:
            problems.append(f"line {start}: missing {', '.join(empty)}")
        learner_id, email, role = values["id"], values["email"], values["role"]
        if learner_id and not LEARNER_ID.match(learner_id):
            problems.append(f"line {start}: id {learner_id!r} may only hold letters, digits and . _ @ + - "
                            "(it becomes a folder and a hub user name)")
        if learner_id in first_line:
            problems.append(f"line {start}: duplicate id {learner_id!r} (first on line {first_line[learner_id]})")
        elif learner_id:
            first_line[learner_id] = start
        if email and not EMAIL.match(email):
            problems.append(f"line {start}: bad email {email!r}")
        if role and role not in policy.role_tiers:
            problems.append(f"line {start}: unknown role {role!r} (known: {known_roles}; "
                            "map new roles with c.RosterPolicy.role_tiers)")
        learners.append(Learner(**values))
    if problems:
        raise DirectoryError(path, problems)
    if not learners:
        raise DirectoryError(path, ["no learners below the header"])
    return learners


def split_name(name: str) -> tuple[str, str]:
    """(first, last) for nbgrader: "Okafor, Amara" and "Amara Okafor" both give ("Amara", "Okafor");
    a suffix stays with the last name ("Kwame Mensah, Jr." -> ("Kwame", "Mensah, Jr."))."""
    name = " ".join(name.split())
    head, comma, tail = name.partition(",")
    suffix = ""
    if comma and tail.strip().lower() in NAME_SUFFIXES:
        name, suffix = head.strip(), tail.strip()
    elif comma and tail.strip():
        return tail.strip(), head.strip()  # "Last, First"
    parts = name.rsplit(" ", 1)
    first, last = (parts[0], parts[1]) if len(parts) == 2 else ("", parts[0])
    return first, f"{last}, {suffix}" if suffix else last


def register_students(gradebook: Gradebook, learners: list[Learner]) -> None:
    """Create or update every learner as an nbgrader Student, in one gradebook transaction.

    ``Gradebook.update_or_create_student`` commits once per student (minutes for a 10,000-person
    export, and a half-registered cohort if it fails midway), so this does the same create-or-
    update through the gradebook's own session and nbgrader's Student model, committing once.
    """
    session = gradebook.db
    try:
        existing: dict[str, Student] = {}
        ids = [learner.id for learner in learners]
        for chunk in range(0, len(ids), 500):
            for student in session.execute(select(Student).where(Student.id.in_(ids[chunk:chunk + 500]))).scalars():
                existing[student.id] = student
        for learner in learners:
            first, last = split_name(learner.name)
            student = existing.get(learner.id)
            if student is None:
                session.add(Student(id=learner.id, first_name=first, last_name=last, email=learner.email))
            else:
                student.first_name, student.last_name, student.email = first, last, learner.email
        session.commit()
    except Exception:
        session.rollback()
        raise


def import_directory(path: Path, policy: RosterPolicy, store: RosterStore, gradebook: Gradebook) -> list[Learner]:
    """Validate ``path`` completely, then replace the directory and register the learners.

    The directory is written inside a transaction that commits only after the gradebook has
    registered everyone, so a failure on either side leaves the directory as it was.
    """
    learners = read_directory(path, policy)
    with store.transaction() as session:
        store.replace_learners(session, learners, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))
        session.flush()
        register_students(gradebook, learners)
    return learners
