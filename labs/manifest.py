"""The curriculum manifest (``labs/curriculum.toml``): assignments, graded cells, tiers.

Every graded cell's ``grade_id`` is listed with its tier, competency and points; the roster
and the consistency tests read it from here and nowhere else.
"""
from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

MANIFEST_PATH = Path(__file__).with_name("curriculum.toml")
TIERS = {"F": "Foundational", "A": "Applied Safety", "G": "Advanced Governance"}
#: A quarter, for content freshness: reviews older than this are reported.
REVIEW_INTERVAL = dt.timedelta(days=92)


class ManifestError(ValueError):
    """The manifest file is malformed; the message names the entry and what to fix."""


@dataclass(frozen=True)
class GradedCell:
    grade_id: str
    tier: str
    competency: str
    points: float


@dataclass(frozen=True)
class Assignment:
    id: str
    title: str
    tiers: tuple[str, ...]
    competency: str
    minutes: int
    last_reviewed: dt.date
    cells: tuple[GradedCell, ...]

    @property
    def points(self) -> float:
        return sum(cell.points for cell in self.cells)

    def review_overdue(self, today: dt.date) -> bool:
        return today - self.last_reviewed > REVIEW_INTERVAL


@dataclass(frozen=True)
class Manifest:
    version: str
    competencies: dict[str, str]
    assignments: tuple[Assignment, ...]

    def assignment(self, assignment_id: str) -> Assignment:
        for assignment in self.assignments:
            if assignment.id == assignment_id:
                return assignment
        known = ", ".join(a.id for a in self.assignments) or "none"
        raise KeyError(f"no assignment {assignment_id!r} in the manifest (known: {known})")

    @property
    def ids(self) -> list[str]:
        return [a.id for a in self.assignments]


def _require(entry: dict, key: str, where: str):
    if key not in entry:
        raise ManifestError(f"{where}: missing '{key}'")
    return entry[key]


def _parse_cell(raw: dict, assignment: dict, competencies: dict, where: str) -> GradedCell:
    grade_id = _require(raw, "grade_id", where)
    where = f"{where} cell {grade_id!r}"
    tier = _require(raw, "tier", where)
    if tier not in assignment["tiers"]:
        raise ManifestError(f"{where}: tier {tier!r} is not one of the assignment's {assignment['tiers']}")
    competency = raw.get("competency", assignment["competency"])
    if competency not in competencies:
        raise ManifestError(f"{where}: unknown competency {competency!r}")
    points = _require(raw, "points", where)
    if not isinstance(points, (int, float)) or points <= 0:
        raise ManifestError(f"{where}: points must be a positive number, got {points!r}")
    return GradedCell(grade_id, tier, competency, float(points))


def load_manifest(path: Path = MANIFEST_PATH) -> Manifest:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ManifestError(f"{path}: not valid TOML: {error}") from error
    competencies = _require(raw, "competencies", str(path))
    assignments = []
    seen_ids: set[str] = set()
    for entry in raw.get("assignment", []):
        where = f"{path.name}: assignment {entry.get('id', '?')!r}"
        assignment_id = _require(entry, "id", where)
        if assignment_id in seen_ids:
            raise ManifestError(f"{where}: listed twice")
        seen_ids.add(assignment_id)
        tiers = tuple(_require(entry, "tiers", where))
        if not tiers or any(t not in TIERS for t in tiers):
            raise ManifestError(f"{where}: tiers must be drawn from {sorted(TIERS)}, got {list(tiers)}")
        competency = _require(entry, "competency", where)
        if competency not in competencies:
            raise ManifestError(f"{where}: unknown competency {competency!r}")
        last_reviewed = _require(entry, "last_reviewed", where)
        if not isinstance(last_reviewed, dt.date):
            raise ManifestError(f"{where}: last_reviewed must be a TOML date like 2026-11-26")
        cells = tuple(_parse_cell(c, entry, competencies, where) for c in entry.get("cell", []))
        grade_ids = [c.grade_id for c in cells]
        duplicates = sorted({g for g in grade_ids if grade_ids.count(g) > 1})
        if duplicates:
            raise ManifestError(f"{where}: grade_id listed twice: {', '.join(duplicates)}")
        assignments.append(Assignment(
            id=assignment_id,
            title=_require(entry, "title", where),
            tiers=tiers,
            competency=competency,
            minutes=int(_require(entry, "minutes", where)),
            last_reviewed=last_reviewed,
            cells=cells,
        ))
    return Manifest(version=str(_require(raw, "version", str(path))), competencies=competencies,
                    assignments=tuple(assignments))


def notebook_grade_cells(notebook) -> list[tuple[str, float]]:
    """``(grade_id, points)`` of every graded cell, in notebook order (duplicates kept)."""
    cells = []
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            cells.append((meta.get("grade_id", "<no grade_id>"), float(meta.get("points", 0))))
    return cells


def mismatches(manifest: Manifest, course_dir: Path, assignment_ids: list[str] | None = None) -> list[str]:
    """Every disagreement between the manifest and the source notebooks, as readable lines.

    With ``assignment_ids``, only those assignments are compared (a lab being written next to
    them does not get in the way); without, source folders missing from the manifest count too.
    """
    import nbformat

    problems = []
    if assignment_ids is None:
        source_dirs = {p.name for p in (course_dir / "source").iterdir() if p.is_dir()}
        for extra in sorted(source_dirs - set(manifest.ids)):
            problems.append(f"source/{extra}/ is not in the manifest")
    for assignment in manifest.assignments:
        if assignment_ids is not None and assignment.id not in assignment_ids:
            continue
        path = course_dir / "source" / assignment.id / f"{assignment.id}.ipynb"
        if not path.exists():
            problems.append(f"{assignment.id}: the manifest lists it but {path.relative_to(course_dir)} is missing")
            continue
        found = notebook_grade_cells(nbformat.read(path, as_version=4))
        ids = [grade_id for grade_id, _ in found]
        for duplicate in sorted({g for g in ids if ids.count(g) > 1}):
            problems.append(f"{assignment.id}: grade_id {duplicate!r} appears {ids.count(duplicate)} times in the notebook")
        in_notebook = dict(found)
        in_manifest = {cell.grade_id: cell.points for cell in assignment.cells}
        for grade_id in sorted(set(in_notebook) - set(in_manifest)):
            problems.append(f"{assignment.id}: graded cell {grade_id!r} is in the notebook but not the manifest")
        for grade_id in sorted(set(in_manifest) - set(in_notebook)):
            problems.append(f"{assignment.id}: graded cell {grade_id!r} is in the manifest but not the notebook")
        for grade_id in sorted(set(in_manifest) & set(in_notebook)):
            if in_manifest[grade_id] != in_notebook[grade_id]:
                problems.append(f"{assignment.id}: {grade_id!r} is worth {in_notebook[grade_id]:g} points in the "
                                f"notebook but {in_manifest[grade_id]:g} in the manifest")
    return problems
