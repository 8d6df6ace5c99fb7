"""Inside the grading kernel: evidence that each test cell ran unmodified and in full.

``labs.grading.preprocessors.GuardTests`` puts ``install()`` in a cell that runs before any
learner code, ``verify()`` at the start of every test cell and ``receipt()`` at its end.

* ``install`` imports the modules the locked and test cells use and records the interpreter's
  state that decides what a test cell does: trace and profile hooks, ``sys.stdout``/``stderr``,
  the display and exception hooks, IPython's input and AST transformers and event callbacks,
  the builtins, and every public attribute of those modules and of their classes.
* ``verify`` compares that state with now and raises ``GradingIntegrityError`` naming what
  changed: the test then fails (0 points) and the instructor reads why.
* ``receipt`` publishes, as the test's last act, an HMAC of the grade id under a key the grader
  passed in the environment (read once, then removed). The grader gives 0 to a test cell
  without a valid receipt: one that never finished, because the kernel died or was stopped.

Learner code cannot name this module or its state (the static policy forbids ``_labs`` names,
``sys``, ``getattr`` and dunders), so it would need an escape past that policy first.
"""
from __future__ import annotations

import builtins
import functools
import hashlib
import hmac
import importlib
import os
import sys
import warnings

KEY_VARIABLE = "LABS_GUARD_KEY"
RECEIPT_MIME = "application/vnd.ai-safety-labs.receipt+json"

_state: dict = {}


class GradingIntegrityError(AssertionError):
    """The kernel's state was changed in a way that could decide a test's outcome."""


def _shell():
    from IPython import get_ipython

    return get_ipython()


_MISSING = object()
# ipykernel swaps these per request (stdin forwarding), and pyplot's backend switch rebinds these
NOT_WATCHED_BUILTINS = frozenset({"input", "raw_input"})
# the interpreter's own modules change per request (IPython swaps sys's hooks); what matters of
# them is checked above, by identity
NOT_WATCHED_MODULES = frozenset({"sys", "builtins", "__main__"})
NOT_WATCHED = {"matplotlib.pyplot": frozenset({"draw_if_interactive", "new_figure_manager", "show"})}
# event callbacks registered by the kernel or plotting machinery (the inline backend's flush)
TRUSTED_ORIGINS = ("IPython.", "ipykernel.", "matplotlib_inline.", "matplotlib.", "ipywidgets.")


def _origin(callback) -> str:
    function = getattr(callback, "__func__", callback)
    return f"{getattr(function, '__module__', None) or '?'}.{getattr(function, '__qualname__', repr(function))}"


def _library_paths() -> tuple[str, ...]:
    import labs

    return tuple({sys.prefix, sys.base_prefix, os.path.dirname(os.path.dirname(labs.__file__))})


def _made_by_notebook(value, depth: int = 0) -> bool:
    """Whether ``value`` is, or wraps, a function or class defined in the notebook's cells (whose
    code lives in the kernel's cell files, not in an installed package)."""
    if depth > 5:
        return False
    code = getattr(getattr(value, "__func__", value), "__code__", None)
    if code is not None and not code.co_filename.startswith(_library_paths()):
        return True
    if isinstance(value, type):
        return value.__module__ == "__main__"
    if type(value).__module__ == "__main__":
        return True
    inner = getattr(value, "func", None) or getattr(value, "__wrapped__", None)  # functools.partial / wraps
    return inner is not None and inner is not value and _made_by_notebook(inner, depth + 1)


def _attributes(namespace) -> dict:
    # the objects themselves, not their ids: a replaced object's id could be reused
    return {name: value for name, value in list(namespace.items()) if not name.startswith("_")}


def _quietly(function):
    """Looking at library objects can trip their deprecation warnings; a warning on stderr in a
    test cell would cost the learner that test's points."""
    @functools.wraps(function)
    def run(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return function(*args, **kwargs)
    return run


def _module_state(module) -> dict:
    skipped = NOT_WATCHED.get(module.__name__, frozenset())
    state = {"": {k: v for k, v in _attributes(vars(module)).items() if k not in skipped}}
    for name, value in list(vars(module).items()):
        if isinstance(value, type) and not name.startswith("_"):
            state[name] = _attributes(vars(value))
    return state


def _interpreter_state() -> dict:
    shell = _shell()
    return {
        "sys.settrace": sys.gettrace(),
        "sys.setprofile": sys.getprofile(),
        "sys.stdout": sys.stdout, "sys.stderr": sys.stderr,
        "sys.displayhook": sys.displayhook,
        "IPython input transformers": list(shell.input_transformers_cleanup) + list(shell.input_transformers_post),
        "IPython AST transformers": list(shell.ast_transformers),
        "IPython event callbacks": sorted({(event, _origin(callback)) for event, callbacks in shell.events.callbacks.items()
                                           for callback in callbacks if not _origin(callback).startswith(TRUSTED_ORIGINS)}),
        "IPython custom exception handlers": shell.custom_exceptions,
        "IPython shell methods": {name: value for name, value in vars(shell).items() if callable(value)},
        "IPython display publisher": shell.display_pub,
    }


def install(modules: list[str], builtin_names: list[str] = ()) -> None:
    """Record the trusted state; called once, before any learner code. ``builtin_names``: the
    builtins the test cells call, which no global of the notebook may shadow."""
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # a test that needs it will fail on its own, visibly
            pass
    if "matplotlib.pyplot" in sys.modules:
        # resolve the plotting backend now, as the first plot would, so that its hooks are in place
        pyplot = sys.modules["matplotlib.pyplot"]
        pyplot.switch_backend(pyplot.rcParams["backend"])
    _snapshot(modules, builtin_names)


@_quietly  # imports stay outside: filters they add must outlive this call
def _snapshot(modules: list[str], builtin_names) -> None:
    roots = {m.split(".")[0] for m in modules} - NOT_WATCHED_MODULES
    watched = {name: sys.modules[name] for name in sorted(sys.modules)
               if name.split(".")[0] in roots and sys.modules[name] is not None}
    _state.update(
        key=os.environ.pop(KEY_VARIABLE, "").encode(),
        interpreter=_interpreter_state(),
        builtins={k: v for k, v in vars(builtins).items() if k not in NOT_WATCHED_BUILTINS},
        modules={name: (module, _module_state(module)) for name, module in watched.items()},
        names={},
        shadowed=frozenset(name for name in builtin_names if name not in _shell().user_ns),
    )


def remember(names: list[str]) -> None:
    """Record what a locked cell just bound (its imports, functions, classes): the helpers the
    tests call, which must still be these objects when a test runs (``check = ...`` in a learner
    cell, or ``from operator import is_not as check``, would otherwise go unseen)."""
    namespace = _shell().user_ns
    for name in names:
        if name in namespace:
            _state["names"][name] = namespace[name]


@_quietly
def _changes() -> list[str]:
    changed = []
    now = _interpreter_state()
    for what, before in _state["interpreter"].items():
        after = now[what]
        same = after is before if not isinstance(before, (list, dict, tuple)) else after == before
        if not same:
            changed.append(what)
    for name, value in _state["builtins"].items():
        if vars(builtins).get(name) is not value:
            changed.append(f"the builtin {name}")
    namespace = _shell().user_ns
    for name, value in _state["names"].items():
        if namespace.get(name, _MISSING) is not value:
            changed.append(f"{name} (bound by a locked cell)")
    for name in sorted(_state["shadowed"] - set(_state["names"])):
        if name in namespace:
            changed.append(f"the builtin {name} (shadowed by a global)")
    for name, (module, before) in _state["modules"].items():
        if sys.modules.get(name) is not module:
            changed.append(f"the module {name} was replaced")
            continue
        ours = name.split(".")[0] == "labs"
        for owner, attributes in before.items():
            namespace = vars(module) if not owner else vars(vars(module).get(owner, type))
            for attribute, original in attributes.items():
                value = namespace.get(attribute, _MISSING)
                if value is original or value is _MISSING:
                    continue  # a deleted helper makes the test fail on its own
                # Libraries rebind their own attributes at run time (torch._dynamo wraps
                # torch.manual_seed, counters move): a third-party module only counts as changed
                # when it now holds something the notebook made. The labs package never does that.
                if ours or _made_by_notebook(value):
                    changed.append(f"{name}.{owner + '.' if owner else ''}{attribute}")
    return changed


def verify(grade_id: str) -> None:
    if not _state:
        raise GradingIntegrityError(f"{grade_id}: the grading guard was not installed")
    changed = _changes()
    if changed:
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        raise GradingIntegrityError(f"{grade_id}: code before this test changed {shown}")


def receipt_mac(key: bytes, grade_id: str) -> str:
    return hmac.new(key, grade_id.encode(), hashlib.sha256).hexdigest()


def receipt(grade_id: str, value=None):
    """Publish that this test ran to its end; return the test's own last value unchanged."""
    from IPython.display import publish_display_data

    if _state["key"]:  # no key: the grader scores this lab from handed-in answers, not receipts
        publish_display_data({RECEIPT_MIME: {"grade_id": grade_id, "mac": receipt_mac(_state["key"], grade_id)}})
    return value
