"""The roster's configuration, read from ``nbgrader_config.py`` like nbgrader's own settings.

    c.RosterPolicy.pass_mark = 0.8
    c.RosterPolicy.role_tiers = {"software-engineer": "F", "ml-engineer": "A", "architect": "G"}
    c.RosterPolicy.renewal_days = 365
    c.RosterPolicy.due_soon_days = 30

``labs roster`` and ``nbgrader export --exporter=labs.roster.RosterExportPlugin`` both build the
policy from the same traitlets config, so the two entry points can never disagree.
"""
from __future__ import annotations

import logging
from pathlib import Path

from traitlets import Dict, Float, Int, TraitError, Unicode, default, validate
from traitlets.config import LoggingConfigurable

from labs.manifest import MANIFEST_PATH, TIERS

#: Tier order: a higher tier includes every exercise of the lower ones.
TIER_ORDER = tuple(TIERS)  # ("F", "A", "G")


_RANK = {tier: rank for rank, tier in enumerate(TIER_ORDER)}


def tier_rank(tier: str) -> int:
    return _RANK[tier]


class RosterPolicy(LoggingConfigurable):
    """Pass mark, role -> required tier, renewal and due-soon windows, where the ledger lives."""

    pass_mark = Float(0.8, help="Fraction of the points per competency a tier needs (0.8 = 80 %).").tag(config=True)

    role_tiers = Dict(
        {
            "software-engineer": "F",
            "data-engineer": "F",
            "security-analyst": "F",
            "ml-engineer": "A",
            "data-scientist": "A",
            "lead-engineer": "G",
            "architect": "G",
        },
        help="HR role -> required tier (F, A or G). Roles not listed are rejected at import.",
    ).tag(config=True)

    default_tier = Unicode(
        "F", help="Required tier of a learner whose role is unknown (in the gradebook but not in the "
                  "HR directory): Foundational is required of all technical staff.",
    ).tag(config=True)

    renewal_days = Int(365, help="A completion is valid for this many days.").tag(config=True)
    due_soon_days = Int(30, help="A completion expiring within this many days is 'due-soon'.").tag(config=True)

    ledger_url = Unicode(
        "", help="SQLAlchemy URL of the learner directory and completions ledger "
                 "(default: sqlite:///<course root>/roster.db).",
    ).tag(config=True)

    manifest_path = Unicode(
        "", help="The curriculum manifest (default: the one shipped in labs/curriculum.toml); "
                 "a relative path is resolved against the course root.",
    ).tag(config=True)

    @validate("pass_mark")
    def _check_pass_mark(self, proposal):
        if not 0 < proposal.value <= 1:
            raise TraitError(f"RosterPolicy.pass_mark must be in (0, 1], got {proposal.value!r}")
        return proposal.value

    @validate("role_tiers")
    def _check_role_tiers(self, proposal):
        bad = {role: tier for role, tier in proposal.value.items() if tier not in TIER_ORDER}
        if bad:
            raise TraitError(f"RosterPolicy.role_tiers: tiers must be one of {list(TIER_ORDER)}, got {bad}")
        return proposal.value

    @validate("default_tier")
    def _check_default_tier(self, proposal):
        if proposal.value not in TIER_ORDER:
            raise TraitError(f"RosterPolicy.default_tier must be one of {list(TIER_ORDER)}")
        return proposal.value

    @validate("renewal_days", "due_soon_days")
    def _check_days(self, proposal):
        if proposal.value < 0 or (proposal.trait.name == "renewal_days" and proposal.value == 0):
            raise TraitError(f"RosterPolicy.{proposal.trait.name} must be positive, got {proposal.value!r}")
        return proposal.value

    @default("log")
    def _log_default(self):
        return logging.getLogger("labs.roster")

    def ledger_url_for(self, course_root: Path) -> str:
        return self.ledger_url or f"sqlite:///{Path(course_root).resolve() / 'roster.db'}"

    def manifest_for(self, course_root: Path) -> Path:
        if not self.manifest_path:
            return MANIFEST_PATH
        path = Path(self.manifest_path)
        return path if path.is_absolute() else Path(course_root) / path

    def required_tier(self, role: str | None) -> str | None:
        """The tier a role needs, or None when the role is not configured."""
        return self.role_tiers.get(role) if role else None

    def describe(self) -> dict:
        return {"pass_mark": self.pass_mark, "role_tiers": dict(self.role_tiers), "default_tier": self.default_tier,
                "renewal_days": self.renewal_days, "due_soon_days": self.due_soon_days}


def course_app(course_root: Path):
    """An nbgrader application initialised on ``course_root``: it reads ``nbgrader_config.py``
    from the Jupyter config path and the course root exactly as ``nbgrader export`` does, so
    ``app.coursedir.db_url`` and ``RosterPolicy(parent=app)`` see the same configuration."""
    from nbgrader.apps.baseapp import NbGrader

    class LabsRosterApp(NbGrader):
        name = "labs-roster"
        # The course root's config is loaded by initialize(root=...); the caller's working
        # directory is not the course (`labs --course-dir ...`), so don't read it.
        load_cwd_config = False

        def load_config_file(self, **kwargs):
            # Skip NbGrader's "No nbgrader_config.py file found" warning about the user-level
            # config directories: the course root's file is loaded next, by initialize().
            super(NbGrader, self).load_config_file(**kwargs)

    app = LabsRosterApp(log_level=logging.WARNING)
    app.initialize([], root=str(Path(course_root).resolve()))
    return app
