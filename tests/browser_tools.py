"""Chromium for the browser tests, offline: one place for how it starts.

``tests/test_browser.py`` and ``tests/test_reader_view.py`` (the built
book) and ``tests/test_jupyterlab.py`` (a live JupyterLab) drive Debian's
``/usr/bin/chromium`` through Playwright with a fresh profile, and block
every request that leaves the one local server under test, recording it,
so a page that needs the network fails the test instead of quietly loading
from a CDN.

* :func:`offline_chromium` -- the browser context;
* :func:`serve` -- a folder served on 127.0.0.1 from a thread;
* :class:`LoadedPage` -- one book page opened at a given width, MathJax
  done and images decoded, with the console errors and failed requests
  it caused (the fixtures in ``conftest.py`` hand these out).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import posixpath
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "PHONE",
    "WIDE",
    "LoadedPage",
    "offline_chromium",
    "serve",
]

# The two widths every page is looked at: a laptop and a phone.
WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
_REFRESH = re.compile(
    r'<meta[^>]+http-equiv="refresh"[^>]+url=([^"\s]+)"', re.IGNORECASE
)

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


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (a free port); yield its base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


class LoadedPage:
    """One book page opened in the browser, with what went wrong."""

    def __init__(self, context, server, html_root, page_path, viewport=WIDE):
        self.page = context.new_page()
        self.page.set_viewport_size(viewport)
        self.viewport = viewport
        self.page.set_default_timeout(20_000)
        self.server, self.html_root = server, html_root
        self.console_errors: list[str] = []
        self.failed: list[str] = []
        self.blocked_before = len(context.blocked)
        self.context = context
        self.page.on(
            "console",
            lambda m: (
                m.type == "error"
                and self.console_errors.append(f"{m.text} @ {m.location}")
            ),
        )
        self.page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        self.page.on(
            "requestfailed",
            lambda r: self.failed.append(f"{r.url}: {r.failure}"),
        )
        self.page.on(
            "response",
            lambda r: (
                r.status >= 400
                and self.failed.append(f"{r.url}: HTTP {r.status}")
            ),
        )
        redirect = _REFRESH.search(
            (html_root / page_path).read_text(encoding="utf-8")
        )
        if redirect:  # e.g. index.html -> chapters/index.html
            target = posixpath.normpath(
                posixpath.join(posixpath.dirname(page_path), redirect[1])
            )
            self.page.goto(f"{server}/{page_path}", wait_until="commit")
            self.page.wait_for_url(f"{server}/{target}", wait_until="load")
        else:
            self.page.goto(f"{server}/{page_path}", wait_until="load")
        # MathJax typesets after load; wait for it where the page loads it
        self.has_mathjax = self.page.evaluate(
            "async () => { if (!(window.MathJax && MathJax.startup"
            " && MathJax.startup.promise)) return false;"
            " await MathJax.startup.promise; return true; }"
        )
        self.page.evaluate(
            "() => Promise.all([...document.images].map("
            "i => i.decode().catch(() => null)))"
        )

    @property
    def blocked(self) -> list[str]:
        return self.context.blocked[self.blocked_before :]

    def file_for(self, url: str) -> Path | None:
        """The built file a same-site URL serves, or None if elsewhere."""
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self.server:
            return None
        rel = unquote(parts.path).lstrip("/")
        target = self.html_root / rel
        if rel == "" or rel.endswith("/"):
            target = target / "index.html"
        return target
