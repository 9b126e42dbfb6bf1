"""The rendered book, tested in a real browser with the network off.

Every test here is marked ``browser``: ``make browser`` (part of
``make test``, after ``make book``) runs them. They drive Debian's
``/usr/bin/chromium`` through Playwright against ``_build/html``, served
by a small HTTP server on 127.0.0.1. Every request to any other host is
blocked and recorded (``browser_tools.py``), so a page that needs a CDN
(MathJax, require.js, fonts, ...) fails here exactly as it would for a
reader offline.

Each page the table of contents produces (plus the root redirect, the
index and the search page) is opened once; the tests then check, one
thing each: no console error and no failed request; MathJax typesets every
formula (``test_reader_view.py`` checks that it fits and that no TeX is
left as text); no empty output box;
every image loads; every internal link and ``#anchor`` resolves; no test
machinery shows (nbval, tracebacks, the code of removed cells); notebook
pages carry a Colab launch button for their notebook; and a full-page
screenshot at 1280 px and at 390 px goes to
``_build/screenshots/{wide,phone}/<page>.png``.

Every static slider (``d2l.slider``, built in static mode) on every page
is found and moved, by script and by keyboard: the figure and the value
shown must change with it. A page whose notebook calls ``d2l.slider`` but
shows no slider fails, as does a slider on a page that is not tested.

Set ``D2L_BOOK_HTML`` to test another build (e.g. ``/tmp/x/_build/html``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
import yaml
from browser_tools import LoadedPage
from notebook_tools import EDITIONS, ROOT, book_docnames

# Cells Jupyter Book leaves out of the page, or whose code it leaves out.
REMOVED_INPUT_TAGS = {"remove-cell", "remove-input"}
SLIDER_CALL = re.compile(r"\bd2l\.slider\(")

pytestmark = pytest.mark.browser


# -- what pages the book has --------------------------------------------------
DOCNAMES = book_docnames()
NOTEBOOK_PAGES = {
    f"{doc}.html": f"{doc}.ipynb"
    for doc in DOCNAMES
    if (ROOT / f"{doc}.ipynb").is_file()
}
# each edition's root redirect, every toc page, then Sphinx's own pages
PAGES = (
    [f"{prefix}index.html" for prefix in EDITIONS.values()]
    + [f"{doc}.html" for doc in DOCNAMES]
    + [
        f"{prefix}{name}.html"
        for prefix in EDITIONS.values()
        for name in ("genindex", "search")
    ]
)


def _code_cells(notebook: str) -> list:
    nb = nbformat.read(ROOT / notebook, as_version=4)
    return [c for c in nb.cells if c.cell_type == "code"]


# every page whose notebook calls d2l.slider in a cell the reader sees
SLIDER_PAGES = sorted(
    page
    for page, notebook in NOTEBOOK_PAGES.items()
    if any(
        SLIDER_CALL.search(c.source)
        and not REMOVED_INPUT_TAGS & set(c.metadata.get("tags", []))
        for c in _code_cells(notebook)
    )
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


# -- the pages ----------------------------------------------------------------
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
def test_loads_offline_without_errors(loaded, page_path):
    """Nothing from another host, no failed request, no console error."""
    lp = loaded(page_path)
    assert not lp.blocked, f"requests to other hosts: {lp.blocked}"
    assert not lp.failed, f"failed requests: {lp.failed}"
    assert not lp.console_errors, f"console errors: {lp.console_errors}"


@pytest.mark.parametrize("page_path", PAGES)
def test_maths_typeset(loaded, page_path):
    """Every .math element holds MathJax output, with no TeX errors."""
    lp = loaded(page_path)
    page = lp.page
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


@pytest.mark.parametrize("page_path", PAGES)
def test_no_empty_output_box(loaded, page_path):
    """E.g. a stream that printed only a newline would show an empty box."""
    blank = loaded(page_path).page.evaluate(
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


@pytest.mark.parametrize("page_path", PAGES)
def test_images_load(loaded, page_path):
    """Every <img> decoded with a real size."""
    broken = loaded(page_path).page.evaluate(
        "() => [...document.images].filter(i => !(i.complete"
        " && i.naturalWidth > 0)).map(i => i.src.slice(0, 100))"
    )
    assert not broken, f"images that did not load: {broken}"


@pytest.mark.parametrize("page_path", PAGES)
def test_internal_links_resolve(loaded, page_path):
    """Every same-site link names a built file, and its #anchor an id."""
    lp = loaded(page_path)
    hrefs = lp.page.evaluate(
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


@pytest.mark.parametrize("page_path", PAGES)
def test_no_test_machinery_shown(loaded, page_path):
    """No nbval marker and no traceback in what the reader sees.

    A cell tagged ``raises-exception`` shows its error on purpose.
    """
    text = loaded(page_path).page.evaluate(
        """() => {
          const body = document.body.cloneNode(true);
          body.querySelectorAll('.tag_raises-exception, script, style')
            .forEach(e => e.remove());
          return body.textContent;
        }"""
    )
    nbval = re.findall(r"[^\n]{0,40}nbval[^\n]{0,40}", text, re.I)
    assert not nbval, f"nbval markers in the page: {nbval}"
    tracebacks = re.findall(r"Traceback \(most recent call last\)", text)
    assert not tracebacks, f"{len(tracebacks)} traceback(s) in the page"


@pytest.mark.parametrize("page_path", sorted(NOTEBOOK_PAGES))
def test_removed_cells_not_shown(loaded, page_path):
    """No code of a cell tagged remove-cell/remove-input is on the page.

    Checked line by line: a line of a removed cell that no shown cell has
    (the Colab install line, a CI-only assert, ...) must not appear in
    any code block of the page.
    """
    removed, shown = [], []
    for cell in _code_cells(NOTEBOOK_PAGES[page_path]):
        tags = set(cell.metadata.get("tags", []))
        (removed if tags & REMOVED_INPUT_TAGS else shown).append(cell.source)
    shown_lines = {ln.strip() for src in shown for ln in src.splitlines()}
    hidden = {
        ln.strip()
        for src in removed
        for ln in src.splitlines()
        if len(ln.strip()) >= 8
    } - shown_lines
    # every notebook starts with the Colab install cell, tagged remove-cell
    assert hidden, f"{page_path}: no removed cell found in its notebook"
    blocks = loaded(page_path).page.evaluate(
        "() => [...document.querySelectorAll('pre')].map(p => p.textContent)"
    )
    page_lines = {ln.strip() for block in blocks for ln in block.splitlines()}
    leaked = sorted(hidden & page_lines)
    assert not leaked, (
        f"{page_path} shows code of removed cells (tags "
        f"{sorted(REMOVED_INPUT_TAGS)}): {leaked[:5]}"
    )


@pytest.mark.parametrize("width", ["wide", "phone"])
@pytest.mark.parametrize("page_path", PAGES)
def test_screenshot(loaded, loaded_phone, html_root, page_path, width):
    """Full-page screenshots for people to look at: 1280 px and 390 px."""
    lp = (loaded if width == "wide" else loaded_phone)(page_path)
    shot = html_root.parent / "screenshots" / width / (page_path[:-5] + ".png")
    shot.parent.mkdir(parents=True, exist_ok=True)
    lp.page.screenshot(path=str(shot), full_page=True)
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
        r"/blob/[\w.-]+/(zh/)?chapters/[\w/.-]+\.ipynb",
        expected,
    ), expected


def test_search_works_offline(loaded, server):
    """Sphinx's search page finds a page from its local index."""
    page = loaded("search.html").page
    page.goto(f"{server}/search.html?q=glossary", wait_until="load")
    hits = page.locator("#search-results ul.search li a")
    hits.first.wait_for(timeout=15_000)
    links = [h.get_attribute("href") or "" for h in hits.all()]
    assert any("glossary" in link for link in links), links


# -- the static sliders -------------------------------------------------------
def test_every_slider_page_is_tested(html_root):
    """The pages with a static slider are exactly SLIDER_PAGES.

    A page whose notebook calls ``d2l.slider`` must show a slider (built
    in static mode), and a slider on any other page would go untested.
    """
    assert SLIDER_PAGES, "no notebook calls d2l.slider: nothing to test"
    built = {
        p.relative_to(html_root).as_posix()
        for p in html_root.rglob("*.html")
        if "_static" not in p.relative_to(html_root).parts
        and 'class="d2l-slider"' in p.read_text(encoding="utf-8")
    }
    assert built == set(SLIDER_PAGES), (
        "pages with a static slider but no d2l.slider( call in a shown "
        f"cell (untested): {sorted(built - set(SLIDER_PAGES))}; pages "
        "whose notebook calls d2l.slider but that show no static slider "
        f"(was the book built in static mode?): "
        f"{sorted(set(SLIDER_PAGES) - built)}"
    )


class StaticSlider:
    """One ``div.d2l-slider`` of a page (DOM: d2lutils.widgets.static_html)."""

    def __init__(self, page, root, name: str):
        self.page, self.root, self.name = page, root, name
        self.input = root.locator("input.d2l-slider-input[type=range]")
        self.img = root.locator("img.d2l-slider-img")
        self.value = root.locator(".d2l-slider-value")
        for part in (self.input, self.img, self.value):
            assert part.count() == 1, f"{name}: {part} found {part.count()}x"
        self.data = json.loads(
            root.locator("script.d2l-slider-data").text_content()
        )
        self.default = int(root.get_attribute("data-default-index"))

    def expected(self, i: int) -> tuple[str, str, str, str]:
        """What position i must show: (digest of frame i, label i, alt
        text i, what a screen reader announces)."""
        label = self.data["labels"][i]
        return (
            _digest(self.data["frames"][i]),
            label,
            self.data["alts"][i],
            f"{self.data['name']} = {label}",
        )

    def shown(self) -> tuple[str, str, str, str]:
        """(digest of the image shown, the value text shown, the image's
        alt text, the input's aria-valuetext)."""
        src = self.img.get_attribute("src") or ""
        assert src.startswith("data:image/svg+xml;base64,"), src[:40]
        assert self.img.evaluate(
            "i => i.decode().then(() => true, () => false)"
        ), f"{self.name}: the image shown does not decode"
        return (
            _digest(src),
            self.value.inner_text().strip(),
            self.img.get_attribute("alt"),
            self.input.get_attribute("aria-valuetext"),
        )

    def set_by_script(self, i: int) -> None:
        """As a drag does: set the value, fire "input"."""
        self.input.evaluate(
            "(el, v) => { el.value = v;"
            " el.dispatchEvent(new Event('input', {bubbles: true})); }",
            str(i),
        )


def _digest(src: str) -> str:
    return hashlib.sha1(src.encode()).hexdigest()[:12]


@pytest.fixture
def sliders(browser_context, server, html_root, request):
    """The static sliders of a freshly loaded page; no console error after."""
    page_path = request.param
    lp = LoadedPage(browser_context, server, html_root, page_path)
    roots = lp.page.locator("div.d2l-slider")
    n = roots.count()
    assert n > 0, (
        f"{page_path}: its notebook calls d2l.slider but the page shows no "
        "div.d2l-slider (was the book built in static mode?)"
    )
    found = []
    for k in range(n):
        roots.nth(k).scroll_into_view_if_needed()
        found.append(
            StaticSlider(lp.page, roots.nth(k), f"{page_path} slider {k}")
        )
    yield found
    errors = lp.console_errors
    lp.page.close()
    assert not errors, f"console errors while moving sliders: {errors}"


@pytest.mark.parametrize("sliders", SLIDER_PAGES, indirect=True)
def test_static_slider_shows_its_default(sliders):
    """Range, value labels, image and value text all start at the default."""
    for s in sliders:
        n = len(s.data["frames"])
        assert n >= 2, f"{s.name}: offers {n} value(s); a slider needs two"
        assert len(s.data["labels"]) == len(s.data["alts"]) == n
        assert (
            s.input.get_attribute("min"),
            s.input.get_attribute("max"),
            s.input.get_attribute("step"),
            s.input.input_value(),
        ) == ("0", str(n - 1), "1", str(s.default)), s.name
        ticks = s.root.locator(".d2l-slider-ticks span").all_inner_texts()
        assert ticks == s.data["labels"], f"{s.name}: value labels {ticks}"
        assert s.shown() == s.expected(s.default), (
            f"{s.name}: does not show its default, "
            f"{s.data['labels'][s.default]}"
        )


@pytest.mark.parametrize("sliders", SLIDER_PAGES, indirect=True)
def test_static_slider_follows_the_input(sliders):
    """Each position shows its own figure, value, alt text and announced
    value; neighbouring figures differ."""
    for s in sliders:
        seen = []
        for i in range(len(s.data["frames"])):
            s.set_by_script(i)
            seen.append(s.shown())
            assert seen[-1] == s.expected(i), (
                f"{s.name}: at position {i} shows (figure, value) "
                f"{seen[-1]}, expected {s.expected(i)} (frame {i})"
            )
        same = [i for i in range(1, len(seen)) if seen[i][0] == seen[i - 1][0]]
        assert not same, f"{s.name}: figure unchanged at positions {same}"


@pytest.mark.parametrize("sliders", SLIDER_PAGES, indirect=True)
def test_static_slider_follows_the_keyboard(sliders):
    """Home, End and the arrow keys move it (the browser fires "input")."""
    last = None
    for s in sliders:
        last = len(s.data["frames"]) - 1
        s.input.focus()
        for key, i in (("Home", 0), ("ArrowRight", 1), ("End", last)):
            s.page.keyboard.press(key)
            assert s.shown() == s.expected(i), (
                f"{s.name}: after {key} shows (figure, value) {s.shown()}, "
                f"expected {s.expected(i)} (frame {i})"
            )
    assert last is not None


# -- the two editions ---------------------------------------------------------
@pytest.mark.parametrize("page_path", [f"{doc}.html" for doc in DOCNAMES])
def test_language_switch_leads_to_the_same_page(loaded, page_path):
    """Every page links to itself in the other edition, in the header and
    as <link rel="alternate" hreflang>, and says which language it is."""
    lp = loaded(page_path)
    zh = page_path.startswith(EDITIONS["zh"])
    other = page_path[len(EDITIONS["zh"]) :] if zh else "zh/" + page_path
    found = lp.page.evaluate(
        """() => ({
          lang: document.documentElement.lang,
          links: [...document.querySelectorAll('a.d2l-language-switch')]
            .map(a => [a.href, a.hreflang, a.checkVisibility()]),
          alt: [...document.querySelectorAll('link[rel=alternate]')]
            .map(l => [l.href, l.hreflang]),
        })"""
    )
    assert found["lang"] == ("zh-CN" if zh else "en")
    (link,) = found["links"]
    want_lang = "en" if zh else "zh-CN"
    assert lp.file_for(link[0]) == lp.html_root / other, link
    assert link[1:] == [want_lang, True], link
    assert [[lp.file_for(h), lang] for h, lang in found["alt"]] == [
        [lp.html_root / other, want_lang]
    ]


def test_language_switch_by_click(browser_context, server, html_root):
    """A reader clicks over to the Chinese page and back."""
    page_path = "chapters/multilayer-perceptrons/dropout.html"
    lp = LoadedPage(browser_context, server, html_root, page_path)
    page = lp.page
    # on the row of the header's buttons, wholly on screen
    switch = page.locator("a.d2l-language-switch").bounding_box()
    button = page.locator(".article-header-buttons").bounding_box()
    assert switch["y"] >= 0, switch
    centre = switch["y"] + switch["height"] / 2
    assert button["y"] <= centre <= button["y"] + button["height"], (
        switch,
        button,
    )
    page.click("a.d2l-language-switch")
    page.wait_for_url(f"{server}/zh/{page_path}")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.click("a.d2l-language-switch")
    page.wait_for_url(f"{server}/{page_path}")
    page.close()
    assert not lp.console_errors, lp.console_errors


@pytest.mark.parametrize(
    "query, page",
    [
        ("权重衰减", "weight-decay"),
        ("衰减", "weight-decay"),
        ("丢弃", "dropout"),
        ("暂退法", "dropout"),
        ("反向传播", "backprop"),
    ],
)
def test_chinese_search_finds_partial_terms(loaded, server, query, page):
    """Sphinx's Chinese search (jieba, the glossary as its dictionary)
    finds a page from part of a term, and from either name of dropout."""
    from urllib.parse import quote

    search = loaded("zh/search.html").page
    search.goto(f"{server}/zh/search.html?q={quote(query)}", wait_until="load")
    hits = search.locator("#search-results ul.search li a")
    hits.first.wait_for(timeout=15_000)
    links = [h.get_attribute("href") or "" for h in hits.all()]
    assert any(f"/{page}.html" in link for link in links), (query, links)
