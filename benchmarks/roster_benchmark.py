"""Benchmark: the roster against ``nbgrader export`` on a large gradebook (not a test).

    .venv/bin/python benchmarks/roster_benchmark.py [--learners 10000] [--assignments 10] [--keep DIR]

Generates, in a scratch course directory, a curriculum of N assignments (10 graded cells each,
over the three tiers and five competencies), a gradebook of L learners who handed in most of
them (bulk inserts into nbgrader's own tables: nobody autogrades 100,000 notebooks for a
benchmark), and an HR export of the same learners. Then it times, as the instructor would run
them (a fresh process each, so start-up counts):

* ``labs learners import hr.csv``
* ``labs roster --to roster.csv`` -- first run (records every completion), then again
* ``labs roster --to roster.csv --to roster.json --to roster.html``
* ``nbgrader export --exporter=labs.roster.RosterExportPlugin --to roster.csv``
* ``nbgrader export --to grades.csv`` (nbgrader's plain CSV export)
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from nbgrader.api import (Assignment, BaseCell, Grade, GradeCell, Notebook, Student,  # noqa: E402
                          SubmittedAssignment, SubmittedNotebook)

from labs.roster.grades import open_gradebook  # noqa: E402

COMPETENCIES = ["robustness", "interpretability", "privacy", "sanitization", "governance"]
ROLES = ["software-engineer", "data-engineer", "security-analyst", "ml-engineer", "data-scientist",
         "lead-engineer", "architect"]
DEPARTMENTS = ["Platform", "Payments", "Data, Analytics", "Security", "AI Research", "Mobile", "R&D \"Labs\""]
CELLS_PER_ASSIGNMENT = 10
CHUNK = 50_000


def write_manifest(path: Path, assignments: int) -> list[tuple[str, list[tuple[str, str, float]]]]:
    """A curriculum like the real one: early labs Foundational + Applied, the last ones Governance."""
    layout, lines = [], ['version = "bench.1"', "[competencies]"]
    lines += [f'{c} = "{c}"' for c in COMPETENCIES]
    for index in range(assignments):
        lab, competency = f"lab-{index:02d}", COMPETENCIES[index % len(COMPETENCIES)]
        tiers = ["G"] if index >= assignments - 2 else ["F", "A"] if index < 5 else ["A"]
        cells = [(f"test-{index:02d}-{cell}", tiers[0] if cell < 5 else tiers[-1], float(1 + cell % 3))
                 for cell in range(CELLS_PER_ASSIGNMENT)]
        layout.append((lab, cells))
        lines += ["[[assignment]]", f'id = "{lab}"', f'title = "{lab}"', f"tiers = {tiers!r}".replace("'", '"'),
                  f'competency = "{competency}"', "minutes = 60", "last_reviewed = 2026-11-01"]
        for grade_id, tier, points in cells:
            lines += ["[[assignment.cell]]", f'grade_id = "{grade_id}"', f'tier = "{tier}"', f"points = {points:g}"]
    path.write_text("\n".join(lines) + "\n")
    return layout


def build_gradebook(course: Path, learners: int, layout, seed: int = 2026) -> None:
    rng = random.Random(seed)
    url = f"sqlite:///{course / 'gradebook.db'}"
    with open_gradebook(url, "ai-safety-labs") as gradebook:
        session = gradebook.db
        insert = lambda model, rows: rows and session.execute(model.__table__.insert(), rows)  # noqa: E731
        cell_ids = {}
        for lab, cells in layout:
            assignment_id, notebook_id = uuid.uuid4().hex, uuid.uuid4().hex
            insert(Assignment, [dict(id=assignment_id, name=lab, course_id="ai-safety-labs")])
            insert(Notebook, [dict(id=notebook_id, name=lab, assignment_id=assignment_id)])
            for grade_id, _, points in cells:
                cell_id = uuid.uuid4().hex
                insert(BaseCell, [dict(id=cell_id, name=grade_id, notebook_id=notebook_id, type="GradeCell")])
                insert(GradeCell, [dict(id=cell_id, max_score=points, cell_type="code")])
                cell_ids[(lab, grade_id)] = cell_id
            cell_ids[lab] = (assignment_id, notebook_id)
        insert(Student, [dict(id=f"learner-{i:05d}", first_name=f"First{i}", last_name=f"Last{i}",
                              email=f"learner-{i:05d}@example.com") for i in range(learners)])
        submissions, notebooks, grades = [], [], []

        def flush(force=False):
            if force or len(grades) >= CHUNK:
                insert(SubmittedAssignment, submissions)
                insert(SubmittedNotebook, notebooks)
                insert(Grade, grades)
                for rows in (submissions, notebooks, grades):
                    rows.clear()

        start = dt.datetime(2025, 11, 1)
        for i in range(learners):
            skill = rng.random()  # most learners do well, some struggle, some never start
            if skill < 0.05:
                continue
            success = 0.99 if skill > 0.3 else 0.6
            for lab, cells in layout:
                if rng.random() < 0.08:
                    continue  # missing submission
                assignment_id, notebook_id = cell_ids[lab]
                submission_id, submitted_notebook_id = uuid.uuid4().hex, uuid.uuid4().hex
                submissions.append(dict(id=submission_id, assignment_id=assignment_id, student_id=f"learner-{i:05d}",
                                        timestamp=start + dt.timedelta(minutes=rng.randrange(0, 390 * 24 * 60))))
                notebooks.append(dict(id=submitted_notebook_id, assignment_id=submission_id, notebook_id=notebook_id,
                                      flagged=rng.random() < 0.001,
                                      late_submission_penalty=1.0 if rng.random() < 0.02 else 0.0))
                for grade_id, _, points in cells:
                    manual = rng.random() < 0.005
                    grades.append(dict(id=uuid.uuid4().hex, notebook_id=submitted_notebook_id,
                                       cell_id=cell_ids[(lab, grade_id)],
                                       auto_score=points if rng.random() < success else 0.0,
                                       manual_score=points if manual else None, needs_manual_grade=manual and
                                       rng.random() < 0.5))
                flush()
        flush(force=True)
        session.commit()


def write_directory(path: Path, learners: int) -> None:
    rng = random.Random(7)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "email", "department", "role"])
        # The last 1 % are in HR's export but not in the gradebook; the gradebook's last 1 % not in HR.
        for i in range(learners // 100, learners + learners // 100):
            writer.writerow([f"learner-{i:05d}", f'Last{i}, First{i} "F{i}"', f"learner-{i:05d}@example.com",
                             rng.choice(DEPARTMENTS), rng.choice(ROLES)])


def timed(label: str, command: list[str], cwd: Path, timeout: float | None = None) -> float | None:
    """Wall time of a fresh process (and its CPU time: on a shared machine wall time mostly
    measures the neighbours). None when it ran out of ``timeout``."""
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"  {label:<62} stopped after {timeout:.0f} s", flush=True)
        return None
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        raise SystemExit(f"{label} failed:\n{result.stdout}\n{result.stderr}")
    print(f"  {label:<62} {elapsed:7.2f} s wall {cpu:7.2f} s CPU", flush=True)
    return elapsed


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--learners", type=int, default=10_000)
    options.add_argument("--assignments", type=int, default=10)
    options.add_argument("--keep", type=Path, help="build the course here and keep it (default: a temp dir)")
    options.add_argument("--skip-nbgrader", action="store_true", help="do not time nbgrader's plain export")
    options.add_argument("--reuse", action="store_true", help="time again on the gradebook already in --keep")
    options.add_argument("--nbgrader-limit", type=float, default=600,
                         help="stop nbgrader's export after this many seconds and extrapolate (default 600)")
    args = options.parse_args()

    course = args.keep or Path(tempfile.mkdtemp(prefix="roster-bench-"))
    course.mkdir(parents=True, exist_ok=True)
    (course / "source").mkdir(exist_ok=True)
    config = (REPO / "nbgrader_config.py").read_text() + '\nc.RosterPolicy.manifest_path = "curriculum.toml"\n'
    (course / "nbgrader_config.py").write_text(config)
    print(f"Course: {course}; {os.cpu_count()} CPU(s)")
    start = time.perf_counter()
    (course / "roster.db").unlink(missing_ok=True)  # the first roster run records every completion
    if not (args.reuse and (course / "gradebook.db").exists()):
        (course / "gradebook.db").unlink(missing_ok=True)
        layout = write_manifest(course / "curriculum.toml", args.assignments)
        build_gradebook(course, args.learners, layout)
        write_directory(course / "hr.csv", args.learners)
    with open_gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        grades = gradebook.db.query(Grade).count()
        submissions = gradebook.db.query(SubmittedAssignment).count()
    print(f"Gradebook: {submissions} submissions, {grades} grades ({time.perf_counter() - start:.1f} s to generate "
          f"or open)")

    labs = [sys.executable, "-m", "labs.cli", "--course-dir", str(course)]
    results = {}
    results["import"] = timed("labs learners import hr.csv", [*labs, "learners", "import", "hr.csv"], course)
    results["first"] = timed("labs roster --to roster.csv (first run, records completions)",
                             [*labs, "roster", "--to", "roster.csv", "--as-of", "2026-11-26"], course)
    results["roster"] = timed("labs roster --to roster.csv",
                              [*labs, "roster", "--to", "roster.csv", "--as-of", "2026-11-26"], course)
    results["all"] = timed("labs roster --to roster.csv --to .json --to .html",
                           [*labs, "roster", "--to", "roster.csv", "--to", "roster.json", "--to", "roster.html",
                            "--as-of", "2026-11-26"], course)
    nbgrader = [sys.executable, "-m", "nbgrader", "export"]
    results["plugin"] = timed("nbgrader export --exporter=labs.roster.RosterExportPlugin",
                              [*nbgrader, "--exporter=labs.roster.RosterExportPlugin", "--to", "plugin.csv",
                               "--RosterExportPlugin.as_of=2026-11-26"], course)
    if not args.skip_nbgrader:
        # nbgrader's exporter runs several queries per learner and assignment, some of them scans
        # of the grade table: at 10,000 learners it takes hours. Past the time limit, its rate so
        # far (rows it has written) gives an estimate for the whole gradebook.
        (course / "grades.csv").unlink(missing_ok=True)
        elapsed = timed("nbgrader export --to grades.csv (nbgrader's CSV exporter)",
                        [*nbgrader, "--to", "grades.csv"], course, timeout=args.nbgrader_limit)
        if elapsed is None:
            with open(course / "grades.csv", encoding="utf-8") as handle:
                written = sum(1 for _ in handle) - 1
            with open_gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
                expected = gradebook.db.query(Student).count() * args.assignments  # one row per pair
            if 0 < written < expected:
                elapsed = args.nbgrader_limit * expected / written
                print(f"  ... it wrote {written} of {expected} rows: about {elapsed:.0f} s "
                      f"({elapsed / 3600:.1f} h) for all of them at that rate")
            elif written >= expected:
                elapsed = args.nbgrader_limit  # a lower bound: every row written, not yet finished
                print(f"  ... it had written all {expected} rows: at least {elapsed:.0f} s")
        results["nbgrader"] = elapsed
    with open(course / "roster.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    statuses = {}
    for row in rows:
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    print(f"Roster: {len(rows)} rows, {statuses}")
    if results.get("nbgrader"):
        print(f"Roster (csv) {results['roster']:.2f} s vs nbgrader export {results['nbgrader']:.2f} s: "
              f"{results['nbgrader'] / results['roster']:.1f}x faster")
    if not args.keep:
        shutil.rmtree(course)


if __name__ == "__main__":
    main()
