"""The two ways a slider is shown: static HTML for the book, ipywidgets live.

:func:`static_html` packs every value's figure (SVG data URIs) into one
piece of HTML: a range input, the value's label, the image and a JSON
block of frames. It carries no code and no style of its own: the book's
``d2lbook.js`` swaps the frames and ``d2lbook.css`` lays it out (both in
``_ext/static``), so it needs no kernel and no network. Rebuilding the
book gives the same HTML.

:func:`build_widget` makes the live version for Jupyter and Colab: an
ipywidgets ``SelectionSlider`` that draws a value the first time the
reader releases the slider on it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import json
from collections.abc import Sequence
from typing import Any

__all__ = ["build_widget", "static_html", "svg_data_uri"]

# Numbers the static sliders made in this process, so that two sliders with
# the same figures on one page still get different element ids.
_SLIDER_COUNT = itertools.count()


def svg_data_uri(svg: str) -> str:
    """SVG text as a ``data:`` URI for an ``<img src>``."""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return "data:image/svg+xml;base64," + data


def _json_for_script(obj: Any) -> str:
    # Safe inside <script>: no "</script>", no HTML-significant characters.
    text = json.dumps(obj, ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(ch, esc)
    return text


def static_html(
    frames: Sequence[str],
    labels: Sequence[str],
    alts: Sequence[str],
    default_index: int,
    name: str = "value",
) -> str:
    """One HTML slider over precomputed figures (``frames``: image URIs).

    The DOM, which ``d2lbook.js`` and the browser tests drive::

        <div class="d2l-slider" id=... data-default-index="K" ...>
          <div class="d2l-slider-controls">
            <label>name = <span class="d2l-slider-value">..</span></label>
            <input type="range" class="d2l-slider-input" min="0"
                   max="N-1" step="1" value="K" aria-valuetext="name = ..">
            <div class="d2l-slider-ticks"><span>label</span>...</div>
          </div>
          <img class="d2l-slider-img" src="data:..." alt="...">
          <script type="application/json" class="d2l-slider-data">
        </div>

    Examples
    --------
    >>> page = static_html(["data:a", "data:b"], ["0", "1"], ["A", "B"], 1)
    >>> page.count('class="d2l-slider-img"'), 'aria-valuetext="value = 1"'
    (1, 'aria-valuetext="value = 1"')
    """
    n = len(frames)
    if n == 0 or not n == len(labels) == len(alts):
        raise ValueError(
            f"need one label and one alt text per frame and at least one "
            f"frame, got {n} frames, {len(labels)} labels, {len(alts)} alts"
        )
    if not 0 <= default_index < n:
        raise ValueError(f"default_index {default_index} not in [0, {n})")
    data = {"name": name, "labels": list(labels), "alts": list(alts)}
    data["frames"] = list(frames)
    # An id from the content and a counter, not a random one: rebuilding
    # the book gives the same HTML.
    digest = hashlib.sha1(json.dumps(data).encode()).hexdigest()[:8]
    uid = f"d2l-slider-{digest}-{next(_SLIDER_COUNT)}"
    k, esc = default_index, html.escape
    ticks = "".join(f"<span>{esc(t)}</span>" for t in labels)
    return (
        f'<div class="d2l-slider" id="{uid}" data-default-index="{k}" '
        f'data-num-values="{n}">\n<div class="d2l-slider-controls">\n'
        f'<label for="{uid}-input" class="d2l-slider-label">{esc(name)} = '
        f'<span class="d2l-slider-value">{esc(labels[k])}</span></label>\n'
        f'<input type="range" class="d2l-slider-input" id="{uid}-input" '
        f'min="0" max="{n - 1}" step="1" value="{k}" '
        f'aria-label="{esc(name)}" '
        f'aria-valuetext="{esc(name)} = {esc(labels[k])}">\n'
        f'<div class="d2l-slider-ticks">{ticks}</div>\n</div>\n'
        f'<img class="d2l-slider-img" src="{frames[k]}" alt="{esc(alts[k])}">'
        f'\n<script type="application/json" class="d2l-slider-data">'
        f"{_json_for_script(data)}</script>\n</div>"
    )


def build_widget(record) -> None:
    """Fill ``record.widget`` (the box to display) and ``record.control``.

    ``record`` is the :class:`~d2lutils.widgets.SliderRecord` being made;
    ``record.draw_one(index)`` draws a value (once) into ``record.frames``.
    """
    try:
        import ipywidgets as widgets
    except ImportError as err:
        raise ImportError(
            "widget mode needs ipywidgets: `pip install ipywidgets`, or "
            "pass mode='static' to precompute every value instead"
        ) from err
    control = widgets.SelectionSlider(
        options=list(zip(record.labels, range(len(record.values)))),
        value=record.default_index,
        description=record.name,
        continuous_update=False,
        readout=True,
        layout=widgets.Layout(width="28em"),
    )
    # The track's position inside the widget depends on the frontend, so
    # the values are listed rather than lined up under it.
    spans = " · ".join(f"<span>{html.escape(t)}</span>" for t in record.labels)
    ticks = widgets.HTML(
        '<div class="d2l-slider-ticks" style="font: 0.8em sans-serif; '
        f'color: #555">values: {spans}</div>'
    )
    out = widgets.Output()

    def show(index: int) -> None:
        try:
            svg, alt = record.draw_one(index)
        except Exception as err:
            out.outputs = (
                {
                    "output_type": "stream",
                    "name": "stderr",
                    "text": f"{type(err).__name__}: {err}\n",
                },
            )
            raise
        out.outputs = (
            {
                "output_type": "display_data",
                "data": {"image/svg+xml": svg, "text/plain": alt},
                "metadata": {},
            },
        )

    show(record.default_index)
    control.observe(lambda change: show(change["new"]), names="value")
    record.control = control
    record.widget = widgets.VBox([control, ticks, out])
