"""A throw-away PostgreSQL server on loopback for the gradebook tests (Debian's postgresql package).

PostgreSQL refuses to run as root, so when the tests run as root the server runs as the
package's ``postgres`` user, in a data directory of its own under /tmp.
"""
from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator


def _binary(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is missing: apt-get install postgresql (make test does this as root)")
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server; yield a SQLAlchemy URL (psycopg 3) of an empty database ``gradebook``."""
    as_postgres = os.geteuid() == 0
    prefix = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"] if as_postgres else []
    home = Path(tempfile.mkdtemp(prefix="labs-pg-", dir="/tmp"))
    data, sockets = home / "data", home / "sockets"
    sockets.mkdir()
    if as_postgres:
        user = pwd.getpwnam("postgres")
        for path in (home, sockets):
            os.chown(path, user.pw_uid, user.pw_gid)
    port = _free_port()
    log = home / "server.log"
    try:
        subprocess.run([*prefix, _binary("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                        "--no-sync", "-E", "UTF8"], check=True, capture_output=True)
        subprocess.run([*prefix, _binary("pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
                        "-o", f"-h 127.0.0.1 -p {port} -k {sockets} -c fsync=off -c max_connections=100",
                        "start"], check=True, capture_output=True)
        deadline = time.monotonic() + 30
        while subprocess.run([*prefix, _binary("psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                              "-c", "CREATE DATABASE gradebook"], capture_output=True).returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not accept connections: {log.read_text()[-2000:]}")
            time.sleep(0.3)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/gradebook"
    finally:
        if data.exists():
            subprocess.run([*prefix, _binary("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                           capture_output=True)
        shutil.rmtree(home, ignore_errors=True)
