"""The ``labs`` command: instructor tools for the AI Safety Labs course.

    labs build [--check] [ASSIGNMENT ...]   regenerate release/ from source/ (nbgrader)
    labs verify [ASSIGNMENT ...] [--cheats F] [--learners N]
                                            two-sided grading check through nbgrader autograde
    labs grade ASSIGNMENT [--student ID ...] sandboxed, tamper-resistant autograde of submissions
    labs datasets [--check]                 write / check the self-study datasets in labs/data/
    labs demo [ASSIGNMENT ...]              the instructor's whole loop on a SQLite gradebook
    labs learners import FILE               validate the HR export and register the learners
    labs roster --to PATH [--as-of DATE]    the proficiency roster (.csv, .json or .html)
    labs check NOTEBOOK                     learners: a notebook's visible tests and tier progress, offline
    labs progress [FOLDER] [--run]          learners: every lab's progress and the tier on track for, offline
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from labs import progress, selfcheck
from labs.course import CourseError, find_course_root
from labs.manifest import ManifestError


def _build(args, course_dir: Path) -> int:
    from labs.build import build

    report = build(course_dir, args.assignments or None, check=args.check)
    for assignment in report.review_overdue:
        age = (dt.date.today() - assignment.last_reviewed).days
        print(f"REVIEW DUE: {assignment.id} was last reviewed on {assignment.last_reviewed} ({age} days ago); "
              "review it for new attack vectors and library versions, then update last_reviewed in "
              "labs/curriculum.toml")
    if args.check:
        if report.stale:
            print(f"STALE: release/ does not match source/ for {', '.join(report.stale)}; run `labs build`",
                  file=sys.stderr)
            return 1
        print("release/ is up to date with source/")
    else:
        print(f"release/ regenerated for {', '.join(report.written)}" if report.written
              else "release/ was already up to date")
    return 0


def _verify(args, course_dir: Path) -> int:
    from labs.course import load_cheats
    from labs.verify import MIN_SOLUTION_LEARNERS, verify

    cheats = {}
    for path in args.cheats or []:
        cheats.setdefault(Path(path).stem, []).extend(load_cheats(Path(path)))
    unknown = set(cheats) - set(args.assignments or cheats)
    if unknown:
        raise CourseError(f"--cheats {', '.join(sorted(unknown))}.toml names no assignment being verified; "
                          "name each file after its lab (tests/cheating/<lab>.toml)")
    if args.learners < MIN_SOLUTION_LEARNERS:
        raise CourseError(f"--learners {args.learners}: the solution is graded as at least {MIN_SOLUTION_LEARNERS} "
                          "learners (two named ones, then new random ids)")
    return 0 if verify(course_dir, args.assignments or None, cheats=cheats, learners=args.learners) else 1


def _grade(args, course_dir: Path) -> int:
    from labs.grading import GradingOptions, grade
    from labs.grading.sandbox import SandboxUnavailable

    if args.lease < 3:
        raise CourseError(f"--lease {args.lease}: a lease is renewed every third of it; give at least 3 seconds")
    options = GradingOptions(workers=args.workers, force=args.force, use_sandbox=not args.no_sandbox,
                             cell_timeout=args.cell_timeout, lease=args.lease)
    try:
        outcomes = grade(course_dir, args.assignment, args.student or None, options)
    except SandboxUnavailable as error:
        print(f"labs grade: {error} (or pass --no-sandbox to grade without it, trusting every submission)",
              file=sys.stderr)
        return 2
    failed = [o for o in outcomes if o.error]
    skipped = [o for o in outcomes if o.skipped]
    graded = [o for o in outcomes if not o.skipped and not o.error]
    flagged = [o for o in graded if o.reasons]
    print(f"{args.assignment}: graded {len(graded)}, skipped {len(skipped)}, "
          f"with notes for the instructor {len(flagged)}"
          + (f", not graded because the grader failed {len(failed)} (see above)" if failed else ""))
    return 1 if failed else 0


def _datasets(args, course_dir: Path) -> int:
    from labs.course import grader_package

    grader_package(course_dir)
    from grader import self_study as files

    folder = course_dir / "labs" / "data"
    if args.check:
        problems = files.differences(folder)
        for problem in problems:
            print(f"labs/data/{problem}", file=sys.stderr)
        if problems:
            print("Run `labs datasets` to regenerate, and review the diff before committing.", file=sys.stderr)
            return 1
        print("labs/data/ matches the generators")
        return 0
    written = files.write(folder)
    print(f"wrote {len(written)} files to {folder}")
    return 0


def _demo(args, course_dir: Path) -> int:
    from labs.demo import run_demo

    run_demo(course_dir, args.assignments or None)
    return 0


def _learners_import(args, course_dir: Path) -> int:
    from labs.roster.directory import DirectoryError, import_directory
    from labs.roster.grades import open_gradebook
    from labs.roster.policy import RosterPolicy, course_app
    from labs.roster.store import RosterStore

    app = course_app(course_dir)
    policy = RosterPolicy(parent=app)
    with RosterStore(policy.ledger_url_for(course_dir)) as store, \
            open_gradebook(app.coursedir.db_url, app.coursedir.course_id) as gradebook:
        try:
            learners = import_directory(args.file, policy, store, gradebook)
        except DirectoryError as error:
            print(f"labs learners import: {error}", file=sys.stderr)
            return 2
    departments = len({learner.department for learner in learners})
    print(f"imported {len(learners)} learners from {args.file} ({departments} departments) and registered "
          "them in the gradebook")
    return 0


def _roster(args, course_dir: Path) -> int:
    from labs.roster.grades import open_gradebook
    from labs.roster.policy import RosterPolicy, course_app
    from labs.roster.report import RosterError, format_summary, parse_as_of, run_roster

    app = course_app(course_dir)
    try:
        as_of = parse_as_of(args.as_of)
        with open_gradebook(app.coursedir.db_url, app.coursedir.course_id) as gradebook:
            roster = run_roster(gradebook, course_dir, RosterPolicy(parent=app), as_of,
                                args.to, exercises_to=args.exercises, feedback_to=args.feedback)
    except RosterError as error:
        print(f"labs roster: {error}", file=sys.stderr)
        return 2
    print(format_summary(roster))
    for path in [*args.to, args.exercises, args.feedback]:
        if path:
            print(f"wrote {path}")
    return 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="labs", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    main.add_argument("--course-dir", type=Path, help="the course directory (default: found from the current one)")
    commands = main.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="regenerate release/ from source/ with nbgrader")
    build.add_argument("--check", action="store_true", help="fail if the committed release/ is stale")
    build.add_argument("assignments", nargs="*", help="assignment ids (default: all in the manifest)")
    build.set_defaults(run=_build)

    verify = commands.add_parser("verify", help="grade solution, release and wrong variants through nbgrader")
    verify.add_argument("assignments", nargs="*", help="assignment ids (default: all in the manifest)")
    verify.add_argument("--cheats", action="append", metavar="LAB.toml",
                        help="cheating submissions ([[cheat]] name, how, cells) graded with the lab; each must "
                             "earn what the released notebook earns")
    verify.add_argument("--learners", type=int, default=2, metavar="N",
                        help="grade the solution as N learners: the two named ones, then new random ids, to show "
                             "that no learner's data makes a correct answer fail (default 2)")
    verify.set_defaults(run=_verify)

    grade = commands.add_parser("grade", help="autograde submissions in a sandbox, tamper-resistant, crash-safe")
    grade.add_argument("assignment", help="the assignment id")
    grade.add_argument("--student", action="append", metavar="ID", help="grade only this learner (repeat for several)")
    grade.add_argument("--workers", type=int, default=1, help="learners graded at once (default 1)")
    grade.add_argument("--force", action="store_true", help="grade again submissions already graded at their timestamp")
    grade.add_argument("--cell-timeout", type=int, metavar="SECONDS", help="per-cell limit (default: Execute.timeout)")
    grade.add_argument("--lease", type=int, default=300, metavar="SECONDS",
                       help="how long a learner this grader claimed stays claimed if it dies without a word, as "
                            "a pod can; it renews the lease while it works (default 300)")
    grade.add_argument("--no-sandbox", action="store_true",
                       help="run kernels without the sandbox (only where bubblewrap cannot run; trusts submissions)")
    grade.set_defaults(run=_grade)

    datasets = commands.add_parser("datasets", help="write the self-study datasets and datasheets")
    datasets.add_argument("--check", action="store_true", help="fail if labs/data/ differs from regeneration")
    datasets.set_defaults(run=_datasets)

    demo = commands.add_parser("demo", help="release, submit, autograde and export for a small cohort")
    demo.add_argument("assignments", nargs="*", help="assignment ids (default: all in the manifest)")
    demo.set_defaults(run=_demo)

    learners = commands.add_parser("learners", help="the HR learner directory")
    learner_commands = learners.add_subparsers(dest="learners_command", required=True)
    learners_import = learner_commands.add_parser(
        "import", help="validate an HR export (CSV: id, name, email, department, role) and register its learners")
    learners_import.add_argument("file", type=Path, help="the HR export, UTF-8 CSV with a header row")
    learners_import.set_defaults(run=_learners_import)

    roster = commands.add_parser("roster", help="the proficiency roster: tiers, completions, statuses")
    roster.add_argument("--to", type=Path, action="append", required=True, metavar="PATH",
                        help="write the roster here; .csv, .json or .html (repeat for several)")
    roster.add_argument("--as-of", metavar="DATE", help="compute statuses for this date, YYYY-MM-DD (default: today)")
    roster.add_argument("--exercises", type=Path, metavar="PATH", help="also write per-exercise pass rates (CSV)")
    roster.add_argument("--feedback", type=Path, metavar="PATH", help="also write the learners' lab feedback (CSV)")
    roster.set_defaults(run=_roster)

    check = commands.add_parser("check", help="learners: run a notebook's visible tests offline, see progress per tier")
    selfcheck.add_arguments(check)
    check.set_defaults(run=selfcheck.run)

    progress_command = commands.add_parser(
        "progress", help="learners: every lab's visible progress, the tier you are on track for, what is left")
    progress.add_arguments(progress_command)
    progress_command.set_defaults(run=progress.run)
    return main


#: Commands learners run on their own notebooks, anywhere: no course directory.
LEARNER_COMMANDS = ("check", "progress")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command in LEARNER_COMMANDS:  # a learner's own tools need no course directory
            return args.run(args)
        course_dir = args.course_dir.resolve() if args.course_dir else find_course_root()
        return args.run(args, course_dir)
    except (CourseError, ManifestError, KeyError) as error:
        message = error.args[0] if isinstance(error, KeyError) else error  # KeyError's str() adds quotes
        print(f"labs {args.command}: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
