"""The grader-side half of grading, in process: answers parsed as untrusted data, the course
secret, and ScoreCollected turning handed-in answers into the points nbgrader records."""
import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader.utils import determine_grade
from traitlets.config import Config

from grader import preprocessors
from grader.preprocessors import ScoreCollected, collected_answers, configure_scoring, graded_outputs
from grader.scoring import AnswerError, Answers, Context, LabScorer, Score, degenerate
from grader.secret import SECRET_FILE_VARIABLE, SecretError, course_secret, keyed_seed
from labs.answers import ANSWER_MIME, _plain

LAB = "lab-under-test"


def answer(name, value):
    return new_output("display_data", data={ANSWER_MIME: {"name": name, "value": value}, "text/plain": "x"})


def graded_cell(grade_id, outputs, points=4):
    cell = new_code_cell("hand_in('held-out', f(held_out('items')))", outputs=outputs)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": grade_id,
                                 "points": points}
    return cell


# -- answers are data ------------------------------------------------------------------------

def test_answers_are_read_from_display_outputs_only():
    cell = graded_cell("t", [answer("own", [1, 2]),
                           new_output("execute_result", data={"text/plain": "4.0"}, execution_count=1),
                           new_output("stream", name="stdout", text="PASSED: everything"),
                           new_output("display_data", data={"text/plain": "not an answer"})])
    answers, problems = collected_answers(cell)
    assert answers.values == {"own": [1, 2]} and problems == []


def test_malformed_oversized_and_duplicated_answers_do_not_count():
    cell = graded_cell("t", [
        new_output("display_data", data={ANSWER_MIME: ["no", "name"]}),
        new_output("display_data", data={ANSWER_MIME: {"name": "x" * 500, "value": 1}}),
        answer("big", "y" * 200),
        answer("twice", [1]), answer("twice", [2]),
        new_output("display_data", data={ANSWER_MIME: json.dumps({"name": "as-text", "value": 3})}),
    ])
    answers, problems = collected_answers(cell, max_bytes=100)
    assert answers.values == {"as-text": 3}
    assert len(problems) == 4 and any("handed in twice" in p for p in problems)


def test_answer_accessors_check_shape_and_type():
    answers = Answers({"labels": ["a", "b"], "flags": [True, 1], "n": [1, 2.5]})
    assert answers.strings("labels", length=2) == ["a", "b"]
    with pytest.raises(AnswerError, match="2 items; 3 were expected"):
        answers.strings("labels", length=3)
    with pytest.raises(AnswerError, match="expected bool"):
        answers.booleans("flags")
    with pytest.raises(AnswerError, match="expected int or float"):
        Answers({"n": [True]}).numbers("n")
    assert answers.numbers("n") == [1.0, 2.5]
    with pytest.raises(AnswerError, match="no answer 'missing' reached the grader"):
        answers.get("missing")


def test_degenerate_answers_are_named():
    assert degenerate([]) == "the answer is empty"
    assert "the same" in degenerate(["none"] * 5)
    assert degenerate(["a", "b"]) is None


def test_kernel_side_answers_become_plain_json():
    assert _plain(np.array([1, 2]), "x") == [1, 2]
    assert _plain({"k": np.float64(0.5), 3: {2, 1}}, "x") == {"k": 0.5, "3": [1, 2]}
    assert _plain(float("nan"), "x") is None
    with pytest.raises(TypeError, match="hand in lists, dicts"):
        _plain(object(), "x")


# -- the course secret -----------------------------------------------------------------------

def test_the_course_secret_is_created_once_private_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv(SECRET_FILE_VARIABLE, raising=False)
    first = course_secret(tmp_path)
    path = tmp_path / ".secrets" / "course-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(first) == 32
    assert course_secret(tmp_path) == first
    assert keyed_seed(first, "ada", "data") != keyed_seed(first, "grace", "data")


def test_a_lost_secret_is_not_silently_replaced_once_work_was_graded(tmp_path, monkeypatch):
    monkeypatch.delenv(SECRET_FILE_VARIABLE, raising=False)
    with pytest.raises(SecretError, match="restore it from the backup"):
        course_secret(tmp_path, may_create=False)
    assert not (tmp_path / ".secrets" / "course-secret").exists()


def test_the_gradebook_tells_whether_points_were_earned_under_a_secret(tmp_path, monkeypatch):
    import sys
    from pathlib import Path

    from nbgrader.api import Gradebook

    from grader.preprocessors import _graded_before

    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:{os.environ['PATH']}")  # nbgrader runs alembic
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(url, "course") as gradebook:
        for lab in ("foundations", "a-lab-scored-in-the-kernel"):
            gradebook.add_assignment(lab)
            gradebook.add_notebook(lab, lab)
            gradebook.add_grade_cell("test-1", lab, lab, max_score=2, cell_type="code")
        gradebook.add_student("ada")
        gradebook.add_submission("a-lab-scored-in-the-kernel", "ada")
        gradebook.find_grade("test-1", "a-lab-scored-in-the-kernel", "a-lab-scored-in-the-kernel", "ada").auto_score = 2
        gradebook.add_submission("foundations", "ada")
        gradebook.db.commit()
    assert not _graded_before(url, "course")  # nothing earned yet on a grader-scored lab
    with Gradebook(url, "course") as gradebook:
        gradebook.find_grade("test-1", "foundations", "foundations", "ada").auto_score = 1
        gradebook.db.commit()
    assert _graded_before(url, "course")


def test_a_damaged_secret_is_an_error_that_says_what_to_do(tmp_path, monkeypatch):
    elsewhere = tmp_path / "mounted" / "secret"
    monkeypatch.setenv(SECRET_FILE_VARIABLE, str(elsewhere))
    elsewhere.parent.mkdir()
    elsewhere.write_text("not hex\n")
    with pytest.raises(SecretError, match="restore it from the backup"):
        course_secret(tmp_path)


# -- ScoreCollected --------------------------------------------------------------------------

def toy_scorer():
    scorer = LabScorer(LAB, datasets=())

    @scorer.test("t-exact")
    def exact(answers, ctx):
        right = sum(a == b for a, b in zip(answers.strings("held-out", length=4), ["a", "b", "a", "b"]))
        return Score.proportional(right / 4, full_at=1.0, message=f"{right} of 4 right")

    return scorer


def course_config(root):
    config = Config()
    config.CourseDirectory.root = str(root)
    return config


@pytest.fixture
def score_notebook(monkeypatch, tmp_path):
    monkeypatch.setattr(preprocessors, "scorer_for", lambda lab: toy_scorer() if lab == LAB else None)
    monkeypatch.setattr(preprocessors, "course_secret", lambda root, **options: b"s" * 32)
    monkeypatch.setattr(preprocessors, "_graded_before", lambda db_url, course_id: False)

    def run(cells):
        nb = new_notebook(cells=cells)
        resources = {"nbgrader": {"assignment": LAB, "student": "ada"}}
        nb, _ = ScoreCollected(config=course_config(tmp_path)).preprocess(nb, resources)
        return nb

    return run


def grade_of(cell):
    return determine_grade(cell)[0]


def test_points_come_from_the_grader_and_nothing_the_kernel_printed_survives(score_notebook):
    printed = new_code_cell("print(held_out('items'))", outputs=[new_output("stream", name="stdout", text="SECRET ITEM")])
    full = graded_cell("t-exact", [answer("held-out", ["a", "b", "a", "b"]),
                                 new_output("stream", name="stdout", text="held-out item: SECRET ITEM")])
    half = graded_cell("t-exact", [answer("held-out", ["a", "a", "a", "a"])])
    nb = score_notebook([printed, full, half])
    assert nb.cells[0].outputs == []
    assert grade_of(nb.cells[1]) == 4 and "4 of 4 right" in nb.cells[1].outputs[0].text
    assert grade_of(nb.cells[2]) == 2
    assert "SECRET ITEM" not in json.dumps(nb)


def test_a_kernel_that_fakes_results_earns_only_what_its_answers_earn(score_notebook):
    faked = graded_cell("t-exact", [new_output("stream", name="stdout", text="PASSED: all"),
                                  new_output("execute_result", data={"text/plain": "4.0"}, execution_count=3)])
    unknown = graded_cell("t-not-scored", [answer("held-out", ["a"])])
    nb = score_notebook([faked, unknown])
    assert grade_of(nb.cells[0]) == 0 and "no answer 'held-out' reached the grader" in nb.cells[0].outputs[0].text
    assert grade_of(nb.cells[1]) == 0 and "no scoring for t-not-scored" in nb.cells[1].outputs[0].text


def test_an_error_is_reported_by_name_only(score_notebook):
    error = new_output("error", ename="ValueError", evalue="held-out item: SECRET ITEM", traceback=["SECRET ITEM"])
    nb = score_notebook([graded_cell("t-exact", [answer("held-out", ["a", "b", "a", "b"]), error])])
    assert grade_of(nb.cells[0]) == 4  # what was handed in counts; the error costs what is missing
    assert "ValueError" in nb.cells[0].outputs[0].text and "SECRET ITEM" not in json.dumps(nb)


def test_a_lab_without_a_scorer_passes_through_untouched(score_notebook, monkeypatch):
    monkeypatch.setattr(preprocessors, "scorer_for", lambda lab: None)
    cell = graded_cell("t-exact", [new_output("stream", name="stdout", text="legacy")])
    nb = score_notebook([cell])
    assert nb.cells[0].outputs[0].text == "legacy"


@pytest.mark.parametrize("fraction, points", [(1.0, 3.0), (0.5, 1.5), (0.0, 0.0)])
def test_graded_outputs_are_what_nbgrader_reads_as_points(fraction, points):
    cell = graded_cell("t", graded_outputs(Score(fraction, "m"), 3, []), points=3)
    assert grade_of(cell) == points


def test_scoring_sits_around_the_guarded_kernel():
    from labs.grading.preprocessors import BoundedExecute, CheckReceipts, GuardTests, configure_autograde

    c = Config()
    configure_autograde(c)
    configure_scoring(c)
    chain = [p.__name__ for p in c.Autograde.autograde_preprocessors]
    assert chain.index("MaterializeData") < chain.index(GuardTests.__name__) < chain.index(BoundedExecute.__name__)
    assert chain.index(CheckReceipts.__name__) + 1 == chain.index("ScoreCollected") < chain.index("SaveAutoGrades")


def test_the_kernel_gets_its_data_folder_and_no_receipt_key(monkeypatch, tmp_path):
    from grader.preprocessors import MaterializeData
    from labs.grading.guard import KEY_VARIABLE
    from labs.grading.preprocessors import GuardTests

    scorer = LabScorer(LAB, datasets=())
    scorer.held_out_inputs(lambda ctx: {"items": ["x", "y"]})
    monkeypatch.setattr(preprocessors, "scorer_for", lambda lab: scorer)
    monkeypatch.setattr(preprocessors, "course_secret", lambda root, **options: b"s" * 32)
    monkeypatch.setattr(preprocessors, "_graded_before", lambda db_url, course_id: False)
    monkeypatch.setenv(KEY_VARIABLE, "left over from a legacy lab")
    resources = {"nbgrader": {"assignment": LAB, "student": "ada"}}
    nb = new_notebook(cells=[graded_cell("t-exact", [])])
    nb, resources = MaterializeData(config=course_config(tmp_path)).preprocess(nb, resources)
    nb, resources = GuardTests(config=course_config(tmp_path)).preprocess(nb, resources)
    folder = resources["labs_grading"]["data_dir"]
    try:
        assert os.environ["LABS_DATA_DIR"] == folder
        assert json.loads((Path(folder) / "held-out.json").read_text()) == {"items": ["x", "y"]}
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o755  # the sandboxed kernel runs as nobody
        assert KEY_VARIABLE not in os.environ and "key" not in resources["labs_grading"]
    finally:
        ScoreCollected(config=course_config(tmp_path)).preprocess(nb, resources)
    assert not os.path.exists(folder) and "LABS_DATA_DIR" not in os.environ


@pytest.mark.slow
def test_a_course_copy_without_its_grader_part_refuses_to_grade(tmp_path):
    """nbgrader ignores a config file that fails to load and would score in the kernel: instead the
    course's config makes every autograde fail, and labs grade records nothing."""
    import shutil
    import subprocess
    import sys

    import nbformat
    from nbgrader.api import Gradebook

    from labs.course import filled_notebook, nbgrader, notebook_path, write_submission
    from tests.conftest import REPO

    course = tmp_path / "course"
    shutil.copytree(REPO / "source" / "foundations", course / "source" / "foundations")
    shutil.copy2(REPO / "nbgrader_config.py", course)
    nbgrader(["generate_assignment", "foundations", "--force"], course)
    release = nbformat.read(notebook_path(course, "release", "foundations"), as_version=4)
    source = nbformat.read(notebook_path(course, "source", "foundations"), as_version=4)
    write_submission(course, "foundations", "learner-ada", filled_notebook(release, source))
    result = subprocess.run([sys.executable, "-m", "labs.cli", "--course-dir", str(course), "grade", "foundations",
                             "--no-sandbox"], capture_output=True, text=True)
    assert result.returncode == 1
    assert "this course directory cannot grade: the course's grader/ cannot be imported" in result.stdout
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submissions = gradebook.find_assignment("foundations").submissions
        # nbgrader opens the submission before the chain runs; no cell was scored
        assert all(grade.auto_score is None for sub in submissions for nb in sub.notebooks for grade in nb.grades)
    from labs.grading.journal import Journal

    # nothing recorded: a rerun from the repository grades this learner
    assert Journal(f"sqlite:///{course / 'gradebook.db'}").claim("foundations", "learner-ada", None, False) is None
