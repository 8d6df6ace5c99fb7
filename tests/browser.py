"""Headless Chromium for the browser tests: Debian's `chromium`, driven by Playwright for Python
(``executable_path``: Playwright downloads no browser), and what every such test needs."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

# Chromium's own background traffic is off, as in the project's other headless runs
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Debian's chromium is needed for the browser tests: `apt-get install -y chromium` (make test does it)")
    return path


def launch(playwright):
    return playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)


class Steps:
    """Screenshots of each step, named in order; their folder is in every failure message."""

    def __init__(self, page, folder: Path):
        self.page, self.folder, self.count = page, folder, 0
        folder.mkdir(parents=True, exist_ok=True)

    def shot(self, name: str) -> None:
        self.count += 1
        self.page.screenshot(path=str(self.folder / f"{self.count:02d}-{name}.png"), full_page=False)


def wait_until_idle(page, timeout_s: float = 240) -> None:
    """Until the notebook's kernel is idle and no cell waits to run ([*])."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        busy = page.locator(".jp-InputPrompt", has_text="[*]").count()
        status = page.locator(".jp-Notebook-ExecutionIndicator").first.get_attribute("data-status")
        if not busy and status == "idle":
            return
        time.sleep(0.5)
    raise AssertionError(f"the notebook was still running after {timeout_s:.0f} s")


def menu(page, name: str, item: str) -> None:
    """JupyterLab's menu bar: open ``name``, click ``item``."""
    page.locator(".lm-MenuBar-itemLabel", has_text=name).first.click()
    page.locator(".lm-Menu .lm-Menu-itemLabel").get_by_text(item, exact=True).click()
