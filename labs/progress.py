"""``labs progress [FOLDER]``: a learner's whole picture -- each lab's visible progress, the tier
they are on track for, and what is left -- offline, from their own notebooks.

``labs check`` answers "how is this notebook doing?"; this answers "how far am I from my tier?".
It finds the learner's copy of every lab of the curriculum manifest under ``FOLDER`` (default:
the current folder; the last cell of every lab calls :func:`show` on the folder above the lab's
own), reads each as saved -- the outputs of the learner's last run, nothing executed, so it takes
a second -- or with ``--run`` runs each afresh as ``labs check`` does.

The tier estimate follows the roster's rule (``docs/course-design.md``): a tier is reached when
the tier below is and every competency has at least the pass mark of its points at or below the
tier. Here the points are the visible tests'; a test whose points only the grader awards (it hands
in answers) counts as on track when its visible checks pass. Hidden tests and the grader's
held-out inputs still decide the grade: this is where the learner stands, not the grade.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from labs.manifest import TIERS, Assignment, Manifest, load_manifest
from labs.selfcheck import (DEFAULT_TIMEOUT, NOT_ATTEMPTED, NOT_RUN, PASSED, Report, UsageError, check_notebook,
                            saved_report)

#: Folders that hold copies nobody works in.
SKIPPED_FOLDERS = {".ipynb_checkpoints", "feedback", ".git"}
#: How deep under FOLDER a lab notebook is looked for (hub: <course>/<lab>/<lab>.ipynb).
SEARCH_DEPTH = 3


@dataclass
class LabProgress:
    lab: str
    title: str
    tiers: list[str]
    competency: str
    minutes: int
    notebook: str | None  # None: not fetched or not started
    points: float
    on_track: float  # visible points earned, grader-scored points whose visible checks pass
    tests: int
    passed: int
    not_attempted: int
    problem: str = ""  # why the notebook could not be read


@dataclass
class TierOutlook:
    tier: str
    name: str
    on_track: bool
    shortfalls: dict[str, tuple[float, float]]  # competency -> (share on track, share needed)
    labs_left: list[str]


@dataclass
class Progress:
    folder: str
    curriculum_version: str
    pass_mark: float
    mode: str  # "saved" or "run"
    labs: list[LabProgress]
    tiers: list[TierOutlook]
    on_track_for: str | None  # the highest tier on track, or None
    required_tier: str | None
    notes: list[str] = field(default_factory=list)


def find_notebooks(folder: Path, manifest: Manifest) -> dict[str, Path]:
    """The learner's copy of each lab under ``folder``: ``<lab>.ipynb``, the most recently saved one
    when there are several (a fetched copy and one saved elsewhere)."""
    found: dict[str, Path] = {}
    wanted = {f"{assignment.id}.ipynb": assignment.id for assignment in manifest.assignments}

    def visit(directory: Path, depth: int) -> None:
        try:
            entries = sorted(directory.iterdir())
        except OSError:
            return
        for entry in entries:
            if entry.is_dir() and depth < SEARCH_DEPTH and entry.name not in SKIPPED_FOLDERS \
                    and not entry.name.startswith("."):
                visit(entry, depth + 1)
            elif entry.is_file() and entry.name in wanted:
                lab = wanted[entry.name]
                if lab not in found or entry.stat().st_mtime > found[lab].stat().st_mtime:
                    found[lab] = entry

    visit(Path(folder), 0)
    return found


def _lab_progress(assignment: Assignment, report: Report | None, problem: str = "") -> LabProgress:
    if report is None:
        return LabProgress(assignment.id, assignment.title, list(assignment.tiers), assignment.competency,
                           assignment.minutes, None, assignment.points, 0.0, len(assignment.cells), 0,
                           len(assignment.cells), problem)
    on_track = sum(cell.points if cell.grader_scored and cell.status == PASSED else cell.earned
                   for cell in report.cells)
    return LabProgress(assignment.id, assignment.title, list(assignment.tiers), assignment.competency,
                       assignment.minutes, report.notebook, assignment.points, on_track, len(report.cells),
                       sum(cell.status == PASSED for cell in report.cells),
                       sum(cell.status in (NOT_ATTEMPTED, NOT_RUN) for cell in report.cells), problem)


def _earned_by_cell(report: Report | None) -> dict[str, float]:
    if report is None:
        return {}
    return {cell.grade_id: cell.points if cell.grader_scored and cell.status == PASSED else cell.earned
            for cell in report.cells}


def outlook(manifest: Manifest, earned: dict[tuple[str, str], float], pass_mark: float) -> list[TierOutlook]:
    """Per tier: on track or not (the roster's rule on ``earned`` per grade id), and what falls short."""
    tiers, reached_below = [], True
    order = list(TIERS)
    for tier in order:
        cells = [(assignment, cell) for assignment in manifest.assignments for cell in assignment.cells
                 if order.index(cell.tier) <= order.index(tier)]
        if not any(cell.tier == tier for _, cell in cells):
            break  # a tier nothing certifies yet cannot be reached
        shortfalls, labs_left = {}, []
        for competency in manifest.competencies:
            mine = [(a, c) for a, c in cells if c.competency == competency]
            possible = sum(c.points for _, c in mine)
            if not possible:
                continue
            got = sum(earned.get((a.id, c.grade_id), 0.0) for a, c in mine)
            if got < pass_mark * possible - 1e-9:
                shortfalls[competency] = (got / possible, pass_mark)
                labs_left += [a.id for a, c in mine if earned.get((a.id, c.grade_id), 0.0) < c.points - 1e-9]
        reached_below = reached_below and not shortfalls
        tiers.append(TierOutlook(tier, TIERS[tier], reached_below, shortfalls, list(dict.fromkeys(labs_left))))
    return tiers


def learner_progress(folder: Path, *, run: bool = False, required_tier: str | None = None,
                     timeout: int = DEFAULT_TIMEOUT, manifest: Manifest | None = None) -> Progress:
    from labs.roster.policy import RosterPolicy

    manifest = manifest or load_manifest()
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder: pass the folder that holds your lab notebooks")
    pass_mark = RosterPolicy().pass_mark
    notebooks = find_notebooks(folder, manifest)
    labs, earned = [], {}
    for assignment in manifest.assignments:
        path, report, problem = notebooks.get(assignment.id), None, ""
        if path is not None:
            try:
                report = check_notebook(path, timeout) if run else saved_report(path, timeout)
            except UsageError as error:
                problem = str(error)
        labs.append(_lab_progress(assignment, report, problem))
        earned.update({(assignment.id, grade_id): points for grade_id, points in _earned_by_cell(report).items()})
    tiers = outlook(manifest, earned, pass_mark)
    on_track = [t.tier for t in tiers if t.on_track]
    notes = [] if notebooks else [f"no lab notebook (<lab>.ipynb) under {folder}: fetch a lab, or pass the folder "
                                  "that holds your labs"]
    return Progress(str(folder), manifest.version, pass_mark, "run" if run else "saved", labs, tiers,
                    on_track[-1] if on_track else None, required_tier, notes)


# ---------------------------------------------------------------------------- output

def _points(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def format_progress(progress: Progress) -> str:
    how = ("ran each notebook afresh" if progress.mode == "run"
           else "read each notebook as you last saved it (run all cells and save, or use --run)")
    lines = [f"labs progress {progress.folder}  (curriculum {progress.curriculum_version}; {how})", ""]
    width = max(len(lab.lab) for lab in progress.labs)
    competency_width = max(len(lab.competency) for lab in progress.labs)
    for lab in progress.labs:
        tiers = "/".join(lab.tiers)
        if lab.notebook is None:
            state = lab.problem or f"not started (about {lab.minutes} min)"
        else:
            state = (f"{_points(lab.on_track):>4} of {_points(lab.points):<4} points on track, "
                     f"{lab.passed} of {lab.tests} tests pass")
            if lab.not_attempted:
                state += f", {lab.not_attempted} not attempted or not run"
        lines.append(f"  {lab.lab:<{width}}  [{tiers:<5}] {lab.competency:<{competency_width}}  {state}")
    lines.append("")
    for tier in progress.tiers:
        if tier.on_track:
            lines.append(f"  {tier.name} ({tier.tier}): on track -- every competency has at least "
                         f"{progress.pass_mark:.0%} of its points")
            continue
        short = ", ".join(f"{c} {got:.0%} of {need:.0%}" for c, (got, need) in tier.shortfalls.items())
        if short:
            lines.append(f"  {tier.name} ({tier.tier}): not yet -- {short}")
        else:
            lines.append(f"  {tier.name} ({tier.tier}): not yet -- the tier below comes first")
        if tier.labs_left:
            lines.append(f"      left: {', '.join(tier.labs_left)}")
    if progress.on_track_for:
        lines.append(f"\nOn track for: {TIERS[progress.on_track_for]} ({progress.on_track_for}).")
    else:
        lines.append("\nOn track for: no tier yet.")
    if progress.required_tier:
        order = list(TIERS)
        met = progress.on_track_for and order.index(progress.on_track_for) >= order.index(progress.required_tier)
        lines.append(f"Your role requires {TIERS[progress.required_tier]} ({progress.required_tier}): "
                     + ("on track." if met else "not yet; the labs left above get you there."))
    lines += [f"note: {note}" for note in progress.notes]
    lines.append("Visible tests only: hidden tests and the grader's held-out inputs decide your grade, so this is "
                 "where you stand, not the grade.")
    return "\n".join(lines)


#: The module the grader installs in every kernel it grades (labs/grading/preprocessors.py, GuardTests).
GRADING_GUARD_MODULE = "labs.grading.guard"
CELL_ID = "lab-progress"
CELL_SOURCE = """# Where you stand across all labs (ungraded): each lab's visible progress, the tier you are on track
# for and what is left, from your saved lab notebooks next to this one. Save first; `labs progress` in a
# terminal shows the same.
from labs.progress import show

show()"""


def show(folder: Path | str | None = None) -> None:
    """Print the whole picture in a notebook: by default every lab next to this one."""
    if GRADING_GUARD_MODULE in sys.modules:
        # the grader's kernel holds this one notebook, not the learner's folder: nothing to show
        print("labs progress: not shown while the grader runs this notebook")
        return
    print(format_progress(learner_progress(Path(folder) if folder else Path.cwd().parent)))


def progress_cell():
    """The ungraded cell, just before the feedback cell, that shows the whole picture (id ``lab-progress``)."""
    import nbformat

    return nbformat.v4.new_code_cell(CELL_SOURCE, id=CELL_ID)


def add_progress_cell(notebook) -> None:
    """Put the progress cell just before the closing feedback cell (replacing an older copy): idempotent."""
    from labs.roster.feedback import CELL_ID as FEEDBACK_CELL_ID

    cells = [cell for cell in notebook.cells if cell.get("id") != CELL_ID]
    at = next((i for i, cell in enumerate(cells) if cell.get("id") == FEEDBACK_CELL_ID), len(cells))
    notebook.cells = [*cells[:at], progress_cell(), *cells[at:]]


# ---------------------------------------------------------------------------- command line

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", type=Path, nargs="?", default=Path("."),
                        help="the folder holding your lab notebooks (default: the current one)")
    parser.add_argument("--run", action="store_true", dest="rerun",
                        help="run every notebook afresh, as labs check does (slower), instead of reading it as saved")
    required = parser.add_mutually_exclusive_group()
    required.add_argument("--tier", choices=list(TIERS), help="the tier your role requires")
    required.add_argument("--role", help="your HR role (e.g. software-engineer), to look up the tier it requires")
    parser.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"with --run, the per-cell time limit (default {DEFAULT_TIMEOUT})")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args) -> int:
    from labs.roster.policy import RosterPolicy

    required = args.tier
    if args.role:
        roles = RosterPolicy().role_tiers
        if args.role not in roles:
            print(f"labs progress: unknown role {args.role!r}; known: {', '.join(sorted(roles))} "
                  "(or pass --tier F, A or G)", file=sys.stderr)
            return 2
        required = roles[args.role]
    started = time.perf_counter()
    try:
        progress = learner_progress(args.folder, run=args.rerun, required_tier=required, timeout=args.timeout)
    except UsageError as error:
        print(f"labs progress: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(asdict(progress), indent=2, ensure_ascii=False))
    else:
        print(format_progress(progress))
        if args.rerun:
            print(f"({time.perf_counter() - started:.0f} s)")
    return 0
