"""Per-learner synthetic datasets.

Every dataset is a pure function of ``(name, seed)``: the generator draws all randomness from
:func:`rng_for` (numpy) and :func:`faker_for` (Faker, seeded with ``seed_instance``) and
returns the data together with its *ground truth* (where PII was planted, which rows are
duplicates, ...). Notebooks call :func:`load` and get the current learner's data; hidden tests
compare learners' answers with ``truth``.

A generator is registered with :func:`dataset`, which also records the datasheet text that
``labs datasets`` writes next to the self-study CSV in ``datasets/``.
"""
from __future__ import annotations

import hashlib
import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd
from faker import Faker

from labs.learner import current_learner, learner_seed

#: Modules of this package that are not generators.
NOT_GENERATORS = {"files"}

FAKER_LOCALE = "en_US"


@dataclass(frozen=True)
class Dataset:
    """One generated table and the facts the generator planted in it."""

    name: str
    seed: int
    data: pd.DataFrame
    truth: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class DatasetSpec:
    """A registered generator and its datasheet."""

    name: str
    title: str
    generate: Callable[[int], tuple[pd.DataFrame, dict[str, Any]]]
    fields: dict[str, str]
    generation: str
    planted: str
    intended_use: str


_REGISTRY: dict[str, DatasetSpec] = {}


def dataset(name: str, *, title: str, fields: dict[str, str], generation: str, planted: str,
            intended_use: str) -> Callable:
    """Register ``generate(seed) -> (frame, truth)`` under ``name`` with its datasheet."""

    def register(generate: Callable[[int], tuple[pd.DataFrame, dict[str, Any]]]):
        if name in _REGISTRY:
            raise ValueError(f"dataset {name!r} is registered twice")
        _REGISTRY[name] = DatasetSpec(name, title, generate, fields, generation.strip(),
                                      planted.strip(), intended_use.strip())
        return generate

    return register


def _import_generators() -> None:
    """Import every module of this package (one per lab that has data): each registers its own."""
    for module in pkgutil.iter_modules(__path__):
        if module.name not in NOT_GENERATORS:
            importlib.import_module(f"{__name__}.{module.name}")


def specs() -> dict[str, DatasetSpec]:
    """Every registered dataset, by name."""
    _import_generators()
    return dict(sorted(_REGISTRY.items()))


def _name_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big")


def rng_for(name: str, seed: int) -> np.random.Generator:
    """The numpy generator for dataset ``name`` at ``seed``."""
    return np.random.default_rng([seed, _name_key(name)])


def faker_for(name: str, seed: int) -> Faker:
    """A Faker instance of its own (``seed_instance``), so no global state leaks between datasets."""
    fake = Faker(FAKER_LOCALE)
    fake.seed_instance((seed ^ _name_key(name)) & 0x7FFFFFFFFFFFFFFF)
    return fake


def load(name: str, seed: int | None = None, *, learner: str | None = None) -> Dataset:
    """Generate dataset ``name`` for a seed, or for a learner (default: the current learner)."""
    all_specs = specs()
    if name not in all_specs:
        raise KeyError(f"unknown dataset {name!r}; available: {', '.join(all_specs)}")
    if seed is None:
        seed = learner_seed(learner if learner is not None else current_learner())
    frame, truth = all_specs[name].generate(seed)
    return Dataset(name=name, seed=seed, data=frame, truth=truth)
