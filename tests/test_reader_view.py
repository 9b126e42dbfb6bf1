"""The built book as a reader sees it, at 1280 px and on a 390 px phone.

``test_browser.py`` checks that every page works (loads offline, links,
images, sliders). This file checks what a careful reader would otherwise
find on the pages, one thing per test:

* no TeX left as text: any ``\\command`` or ``$`` outside code and maths;
* every display formula fits the text column at 1280 px (scrolling does
  not count: nothing tells a reader to scroll, and the equation number
  would sit off screen); on a phone, sideways scrolling is accepted;
* no output that is an object's repr (``<Axes: ...>``, ``Text(...)``);
* no printed output line wider than the column at 1280 px;
* every figure (a content image, a slider's image included) sits in a
  numbered figure with a caption, and its alt text is a description of
  at least four words, not a file name;
* every figure is SVG, so it stays crisp on any screen and its text can
  be measured: the smallest text is at least 9 CSS px as displayed at
  1280 px and at least 7.5 px on a 390 px phone (the smallest text being
  mathtext's sub- and superscripts, 70 % of the text around them; the
  book style, ``d2l.use_book_style``, puts them at 9 px and 8 px);
* no test rig in view: timers, thread settings, test files, build notes;
* exercise solutions fold away with their outputs: nothing an exercise
  section prints is visible before the reader opens it, and opening it
  shows it;
* a page's own HTML and images weigh at most ``MAX_PAGE_MB``;
* on the Chinese pages, nothing a reader reads is still English: no
  paragraph, heading, list item, table cell, caption or alt text, and no
  word in a figure (maths, code, outputs and names excepted).
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from notebook_tools import HAN, ROOT, book_docnames, english_left

pytestmark = pytest.mark.browser

DOCNAMES = book_docnames()
PAGES = [f"{doc}.html" for doc in DOCNAMES]
NOTEBOOK_PAGES = [
    f"{doc}.html" for doc in DOCNAMES if (ROOT / f"{doc}.ipynb").is_file()
]

# TeX or Markdown left as text: a \command, a $, or ** (bold markup that
# CommonMark did not take, e.g. 是**$x$** with no space before the **)
RAW_TEX = r"\\[A-Za-z]+|\$|\*\*"
OBJECT_REPR = re.compile(
    r"<[A-Za-z_][\w.]*(?::\s| at 0x| object\b| size \d)"
    r"|\[<matplotlib|\bText\(-?\d"
)
RIG = re.compile(
    r"set_num_threads|OMP_NUM_THREADS|d2l\.Timer|\bTimer\(\)"
    r"|section ran in|slowest of \d|steadier timing|keep this page fast"
    r"|\btests?/\w|\btest_\w+\.py|\bnbval\b|make seeds"
    r"|\bremove-cell\b|\bhide-cell\b|\bhide-input\b",
    re.I,
)
FILE_NAME = re.compile(r"^\S+\.(png|svg|jpe?g|gif)$|_images/|[0-9a-f]{32}")
MIN_TEXT_PX = {"wide": 9.0, "phone": 7.5}
MAX_PAGE_MB = 1.5

# What a reader reads: the article, without the page's chrome.
ARTICLE = "article.bd-article"
# Content images: figures drawn by the notebooks (outputs and sliders).
CONTENT_IMAGES = f"{ARTICLE} .cell_output img, {ARTICLE} img.d2l-slider-img"


def _where(page_path: str) -> str:
    return page_path[: -len(".html")]


# -- maths and text -----------------------------------------------------------
@pytest.mark.parametrize("page_path", PAGES)
def test_no_tex_left_as_text(loaded, page_path):
    """No ``\\command``, ``$`` or ``**`` in rendered text outside code
    and maths."""
    raw = loaded(page_path).page.evaluate(
        """([article, pattern]) => {
          const re = new RegExp(pattern);
          const skip = 'pre, code, script, style, mjx-container, textarea,'
            + ' .math, kbd';
          const root = document.querySelector(article) || document.body;
          const w = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
          const hits = [];
          while (w.nextNode()) {
            const n = w.currentNode;
            if (n.parentElement.closest(skip)) continue;
            const m = n.textContent.match(re);
            if (m) {
              const i = Math.max(0, m.index - 30);
              hits.push(n.textContent.slice(i, m.index + 40).trim());
            }
          }
          return hits;
        }""",
        [ARTICLE, RAW_TEX],
    )
    assert not raw, f"TeX or Markdown left as text (not typeset): {raw}"


@pytest.mark.parametrize("page_path", PAGES)
def test_display_maths_fits_the_column(loaded, page_path):
    """At 1280 px no display formula (with its number) is wider than the
    column, whether or not its box would scroll."""
    wide = loaded(page_path).page.evaluate(
        """() => [...document.querySelectorAll('div.math')].filter(d => {
          const c = d.querySelector('mjx-container');
          const m = c && c.querySelector('mjx-math');
          if (!m) return false;
          const n = d.querySelector('.eqno');
          const need = m.getBoundingClientRect().width
            + (n ? n.getBoundingClientRect().width : 0);
          return need > d.clientWidth + 1 || d.scrollWidth > d.clientWidth + 1
            || c.scrollWidth > c.clientWidth + 1;
        }).map(d => {
          const items = MathJax.startup.document.getMathItemsWithin(d);
          return (items[0] ? items[0].math : d.textContent).trim()
            .replace(/\\s+/g, ' ').slice(0, 90);
        })"""
    )
    assert not wide, (
        "display maths wider than the text column at 1280 px (split it "
        f"with aligned or several displays, or shorten it): {wide}"
    )


@pytest.mark.parametrize("page_path", NOTEBOOK_PAGES)
def test_no_object_repr_in_outputs(loaded, page_path):
    """A figure cell that forgot ``plt.show()`` or ``;`` prints its Axes."""
    texts = loaded(page_path).page.evaluate(
        f"""() => [...document.querySelectorAll(
            '{ARTICLE} .cell_output pre')].map(p => p.textContent)"""
    )
    reprs = [m.group(0) for t in texts for m in OBJECT_REPR.finditer(t)]
    assert not reprs, f"object reprs printed on the page: {reprs}"


@pytest.mark.parametrize("page_path", PAGES)
def test_page_fits_a_phone(loaded_phone, page_path):
    """At 390 px the page is no wider than the screen: nothing (long inline
    code, a table) drags it sideways; wide maths scrolls in its own box."""
    page = loaded_phone(page_path).page
    width = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert width[0] <= width[1], f"page {width[0]} px wide on a {width[1]}"


@pytest.mark.parametrize("page_path", NOTEBOOK_PAGES)
def test_outputs_fit_the_column(loaded, page_path):
    """At 1280 px no printed line is cut at the column's right edge."""
    cut = loaded(page_path).page.evaluate(
        f"""() => [...document.querySelectorAll(
            '{ARTICLE} .cell_output pre')]
          .filter(p => p.scrollWidth > p.clientWidth + 1)
          .map(p => p.textContent.split('\\n')
            .reduce((a, b) => b.length > a.length ? b : a, '').slice(0, 90))
        """
    )
    assert not cut, (
        "printed lines wider than the column at 1280 px (wrap, round or "
        f"print fewer columns): {cut}"
    )


@pytest.mark.parametrize("page_path", PAGES)
def test_no_rig_in_view(loaded, page_path):
    """Timers, thread settings, test files, build notes stay off the page
    (folded solutions included)."""
    text = loaded(page_path).page.evaluate(
        f"""() => {{
          const a = document.querySelector('{ARTICLE}');
          return a ? a.textContent : '';
        }}"""
    )
    rig = sorted({m.group(0) for m in RIG.finditer(text)})
    context = [
        text[max(0, m.start() - 40) : m.end() + 30].replace("\n", " ")
        for m in RIG.finditer(text)
    ][:5]
    assert not rig, f"test rig on the page: {rig}: {context}"


# -- figures ------------------------------------------------------------------
def _images(lp) -> list[dict]:
    """Each content image: its source(s), alt text, displayed width and
    caption; a slider's image lists every frame it can show."""
    return lp.page.evaluate(
        f"""() => [...document.querySelectorAll('{CONTENT_IMAGES}')]
          .map(i => {{
            const f = i.closest('figure');
            const cap = f && f.querySelector('figcaption');
            const s = i.closest('.d2l-slider');
            const data = s && JSON.parse(
              s.querySelector('script.d2l-slider-data').textContent);
            return {{
              src: i.getAttribute('src') || '', alt: i.alt || '',
              frames: data ? data.frames : [i.getAttribute('src') || ''],
              alts: data ? data.alts : [i.alt || ''],
              width: i.getBoundingClientRect().width,
              caption: cap ? cap.textContent.trim() : null,
              numbered: !!(cap && cap.querySelector('.caption-number')),
            }};
          }})"""
    )


@pytest.mark.parametrize("page_path", NOTEBOOK_PAGES)
def test_figures_have_captions_and_alt_text(loaded, page_path):
    bad = []
    for img in _images(loaded(page_path)):
        name = img["src"][:60]
        if not img["caption"]:
            bad.append(f"{name}: no caption")
        elif not img["numbered"]:
            bad.append(f"{name}: caption not numbered: {img['caption'][:40]}")
        for alt in img["alts"]:
            alt = alt.strip()
            words = len(alt.split()) + len(HAN.findall(alt)) // 2
            if words < 4 or FILE_NAME.search(alt):  # a Chinese word: ~2 字
                bad.append(f"{name}: alt text {alt[:60]!r} describes nothing")
    assert not bad, "figures a reader cannot place or a screen reader " + (
        "cannot describe (give the cell metadata mystnb.figure.caption "
        "and mystnb.image.alt):\n" + "\n".join(bad)
    )


_FONT = re.compile(r"font-size:\s*([\d.]+)px|font:[^;\"]*?([\d.]+)px")
_VIEWBOX = re.compile(r'viewBox="[\d.\s-]*?\s([\d.]+)\s+[\d.]+"')


def _svg_text(src: str, lp) -> str | None:
    """The SVG source of an image, or None if it is not SVG."""
    if src.startswith("data:image/svg+xml"):
        head, _, data = src.partition(",")
        if head.endswith(";base64"):
            return base64.b64decode(data).decode("utf-8")
        return unquote(data)
    if src.startswith("data:"):
        return None
    url = f"{lp.page.url.rsplit('/', 1)[0]}/{src}"
    path = lp.file_for(url)
    if path is None or path.suffix != ".svg":
        return None
    return Path(path).read_text(encoding="utf-8")


def smallest_text_px(svg: str, displayed_width: float) -> float | None:
    """The smallest font size in ``svg`` in CSS px at the displayed width
    (None if it has no text)."""
    sizes = [float(a or b) for a, b in _FONT.findall(svg)]
    box = _VIEWBOX.search(svg)
    if not sizes:
        return None
    assert box, "an SVG without a viewBox: its scale is unknown"
    return min(sizes) * displayed_width / float(box.group(1))


@pytest.mark.parametrize("width", ["wide", "phone"])
@pytest.mark.parametrize("page_path", NOTEBOOK_PAGES)
def test_figure_text_legible(loaded, loaded_phone, page_path, width):
    lp = (loaded if width == "wide" else loaded_phone)(page_path)
    bad = []
    for img in _images(lp):
        for src in img["frames"]:  # a slider's frames all show at one width
            svg = _svg_text(src, lp)
            if svg is None:
                bad.append(f"{src[:60]}: not SVG (blurry on dense screens)")
                continue
            px = smallest_text_px(svg, img["width"])
            if px is not None and px < MIN_TEXT_PX[width]:
                bad.append(f"{src[:60]}: smallest text {px:.1f} px")
    assert not bad, (
        f"figure text below {MIN_TEXT_PX[width]} px at the {width} width "
        "(use the book style, d2l.use_book_style(); no fontsize below it; "
        "at most 4.2 in wide; stack panels):\n" + "\n".join(bad)
    )


@pytest.mark.parametrize("page_path", PAGES)
def test_page_weight(loaded, page_path):
    """The page's own HTML and images (sliders' frames included) stay
    small; the theme and MathJax, shared by every page, are not counted."""
    lp = loaded(page_path)
    urls = lp.page.evaluate(
        "() => [location.href].concat([...document.images].map(i => i.src))"
    )
    total = 0
    for url in set(urls):
        path = lp.file_for(url.split("#")[0].split("?")[0])
        if path is not None and path.is_file() and "_static" not in path.parts:
            total += path.stat().st_size
    assert total / 2**20 <= MAX_PAGE_MB, (
        f"{page_path} weighs {total / 2**20:.2f} MB (limit {MAX_PAGE_MB})"
    )


# -- exercises ----------------------------------------------------------------
# the section under the heading "Exercises" (练习 in the Chinese edition)
EXERCISES = """const exercises = () =>
  [...document.querySelectorAll('section')]
  .find(s => /^[\\d.\\s]*(Exercises|练习)/.test(
    s.querySelector(':scope > h2')?.textContent.trim() ?? ''));
"""


def _open_folds(page, open_: bool) -> None:
    page.evaluate(
        "(open_) => {" + EXERCISES + "exercises().querySelectorAll('details')"
        ".forEach(d => { d.open = open_; }); }",
        open_,
    )


@pytest.mark.parametrize("page_path", NOTEBOOK_PAGES)
def test_solutions_hidden_until_opened(loaded_phone, page_path):
    """Nothing a solution (a hide-cell cell of the exercises) prints or draws
    shows before its fold is opened; opening every fold shows it. A visible
    cell of an exercise may print: it is part of the question."""
    page = loaded_phone(page_path).page
    state = (
        """() => {
      """
        + EXERCISES
        + """
      const s = exercises();
      if (!s) return null;
      const outs = [...s.querySelectorAll('.tag_hide-cell .cell_output')];
      return {solutions: s.querySelectorAll('.tag_hide-cell').length,
              total: outs.length,
              shown: outs.filter(o => o.checkVisibility()).map(
                o => o.textContent.trim().slice(0, 60))};
    }"""
    )
    before = page.evaluate(state)
    assert before is not None, f"{_where(page_path)}: no Exercises section"
    assert before["solutions"] > 0, "no folded solution (tag hide-cell)"
    assert not before["shown"], (
        f"solution outputs visible before opening: {before['shown']}"
    )
    _open_folds(page, True)
    after = page.evaluate(state)
    assert len(after["shown"]) == after["total"], (
        "some solution outputs stay hidden after opening every fold"
    )
    _open_folds(page, False)


# -- the Chinese edition ------------------------------------------------------
ZH_PAGES = [p for p in PAGES if p.startswith("zh/")]


@pytest.mark.parametrize("page_path", ZH_PAGES)
def test_zh_page_has_no_english_prose(loaded, page_path):
    """The glossary's first column, English by design, is left out."""
    texts = loaded(page_path).page.evaluate(
        """([article, glossary]) => {
          const a = document.querySelector(article);
          if (!a) return [];
          const skip = 'pre, code, .math, mjx-container, .cell_output, '
            + '.headerlink, .caption-number';
          const out = [];
          a.querySelectorAll('p, li, h1, h2, h3, h4, figcaption, td, th')
            .forEach(e => {
              if (glossary && e.closest('td:first-child, th:first-child'))
                return;
              const c = e.cloneNode(true);
              c.querySelectorAll(skip).forEach(x => x.remove());
              c.querySelectorAll('li, p').forEach(x => x.remove());
              out.push(c.textContent);
            });
          a.querySelectorAll('img').forEach(i => out.push(i.alt));
          return out;
        }""",
        [ARTICLE, page_path.endswith("glossary.html")],
    )
    left = [piece for text in texts for piece in english_left(text)]
    assert not left, f"English on a Chinese page: {left[:8]}"


@pytest.mark.parametrize(
    "page_path",
    [p for p in ZH_PAGES if p in NOTEBOOK_PAGES],
)
def test_zh_figures_speak_chinese(loaded, page_path):
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    import zh

    lp = loaded(page_path)
    left = []
    for img in _images(lp):
        for src in img["frames"]:
            svg = _svg_text(src, lp)
            left += zh.untranslated_words(svg or "")
    assert not left, f"English words in figures: {sorted(set(left))}"
