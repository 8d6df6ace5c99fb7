"""The hub workflow end to end, through nbgrader's real exchange in a scratch exchange root.

The instructor releases the toy lab; two learners, each with their own home (their nbgrader
cache) and working directory, fetch it, work it (one solves it, one gets the hidden test wrong)
and submit under their own id; the instructor collects, grades with ``labs grade``, generates and
releases feedback; each learner fetches theirs. Their feedback shows every test's score and a
failed hidden test's message, and none of the hidden tests' code (labs/grading/feedback.py),
which nbgrader's own feedback would show (nbgrader #917).
"""
from __future__ import annotations

import concurrent.futures
import functools
import html
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from labs.course import filled_notebook
from labs.grading import GradingOptions, grade
from labs.grading.feedback import PLACEHOLDER, REDACTED, HideHiddenTests

LAB = "toy"
COURSE_ID = "toy"  # the toy course's CourseDirectory.course_id
SOLVER, PARTIAL = "learner-ada", "learner-bob"
# A hidden test as the labs write them: a property, with a message that says what is wrong.
HIDDEN_MESSAGE = "offset() must add SEED % 7 to every value, not only to 0"
HIDDEN_TEST = (
    "from labs.checks import check\n"
    "for values in ([1, 2], [-5, 10, 40]):\n"
    "    check(offset(values) == [v + SEED % 7 for v in values],\n"
    f"          {HIDDEN_MESSAGE!r})\n"
)
# Passes the visible test (offset([0])), fails the hidden one.
PARTIAL_OFFSET = "def offset(values):\n    return [SEED % 7 for v in values]\n"
HIDDEN_REGION = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.DOTALL)


def _run(args: list[str], cwd: Path, env: dict | None = None) -> str:
    """The real nbgrader of this environment; fail the test with its output when it fails."""
    env = dict(env or os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def _concurrently(*jobs) -> None:
    """Run the jobs each in its own thread, as learners work at the same time; re-raise failures."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result()


def _learner_env(home: Path, learner: str) -> dict:
    """A learner's session: their own HOME (so their own nbgrader cache), no instructor Jupyter paths."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "LABS_"))}
    env.update(HOME=str(home), JUPYTERHUB_USER=learner)
    return env


def _text(page: str) -> str:
    """What a reader of the HTML sees: tags removed (code is highlighted token by token), entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _fetches(page: str) -> list[str]:
    """What the HTML page would load from the network when opened: scripts, style sheets, imports."""
    tags = re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", page, re.IGNORECASE)
    urls = [url for tag in tags for url in re.findall(r"""(?:src|href)\s*=\s*["']?(https?:[^"'\s>]+|//[^"'\s>]+)""", tag)]
    return urls + re.findall(r"@import\s+(?:url\()?[\"']?(https?:[^\"')\s]+)", page)


def _hidden_lines(source_nb) -> list[str]:
    lines = []
    for cell in source_nb.cells:
        for region in HIDDEN_REGION.findall(cell.source):
            lines += [line.strip() for line in region.splitlines() if line.strip()]
    return lines


def _with_hidden_test(course: Path) -> nbformat.NotebookNode:
    """The toy lab with its hidden test carrying a learner-facing message, as the labs' do."""
    path = course / "source" / LAB / f"{LAB}.ipynb"
    source = nbformat.read(path, as_version=4)
    cell = next(c for c in source.cells if "### BEGIN HIDDEN TESTS" in c.source)
    cell.source = HIDDEN_REGION.sub(lambda m: f"### BEGIN HIDDEN TESTS\n{HIDDEN_TEST}### END HIDDEN TESTS",
                                    cell.source)
    nbformat.write(source, path)
    return source


@pytest.mark.slow
def test_release_fetch_submit_collect_grade_feedback_without_hidden_tests(toy_course, tmp_path):
    course = toy_course
    source = _with_hidden_test(course)
    hidden = _hidden_lines(source)
    assert len(hidden) >= 3 and "check(offset(values) == [v + SEED % 7 for v in values]," in hidden

    exchange = tmp_path / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)  # nbgrader: the exchange root is writable to everyone
    on_exchange = [f"--Exchange.root={exchange}", "--log-level=INFO"]
    learner_course = ["--course", COURSE_ID, *on_exchange]

    # -- instructor: generate and release -------------------------------------------------------
    _run(["generate_assignment", LAB, *on_exchange], course)
    _run(["release_assignment", LAB, *on_exchange], course)
    assert (exchange / COURSE_ID / "outbound" / LAB / f"{LAB}.ipynb").is_file()

    # -- learners, at the same time: fetch, work, submit under their own id -----------------------
    work = {SOLVER: {}, PARTIAL: {"offset": PARTIAL_OFFSET}}
    homes = {learner: tmp_path / "home" / learner for learner in work}

    def fetch_work_submit(learner: str) -> None:
        home = homes[learner]
        home.mkdir(parents=True)
        env = _learner_env(home, learner)
        _run(["fetch_assignment", LAB, *learner_course], home, env)
        fetched = home / LAB / f"{LAB}.ipynb"
        released = nbformat.read(fetched, as_version=4)
        assert not any(line in cell.source for cell in released.cells for line in hidden)
        nbformat.write(filled_notebook(released, source, work[learner]), fetched)
        _run(["submit", LAB, *learner_course, "--student", learner], home, env)
        assert list((home / ".local/share/jupyter/nbgrader_cache" / COURSE_ID).glob(f"{learner}+{LAB}+*"))

    _concurrently(*(functools.partial(fetch_work_submit, learner) for learner in work))
    inbound = sorted(p.name.split("+")[0] for p in (exchange / COURSE_ID / "inbound").iterdir())
    assert inbound == [SOLVER, PARTIAL]

    # -- instructor: collect, grade, feedback, release ------------------------------------------
    # every learner here is one OS user; on the hub each owns their submission
    _run(["collect", LAB, *on_exchange, "--ExchangeCollect.check_owner=False"], course)
    assert sorted(p.name for p in (course / "submitted").iterdir()) == [SOLVER, PARTIAL]
    outcomes = {o.student: o for o in grade(course, LAB, options=GradingOptions(workers=2), echo=lambda line: None)}
    assert (outcomes[SOLVER].score, outcomes[SOLVER].max_score) == (3, 3), outcomes[SOLVER]
    assert (outcomes[PARTIAL].score, outcomes[PARTIAL].max_score) == (1, 3), outcomes[PARTIAL]
    assert not outcomes[SOLVER].reasons and not outcomes[PARTIAL].reasons

    for learner in work:
        # nbgrader names each learner's released feedback after the secret `nbgrader submit` wrote
        # (release_feedback reads it from feedback/, generate_feedback copies it from autograded/)
        assert (course / "autograded" / learner / LAB / "submission_secret.txt").is_file(), \
            "labs grade must carry submission_secret.txt into autograded/, as nbgrader autograde does"
    _run(["generate_feedback", LAB, *on_exchange], course)
    _run(["release_feedback", LAB, *on_exchange], course)

    # -- learners: fetch feedback; meanwhile nbgrader's own feedback, for the control below --------
    plain = "feedback-nbgrader"
    feedback = {}

    def fetch_feedback(learner: str) -> None:
        home = homes[learner]
        _run(["fetch_feedback", LAB, *learner_course, "--student", learner], home, _learner_env(home, learner))
        pages = list((home / LAB / "feedback").glob(f"*/{LAB}.html"))
        assert len(pages) == 1, pages
        feedback[learner] = pages[0].read_text(encoding="utf-8")

    def nbgrader_feedback() -> None:
        _run(["generate_feedback", LAB, "--student", PARTIAL, f"--CourseDirectory.feedback_directory={plain}",
              "--GenerateFeedback.preprocessors=['nbgrader.preprocessors.GetGrades',"
              "'nbconvert.preprocessors.CSSHTMLHeaderPreprocessor']", "--HTMLExporter.template_name=feedback"], course)

    _concurrently(nbgrader_feedback, *(functools.partial(fetch_feedback, learner) for learner in work))

    for learner, page in feedback.items():
        text = _text(page)
        for line in hidden:
            assert line not in text and line not in page, f"{learner}'s feedback shows hidden test code: {line}"
        assert PLACEHOLDER in text
        assert _fetches(page) == [], f"{learner}'s feedback page loads from the network"
        # the visible test is shown as it ran
        assert "assert offset([0]) == [SEED % 7]" in text
    solver, partial = _text(feedback[SOLVER]), _text(feedback[PARTIAL])
    assert "(Score: 3.0 / 3.0)" in solver and "(Score: 1.0 / 3.0)" in partial
    # each exercise's result: the table of contents and each test cell's heading
    assert re.search(r"Test cell \(Score: 1\.0 / 1\.0\).*Test cell \(Score: 2\.0 / 2\.0\)", solver, re.DOTALL)
    assert re.search(r"Test cell \(Score: 1\.0 / 1\.0\).*Test cell \(Score: 0\.0 / 2\.0\)", partial, re.DOTALL)
    assert re.search(r"offset-test\s*Score: 0\.0 / 2\.0", partial)
    # the failed hidden test's message, without the traceback that quotes its code
    assert f"CheckFailed: {HIDDEN_MESSAGE}" in partial
    assert HIDDEN_MESSAGE not in solver
    assert "most recent call last" not in partial and "Cell In[" not in partial

    # -- the control: nbgrader's own feedback does show the hidden tests (nbgrader #917) ----------
    plain_page = (course / plain / PARTIAL / LAB / f"{LAB}.html").read_text(encoding="utf-8")
    unhidden = _text(plain_page)
    assert all(line in unhidden for line in hidden)
    assert PLACEHOLDER not in unhidden
    assert "most recent call last" in unhidden and "Cell In[" in unhidden  # the traceback quotes the cell
    assert any("cdnjs" in url for url in _fetches(plain_page))  # nbgrader's own page loads MathJax


def test_hidden_code_leaves_no_trace_in_sources_outputs_or_metadata():
    """The cases the toy lab does not reach: a helper defined by hidden tests failing in a later
    cell's traceback, a warning quoting its line on stderr, metadata, an indented region."""
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    helper = "def _held_out_cases(seed):  # hidden helper"
    secret = "return [seed * 31 % 97, seed * 17 % 89]"
    test = new_code_cell(
        "assert f(1) == 2\nif True:\n    ### BEGIN HIDDEN TESTS\n    " + helper + "\n        " + secret
        + "\n    ### END HIDDEN TESTS\nprint('done')",
        metadata={"nbgrader": {"grade": True, "solution": False, "grade_id": "t", "points": 1}},
        outputs=[new_output("error", ename="CheckFailed", evalue="f is wrong on held-out data",
                            traceback=["\x1b[0;31mCheckFailed\x1b[0m Traceback", f"----> 5 {secret}", "CheckFailed: f is wrong"])])
    later = new_code_cell(
        "_held_out_cases(3)",
        outputs=[new_output("stream", name="stderr", text=f"<ipython>:5: UserWarning: odd\n  {secret}\nmore\n"),
                 new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                            traceback=["Cell In[7], line 5, in _held_out_cases(seed)", f"\x1b[0;32m----> 5\x1b[0m {secret}"])],
        metadata={"labs_grading": {"original_source": f"{helper}\n{secret}"}})
    nb = new_notebook(cells=[test, later], metadata={"widgets": {"state": f"x {secret} y"}})

    nb, _ = HideHiddenTests().preprocess(nb, {})

    rendered = nbformat.writes(nb)
    assert helper not in rendered and secret not in rendered
    assert nb.cells[0].source == f"assert f(1) == 2\nif True:\n    {PLACEHOLDER}\nprint('done')"
    assert nb.cells[0].outputs[0].traceback == ["CheckFailed: f is wrong on held-out data"]
    assert nb.cells[1].outputs[0].text == f"<ipython>:5: UserWarning: odd\n{REDACTED}\nmore\n"
    assert nb.cells[1].outputs[1].traceback[0] == "Cell In[7], line 5, in _held_out_cases(seed)"
    assert nb.cells[1].outputs[1].traceback[1] == REDACTED
    assert nb.cells[1].source == "_held_out_cases(3)"  # learners' own code is theirs to see
