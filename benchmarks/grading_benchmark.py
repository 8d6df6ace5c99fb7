"""How much `labs grade` costs over the lab's own compute and plain `nbgrader autograde`, and
what `--workers 2` gains.

    python benchmarks/grading_benchmark.py overhead [--learners 6] [--lab sanitization | --lab all]
    python benchmarks/grading_benchmark.py parallel [--learners 20] [--lab sanitization]

overhead: the same solution notebooks (a) run top to bottom by nbclient in a plain kernel, with
the data and held-out inputs the grader's kernel gets -- the floor, the lab's own compute and a
kernel start; (b) graded by plain `nbgrader autograde`, one learner per process, with nbgrader's
own preprocessors (no guard); (c) graded by `labs grade --workers 1` (rebuilt notebooks, policy,
sandboxed kernel, guarded tests, grader-side scoring, journal). Goals: (c) within 1.15x of (a),
and under 10 % over (b).
parallel: a cohort graded by `labs grade` with 1 worker, then again with 2. Goal: >= 1.7x.
Prints figures; asserts nothing. Run it on an otherwise idle machine.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from labs.course import (filled_notebook, nbgrader, notebook_path, scratch_course,  # noqa: E402
                         write_submission)
from labs.grading import GradingOptions, grade  # noqa: E402
from labs.manifest import load_manifest  # noqa: E402

#: A fixed course secret: the figures are reproducible and no real learner's data is made.
SECRET = bytes(range(32))


def _students(learners: int) -> list[str]:
    return [f"learner-{i:03d}" for i in range(learners)]


def _cohort(course: Path, lab: str, learners: int) -> list[str]:
    nbgrader(["generate_assignment", lab, "--force"], course)
    release = nbformat.read(notebook_path(course, "release", lab), as_version=4)
    source = nbformat.read(notebook_path(course, "source", lab), as_version=4)
    solution = filled_notebook(release, source)
    students = _students(learners)
    for student in students:
        write_submission(course, lab, student, solution)
    return students


def _without_guard(course: Path) -> None:
    config = course / "nbgrader_config.py"
    config.write_text(re.sub(r"(?m)^(from labs\.grading\.preprocessors import.*|configure_autograde\(c\)|"
                             r"c\.BoundedExecute\..*)$", r"# \1", config.read_text()))


def _floor(lab: str, students: list[str]) -> float:
    """Seconds to run the solution for ``students`` in plain kernels, each on that learner's data."""
    from nbclient import NotebookClient

    from grader.materialize import grading_data
    from grader.scoring import Context, scorer_for
    from labs.datasets import DATA_DIR_VARIABLE

    scorer = scorer_for(lab)
    elapsed = 0.0
    for student in students:
        notebook = nbformat.read(REPO / "source" / lab / f"{lab}.ipynb", as_version=4)
        with tempfile.TemporaryDirectory() as folder:
            env = dict(os.environ, LABS_LEARNER=student, MPLBACKEND="agg")
            if scorer is not None:  # the grader's kernel gets materialized data and held-out inputs
                grading_data(scorer, Context(lab=lab, learner=student, secret=SECRET), Path(folder) / "data")
                env[DATA_DIR_VARIABLE] = str(Path(folder) / "data")
            started = time.perf_counter()  # making the data is the grader's work, not the kernel's
            NotebookClient(notebook, timeout=600, kernel_name="python3",
                           resources={"metadata": {"path": folder}}).execute(env=env)
            elapsed += time.perf_counter() - started
    return elapsed


def overhead(lab: str, learners: int) -> None:
    # first: grading imports the scratch course's grader/, which is gone once its course is
    floor = _floor(lab, _students(learners))
    with scratch_course(REPO, [lab]) as plain, scratch_course(REPO, [lab]) as guarded:
        _without_guard(plain)
        students = _cohort(plain, lab, learners)
        _cohort(guarded, lab, learners)
        started = time.perf_counter()
        for student in students:
            nbgrader(["autograde", lab, "--student", student, "--force"], plain)
        baseline = time.perf_counter() - started
        started = time.perf_counter()
        grade(guarded, lab, options=GradingOptions(workers=1, force=True), echo=lambda line: None)
        sandboxed = time.perf_counter() - started
    print(f"{lab}, {learners} learners, one at a time")
    print(f"  floor (plain kernel)     : {floor:7.1f} s  ({floor / learners:.1f} s per learner)")
    print(f"  plain nbgrader autograde : {baseline:7.1f} s  ({baseline / learners:.1f} s per learner)")
    print(f"  labs grade (sandboxed)   : {sandboxed:7.1f} s  ({sandboxed / learners:.1f} s per learner)")
    print(f"  labs grade / floor       : {sandboxed / floor:.2f}x  (goal: within 1.15x)")
    print(f"  over nbgrader autograde  : {100 * (sandboxed / baseline - 1):+.1f} %  (goal: under 10 %)")


def parallel(lab: str, learners: int) -> None:
    timings = {}
    for workers in (1, 2):
        with scratch_course(REPO, [lab]) as course:
            _cohort(course, lab, learners)
            started = time.perf_counter()
            grade(course, lab, options=GradingOptions(workers=workers), echo=lambda line: None)
            timings[workers] = time.perf_counter() - started
    print(f"{lab}, {learners} learners graded by labs grade")
    print(f"  --workers 1 : {timings[1]:7.1f} s")
    print(f"  --workers 2 : {timings[2]:7.1f} s")
    print(f"  speed-up    : {timings[1] / timings[2]:.2f}x  (goal: >= 1.7x on 2 cores)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["overhead", "parallel"])
    parser.add_argument("--lab", default="sanitization")
    parser.add_argument("--learners", type=int)
    args = parser.parse_args()
    if args.what == "overhead":
        for lab in load_manifest().ids if args.lab == "all" else [args.lab]:
            overhead(lab, args.learners or 6)
    else:
        parallel(args.lab, args.learners or 20)


if __name__ == "__main__":
    main()
