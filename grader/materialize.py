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

from grader.datasets import grader_side
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
    for name in names:
        write_frame(ctx.own(name).data, folder, name)  # cached: the scorer reuses the same truth
    _readable(folder)
    return list(names)


def grading_data(scorer: LabScorer, ctx: Context, folder: Path) -> None:
    """The lab's datasets for this learner and its hidden tests' held-out inputs."""
    learner_data(ctx, folder, scorer.datasets)
    held_out = folder / HELD_OUT_FILE
    held_out.write_text(json.dumps(scorer.inputs(ctx)), encoding="utf-8")
    held_out.chmod(0o644)
