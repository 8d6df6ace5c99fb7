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


def _expected_cost(item) -> int:
    """Longest first: the demo grades every lab, each lab's verify grades a cohort, then the other
    slow tests, then the rest -- so neither worker is left alone with a long test at the end."""
    if item.nodeid.startswith("tests/test_demo.py"):
        return 0
    if "test_labs_verify" in item.name:
        return 1
    return 2 if item.get_closest_marker("slow") else 3


def pytest_collection_modifyitems(config, items):
    items.sort(key=_expected_cost)  # stable: the order within each group stays as collected
