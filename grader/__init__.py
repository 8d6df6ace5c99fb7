"""The grader-only part of AI Safety Labs: what must never reach a learner.

* ``datasets/``   the generators of the labs scored here, their vocabularies and templates,
                  and therefore every dataset's ground truth
* ``heldout/``    held-out items instructors add each quarter (other phrasings, formats,
                  attack families, scenarios than the learners' data shows)
* ``scorers/``    one module per lab: the held-out inputs its hidden tests hand the kernel,
                  and the scoring of what the kernel handed back, against the truth here
* ``secret.py``   the course secret that keys every learner's and every held-out seed
* ``materialize.py``, ``preprocessors.py``, ``hub.py``   how data reaches learners' kernels
                  (files, never generators) and how answers come back to be scored

This folder lives in the course repository beside ``source/``. It is not in the learner's
``labs`` package (``pyproject.toml`` packages ``labs*`` only), ``release/``, the hub image's
build context, or anything the grading sandbox can read. Code here may use ``labs``; ``labs``
never imports this package. Grader-side processes -- ``nbgrader`` with the course's
``nbgrader_config.py``, ``labs grade``/``verify``/``datasets``, the hub -- import it from the
course directory (:func:`labs.course.grader_package`).
"""
