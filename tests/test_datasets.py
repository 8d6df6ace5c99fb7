"""The dataset registry, the learner-side loader of materialized data, and the committed
self-study files. Every dataset of the course is checked, wherever its generator lives: those in
grader/datasets/ (learners get files) and those labs.datasets still generates (labs whose
scoring has not moved to the grader yet)."""
import numpy as np
import pandas as pd
import pytest

from grader import self_study as files
from grader.datasets import generate, grader_side, specs
from grader.scoring import Context
from labs.datasets import DATA_DIR_VARIABLE, SELF_STUDY_DIR, faker_for, load, read_frame, rng_for, write_frame
from labs.datasets import specs as generated_in_the_kernel


def _assert_same(first, second, where="truth"):
    """Deep equality for ground truth: dicts, lists, frames, series, arrays and plain values."""
    if isinstance(first, pd.DataFrame):
        pd.testing.assert_frame_equal(first, second, obj=where)
    elif isinstance(first, pd.Series):
        pd.testing.assert_series_equal(first, second, obj=where)
    elif isinstance(first, np.ndarray):
        np.testing.assert_array_equal(first, second, err_msg=where)
    elif isinstance(first, dict):
        assert first.keys() == second.keys(), where
        for key in first:
            _assert_same(first[key], second[key], f"{where}[{key!r}]")
    elif isinstance(first, (list, tuple)):
        assert len(first) == len(second), where
        for index, (a, b) in enumerate(zip(first, second)):
            _assert_same(a, b, f"{where}[{index}]")
    else:
        assert first == second or (first != first and second != second), where  # NaN equals NaN here


def test_every_dataset_is_a_pure_function_of_name_and_seed():
    for name in specs():
        first, second = generate(name, 7), generate(name, 7)
        pd.testing.assert_frame_equal(first.data, second.data)
        _assert_same(first.truth, second.truth, f"{name}.truth")


def test_every_dataset_has_a_complete_datasheet():
    for name, spec in specs().items():
        assert spec.title and spec.fields and spec.generation and spec.planted and spec.intended_use, name


def test_learners_get_different_data():
    for name in specs():
        assert not generate(name, 1).data.equals(generate(name, 2).data), name


def test_learners_data_is_keyed_with_the_course_secret():
    ada, grace = Context("any", "ada", b"k" * 32), Context("any", "grace", b"k" * 32)
    ada_elsewhere = Context("any", "ada", b"j" * 32)
    assert ada.data_seed() != grace.data_seed() and ada.data_seed() != ada_elsewhere.data_seed()
    assert ada.data_seed() == Context("other-lab", "ada", b"k" * 32).data_seed()  # one seed for all labs
    assert ada.seed("held-out") != Context("other-lab", "ada", b"k" * 32).seed("held-out")


def test_default_learner_is_the_current_one(monkeypatch):
    for name in generated_in_the_kernel():
        monkeypatch.setenv("LABS_LEARNER", "ada")
        as_ada = load(name)
        pd.testing.assert_frame_equal(as_ada.data, load(name, learner="ada").data)
        monkeypatch.setenv("LABS_LEARNER", "grace")
        as_grace = load(name)
        assert as_ada.seed != as_grace.seed and not as_ada.data.equals(as_grace.data), name


def test_unknown_dataset_names_the_available_ones():
    with pytest.raises(KeyError, match="available: "):
        generate("no-such-dataset", 1)


def test_random_sources_are_isolated_per_dataset_and_seed():
    assert rng_for("a", 1).integers(1 << 30) == rng_for("a", 1).integers(1 << 30)
    assert rng_for("a", 1).integers(1 << 30) != rng_for("b", 1).integers(1 << 30)
    assert faker_for("a", 1).email() == faker_for("a", 1).email()
    assert faker_for("a", 1).email() != faker_for("a", 2).email()


def test_every_column_of_every_dataset_is_documented():
    for name, spec in specs().items():
        for seed in range(5):
            undocumented = set(generate(name, seed).data.columns) - set(spec.fields)
            assert not undocumented, f"{name}: datasheet lacks {undocumented}"


def test_committed_datasets_match_regeneration():
    assert files.differences(SELF_STUDY_DIR) == []


def test_materialized_tables_keep_their_column_types(tmp_path):
    for name in specs():
        frame = generate(name, 3).data
        write_frame(frame, tmp_path, name)
        pd.testing.assert_frame_equal(read_frame(tmp_path, name), frame.reset_index(drop=True), obj=name)


def test_a_learner_loads_materialized_data_without_truth(tmp_path, monkeypatch):
    name = sorted(grader_side())[0]
    made = generate(name, 11)
    write_frame(made.data, tmp_path, name)
    monkeypatch.setenv(DATA_DIR_VARIABLE, str(tmp_path))
    mine = load(name)
    pd.testing.assert_frame_equal(mine.data, made.data.reset_index(drop=True))
    assert mine.truth is None and mine.seed is None
    with pytest.raises(ValueError, match="held-out data stays with the grader"):
        load(name, seed=5)
    with pytest.raises(ValueError, match="held-out data stays with the grader"):
        load(name, learner="grace")
    monkeypatch.setenv(DATA_DIR_VARIABLE, str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError, match="restart your server"):
        load(name)


def test_without_a_data_folder_learners_get_the_self_study_data(monkeypatch):
    monkeypatch.delenv(DATA_DIR_VARIABLE, raising=False)
    for name in grader_side():
        pd.testing.assert_frame_equal(load(name).data, read_frame(SELF_STUDY_DIR, name))


def test_the_learners_package_generates_none_of_the_grader_side_datasets():
    assert not set(grader_side()) & set(generated_in_the_kernel())


def test_check_reports_stale_missing_and_stray_files(tmp_path):
    files.write(tmp_path)
    assert files.differences(tmp_path) == []
    first_csv = sorted(tmp_path.glob("*.csv"))[0]
    first_csv.write_text(first_csv.read_text() + "tampered\n")
    sorted(tmp_path.glob("*.md"))[0].unlink()
    (tmp_path / "stray.csv").write_text("a\n")
    problems = "\n".join(files.differences(tmp_path))
    assert f"{first_csv.name}: differs from regeneration" in problems
    assert ": missing" in problems
    assert "stray.csv: not produced by any registered dataset" in problems
