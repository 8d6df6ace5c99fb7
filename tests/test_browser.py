"""The learner's path in a real browser: JupyterLab, as `make lab` starts it, in headless Chromium.

Debian's `chromium` is driven by Playwright for Python (tests/browser.py). JupyterLab gets the
course's offline settings (deploy/jupyterlab/), as `make lab` and the hub image give them. A screenshot of every step is kept; on failure the message names the
folder (set BROWSER_ARTIFACTS to keep them somewhere else).
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from labs.course import solution_source
from tests.browser import Steps, launch, menu, wait_until_idle
from tests.conftest import REPO

LAB = "sanitization"  # the fastest lab to run top to bottom
TOKEN = "browser-test-token"
OFFLINE_SETTINGS = REPO / "deploy" / "jupyterlab"
NEWS_PROMPT = "Would you like to receive official Jupyter news?"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _first_exercise(notebook) -> tuple[int, int, str]:
    """(index of the first answer cell, index of its first test cell, the instructor's answer)."""
    source = nbformat.read(REPO / "source" / LAB / f"{LAB}.ipynb", as_version=4)
    solutions = {c.metadata["nbgrader"]["grade_id"]: solution_source(c.source) for c in source.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    meta = [cell.metadata.get("nbgrader", {}) for cell in notebook.cells]
    answer = next(i for i, m in enumerate(meta) if m.get("solution"))
    test = next(i for i, m in enumerate(meta) if i > answer and m.get("grade") and not m.get("solution"))
    return answer, test, solutions[meta[answer]["grade_id"]]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """JupyterLab serving a learner's copy of the released lab, with the course's offline settings."""
    root = tmp_path_factory.mktemp("lab")
    work = root / "work"
    shutil.copytree(REPO / "release" / LAB, work / LAB)
    settings = root / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # every cell in the page, so a cell can be found by its position in the notebook
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if key not in ("LABS_LEARNER", "JUPYTERHUB_USER",
                                                                         "LABS_DATA_DIR")}
    env.update(JUPYTER_CONFIG_PATH=str(OFFLINE_SETTINGS), JUPYTERLAB_SETTINGS_DIR=str(root / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(root / "workspaces"), JUPYTER_RUNTIME_DIR=str(root / "runtime"),
               PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]))
    log = open(root / "jupyterlab.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
                               f"--ServerApp.port={port}", f"--IdentityProvider.token={TOKEN}",
                               f"--ServerApp.root_dir={work}", *(["--allow-root"] if os.geteuid() == 0 else [])],
                              cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail("JupyterLab did not start:\n" + (root / "jupyterlab.log").read_text()[-3000:])
            time.sleep(0.5)
    yield base, work, root
    server.terminate()
    server.wait(timeout=30)
    log.close()


def test_self_study_a_lab_in_jupyterlab(jupyterlab, tmp_path):
    from playwright.sync_api import sync_playwright

    base, work, root = jupyterlab
    artefacts = Path(os.environ.get("BROWSER_ARTIFACTS", tmp_path)) / "self-study"
    notebook = nbformat.read(work / LAB / f"{LAB}.ipynb", as_version=4)
    answer, test, solution = _first_exercise(notebook)
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("request", lambda request: requests.append(request.url))
        steps = Steps(page, artefacts)
        try:
            page.goto(f"{base}/lab/tree/{LAB}/{LAB}.ipynb?token={TOKEN}")
            page.locator(".jp-Notebook .jp-Cell").nth(test).wait_for(timeout=120_000)
            wait_until_idle(page)
            steps.shot("opened")

            menu(page, "Run", "Run All Cells")
            page.locator(".jp-Notebook .jp-Cell").nth(test).locator(".jp-InputPrompt", has_text="[").first \
                .wait_for(timeout=60_000)
            time.sleep(1)
            wait_until_idle(page)
            steps.shot("ran-all-released")
            # Run All stops at the unanswered cell's NotImplementedError; the learner runs the test too
            test_cell = page.locator(".jp-Notebook .jp-Cell").nth(test)
            test_cell.scroll_into_view_if_needed()
            test_cell.locator(".jp-InputArea-editor").click()
            page.keyboard.press("Shift+Enter")
            time.sleep(1)
            wait_until_idle(page)
            steps.shot("test-run-released")
            before = test_cell.locator(".jp-OutputArea").inner_text()
            assert "NotImplementedError" in before, before

            editor = page.locator(".jp-Notebook .jp-Cell").nth(answer).locator(".cm-content")
            editor.scroll_into_view_if_needed()
            editor.click()
            page.keyboard.press("Control+a")
            page.keyboard.insert_text(solution)
            steps.shot("answer-typed")
            menu(page, "Run", "Run Selected Cell and All Below")
            time.sleep(1)
            wait_until_idle(page)
            test_cell.scroll_into_view_if_needed()
            steps.shot("answer-run")
            after = test_cell.locator(".jp-OutputArea").inner_text()
            assert "PASSED" in after and "NotImplementedError" not in after, after

            page.get_by_role("button", name="Validate").first.click()
            dialog = page.locator(".jp-Dialog")
            dialog.wait_for(timeout=300_000)
            page.locator(".jp-Dialog-header", has_text="Validation Results").wait_for(timeout=300_000)
            steps.shot("validated")
            result = dialog.inner_text()
            # one exercise done, the others not: nbgrader's Validate shows the first test that still fails
            assert "The following cell failed" in result, result
            # ... and not the solved one (its longest line is its own; shorter ones recur in later tests)
            assert max(notebook.cells[test].source.splitlines(), key=len).strip() not in result, result
            page.keyboard.press("Escape")

            assert NEWS_PROMPT not in page.content()
        except Exception as error:
            steps.shot("failure")
            raise AssertionError(f"{error}\n(screenshots in {artefacts}; server log in {root / 'jupyterlab.log'})") \
                from error
        finally:
            browser.close()

    saved = nbformat.read(work / LAB / f"{LAB}.ipynb", as_version=4)
    assert saved.cells[answer].source.strip() == solution.strip(), "Validate saves the notebook as typed"
    # offline: the page asked nothing of anyone but the local server, and never for news or extensions
    outside = [url for url in requests if not url.startswith((base, "data:", "blob:"))]
    assert outside == []
    assert not [url for url in requests if "/lab/api/news" in url or "/lab/api/extensions" in url]
