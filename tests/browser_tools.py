"""Chromium for the browser tests, offline: one place for how it starts.

``tests/test_browser.py`` (the built book) and ``tests/test_jupyterlab.py``
(a live JupyterLab) both drive Debian's ``/usr/bin/chromium`` through
Playwright with a fresh profile, and both block every request that leaves
the one local server under test, recording it, so a page that needs the
network fails the test instead of quietly loading from a CDN.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "offline_chromium"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextlib.contextmanager
def offline_chromium(server: str, **options) -> Iterator:
    """A Playwright browser context that may only reach ``server``.

    ``context.blocked`` lists every URL it refused (other hosts; ``data:``
    and ``blob:`` URLs are allowed). ``options`` go to
    ``launch_persistent_context`` (e.g. ``viewport``).
    """
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="d2l-chromium-")
    host = urlsplit(server).netloc
    blocked: list[str] = []

    def route(route_):
        url = route_.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob") or parts.netloc == host:
            route_.continue_()
        else:
            blocked.append(url)
            route_.abort("blockedbyclient")

    options.setdefault("viewport", {"width": 1280, "height": 900})
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            service_workers="block",
            **options,
        )
        context.route("**/*", route)
        context.blocked = blocked
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)
