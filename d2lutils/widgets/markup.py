"""The slider's HTML, JavaScript and CSS, read from the package's files.

``slider.html`` (the static slider's DOM, a :class:`string.Template`),
``slider.js`` (its behaviour) and ``slider.css`` (its look) ship beside
this module as package data. Each opens with a comment for whoever edits
it; :func:`asset` drops that comment. The CSS is not linked but written
into the elements' ``style`` attributes (:func:`style`): a slider is then
one self-contained piece of HTML, in the book and in a notebook output.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import PurePath

__all__ = ["asset", "style", "ticks_html"]

ASSETS = ("slider.html", "slider.js", "slider.css")
_COMMENT = {".html": ("<!--", "-->"), ".js": ("/*", "*/")}
_COMMENT[".css"] = _COMMENT[".js"]
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")


@functools.cache
def asset(name: str) -> str:
    """The text of the package file ``name``, without its first comment.

    Examples
    --------
    >>> asset("slider.js").splitlines()[0]
    '(function () {'
    """
    text = (
        resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    )
    start, end = _COMMENT[PurePath(name).suffix]
    if text.startswith(start):
        text = text[text.index(end) + len(end) :].lstrip("\n")
    return text.rstrip("\n")


@functools.cache
def _rules() -> dict[str, str]:
    """``slider.css`` as {selector: "prop:value;prop:value"}."""
    css = re.sub(r"/\*.*?\*/", "", asset("slider.css"), flags=re.S)
    rules = {}
    for selector, body in _RULE.findall(css):
        decls = [d.split(":", 1) for d in body.split(";") if d.strip()]
        rules[" ".join(selector.split())] = ";".join(
            f"{prop.strip()}:{value.strip()}" for prop, value in decls
        )
    return rules


def style(*selectors: str) -> str:
    """The declarations of the CSS rules ``selectors``, for ``style=``.

    Later rules come later, so they win as they would in a stylesheet.

    Examples
    --------
    >>> style(".d2l-slider-label", ".d2l-slider-value")
    'display:block;font-family:sans-serif;font-weight:bold'
    """
    rules = _rules()
    missing = [s for s in selectors if s not in rules]
    if missing:
        raise KeyError(f"slider.css has no rule for {missing}")
    return ";".join(rules[s] for s in selectors)


def ticks_html(labels: Sequence[str], *, spread: bool = True) -> str:
    """The row of value labels: spread under a track, or as a plain list.

    Examples
    --------
    >>> print(ticks_html(["1", "<2>"], spread=False))
    <div class="d2l-slider-ticks" style="...">values: <span>1</span> · \
<span>&lt;2&gt;</span></div>
    """
    spans = [f"<span>{html.escape(t)}</span>" for t in labels]
    if spread:  # under an <input type=range> of the same width
        css = style(".d2l-slider-ticks", ".d2l-slider .d2l-slider-ticks")
        return (
            f'<div class="d2l-slider-ticks" style="{css}">'
            + "".join(spans)
            + "</div>"
        )
    return (
        f'<div class="d2l-slider-ticks" style="{style(".d2l-slider-ticks")}">'
        "values: " + " · ".join(spans) + "</div>"
    )
