"""How a lab is scored outside the learner's kernel.

A lab graded here has a module ``grader/scorers/<lab>.py`` (dashes become underscores) with a
:class:`LabScorer` called ``scorer``. It says which datasets the learner's kernel gets, which
held-out *inputs* its hidden tests get (``@scorer.held_out_inputs``), and how each test cell's
handed-in answers are scored (``@scorer.test(grade_id)``). Like a PrairieLearn question, making
the inputs and grading the answers are separate, and the kernel only ever holds the inputs:

    scorer = LabScorer("foundations", datasets=("ai_inventory",))

    @scorer.held_out_inputs
    def inputs(ctx):
        return {"inventory": ctx.held_out("ai_inventory").data.to_dict("records")}

    @scorer.test("test-data-level")
    def data_level(answers, ctx):
        levels = answers.strings("held-out", length=...)
        return Score.proportional(accuracy, full_at=1.0, message=...)

``grader/preprocessors.py`` runs it inside nbgrader's autograde. A scorer sees a learner only
through ``ctx`` (their id and the course secret) and their answers (untrusted data, already
parsed and size-checked). A scoring function that raises :class:`AnswerError` gives the cell 0
with that message; any other exception is the grader's own fault and stops the grading of that
learner (``labs grade`` reports it and records nothing).
"""
from __future__ import annotations

import importlib
import importlib.util
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from grader.datasets import Generated, generate
from grader.secret import keyed_seed

HELD_OUT_ITEMS = Path(__file__).resolve().parent / "heldout"


@dataclass(frozen=True)
class Score:
    """A test cell's result: a share of its points, and the message the learner reads."""

    fraction: float
    message: str

    def __post_init__(self):
        object.__setattr__(self, "fraction", min(1.0, max(0.0, float(self.fraction))))

    @classmethod
    def proportional(cls, value: float, full_at: float, message: str) -> "Score":
        """All points at ``full_at`` or above, proportionally fewer below (``value`` in [0, 1])."""
        value = max(0.0, float(value))
        return cls(1.0 if value >= full_at else value / full_at, message)

    @classmethod
    def zero(cls, message: str) -> "Score":
        return cls(0.0, message)


class AnswerError(ValueError):
    """An answer is missing or malformed: the test earns 0 and the learner reads why."""


@dataclass
class Answers:
    """What one test cell handed in, by name. Every accessor checks shape and type."""

    values: dict[str, Any]

    def get(self, name: str) -> Any:
        if name not in self.values:
            raise AnswerError(f"no answer {name!r} reached the grader (did the test cell stop early with an error?)")
        return self.values[name]

    def _list(self, name: str, length: int | None) -> list:
        value = self.get(name)
        if not isinstance(value, list):
            raise AnswerError(f"the answer {name!r} must be a list, got {type(value).__name__}")
        if length is not None and len(value) != length:
            raise AnswerError(f"the answer {name!r} has {len(value)} items; {length} were expected (one per input)")
        return value

    def list_of(self, name: str, kind: type | tuple[type, ...], length: int | None = None) -> list:
        values = self._list(name, length)
        kinds = kind if isinstance(kind, tuple) else (kind,)
        for i, item in enumerate(values):
            if not isinstance(item, kinds) or (bool not in kinds and isinstance(item, bool)):
                raise AnswerError(f"item {i} of {name!r} is {item!r}; expected {' or '.join(k.__name__ for k in kinds)}")
        return values

    def strings(self, name: str, length: int | None = None) -> list[str]:
        return self.list_of(name, str, length)

    def booleans(self, name: str, length: int | None = None) -> list[bool]:
        return self.list_of(name, bool, length)

    def numbers(self, name: str, length: int | None = None) -> list[float]:
        return [float(x) for x in self.list_of(name, (int, float), length)]


@dataclass
class Context:
    """One learner of one lab, as the grader sees them."""

    lab: str
    learner: str
    secret: bytes = field(repr=False)
    _cache: dict = field(default_factory=dict, repr=False)

    def seed(self, purpose: str) -> int:
        return keyed_seed(self.secret, self.learner, f"{self.lab}|{purpose}")

    def data_seed(self) -> int:
        """The seed of all the learner's own datasets (the hub's and the grader's copies agree)."""
        return keyed_seed(self.secret, self.learner, "data")

    def own(self, name: str) -> Generated:
        """The learner's own dataset ``name``, with its truth."""
        return self.cached(("own", name), lambda: generate(name, self.data_seed()))

    def held_out(self, name: str, purpose: str = "held-out") -> Generated:
        """A held-out variant of dataset ``name`` under a keyed seed (the learner never sees it)."""
        return self.cached(("held-out", name, purpose), lambda: generate(name, self.seed(f"{purpose}|{name}")))

    def cached(self, key, make: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]


def held_out_items(lab: str, name: str) -> dict[str, Any]:
    """Instructor-curated held-out items: ``grader/heldout/<lab>/<name>.toml`` (added each quarter)."""
    path = HELD_OUT_ITEMS / lab / f"{name}.toml"
    with path.open("rb") as handle:
        return tomllib.load(handle)


Scoring = Callable[[Answers, Context], Score]


class LabScorer:
    """One lab's grader-side half: the datasets its kernel gets, its held-out inputs, its scoring."""

    def __init__(self, lab: str, datasets: tuple[str, ...]):
        self.lab = lab
        self.datasets = tuple(datasets)
        self.tests: dict[str, Scoring] = {}
        self._inputs: Callable[[Context], dict[str, Any]] = lambda ctx: {}

    def test(self, grade_id: str) -> Callable[[Scoring], Scoring]:
        def register(function: Scoring) -> Scoring:
            if grade_id in self.tests:
                raise ValueError(f"{self.lab}: test {grade_id!r} is scored twice")
            self.tests[grade_id] = function
            return function
        return register

    def held_out_inputs(self, function: Callable[[Context], dict[str, Any]]):
        self._inputs = function
        return function

    def inputs(self, ctx: Context) -> dict[str, Any]:
        return self._inputs(ctx)

    def score(self, grade_id: str, answers: Answers, ctx: Context) -> Score:
        if grade_id not in self.tests:
            return Score.zero(f"the grader has no scoring for {grade_id}; tell your instructor")
        try:
            result = self.tests[grade_id](answers, ctx)
        except AnswerError as error:
            return Score.zero(str(error))
        if not isinstance(result, Score):
            raise TypeError(f"{self.lab}: scoring of {grade_id} returned {result!r}, not a Score")
        return result


def scorer_for(lab: str) -> LabScorer | None:
    """The lab's scorer, or None for a lab still scored in the kernel (not yet migrated)."""
    module_name = f"grader.scorers.{lab.replace('-', '_')}"
    if importlib.util.find_spec(module_name) is None:
        return None
    scorer = getattr(importlib.import_module(module_name), "scorer", None)
    if not isinstance(scorer, LabScorer) or scorer.lab != lab:
        raise TypeError(f"{module_name} must define scorer = LabScorer({lab!r}, ...)")
    return scorer


def grader_scored_labs() -> list[str]:
    folder = Path(__file__).resolve().parent / "scorers"
    names = [path.stem for path in folder.glob("*.py") if path.stem != "__init__"]
    return sorted(name.replace("_", "-") for name in names)


def degenerate(values: list) -> str | None:
    """Why a list of answers is degenerate (empty or all one value), or None."""
    if not values:
        return "the answer is empty"
    distinct = {repr(value) for value in values}
    if len(values) > 1 and len(distinct) == 1:
        return f"every answer is the same ({values[0]!r})"
    return None
