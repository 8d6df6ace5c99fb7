"""The learner id is resolved in one place, in the order docs/course-design.md gives."""
import pytest

from labs.learner import SELF_STUDY, current_learner, learner_seed


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    monkeypatch.delenv("LABS_LEARNER", raising=False)
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)


def test_explicit_setting_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("LABS_LEARNER", "ada")
    monkeypatch.setenv("JUPYTERHUB_USER", "hub-user")
    autograde_dir = tmp_path / "autograded" / "grace" / "sanitization"
    autograde_dir.mkdir(parents=True)
    assert current_learner(autograde_dir) == "ada"


def test_autograde_directory_names_the_student(monkeypatch, tmp_path):
    monkeypatch.setenv("JUPYTERHUB_USER", "instructor")
    autograde_dir = tmp_path / "autograded" / "grace" / "sanitization"
    autograde_dir.mkdir(parents=True)
    assert current_learner(autograde_dir) == "grace"


def test_hub_user_when_not_autograding(monkeypatch, tmp_path):
    monkeypatch.setenv("JUPYTERHUB_USER", "lin")
    assert current_learner(tmp_path) == "lin"


def test_self_study_by_default(tmp_path):
    assert current_learner(tmp_path) == SELF_STUDY


def test_blank_settings_are_ignored(monkeypatch, tmp_path):
    monkeypatch.setenv("LABS_LEARNER", "  ")
    monkeypatch.setenv("JUPYTERHUB_USER", "")
    assert current_learner(tmp_path) == SELF_STUDY


def test_seeds_are_stable_distinct_and_purpose_specific():
    assert learner_seed("ada") == learner_seed("ada")
    assert learner_seed("ada") != learner_seed("grace")
    assert learner_seed("ada", purpose="holdout") != learner_seed("ada")
    assert 0 <= learner_seed("ada") < 2**63


def test_learner_in_hub_and_autograder_get_the_same_seed(monkeypatch, tmp_path):
    monkeypatch.setenv("JUPYTERHUB_USER", "grace")
    in_hub = learner_seed(current_learner(tmp_path))
    monkeypatch.delenv("JUPYTERHUB_USER")
    autograde_dir = tmp_path / "autograded" / "grace" / "sanitization"
    autograde_dir.mkdir(parents=True)
    assert learner_seed(current_learner(autograde_dir)) == in_hub
