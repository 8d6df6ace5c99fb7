"""The grading harness itself, on a toy course: it passes a sound lab and catches unsound ones."""
import datetime as dt

import nbformat
from nbformat.v4 import new_code_cell

from labs.build import build
from labs.manifest import load_manifest, mismatches
from labs.verify import verify

TOY_NOTEBOOK = ("source", "toy", "toy.ipynb")


def _add_test_cell(course, grade_id, source, points=1):
    path = course.joinpath(*TOY_NOTEBOOK)
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(new_code_cell(source, metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "points": points, "grade_id": grade_id,
        "schema_version": 3}}))
    nbformat.write(notebook, path)
    with (course / "curriculum.toml").open("a") as manifest:
        manifest.write(f'\n[[assignment.cell]]\ngrade_id = "{grade_id}"\ntier = "F"\npoints = {points}\n')


def test_verify_passes_a_sound_lab(toy_course, toy_manifest):
    lines = []
    assert verify(toy_course, manifest=toy_manifest, echo=lines.append)
    table = "\n".join(lines)
    assert "learner-ada" in table and "learner-grace" in table and "wrong-square-doubles" in table
    assert "FAIL" not in table


def test_verify_catches_tests_that_pass_without_an_answer_or_fail_a_right_one(toy_course):
    _add_test_cell(toy_course, "leaky-test", "assert True")
    _add_test_cell(toy_course, "noisy-test",
                   "import sys\nassert square(2) == 4\nsys.stderr.write('DeprecationWarning: old API\\n')")
    lines = []
    assert not verify(toy_course, manifest=load_manifest(toy_course / "curriculum.toml"), echo=lines.append)
    report = "\n".join(lines)
    assert "learner-blank: leaky-test: earned 1 with no answer written" in report
    assert "learner-ada: noisy-test: 0/1 -- stderr: DeprecationWarning: old API" in report


def test_verify_catches_a_test_cell_whose_value_nbgrader_reads_as_full_credit(toy_course):
    # numpy's repr of a float is "np.float64(0.5)": not a number to nbgrader, so full credit.
    _add_test_cell(toy_course, "numpy-score-test", "import numpy as np\nnp.float64(0.5) * square(1)")
    lines = []
    assert not verify(toy_course, manifest=load_manifest(toy_course / "curriculum.toml"), echo=lines.append)
    assert "numpy-score-test: ends with the value 'np.float64(0.5)', which nbgrader grades as full credit" \
        in "\n".join(lines)


def test_verify_catches_a_wrong_variant_the_tests_do_not_notice(toy_course, toy_manifest):
    with (toy_course / "source" / "toy" / "variants.toml").open("a") as variants:
        variants.write('\n[[variant]]\nname = "squares-by-power"\nmistake = "none: a different right answer"\n'
                       '[variant.cells]\n"square" = """\ndef square(x):\n    return x ** 2\n"""\n')
    lines = []
    assert not verify(toy_course, manifest=toy_manifest, echo=lines.append)
    assert "wrong-squares-by-power: scored 3 of 3; a wrong variant must score strictly between" in "\n".join(lines)


def test_manifest_disagreements_are_all_reported(toy_course):
    path = toy_course / "curriculum.toml"
    text = path.read_text()
    text = text.replace('grade_id = "square-test"\ntier = "F"\npoints = 1',
                        'grade_id = "square-test"\ntier = "F"\npoints = 3')
    text += '\n[[assignment.cell]]\ngrade_id = "ghost-test"\ntier = "F"\npoints = 1\n'
    path.write_text(text)
    (toy_course / "source" / "extra").mkdir()
    notebook_file = toy_course.joinpath(*TOY_NOTEBOOK)
    notebook = nbformat.read(notebook_file, as_version=4)
    notebook.cells[-1].metadata.nbgrader.grade_id = "renamed-test"
    nbformat.write(notebook, notebook_file)

    problems = "\n".join(mismatches(load_manifest(path), toy_course))
    assert "source/extra/ is not in the manifest" in problems
    assert "'square-test' is worth 1 points in the notebook but 3 in the manifest" in problems
    assert "'ghost-test' is in the manifest but not the notebook" in problems
    assert "'renamed-test' is in the notebook but not the manifest" in problems
    assert "'offset-test' is in the manifest but not the notebook" in problems


def test_sound_manifest_has_no_disagreements(toy_course, toy_manifest):
    assert mismatches(toy_manifest, toy_course) == []


def test_build_writes_release_then_detects_stale_release(toy_course, toy_manifest):
    first = build(toy_course, check=True, manifest=toy_manifest)
    assert first.stale == ["toy"]  # never built
    assert build(toy_course, manifest=toy_manifest).written == ["toy"]
    released = nbformat.read(toy_course / "release" / "toy" / "toy.ipynb", as_version=4)
    sources = "\n".join(cell.source for cell in released.cells)
    assert "raise NotImplementedError()" in sources and "return x * x" not in sources
    assert "HIDDEN TESTS" not in sources and "offset([1, 2])" not in sources
    assert not (toy_course / "release" / "toy" / "variants.toml").exists()
    assert build(toy_course, check=True, manifest=toy_manifest).stale == []

    notebook_file = toy_course.joinpath(*TOY_NOTEBOOK)
    notebook_file.write_text(notebook_file.read_text().replace("Toy lab", "Toy lab, edited"))
    assert build(toy_course, check=True, manifest=toy_manifest).stale == ["toy"]


def test_build_reports_content_not_reviewed_for_a_quarter(toy_course, toy_manifest):
    # The toy lab was last reviewed on 2020-01-01.
    assert [a.id for a in build(toy_course, manifest=toy_manifest, today=dt.date(2020, 3, 1)).review_overdue] == []
    overdue = build(toy_course, manifest=toy_manifest, today=dt.date(2020, 4, 15)).review_overdue
    assert [a.id for a in overdue] == ["toy"]
