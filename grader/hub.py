"""The hub's data delivery: each learner's data, made on the grader's side when their server starts.

JupyterHub calls :class:`LearnerData` as its ``Spawner.pre_spawn_hook`` (wired in
``deploy/jupyterhub/jupyterhub_config.py``). Before a learner's server starts, the learner's
materialized datasets -- :func:`grader.materialize.learner_data`, the files ``labs grade`` gives
their kernel at grading, keyed with the course secret -- are written into a folder of their own
under a data root (``/srv/ai-safety-labs/data/<user>`` by default), and ``LABS_DATA_DIR`` in the
server's environment points at it: ``labs.datasets.load(name)`` in their kernels reads it. The
learner id is the hub user name: the ``JUPYTERHUB_USER`` that :func:`labs.learner.current_learner`
reads and nbgrader's student id on the hub, so what a learner works on is what the grader scores.

What the learner's server gets: the folder (tables and column types; no truth, no held-out item)
and ``LABS_DATA_DIR``. What it never gets: the course secret or its location, a seed,
``LABS_GUARD_KEY``, ``LABS_LEARNER``: every ``LABS_*`` variable but ``LABS_DATA_DIR`` is dropped
from the server's environment and from what it inherits (``Spawner.env_keep``). The secret stays
where the data is made (:mod:`grader.secret`: ``LABS_COURSE_SECRET_FILE``, else
``<course>/.secrets/course-secret``, the same file ``labs grade`` reads).

Where the data is made:

* **in a child process of the hub** (a pilot hub on one machine, the smoke test): the course's
  Python runs ``python -m grader.hub materialize`` in the course directory, so the hub never
  imports pandas or the generators and keeps serving while a learner's data is written (about a
  second). The hub (root on a pilot) owns the folder: learners read it, they cannot change it.
* **by a data maker beside the hub** (Kubernetes, ``maker_socket=``): a sidecar container of the
  hub pod, running the course's single-user image (the exact versions the grader uses, so the
  bytes agree) with the course checkout and the secret, serves ``python -m grader.hub serve``
  on a Unix socket in a volume it shares with the hub container only. It writes into the data
  volume (ReadWriteMany); the hook mounts the learner's sub-folder of it read-only into the
  learner's pod (``kubernetes_claim=``, ``mount_path=``). The hub container needs neither the
  secret nor pandas. See ``deploy/jupyterhub/README.md``, "Kubernetes".

The folder is replaced as a whole on every start: after a generator change or a new secret the
learner sees the data the grader will use. This module imports only the standard library at the
top: the hub loads it in its own process.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

DATA_DIR_VARIABLE = "LABS_DATA_DIR"  # labs.datasets.DATA_DIR_VARIABLE (not imported: the hub stays light)
DEFAULT_DATA_ROOT = Path("/srv/ai-safety-labs/data")
DEFAULT_MOUNT_PATH = "/srv/ai-safety-labs/data"
VOLUME_NAME = "learner-data"
MATERIALIZE_TIMEOUT = 300  # seconds; a learner's data takes about one
MAX_REQUEST_BYTES = 4096
#: The only ``LABS_*`` variable a learner's server may have. Everything else of that family --
#: the secret's location, the guard key, a hub-wide learner id -- stays with the hub.
PASSED_VARIABLES = (DATA_DIR_VARIABLE,)

log = logging.getLogger(__name__)

_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}")


class DeliveryError(RuntimeError):
    """A learner's data could not be made; the spawn fails with this message. It is shown to the
    learner, so it never carries the child's output (a traceback quotes grader code): that goes
    to the log of the process that made the data (the hub's, or the data maker's)."""


def learner_id(spawner) -> str:
    """The learner a server is for: the hub user name, as ``JUPYTERHUB_USER`` carries it."""
    return spawner.user.name.strip()


def folder_name(learner: str) -> str:
    """The learner's folder under the data root: the name itself when it is a plain file name,
    else an unambiguous escape (``_`` and the name's UTF-8 in hex; plain names never start with ``_``)."""
    if _PLAIN_NAME.fullmatch(learner) and ".." not in learner:
        return learner
    return "_" + learner.encode("utf-8").hex()


def existing_secret(course_dir: Path) -> bytes:
    """The course secret, which the hub never creates: the grader does, on first use (or the
    instructor, by hand). A hub that made a missing secret would silently give every learner other
    data than the one their work was graded on (grader/secret.py, "a lost secret")."""
    from grader.secret import SECRET_FILE_VARIABLE, course_secret, secret_path

    path = secret_path(Path(course_dir))
    if not path.is_file():
        raise DeliveryError(
            f"the course secret {path} does not exist. The grader creates it on first use (labs grade, labs "
            f"verify); on a new course create it as the grader account: cd {course_dir} && python -c "
            "'from grader.secret import course_secret; course_secret(\".\")'. If it was lost, restore it from the "
            f"backup. Set {SECRET_FILE_VARIABLE} (for the hub and the grader alike) if it lives elsewhere.")
    return course_secret(Path(course_dir))


def materialize(course_dir: Path, learner: str, folder: Path) -> list[str]:
    """Write ``learner``'s datasets into ``folder``, in this process (the course's environment)."""
    from grader.materialize import learner_data
    from grader.scoring import Context

    secret = existing_secret(course_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return learner_data(Context(lab="", learner=learner, secret=secret), folder)


def _replace(new: Path, folder: Path) -> None:
    """Put the freshly made ``new`` where ``folder`` is (nothing of the old data survives)."""
    old = folder.with_name(f".old-{folder.name}-{uuid.uuid4().hex}")
    try:
        os.rename(folder, old)
    except FileNotFoundError:
        old = None
    os.rename(new, folder)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


class DataMaker:
    """Makes learners' folders under ``root`` from the course in ``course_dir`` (which holds
    ``grader/`` and, by default, the secret), each in a child process of the course's Python."""

    def __init__(self, course_dir, root=DEFAULT_DATA_ROOT, *, python: str | None = None, concurrency: int = 2):
        self.course_dir = Path(course_dir).resolve()
        self.root = Path(root)
        self.python = python or sys.executable
        self._locks: dict[str, asyncio.Lock] = {}
        self._slots = asyncio.Semaphore(max(1, concurrency))
        if not (self.course_dir / "grader" / "__init__.py").is_file():
            raise DeliveryError(f"{self.course_dir} has no grader/: point the hub at the course repository "
                                "(COURSE_DIR), the checkout the grader grades in")

    def __deepcopy__(self, memo):
        return self  # one maker per hub: its locks and its limit span every spawner

    def check_secret(self) -> None:
        """Fail when the hub (or the data maker) starts, not at a learner's first spawn, if the
        secret is missing or unreadable."""
        existing_secret(self.course_dir)

    async def make(self, learner: str) -> str:
        """Make (or remake) ``learner``'s folder; return its name under the root."""
        if not learner or len(learner) > 256:
            raise DeliveryError(f"not a learner id: {learner[:80]!r}")
        name = folder_name(learner)
        async with self._locks.setdefault(name, asyncio.Lock()), self._slots:
            await self._make(learner, self.root / name)
        return name

    async def _make(self, learner: str, folder: Path) -> None:
        if not self.root.is_dir():
            self.root.mkdir(parents=True, mode=0o755)
        new = Path(tempfile.mkdtemp(prefix=f".new-{folder.name}-", dir=self.root))
        try:
            command = [self.python, "-m", "grader.hub", "materialize", "--course-dir", str(self.course_dir),
                       "--learner", learner, "--folder", str(new)]
            # The hub's own credentials (the proxy's token, the hub's keys) are not the child's business.
            env = {key: value for key, value in os.environ.items()
                   if not key.startswith(("CONFIGPROXY_", "JUPYTERHUB_")) and key != "PYTHONSAFEPATH"}
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(self.course_dir), env.get("PYTHONPATH")]))
            process = await asyncio.create_subprocess_exec(
                *command, cwd=self.course_dir, env=env, stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
            try:
                output, _ = await asyncio.wait_for(process.communicate(), MATERIALIZE_TIMEOUT)
            except asyncio.TimeoutError:
                process.kill()
                await process.wait()
                raise DeliveryError(f"making {learner}'s data took over {MATERIALIZE_TIMEOUT}s") from None
            if process.returncode != 0:
                tail = "\n".join(output.decode(errors="replace").strip().splitlines()[-15:])
                log.error("making %s's data failed (exit %s):\n%s", learner, process.returncode, tail)
                raise DeliveryError(f"the course could not make {learner}'s data; the reason is in the log of "
                                    "the hub (or of its data maker). Ask an instructor.")
            os.chmod(new, 0o755)
            _replace(new, folder)
        finally:
            shutil.rmtree(new, ignore_errors=True)


class LearnerData:
    """``c.Spawner.pre_spawn_hook = LearnerData(course_dir, root)``.

    ``course_dir``: the course repository (with ``grader/``), the one the grader grades in.
    ``root``: where learners' folders are written. ``python``: the interpreter that makes the data
    (the course's environment; default the hub's). On Kubernetes instead: ``maker_socket``, the
    data maker's socket (:func:`serve`; then ``course_dir`` is not needed and the hub holds no
    secret), ``kubernetes_claim``, the data volume's PersistentVolumeClaim, and ``mount_path``,
    where each learner's pod sees its own folder (read-only). ``concurrency``: learners' data
    made at once (each takes one CPU for about a second).
    """

    def __init__(self, course_dir=None, root=DEFAULT_DATA_ROOT, *, maker_socket: str | None = None,
                 kubernetes_claim: str | None = None, mount_path: str = DEFAULT_MOUNT_PATH,
                 python: str | None = None, concurrency: int = 2):
        self.root = Path(root)
        self.maker_socket = maker_socket
        self.kubernetes_claim = kubernetes_claim
        self.mount_path = mount_path
        self.maker = None
        if maker_socket is None:
            if course_dir is None:
                raise DeliveryError("LearnerData needs the course directory, or the data maker's socket")
            self.maker = DataMaker(course_dir, root, python=python, concurrency=concurrency)
            self.maker.check_secret()

    def __deepcopy__(self, memo):
        # traitlets deep-copies config values into every spawner; the hook is one object per hub
        return self

    async def _ask(self, learner: str) -> str:
        reader, writer = await asyncio.open_unix_connection(self.maker_socket)
        try:
            writer.write(json.dumps({"learner": learner}).encode() + b"\n")
            await writer.drain()
            line = await asyncio.wait_for(reader.readline(), MATERIALIZE_TIMEOUT + 30)
        finally:
            writer.close()
        try:
            reply = json.loads(line)
        except ValueError:
            raise DeliveryError(f"the data maker at {self.maker_socket} gave no answer for {learner}") from None
        if "error" in reply:
            raise DeliveryError(str(reply["error"]))
        if reply.get("folder") != folder_name(learner):
            raise DeliveryError(f"the data maker answered {reply!r} for {learner}")
        return reply["folder"]

    def server_environment(self, spawner, name: str) -> None:
        """Point the server at its folder; drop every other ``LABS_*`` variable it would get."""
        withheld = lambda key: key.startswith("LABS_") and key not in PASSED_VARIABLES  # noqa: E731
        environment = {key: value for key, value in dict(spawner.environment).items() if not withheld(key)}
        spawner.env_keep = [key for key in spawner.env_keep if not withheld(key)]
        if self.kubernetes_claim:
            environment[DATA_DIR_VARIABLE] = self.mount_path
            _add(spawner, "volumes", {
                "name": VOLUME_NAME, "persistentVolumeClaim": {"claimName": self.kubernetes_claim, "readOnly": True}})
            _add(spawner, "volume_mounts", {
                "name": VOLUME_NAME, "mountPath": self.mount_path, "subPath": name, "readOnly": True})
        else:
            environment[DATA_DIR_VARIABLE] = str(self.root / name)
        spawner.environment = environment

    async def __call__(self, spawner) -> None:
        learner = learner_id(spawner)
        spawner.log.info("Making %s's data for their server", learner)
        name = await (self._ask(learner) if self.maker_socket else self.maker.make(learner))
        self.server_environment(spawner, name)


def _add(spawner, trait: str, item: dict) -> None:
    """Add a volume or a mount to a KubeSpawner list (or dict, newer KubeSpawner) trait, once."""
    current = getattr(spawner, trait)
    if isinstance(current, dict):
        setattr(spawner, trait, {**current, item["name"]: item})
    else:
        setattr(spawner, trait, [entry for entry in current if entry.get("name") != item["name"]] + [item])


async def serve(maker: DataMaker, socket_path: str, *, ready=None) -> None:
    """The data maker: one JSON line in (``{"learner": ...}``), one out (``{"folder": ...}`` or
    ``{"error": ...}``), per connection, until cancelled."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await reader.readline()
            if len(line) > MAX_REQUEST_BYTES:
                raise DeliveryError("request too long")
            learner = json.loads(line)["learner"]
            if not isinstance(learner, str):
                raise DeliveryError("the learner id must be a string")
            reply = {"folder": await maker.make(learner)}
        except Exception as error:  # one bad request must not stop the maker
            reply = {"error": f"{type(error).__name__}: {error}"}
        writer.write(json.dumps(reply).encode() + b"\n")
        try:
            await writer.drain()
        finally:
            writer.close()

    path = Path(socket_path)
    path.unlink(missing_ok=True)
    server = await asyncio.start_unix_server(answer, path=str(path), limit=MAX_REQUEST_BYTES * 2)
    os.chmod(path, 0o600)  # the hub container runs as the same uid
    if ready is not None:
        ready.set()
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.hub", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("materialize", help="write one learner's data into a folder")
    one.add_argument("--course-dir", type=Path, required=True)
    one.add_argument("--learner", required=True)
    one.add_argument("--folder", type=Path, required=True)
    maker = commands.add_parser("serve", help="the data maker beside a Kubernetes hub")
    maker.add_argument("--course-dir", type=Path, required=True)
    maker.add_argument("--root", type=Path, required=True, help="the data volume (learners' folders)")
    maker.add_argument("--socket", required=True, help="Unix socket the hub's hook connects to")
    maker.add_argument("--concurrency", type=int, default=2, help="learners' data made at once")
    args = parser.parse_args(argv)
    if args.command == "materialize":
        written = materialize(args.course_dir, args.learner, args.folder)
        print(f"{len(written)} datasets for {args.learner} in {args.folder}")
        return 0

    async def run() -> None:
        data_maker = DataMaker(args.course_dir, args.root, concurrency=args.concurrency)
        data_maker.check_secret()
        await serve(data_maker, args.socket)

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
