"""Run one learner's Jupyter kernel in a sandbox: no network, resource limits, an unprivileged
user, and a file system that shows only what the notebook may see.

nbgrader starts kernels through Jupyter's kernelspecs. ``labs grade`` writes a ``python3``
kernelspec whose command is this module (``python -m labs.grading.sandbox CONNECTION_FILE``),
and points ``JUPYTER_PATH`` at it for the ``nbgrader autograde`` it runs; nothing of nbgrader is
patched. This module then starts the real ipykernel under, from the outside in:

* ``bwrap`` (bubblewrap, Debian's package): new network, PID, IPC and UTS namespaces (the network
  namespace has only its own loopback, so nothing is reachable), and a new mount namespace where
  the system's libraries, Python and the installed packages are read-only, the learner's scratch
  directory (nbgrader's ``autograded/<student>/<assignment>/``) is the only writable place next
  to a fresh home and a small /tmp, and the course directory (``source/``, the gradebook,
  ``nbgrader_config.py``, other learners' work) does not exist;
* ``prlimit`` (util-linux): CPU seconds, address space, processes, file size, open files, no core;
* ``setpriv`` (util-linux): an unprivileged user (``nobody``) with no capabilities and
  ``no_new_privs``, when the grader runs as root; otherwise the grader's own, unprivileged, user.

The kernel talks to nbgrader over Unix sockets (Jupyter's ``ipc`` transport) in a directory bound
into the sandbox, since a kernel without a network cannot reach the grader's TCP loopback.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

REQUIRED_TOOLS = ("bwrap", "prlimit", "setpriv")
DATA_DIR_VARIABLE = "LABS_DATA_DIR"  # labs.datasets.DATA_DIR_VARIABLE; this module stays import-light
KERNEL_NAME = "python3"
UNPRIVILEGED_UID = 65534  # nobody
UNPRIVILEGED_GID = 65534  # nogroup

# Environment of the nbgrader process that configures the launcher.
ENV_CONFIG = "LABS_SANDBOX_CONFIG"

# Files of /etc a Python kernel needs; the rest of /etc (a system-wide Jupyter or nbgrader
# configuration among it) stays outside.
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "passwd", "group", "nsswitch.conf",
             "localtime", "timezone", "ssl", "ca-certificates", "alternatives", "fonts", "mime.types",
             "host.conf", "hosts")
SYSTEM_DIRS = ("usr", "bin", "lib", "lib32", "lib64", "libx32", "sbin")
# Variables passed into the sandbox; everything else (tokens, the instructor's settings) is not.
PASSED_VARIABLES = ("LANG", "LC_ALL", "TZ", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                    "NBGRADER_EXECUTION", "PYTHONHASHSEED", "LABS_GUARD_KEY")


class SandboxUnavailable(RuntimeError):
    """The sandbox tools are missing; the message says how to install them."""


@dataclass(frozen=True)
class Limits:
    """Per-kernel limits. Memory is address space, so it must leave room for torch's mappings."""
    cpu_seconds: int = 1200
    memory_bytes: int = 8 * 2**30
    processes: int = 512         # threads count: torch and BLAS start one per core
    file_bytes: int = 256 * 2**20
    open_files: int = 1024
    tmp_bytes: int = 256 * 2**20


@dataclass(frozen=True)
class SandboxConfig:
    """What the launcher needs to know, passed from ``labs grade`` through the environment."""
    read_only: tuple[str, ...]   # besides the system: Python, the environment, the labs package, datasets
    home_template: str           # copied into each kernel's fresh home (warm caches, offline data)
    limits: Limits

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls, text: str) -> "SandboxConfig":
        data = json.loads(text)
        return cls(read_only=tuple(data["read_only"]), home_template=data["home_template"],
                   limits=Limits(**data["limits"]))


def check_tools() -> None:
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if missing:
        raise SandboxUnavailable(
            f"the grading sandbox needs {', '.join(missing)} on PATH. On Debian/Ubuntu: "
            "apt-get install bubblewrap util-linux (make test and make demo do this when run as root)."
        )


def python_read_only_paths() -> list[str]:
    """The interpreter and the environment the kernel imports from (read-only in the sandbox)."""
    import labs

    paths = {sys.base_prefix, sys.prefix, str(Path(labs.__file__).resolve().parent)}
    return sorted(paths)


def write_kernelspec(jupyter_path: Path) -> Path:
    """A ``python3`` kernelspec under ``jupyter_path/kernels`` that starts kernels through this module."""
    folder = jupyter_path / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "labs.grading.sandbox", "{connection_file}"],
        "display_name": "Python 3 (AI Safety Labs grading sandbox)",
        "language": "python",
        # A signal sent to bwrap would not reach the kernel; an interrupt message does.
        "interrupt_mode": "message",
    }
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1))
    return folder


def _system_binds() -> list[str]:
    args: list[str] = []
    for name in SYSTEM_DIRS:
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in ETC_FILES:
        path = Path("/etc") / name
        if path.exists():
            args += ["--ro-bind", str(path), str(path)]
    return args


def sandbox_command(kernel_argv: list[str], *, scratch: Path, home: Path, sockets: Path,
                    config: SandboxConfig, drop_to_nobody: bool) -> list[str]:
    """The full command line: bwrap, then prlimit, then setpriv, then the kernel."""
    limits = config.limits
    env = {name: os.environ[name] for name in PASSED_VARIABLES if name in os.environ}
    env.update(HOME=str(home), PATH=f"{Path(sys.executable).parent}:/usr/bin:/bin",
               LABS_CACHE_DIR=str(home / ".cache" / "ai-safety-labs"),
               MPLCONFIGDIR=str(home / ".config" / "matplotlib"), MPLBACKEND="agg",
               PYTHONDONTWRITEBYTECODE="1", TMPDIR="/tmp")
    # The learner's materialized data and held-out inputs (grader/preprocessors.py), read-only.
    data_dir = os.environ.get(DATA_DIR_VARIABLE, "")
    if data_dir:
        env[DATA_DIR_VARIABLE] = data_dir
    command = ["bwrap", "--die-with-parent", "--new-session",
               "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
               "--hostname", "sandbox", "--clearenv"]
    for name, value in sorted(env.items()):
        command += ["--setenv", name, value]
    command += _system_binds()
    command += ["--proc", "/proc", "--dev", "/dev",
                # world-writable like on any system: joblib and multiprocessing need /dev/shm
                "--perms", "1777", "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp",
                "--perms", "1777", "--size", str(limits.tmp_bytes), "--tmpfs", "/dev/shm"]
    read_only = [path for path in (*config.read_only, data_dir) if path and Path(path).exists()]
    writable = [str(path) for path in (scratch, home, sockets)]
    # bwrap creates the parents of a mount point owned by root with mode 0700; the unprivileged
    # kernel must be able to walk through them.
    for parent in sorted({str(p) for path in read_only + writable for p in Path(path).parents} - {"/", "/tmp"}):
        command += ["--perms", "0755", "--dir", parent]
    for path in read_only:
        command += ["--ro-bind", path, path]
    for path in writable:
        command += ["--bind", path, path]
    command += ["--chdir", str(scratch), "--"]
    command += ["prlimit", f"--cpu={limits.cpu_seconds}", f"--as={limits.memory_bytes}",
                f"--nproc={limits.processes}", f"--fsize={limits.file_bytes}",
                f"--nofile={limits.open_files}", "--core=0", "--"]
    if drop_to_nobody:
        command += ["setpriv", f"--reuid={UNPRIVILEGED_UID}", f"--regid={UNPRIVILEGED_GID}",
                    "--clear-groups", "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--"]
    return command + kernel_argv


def _give_to(path: Path, uid: int, gid: int) -> None:
    for root, dirs, files in os.walk(path):
        os.chown(root, uid, gid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), uid, gid, follow_symlinks=False)


def launch(connection_file: Path, kernel_arguments: list[str]) -> None:
    """Prepare the kernel's home and sockets, then replace this process with the sandboxed kernel."""
    check_tools()
    config = SandboxConfig.from_env(os.environ[ENV_CONFIG])
    scratch = Path.cwd().resolve()
    connection = json.loads(connection_file.read_text())
    if connection.get("transport") != "ipc":
        raise SandboxUnavailable("the grading sandbox needs Jupyter's ipc transport "
                                 "(KernelManager.transport = 'ipc'); labs grade sets it")
    # `labs grade` gives each nbgrader process its own sockets directory (KernelManager.ip), so
    # that directory holds this kernel's files only: its sockets, its home, its connection file.
    sockets = Path(connection["ip"]).parent
    if not sockets.is_absolute() or not sockets.is_dir():
        raise SandboxUnavailable(f"kernel sockets need a private absolute directory, got ip={connection['ip']!r}; "
                                 "labs grade sets KernelManager.ip")
    home = sockets / "home"
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(config.home_template, home, symlinks=True)
    # The grader's connection file is private to it (mode 600); the kernel reads a copy.
    kernel_connection = sockets / "connection.json"
    kernel_connection.write_text(json.dumps(connection))
    drop_to_nobody = os.geteuid() == 0
    if drop_to_nobody:
        for path in (scratch, home, sockets):
            _give_to(path, UNPRIVILEGED_UID, UNPRIVILEGED_GID)
    kernel_argv = [sys.executable, "-m", "ipykernel_launcher", "-f", str(kernel_connection),
                   *kernel_arguments]
    command = sandbox_command(kernel_argv, scratch=scratch, home=home, sockets=sockets,
                              config=config, drop_to_nobody=drop_to_nobody)
    os.execvp(command[0], command)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python -m labs.grading.sandbox CONNECTION_FILE [KERNEL ARGUMENTS] "
                 "(started by Jupyter for labs grade, not by hand)")
    launch(Path(sys.argv[1]), sys.argv[2:])
