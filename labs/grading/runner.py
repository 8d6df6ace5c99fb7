"""The `labs grade` pipeline (see the package docstring); run in the grader, never in a kernel."""
from __future__ import annotations

import concurrent.futures
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import nbformat

from labs.course import CourseError
from labs.grading import policy, sandbox
from labs.grading.journal import Journal, Outcome
from labs.grading.preprocessors import METADATA, REFUSAL
from labs.grading.submission import Submission, rebuild, unanswered

STAGING = ".grading"
# nbclient logs these as errors, yet BoundedExecute handles them and grades what ran (a timed-out
# cell is interrupted and the notebook goes on; a dead kernel ends the run): not a failed autograde.
HANDLED_KERNEL_ERRORS = ("Timeout waiting for execute reply", "Interrupting kernel",
                         "Kernel died while waiting for execute reply")


@dataclass(frozen=True)
class GradingOptions:
    workers: int = 1
    force: bool = False
    use_sandbox: bool = True
    cell_timeout: int | None = None      # seconds per cell; default: the course's Execute.timeout
    learner_timeout: int = 1800          # wall seconds for one learner's whole grading
    lease: int = 300                     # seconds a claim outlives this grader (see labs.grading.journal)
    limits: sandbox.Limits = sandbox.Limits()


@dataclass(frozen=True)
class Course:
    root: Path
    db_url: str
    course_id: str

    @classmethod
    def load(cls, root: Path) -> "Course":
        from labs.roster.policy import course_app

        app = course_app(root)
        return cls(root=Path(root).resolve(), db_url=app.coursedir.db_url, course_id=app.coursedir.course_id)

    def submitted(self, assignment: str) -> dict[str, Path]:
        folder = self.root / "submitted"
        if not folder.is_dir():
            return {}
        return {d.name: d / assignment for d in sorted(folder.iterdir()) if (d / assignment).is_dir()}

    def release_notebooks(self, assignment: str) -> dict[str, nbformat.NotebookNode]:
        folder = self.root / "release" / assignment
        notebooks = {p.name: nbformat.read(p, as_version=4) for p in sorted(folder.glob("*.ipynb"))}
        if not notebooks:
            raise CourseError(f"no released notebooks in {folder}: run `labs build {assignment}` "
                              "(nbgrader generate_assignment) before grading")
        return notebooks


def _protected(release: nbformat.NotebookNode, source: nbformat.NotebookNode | None) -> tuple[policy.Protected, list[str]]:
    def info(cell):
        return cell.metadata.get("nbgrader", {})

    locked = [c.source for c in release.cells
              if c.cell_type == "code" and info(c).get("locked") and not info(c).get("grade") and not info(c).get("solution")]
    tests = [c.source for c in (source or release).cells
             if c.cell_type == "code" and info(c).get("grade") and not info(c).get("solution")]
    return policy.Protected.from_cells(locked, tests), locked


def prepare_submission(raw: bytes | None, name: str, release, source=None) -> tuple[Submission, list[str]]:
    """The notebook to grade and the reasons to record, for one submitted file (None: missing)."""
    if raw is None:
        sub = unanswered(release, f"{name} was not handed in (deleted or renamed?); graded as unanswered")
    else:
        sub = rebuild(raw, release, name)
    reasons = [f"ungradable: {sub.ungradable}"] if sub.ungradable else list(sub.notes)
    protected, trusted = _protected(release, source)
    broken = policy.violations(sub.learner_code, protected, trusted)
    if broken:
        reasons += [f"tampering: {v}" for v in broken]
        sub = unanswered(release, "learner code broke the grading policy")
    return sub, reasons


def _die_with_grader() -> None:
    """In the nbgrader child: be killed when the grader dies, even by SIGKILL, so no orphan keeps
    writing grades while a rerun grades the same learner (the kernel dies with nbgrader: bwrap's
    --die-with-parent)."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class Grader:
    def __init__(self, course_dir: Path, options: GradingOptions = GradingOptions(),
                 echo: Callable[[str], None] = print):
        self.course = Course.load(course_dir)
        self.options = options
        self.echo = echo
        self.journal = Journal(self.course.db_url, dt.timedelta(seconds=options.lease))
        self.staging = self.course.root / STAGING
        self._template_lock = threading.Lock()
        if options.use_sandbox:
            sandbox.check_tools()

    # -- environment for nbgrader's kernels ----------------------------------------------------
    def _home_template(self) -> Path:
        """Offline data and a warm matplotlib cache, copied into each sandboxed kernel's home."""
        template = self.staging / "home-template"
        with self._template_lock:
            if not template.is_dir():
                self.staging.mkdir(parents=True, exist_ok=True)
                building = Path(tempfile.mkdtemp(prefix="home-template-", dir=self.staging))
                env = dict(os.environ, HOME=str(building), LABS_CACHE_DIR=str(building / ".cache" / "ai-safety-labs"),
                           MPLCONFIGDIR=str(building / ".config" / "matplotlib"), MPLBACKEND="agg")
                subprocess.run([sys.executable, "-c", "import labs, matplotlib.pyplot"], env=env, check=True,
                               capture_output=True)
                try:
                    building.rename(template)  # atomic: another grader process may have won the race
                except OSError:
                    shutil.rmtree(building, ignore_errors=True)
        return template

    def _nbgrader_env(self, private: Path) -> tuple[dict, list[str]]:
        env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
        args = []
        if self.options.use_sandbox:
            jupyter_path = private / "jupyter"
            sandbox.write_kernelspec(jupyter_path)
            sockets = private / "k"
            sockets.mkdir()
            read_only = sandbox.python_read_only_paths()
            config = sandbox.SandboxConfig(read_only=tuple(read_only), home_template=str(self._home_template()),
                                           limits=self.options.limits)
            env.update({"JUPYTER_PATH": str(jupyter_path), sandbox.ENV_CONFIG: config.to_env(),
                        "JUPYTER_RUNTIME_DIR": str(private / "runtime")})
            args += ["--KernelManager.transport=ipc", f"--KernelManager.ip={sockets}/kernel"]
        if self.options.cell_timeout:
            args.append(f"--Execute.timeout={self.options.cell_timeout}")
        if self.course.db_url.startswith("sqlite") and "?" not in self.course.db_url:
            # concurrent graders wait for SQLite's write lock instead of failing with "database is locked"
            args.append(f"--CourseDirectory.db_url={self.course.db_url}?timeout=120")
        return env, args

    # -- one learner ---------------------------------------------------------------------------
    def _stage(self, assignment: str, student: str, folder: Path) -> tuple[Path, list[str]]:
        staged = self.staging / "submitted" / student / assignment
        shutil.rmtree(staged, ignore_errors=True)
        staged.mkdir(parents=True)
        reasons: list[str] = []
        releases = self.course.release_notebooks(assignment)
        sources = {p.name: nbformat.read(p, as_version=4)
                   for p in (self.course.root / "source" / assignment).glob("*.ipynb")}
        handed_in = {p.name for p in folder.glob("*.ipynb")}
        for name in sorted(handed_in - set(releases)):
            reasons.append(f"{name} is not part of {assignment} and was ignored (the lab's notebook is "
                           f"{', '.join(releases)}; was it renamed?)")
        for name, release in releases.items():
            path = folder / name
            raw = path.read_bytes() if path.is_file() else None
            submission, found = prepare_submission(raw, name, release, sources.get(name))
            reasons += found
            nbformat.write(submission.notebook, staged / name)
        # nbgrader's own files: the submission time, and the exchange's secret that names feedback
        for extra in ("timestamp.txt", "submission_secret.txt"):
            if (folder / extra).is_file():
                shutil.copy2(folder / extra, staged / extra)
        return staged, reasons

    def _autograde(self, assignment: str, student: str) -> str | None:
        """Run nbgrader autograde on the staged submission; the reason if it did not finish."""
        private = Path(tempfile.mkdtemp(prefix="labs-k-", dir="/tmp"))
        try:
            env, args = self._nbgrader_env(private)
            command = [sys.executable, "-m", "nbgrader", "autograde", assignment, "--student", student, "--force",
                       f"--CourseDirectory.submitted_directory={STAGING}/submitted", "--log-level=WARN", *args]
            process = subprocess.Popen(command, cwd=self.course.root, env=env, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, text=True, start_new_session=True,
                                       preexec_fn=_die_with_grader)
            try:
                output, _ = process.communicate(timeout=self.options.learner_timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
                return f"grading took over {self.options.learner_timeout} s and was stopped"
            errors = [line for line in output.splitlines() if "[AutogradeApp | ERROR]" in line
                      and not any(handled in line for handled in HANDLED_KERNEL_ERRORS)]
            refused = [line.strip() for line in output.splitlines() if REFUSAL in line]
            if refused:
                return refused[-1]
            if process.returncode != 0 or errors:
                tail = [line for line in output.strip().splitlines() if line.strip()][-3:]
                return "nbgrader autograde failed: " + " | ".join(tail)
            return None
        finally:
            shutil.rmtree(private, ignore_errors=True)

    def _score(self, assignment: str, student: str) -> tuple[float | None, float | None]:
        from labs.roster.grades import open_gradebook

        with open_gradebook(self.course.db_url, self.course.course_id) as gb:
            try:
                submission = gb.find_submission(assignment, student)
            except Exception:
                return None, None
            return submission.score, submission.max_score

    def _flag(self, assignment: str, student: str) -> None:
        from labs.roster.grades import open_gradebook

        with open_gradebook(self.course.db_url, self.course.course_id) as gb:
            for notebook in gb.find_submission(assignment, student).notebooks:
                notebook.flagged = True
            gb.db.commit()

    def _kernel_findings(self, assignment: str, student: str) -> list[str]:
        found = []
        for path in sorted((self.course.root / "autograded" / student / assignment).glob("*.ipynb")):
            try:
                notebook = nbformat.read(path, as_version=4)
            except Exception:
                continue
            found += [f"{path.name}: {p}" for p in notebook.metadata.get(METADATA, {}).get("problems", [])]
        return found

    def grade_one(self, assignment: str, student: str, folder: Path) -> Outcome:
        timestamp_file = folder / "timestamp.txt"
        submitted_at = timestamp_file.read_text().strip() if timestamp_file.is_file() else None
        refused = self.journal.claim(assignment, student, submitted_at, self.options.force)
        if refused:
            return Outcome(assignment, student, None, None, [], skipped=refused)
        try:
            staged, reasons = self._stage(assignment, student, folder)
            failure = self._autograde(assignment, student)
            if failure and REFUSAL in failure:
                # the course cannot score at all (its grader/ is missing): the grader's fault, not the
                # learner's; nothing is recorded and a rerun grades them
                raise CourseError(failure)
            if failure:
                # Whatever happened, the learner's record must not keep a stale or missing grade:
                # grade the unanswered release (0 everywhere) and say why.
                reasons.append(failure + "; graded as unanswered")
                for name, release in self.course.release_notebooks(assignment).items():
                    nbformat.write(unanswered(release, failure).notebook, staged / name)
                second = self._autograde(assignment, student)
                if second:
                    reasons.append(second)
            reasons += self._kernel_findings(assignment, student)
            score, max_score = self._score(assignment, student)
            if reasons:
                # every reason is for the instructor to read (the roster shows flagged submissions)
                self._flag(assignment, student)
            outcome = Outcome(assignment, student, score, max_score, reasons)
            self.journal.record(outcome, submitted_at)
            return outcome
        except BaseException:
            self.journal.release(assignment, student)
            raise

    # -- a cohort -------------------------------------------------------------------------------
    def grade(self, assignment: str, students: list[str] | None = None) -> list[Outcome]:
        available = self.course.submitted(assignment)
        wanted = students or list(available)
        outcomes: list[Outcome] = []
        missing = [s for s in wanted if s not in available]
        outcomes += [Outcome(assignment, s, None, None, [], skipped="no submission") for s in missing]
        todo = [s for s in wanted if s in available]
        with self.journal.leases_kept(), \
                concurrent.futures.ThreadPoolExecutor(max_workers=max(1, self.options.workers)) as pool:
            futures = {pool.submit(self.grade_one, assignment, s, available[s]): s for s in todo}
            for future in concurrent.futures.as_completed(futures):
                try:
                    outcome = future.result()
                except Exception as error:
                    # A fault of the grader's own (not the learner's) must not cost the rest of the
                    # cohort their grades; the journal released this learner, so a rerun grades them.
                    outcome = Outcome(assignment, futures[future], None, None, [],
                                      error=f"{type(error).__name__}: {error}")
                self.echo(format_outcome(outcome))
                outcomes.append(outcome)
        order = {s: i for i, s in enumerate(wanted)}
        return sorted(outcomes, key=lambda o: order.get(o.student, len(order)))


class GraderFault(RuntimeError):
    """The grader itself failed on some learners (not their submissions): nothing was recorded for them."""


def raise_for_grader_faults(outcomes: list[Outcome]) -> None:
    """For callers that must not go on with a partly graded cohort (the demo, labs verify)."""
    failed = [format_outcome(o) for o in outcomes if o.error]
    if failed:
        raise GraderFault("labs grade failed:\n" + "\n".join(failed))


def format_outcome(outcome: Outcome) -> str:
    if outcome.skipped:
        return f"{outcome.assignment} {outcome.student}: skipped ({outcome.skipped})"
    if outcome.error:
        return (f"{outcome.assignment} {outcome.student}: not graded, the grader failed ({outcome.error}); "
                f"nothing was recorded, run labs grade {outcome.assignment} --student {outcome.student} again")
    score = "no grade" if outcome.score is None else f"{outcome.score:g}/{outcome.max_score:g}"
    lines = [f"{outcome.assignment} {outcome.student}: {score}"]
    lines += [f"    {reason}" for reason in outcome.reasons]
    return "\n".join(lines)


def grade(course_dir: Path, assignment: str, students: list[str] | None = None,
          options: GradingOptions = GradingOptions(), echo: Callable[[str], None] = print) -> list[Outcome]:
    return Grader(course_dir, options, echo).grade(assignment, students)
