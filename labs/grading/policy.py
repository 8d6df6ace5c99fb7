"""What learner code may do, checked on its syntax tree before anything runs.

The labs need data wrangling, modelling and string handling; they never need the interpreter's
machinery. Learner cells therefore get a capability policy, in the spirit of RestrictedPython:
imports only from an allow-list of modules; none of the builtins that reach the interpreter
(``exec``, ``getattr``, ``globals``…); no dunder attributes (``__class__``, ``__globals__``…), no
class that redefines how its objects compare or convert (an answer that equals everything), no
metaclass; no changes to modules' attributes (``np.isclose = …``) or to names the tests rely on
(those bound in locked cells, and the builtins test cells call); no IPython shell access beyond
a few harmless magics. IPython's own transformer turns ``!cmd`` and ``%magic`` into the calls the
kernel would run, so they are judged as what they are.

A violation does not try to guess intent: the submission's code is not run, every test earns 0,
and the learner's record says which cell and line broke which rule (``labs check`` shows the same
before they submit). The runtime guard (``labs.grading.guard``) backs this up inside the kernel.
"""
from __future__ import annotations

import ast
import builtins
import threading
from dataclasses import dataclass

ALLOWED_MODULES = frozenset({
    # the course's libraries
    "labs", "numpy", "pandas", "sklearn", "scipy", "matplotlib", "torch", "opacus", "shap",
    "textattack", "faker",
    # standard library without access to the interpreter, processes, files or the network
    "math", "cmath", "statistics", "random", "re", "string", "unicodedata", "collections", "itertools",
    "functools", "operator", "heapq", "bisect", "dataclasses", "enum", "typing", "datetime", "time",
    "json", "csv", "io", "hashlib", "hmac", "base64", "binascii", "codecs", "secrets", "textwrap",
    "difflib", "ipaddress", "html", "copy", "decimal", "fractions", "uuid", "zlib", "warnings",
    "contextlib", "pprint", "fnmatch", "calendar", "numbers", "abc", "array", "__future__",
})
# Parts of `labs` that drive nbgrader or the grader itself: instructor tools, not lab helpers.
INSTRUCTOR_MODULES = frozenset({"grading", "course", "verify", "demo", "cli", "build", "roster", "manifest"})
FORBIDDEN_BUILTINS = frozenset({
    "exec", "eval", "compile", "__import__", "globals", "locals", "vars", "getattr", "setattr",
    "delattr", "breakpoint", "exit", "quit", "input", "open", "memoryview",
})
# Attribute names that lead from an allowed library to the interpreter, the OS or pickled code.
FORBIDDEN_ATTRIBUTES = frozenset({
    "os", "sys", "subprocess", "builtins", "ctypes", "ctypeslib", "importlib", "inspect", "gc",
    "signal", "shutil", "pickle", "socket", "threading", "multiprocessing", "pathlib",
    "system", "popen", "spawn", "fork", "kill", "_exit", "execv", "execve", "attrgetter", "methodcaller",
    "read_pickle", "to_pickle", "load_module", "f_globals", "f_locals", "f_back",
    "gi_frame", "cr_frame", "tb_frame",
})
ALLOWED_DUNDER_NAMES = frozenset({"__name__", "__init__"})
ALLOWED_DUNDER_METHODS = frozenset({"__init__", "__call__", "__repr__", "__str__", "__post_init__",
                                    "__enter__", "__exit__"})
ALLOWED_MAGICS = frozenset({"matplotlib", "time", "timeit"})
GUARD_PREFIX = "_labs"


@dataclass(frozen=True)
class Violation:
    where: str
    line: int
    rule: str

    def __str__(self) -> str:
        return f"{self.where}, line {self.line}: {self.rule}"


# Python 3.11 keeps the AST constructor's recursion counter in interpreter-wide state
# (CPython gh-95185, gh-106905): two grading threads parsing at once can fail with
# "SystemError: AST constructor recursion depth mismatch". Parses take turns.
_PARSE_LOCK = threading.Lock()


def _ipython_to_python(source: str) -> str:
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def parse_cell(source: str) -> ast.Module:
    """The syntax tree of a notebook cell as the kernel would run it (``!cmd`` and ``%magic``
    turned into the calls IPython makes); raises SyntaxError like ``ast.parse``."""
    python = _ipython_to_python(source)
    with _PARSE_LOCK:
        return ast.parse(python)


def _parsed_or_none(source: str) -> ast.Module | None:
    """None for a cell that is not valid Python: the kernel cannot run it either, so that cell
    fails on its own, harming no test."""
    try:
        return parse_cell(source)
    except SyntaxError:
        return None


def defined_names(source: str) -> set[str]:
    """Names a (trusted) cell binds at top level to an import, a function or a class: the helpers
    tests call. (Data a locked cell binds may be rebound by the release's own cells; tests take
    their ground truth from a fresh ``load()`` instead.)"""
    try:
        tree = parse_cell(source)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names if alias.name != "*")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


def _import_bindings(node: ast.Import | ast.ImportFrom) -> list[tuple[str, str]]:
    """(name bound, what it is bound to) for each alias of an import statement."""
    if isinstance(node, ast.Import):
        return [(alias.asname or alias.name.split(".")[0], alias.name if alias.asname else alias.name.split(".")[0])
                for alias in node.names]
    prefix = "." * node.level + (node.module or "")
    return [(alias.asname or alias.name, f"{prefix}.{alias.name}") for alias in node.names if alias.name != "*"]


def import_bindings(source: str) -> set[tuple[str, str]]:
    """The top-level import bindings of a (trusted) cell: re-importing the same is harmless."""
    try:
        tree = parse_cell(source)
    except SyntaxError:
        return set()
    return {binding for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))
            for binding in _import_bindings(node)}


def read_names(source: str) -> set[str]:
    """Names a (trusted) cell reads."""
    try:
        tree = parse_cell(source)
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


@dataclass(frozen=True)
class Protected:
    """What learner code must leave alone: the helpers locked cells import or define, and the
    builtins the tests call."""
    names: frozenset[str]
    modules: frozenset[str]  # names bound to imports anywhere in the notebook
    # the locked cells' own imports (name, target): a learner cell may repeat them verbatim
    imports: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def from_cells(cls, locked_sources: list[str], test_sources: list[str]) -> "Protected":
        locked = set().union(*(defined_names(s) for s in locked_sources)) if locked_sources else set()
        tested_builtins = set().union(*(read_names(s) for s in test_sources)) & set(dir(builtins)) \
            if test_sources else set()
        trusted_imports = set().union(*(import_bindings(s) for s in locked_sources)) if locked_sources else set()
        return cls(frozenset(locked | tested_builtins), frozenset(), frozenset(trusted_imports))


class _Checker(ast.NodeVisitor):
    def __init__(self, where: str, protected: Protected, module_aliases: set[str]):
        self.where, self.protected, self.modules = where, protected, module_aliases
        self.found: list[Violation] = []
        self.depth = 0  # 0 = the cell's top level, where bindings reach the tests' namespace

    def flag(self, node: ast.AST, rule: str) -> None:
        self.found.append(Violation(self.where, getattr(node, "lineno", 0), rule))

    # imports --------------------------------------------------------------------------------
    def _check_module(self, node: ast.AST, module: str) -> None:
        parts = module.split(".")
        if parts[0] not in ALLOWED_MODULES:
            self.flag(node, f"imports {module!r}; the labs need only the course's libraries "
                            "and harmless standard modules")
        elif parts[0] == "labs" and len(parts) > 1 and parts[1] in INSTRUCTOR_MODULES:
            self.flag(node, f"imports the instructor tool {module!r}")

    def _check_rebinding(self, node: ast.Import | ast.ImportFrom) -> None:
        # `from operator import is_not as check` rebinds a helper the tests call, like `check = ...`
        if self.depth:
            return
        for name, target in _import_bindings(node):
            if name in self.protected.names and (name, target) not in self.protected.imports:
                self.flag(node, f"rebinds {name!r} by an import, a name a locked cell or the tests rely on; "
                                "import it under a new name")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._check_module(node, alias.name)
        self._check_rebinding(node)
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            self.flag(node, "uses a relative import")
        else:
            self._check_module(node, node.module or "")
            if node.module == "labs":
                for alias in node.names:
                    if alias.name in INSTRUCTOR_MODULES:
                        self._check_module(node, f"labs.{alias.name}")
            for alias in node.names:
                if alias.name == "*":
                    self.flag(node, f"uses 'from {node.module} import *', which can rebind names the tests use")
        self._check_rebinding(node)
        self.generic_visit(node)

    # names and attributes ---------------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        name = node.id
        if name in FORBIDDEN_BUILTINS:
            self.flag(node, f"uses {name!r}, which reaches the interpreter itself")
        elif name.startswith("__") and name.endswith("__") and name not in ALLOWED_DUNDER_NAMES:
            self.flag(node, f"uses the special name {name!r}")
        elif name.startswith(GUARD_PREFIX):
            self.flag(node, f"uses the grader's name {name!r}")
        elif name == "get_ipython":
            self.flag(node, "uses get_ipython(), which can change how the tests run")
        elif isinstance(node.ctx, (ast.Store, ast.Del)) and self.depth == 0 and name in self.protected.names:
            self.flag(node, f"rebinds {name!r}, which a locked cell or the tests rely on; use a new name")
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        attr = node.attr
        if attr.startswith("__") and attr.endswith("__") and attr not in ALLOWED_DUNDER_NAMES:
            self.flag(node, f"uses the special attribute {attr!r}")
        elif attr in FORBIDDEN_ATTRIBUTES:
            self.flag(node, f"uses the attribute {attr!r}, which leads to the interpreter, the OS or pickled code")
        elif attr.startswith(GUARD_PREFIX):
            self.flag(node, f"uses the grader's attribute {attr!r}")
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            root = node.value
            while isinstance(root, (ast.Attribute, ast.Subscript, ast.Call)):
                root = root.func if isinstance(root, ast.Call) else root.value
            if isinstance(root, ast.Name) and (root.id in self.modules or root.id in self.protected.names):
                self.flag(node, f"changes the attribute {attr!r} of {ast.unparse(node.value)!r}, "
                                "which belongs to a library or a locked cell")
        if isinstance(node.value, ast.Name) and node.value.id in self.modules and attr in INSTRUCTOR_MODULES:
            self.flag(node, f"reaches the instructor tool {node.value.id}.{attr}")
        self.generic_visit(node)

    # definitions --------------------------------------------------------------------------------
    def _scope(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if self.depth == 0 and node.name in self.protected.names:
            self.flag(node, f"redefines {node.name!r}, which a locked cell or the tests rely on; use a new name")
        for decorator in node.decorator_list:
            self.visit(decorator)
        self.visit(node.args)
        self.depth += 1
        for statement in node.body:
            self.visit(statement)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._scope(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if self.depth == 0 and node.name in self.protected.names:
            self.flag(node, f"redefines {node.name!r}, which a locked cell or the tests rely on; use a new name")
        for keyword in node.keywords:
            if keyword.arg == "metaclass":
                self.flag(node, "defines a class with a metaclass")
        for statement in node.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = statement.name
                if name.startswith("__") and name.endswith("__") and name not in ALLOWED_DUNDER_METHODS:
                    self.flag(statement, f"class {node.name} defines {name}, which changes how its objects "
                                         "compare, convert or behave for the tests")
        for item in [*node.bases, *node.decorator_list]:
            self.visit(item)
        self.depth += 1
        for statement in node.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                # the method's name was judged above; its body is checked like any function's
                self.visit(statement.args)
                self.depth += 1
                for inner in statement.body:
                    self.visit(inner)
                self.depth -= 1
            else:
                self.visit(statement)
        self.depth -= 1

    def _check_bound_name(self, node: ast.AST, name: str | None, how: str) -> None:
        if name and self.depth == 0 and name in self.protected.names:
            self.flag(node, f"rebinds {name!r} by {how}, a name a locked cell or the tests rely on; use a new name")

    # bindings that are not ast.Name nodes: `case check:`, `case [*check]`, `case {**check}`, `except E as check`
    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        self._check_bound_name(node, node.name, "a match pattern")
        self.generic_visit(node)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        self._check_bound_name(node, node.name, "a match pattern")
        self.generic_visit(node)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        self._check_bound_name(node, node.rest, "a match pattern")
        self.generic_visit(node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        self._check_bound_name(node, node.name, "an except clause")
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        for name in node.names:
            if name in self.protected.names:
                self.flag(node, f"declares 'global {name}', a name a locked cell or the tests rely on")

    def visit_Call(self, node: ast.Call) -> None:
        # `%matplotlib inline` and friends become get_ipython().run_line_magic('matplotlib', ...)
        func = node.func
        if (isinstance(func, ast.Attribute) and func.attr in ("run_line_magic", "run_cell_magic")
                and isinstance(func.value, ast.Call) and isinstance(func.value.func, ast.Name)
                and func.value.func.id == "get_ipython"):
            magic = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
            if magic in ALLOWED_MAGICS:
                for argument in node.args[1:]:
                    self.visit(argument)
                return
            self.flag(node, f"uses the IPython magic %{magic}, which can change how the tests run")
            return
        if isinstance(func, ast.Attribute) and func.attr in ("eval", "query") and (node.args or node.keywords):
            # pandas evaluates such strings with attribute lookups of its own; torch's model.eval() is fine
            self.flag(node, f"evaluates a string expression with .{func.attr}(...); use boolean indexing instead")
        if isinstance(func, ast.Name) and func.id == "type" and len(node.args) == 3:
            self.flag(node, "creates a class with type(name, bases, namespace)")
        self.generic_visit(node)


def module_aliases(trees: list[ast.Module]) -> set[str]:
    """Names bound by an import in any of the cells' ``trees`` (trusted or not), and aliases of them."""
    aliases: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                aliases.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    changed = True
    while changed:  # `x = np` makes x a module alias too
        changed = False
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.Assign):
                    root = node.value
                    while isinstance(root, ast.Attribute):
                        root = root.value
                    if isinstance(root, ast.Name) and root.id in aliases:
                        for target in node.targets:
                            if isinstance(target, ast.Name) and target.id not in aliases:
                                aliases.add(target.id)
                                changed = True
    return aliases


def violations(learner_code: list[tuple[str, str]], protected: Protected,
               trusted_sources: list[str] = ()) -> list[Violation]:
    """Every rule learner code breaks, with where; an empty list means it may run."""
    learner_trees = [(where, tree) for where, source in learner_code
                     if (tree := _parsed_or_none(source)) is not None]
    trusted_trees = [tree for source in trusted_sources if (tree := _parsed_or_none(source)) is not None]
    aliases = module_aliases([*trusted_trees, *(tree for _, tree in learner_trees)])
    found: list[Violation] = []
    for where, tree in learner_trees:
        checker = _Checker(where, protected, aliases)
        checker.visit(tree)
        found += checker.found
    return found
