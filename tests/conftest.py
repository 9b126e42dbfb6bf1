"""Shared fixtures: a private home and cache, seeded generators, IDX files,
and the built book in a browser (``html_root``, ``server``,
``browser_context``, ``loaded``, ``loaded_phone``).

Every test runs with ``HOME`` and ``XDG_CACHE_HOME`` pointing into a
temporary folder of the session and without ``D2LUTILS_DATA_DIR`` (so the
loader's default search runs; a test that wants it sets it), so nothing is
written to the real home and the suite passes with a read-only one. Tests
that need an empty cache of their own take ``cache_home``.
"""

from __future__ import annotations

import gzip
import http.server
import multiprocessing
import os
import shutil
import struct
import tempfile
import threading
import traceback
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")

SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="session")
def _session_home(tmp_path_factory):
    return tmp_path_factory.mktemp("home")


@pytest.fixture(autouse=True)
def _hermetic(_session_home, monkeypatch):
    """No test reads or writes the real home, cache or data folder."""
    monkeypatch.setenv("HOME", str(_session_home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(_session_home / ".cache"))
    monkeypatch.delenv("D2LUTILS_DATA_DIR", raising=False)


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    """Point the d2lutils user cache at an empty temporary folder."""
    home = tmp_path / "cache-home"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.delenv("D2LUTILS_DATA_DIR", raising=False)
    return home


@pytest.fixture
def generator():
    g = torch.Generator()
    g.manual_seed(0)
    return g


@pytest.fixture(scope="session")
def system_data():
    """The Debian copy of Fashion-MNIST (make test installs it)."""
    if not all(
        (SYSTEM_DIR / f).is_file()
        for f in ("train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
    ):
        pytest.fail(
            f"{SYSTEM_DIR} is missing: apt-get install dataset-fashion-mnist "
            "(make test does this as root)"
        )
    return SYSTEM_DIR


def write_idx(path: Path, data: np.ndarray, *, magic_type=0x08, gz=True):
    """Write ``data`` (uint8) as an IDX file, gzipped if ``gz``."""
    header = struct.pack(">HBB", 0, magic_type, data.ndim)
    header += struct.pack(f">{data.ndim}I", *data.shape)
    raw = header + data.astype(np.uint8).tobytes()
    if gz:
        path.write_bytes(gzip.compress(raw))
    else:
        path.write_bytes(raw)
    return raw


@pytest.fixture
def shared_tmp():
    """A temporary folder that user ``nobody`` can enter (``tmp_path`` is
    private to root), for tests of file permissions."""
    folder = Path(tempfile.mkdtemp(prefix="d2lutils-perm-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _child(conn, fn, args):
    # A forked child that enters the OpenMP pool its parent started hangs
    # (GNU libgomp): on one thread torch runs every kernel inline.
    torch.set_num_threads(1)
    if os.geteuid() == 0:  # root reads every file: become nobody
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = ("ok", repr(fn(*args)))
        except Exception as err:  # sent back to the test as text
            out = (type(err).__name__, str(err) or traceback.format_exc())
    conn.send((*out, [str(w.message) for w in caught]))
    conn.close()


def run_unprivileged(fn, *args):
    """Run ``fn(*args)`` in a forked child without root's powers.

    Root ignores file permissions, so permission problems can only be
    tested as another user: as root the child becomes ``nobody``. Returns
    ``(outcome, text, warnings)``: ``("ok", repr(result), [...])`` or the
    exception's class name and message, and the warnings' messages.
    """
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_child, args=(child, fn, args))
    proc.start()
    try:
        if not parent.poll(300):
            raise TimeoutError("the unprivileged child did not answer")
        return parent.recv()
    finally:
        proc.join(10)


class _Handler(http.server.BaseHTTPRequestHandler):
    """``/NAME`` serves ``files[NAME]``; ``/stall/NAME`` sends its first
    kilobyte and then nothing; ``/short/NAME`` half of it, then hangs up."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        mode, _, name = self.path.lstrip("/").rpartition("/")
        data = self.server.files.get(name)
        if data is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if mode == "stall":
            self.wfile.write(data[:1024])
            self.wfile.flush()
            self.server.stalled.set()
            self.server.release.wait(30)
        elif mode == "short":
            self.wfile.write(data[: len(data) // 2])
        else:
            self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def http_files():
    """A local HTTP server on 127.0.0.1: fill ``server.files`` (name ->
    bytes) and fetch ``server.url + name`` (or ``stall/``, ``short/``)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.files = {}
    server.release = threading.Event()  # set: stalled requests end
    server.stalled = threading.Event()  # set: a request is stalling
    server.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


# -- the built book in a browser (tests marked ``browser``) -----------------
@pytest.fixture(scope="session")
def html_root() -> Path:
    """``_build/html``, or the build ``D2L_BOOK_HTML`` names."""
    from notebook_tools import ROOT

    root = Path(os.environ.get("D2L_BOOK_HTML", ROOT / "_build" / "html"))
    if not (root / "index.html").is_file():
        pytest.fail(
            f"no built book in {root}: run `make book` first", pytrace=False
        )
    return root.resolve()


@pytest.fixture(scope="session")
def server(html_root):
    """The book served on 127.0.0.1, a free port, from a thread."""
    from browser_tools import serve

    with serve(html_root) as url:
        yield url


@pytest.fixture(scope="session")
def browser_context(server):
    """Chromium with a fresh profile; requests off 127.0.0.1 are blocked.

    One per session: Playwright's sync API cannot start a second one in
    the same process.
    """
    from browser_tools import offline_chromium

    with offline_chromium(server) as context:
        yield context


def _page_cache(browser_context, server, html_root, viewport):
    from browser_tools import LoadedPage

    cache: dict = {}

    def get(page_path: str):
        if page_path not in cache:
            cache[page_path] = LoadedPage(
                browser_context, server, html_root, page_path, viewport
            )
        return cache[page_path]

    return cache, get


def _open_pages(browser_context, server, html_root, viewport):
    """Yield ``get(page)`` for pages opened at ``viewport``; close them."""
    cache, get = _page_cache(browser_context, server, html_root, viewport)
    yield get
    for item in cache.values():
        item.page.close()


@pytest.fixture(scope="module")
def loaded(browser_context, server, html_root):
    """``loaded(page)``: the page opened at 1280 px, once per module."""
    from browser_tools import WIDE

    yield from _open_pages(browser_context, server, html_root, WIDE)


@pytest.fixture(scope="module")
def loaded_phone(browser_context, server, html_root):
    """``loaded_phone(page)``: the page opened at 390 px, once per module."""
    from browser_tools import PHONE

    yield from _open_pages(browser_context, server, html_root, PHONE)
