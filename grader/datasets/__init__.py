"""The generators the learners never get, registered like the ones still in ``labs.datasets``.

``generate(name, seed)`` makes any dataset (those here and those ``labs.datasets`` still
generates) with its truth; ``materialize`` in ``grader/materialize.py`` writes learners' copies.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any

import pandas as pd

from labs.datasets import DatasetSpec, _REGISTRY, dataset, faker_for, rng_for  # noqa: F401 -- the generators' API
from labs.datasets import specs as learner_side_specs
from labs.learner import SELF_STUDY, learner_seed

__all__ = ["dataset", "faker_for", "rng_for", "Generated", "generate", "specs", "grader_side", "self_study_seed"]


@dataclass(frozen=True)
class Generated:
    """A dataset as the grader knows it: the table and what was planted in it."""

    name: str
    seed: int
    data: pd.DataFrame
    truth: dict[str, Any]


def _import_generators() -> None:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


def grader_side() -> dict[str, DatasetSpec]:
    """The datasets whose generators live here: learners get them materialized."""
    _import_generators()
    return {name: spec for name, spec in sorted(_REGISTRY.items()) if spec.generate.__module__.startswith(__name__)}


def specs() -> dict[str, DatasetSpec]:
    """Every dataset of the course, by name."""
    return dict(sorted({**learner_side_specs(), **grader_side()}.items()))


def generate(name: str, seed: int) -> Generated:
    known = specs()
    if name not in known:
        raise KeyError(f"unknown dataset {name!r}; available: {', '.join(known)}")
    frame, truth = known[name].generate(seed)
    return Generated(name=name, seed=seed, data=frame, truth=truth)


def self_study_seed() -> int:
    """The public seed of the committed self-study data: never graded, so it need not be secret."""
    return learner_seed(SELF_STUDY)
