"""Smoke test of the course hub (deploy/jupyterhub/): a real JupyterHub on loopback.

It loads deploy/jupyterhub/jupyterhub_config.py as it is and replaces only what a test machine
cannot have (the PAM authenticator, system accounts, the real ports and paths): DummyAuthenticator,
SimpleLocalProcessSpawner with a home per user in a temporary directory, configurable-http-proxy
from the project's set-up. Then, as an instructor would, it releases one lab into a scratch
exchange with ``nbgrader release_assignment``, and checks, through the hub's proxy, that:

- learner-ada's server starts and nbgrader's assignment list answers for her with the release;
  in headless Chromium (tests/browser.py) she logs in, fetches the lab from JupyterLab's
  Assignments tab into her home, opens it and submits it;
- the hub made her data on the grader's side before her server started (grader/hub.py, the
  configuration's ``Spawner.pre_spawn_hook``): her server's ``LABS_DATA_DIR`` is her folder, which
  holds exactly what the grader materializes for her under the course secret (not another
  learner's data, not the self-study data), and ``labs.datasets.load`` in her kernel reads it;
- nothing in her server's or her kernel's environment carries the secret, its location, the
  course directory or any ``LABS_*`` variable but ``LABS_DATA_DIR``;
- a kernel on her server sees her hub name (docs/course-design.md, "Per-learner data");
- the grader service (the formgrader, in the course directory) answers an instructor and refuses
  a learner;
- the instructor collects, grades (`labs grade`) and releases feedback, and she fetches it in the
  browser: her scores, and none of the hidden tests' code.

Kubernetes (Zero to JupyterHub) is not tested here; only that its example values agree with the
hub configuration, and (without a hub) that the hook asks a data maker over its socket and mounts
the learner's folder read-only, as the Kubernetes values wire it.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import copy
import hashlib
import json
import logging
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from grader.hub import DEFAULT_MOUNT_PATH, DataMaker, DeliveryError, LearnerData, folder_name, serve
from grader.materialize import learner_data
from grader.scoring import Context
from labs.datasets import SELF_STUDY_DIR, read_frame
from labs.grading.feedback import PLACEHOLDER
from labs.manifest import load_manifest
from tests.browser import Steps, launch, menu

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy" / "jupyterhub"
OFFLINE_SETTINGS = REPO / "deploy" / "jupyterlab"
VENV_BIN = Path(sys.executable).parent
# configurable-http-proxy, installed by the project's set-up from deploy/jupyterhub/proxy/
# (`npm ci --prefix .venv/node`); JupyterHub starts it by name from PATH.
PROXY_BIN = Path(sys.prefix) / "node" / "node_modules" / ".bin"

COURSE_ID = "ai-safety-labs"
LEARNER = "learner-ada"
OTHER_LEARNER = "learner-bob"  # not spawned: her data is only made here, to compare
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


KERNEL_PROBE = """
import hashlib, json, os
import labs
from labs.datasets import load
inventory = load("ai_inventory")
print(json.dumps({"learner": labs.current_learner(), "seed": labs.learner_seed(),
                  "inventory": hashlib.sha256(inventory.data.to_csv(index=False).encode()).hexdigest(),
                  "truth": inventory.truth, "environment": dict(os.environ)}))
"""


def _write_secret(path: Path) -> Path:
    """A course secret, as the grader creates it on first use (grader/secret.py)."""
    path.parent.mkdir(parents=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return path


def _digest(frame) -> str:
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()


def _materialized(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def _environment(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode(errors="replace").split("\0") if "=" in item)


def _assert_nothing_secret(environment: dict[str, str], folder: Path, secret: str, places: list[Path]) -> None:
    assert environment.get("LABS_DATA_DIR") == str(folder), environment.get("LABS_DATA_DIR")
    assert environment.get("JUPYTERHUB_USER") == LEARNER
    labs_variables = sorted(key for key in environment if key.startswith("LABS_"))
    assert labs_variables == ["LABS_DATA_DIR"], labs_variables
    for key, value in environment.items():
        assert secret not in value, f"{key} carries the course secret"
        for place in places:
            assert str(place) not in value, f"{key} names {place}"


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
# /etc/jupyter/ in the image (nbgrader_config.py, JupyterLab's offline settings); here the deploy
# copies, found through the path.
c.Spawner.environment["JUPYTER_CONFIG_PATH"] = {os.pathsep.join([str(DEPLOY), str(OFFLINE_SETTINGS)])!r}

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


def _instructor(course: Path, env: dict, command: list[str]) -> None:
    """An instructor's command in the course directory (nbgrader or the `labs` tools)."""
    program = [sys.executable, "-m", "nbgrader", *command[1:]] if command[0] == "nbgrader" else \
        [sys.executable, "-m", "labs.cli", *command[1:]]
    result = subprocess.run(program, cwd=course, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}"


class Learner:
    """learner-ada in headless Chromium, on the hub's pages and nbgrader's Assignments tab."""

    def __init__(self, stack: contextlib.ExitStack, public: str, home: Path, screenshots: Path):
        from playwright.sync_api import sync_playwright

        playwright = stack.enter_context(sync_playwright())
        browser = launch(playwright)
        stack.callback(browser.close)
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.page.set_default_timeout(STARTUP_TIMEOUT * 1000)
        self.public, self.home, self.steps = public, home, Steps(self.page, screenshots)
        self.requests: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))

    def offline_problems(self) -> list[str]:
        """Requests beyond the hub, by JupyterLab or the feedback page (labs/grading/templates/), or for
        JupyterLab's news and extension manager (deploy/jupyterlab/)."""
        return [url for url in self.requests
                if not url.startswith((self.public, "data:", "blob:"))
                or "/lab/api/news" in url or "/lab/api/extensions" in url]

    def _step(self, name: str, action) -> None:
        try:
            action()
        except Exception as error:
            self.steps.shot(f"{name}-failed")
            raise AssertionError(f"{name}: {error}\n(screenshots in {self.steps.folder})") from error
        self.steps.shot(name)

    def _assignments_tab(self) -> None:
        page = self.page
        page.goto(f"{self.public}/user/{LEARNER}/lab")
        menu(page, "Nbgrader", "Assignment List")
        page.locator("#released_assignments_list, #fetched_assignments_list").first.wait_for()

    def log_in(self) -> None:
        def log_in():
            page = self.page
            page.goto(f"{self.public}/hub/login")
            page.fill("#username_input", LEARNER)
            page.fill("#password_input", "any")  # the test hub's DummyAuthenticator
            page.click("#login_submit")
            page.wait_for_url(f"**/user/{LEARNER}/**")
        self._step("logged-in", log_in)

    def fetch_and_submit(self, lab: str) -> None:
        page = self.page

        def fetch():
            self._assignments_tab()
            page.locator("#released_assignments_list").get_by_role("button", name="Fetch").click()
            page.locator("#fetched_assignments_list").get_by_text(lab).first.wait_for()
        self._step("fetched", fetch)

        def open_notebook():
            names = page.locator("#fetched_assignments_list").get_by_text(lab, exact=True)
            names.first.click()  # the assignment: it unfolds its notebooks
            names.last.click()  # the notebook
            page.locator(".jp-Notebook .jp-Cell").first.wait_for()
            page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for()
        self._step("opened", open_notebook)

        def submit():
            self._assignments_tab()
            page.locator("#fetched_assignments_list").get_by_role("button", name="Submit").click()
            page.locator("#submitted_assignments_list").get_by_text(lab).first.wait_for()
        self._step("submitted", submit)

    def fetch_feedback(self, lab: str) -> str:
        """Fetch the released feedback from the Assignments tab; the feedback page's text."""
        page = self.page

        def fetch():
            self._assignments_tab()
            page.locator("#submitted_assignments_list").get_by_role("button", name="Fetch Feedback").click()
            page.locator("#submitted_assignments_list").get_by_text("(view feedback)").first.wait_for()
        self._step("feedback-fetched", fetch)
        found = sorted(self.home.glob(f"{lab}/feedback/*/{lab}.html"))
        assert found, "no feedback file in her home after Fetch Feedback"
        relative = found[-1].relative_to(self.home)
        self._step("feedback-opened", lambda: page.goto(f"{self.public}/user/{LEARNER}/files/{relative}"))
        return page.inner_text("body")


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
        # a thread of its own: Playwright's sync API (the learner's browser) holds this thread's event loop
        with concurrent.futures.ThreadPoolExecutor(1) as thread:
            return thread.submit(asyncio.run, asyncio.wait_for(execute(), STARTUP_TIMEOUT)).result()
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

    # The instructor's side: a scratch course directory with the course's config, its grader-only
    # package (the hub imports its data hook from there) and one lab.
    course = tmp / "course"
    course.mkdir()
    shutil.copy2(REPO / "nbgrader_config.py", course / "nbgrader_config.py")
    for stage in ("source", "release"):
        shutil.copytree(REPO / stage / lab, course / stage / lab)
    shutil.copytree(REPO / "grader", course / "grader", ignore=shutil.ignore_patterns("__pycache__"))
    exchange = tmp / "exchange"
    # The hub holds the course secret (here outside the course, as on Kubernetes). The grader made
    # it (the hub never does); learners' folders go to a data root of their own.
    secret_file = _write_secret(tmp / "hub-secrets" / "course-secret")
    data_root = tmp / "learner-data"
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
        COURSE_DATA_ROOT=str(data_root),
        LABS_COURSE_SECRET_FILE=str(secret_file),
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
    stack = contextlib.ExitStack()
    with log.open("wb") as log_file:
        hub = subprocess.Popen([str(VENV_BIN / "jupyterhub"), "-f", str(config)], cwd=tmp / "hub", env=env,
                               stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        _wait_for("the hub to start", lambda: b"JupyterHub is now running" in log.read_bytes(),
                  STARTUP_TIMEOUT, hub, log)
        secret = secret_file.read_text().strip()

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

        # In the browser: she logs in, fetches the lab from the Assignments tab, opens it, submits it.
        browser = Learner(stack, public, tmp / "home" / LEARNER, tmp / "screenshots")
        browser.log_in()
        browser.fetch_and_submit(lab)
        assert (tmp / "home" / LEARNER / lab / f"{lab}.ipynb").is_file()
        assert (exchange / COURSE_ID / "inbound").is_dir() and any((exchange / COURSE_ID / "inbound").iterdir())

        # Her data: made by the hub before her server started, the same files the grader makes
        # for her under the course secret -- not another learner's, not the self-study data.
        folder = data_root / LEARNER
        made = _materialized(folder)
        expected = {}
        for learner in (LEARNER, OTHER_LEARNER):
            learner_data(Context(lab="", learner=learner, secret=bytes.fromhex(secret)), tmp / "expected" / learner)
            expected[learner] = _materialized(tmp / "expected" / learner)
        assert made == expected[LEARNER] and "ai_inventory.csv" in made
        assert made["ai_inventory.csv"] != expected[OTHER_LEARNER]["ai_inventory.csv"]
        assert made["ai_inventory.csv"] != (SELF_STUDY_DIR / "ai_inventory.csv").read_bytes()

        # Nothing in her server's environment (nor her kernels') carries the secret, its
        # location, the course directory, or a LABS_* variable other than her data folder.
        servers = [_environment(pid) for pid in _processes_under(tmp / "home" / LEARNER)]
        assert servers, f"no process of {LEARNER}'s server found"
        for environment in servers:
            _assert_nothing_secret(environment, folder, secret, [secret_file, course])

        # Her kernel: who she is (JUPYTERHUB_USER), and load() reads her folder.
        printed = _run_in_kernel(learner_base, as_learner["Authorization"].split()[1], KERNEL_PROBE)
        seen = json.loads(printed.strip().splitlines()[-1])
        from labs.learner import learner_seed
        assert (seen["learner"], seen["seed"]) == (LEARNER, learner_seed(LEARNER))
        assert seen["inventory"] == _digest(read_frame(folder, "ai_inventory"))
        assert seen["inventory"] != _digest(read_frame(SELF_STUDY_DIR, "ai_inventory"))
        assert seen["truth"] is None
        _assert_nothing_secret(seen["environment"], folder, secret, [secret_file, course])

        # The formgrader service, in the course directory, sees the same exchange -- for
        # instructors only.
        formgrader = f"{public}/services/{COURSE_ID}/formgrader/api/assignments"
        as_instructor = {"Authorization": f"token {token_for(INSTRUCTOR)}"}
        response = requests.get(formgrader, headers=as_instructor, timeout=REQUEST_TIMEOUT)
        assert response.status_code == 200, response.text
        assert [(a["name"], a["status"]) for a in response.json()] == [(lab, "released")]
        response = requests.get(formgrader, headers=as_learner, timeout=REQUEST_TIMEOUT, allow_redirects=False)
        assert response.status_code == 403, response.text

        # The instructor grades her submission and releases feedback; she fetches it in the browser
        # and sees her scores, never the hidden tests' code.
        _instructor(course, env, ["nbgrader", "collect", lab])
        # nbgrader files a submission under the server's system user; the image's is `jovyan`, which
        # nbgrader replaces by JUPYTERHUB_USER (deploy/jupyterhub/Dockerfile). This hub's servers run
        # as the test's own user, so her submission bears that name here.
        student = LEARNER if pwd.getpwuid(os.getuid()).pw_name == "jovyan" else pwd.getpwuid(os.getuid()).pw_name
        assert [path.name for path in (course / "submitted").iterdir()] == [student]
        # the gradebook learns the lab's cells from generate_assignment, as in the instructor's course
        for command in (["nbgrader", "generate_assignment", lab, "--force"], ["nbgrader", "db", "student", "add", student],
                        ["labs", "grade", lab],
                        ["nbgrader", "generate_feedback", lab], ["nbgrader", "release_feedback", lab]):
            _instructor(course, env, command)
        page = browser.fetch_feedback(lab)
        # she handed in the release untouched: every point is 0, and the page says so
        points = load_manifest().assignment(lab).points
        assert f"{lab} (Score: 0.0 / {float(points)})" in page, page[:300]
        assert PLACEHOLDER in page and "held_out(" not in page and "BEGIN HIDDEN TESTS" not in page
        assert browser.offline_problems() == []

        response = requests.delete(f"{api}/users/{LEARNER}/server", headers=as_service, timeout=REQUEST_TIMEOUT)
        assert response.status_code in (202, 204), response.text
        _wait_for(f"{LEARNER}'s server to stop", lambda: not requests.get(
            f"{api}/users/{LEARNER}", headers=as_service, timeout=REQUEST_TIMEOUT).json()["servers"],
            STARTUP_TIMEOUT, hub, log)
    finally:
        stack.close()  # the browser
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


def _fake_spawner(user: str, **traits) -> SimpleNamespace:
    """What the hook touches of a spawner: its user, environment, env_keep (and KubeSpawner's volumes)."""
    return SimpleNamespace(user=SimpleNamespace(name=user), log=logging.getLogger("test-spawner"), **traits)


def test_on_kubernetes_the_hook_asks_the_data_maker_and_mounts_the_folder_read_only(tmp_path, monkeypatch, caplog):
    """The Kubernetes arrangement without Kubernetes: the data maker (``python -m grader.hub serve``,
    the hub pod's sidecar) on a Unix socket, the hub's hook asking it for a learner and wiring the
    learner's pod: their sub-folder of the data volume, read-only, and LABS_DATA_DIR. The hub side
    is given no course directory and no secret."""
    secret = _write_secret(tmp_path / "secret" / "course-secret")
    monkeypatch.setenv("LABS_COURSE_SECRET_FILE", str(secret))
    root, socket_path = tmp_path / "data", str(tmp_path / "maker.sock")
    odd = "Ada Lovelace/../x"  # a hub name that is no plain file name

    async def scenario():
        maker = DataMaker(REPO, root)
        maker.check_secret()
        ready = asyncio.Event()
        server = asyncio.create_task(serve(maker, socket_path, ready=ready))
        await asyncio.wait_for(ready.wait(), 10)
        try:
            hook = LearnerData(maker_socket=socket_path, kubernetes_claim="learner-data")
            spawners = []
            for user in (LEARNER, odd):
                spawner = _fake_spawner(
                    user, volumes=[{"name": "home"}], volume_mounts=[{"name": "home", "mountPath": "/home/jovyan"}],
                    environment={"NBGRADER_EXCHANGE_ROOT": "/srv/nbgrader/exchange", "LABS_LEARNER": "everyone",
                                 "LABS_GUARD_KEY": "k", "LABS_COURSE_SECRET_FILE": str(secret)},
                    env_keep=["JUPYTERHUB_SINGLEUSER_APP", "LABS_COURSE_SECRET_FILE"])
                await hook(spawner)
                spawners.append(spawner)
            return spawners
        finally:
            server.cancel()

    spawners = asyncio.run(scenario())
    assert folder_name(odd) not in (odd, "x") and "/" not in folder_name(odd)
    for spawner, user in zip(spawners, (LEARNER, odd)):
        assert spawner.environment == {"NBGRADER_EXCHANGE_ROOT": "/srv/nbgrader/exchange",
                                       "LABS_DATA_DIR": DEFAULT_MOUNT_PATH}
        assert spawner.env_keep == ["JUPYTERHUB_SINGLEUSER_APP"]
        assert spawner.volumes == [{"name": "home"}, {"name": "learner-data", "persistentVolumeClaim": {
            "claimName": "learner-data", "readOnly": True}}]
        assert spawner.volume_mounts[1] == {"name": "learner-data", "mountPath": DEFAULT_MOUNT_PATH,
                                            "subPath": folder_name(user), "readOnly": True}
    made = _materialized(root / LEARNER)
    learner_data(Context(lab="", learner=LEARNER, secret=bytes.fromhex(secret.read_text())), tmp_path / "expected")
    assert made == _materialized(tmp_path / "expected")
    assert sorted(path.name for path in root.iterdir()) == sorted([LEARNER, folder_name(odd)])

    # A data maker that cannot make the data fails the spawn (the learner is told to ask an
    # instructor; the reason, which may quote grader code, goes to the maker's log) and nothing
    # is mounted.
    secret.write_text("not hex\n")

    async def broken():
        maker = DataMaker(REPO, root)
        ready = asyncio.Event()
        server = asyncio.create_task(serve(maker, socket_path, ready=ready))
        await asyncio.wait_for(ready.wait(), 10)
        try:
            spawner = _fake_spawner(LEARNER, volumes=[], volume_mounts=[], environment={}, env_keep=[])
            with pytest.raises(DeliveryError, match="could not make") as failure:
                await LearnerData(maker_socket=socket_path, kubernetes_claim="learner-data")(spawner)
            return spawner, str(failure.value)
        finally:
            server.cancel()

    with caplog.at_level(logging.ERROR, logger="grader.hub"):
        spawner, message = asyncio.run(broken())
    assert "unreadable or not hex" in caplog.text and "Traceback" not in message
    assert spawner.volumes == [] and "LABS_DATA_DIR" not in spawner.environment


def test_the_hub_never_makes_a_course_secret(tmp_path, monkeypatch):
    """A missing secret stops the hub at start with what to do; it is not silently replaced (a new
    secret would give every learner other data than the grader scores them on)."""
    missing = tmp_path / "nowhere" / "course-secret"
    monkeypatch.setenv("LABS_COURSE_SECRET_FILE", str(missing))
    with pytest.raises(DeliveryError, match="does not exist"):
        LearnerData(REPO, tmp_path / "data")
    assert not missing.exists() and not missing.parent.exists()
    with pytest.raises(DeliveryError, match="no grader/"):
        LearnerData(tmp_path, tmp_path / "data")  # a learner's copy of the course: no grader/


def _load_config(path: Path, monkeypatch, **env):
    from traitlets.config.loader import PyFileConfigLoader

    for name in ("NBGRADER_EXCHANGE_ROOT", "COURSE_DIR", "COURSE_GRADER_USER", "COURSE_GRADER_PORT", "HUB_ADMINS",
                 "COURSE_DATA_ROOT", "LABS_COURSE_SECRET_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


def test_the_kubernetes_example_and_the_image_agree_with_the_tested_hub(monkeypatch, tmp_path):
    """The untested Kubernetes values and image pins must not drift from what the smoke test runs."""
    import tomllib
    from importlib.metadata import version

    import yaml

    hub = _load_config(DEPLOY / "jupyterhub_config.py", monkeypatch, COURSE_INSTRUCTORS=INSTRUCTOR,
                       COURSE_LEARNERS=LEARNER, COURSE_DIR=str(REPO),
                       LABS_COURSE_SECRET_FILE=str(_write_secret(tmp_path / "secrets" / "course-secret")))
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
    # The learners' data: the pilot's hook makes it in the course directory; on Kubernetes the
    # hook asks the data maker sidecar (the learners' image, the course checkout, the secret)
    # and mounts the learner-data claim read-only where LABS_DATA_DIR points.
    pilot = hub.Spawner.pre_spawn_hook
    assert isinstance(pilot, LearnerData) and pilot.maker.course_dir == REPO
    assert copy.deepcopy(pilot) is pilot  # traitlets copies config into each spawner: one hook, one set of locks
    assert str(pilot.root) == "/srv/ai-safety-labs/data" and pilot.maker_socket is None
    namespace = {"c": type(hub)()}
    exec(values["hub"]["extraConfig"]["learner-data"], namespace)  # noqa: S102 -- our own example values
    k8s_hook = namespace["c"].KubeSpawner.pre_spawn_hook
    assert isinstance(k8s_hook, LearnerData) and k8s_hook.maker is None  # the hub container holds no secret
    maker = {c["name"]: c for c in values["hub"]["extraContainers"]}["learner-data-maker"]
    assert maker["image"] == f"{singleuser['image']['name']}:{singleuser['image']['tag']}"
    command = maker["command"]
    assert command[:4] == ["python", "-m", "grader.hub", "serve"]
    option = dict(zip(command[4::2], command[5::2]))
    mounts = {m["name"]: m for m in maker["volumeMounts"]}
    volumes = {v["name"]: v for v in values["hub"]["extraVolumes"]}
    hub_mounts = {m["name"]: m for m in values["hub"]["extraVolumeMounts"]}
    assert option["--socket"] == k8s_hook.maker_socket
    assert Path(k8s_hook.maker_socket).parent == Path(mounts["learner-data-socket"]["mountPath"]) \
        == Path(hub_mounts["learner-data-socket"]["mountPath"])
    assert option["--root"] == mounts["learner-data"]["mountPath"]
    assert volumes["learner-data"]["persistentVolumeClaim"]["claimName"] == k8s_hook.kubernetes_claim
    pvc = yaml.safe_load((DEPLOY / "kubernetes" / "learner-data-pvc.yaml").read_text())
    assert pvc["metadata"]["name"] == k8s_hook.kubernetes_claim and pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    assert k8s_hook.mount_path == DEFAULT_MOUNT_PATH
    secret_env = {e["name"]: e["value"] for e in maker["env"]}["LABS_COURSE_SECRET_FILE"]
    assert Path(secret_env).parent == Path(mounts["course-secret"]["mountPath"]) and mounts["course-secret"]["readOnly"]
    assert "course-secret" not in hub_mounts and "learner-data" not in hub_mounts
    assert option["--course-dir"] == mounts["course"]["mountPath"] == hub_mounts["course"]["mountPath"]
    assert not [key for key in singleuser["extraEnv"] if key.startswith("LABS_")]

    wanted = json.loads((DEPLOY / "proxy" / "package.json").read_text())["dependencies"]["configurable-http-proxy"]
    installed = PROXY_BIN.parent / "configurable-http-proxy" / "package.json"
    assert installed.is_file() and json.loads(installed.read_text())["version"] == wanted
