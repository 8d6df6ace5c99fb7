"""`labs grade` on one cohort that mixes honest learners, tampered notebooks and broken files.

The cohort is graded ONCE per module (it is the slow part: one sandboxed nbgrader autograde per
learner, two at a time); the tests below then read the outcome, the gradebook and the journal.

* tests/fixtures/tampered/*.ipynb: the released integrity lab, filled by a learner who tampers.
  Each says in its metadata ``tamper.attack`` what it tries and ``tamper.expect_max_points`` the
  most it may earn (the points of the parts it answered honestly). Each must earn no more, have a
  reason on its record and be flagged in the gradebook.
* BAD: broken submissions built here (nothing big or binary is committed): each must end with a
  clear reason, a grade (0 where nothing could be used) and a flag, and crash nothing.
* Two honest learners must earn exactly what they earn on their own: their neighbours change nothing.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from labs.course import filled_notebook, nbgrader, notebook_path, write_submission

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).with_name("fixtures")
GRADING_COURSE = FIXTURES / "grading_course"
TAMPERED = sorted((FIXTURES / "tampered").glob("*.ipynb"))
LAB = "integrity"
MAX_SCORE = 6.0

RIGHT = {
    "square": "def square(x):\n    return x * x\n",
    "mean_of": "def mean_of(values):\n    return float(np.mean(values))\n",
    "scores": "def scores():\n    return [square(i) for i in range(4)]\n",
}
# square right (1), mean_of wrong (0 of 2), scores 2 of 4 right (1.5 of 3)
PARTIAL = {
    "mean_of": "def mean_of(values):\n    return float(np.median(values)) + 1\n",
    "scores": "def scores():\n    return [0, 1, 0, 0]\n",
}
HONEST = {"honest-full": MAX_SCORE, "honest-partial": 2.5}


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


# -- the bad-submission corpus: learner -> (how to write it, exact score, words of the reason) --------
def _full(release, source):
    notebook = filled_notebook(release, source, RIGHT)
    for cell in notebook.cells:
        if cell.get("id") == "explore-code":
            cell.source = "print(square(12), mean_of([1, 2]))\n"  # a learner's harmless exploration
    return notebook


def _write(course, student, name=f"{LAB}.ipynb", data: bytes | None = None):
    folder = course / "submitted" / student / LAB
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "timestamp.txt").write_text("2026-01-05 10:00:00.000000 UTC")
    if data is not None:
        (folder / name).write_bytes(data)
    return folder


def _json(notebook) -> bytes:
    return nbformat.writes(notebook).encode()


def bad_invalid_json(course, release, source):
    _write(course, "bad-invalid-json", data=_json(_full(release, source))[:3000])


def bad_nbformat3(course, release, source):
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": LAB},
          "worksheets": [{"cells": [{"cell_type": "code", "input": RIGHT["square"], "language": "python",
                                     "outputs": []}]}]}
    _write(course, "bad-nbformat3", data=json.dumps(v3).encode())


def bad_missing(course, release, source):
    _write(course, "bad-missing")  # the folder and its timestamp, no notebook


def bad_renamed(course, release, source):
    _write(course, "bad-renamed", name="other.ipynb", data=_json(_full(release, source)))


def bad_deleted_grade_cells(course, release, source):
    notebook = _full(release, source)
    notebook.cells = [c for c in notebook.cells if _grade_id(c) not in ("mean_of", "scores-test")]
    _write(course, "bad-deleted-grade-cells", data=_json(notebook))


def bad_duplicated_grade_cells(course, release, source):
    notebook = _full(release, source)
    cells = []
    for cell in notebook.cells:
        cells.append(cell)
        if _grade_id(cell) in ("square", "scores-test"):
            twin = nbformat.from_dict(json.loads(json.dumps(cell)))
            twin["id"] = cell["id"] + "-twin"
            if _grade_id(cell) == "square":
                twin.source = "def square(x):\n    return 0\n"  # the copy is not graded
            cells.append(twin)
    notebook.cells = cells
    _write(course, "bad-duplicated-grade-cells", data=_json(notebook))


def bad_modified_locked(course, release, source):
    notebook = _full(release, source)
    for cell in notebook.cells:
        if _grade_id(cell) == "setup":
            cell.source += "\nnp.seterr(all='ignore')\nSHOW_ANSWERS = True"
        if _grade_id(cell) == "intro":
            cell.source = "# My notes"
    _write(course, "bad-modified-locked", data=_json(notebook))


def bad_huge_output(course, release, source):
    notebook = _full(release, source)
    for cell in notebook.cells:
        if cell.get("id") == "explore-code":
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * (100 * 2**20))]
    _write(course, "bad-huge-output", data=_json(notebook))


def bad_binary_junk(course, release, source):
    _write(course, "bad-binary-junk", data=b"\x00\xff\xfe" + os.urandom(8192))


def bad_infinite_loop(course, release, source):
    _write(course, "bad-infinite-loop", data=_json(filled_notebook(release, source, {
        **RIGHT, "mean_of": "while True:\n    pass\n\n" + RIGHT["mean_of"]})))


def bad_memory_bomb(course, release, source):
    _write(course, "bad-memory-bomb", data=_json(filled_notebook(release, source, {
        **RIGHT, "scores": "hog = bytearray(10**11)\n\n" + RIGHT["scores"]})))


def bad_fork_bomb(course, release, source):
    _write(course, "bad-fork-bomb", data=_json(filled_notebook(release, source, {
        **RIGHT, "square": "import os\n\nwhile True:\n    os.fork()\n\n" + RIGHT["square"]})))


BAD = {
    # learner: (writer, exact score, words every reason list must contain)
    "bad-invalid-json": (bad_invalid_json, 0, ["ungradable", "not valid notebook JSON"]),
    "bad-nbformat3": (bad_nbformat3, 0, ["ungradable", "nbformat 3"]),
    "bad-missing": (bad_missing, 0, ["ungradable", "was not handed in"]),
    "bad-renamed": (bad_renamed, 0, ["other.ipynb is not part of integrity", "was not handed in"]),
    # square 1 + mean_of deleted 0 + scores 3 (its deleted test is graded from the release)
    "bad-deleted-grade-cells": (bad_deleted_grade_cells, 4, ["answer cell 'mean_of' is missing",
                                                             "test cell 'scores-test' was deleted"]),
    "bad-duplicated-grade-cells": (bad_duplicated_grade_cells, MAX_SCORE, ["answer cell 'square' appears more than once",
                                                                           "test cell 'scores-test' appears more than once"]),
    "bad-modified-locked": (bad_modified_locked, MAX_SCORE, ["locked cell 'setup' was modified",
                                                             "locked cell 'intro' was modified"]),
    "bad-huge-output": (bad_huge_output, MAX_SCORE, ["outputs were cleared"]),
    "bad-binary-junk": (bad_binary_junk, 0, ["ungradable", "not a text file"]),
    # the loop stops mean_of's cell before mean_of is defined: square 1 + scores 3
    "bad-infinite-loop": (bad_infinite_loop, 4, ["answer mean_of", "timed out"]),
    # the allocation fails before scores is defined: square 1 + mean_of 2
    "bad-memory-bomb": (bad_memory_bomb, 3, ["answer scores", "MemoryError"]),
    "bad-fork-bomb": (bad_fork_bomb, 0, ["tampering", "'fork'"]),
}


# -- the cohort ---------------------------------------------------------------------------------------
class Cohort:
    """What grading a cohort left: outcomes, the journal's reasons, the gradebook's score and flag."""

    def __init__(self, data: dict):
        self.course = Path(data["course"])
        self.outcomes = {s: SimpleNamespace(**o) for s, o in data["outcomes"].items()}
        self.journal = data["journal"]
        self.gradebook = {s: tuple(v) for s, v in data["gradebook"].items()}


def _grade_cohort(course: Path, echo_title: str, **grade_kwargs) -> dict:
    from labs.grading import Course, GradingOptions, grade
    from labs.grading.journal import Journal
    from labs.roster.grades import open_gradebook

    lines: list[str] = []
    outcomes = grade(course, LAB, options=GradingOptions(workers=2, cell_timeout=15), echo=lines.append)
    print(echo_title, "\n".join(lines), sep="\n")  # shown by pytest when a test fails
    info = Course.load(course)
    data = {"course": str(course), "journal": {}, "gradebook": {},
            "outcomes": {o.student: {"score": o.score, "max_score": o.max_score, "reasons": o.reasons,
                                     "skipped": o.skipped} for o in outcomes}}
    data["journal"] = {student: reasons for (assignment, student), reasons in Journal(info.db_url).reasons().items()
                       if assignment == LAB}
    with open_gradebook(info.db_url, info.course_id) as gb:
        for student in data["outcomes"]:
            try:
                submission = gb.find_submission(LAB, student)
            except Exception:
                continue
            data["gradebook"][student] = [submission.score, submission.max_score,
                                          any(nb.flagged for nb in submission.notebooks)]
    return data


def _once_per_session(tmp_path_factory, name: str, produce) -> dict:
    """``produce(folder)`` run once per test session, even when pytest-xdist's workers (make test
    runs two) each get some of this module's tests: the first worker grades, the other waits."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by the workers of one session
    result = root / f"{name}.json"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.is_file():
            result.write_text(json.dumps(produce(root / name)))
    return json.loads(result.read_text())


def _new_course(folder: Path) -> tuple[Path, nbformat.NotebookNode, nbformat.NotebookNode]:
    course = folder / "course"
    shutil.copytree(GRADING_COURSE, course)
    nbgrader(["generate_assignment", LAB, "--force"], course)
    release = nbformat.read(notebook_path(course, "release", LAB), as_version=4)
    source = nbformat.read(notebook_path(course, "source", LAB), as_version=4)
    return course, release, source


def _cohort(folder: Path) -> dict:
    course, release, source = _new_course(folder)
    write_submission(course, LAB, "honest-full", _full(release, source))
    write_submission(course, LAB, "honest-partial", filled_notebook(release, source, {**RIGHT, **PARTIAL}))
    for path in TAMPERED:
        _write(course, path.stem, data=path.read_bytes())
    for writer, _, _ in BAD.values():
        writer(course, release, source)
    return _grade_cohort(course, "the cohort:")


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> Cohort:
    return Cohort(_once_per_session(tmp_path_factory, "grading-cohort", _cohort))


def _tamper(path: Path) -> dict:
    return json.loads(path.read_text())["metadata"]["tamper"]


def test_the_tamper_corpus_is_real_notebooks_of_the_lab():
    assert len(TAMPERED) >= 15
    release_ids = {_grade_id(c) for c in nbformat.read(GRADING_COURSE / "source" / LAB / f"{LAB}.ipynb", 4).cells}
    for path in TAMPERED:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        tamper = notebook.metadata["tamper"]
        assert tamper["attack"] and 0 <= tamper["expect_max_points"] <= MAX_SCORE, path.name
        assert {"square", "mean_of", "scores"} <= {_grade_id(c) for c in notebook.cells} & release_ids, path.name


def test_every_learner_has_a_grade_and_no_grader_crashed(cohort):
    expected = {*HONEST, *BAD, *(p.stem for p in TAMPERED)}
    assert set(cohort.outcomes) == expected
    for student in expected:
        outcome = cohort.outcomes[student]
        assert outcome.skipped is None, (student, outcome.skipped)
        assert outcome.score is not None and outcome.max_score == MAX_SCORE, (student, outcome)
        score, max_score, _ = cohort.gradebook[student]
        assert (score, max_score) == (outcome.score, MAX_SCORE), student
        assert cohort.journal[student] == outcome.reasons, student
    assert not list(cohort.course.glob("submitted/*/*/*.py")), "the grader must not write into submissions"


@pytest.mark.parametrize("student", sorted(HONEST))
def test_honest_learners_earn_what_they_earn_alone(cohort, student):
    outcome = cohort.outcomes[student]
    assert outcome.score == HONEST[student], outcome
    assert outcome.reasons == []
    assert cohort.gradebook[student] == (HONEST[student], MAX_SCORE, False)


@pytest.mark.parametrize("path", TAMPERED, ids=[p.stem for p in TAMPERED])
def test_tampered_submission_earns_nothing_it_did_not_earn_and_is_flagged(cohort, path):
    tamper = _tamper(path)
    outcome = cohort.outcomes[path.stem]
    assert outcome.score <= tamper["expect_max_points"], (tamper["attack"], outcome)
    assert outcome.reasons, f"no reason recorded for: {tamper['attack']}"
    assert cohort.journal[path.stem] == outcome.reasons
    assert any(r.startswith(("tampering", "ungradable")) or "appears more than once" in r for r in outcome.reasons), \
        outcome.reasons
    assert cohort.gradebook[path.stem][2], "the gradebook submission must be flagged"


@pytest.mark.parametrize("student", sorted(BAD))
def test_bad_submission_ends_with_a_clear_reason(cohort, student):
    _, score, words = BAD[student]
    outcome = cohort.outcomes[student]
    text = "\n".join(outcome.reasons)
    for word in words:
        assert word in text, (student, outcome.reasons)
    assert outcome.score == score, (student, outcome)
    assert cohort.gradebook[student][2], "the gradebook submission must be flagged (the roster shows it)"


# -- defence in depth: the in-kernel guard alone, with the static policy switched off ------------------
GUARD_ALONE = ["rebind-check", "numpy-monkeypatch", "settrace", "kill-after-print"]


def _guard_alone(folder: Path) -> dict:
    from labs.grading import policy

    course, _, _ = _new_course(folder)
    for name in GUARD_ALONE:
        _write(course, name, data=(FIXTURES / "tampered" / f"{name}.ipynb").read_bytes())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(policy, "violations", lambda *args, **kwargs: [])
        return _grade_cohort(course, "the guard alone:")


@pytest.fixture(scope="module")
def guard_alone(tmp_path_factory) -> Cohort:
    """A few tampered notebooks graded as if their code had slipped past the policy."""
    return Cohort(_once_per_session(tmp_path_factory, "grading-guard-alone", _guard_alone))


@pytest.mark.parametrize("student", GUARD_ALONE)
def test_the_guard_alone_stops_code_that_got_past_the_policy(guard_alone, student):
    outcome = guard_alone.outcomes[student]
    assert outcome.score <= _tamper(FIXTURES / "tampered" / f"{student}.ipynb")["expect_max_points"], outcome
    assert not any(r.startswith("tampering: ") for r in outcome.reasons)  # no policy finding: the kernel's own
    assert any(r.startswith(f"{LAB}.ipynb: ") for r in outcome.reasons), outcome.reasons
    assert guard_alone.gradebook[student][2]
