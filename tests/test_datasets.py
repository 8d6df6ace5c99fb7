"""The dataset registry and the committed self-study files."""
import numpy as np
import pandas as pd
import pytest

from labs.datasets import faker_for, files, load, rng_for, specs
from tests.conftest import REPO


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
        first, second = load(name, seed=7), load(name, seed=7)
        pd.testing.assert_frame_equal(first.data, second.data)
        _assert_same(first.truth, second.truth, f"{name}.truth")


def test_every_dataset_has_a_complete_datasheet():
    for name, spec in specs().items():
        assert spec.title and spec.fields and spec.generation and spec.planted and spec.intended_use, name


def test_learners_get_different_data():
    for name in specs():
        assert not load(name, learner="ada").data.equals(load(name, learner="grace").data), name


def test_default_learner_is_the_current_one(monkeypatch):
    for name in specs():
        monkeypatch.setenv("LABS_LEARNER", "ada")
        as_ada = load(name)
        pd.testing.assert_frame_equal(as_ada.data, load(name, learner="ada").data)
        monkeypatch.setenv("LABS_LEARNER", "grace")
        as_grace = load(name)
        assert as_ada.seed != as_grace.seed and not as_ada.data.equals(as_grace.data), name


def test_unknown_dataset_names_the_available_ones():
    with pytest.raises(KeyError, match="available: "):
        load("no-such-dataset", seed=1)


def test_random_sources_are_isolated_per_dataset_and_seed():
    assert rng_for("a", 1).integers(1 << 30) == rng_for("a", 1).integers(1 << 30)
    assert rng_for("a", 1).integers(1 << 30) != rng_for("b", 1).integers(1 << 30)
    assert faker_for("a", 1).email() == faker_for("a", 1).email()
    assert faker_for("a", 1).email() != faker_for("a", 2).email()


def test_every_column_of_every_dataset_is_documented():
    for name, spec in specs().items():
        for seed in range(5):
            undocumented = set(load(name, seed=seed).data.columns) - set(spec.fields)
            assert not undocumented, f"{name}: datasheet lacks {undocumented}"


def test_committed_datasets_match_regeneration():
    assert files.differences(REPO / "datasets") == []


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
