"""The ``labs`` command: instructor tools for the AI Safety Labs course.

    labs build [--check] [ASSIGNMENT ...]   regenerate release/ from source/ (nbgrader)
    labs verify [ASSIGNMENT ...]            two-sided grading check through nbgrader autograde
    labs datasets [--check]                 write / check the self-study datasets in datasets/
    labs demo [ASSIGNMENT ...]              the instructor's whole loop on a SQLite gradebook
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

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
    from labs.verify import verify

    return 0 if verify(course_dir, args.assignments or None) else 1


def _datasets(args, course_dir: Path) -> int:
    from labs.datasets import files

    folder = course_dir / "datasets"
    if args.check:
        problems = files.differences(folder)
        for problem in problems:
            print(f"datasets/{problem}", file=sys.stderr)
        if problems:
            print("Run `labs datasets` to regenerate, and review the diff before committing.", file=sys.stderr)
            return 1
        print("datasets/ matches the generators")
        return 0
    written = files.write(folder)
    print(f"wrote {len(written)} files to {folder}")
    return 0


def _demo(args, course_dir: Path) -> int:
    from labs.demo import run_demo

    run_demo(course_dir, args.assignments or None)
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
    verify.set_defaults(run=_verify)

    datasets = commands.add_parser("datasets", help="write the self-study datasets and datasheets")
    datasets.add_argument("--check", action="store_true", help="fail if datasets/ differs from regeneration")
    datasets.set_defaults(run=_datasets)

    demo = commands.add_parser("demo", help="release, submit, autograde and export for a small cohort")
    demo.add_argument("assignments", nargs="*", help="assignment ids (default: all in the manifest)")
    demo.set_defaults(run=_demo)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        course_dir = args.course_dir.resolve() if args.course_dir else find_course_root()
        return args.run(args, course_dir)
    except (CourseError, ManifestError, KeyError) as error:
        message = error.args[0] if isinstance(error, KeyError) else error  # KeyError's str() adds quotes
        print(f"labs {args.command}: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
