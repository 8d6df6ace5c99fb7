"""The nbgrader course directory and the notebooks the tools derive from it.

Everything here drives the real nbgrader command line (``generate_assignment``, ``autograde``,
``export``) in a course directory: the repository itself, or a scratch copy of it so that
checks never touch the instructor's gradebook.
"""
from __future__ import annotations

import contextlib
import copy
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import nbformat

NBGRADER_CONFIG = "nbgrader_config.py"
SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)
VARIANTS_FILE = "variants.toml"


class CourseError(RuntimeError):
    """A course-level failure; the message says what went wrong and what to do."""


#: The course directory's grader-only part (generators, held-out items, scorers): see grader/__init__.py.
GRADER_PACKAGE = "grader"


def grader_package(course_dir: Path):
    """Import the course's grader-only package, for instructor tools running in the course directory.

    It is not part of the installed ``labs`` package that learners get, so it is found in the
    course directory, never on a learner's machine."""
    import importlib

    course_dir = Path(course_dir).resolve()
    if not (course_dir / GRADER_PACKAGE / "__init__.py").is_file():
        raise CourseError(f"{course_dir} has no {GRADER_PACKAGE}/ (the grader-only part of the course): run this "
                          "from the course repository, not from a learner's copy")
    if str(course_dir) not in sys.path:
        sys.path.insert(0, str(course_dir))
    return importlib.import_module(GRADER_PACKAGE)


def find_course_root(start: Path | None = None) -> Path:
    """The nearest directory at or above ``start`` holding ``nbgrader_config.py`` and ``source/``."""
    start = (start or Path.cwd()).resolve()
    for candidate in (start, *start.parents):
        if (candidate / NBGRADER_CONFIG).is_file() and (candidate / "source").is_dir():
            return candidate
    raise CourseError(
        f"no course directory at or above {start}: expected {NBGRADER_CONFIG} and source/. "
        "Run this from the AI Safety Labs checkout or pass --course-dir."
    )


def nbgrader(args: list[str], course_dir: Path, *, quiet: bool = True) -> subprocess.CompletedProcess:
    """Run the real ``nbgrader`` of this environment in ``course_dir``; raise on failure."""
    command = [sys.executable, "-m", "nbgrader", *args]
    if quiet:
        command.append("--log-level=WARN")
    # nbgrader shells out to `alembic` (and Jupyter to the kernel) by name: this environment's
    # bin/ must come first on PATH even when it was never activated.
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    result = subprocess.run(command, cwd=course_dir, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-25:])
        raise CourseError(f"`nbgrader {' '.join(args)}` failed in {course_dir}:\n{tail}")
    return result


def notebook_path(course_dir: Path, stage: str, assignment_id: str, student: str | None = None) -> Path:
    """``<stage>/[<student>/]<assignment>/<assignment>.ipynb`` -- one notebook per assignment."""
    parts = [stage, *([student] if student else []), assignment_id, f"{assignment_id}.ipynb"]
    return course_dir.joinpath(*parts)


@contextlib.contextmanager
def scratch_course(course_dir: Path, assignment_ids: list[str]) -> Iterator[Path]:
    """A throw-away course directory with the config and the sources of ``assignment_ids``."""
    with tempfile.TemporaryDirectory(prefix="labs-course-") as tmp:
        scratch = Path(tmp)
        shutil.copy2(course_dir / NBGRADER_CONFIG, scratch / NBGRADER_CONFIG)
        if (course_dir / GRADER_PACKAGE).is_dir():
            shutil.copytree(course_dir / GRADER_PACKAGE, scratch / GRADER_PACKAGE,
                            ignore=shutil.ignore_patterns("__pycache__"))
        for assignment_id in assignment_ids:
            source = course_dir / "source" / assignment_id
            if not source.is_dir():
                raise CourseError(f"no source/{assignment_id}/ in {course_dir}; add the lab there first")
            shutil.copytree(source, scratch / "source" / assignment_id)
        yield scratch


def solution_source(source_cell_text: str) -> str:
    """A solution cell as a learner who solved it would hand it in: the markers removed."""
    return SOLUTION_MARKERS.sub("", source_cell_text)


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _is_solution(cell) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution"))


def filled_notebook(release_nb, source_nb, replacements: dict[str, str] | None = None,
                    leave_blank: set[str] = frozenset()):
    """The released notebook with its solution cells answered.

    Each solution cell gets the instructor's solution from ``source_nb``, or the text in
    ``replacements`` (grade_id -> source), or stays as released when listed in ``leave_blank``.
    """
    replacements = dict(replacements or {})
    solutions = {_grade_id(c): solution_source(c.source) for c in source_nb.cells if _is_solution(c)}
    unknown = set(replacements) - set(solutions)
    if unknown:
        raise CourseError(f"no solution cell with grade_id {', '.join(sorted(unknown))}")
    filled = copy.deepcopy(release_nb)
    for cell in filled.cells:
        grade_id = _grade_id(cell)
        if not _is_solution(cell) or grade_id in leave_blank:
            continue
        cell.source = replacements.get(grade_id, solutions[grade_id])
    return filled


@dataclass(frozen=True)
class Variant:
    """A plausible wrong answer a lab ships to show that its tests bite."""

    name: str
    mistake: str
    cells: dict[str, str]


def _read_variants(path: Path, table: str, why: str) -> list[Variant]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CourseError(f"{path}: cannot be read: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise CourseError(f"{path}: not valid TOML: {error}") from error
    variants = []
    for entry in raw.get(table, []):
        missing = {"name", why, "cells"} - set(entry)
        if missing:
            raise CourseError(f"{path}: a {table} lacks {', '.join(sorted(missing))}")
        variants.append(Variant(entry["name"], entry[why], dict(entry["cells"])))
    return variants


def load_variants(course_dir: Path, assignment_id: str) -> list[Variant]:
    """The lab's plausible-wrong answers (``source/<lab>/variants.toml``: ``[[variant]]`` name, mistake, cells)."""
    path = course_dir / "source" / assignment_id / VARIANTS_FILE
    return _read_variants(path, "variant", "mistake") if path.exists() else []


def load_cheats(path: Path) -> list[Variant]:
    """Cheating submissions (``[[cheat]]`` name, how, cells): each must earn what the release earns."""
    return _read_variants(Path(path), "cheat", "how")


def write_submission(course_dir: Path, assignment_id: str, student: str, notebook) -> Path:
    """Place a notebook where ``nbgrader collect`` would: ``submitted/<student>/<assignment>/``."""
    path = notebook_path(course_dir, "submitted", assignment_id, student)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path
