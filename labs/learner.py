"""Who is working on this notebook, and therefore whose data it sees.

The learner id is resolved in exactly one place, in this order (docs/course-design.md,
"Per-learner data"): an explicit ``LABS_LEARNER`` setting, else the nbgrader autograde directory
(``autograded/<student>/<assignment>/``), else ``JUPYTERHUB_USER``, else ``self-study``.
The learner in JupyterLab and the autograder grading them therefore see the same data.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

SELF_STUDY = "self-study"


def _autograde_student(cwd: Path) -> str | None:
    parts = cwd.resolve().parts
    if len(parts) >= 3 and parts[-3] == "autograded":
        return parts[-2]
    return None


def current_learner(cwd: Path | None = None) -> str:
    """The id whose data this session should use."""
    explicit = os.environ.get("LABS_LEARNER", "").strip()
    if explicit:
        return explicit
    student = _autograde_student(cwd or Path.cwd())
    if student:
        return student
    hub_user = os.environ.get("JUPYTERHUB_USER", "").strip()
    if hub_user:
        return hub_user
    return SELF_STUDY


def learner_seed(learner: str | None = None, purpose: str = "") -> int:
    """A stable 63-bit seed for a learner (and an optional purpose, e.g. a hidden hold-out set)."""
    learner = current_learner() if learner is None else learner
    digest = hashlib.sha256(f"ai-safety-labs|{learner}|{purpose}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1
