"""The grading policy's parser under `labs grade --workers`: its threads parse learner code at
the same time, and Python 3.11's AST constructor is not safe for that (CPython gh-106905)."""
from __future__ import annotations

import ast
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from labs.grading import policy


def test_cells_are_parsed_one_at_a_time_across_grading_threads(monkeypatch):
    inside, most = 0, 0
    counter = threading.Lock()
    real_parse = ast.parse

    def watched_parse(source, *args, **kwargs):
        nonlocal inside, most
        with counter:
            inside += 1
            most = max(most, inside)
        time.sleep(0.01)  # long enough for another thread to get in, if it may
        try:
            return real_parse(source, *args, **kwargs)
        finally:
            with counter:
                inside -= 1

    monkeypatch.setattr(policy.ast, "parse", watched_parse)
    cells = [[("cell %d" % i, f"x{i} = [k for k in range({i})]\n!ls")] for i in range(16)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        found = list(pool.map(lambda code: policy.violations(code, policy.Protected(frozenset(), frozenset())), cells))
    assert most == 1
    assert all(violations for violations in found)  # `!ls` is refused in every cell


def test_parse_cell_reads_ipython_syntax_as_the_kernel_would():
    tree = policy.parse_cell("%matplotlib inline\nx = 1")
    assert any(isinstance(node, ast.Assign) for node in tree.body)
