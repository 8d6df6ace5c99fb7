"""JupyterHub configuration for the AI Safety Labs course hub (one course: ``ai-safety-labs``).

Run it for a pilot on one Linux machine (README.md, "A pilot hub on one machine"):

    jupyterhub -f deploy/jupyterhub/jupyterhub_config.py

It follows nbgrader's "JupyterHub with one course" setup, updated for JupyterHub 5+ roles
(tested here with JupyterHub 6.1):

- groups: ``instructors`` and ``learners`` say what people may do on the hub; nbgrader's own
  ``formgrade-ai-safety-labs`` (who may open the formgrader) and ``nbgrader-ai-safety-labs``
  (who takes the course) hold the same people, because nbgrader looks for those names;
- the formgrader runs as a hub service named after the course (``/services/ai-safety-labs/``),
  in the course directory (a checkout of this repository), as the grader's account;
- every server gets the exchange root and the course id through ``nbgrader_config.py`` (next to
  this file; install it as ``/etc/jupyter/nbgrader_config.py``).

Everything site-specific comes from the environment, so the same file serves the pilot and the
smoke test (tests/test_jupyterhub.py, which replaces only the authenticator and the spawner):

    COURSE_INSTRUCTORS   comma-separated hub user names of the instructors
    COURSE_LEARNERS      comma-separated hub user names of the learners
    HUB_ADMINS           comma-separated hub administrators (optional)
    COURSE_DIR           the course directory the grader service runs in, a checkout of the
                         course repository with its grader-only grader/
                         (default /srv/nbgrader/ai-safety-labs)
    COURSE_DATA_ROOT     where the hub writes each learner's data, one folder per learner
                         (default /srv/ai-safety-labs/data)
    LABS_COURSE_SECRET_FILE  the course secret, if not <COURSE_DIR>/.secrets/course-secret
                         (grader/secret.py; the hub and the grader must read the same file)
    COURSE_GRADER_USER   system account of the grader service (default grader-ai-safety-labs)
    COURSE_GRADER_PORT   loopback port of the grader service (default 9999)
    NBGRADER_EXCHANGE_ROOT  the shared exchange directory (default /srv/nbgrader/exchange)

On Kubernetes, Zero to JupyterHub writes its own jupyterhub_config.py; kubernetes/config.yaml
carries the same groups, roles, service and environment in the chart's values.
"""
import os
import sys

c = get_config()  # noqa: F821 -- provided by JupyterHub when it loads this file

COURSE_ID = "ai-safety-labs"
EXCHANGE_ROOT = os.environ.get("NBGRADER_EXCHANGE_ROOT", "/srv/nbgrader/exchange")
COURSE_DIR = os.environ.get("COURSE_DIR", f"/srv/nbgrader/{COURSE_ID}")
DATA_ROOT = os.environ.get("COURSE_DATA_ROOT", "/srv/ai-safety-labs/data")
GRADER_USER = os.environ.get("COURSE_GRADER_USER", f"grader-{COURSE_ID}")
GRADER_PORT = int(os.environ.get("COURSE_GRADER_PORT", "9999"))

# nbgrader finds courses and formgraders by these group names; do not rename them.
FORMGRADE_GROUP = f"formgrade-{COURSE_ID}"
NBGRADER_GROUP = f"nbgrader-{COURSE_ID}"


def _names(variable: str) -> list[str]:
    return sorted({name.strip() for name in os.environ.get(variable, "").split(",") if name.strip()})


INSTRUCTORS = _names("COURSE_INSTRUCTORS")
LEARNERS = _names("COURSE_LEARNERS")

# ---- Who may log in ----------------------------------------------------------------------
# The pilot uses the default PAM authenticator (system accounts on the hub machine). With the
# company's SSO, set c.JupyterHub.authenticator_class (e.g. oauthenticator's GenericOAuthenticator)
# and, if the identity provider sends groups, let it manage them (Authenticator.manage_groups)
# instead of load_groups below.
c.Authenticator.allowed_users = set(INSTRUCTORS) | set(LEARNERS)
c.Authenticator.admin_users = set(_names("HUB_ADMINS"))

# ---- Groups ------------------------------------------------------------------------------
# load_groups only ever adds members; removing someone is done in the admin page or the API.
c.JupyterHub.load_groups = {
    "instructors": {"users": INSTRUCTORS},
    "learners": {"users": LEARNERS},
    # nbgrader: who may open the course's formgrader ...
    FORMGRADE_GROUP: {"users": INSTRUCTORS},
    # ... and who takes the course (instructors too, to see what learners see).
    NBGRADER_GROUP: {"users": sorted(set(LEARNERS) | set(INSTRUCTORS))},
}

# ---- Roles (JupyterHub 5+: nothing beyond one's own server unless a role grants it) -------
c.JupyterHub.load_roles = [
    {
        "name": "course-instructor",
        "description": "See learners in the admin page, restart a stuck learner server, manage enrolment",
        "groups": ["instructors"],
        "scopes": [
            "admin-ui",
            "list:users",
            "read:users",
            "read:servers",
            # start and stop learners' servers, but not open them: their work reaches
            # instructors through the exchange (submit / collect), not by browsing their files.
            "servers!group=learners",
            "groups!group=learners",
            f"groups!group={NBGRADER_GROUP}",
        ],
    },
    {
        "name": FORMGRADE_GROUP,
        "description": "Open the course's formgrader service",
        "groups": [FORMGRADE_GROUP],
        "scopes": [
            f"access:services!service={COURSE_ID}",
            # nbgrader's course list finds the formgrader through the services API.
            "list:services",
            f"read:services!service={COURSE_ID}",
        ],
    },
    {
        "name": NBGRADER_GROUP,
        "description": "Take the course",
        "groups": [NBGRADER_GROUP],
        "scopes": ["list:services", f"read:services!service={COURSE_ID}"],
    },
    {
        # The token each single-user server gets. JupyterHub 5+ defaults to activity only;
        # nbgrader's course list asks the hub for the formgrader with this token. Scopes are
        # intersected with the owner's, so a learner's server still cannot open the formgrader.
        "name": "server",
        "scopes": [
            "users:activity!user",
            "access:servers!server",
            "list:services",
            f"read:services!service={COURSE_ID}",
            f"access:services!service={COURSE_ID}",
        ],
    },
]

# ---- The formgrader: a shared grading server in the course directory ----------------------
# nbgrader's convention: the service's name is the course id. It runs `jupyterhub-singleuser`
# as GRADER_USER (the hub starts it; the hub must then run as root), with the course's own
# nbgrader_config.py in COURSE_DIR. Only the formgrade group may open it.
c.JupyterHub.services = [
    {
        "name": COURSE_ID,
        "url": f"http://127.0.0.1:{GRADER_PORT}",
        "command": ["jupyterhub-singleuser"],
        "user": GRADER_USER,
        "cwd": COURSE_DIR,
        "environment": {
            "JUPYTERHUB_DEFAULT_URL": "/lab",
            "NBGRADER_EXCHANGE_ROOT": EXCHANGE_ROOT,
        },
        "oauth_no_confirm": True,
    },
]

# ---- Learners' (and instructors') single-user servers ------------------------------------
c.Spawner.default_url = "/lab"
# JupyterHub already sets JUPYTERHUB_USER in every server's environment, and kernels inherit
# it: it is the learner id (labs.learner) and nbgrader's student id, the one the hub makes the
# learner's data for (below). LABS_LEARNER is deliberately not passed (a hub-wide LABS_LEARNER
# would give everyone the same data); the data hook drops it and every LABS_* variable but
# LABS_DATA_DIR.
c.Spawner.environment = {
    "NBGRADER_EXCHANGE_ROOT": EXCHANGE_ROOT,
}
# Culling idle servers: add jupyterhub-idle-culler as a service (Zero to JupyterHub does this
# with cull.enabled); not needed for a pilot.

# ---- Each learner's data, made on the grader's side when their server starts -------------
# Learners receive data, not generators: before a server starts, the hub writes that learner's
# datasets (keyed with the course secret, the same the grader scores against) into
# DATA_ROOT/<user> and sets LABS_DATA_DIR there; labs.datasets.load reads it. The hub imports
# the grader-only package from the course directory (it is in no image and no wheel) and holds
# the course secret; the learner's server gets neither, nor any other LABS_* variable
# (grader/hub.py). The hub never creates the secret (the grader does, on first use): it refuses
# to start when the secret is missing or unreadable.
if COURSE_DIR not in sys.path:
    sys.path.insert(0, COURSE_DIR)
from grader.hub import LearnerData  # noqa: E402 -- from COURSE_DIR, just put on the path

c.Spawner.pre_spawn_hook = LearnerData(COURSE_DIR, DATA_ROOT)
