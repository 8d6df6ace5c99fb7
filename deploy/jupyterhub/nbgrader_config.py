"""nbgrader's global configuration on the course hub: install as /etc/jupyter/nbgrader_config.py
in the single-user image (Dockerfile) and on a pilot hub machine.

Every server reads it: learners' servers (the Assignments tab lists, fetches and submits
through the exchange) and the grader service, whose course directory adds the course's own
nbgrader_config.py (the repository's) on top.

One course on this hub, so the course id is set here, as in nbgrader's "JupyterHub with one
course" setup: every learner sees ``ai-safety-labs`` in the Assignments tab without choosing.
Enrolment for the compliance roster is the HR import (``labs learners import``), not hub groups.
"""
import os

c = get_config()  # noqa: F821 -- provided by nbgrader / Jupyter when it loads this file

c.CourseDirectory.course_id = "ai-safety-labs"

# The exchange: a directory every server mounts at the same path (on Kubernetes a ReadWriteMany
# volume). The hub passes NBGRADER_EXCHANGE_ROOT to every server, so it is set in one place
# (deploy/jupyterhub/jupyterhub_config.py, or singleuser.extraEnv on Kubernetes).
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE_ROOT", "/srv/nbgrader/exchange")
# One course: released files live in <root>/ai-safety-labs/outbound/<assignment>/ and fetched
# assignments in the learner's home as <assignment>/ (nbgrader's defaults).
c.Exchange.path_includes_course = False
