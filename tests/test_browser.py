"""The rendered book, tested in a real browser with the network off.

Every test here is marked ``browser``: ``make browser`` (part of
``make test``, after ``make book``) runs them. They drive Debian's
``/usr/bin/chromium`` through Playwright against ``_build/html``, served
by a small HTTP server on 127.0.0.1. Every request to any other host is
blocked and recorded, so a page that needs a CDN (MathJax, require.js,
fonts, ...) fails here exactly as it would for a reader offline.

For every page the table of contents produces (plus the root redirect,
the index and the search page) the test checks that it loads with no
console errors and no failed requests, that MathJax typesets every maths
element, that every image has loaded, that every internal link and
``#anchor`` resolves, and that notebook pages carry a Colab launch button
pointing at the notebook in the repository named in ``_config.yml``. It
saves a full-page screenshot to ``_build/screenshots/<page>.png``. On
every page whose notebook calls ``d2l.slider`` it moves each static slider
and checks that the figure and the value shown change.

Set ``D2L_BOOK_HTML`` to test another build (e.g. ``/tmp/x/_build/html``).
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import os
import posixpath
import re
import shutil
import tempfile
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from notebook_tools import ROOT, toc_docnames

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
# TeX left as text in the rendered page means some maths was not typeset.
RAW_TEX = re.compile(r"\$\$|\\begin\{|\\frac\b|\\mathbf\b|\\sum\b")
_REFRESH = re.compile(
    r'<meta[^>]+http-equiv="refresh"[^>]+url=([^"\s]+)"', re.IGNORECASE
)

pytestmark = pytest.mark.browser


# -- what pages the book has --------------------------------------------------
DOCNAMES = toc_docnames()
NOTEBOOK_PAGES = {
    f"{doc}.html": f"{doc}.ipynb"
    for doc in DOCNAMES
    if (ROOT / f"{doc}.ipynb").is_file()
}
# every page whose notebook calls d2l.slider: each of its sliders must move
SLIDER_PAGES = sorted(
    page
    for page, notebook in NOTEBOOK_PAGES.items()
    if "d2l.slider(" in (ROOT / notebook).read_text(encoding="utf-8")
)
# the root redirect, every toc page, then Sphinx's own pages
PAGES = (
    ["index.html"]
    + [f"{doc}.html" for doc in DOCNAMES]
    + ["genindex.html", "search.html"]
)


def _source_has_maths(page: str) -> bool:
    """Whether the page's source writes ``$...$`` maths in prose."""
    doc = page[: -len(".html")]
    for suffix in (".ipynb", ".md"):
        src = ROOT / f"{doc}{suffix}"
        if not src.is_file():
            continue
        text = src.read_text(encoding="utf-8")
        if suffix == ".ipynb":
            import nbformat

            nb = nbformat.reads(text, as_version=4)
            text = "\n".join(
                c.source for c in nb.cells if c.cell_type == "markdown"
            )
        text = re.sub(r"```.*?```", "", text, flags=re.S)
        text = re.sub(r"`[^`\n]*`", "", text)
        return bool(re.search(r"\$[^$\s][^$]*\$", text))
    return False


def _colab_url(notebook: str) -> str:
    """The Colab address _config.yml's repository section implies."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text("utf-8"))
    repo = config["repository"]
    owner_name = urlsplit(repo["url"]).path.strip("/")
    owner_name = owner_name.removesuffix(".git")
    base = config["launch_buttons"]["colab_url"].rstrip("/")
    prefix = (repo.get("path_to_book") or "").strip("/")
    path = f"{prefix}/{notebook}" if prefix else notebook
    return f"{base}/github/{owner_name}/blob/{repo['branch']}/{path}"


# -- fixtures ---------------------------------------------------------------
@pytest.fixture(scope="session")
def html_root() -> Path:
    root = Path(os.environ.get("D2L_BOOK_HTML", ROOT / "_build" / "html"))
    if not (root / "index.html").is_file():
        pytest.fail(
            f"no built book in {root}: run `make book` first", pytrace=False
        )
    return root.resolve()


@pytest.fixture(scope="session")
def server(html_root):
    """Serve the book on 127.0.0.1, a free port, from a thread."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(html_root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def browser_context(server):
    """Chromium with a fresh profile; requests off 127.0.0.1 are blocked."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="d2l-chromium-")
    host = urlsplit(server).netloc
    blocked: list[str] = []

    def route(route_):
        url = route_.request.url
        if urlsplit(url).scheme in ("data", "blob") or (
            urlsplit(url).netloc == host
        ):
            route_.continue_()
        else:
            blocked.append(url)
            route_.abort("blockedbyclient")

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
            service_workers="block",
        )
        context.route("**/*", route)
        context.blocked = blocked
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key == "id" or (key == "name" and tag == "a"):
                self.ids.add(value or "")


@functools.cache
def _ids_in(path: Path) -> frozenset[str]:
    parser = _Ids()
    parser.feed(path.read_text(encoding="utf-8"))
    return frozenset(parser.ids)


class LoadedPage:
    """One book page opened in the browser, with what went wrong."""

    def __init__(self, context, server, html_root, page_path):
        self.page = context.new_page()
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


@pytest.fixture(scope="module")
def loaded(browser_context, server, html_root):
    """Open each page once per module; tests of a page share the load."""
    cache: dict[str, LoadedPage] = {}

    def get(page_path: str) -> LoadedPage:
        if page_path not in cache:
            cache[page_path] = LoadedPage(
                browser_context, server, html_root, page_path
            )
        return cache[page_path]

    yield get
    for item in cache.values():
        item.page.close()


# -- the checks -------------------------------------------------------------
def test_every_built_page_is_tested(html_root):
    """No HTML page outside the toc slips past the checks below."""
    built = {
        p.relative_to(html_root).as_posix()
        for p in html_root.rglob("*.html")
        if "_static" not in p.relative_to(html_root).parts
        and "_sources" not in p.relative_to(html_root).parts
    }
    assert built == set(PAGES), (
        f"pages not in the toc: {sorted(built - set(PAGES))} (stale? "
        f"`make clean book`); missing: {sorted(set(PAGES) - built)}"
    )


@pytest.mark.parametrize("page_path", PAGES)
def test_page(loaded, html_root, page_path):
    """Loads offline, maths typeset, images load, links resolve."""
    lp = loaded(page_path)
    page = lp.page

    # 1. nothing from another host, no failed request, no console error
    assert not lp.blocked, f"requests to other hosts: {lp.blocked}"
    assert not lp.failed, f"failed requests: {lp.failed}"
    assert not lp.console_errors, f"console errors: {lp.console_errors}"

    # 2. maths: every .math element holds MathJax output, no TeX errors
    n_math = page.locator(".math").count()
    untypeset = page.evaluate(
        "() => [...document.querySelectorAll('.math')]"
        ".filter(e => !e.querySelector('mjx-container'))"
        ".map(e => e.textContent.trim().slice(0, 80))"
    )
    assert not untypeset, f"maths not typeset by MathJax: {untypeset}"
    if n_math:
        assert lp.has_mathjax, "page has maths but MathJax did not start"
    if _source_has_maths(page_path):
        assert n_math > 0, "the source has $...$ maths, the page has none"
    merrors = page.locator("mjx-merror").all_text_contents()
    assert not merrors, f"TeX errors: {merrors}"
    clipped = page.evaluate(
        """() => [...document.querySelectorAll('div.math')].filter(d => {
          const c = d.querySelector('mjx-container');
          const m = c && c.querySelector('mjx-math');
          if (!m) return false;
          const db = d.getBoundingClientRect(), cb = c.getBoundingClientRect();
          const mb = m.getBoundingClientRect();
          // overflow to the left can never be scrolled into view
          if (mb.left < db.left - 1) return true;
          // overflow to the right is fine only inside a scrolling box
          const scrolls = (c.scrollWidth > c.clientWidth + 1
                           && cb.right <= db.right + 1)
            || (d.scrollWidth > d.clientWidth + 1
                && ['auto', 'scroll'].includes(getComputedStyle(d).overflowX));
          return mb.right > db.right + 1 && !scrolls;
        }).map(d => {  // report the TeX source of each clipped formula
          const items = MathJax.startup.document.getMathItemsWithin(d);
          return (items[0] ? items[0].math : d.textContent).trim()
            .replace(/\\s+/g, ' ').slice(0, 90);
        })"""
    )
    assert not clipped, (
        "display maths cut off (wider than the text column and not "
        f"scrollable; split it over lines or shorten it): {clipped}"
    )
    raw = page.evaluate(
        """(pattern) => {
          const re = new RegExp(pattern);
          const skip = 'pre, code, script, style, mjx-container, textarea';
          const w = document.createTreeWalker(document.body,
                                              NodeFilter.SHOW_TEXT);
          const hits = [];
          while (w.nextNode()) {
            const n = w.currentNode;
            if (n.parentElement.closest(skip)) continue;
            if (re.test(n.textContent))
              hits.push(n.textContent.trim().slice(0, 80));
          }
          return hits;
        }""",
        RAW_TEX.pattern,
    )
    assert not raw, f"TeX left as text (not typeset): {raw}"

    # no empty output boxes (e.g. a stream that only printed a newline)
    blank = page.evaluate(
        """() => [...document.querySelectorAll('.cell_output > .output')]
          .map(o => {
            const c = o.cloneNode(true);  // without the copy button
            c.querySelectorAll('.copybtn, button').forEach(b => b.remove());
            return c;
          })
          .filter(c => !c.querySelector('img, svg, canvas, iframe, video')
                       && c.textContent.trim() === '').length"""
    )
    assert blank == 0, f"{blank} empty output box(es)"

    # 3. images: every <img> decoded with a real size
    broken = page.evaluate(
        "() => [...document.images].filter(i => !(i.complete"
        " && i.naturalWidth > 0)).map(i => i.src.slice(0, 100))"
    )
    assert not broken, f"images that did not load: {broken}"

    # 4. internal links and #anchors resolve
    hrefs = page.evaluate(
        "() => [...document.querySelectorAll('a[href], link[href]')]"
        ".filter(a => !(a.rel || '').match(/stylesheet|preload/))"
        ".map(a => a.href)"
    )
    bad = []
    for href in hrefs:
        if urlsplit(href).scheme not in ("http", "https", ""):
            continue  # mailto:, javascript:, data:
        target = lp.file_for(href)
        if target is None:
            continue  # external (Colab, GitHub): not fetched offline
        if not target.is_file():
            bad.append(f"{href}: no file {target}")
            continue
        fragment = unquote(urlsplit(href).fragment)
        if fragment and target.suffix == ".html":
            if fragment not in _ids_in(target):
                bad.append(f"{href}: no id {fragment!r} in {target.name}")
    assert not bad, "broken internal links:\n" + "\n".join(bad)

    # 5. a screenshot for people to look at
    shot = html_root.parent / "screenshots" / (page_path[:-5] + ".png")
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0


@pytest.mark.parametrize("page_path", sorted(NOTEBOOK_PAGES))
def test_colab_launch_button(loaded, page_path):
    """Each notebook page opens its own notebook in Colab."""
    page = loaded(page_path).page
    expected = _colab_url(NOTEBOOK_PAGES[page_path])
    hrefs = page.evaluate(
        "() => [...document.querySelectorAll('a[href*=\"colab\"]')]"
        ".map(a => a.href)"
    )
    assert hrefs == [expected]
    assert re.fullmatch(
        r"https://colab\.research\.google\.com/github/[\w.-]+/[\w.-]+"
        r"/blob/[\w.-]+/chapters/[\w/.-]+\.ipynb",
        expected,
    ), expected


@pytest.mark.parametrize("page_path", SLIDER_PAGES)
def test_slider_moves(loaded, page_path):
    """Moving each static slider changes the figure and the value shown."""
    page = loaded(page_path).page
    sliders = page.locator("div.d2l-slider")
    assert sliders.count() > 0, (
        f"{page_path}: the notebook calls d2l.slider but the page has no "
        "static slider (build with D2LUTILS_SLIDER_MODE=static)"
    )
    for k in range(sliders.count()):
        slider = sliders.nth(k)
        slider.scroll_into_view_if_needed()
        rng = slider.locator("input.d2l-slider-input[type=range]")
        img = slider.locator("img.d2l-slider-img")
        value = slider.locator(".d2l-slider-value")
        assert rng.count() == img.count() == value.count() == 1
        assert slider.locator(".d2l-slider-ticks").count() == 1
        lo, hi, step = (
            float(rng.get_attribute(a) or d)
            for a, d in (("min", "0"), ("max", "100"), ("step", "1"))
        )
        positions = int(round((hi - lo) / step)) + 1
        assert positions >= 2, f"slider {k} offers one value only"

        def state(img=img, value=value):
            """(short digest of the image shown, the value text)"""
            src = img.get_attribute("src") or ""
            assert src.startswith("data:image/png;base64,"), src[:40]
            digest = hashlib.sha1(src.encode()).hexdigest()[:12]
            return digest, value.inner_text().strip()

        def move_to(v: float, rng=rng):
            rng.evaluate(
                "(el, v) => { el.value = v;"
                " el.dispatchEvent(new Event('input', {bubbles: true})); }",
                str(v),
            )

        seen = [state()]
        for i in range(positions):
            move_to(lo + i * step)
            seen.append(state())
            assert img.evaluate("i => i.complete && i.naturalWidth > 0")
        # every step to a new position changes both image and value text
        for a, b in zip(seen[1:], seen[2:]):
            assert a[0] != b[0], f"slider {k}: image did not change"
            assert a[1] != b[1], f"slider {k}: value text did not change"
        # a real key press moves it too (the browser fires "input")
        move_to(lo)
        rng.focus()
        page.keyboard.press("End")
        assert state() == seen[-1]
        page.keyboard.press("Home")
        assert state() == seen[1]


def test_search_works_offline(loaded, server):
    """Sphinx's search page finds a page from its local index."""
    page = loaded("search.html").page
    page.goto(f"{server}/search.html?q=glossary", wait_until="load")
    hits = page.locator("#search-results ul.search li a")
    hits.first.wait_for(timeout=15_000)
    links = [h.get_attribute("href") or "" for h in hits.all()]
    assert any("glossary" in link for link in links), links
