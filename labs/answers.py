"""Handing answers to the grader, from a test cell.

A test cell never decides its own points. It runs the learner's code -- on the learner's data,
and in hidden tests on held-out inputs that exist only while the grader runs the notebook -- and
hands the results in with :func:`hand_in`. The grader scores them afterwards, outside the kernel,
against a truth the kernel never sees (``docs/course-design.md``, "Grading"). Offline and in
``labs check`` the handed-in answers are only shown: there is nothing in this package to score
them with.
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from labs.datasets import data_dir

ANSWER_MIME = "application/vnd.ai-safety-labs.answer+json"
HELD_OUT_FILE = "held-out.json"
#: An answer larger than this is refused in the kernel; the grader refuses it too.
MAX_ANSWER_BYTES = 2 * 2**20
MAX_NAME_LENGTH = 80


class HeldOutUnavailable(LookupError):
    """Held-out items exist only while the grader runs this notebook."""


def _plain(value: Any, path: str) -> Any:
    """The value as JSON data: lists, dicts with string keys, strings, numbers, booleans, None."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return None if math.isnan(value) else float(value)
    tolist = getattr(value, "tolist", None)  # numpy arrays and scalars, pandas Series and Index
    if callable(tolist) and not isinstance(value, Mapping):
        return _plain(tolist(), path)
    if isinstance(value, Mapping):
        return {str(key): _plain(item, f"{path}[{key!r}]") for key, item in value.items()}
    if isinstance(value, (set, frozenset)):
        items = [_plain(item, path) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    if isinstance(value, (list, tuple)):
        return [_plain(item, f"{path}[{i}]") for i, item in enumerate(value)]
    raise TypeError(f"{path} is a {type(value).__name__}: hand in lists, dicts, strings, numbers, "
                    "booleans or None (convert a DataFrame with .to_dict('records'))")


def hand_in(name: str, value: Any) -> None:
    """Hand ``value`` to the grader as the answer called ``name`` of this test cell."""
    from IPython.display import publish_display_data

    if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME_LENGTH:
        raise ValueError(f"an answer's name is a short string, got {name!r}")
    plain = _plain(value, name)
    size = len(json.dumps(plain))
    if size > MAX_ANSWER_BYTES:
        raise ValueError(f"the answer {name!r} is {size} bytes; the grader takes at most {MAX_ANSWER_BYTES}")
    count = f"{len(plain)} items" if isinstance(plain, (list, dict)) else "1 value"
    publish_display_data({ANSWER_MIME: {"name": name, "value": plain},
                          "text/plain": f"[handed in to the grader: {name} ({count})]"})


def held_out(name: str) -> Any:
    """The held-out inputs ``name`` the grader prepared for this notebook (inputs only: no truth)."""
    path = data_dir() / HELD_OUT_FILE
    if not path.is_file():
        raise HeldOutUnavailable("held-out items exist only while the grader runs this notebook")
    items = json.loads(path.read_text(encoding="utf-8"))
    if name not in items:
        raise HeldOutUnavailable(f"the grader prepared no held-out inputs called {name!r}")
    return items[name]
