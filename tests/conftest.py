import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TOY_COURSE = Path(__file__).with_name("fixtures") / "toy_course"


@pytest.fixture
def toy_course(tmp_path) -> Path:
    """A writable copy of the two-exercise toy course used to test the harness itself."""
    course = tmp_path / "toy_course"
    shutil.copytree(TOY_COURSE, course)
    return course


@pytest.fixture
def toy_manifest(toy_course):
    from labs.manifest import load_manifest

    return load_manifest(toy_course / "curriculum.toml")
