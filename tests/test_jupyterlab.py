"""Each slider section in a live JupyterLab: run it, move the slider.

The book's sliders are ipywidgets when a reader runs a section in Jupyter
(``d2l.slider`` in widget mode). This test starts ``jupyter lab`` from the
project's environment on a free 127.0.0.1 port, with a token and a
temporary home, and opens a temporary copy of every notebook that calls
``d2l.slider`` in Debian's Chromium (offline: only the lab's own server is
reachable). It runs all cells, checks that none failed, presses the right
arrow key on the slider and waits for the figure below it to change: the
kernel must redraw for the new value and the frontend must show it. It is
marked ``browser`` (``make browser``); it needs no built book.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from browser_tools import offline_chromium
from notebook_tools import ROOT, chapter_notebooks
from playwright.sync_api import TimeoutError as PlaywrightTimeout

pytestmark = pytest.mark.browser

BIN = Path(sys.executable).parent
SLIDER_CALL = re.compile(r"\bd2l\.slider\(")
START_TIMEOUT = 60  # s, for the server to answer
RUN_TIMEOUT = 240  # s, for all cells of a section
REDRAW_TIMEOUT = 60  # s, for the new figure after a key press


def _calls_slider(path: Path) -> bool:
    nb = nbformat.read(path, as_version=4)
    return any(
        c.cell_type == "code" and SLIDER_CALL.search(c.source)
        for c in nb.cells
    )


SLIDER_NOTEBOOKS = [
    p.relative_to(ROOT).as_posix()
    for p in chapter_notebooks()
    if _calls_slider(p)
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A running ``jupyter lab`` serving ``work``; its log in ``log``."""

    def __init__(self, root: Path):
        self.work = root / "work"
        self.work.mkdir()
        home = root / "home"
        self.log = root / "lab.log"
        self.port, self.token = _free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("JUPYTER", "D2LUTILS_SLIDER"))
        }
        env.update(
            HOME=str(home),
            XDG_CACHE_HOME=str(home / ".cache"),
            JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
            JUPYTER_RUNTIME_DIR=str(root / "runtime"),
            IPYTHONDIR=str(home / ".ipython"),
            MPLCONFIGDIR=str(home / ".matplotlib"),
        )
        cmd = [
            str(BIN / "jupyter"),
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            "--ServerApp.allow_root=True",  # CI runs as root
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.work}",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class="
            "jupyterlab.handlers.announcements.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
        ]
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                cmd,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log_tail(self, n: int = 30) -> str:
        lines = self.log.read_text(errors="replace").splitlines()
        return "\n".join(lines[-n:])

    def wait_ready(self) -> None:
        status = f"{self.url}/api/status?token={self.token}"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(
                    f"jupyter lab exited ({self.proc.returncode}):\n"
                    + self.log_tail()
                )
            try:
                with urllib.request.urlopen(status, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        pytest.fail(
            f"jupyter lab did not answer on {self.url} within "
            f"{START_TIMEOUT} s:\n" + self.log_tail()
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    server = Lab(tmp_path_factory.mktemp("jupyterlab"))
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def chromium(lab):
    with offline_chromium(
        lab.url, viewport={"width": 1400, "height": 1000}
    ) as context:
        yield context


# JupyterLab's own objects (window.jupyterapp, exposed by the option above)
CURRENT = """(name) => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  return !!(w && w.context && w.context.path === name && w.sessionContext);
}"""
OPENED = """async () => {
  const app = window.jupyterapp;
  await app.started; await app.restored;
  const panel = app.shell.currentWidget;
  await panel.context.ready;
  await panel.sessionContext.ready;
  return panel.context.path;
}"""
RUN_ALL = """async (ms) => {
  const app = window.jupyterapp;
  const timeout = new Promise(ok => setTimeout(() => ok('timeout'), ms));
  const run = app.commands.execute('notebook:run-all-cells');
  return String(await Promise.race([run, timeout]));
}"""
ERRORS = """() => [...document.querySelectorAll(
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
  )].map(e => e.textContent).filter(t => /Error|Traceback/.test(t))
   .map(t => t.slice(-600))"""


def _digest(src: str | None) -> str:
    return hashlib.sha1((src or "").encode()).hexdigest()[:12]


@pytest.mark.parametrize("notebook", SLIDER_NOTEBOOKS)
def test_live_slider_redraws(lab, chromium, notebook):
    """Run the section, press → on its first slider: the figure changes."""
    name = Path(notebook).name
    shutil.copy(ROOT / notebook, lab.work / name)
    page = chromium.new_page()
    console: list[str] = []
    page.on("pageerror", lambda e: console.append(str(e)))
    t_open = time.monotonic()
    try:
        page.goto(
            f"{lab.url}/lab/tree/{name}?token={lab.token}", wait_until="load"
        )
        page.wait_for_function(CURRENT, arg=name, timeout=START_TIMEOUT * 1000)
        assert page.evaluate(OPENED) == name
        opened = time.monotonic() - t_open
        print(f"{notebook}: open, kernel ready after {opened:.1f} s")
        t0 = time.monotonic()
        result = page.evaluate(RUN_ALL, RUN_TIMEOUT * 1000)
        ran = time.monotonic() - t0
        errors = page.evaluate(ERRORS)
        assert result == "true" and not errors, (
            f"{notebook}: running all cells gave {result!r} after "
            f"{ran:.0f} s; errors shown: {errors}"
        )
        box = page.locator(
            ".jp-OutputArea-output .widget-vbox:has(.noUi-handle)"
        ).first
        box.wait_for(state="visible", timeout=10_000)
        box.scroll_into_view_if_needed()
        handle = box.locator(".noUi-handle").first
        readout = box.locator(".widget-readout").first
        img = box.locator(".widget-output img").first
        img.wait_for(state="visible", timeout=10_000)
        before = (readout.inner_text(), _digest(img.get_attribute("src")))
        handle.focus()
        page.keyboard.press("ArrowRight")
        t1 = time.monotonic()
        try:
            page.wait_for_function(  # the output re-renders a new <img>
                "([box, src]) => { const i = box.querySelector("
                "'.widget-output img'); return !!i && i.src !== src; }",
                arg=[box.element_handle(), img.get_attribute("src")],
                timeout=REDRAW_TIMEOUT * 1000,
            )
        except PlaywrightTimeout:
            pass  # the asserts below say what was seen
        after = (readout.inner_text(), _digest(img.get_attribute("src")))
        print(
            f"{notebook}: all cells ran in {ran:.1f} s; waited "
            f"{time.monotonic() - t1:.2f} s for a new figure after the key"
        )
        shown = box.locator(".widget-output").inner_text()
        assert after[0] != before[0], (
            f"{notebook}: → did not move the slider: readout {before[0]!r} "
            f"before and after"
        )
        assert after[1] != before[1], (
            f"{notebook}: the slider moved ({before[0]!r} → {after[0]!r}) "
            f"but the figure stayed the same for {REDRAW_TIMEOUT} s; "
            f"output text: {shown!r}; page errors: {console}"
        )
        assert not console, f"{notebook}: page errors: {console}"
    finally:  # free the CPU for the next section
        page.evaluate(
            "() => window.jupyterapp &&"
            " window.jupyterapp.serviceManager.sessions.shutdownAll()"
        )
        page.close()
