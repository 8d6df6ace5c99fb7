"""The grading sandbox on its own: a kernel started exactly as `labs grade` starts it (the grader's
kernelspec, environment and ipc transport), with NO learner-code policy and NO guard in front of it.
What learner code could do if it got past the policy is run here directly, to show that the OS
layer (bubblewrap, prlimit, setpriv) holds by itself: no network, no course files, no writes
outside the scratch directory, an unprivileged user, and limits on processes and memory."""
from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import textwrap
import uuid
from pathlib import Path

import pytest

from labs.grading import sandbox
from tests.conftest import REPO

pytestmark = pytest.mark.slow

GRADING_COURSE = Path(__file__).with_name("fixtures") / "grading_course"
MEMORY_LIMIT = 2 * 2**30
PROCESS_LIMIT = 128


class SandboxedKernel:
    def __init__(self, course: Path):
        from jupyter_client import KernelManager
        from jupyter_client.kernelspec import KernelSpecManager

        from labs.grading import Grader, GradingOptions, sandbox

        options = GradingOptions(limits=sandbox.Limits(memory_bytes=MEMORY_LIMIT, processes=PROCESS_LIMIT))
        self.grader = Grader(course, options, echo=lambda line: None)
        self.scratch = course / "autograded" / "learner" / "integrity"
        self.scratch.mkdir(parents=True)
        self.private = Path(tempfile.mkdtemp(prefix="labs-k-", dir="/tmp"))
        env, args = self.grader._nbgrader_env(self.private)  # what `labs grade` gives nbgrader
        assert "--KernelManager.transport=ipc" in args
        ip = next(a.split("=", 1)[1] for a in args if a.startswith("--KernelManager.ip="))
        specs = KernelSpecManager(kernel_dirs=[str(Path(env["JUPYTER_PATH"]) / "kernels")])
        self.km = KernelManager(kernel_name=sandbox.KERNEL_NAME, kernel_spec_manager=specs, transport="ipc", ip=ip,
                                connection_file=str(self.private / "runtime" / "kernel.json"))
        (self.private / "runtime").mkdir()
        self.km.start_kernel(env=env, cwd=str(self.scratch))
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=90)

    def run(self, code: str, timeout: int = 60) -> tuple[str, str | None]:
        """The kernel's stdout and the name of the error the code raised, if any."""
        out: list[str] = []
        error: list[str] = []

        def hook(msg):
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream" and content["name"] == "stdout":
                out.append(content["text"])
            elif kind == "error":
                error.append(f"{content['ename']}: {content['evalue']}")

        self.kc.execute_interactive(textwrap.dedent(code), timeout=timeout, output_hook=hook)
        return "".join(out), (error[0] if error else None)

    def probe(self, code: str) -> dict:
        """Run code that prints one JSON object; return it."""
        out, error = self.run(code)
        assert error is None, error
        return json.loads(out.strip().splitlines()[-1])

    def close(self):
        try:
            self.kc.stop_channels()
            self.km.shutdown_kernel(now=True)
        finally:
            shutil.rmtree(self.private, ignore_errors=True)


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    from grader.secret import course_secret

    course = tmp_path_factory.mktemp("sandbox") / "course"
    shutil.copytree(GRADING_COURSE, course)
    course_secret(course)  # the course secret exists before any kernel starts, as `labs grade` makes it
    return course


@pytest.fixture(scope="module")
def kernel(course):
    kernel = SandboxedKernel(course)
    # the gradebook the grader opened (its journal table) is there, next to source/
    assert (course / "gradebook.db").is_file() and (course / "source" / "integrity" / "integrity.ipynb").is_file()
    yield kernel
    kernel.close()


ATTEMPT = """
import json
def attempt(action):
    try:
        action()
        return "ok"
    except BaseException as error:
        return type(error).__name__
"""


def test_it_is_the_sandbox(kernel):
    info = kernel.probe("""
        import json, os, socket
        print(json.dumps({"host": socket.gethostname(), "cwd": os.getcwd(), "uid": os.getuid(), "pid": os.getpid()}))
    """)
    assert info["host"] == "sandbox" and info["cwd"] == str(kernel.scratch)
    assert info["pid"] < 10  # its own PID namespace


@pytest.mark.skipif(os.geteuid() != 0, reason="the grader drops to nobody only when it runs as root")
def test_runs_as_nobody_without_privileges(kernel):
    info = kernel.probe("""
        import json, os
        status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
        print(json.dumps({"uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(), "groups": os.getgroups(),
                          "caps": status["CapEff"].strip(), "nnp": status["NoNewPrivs"].strip()}))
    """)
    assert (info["uid"], info["euid"], info["gid"]) == (65534, 65534, 65534)
    assert info["groups"] == [] and int(info["caps"], 16) == 0 and info["nnp"] == "1"


def test_no_network(kernel):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    try:
        # UDP connect() only picks a route and sends nothing, so no packet can leave even if this failed
        info = kernel.probe(ATTEMPT + f"""
import socket
def tcp():
    socket.create_connection(("127.0.0.1", {port}), timeout=5).close()
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("1.1.1.1", 53))
import os
print(json.dumps({{"host_loopback": attempt(tcp), "internet": attempt(udp),
                   "interfaces": sorted(name for _, name in socket.if_nameindex()),
                   "routes": open("/proc/net/route").read().splitlines()[1:]}}))
""")
    finally:
        listener.close()
    assert info["host_loopback"] == "ConnectionRefusedError"  # the grader's loopback is not its loopback
    assert info["internet"] == "OSError"  # [Errno 101] Network is unreachable
    assert info["interfaces"] == ["lo"] and info["routes"] == []


def test_course_files_and_gradebook_cannot_be_read(kernel, course):
    from grader.secret import secret_path

    # The course's secret and the grader-only files of the repository the grader runs from exist
    # on the grader's side.
    grader_only = [secret_path(course), course / ".secrets", REPO / "grader" / "__init__.py", REPO / "grader",
                   REPO / "grader" / "secret.py", REPO / "grader" / "scoring.py",
                   *sorted((REPO / "grader" / "datasets").glob("*.py")),
                   *sorted((REPO / "grader" / "scorers").glob("*.py")),
                   *sorted((REPO / "grader" / "heldout").rglob("*.toml"))]
    assert all(path.exists() for path in grader_only) and len(grader_only) > 8
    secrets = [course / "source" / "integrity" / "integrity.ipynb", course / "gradebook.db",
               course / "nbgrader_config.py", Path("/root") / ".bashrc", Path(__file__),
               # the repository the grader runs from: its labs package is mounted, its solutions,
               # its grader-only package and its course secret are not
               REPO / "source" / "sanitization" / "sanitization.ipynb", REPO / "nbgrader_config.py",
               REPO / ".secrets" / "course-secret", *grader_only]
    info = kernel.probe(ATTEMPT + f"""
import importlib.util, os
paths = {[str(p) for p in secrets]!r}
found = {{p: attempt(lambda p=p: open(p, "rb").read(1)) for p in paths}}
found.update({{p + "/": attempt(lambda p=p: os.listdir(p)) for p in paths}})
found["import grader"] = attempt(lambda: __import__("grader.secret"))
found["environment"] = dict(os.environ)
print(json.dumps(found))
""")
    assert info.pop("import grader") == "ModuleNotFoundError"
    secret = secret_path(course).read_text().strip()
    for name, value in info.pop("environment").items():
        assert secret not in value and str(secret_path(course)) not in value, name
    for path, result in info.items():
        assert result in ("FileNotFoundError", "PermissionError"), (path, result)
    listing = kernel.probe(f"""
        import json, os
        print(json.dumps(sorted(os.listdir({str(course)!r}))))
    """)
    assert listing == ["autograded"]  # only the path down to the scratch directory exists


def test_writes_only_inside_the_scratch_directory(kernel, course):
    name = f"labs-sandbox-probe-{uuid.uuid4().hex}"
    outside = [course / name, course / "source" / name, Path("/work") / name, Path(__file__).parent / name,
               Path("/root") / name, Path(os.path.expanduser("~")) / name, Path(tempfile.gettempdir()) / name]
    info = kernel.probe(ATTEMPT + f"""
def write(path):
    with open(path, "w") as f:
        f.write("x")
print(json.dumps({{p: attempt(lambda p=p: write(p)) for p in {[str(p) for p in outside]!r} + [{name!r}]}}))
""")
    assert info.pop(name) == "ok" and (kernel.scratch / name).read_text() == "x"
    for path in outside:
        assert not path.exists(), f"the sandbox wrote {path}"
        if os.geteuid() == 0 and path.parent != Path(tempfile.gettempdir()):
            # as nobody, even the sandbox's own copies of those folders are not writable
            assert info[str(path)] in ("PermissionError", "FileNotFoundError", "OSError"), (path, info[str(path)])


def test_tmp_is_private(kernel):
    name = f"labs-host-secret-{uuid.uuid4().hex}"
    secret = Path("/tmp") / name
    secret.write_text("host")
    try:
        info = kernel.probe(f"""
            import json, os
            with open("/tmp/{name}-inside", "w") as f:
                f.write("kernel")
            print(json.dumps({{"sees_host": os.path.exists("/tmp/{name}"), "tmp": sorted(os.listdir("/tmp"))}}))
        """)
        # of the host's /tmp it sees only the folders bubblewrap made to reach its mounts: scratch,
        # sockets, and the Python environment when the course itself lives under /tmp (a CI clone)
        mounted = [kernel.scratch, kernel.private, *map(Path, sandbox.python_read_only_paths())]
        mounts = {path.relative_to("/tmp").parts[0] for path in mounted if path.is_relative_to("/tmp")}
        assert info["sees_host"] is False and f"{name}-inside" in info["tmp"], info
        assert set(info["tmp"]) & set(os.listdir("/tmp")) <= mounts, info
        assert not Path(f"/tmp/{name}-inside").exists()
    finally:
        secret.unlink()


def test_memory_beyond_the_limit_is_a_memory_error(kernel):
    out, error = kernel.run(f"hog = bytearray({MEMORY_LIMIT + 2**29})")
    assert error is not None and error.startswith("MemoryError"), (out, error)
    assert kernel.run("print(len(bytearray(2**20)))") == (f"{2**20}\n", None)  # the kernel lives on


def test_processes_stop_at_the_limit_and_the_kernel_survives(kernel):
    info = kernel.probe(f"""
        import json, os, signal, subprocess, time
        children, stopped_by = [], None
        try:
            for _ in range({PROCESS_LIMIT * 4}):
                children.append(subprocess.Popen(["sleep", "30"]))
        except OSError as error:
            stopped_by = type(error).__name__
        for child in children:
            child.kill()
            child.wait()
        forked, fork_stopped_by = [], None
        try:
            for _ in range({PROCESS_LIMIT * 4}):
                pid = os.fork()
                if pid == 0:  # the child waits to be killed
                    time.sleep(30)
                    os._exit(0)
                forked.append(pid)
        except OSError as error:
            fork_stopped_by = type(error).__name__
        for pid in forked:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        print(json.dumps({{"started": len(children), "stopped_by": stopped_by,
                           "forked": len(forked), "fork_stopped_by": fork_stopped_by}}))
    """)
    assert info["stopped_by"] == info["fork_stopped_by"] == "BlockingIOError", info  # EAGAIN: RLIMIT_NPROC
    assert 0 < info["started"] < PROCESS_LIMIT and 0 < info["forked"] < PROCESS_LIMIT, info
    assert kernel.run("print('alive')") == ("alive\n", None)
