"""The course secret: the key of every learner's and every held-out seed.

Seeds were once a public hash of the learner id: anyone could recompute a held-out seed. They are
now an HMAC under a secret only the grader and the hub hold. It lives in the file named by
``LABS_COURSE_SECRET_FILE``, else ``<course>/.secrets/course-secret`` (git-ignored), created on
first use with mode 0600. Back it up with the gradebook: with a new secret every learner's data
and every held-out set change, so a regrade of work handed in under the old secret scores
answers computed on other data (they fail), and learners on the hub see new data after their
server restarts.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

SECRET_FILE_VARIABLE = "LABS_COURSE_SECRET_FILE"
DEFAULT_LOCATION = Path(".secrets") / "course-secret"
SECRET_BYTES = 32


class SecretError(RuntimeError):
    """The course secret cannot be read or created; the message says what to do."""


def secret_path(course_dir: Path) -> Path:
    configured = os.environ.get(SECRET_FILE_VARIABLE, "").strip()
    return Path(configured) if configured else Path(course_dir) / DEFAULT_LOCATION


def course_secret(course_dir: Path, may_create: bool = True) -> bytes:
    """The secret, created on first use when ``may_create`` (atomically: two graders starting at
    once agree). A caller that knows work was graded under a secret passes ``may_create=False``:
    a missing secret then is an error, not a new secret that silently changes everyone's data."""
    path = secret_path(course_dir)
    if not path.exists():
        if not may_create:
            raise SecretError(f"the course secret {path} is missing, but submissions were already graded with one: "
                              f"restore it from the backup (or set {SECRET_FILE_VARIABLE} to where it is). A new "
                              "secret would give every learner other data and other held-out items than they "
                              "were graded on; to start over on purpose, create the file yourself "
                              "(python -c 'import secrets; print(secrets.token_hex(32))' > FILE; chmod 600 FILE)")
        _create(path)
    try:
        text = path.read_text().strip()
        key = bytes.fromhex(text)
    except (OSError, ValueError) as error:
        raise SecretError(f"the course secret {path} is unreadable or not hex ({error}); restore it from "
                          f"the backup, or set {SECRET_FILE_VARIABLE} to its location") from error
    if len(key) < 16:
        raise SecretError(f"the course secret {path} is too short ({len(key)} bytes); restore it from the backup")
    return key


def _create(path: Path) -> None:
    """Write a new secret beside ``path`` and link it into place: readers never see a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    draft = path.with_name(f".{path.name}.{os.getpid()}.new")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_hex(SECRET_BYTES) + "\n")
    try:
        os.link(draft, path)
    except FileExistsError:
        pass  # another grader created it first: use theirs
    finally:
        draft.unlink()


def keyed_seed(secret: bytes, learner: str, purpose: str) -> int:
    """A 63-bit seed for a learner and a purpose (a dataset, a held-out set) under the secret."""
    digest = hmac.new(secret, f"{learner}\x1f{purpose}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> 1
