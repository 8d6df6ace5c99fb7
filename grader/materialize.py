"""Learners' data as files: what a kernel reads instead of running a generator.

* :func:`learner_data` -- every grader-side dataset for one learner (the hub fills a learner's
  folder with it when their server starts; ``grader/hub.py``);
* :func:`grading_data` -- one lab's datasets for the learner being graded, plus the held-out
  *inputs* of its hidden tests (``held-out.json``: inputs only, never truth), for the kernel
  ``nbgrader autograde`` runs (``grader/preprocessors.py``).

Files are readable by everyone (the sandboxed kernel runs as ``nobody``) and hold nothing the
learner may not see: their own tables and, while grading, the held-out inputs their code is
about to be run on.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from grader.datasets import generate, grader_side
from grader.scoring import Context, LabScorer
from labs.answers import HELD_OUT_FILE
from labs.datasets import write_frame


def _readable(folder: Path) -> None:
    for root, dirs, files in os.walk(folder):
        os.chmod(root, 0o755)
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)


def learner_data(ctx: Context, folder: Path, names: tuple[str, ...] | None = None) -> list[str]:
    """Write the learner's datasets (default: all grader-side ones) into ``folder``."""
    names = tuple(grader_side()) if names is None else names
    seed = ctx.data_seed()
    for name in names:
        write_frame(ctx.cached(("own", name), lambda: generate(name, seed)).data, folder, name)
    _readable(folder)
    return list(names)


def grading_data(scorer: LabScorer, ctx: Context, folder: Path) -> None:
    """The lab's datasets for this learner and its hidden tests' held-out inputs."""
    learner_data(ctx, folder, scorer.datasets)
    inputs = scorer.inputs(ctx)
    (folder / HELD_OUT_FILE).write_text(json.dumps(inputs), encoding="utf-8")
    _readable(folder)
