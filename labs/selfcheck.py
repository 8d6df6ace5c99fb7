"""``labs check NOTEBOOK``: a learner's offline self-check of a lab notebook.

It runs a copy of the notebook as saved on disk (the learner's file is never written) top to
bottom in a fresh ``python3`` kernel, with the notebook's folder as the working directory, so
the learner id (:mod:`labs.learner`) and therefore the data are the ones the learner sees in
JupyterLab. No instructor state is needed: no course directory, no gradebook, no network.

Each graded test cell is scored the way ``nbgrader autograde`` scores it (nbgrader's own
``determine_grade``: 0 on an error *or* any stderr output, a float last expression is partial
credit, anything else full credit) and reported as one of

    passed          full points on the visible tests
    partial         a float result: the points earned, e.g. 2.5/4
    failed          an error: its type and message (the ``labs.checks`` message), no traceback
    not attempted   the answer cell it depends on still raises ``NotImplementedError``
    stderr          the cell passed but wrote to stderr, which nbgrader grades as 0
    not run         the kernel died before the cell ran
    missing         the curriculum manifest lists the cell but the notebook lacks it

then, per tier of the curriculum manifest (``labs/curriculum.toml``, shipped in the package),
the visible points earned over the visible points possible. Hidden tests run in the same cells
when the instructor grades, so this is a progress estimate, not the grade.

Exit status: 0 when every visible test passes (and no locked test cell was edited), 1 otherwise,
2 for a usage error (no such file, not a notebook, invalid JSON, no graded test cells, no kernel).
"""
from __future__ import annotations

import argparse
import copy
import json
import re
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from labs.manifest import TIERS, Assignment, load_manifest

#: Per-cell limit, as ``c.Execute.timeout`` in the course's nbgrader configuration.
DEFAULT_TIMEOUT = 300
KERNEL_NAME = "python3"
MESSAGE_LIMIT = 500
#: The stub nbgrader leaves in an answer cell (c.ClearSolutions.code_stub).
STUB = re.compile(r"^\s*raise NotImplementedError\b", re.MULTILINE)

PASSED, PARTIAL, FAILED, NOT_ATTEMPTED, STDERR, NOT_RUN, MISSING = (
    "passed", "partial", "failed", "not attempted", "stderr", "not run", "missing")
LABELS = {PASSED: "PASSED", PARTIAL: "PARTIAL", FAILED: "FAILED", NOT_ATTEMPTED: "NOT ATTEMPTED",
          STDERR: "SCORES 0", NOT_RUN: "NOT RUN", MISSING: "MISSING"}

HIDDEN_TESTS_NOTE = ("Hidden tests also run in these cells when your instructor grades, on data you have "
                     "not seen, so a cell that passes here can still lose points: this is a progress "
                     "estimate, not your grade.")


class UsageError(Exception):
    """The notebook cannot be checked; the message says what to do."""


@dataclass
class CellResult:
    grade_id: str
    title: str
    points: float
    tier: str | None
    status: str
    earned: float
    message: str = ""
    stdout: str = ""
    edited: bool = False  # a locked test cell that no longer matches its checksum
    grader_scored: bool = False  # its points come only from the grader's scoring of handed-in answers


@dataclass
class TierProgress:
    tier: str
    name: str
    earned: float
    possible: float
    cells: int
    passed: int


@dataclass
class Report:
    notebook: str
    assignment: str | None
    assignment_title: str | None
    curriculum_version: str
    learner: str
    seconds: float
    cells: list[CellResult]
    tiers: list[TierProgress]
    kernel_problem: str = ""
    notes: list[str] = field(default_factory=list)
    policy_violations: list[str] = field(default_factory=list)  # the grader would not run this code

    @property
    def all_passed(self) -> bool:
        return (bool(self.cells) and not self.kernel_problem and not self.policy_violations
                and all(cell.status == PASSED and not cell.edited for cell in self.cells))


# ---------------------------------------------------------------------------- reading the notebook

def read_notebook(path: Path):
    """The notebook at ``path`` (nbformat 4), or :class:`UsageError` saying what is wrong."""
    import nbformat

    if not path.exists():
        raise UsageError(f"no such file: {path}. Give the path of your lab notebook, "
                         "e.g. release/sanitization/sanitization.ipynb")
    if path.is_dir():
        raise UsageError(f"{path} is a folder; give the notebook file inside it (…/<lab>.ipynb)")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read {path}: {error}") from error
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"{path} is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno}): "
                         "the file is damaged. Restore it (JupyterLab: File > Revert Notebook to Checkpoint, "
                         "or a fresh copy of the released notebook) and copy your answers back") from error
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list) or "nbformat" not in raw:
        raise UsageError(f"{path} is JSON but not a Jupyter notebook (no 'cells' / 'nbformat'); "
                         "give the .ipynb file of your lab")
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as error:  # nbformat's conversion errors have no common base
        raise UsageError(f"{path} is not a notebook nbformat can read ({error}); "
                         "restore a fresh copy of the released notebook") from error


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _is_test(cell) -> bool:
    meta = _nbgrader(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def _is_answer(cell) -> bool:
    return cell.get("cell_type") == "code" and bool(_nbgrader(cell).get("solution"))


_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")


def _heading(markdown: str) -> str | None:
    """The last heading of a markdown cell, without its ``· *easy · 10 min*`` tail."""
    found = None
    for line in markdown.splitlines():
        match = _HEADING.match(line)
        if match:
            found = match.group(1)
    if found is None:
        return None
    title = re.split(r"\s+·\s+", found)[0]
    return re.sub(r"[*_`]", "", title).strip() or None


def test_cells(nb) -> list[tuple[int, str, list[int]]]:
    """``(cell index, title, indices of the answer cells it depends on)`` of each test cell.

    A test depends on the answer cells written since the previous exercise's tests: the run
    of answer cells before it (several tests in a row share them).
    """
    found = []
    title = ""
    answers: list[int] = []
    tests_since_answer = False
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            title = _heading(cell.source) or title
        elif _is_answer(cell):
            if tests_since_answer:
                answers, tests_since_answer = [], False
            answers.append(index)
        elif _is_test(cell):
            tests_since_answer = True
            found.append((index, title, list(answers)))
    return found


# ---------------------------------------------------------------------------- the manifest

def match_assignment(nb, path: Path, manifest) -> Assignment | None:
    """The manifest's assignment for this notebook: most grade ids in common, the file name breaking ties."""
    ids = {_nbgrader(c).get("grade_id") for c in nb.cells if _is_test(c)}
    best, best_key = None, (0, False)
    for assignment in manifest.assignments:
        overlap = len(ids & {cell.grade_id for cell in assignment.cells})
        key = (overlap, assignment.id == path.stem)
        if overlap and key > best_key:
            best, best_key = assignment, key
    return best


# ---------------------------------------------------------------------------- running

def execute(nb, folder: Path, timeout: int) -> tuple[object, set[int], str]:
    """Run a copy of ``nb`` in a fresh kernel in ``folder``: (executed copy, cells started, kernel problem)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError
    from jupyter_client.kernelspec import NoSuchKernel

    work = copy.deepcopy(nb)
    for cell in work.cells:  # the learner's saved outputs must not pass for this run's
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    started: set[int] = set()
    client = NotebookClient(
        work, timeout=timeout, kernel_name=KERNEL_NAME, allow_errors=True, interrupt_on_timeout=True,
        record_timing=False, resources={"metadata": {"path": str(folder)}},
        on_cell_start=lambda cell, cell_index: started.add(cell_index))
    problem = ""
    # the kernel process's own chatter (ipykernel's start-up warnings) is kept out of the report;
    # its tail explains a dead kernel. What cells print reaches their outputs as in JupyterLab.
    with tempfile.TemporaryFile() as kernel_log:
        try:
            client.execute(stdout=kernel_log, stderr=kernel_log)
        except DeadKernelError:
            kernel_log.seek(0)
            tail = [line for line in kernel_log.read().decode("utf-8", "replace").splitlines()
                    if line.strip() and "without encryption" not in line][-3:]
            where = f" in cell {max(started) + 1}" if started else ""
            problem = (f"the kernel died{where}: out of memory, or code that ends the process (exit(), os._exit())?"
                       + "".join(f"\n    {line}" for line in tail))
        except NoSuchKernel as error:
            raise UsageError(f"no '{KERNEL_NAME}' Jupyter kernel in this environment ({error}); "
                             "install ipykernel next to the labs package") from error
        except RuntimeError as error:  # kernel start-up failures surface as RuntimeError / TimeoutError
            raise UsageError(f"could not start a '{KERNEL_NAME}' kernel: {error}") from error
    return work, started, problem


def _one_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _shorten(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT - 1] + "…"


def _outputs(cell) -> tuple[dict | None, str, str]:
    """The first error output, all stdout and all stderr of an executed cell."""
    error, stdout, stderr = None, [], []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error" and error is None:
            error = output
        elif output.get("output_type") == "stream":
            (stderr if output.get("name") == "stderr" else stdout).append(output.get("text", ""))
    return error, "".join(stdout), "".join(stderr)


def _error_text(error: dict, timeout: int) -> str:
    name, value = error.get("ename", "Error"), str(error.get("evalue", "")).strip()
    if name == "KeyboardInterrupt":
        return f"interrupted: it ran longer than the {timeout} s per-cell time limit"
    return _shorten(f"{name}: {value}" if value else name)


def _score(cell) -> tuple[float, float, str]:
    """nbgrader's own score for an executed test cell: (points earned, points, problem)."""
    from nbgrader.utils import determine_grade

    points = float(_nbgrader(cell).get("points", 0))
    try:
        earned, points = determine_grade(cell)
    except ValueError as error:  # a float result above the cell's points
        return 0.0, points, f"the result is not valid partial credit: {error}"
    return float(earned or 0.0), float(points), ""


def classify(work, index: int, answers: list[int], timeout: int) -> tuple[str, float, str, str]:
    """(status, points earned, message, stdout) of the executed test cell at ``index``."""
    cell = work.cells[index]
    error, stdout, stderr = _outputs(cell)
    earned, points, problem = _score(cell)
    if error is not None:
        # unanswered: the answer cell raised the stub's NotImplementedError, or the test did and
        # the exercise's answer cell still holds the stub (functions raise it when called)
        raised = error.get("ename") == "NotImplementedError"
        unanswered = [i for i in answers
                      if (_outputs(work.cells[i])[0] or {}).get("ename") == "NotImplementedError"
                      or (raised and STUB.search(work.cells[i].source))]
        if raised or unanswered:
            names = ", ".join(repr(_nbgrader(work.cells[i]).get("grade_id", "?")) for i in unanswered)
            where = (f"your answer in {names} is not written yet" if unanswered else
                     "code it calls is not written yet (an earlier exercise's answer?)")
            return (NOT_ATTEMPTED, 0.0, f"{where}: replace `raise NotImplementedError()` with your code", stdout)
        message = _error_text(error, timeout)
        for i in answers:  # the usual root cause: the answer cell itself failed
            answer_error = _outputs(work.cells[i])[0]
            if answer_error is not None:
                message += (f"\n(your answer cell {_nbgrader(work.cells[i]).get('grade_id', '?')!r} raised "
                            f"{_error_text(answer_error, timeout)})")
                break
        return FAILED, 0.0, message, stdout
    if stderr.strip():
        return (STDERR, 0.0, "nbgrader gives 0 points to a test cell that writes to stderr, even when it passes; "
                f"first line: {_shorten(_one_line(stderr))!r} (usually a warning your code triggers: fix its cause)",
                stdout)
    if problem:
        return FAILED, 0.0, problem, stdout
    if earned < points - 1e-9:
        scoring = [line.strip() for line in stdout.splitlines() if "full marks" in line]
        return (PARTIAL, earned, scoring[-1] if scoring else "partial credit: see the cell's output in the notebook",
                stdout)
    said = [line.strip().removeprefix("PASSED:").strip() for line in stdout.splitlines()
            if line.startswith("PASSED") or "full marks" in line]
    if handed_in(cell):
        # the points of this test are the grader's to award, from the answers it handed in
        return PASSED, 0.0, _shorten("\n".join([*said, GRADER_SCORED_NOTE])), stdout
    return PASSED, earned, _shorten("\n".join(said)), stdout


GRADER_SCORED_NOTE = "visible checks pass; the points are awarded only by the grader, from your answers on your data and on held-out inputs"


def handed_in(cell) -> bool:
    """Whether this test cell handed answers to the grader (labs.answers): its points are the grader's."""
    from labs.answers import ANSWER_MIME

    return any(ANSWER_MIME in output.get("data", {}) for output in cell.get("outputs", [])
               if output.get("output_type") == "display_data")


def check_notebook(path: Path, timeout: int = DEFAULT_TIMEOUT) -> Report:
    """Run and score the notebook at ``path``; raise :class:`UsageError` when it cannot be checked."""
    path = Path(path)
    nb = _lab_notebook(path)
    started_at = time.perf_counter()
    work, started, kernel_problem = execute(nb, path.resolve().parent, timeout)
    return _report(path, nb, work, started, kernel_problem, time.perf_counter() - started_at, timeout,
                   not_run="the kernel died before this cell ran")


#: Why a test cell of a saved notebook has no result.
NOT_RUN_SINCE_SAVED = "not run in the saved notebook: run all cells (Run > Run All Cells), then save"


def saved_report(path: Path, timeout: int = DEFAULT_TIMEOUT) -> Report:
    """Score the notebook at ``path`` from the outputs it was saved with (the learner's last run),
    without running anything: cheap, and exactly as current as the learner's last save."""
    path = Path(path)
    nb = _lab_notebook(path)
    ran = {index for index, cell in enumerate(nb.cells)
           if cell.cell_type == "code" and cell.get("execution_count") is not None}
    return _report(path, nb, nb, ran, "", 0.0, timeout, not_run=NOT_RUN_SINCE_SAVED, always_judge=False)


def _lab_notebook(path: Path):
    nb = read_notebook(path)
    if not test_cells(nb):
        raise UsageError(f"{path} has no graded test cells (nbgrader metadata grade=true): "
                         "is it a lab notebook from release/?")
    return nb


def _report(path: Path, nb, work, started: set[int], kernel_problem: str, seconds: float, timeout: int, *,
            not_run: str, always_judge: bool = True) -> Report:
    """The report of ``work`` (``nb`` with its outputs) for test cells that ``started``; the others
    are "not run" for the reason ``not_run`` -- unless ``always_judge`` and the kernel lived."""
    from nbgrader.utils import compute_checksum

    from labs.learner import current_learner

    tests = test_cells(nb)
    manifest = load_manifest()
    assignment = match_assignment(nb, path, manifest)
    tier_of = {cell.grade_id: cell.tier for cell in assignment.cells} if assignment else {}
    edited = {index for index, _, _ in tests
              if "checksum" in _nbgrader(nb.cells[index])
              and compute_checksum(nb.cells[index]) != _nbgrader(nb.cells[index])["checksum"]}

    cells = []
    for index, title, answers in tests:
        meta = _nbgrader(nb.cells[index])
        grade_id = meta.get("grade_id", f"cell {index + 1}")
        points = float(meta.get("points", 0))
        if index in started or (always_judge and not kernel_problem):
            status, earned, message, stdout = classify(work, index, answers, timeout)
        else:
            status, earned, message, stdout = NOT_RUN, 0.0, not_run, ""
        if index in edited:
            message = ("you edited this locked test cell: the grader runs the original, so re-fetch it from the "
                       "released notebook\n" + message).strip()
        cells.append(CellResult(grade_id, title, points, tier_of.get(grade_id), status, earned, message, stdout,
                                index in edited, grader_scored=handed_in(work.cells[index])
                                or "hand_in(" in nb.cells[index].source))

    present = {cell.grade_id for cell in cells}
    for manifest_cell in assignment.cells if assignment else ():
        if manifest_cell.grade_id not in present:
            cells.append(CellResult(manifest_cell.grade_id, "", manifest_cell.points, manifest_cell.tier, MISSING,
                                    0.0, "this test cell is missing from your notebook: copy it back from the "
                                    "released notebook"))

    tiers = []
    for code in [*TIERS, None]:
        mine = [cell for cell in cells if cell.tier == code]
        if mine:
            tiers.append(TierProgress(code or "?", TIERS.get(code, "not in the curriculum manifest"),
                                      sum(c.earned for c in mine), sum(c.points for c in mine), len(mine),
                                      sum(c.status == PASSED for c in mine)))
    notes = []
    if assignment is None:
        notes.append(f"this notebook's test cells are not in the curriculum manifest (version {manifest.version}): "
                     "no tiers to report; is it an older release of the lab?")
    return Report(str(path), assignment.id if assignment else None, assignment.title if assignment else None,
                  manifest.version, current_learner(path.resolve().parent), seconds, cells, tiers, kernel_problem,
                  notes, policy_violations(path, nb))


def policy_violations(path: Path, nb) -> list[str]:
    """What `labs grade` would refuse to run (labs/grading/policy.py), so the learner sees it first."""
    from labs.grading import prepare_submission

    _, reasons = prepare_submission(path.read_bytes(), path.name, nb)
    return [reason.removeprefix("tampering: ") for reason in reasons if reason.startswith("tampering: ")]


# ---------------------------------------------------------------------------- output

def _points(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def format_report(report: Report) -> str:
    lines = [f"labs check {report.notebook}"]
    if report.assignment:
        lines.append(f"  lab: {report.assignment} (curriculum {report.curriculum_version})")
    lines.append(f"  learner: {report.learner} (your data is generated from this id)")
    lines.append(f"  ran the notebook as saved, top to bottom, in a fresh kernel in {report.seconds:.1f} s")
    if report.kernel_problem:
        lines.append(f"  KERNEL: {report.kernel_problem}")
    if report.policy_violations:
        lines.append("  GRADING POLICY: the grader will not run this notebook's code, so every test would earn 0:")
        lines += [f"    {violation}" for violation in report.policy_violations]
    lines += [f"  note: {note}" for note in report.notes]

    width = max(len(cell.grade_id) for cell in report.cells)
    title = None
    for cell in report.cells:
        if cell.title != title:
            title = cell.title
            lines += ["", title or "(untitled exercise)"]
        score = f"grader/{_points(cell.points)}" if cell.grader_scored else f"{_points(cell.earned)}/{_points(cell.points)}"
        tier = f"  [{cell.tier}]" if cell.tier else ""
        lines.append(f"  {LABELS[cell.status]:<13}  {cell.grade_id:<{width}}  {score:>7}{tier}")
        lines += [f"  {'':<13}  {line}" for line in cell.message.splitlines()]

    lines += ["", "Progress toward each tier (visible tests only):"]
    name_width = max(len(t.name) for t in report.tiers)
    for tier in report.tiers:
        share = f"{tier.earned / tier.possible:.0%}" if tier.possible else "-"
        done = "  all visible tests pass" if tier.passed == tier.cells else ""
        lines.append(f"  {tier.name:<{name_width}}  {_points(tier.earned):>5} / {_points(tier.possible):<5} points "
                     f"({share:>4})  {tier.passed} of {tier.cells} tests pass{done}")
    counts = {status: sum(c.status == status for c in report.cells) for status in LABELS}
    summary = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    lines += ["", f"{len(report.cells)} visible tests: {summary}.", HIDDEN_TESTS_NOTE]
    by_grader = sum(cell.points for cell in report.cells if cell.grader_scored)
    if by_grader:
        lines.append(f"{_points(by_grader)} points (marked grader/N) are awarded only by the grader, which scores "
                     "the answers your tests hand in against data it keeps: no check on your machine can award them.")
    return "\n".join(lines)


def report_json(report: Report) -> str:
    data = asdict(report)
    data["all_passed"] = report.all_passed
    data["note"] = HIDDEN_TESTS_NOTE
    return json.dumps(data, indent=2, ensure_ascii=False)


# ---------------------------------------------------------------------------- command line

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebook", type=Path, help="your lab notebook (.ipynb); save it first, the check runs the saved file")
    parser.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"per-cell time limit (default {DEFAULT_TIMEOUT}, as the grader)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args) -> int:
    if args.timeout <= 0:
        print("labs check: --timeout must be a positive number of seconds", file=sys.stderr)
        return 2
    try:
        report = check_notebook(args.notebook, timeout=args.timeout)
    except UsageError as error:
        print(f"labs check: {error}", file=sys.stderr)
        return 2
    print(report_json(report) if args.json else format_report(report))
    return 0 if report.all_passed else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="labs check", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
