"""Per-learner synthetic datasets, as a learner's notebook sees them.

Every dataset is a pure function of ``(name, seed)``: the generator draws all randomness from
:func:`rng_for` (numpy) and :func:`faker_for` (Faker, seeded with ``seed_instance``) and
returns the data together with its *ground truth* (where PII was planted, which rows are
duplicates, ...). A generator is registered with :func:`dataset`, which also records the
datasheet text that ``labs datasets`` writes next to the self-study CSV in ``labs/data/``.

**Learners receive data, not generators.** The generators of the labs graded by the grader
(``grader/datasets/``, see ``docs/course-design.md``) are not in this package: :func:`load`
reads the learner's *materialized* files (a CSV and its column types) from :func:`data_dir` --
on the hub the folder the hub filled for this learner, at grading the folder ``labs grade``
filled, offline the committed self-study files -- and returns them without any truth. The
generators still in this package (:func:`specs`) belong to labs that have not moved to
grader-side scoring yet; their :func:`load` generates as before.
"""
from __future__ import annotations

import hashlib
import importlib
import json
import os
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
from faker import Faker

from labs.learner import current_learner, learner_seed

#: Modules of this package that are not generators.
NOT_GENERATORS = {"files"}

FAKER_LOCALE = "en_US"


#: Where a learner's materialized data is (set by the hub's spawner and by the grader).
DATA_DIR_VARIABLE = "LABS_DATA_DIR"
SELF_STUDY_DIR = Path(__file__).resolve().parent.parent / "data"
COLUMN_TYPES_SUFFIX = ".columns.json"


@dataclass(frozen=True)
class Dataset:
    """One table for a learner. ``truth`` (what the generator planted) exists only where this
    package still generates the data itself (:func:`specs`); materialized data has none:
    the answer key stays with the grader."""

    name: str
    data: pd.DataFrame
    seed: int | None = None
    truth: dict[str, Any] | None = field(default=None, repr=False)


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
    """Every dataset this package still generates itself, by name (the others are materialized)."""
    _import_generators()
    return {name: spec for name, spec in sorted(_REGISTRY.items()) if spec.generate.__module__.startswith(__name__)}


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


def data_dir() -> Path:
    """The folder this learner's materialized data is read from: ``LABS_DATA_DIR`` when the hub
    or the grader set it, else the self-study files that ship with the package."""
    configured = os.environ.get(DATA_DIR_VARIABLE, "").strip()
    return Path(configured) if configured else SELF_STUDY_DIR


def write_frame(frame: pd.DataFrame, folder: Path, name: str) -> None:
    """Materialize one table: ``<name>.csv`` and its column types (so ``"02139"`` stays a string)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.csv").write_text(frame.to_csv(index=False, lineterminator="\n"), encoding="utf-8")
    types = {column: str(dtype) for column, dtype in frame.dtypes.items()}
    (folder / f"{name}{COLUMN_TYPES_SUFFIX}").write_text(json.dumps(types, indent=1) + "\n", encoding="utf-8")


def read_frame(folder: Path, name: str) -> pd.DataFrame:
    """A table written by :func:`write_frame`, with its column types."""
    csv, types_file = folder / f"{name}.csv", folder / f"{name}{COLUMN_TYPES_SUFFIX}"
    if not csv.is_file() or not types_file.is_file():
        raise FileNotFoundError(
            f"dataset {name!r} is not in your data folder {folder} ({csv.name} and {types_file.name} expected). "
            f"On the hub, restart your server (Hub Control Panel -> Stop My Server, then Start) so the hub "
            f"materializes your data again; offline, unset {DATA_DIR_VARIABLE} to use the self-study data.")
    types = json.loads(types_file.read_text(encoding="utf-8"))
    text_columns = {column: str for column, dtype in types.items() if dtype in ("str", "object", "string")}
    frame = pd.read_csv(csv, dtype=text_columns, keep_default_na=False, na_values={c: [""] for c in types
                                                                                   if c not in text_columns})
    return frame.astype({column: dtype for column, dtype in types.items() if column not in text_columns})


def load(name: str, seed: int | None = None, *, learner: str | None = None) -> Dataset:
    """This learner's dataset ``name``.

    Materialized datasets are read from :func:`data_dir` (``seed`` and ``learner`` do not apply:
    only the grader can make another learner's or a held-out variant). Datasets still generated
    here are generated for a seed, or for a learner (default: the current learner).
    """
    generated_here = specs()
    if name in generated_here:
        if seed is None:
            seed = learner_seed(learner if learner is not None else current_learner())
        frame, truth = generated_here[name].generate(seed)
        return Dataset(name=name, data=frame, seed=seed, truth=truth)
    if seed is not None or learner is not None:
        raise ValueError(f"dataset {name!r} is materialized for you by the course; another seed or learner "
                         "is not available in a notebook (held-out data stays with the grader)")
    return Dataset(name=name, data=read_frame(data_dir(), name))
