"""``labs check``: a learner's offline self-check runs the visible tests and scores them as nbgrader would.

Its fast example, the sanitization lab, is scored by the grader (grader/scorers/sanitization.py): every
test cell hands its answers in, so ``labs check`` shows each cell's points as ``grader/N`` -- the
visible checks pass or fail here, the points are awarded only when the grader scores the handed-in
answers on the learner's data and on held-out inputs.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from labs import cli, selfcheck
from labs.course import filled_notebook, load_variants
from labs.manifest import load_manifest

REPO = Path(__file__).resolve().parents[1]
LAB = "sanitization"  # the fastest lab to run top to bottom (about 3 s of kernel time)
RELEASED = REPO / "release" / LAB / f"{LAB}.ipynb"
SOURCE = REPO / "source" / LAB / f"{LAB}.ipynb"


@pytest.fixture(autouse=True)
def self_study(monkeypatch):
    """Every kernel here is the `self-study` learner, whatever the calling shell sets."""
    monkeypatch.delenv("LABS_LEARNER", raising=False)
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)


def _lab_copy(folder: Path, notebook) -> Path:
    path = folder / LAB / f"{LAB}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(notebook, path)
    return path


def _filled(replacements: dict[str, str] | None = None):
    release = nbformat.read(RELEASED, as_version=4)
    return filled_notebook(release, nbformat.read(SOURCE, as_version=4), replacements=replacements)


def _check(path: Path, capsys, *extra: str) -> tuple[int, str, str]:
    code = cli.main(["check", str(path), *extra])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
def test_released_notebook_is_not_attempted_and_left_untouched(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no course directory above: `labs check` must not need one
    before, files = RELEASED.read_bytes(), sorted(RELEASED.parent.iterdir())
    code, out, err = _check(RELEASED, capsys)
    assert RELEASED.read_bytes() == before
    assert sorted(RELEASED.parent.iterdir()) == files, "nothing written next to the learner's notebook"
    assert code == 1, err
    manifest_cells = load_manifest().assignment(LAB).cells
    for cell in manifest_cells:
        line = next(line for line in out.splitlines() if f" {cell.grade_id} " in line)
        assert line.split()[:2] == ["NOT", "ATTEMPTED"], line
        # the grader awards these points (the cell hands its answers in), never the kernel
        assert f"grader/{cell.points:g}" in line and f"[{cell.tier}]" in line
    assert "Exercise 1.1 — Classify the columns" in out  # the exercise's heading, without "· easy · 10 min"
    assert "not written yet: replace `raise NotImplementedError()`" in out
    assert "learner: self-study" in out
    assert f"{len(manifest_cells)} visible tests: {len(manifest_cells)} not attempted." in out
    assert "Foundational" in out and "Applied Safety" in out and " 0 / 16" in out
    assert "progress estimate, not your grade" in out
    total = sum(cell.points for cell in manifest_cells)
    assert f"{total:g} points (marked grader/N) are awarded only by the grader" in out
    assert selfcheck.GRADER_SCORED_NOTE not in out  # nothing passed, so nothing awaits the grader's scoring


@pytest.mark.slow
def test_solution_passes_every_visible_test(tmp_path, capsys):
    path = _lab_copy(tmp_path, _filled())
    before = path.read_bytes()
    code, out, err = _check(path, capsys)
    assert path.read_bytes() == before
    assert code == 0, out + err
    assignment = load_manifest().assignment(LAB)
    assert out.count("  PASSED  ") == len(assignment.cells)
    for cell in assignment.cells:
        line = next(line for line in out.splitlines() if f" {cell.grade_id} " in line)
        assert line.split()[0] == "PASSED" and f"grader/{cell.points:g}" in line, line
    # visible checks pass, and the note says every point is still the grader's to award
    assert out.count(selfcheck.GRADER_SCORED_NOTE) == len(assignment.cells)
    for tier in assignment.tiers:
        points = sum(cell.points for cell in assignment.cells if cell.tier == tier)
        line = next(line for line in out.splitlines() if line.startswith(f"  {selfcheck.TIERS[tier]} "))
        assert f" 0 / {points:g} " in line and line.endswith("all visible tests pass"), line
    assert "PASSED: " not in out.replace("  PASSED  ", "")  # the checks' messages, without their prefix
    assert "k_anonymity measures the combination of quasi-identifiers" in out
    assert "[handed in to the grader" not in out  # the answers themselves are not echoed


@pytest.mark.slow
def test_plausible_wrong_variant_fails_its_exercise_with_the_message(tmp_path, capsys):
    variant = next(v for v in load_variants(REPO, LAB) if v.name == "redact-left-to-right")
    path = _lab_copy(tmp_path, _filled(variant.cells))
    code, out, err = _check(path, capsys, "--json")
    assert code == 1, err
    report = json.loads(out)
    statuses = {cell["grade_id"]: cell for cell in report["cells"]}
    failed = statuses.pop("test-redact")
    assert failed["status"] == "failed" and failed["earned"] == 0 and failed["tier"] == "F"
    assert failed["message"].startswith("CheckFailed: expected 'Mail [EMAIL], call [PHONE] or use card [CARD].'")
    assert "Traceback" not in failed["message"] and "\x1b[" not in failed["message"]
    # the pipeline calls the same redact, and its worked example shows the same bug
    pipeline = statuses.pop("test-redact-pipeline")
    assert pipeline["status"] == "failed" and "on the exercise's example" in pipeline["message"]
    assert {cell["status"] for cell in statuses.values()} == {"passed"}
    assert all(cell["grader_scored"] and cell["earned"] == 0 for cell in report["cells"])
    assert report["all_passed"] is False and "not your grade" in report["note"]
    foundational = next(t for t in report["tiers"] if t["tier"] == "F")
    assert foundational["earned"] == 0 and foundational["passed"] == foundational["cells"] - 2


def _cell(source: str, grade_id: str, *, points: float | None = None, solution: bool = False):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": points is not None, "grade_id": grade_id, "locked": not solution,
                                 "schema_version": 3, "solution": solution, **({"points": points} if points else {})}
    return cell


def test_stderr_partial_failed_and_unanswered_cells_score_as_nbgrader_would(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("## Part 1\n\n### Exercise A — A tiny one  ·  *easy · 1 min*"),
        _cell("import sys\nfrom labs.checks import check, passed", "setup"),
        _cell("def answer():\n    # YOUR CODE HERE\n    raise NotImplementedError()", "answer", solution=True),
        _cell("check(answer() == 42, 'answer() must return 42')", "test-unanswered", points=1),
        nbformat.v4.new_markdown_cell("### Exercise B — Noisy but right"),
        _cell("print('checking')\nsys.stderr.write('UserWarning: something noisy\\nsecond line\\n')\n"
              "passed('right answer')", "test-stderr", points=2),
        _cell("print('overall 0.62 (full marks at 0.95)')\n2.5", "test-partial", points=4),
        _cell("check(1 == 2, 'one is not two: look at your sum')", "test-failed", points=1),
        _cell("passed('all good')", "test-passed", points=1),
    ])
    path = tmp_path / "tiny" / "tiny.ipynb"
    path.parent.mkdir()
    nbformat.write(notebook, path)
    before = path.read_bytes()

    report = selfcheck.check_notebook(path, timeout=60)

    assert path.read_bytes() == before
    cells = {cell.grade_id: cell for cell in report.cells}
    assert {g: (c.status, c.earned) for g, c in cells.items()} == {
        "test-unanswered": ("not attempted", 0), "test-stderr": ("stderr", 0), "test-partial": ("partial", 2.5),
        "test-failed": ("failed", 0), "test-passed": ("passed", 1)}
    assert "'answer'" in cells["test-unanswered"].message
    assert "writes to stderr" in cells["test-stderr"].message
    assert "UserWarning: something noisy" in cells["test-stderr"].message
    assert "second line" not in cells["test-stderr"].message
    assert cells["test-failed"].message == "CheckFailed: one is not two: look at your sum"
    assert cells["test-partial"].message == "overall 0.62 (full marks at 0.95)"
    assert cells["test-unanswered"].title == "Exercise A — A tiny one"
    assert cells["test-partial"].title == "Exercise B — Noisy but right"
    assert not report.all_passed and report.assignment is None and report.notes  # not a lab of the manifest
    assert [(t.tier, t.earned, t.possible) for t in report.tiers] == [("?", 3.5, 9)]

    text = selfcheck.format_report(report)
    assert "SCORES 0" in text and "2.5/4" in text and "FAILED" in text and "NOT ATTEMPTED" in text
    assert "Traceback" not in text
    assert json.loads(selfcheck.report_json(report))["cells"][2]["earned"] == 2.5


@pytest.mark.parametrize("content, expected", [
    (None, "no such file"),
    ('{"cells": [', "is not valid JSON (Expecting value at line 2, column 1)"),
    ('{"rows": []}', "not a Jupyter notebook"),
])
def test_usage_errors_exit_2_with_a_one_line_message(tmp_path, monkeypatch, capsys, content, expected):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "lab.ipynb"
    if content is not None:
        path.write_text(content + "\n", encoding="utf-8")
    code, out, err = _check(path, capsys)
    assert code == 2 and not out
    assert err.startswith("labs check: ") and expected in err and err.count("\n") == 1, err


def test_a_notebook_without_test_cells_is_a_usage_error(tmp_path, capsys):
    path = tmp_path / "notes.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), path)
    code, out, err = _check(path, capsys)
    assert code == 2 and "no graded test cells" in err


@pytest.mark.slow
def test_works_from_release_after_pip_install_of_the_package_alone(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, project / name)
    shutil.copytree(REPO / "labs", project / "labs", ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    built = subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
                            "-w", str(tmp_path / "dist"), str(project)], capture_output=True, text=True)
    assert built.returncode == 0, built.stdout + built.stderr
    wheel, = (tmp_path / "dist").glob("ai_safety_labs-*.whl")
    target = tmp_path / "site"
    installed = subprocess.run([*pip, "install", "--no-deps", "--no-index", "-q", "--target", str(target), str(wheel)],
                               capture_output=True, text=True)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    learner = tmp_path / "laptop"  # no repository, no course directory: a released notebook only
    notebook = learner / LAB / f"{LAB}.ipynb"
    notebook.parent.mkdir(parents=True)
    shutil.copy2(RELEASED, notebook)
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run([sys.executable, "-c", "import labs; print(labs.__file__)"], cwd=learner, env=env,
                           capture_output=True, text=True)
    assert Path(where.stdout.strip()).is_relative_to(target), where.stdout + where.stderr

    result = subprocess.run([sys.executable, "-m", "labs.cli", "check", f"{LAB}/{LAB}.ipynb"], cwd=learner, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "lab: sanitization (curriculum" in result.stdout  # the manifest came with the package
    assert "NOT ATTEMPTED" in result.stdout and "PASSED " not in result.stdout
    assert "Applied Safety" in result.stdout and "not your grade" in result.stdout
    assert notebook.read_bytes() == RELEASED.read_bytes()


def test_the_self_check_names_what_the_grading_policy_would_refuse(tmp_path):
    from labs.selfcheck import policy_violations

    released = REPO / "release" / "sanitization" / "sanitization.ipynb"
    assert policy_violations(released, nbformat.read(released, as_version=4)) == []
    notebook = nbformat.read(released, as_version=4)
    answer = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution"))
    answer.source = "import subprocess\n" + answer.source
    path = tmp_path / "sanitization.ipynb"
    nbformat.write(notebook, path)
    assert policy_violations(path, notebook) == [
        f"answer {answer.metadata.nbgrader.grade_id}, line 1: imports 'subprocess'; the labs need only the "
        "course's libraries and harmless standard modules"]
