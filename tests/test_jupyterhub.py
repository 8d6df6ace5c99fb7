"""Smoke test of the course hub (deploy/jupyterhub/): a real JupyterHub on loopback.

It loads deploy/jupyterhub/jupyterhub_config.py as it is and replaces only what a test machine
cannot have (the PAM authenticator, system accounts, the real ports and paths): DummyAuthenticator,
SimpleLocalProcessSpawner with a home per user in a temporary directory, configurable-http-proxy
from the project's set-up. Then, as an instructor would, it releases one lab into a scratch
exchange with ``nbgrader release_assignment``, and checks, through the hub's proxy, that:

- learner-ada's server starts and nbgrader's assignment list answers for her with the release,
  and she can fetch it into her home;
- a kernel on her server sees her hub name, so ``labs`` generates her data (docs/course-design.md,
  "Per-learner data");
- the grader service (the formgrader, in the course directory) answers an instructor and refuses
  a learner.

Kubernetes (Zero to JupyterHub) is not tested here; only that its example values agree with the
hub configuration.
"""
from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy" / "jupyterhub"
VENV_BIN = Path(sys.executable).parent
# configurable-http-proxy, installed by the project's set-up from deploy/jupyterhub/proxy/
# (`npm ci --prefix .venv/node`); JupyterHub starts it by name from PATH.
PROXY_BIN = Path(sys.prefix) / "node" / "node_modules" / ".bin"

COURSE_ID = "ai-safety-labs"
LEARNER = "learner-ada"
INSTRUCTOR = "instructor-grace"
STARTUP_TIMEOUT = 60  # seconds, for the hub, a server or a kernel to come up on a busy machine
REQUEST_TIMEOUT = 30


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _processes_under(root: Path) -> list[int]:
    """Our processes: those whose working directory is inside this test's temporary tree."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = Path(os.readlink(entry / "cwd"))
        except OSError:
            continue
        if cwd == root or root in cwd.parents:
            found.append(int(entry.name))
    return found


def _kill(pids: list[int]) -> None:
    for pid in pids:
        for kill in (os.killpg, os.kill):
            try:
                kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _wait_for(what: str, check, timeout: float, hub: subprocess.Popen, log: Path):
    """Poll ``check()`` until it returns something truthy; fail with the hub's log otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        if hub.poll() is not None:
            pytest.fail(f"JupyterHub exited ({hub.returncode}) while waiting for {what}:\n{_tail(log)}")
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}:\n{_tail(log)}")
        time.sleep(0.25)


def _tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no hub log)"


def _hub_config(tmp: Path, ports: dict[str, int], service_token: str) -> Path:
    """The deploy configuration, plus only what differs on a test machine."""
    allow_root = ["--allow-root"] if os.geteuid() == 0 else []  # jupyter_server refuses root without it
    overlay = f"""
c = get_config()  # noqa: F821
load_subconfig({str(DEPLOY / "jupyterhub_config.py")!r})  # noqa: F821

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {ports["public"]}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {ports["hub"]}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{ports["proxy_api"]}"
c.ConfigurableHTTPProxy.pid_file = {str(tmp / "hub" / "proxy.pid")!r}
c.JupyterHub.db_url = "sqlite:///{tmp / "hub" / "jupyterhub.sqlite"}"
c.JupyterHub.cookie_secret_file = {str(tmp / "hub" / "cookie_secret")!r}
c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {str(tmp / "home" / "{username}")!r}
c.Spawner.args = {allow_root!r}
c.Spawner.start_timeout = {STARTUP_TIMEOUT}
c.Spawner.http_timeout = {STARTUP_TIMEOUT}
# /etc/jupyter/nbgrader_config.py in the image; here the deploy copy, found through the path.
c.Spawner.environment["JUPYTER_CONFIG_PATH"] = {str(DEPLOY)!r}

for service in c.JupyterHub.services:
    if service["name"] == {COURSE_ID!r}:
        service["user"] = ""  # no grader account here: run as the test's user
        service["command"] = service["command"] + {allow_root!r}
        service["environment"]["JUPYTER_CONFIG_PATH"] = {str(DEPLOY)!r}
        service["environment"]["JUPYTER_CONFIG_DIR"] = {str(tmp / "grader-jupyter")!r}
        service["timeout"] = {STARTUP_TIMEOUT}

# The test drives the hub through its REST API with this service's token.
c.JupyterHub.services.append({{"name": "smoke-test", "api_token": {service_token!r}}})
c.JupyterHub.load_roles.append({{
    "name": "smoke-test",
    "services": ["smoke-test"],
    "scopes": ["admin:servers!user={LEARNER}", "read:users!user={LEARNER}",
               "tokens!user={LEARNER}", "tokens!user={INSTRUCTOR}"],
}})
"""
    path = tmp / "hub" / "jupyterhub_config.py"
    path.write_text(overlay)
    return path


def _release(course: Path, lab: str, env: dict) -> None:
    """`nbgrader release_assignment`, as the instructor runs it in the course directory."""
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", "release_assignment", lab, "--log-level=WARN"],
        cwd=course, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, f"nbgrader release_assignment failed:\n{result.stdout}{result.stderr}"


def _run_in_kernel(base: str, token: str, code: str) -> str:
    """Start a kernel on the learner's server, run ``code``, return its stdout, shut it down."""
    from tornado import httpclient, websocket

    headers = {"Authorization": f"token {token}"}
    response = requests.post(f"{base}/api/kernels", json={"name": "python3"}, headers=headers,
                             timeout=REQUEST_TIMEOUT)
    assert response.status_code == 201, response.text
    kernel_id = response.json()["id"]
    session = uuid.uuid4().hex
    msg_id = uuid.uuid4().hex

    async def execute() -> str:
        url = f"{base.replace('http://', 'ws://')}/api/kernels/{kernel_id}/channels?session_id={session}"
        request = httpclient.HTTPRequest(url, headers=headers, connect_timeout=REQUEST_TIMEOUT,
                                         request_timeout=REQUEST_TIMEOUT)
        connection = await websocket.websocket_connect(request)
        try:
            connection.write_message(json.dumps({
                "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": session,
                           "username": LEARNER, "version": "5.3"},
                "parent_header": {}, "metadata": {}, "channel": "shell",
                "content": {"code": code, "silent": False, "store_history": False,
                            "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
            }))
            stdout, deadline = [], time.monotonic() + STARTUP_TIMEOUT
            while time.monotonic() < deadline:
                raw = await connection.read_message()
                assert raw is not None, "the kernel's websocket closed"
                message = json.loads(raw)
                if message.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = message["header"]["msg_type"]
                if kind == "stream" and message["content"]["name"] == "stdout":
                    stdout.append(message["content"]["text"])
                elif kind == "error":
                    raise AssertionError("\n".join(message["content"]["traceback"]))
                elif kind == "execute_reply":
                    return "".join(stdout)
            raise AssertionError("no reply from the kernel in time")
        finally:
            connection.close()

    try:
        return asyncio.run(asyncio.wait_for(execute(), STARTUP_TIMEOUT))
    finally:
        requests.delete(f"{base}/api/kernels/{kernel_id}", headers=headers, timeout=REQUEST_TIMEOUT)


@pytest.mark.slow
def test_a_learner_on_the_course_hub_sees_and_fetches_the_released_lab(tmp_path):
    proxy = PROXY_BIN / "configurable-http-proxy"
    assert proxy.exists(), (
        f"configurable-http-proxy is missing at {proxy}: the project's set-up installs it with "
        "`npm ci --prefix .venv/node` from deploy/jupyterhub/proxy/ (make test does this)")
    tmp = tmp_path.resolve()
    lab = sorted(path.name for path in (REPO / "release").iterdir()
                 if (REPO / "source" / path.name / f"{path.name}.ipynb").is_file())[0]

    # The instructor's side: a scratch course directory with the course's config and one lab.
    course = tmp / "course"
    course.mkdir()
    shutil.copy2(REPO / "nbgrader_config.py", course / "nbgrader_config.py")
    for stage in ("source", "release"):
        shutil.copytree(REPO / stage / lab, course / stage / lab)
    exchange = tmp / "exchange"
    (tmp / "hub").mkdir()
    base_env = {key: value for key, value in os.environ.items()
                if not key.startswith(("JUPYTER", "LABS_", "NBGRADER", "COURSE_", "CONFIGPROXY"))}
    env = dict(
        base_env,
        PATH=os.pathsep.join([str(VENV_BIN), str(PROXY_BIN), os.environ.get("PATH", "/usr/bin:/bin")]),
        JUPYTER_CONFIG_PATH=str(DEPLOY),               # the hub's global nbgrader_config.py
        JUPYTER_CONFIG_DIR=str(tmp / "instructor-jupyter"),  # nobody's ~/.jupyter
        NBGRADER_EXCHANGE_ROOT=str(exchange),
        COURSE_INSTRUCTORS=INSTRUCTOR,
        COURSE_LEARNERS=LEARNER,
        COURSE_DIR=str(course),
    )
    _release(course, lab, env)
    assert (exchange / COURSE_ID / "outbound" / lab / f"{lab}.ipynb").is_file()

    ports = dict(zip(["public", "hub", "proxy_api", "grader"], _free_ports(4)))
    env["COURSE_GRADER_PORT"] = str(ports["grader"])
    service_token = secrets.token_hex(32)
    config = _hub_config(tmp, ports, service_token)
    public = f"http://127.0.0.1:{ports['public']}"
    api = f"{public}/hub/api"
    as_service = {"Authorization": f"token {service_token}"}
    log = tmp / "hub" / "hub.log"

    started = time.monotonic()
    with log.open("wb") as log_file:
        hub = subprocess.Popen([str(VENV_BIN / "jupyterhub"), "-f", str(config)], cwd=tmp / "hub", env=env,
                               stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        _wait_for("the hub to start", lambda: b"JupyterHub is now running" in log.read_bytes(),
                  STARTUP_TIMEOUT, hub, log)

        # Start learner-ada's server, as the spawn page would.
        response = requests.post(f"{api}/users/{LEARNER}/server", headers=as_service, timeout=REQUEST_TIMEOUT)
        assert response.status_code in (201, 202), response.text

        def server_ready():
            model = requests.get(f"{api}/users/{LEARNER}", headers=as_service, timeout=REQUEST_TIMEOUT).json()
            server = model.get("servers", {}).get("")
            return server if server and server.get("ready") else None

        server = _wait_for(f"{LEARNER}'s server", server_ready, STARTUP_TIMEOUT, hub, log)
        assert server["url"] == f"/user/{LEARNER}/"
        assert set(requests.get(f"{api}/users/{LEARNER}", headers=as_service,
                                timeout=REQUEST_TIMEOUT).json()["groups"]) == {"learners", f"nbgrader-{COURSE_ID}"}

        def token_for(user: str) -> str:
            response = requests.post(f"{api}/users/{user}/tokens", headers=as_service,
                                     json={"note": "smoke test", "expires_in": 600}, timeout=REQUEST_TIMEOUT)
            assert response.status_code == 201, response.text
            return response.json()["token"]

        as_learner = {"Authorization": f"token {token_for(LEARNER)}"}
        learner_base = f"{public}/user/{LEARNER}"

        # nbgrader's assignment list (server_extensions/assignment_list: GET /assignments?course_id=).
        response = requests.get(f"{learner_base}/assignments", params={"course_id": COURSE_ID},
                                headers=as_learner, timeout=REQUEST_TIMEOUT)
        assert response.status_code == 200, response.text
        listing = response.json()
        assert listing["success"], listing["value"]
        released = [(a["course_id"], a["assignment_id"], a["status"]) for a in listing["value"]]
        assert released == [(COURSE_ID, lab, "released")]
        assert [nb["notebook_id"] for nb in listing["value"][0]["notebooks"]] == [lab]

        # ... and the Assignments tab's "Fetch" button.
        response = requests.post(f"{learner_base}/assignments/fetch", headers=as_learner,
                                 data={"course_id": COURSE_ID, "assignment_id": lab}, timeout=REQUEST_TIMEOUT)
        assert response.status_code == 200, response.text
        assert [(a["assignment_id"], a["status"]) for a in response.json()["value"]] == [(lab, "fetched")]
        assert (tmp / "home" / LEARNER / lab / f"{lab}.ipynb").is_file()

        # Her kernels know who she is: labs seeds her data from JUPYTERHUB_USER.
        printed = _run_in_kernel(learner_base, as_learner["Authorization"].split()[1],
                                 "import labs; print(labs.current_learner(), labs.learner_seed())")
        from labs.learner import learner_seed
        assert printed.split() == [LEARNER, str(learner_seed(LEARNER))]

        # The formgrader service, in the course directory, sees the same exchange -- for
        # instructors only.
        formgrader = f"{public}/services/{COURSE_ID}/formgrader/api/assignments"
        as_instructor = {"Authorization": f"token {token_for(INSTRUCTOR)}"}
        response = requests.get(formgrader, headers=as_instructor, timeout=REQUEST_TIMEOUT)
        assert response.status_code == 200, response.text
        assert [(a["name"], a["status"]) for a in response.json()] == [(lab, "released")]
        response = requests.get(formgrader, headers=as_learner, timeout=REQUEST_TIMEOUT, allow_redirects=False)
        assert response.status_code == 403, response.text

        response = requests.delete(f"{api}/users/{LEARNER}/server", headers=as_service, timeout=REQUEST_TIMEOUT)
        assert response.status_code in (202, 204), response.text
        _wait_for(f"{LEARNER}'s server to stop", lambda: not requests.get(
            f"{api}/users/{LEARNER}", headers=as_service, timeout=REQUEST_TIMEOUT).json()["servers"],
            STARTUP_TIMEOUT, hub, log)
    finally:
        # SIGTERM: the hub stops the servers it spawned, its services and the proxy, then exits.
        if hub.poll() is None:
            os.killpg(hub.pid, signal.SIGTERM)
            try:
                hub.wait(timeout=30)
            except subprocess.TimeoutExpired:
                _kill([hub.pid])
                hub.wait(timeout=10)
        deadline = time.monotonic() + 10
        while (strays := _processes_under(tmp)) and time.monotonic() < deadline:
            time.sleep(0.25)
        _kill(strays)
    elapsed = time.monotonic() - started
    assert not strays, f"processes left running after the hub stopped: {strays}"
    assert hub.returncode == 0, f"JupyterHub exited with {hub.returncode}:\n{_tail(log)}"
    print(f"hub up, learner served, grader checked and everything stopped in {elapsed:.1f}s")


def _load_config(path: Path, monkeypatch, **env):
    from traitlets.config.loader import PyFileConfigLoader

    for name in ("NBGRADER_EXCHANGE_ROOT", "COURSE_DIR", "COURSE_GRADER_USER", "COURSE_GRADER_PORT", "HUB_ADMINS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


def test_the_kubernetes_example_and_the_image_agree_with_the_tested_hub(monkeypatch):
    """The untested Kubernetes values and image pins must not drift from what the smoke test runs."""
    import tomllib
    from importlib.metadata import version

    import yaml

    hub = _load_config(DEPLOY / "jupyterhub_config.py", monkeypatch,
                       COURSE_INSTRUCTORS=INSTRUCTOR, COURSE_LEARNERS=LEARNER)
    nbgrader = _load_config(DEPLOY / "nbgrader_config.py", monkeypatch)
    values = yaml.safe_load((DEPLOY / "kubernetes" / "config.yaml").read_text())
    roles = {role["name"]: role for role in hub.JupyterHub.load_roles}
    k8s_roles = values["hub"]["loadRoles"]

    assert nbgrader.CourseDirectory.course_id == COURSE_ID
    assert f'c.CourseDirectory.course_id = "{COURSE_ID}"' in (REPO / "nbgrader_config.py").read_text()
    assert [service["name"] for service in hub.JupyterHub.services] == [COURSE_ID]

    # Same groups and members; same roles, except how instructors reach the formgrader
    # (a hub service on the pilot, the grader user's server on Kubernetes).
    assert values["hub"]["config"]["JupyterHub"]["load_groups"] == hub.JupyterHub.load_groups
    assert set(k8s_roles) == set(roles)
    for name in ("course-instructor", f"nbgrader-{COURSE_ID}"):
        assert set(k8s_roles[name]["scopes"]) <= set(roles[name]["scopes"]), name
        assert k8s_roles[name]["groups"] == roles[name]["groups"], name
    assert f"access:servers!user=grader-{COURSE_ID}" in k8s_roles[f"formgrade-{COURSE_ID}"]["scopes"]
    assert set(k8s_roles["server"]["scopes"]) <= set(roles["server"]["scopes"])

    # One exchange path everywhere.
    exchange = nbgrader.Exchange.root
    assert exchange == hub.Spawner.environment["NBGRADER_EXCHANGE_ROOT"] == "/srv/nbgrader/exchange"
    singleuser = values["singleuser"]
    assert singleuser["extraEnv"]["NBGRADER_EXCHANGE_ROOT"] == exchange
    assert singleuser["storage"]["extraVolumeMounts"][0]["mountPath"] == exchange
    assert "LABS_LEARNER" not in singleuser["extraEnv"] and "LABS_LEARNER" not in hub.Spawner.environment

    # The image: this package's version, the JupyterHub this test ran, the locked proxy.
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert singleuser["image"]["tag"] == project["version"]
    assert f"jupyterhub=={version('jupyterhub')}\n" in (DEPLOY / "requirements.txt").read_text()
    locked = [line for line in (REPO / "constraints.txt").read_text().splitlines()
              if line.lower().startswith("jupyterhub==")]
    assert locked in ([], [f"jupyterhub=={version('jupyterhub')}"])
    wanted = json.loads((DEPLOY / "proxy" / "package.json").read_text())["dependencies"]["configurable-http-proxy"]
    installed = PROXY_BIN.parent / "configurable-http-proxy" / "package.json"
    assert installed.is_file() and json.loads(installed.read_text())["version"] == wanted
