"""``labs build``: regenerate ``release/`` from ``source/`` with nbgrader's generate_assignment.

Generation happens in a scratch course so the instructor's gradebook is never touched; the
result is copied over ``release/`` (or, with ``check``, only compared with it).
"""
from __future__ import annotations

import datetime as dt
import filecmp
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from labs.course import CourseError, nbgrader, scratch_course
from labs.manifest import Assignment, Manifest, load_manifest, mismatches


@dataclass
class BuildReport:
    written: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    review_overdue: list[Assignment] = field(default_factory=list)


def _tree_differences(expected: Path, actual: Path) -> list[str]:
    """Relative paths that differ between two directory trees (missing, extra or changed)."""
    if not actual.exists():
        return ["(missing)"]
    comparison = filecmp.dircmp(expected, actual, ignore=[])
    differences = []

    def walk(cmp: filecmp.dircmp, prefix: str) -> None:
        differences.extend(f"{prefix}{name} (not generated)" for name in cmp.right_only)
        differences.extend(f"{prefix}{name} (missing)" for name in cmp.left_only)
        _, mismatch, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files, shallow=False)
        differences.extend(f"{prefix}{name} (changed)" for name in mismatch + errors)
        for name, sub in cmp.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    walk(comparison, "")
    return differences


def build(course_dir: Path, assignment_ids: list[str] | None = None, *, check: bool = False,
          today: dt.date | None = None, manifest: Manifest | None = None) -> BuildReport:
    manifest = manifest or load_manifest()
    for assignment_id in assignment_ids or []:
        manifest.assignment(assignment_id)  # unknown ids fail with the list of known ones
    problems = mismatches(manifest, course_dir, assignment_ids)
    if problems:
        raise CourseError("the manifest and the notebooks disagree:\n  " + "\n  ".join(problems))
    ids = assignment_ids or manifest.ids
    report = BuildReport()
    today = today or dt.date.today()
    report.review_overdue = [a for a in manifest.assignments if a.id in ids and a.review_overdue(today)]
    with scratch_course(course_dir, ids) as scratch:
        for assignment_id in ids:
            nbgrader(["generate_assignment", assignment_id, "--force"], scratch)
            generated = scratch / "release" / assignment_id
            committed = course_dir / "release" / assignment_id
            if _tree_differences(generated, committed):
                if check:
                    report.stale.append(assignment_id)
                    continue
                shutil.rmtree(committed, ignore_errors=True)
                shutil.copytree(generated, committed)
                report.written.append(assignment_id)
    return report
