"""The real course: manifest, notebooks, release/ and the two-sided grading of every lab."""
import subprocess
import sys

import nbformat
import pytest

from labs.course import load_variants
from labs.manifest import load_manifest, mismatches
from labs.roster.feedback import CELL_ID as FEEDBACK_CELL_ID
from tests.conftest import REPO

MANIFEST = load_manifest()


def labs_command(*args):
    return subprocess.run([sys.executable, "-m", "labs.cli", *args], cwd=REPO, capture_output=True, text=True)


def test_manifest_and_notebooks_agree():
    assert mismatches(MANIFEST, REPO) == []


def test_release_is_fresh():
    result = labs_command("build", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_datasets_command_check_passes():
    result = labs_command("datasets", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("assignment", MANIFEST.assignments, ids=lambda a: a.id)
def test_lab_meets_the_exercise_rules(assignment):
    """The course design's rules for a lab: enough graded cells, hidden tests, a plot, wrong variants."""
    notebook = nbformat.read(REPO / "source" / assignment.id / f"{assignment.id}.ipynb", as_version=4)
    sources = [cell.source for cell in notebook.cells]
    assert len(assignment.cells) >= 8
    assert sum("### BEGIN HIDDEN TESTS" in s for s in sources) >= 2
    assert any("plt." in s or "matplotlib" in s for s in sources)
    assert any("<details>" in s for s in sources), "hints belong in <details>"
    assert load_variants(REPO, assignment.id), "ship plausible-wrong variants in variants.toml"
    assert 45 <= assignment.minutes <= 90
    released = nbformat.read(REPO / "release" / assignment.id / f"{assignment.id}.ipynb", as_version=4)
    for version in (notebook, released):
        assert version.cells[-1].id == FEEDBACK_CELL_ID, "end with labs.roster.feedback_cell() (ungraded)"
        assert "nbgrader" not in version.cells[-1].metadata


@pytest.mark.slow
@pytest.mark.parametrize("assignment", MANIFEST.ids)
def test_labs_verify_with_no_network(assignment):
    """Solution full marks for two learners, release zero everywhere, wrong variants in between, and
    every cheating submission of tests/cheating/<lab>.toml (built only from the release and the
    learner's package) exactly what the release earns -- all of it inside a network namespace with
    only loopback, as a laptop on a plane."""
    cheats = REPO / "tests" / "cheating" / f"{assignment}.toml"
    with_cheats = f" --cheats {cheats}" if cheats.exists() else ""
    command = f"ip link set lo up && exec {sys.executable} -m labs.cli verify {assignment}{with_cheats}"
    result = subprocess.run(["unshare", "-n", "sh", "-c", command], cwd=REPO, capture_output=True, text=True)
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr


def test_unknown_assignment_is_a_clear_error():
    result = labs_command("verify", "no-such-lab")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("labs verify: no assignment 'no-such-lab' in the manifest (known: ")


def test_verify_grades_the_solution_as_new_learners_on_request():
    from labs.verify import SOLUTION_LEARNERS, solution_learners

    assert solution_learners() == list(SOLUTION_LEARNERS)
    sweep, again = solution_learners(12), solution_learners(12)
    assert sweep[:2] == list(SOLUTION_LEARNERS) and len(set(sweep)) == 12
    assert not set(sweep[2:]) & set(again[2:]), "each sweep draws ids no run has used"
    result = labs_command("verify", "foundations", "--learners", "1")
    assert result.returncode == 2 and "at least 2 learners" in result.stderr


def test_outside_a_course_directory_is_a_clear_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "labs.cli", "build"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 2
    assert "no course directory at or above" in result.stderr and "--course-dir" in result.stderr
