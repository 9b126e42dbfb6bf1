"""Static mode: every value's figure packed into one HTML slider.

In the book there is no kernel behind the page, so :func:`static_html`
takes the PNG of every value and builds a self-contained slider from
``slider.html`` and ``slider.js`` (styled from ``slider.css``, see
:mod:`.markup`): an ``<input type=range>``, the figures as data URIs in a
JSON block, and a few lines of JavaScript that swap the image. It needs
no network, and rebuilding the book gives the same HTML.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
from collections.abc import Sequence
from string import Template
from typing import Any

from .figure import png_base64
from .markup import asset, style, ticks_html

__all__ = ["static_html"]

# Numbers the static sliders made in this process, so that two sliders with
# the same figures on one page still get different element ids.
_SLIDER_COUNT = itertools.count()


def _json_for_script(obj: Any) -> str:
    # Safe inside <script>: no "</script>", no HTML-significant characters.
    text = json.dumps(obj)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(ch, esc)
    return text


def static_html(
    pngs: Sequence[bytes],
    labels: Sequence[str],
    default_index: int,
    name: str = "value",
) -> str:
    """One self-contained HTML slider over precomputed PNG figures.

    The DOM (``slider.html``; the book's browser test drives it)::

        <div class="d2l-slider" id=... data-default-index="K">
          <label>name = <span class="d2l-slider-value">...</span></label>
          <input type="range" class="d2l-slider-input" min="0"
                 max="N-1" step="1" value="K">
          <div class="d2l-slider-ticks"><span>label</span>...</div>
          <img class="d2l-slider-img" src="data:image/png;base64,...">
          <script type="application/json" class="d2l-slider-data">
        </div>
        <script>...swaps img.src and the value on "input"...</script>

    Examples
    --------
    >>> page = static_html([b"a", b"b"], ["0", "1"], 1, "λ")
    >>> page.count('class="d2l-slider-img"'), 'data-default-index="1"' in page
    (1, True)
    """
    n = len(pngs)
    if n == 0 or n != len(labels):
        raise ValueError(
            f"need one label per frame and at least one frame, got {n} "
            f"frames and {len(labels)} labels"
        )
    if not 0 <= default_index < n:
        raise ValueError(f"default_index {default_index} not in [0, {n})")
    frames = [png_base64(p) for p in pngs]
    alts = [f"figure for {name} = {t}" for t in labels]
    data = {"labels": list(labels), "alts": alts, "frames": frames}
    # An id from the content and a counter, not a random one: rebuilding
    # the book gives the same HTML.
    digest = hashlib.sha1(json.dumps(data).encode()).hexdigest()[:8]
    uid = f"d2l-slider-{digest}-{next(_SLIDER_COUNT)}"
    k = default_index
    return Template(asset("slider.html")).substitute(
        uid=uid,
        k=k,
        n=n,
        last=n - 1,
        name=html.escape(name),
        label=html.escape(labels[k]),
        frame=frames[k],
        alt=html.escape(alts[k]),
        ticks=ticks_html(labels),
        data=_json_for_script(data),
        script=Template(asset("slider.js")).substitute(id=uid),
        root_style=style(".d2l-slider"),
        box_style=style(".d2l-slider > div"),
        label_style=style(".d2l-slider-label"),
        value_style=style(".d2l-slider-value"),
        input_style=style(".d2l-slider-input"),
        img_style=style(".d2l-slider-img"),
    )
