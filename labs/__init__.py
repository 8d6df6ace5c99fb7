"""AI Safety Labs: hands-on, autograded AI-safety training.

Importing ``labs`` first makes the heavy dependencies (TextAttack, transformers, NLTK) work
offline; see :mod:`labs.offline`.
"""
from labs import offline as _offline

_offline.prepare()

from labs.learner import current_learner, learner_seed  # noqa: E402

__all__ = ["current_learner", "learner_seed"]
