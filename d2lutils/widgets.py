"""Hyperparameter sliders that work in Jupyter, Colab, the book and scripts.

A chapter wants the reader to *move* a hyperparameter (the weight decay λ,
a dropout probability) and watch a figure change; but no kernel runs
behind the rendered book, where an ipywidgets slider stays frozen.
:func:`slider` takes ``draw(value)``, which draws the figure for one value,
and the values to offer, in one of three modes:

* ``"widget"`` (Jupyter, Colab): an ipywidgets slider that draws a value
  the first time the reader releases it there;
* ``"static"`` (the book build): every value drawn up front, as SVG, into
  one HTML slider that the book's script and stylesheet bring to life
  (``_ext/static/d2lbook.js``, ``d2lbook.css``): no kernel, no network;
* ``"script"`` (plain Python): the default value, drawn once.

``D2LUTILS_SLIDER_MODE`` chooses when the caller does not (the book build
sets ``static``); ``auto`` or unset means ``widget`` in a kernel with
ipywidgets, else ``script``. Each figure's alt text is the caller's
``alt`` (or one written from its labels) plus the value, "..., for λ = 3".
"""

from __future__ import annotations

import base64
import hashlib
import html
import importlib.util
import io
import itertools
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from .core import in_notebook

__all__ = [
    "MODE_ENV_VAR",
    "SLIDER_MODES",
    "SliderError",
    "SliderRecord",
    "slider",
    "slider_mode",
    "static_html",
]

MODE_ENV_VAR = "D2LUTILS_SLIDER_MODE"
SLIDER_MODES = ("static", "widget", "script")
Formatter = Union[str, Callable[[Any], str], None]
# SVG with text kept as text, fixed ids and no date: same figure, same SVG
_SVG = {"svg.fonttype": "none", "svg.hashsalt": "d2lutils"}
_SAVE = {"format": "svg", "bbox_inches": "tight", "metadata": {"Date": None}}
_SLIDER_COUNT = itertools.count()  # tells apart sliders of equal content


class SliderError(RuntimeError):
    """``draw(value)`` failed; the message names the value, ``err.value``
    keeps it and ``err.__cause__`` is the original exception."""

    def __init__(self, message: str, value: Any) -> None:
        super().__init__(message)
        self.value = value


def _has_ipywidgets() -> bool:
    return importlib.util.find_spec("ipywidgets") is not None


def slider_mode(mode: Optional[str] = None) -> str:
    """The mode :func:`slider` will use: ``mode`` if given, else the env var.

    >>> slider_mode("static")
    'static'
    >>> slider_mode("frozen")
    Traceback (most recent call last):
    ...
    ValueError: unknown slider mode 'frozen'; ...
    """
    source = "mode"
    if mode is None:
        mode = os.environ.get(MODE_ENV_VAR, "")
        source = f"environment variable {MODE_ENV_VAR}"
    chosen = mode.strip().lower()
    if chosen in ("", "auto"):
        return "widget" if in_notebook() and _has_ipywidgets() else "script"
    if chosen not in SLIDER_MODES:
        raise ValueError(
            f"unknown slider mode {mode!r}; use one of "
            f"{', '.join(SLIDER_MODES)} or auto (set by {source})"
        )
    return chosen


def _close_new(before: set) -> None:
    for num in set(plt.get_fignums()) - before:
        plt.close(num)


def _draw(draw: Callable, value: Any, label: str, name: str) -> Figure:
    """``draw(value)``'s figure; on failure, close what it opened and name
    the value (``label``, as shown, of the parameter ``name``)."""
    before = set(plt.get_fignums())
    try:
        out = draw(value)
    except Exception as err:
        _close_new(before)
        raise SliderError(
            f"draw({value!r}) failed for {name} = {label}: "
            f"{type(err).__name__}: {err}",
            value,
        ) from err
    fig = out if isinstance(out, Figure) else getattr(out, "figure", None)
    if isinstance(fig, Figure):
        return fig
    _close_new(before)
    raise TypeError(
        f"draw({value!r}) returned {type(out).__name__}; it must return "
        "the matplotlib Figure (or an Axes) it drew, e.g. "
        "`fig, ax = plt.subplots(); ...; return fig`"
    )


def _describe(fig: Figure) -> str:
    """What a figure shows, from its axes' titles, labels and legends:
    e.g. 'loss against epoch (train, test)'."""
    parts = []
    for ax in fig.axes:
        y, x = ax.get_ylabel(), ax.get_xlabel()
        text = ax.get_title() or (f"{y} against {x}" if y and x else y or x)
        legend = ax.get_legend()
        if legend is not None:
            names = ", ".join(t.get_text() for t in legend.get_texts())
            text = f"{text} ({names})" if text else names
        if text:
            parts.append(text)
    return "; ".join(parts) or "a figure without labels"


@dataclass
class SliderRecord:
    """What :func:`slider` made: the ``mode``, the ``values`` and their
    ``labels``, the ``default_index``, and ``frames``, ``{index: (SVG, alt
    text)}`` of the values drawn so far; in static mode the ``html``, in
    widget mode the ``widget`` shown and its ``control`` (set
    ``control.value`` to an index to move it), in script mode the default
    value's ``figure``."""

    mode: str
    values: tuple
    labels: tuple
    default_index: int
    draw: Optional[Callable] = field(default=None, repr=False)
    name: str = "value"
    alt: Optional[str] = None
    frames: dict = field(default_factory=dict)
    html: Optional[str] = None
    widget: Any = None
    control: Any = None
    figure: Optional[Figure] = None

    def draw_one(self, index: int) -> tuple:
        """(SVG, alt text) of value ``index``, drawn the first time only
        (and its figures closed)."""
        if index not in self.frames:
            label, buf = self.labels[index], io.StringIO()
            before = set(plt.get_fignums())
            fig = _draw(self.draw, self.values[index], label, self.name)
            try:
                what = self.alt or _describe(fig)
                with plt.rc_context(_SVG):
                    fig.savefig(buf, **_SAVE)
            finally:
                plt.close(fig)
                _close_new(before)
            alt = f"{what}, for {self.name} = {label}"
            self.frames[index] = (buf.getvalue(), alt)
        return self.frames[index]

    def __repr__(self) -> str:
        return (
            f"SliderRecord(mode={self.mode!r}, {len(self.values)} values, "
            f"default {self.labels[self.default_index]}, "
            f"{len(self.frames)} drawn)"
        )


def _labels(values: Sequence, fmt: Formatter) -> tuple:
    """The text shown for each value; no two values may show alike."""
    if fmt is None:
        labels = [
            format(v, "g") if isinstance(v, float) else v for v in values
        ]
    elif isinstance(fmt, str):
        labels = [format(v, fmt) for v in values]
    elif callable(fmt):
        labels = [fmt(v) for v in values]
    else:
        raise TypeError(
            "fmt must be None, a format spec such as '.2f' or a function "
            f"value -> str, got {type(fmt).__name__}"
        )
    labels = tuple(map(str, labels))
    for i, text in enumerate(labels):
        j = labels.index(text)
        if j != i:
            raise ValueError(
                f"values {values[j]!r} and {values[i]!r} both show as "
                f"{text!r}; give distinct values or a finer fmt"
            )
    return labels


def static_html(
    frames: Sequence[str],
    labels: Sequence[str],
    alts: Sequence[str],
    default_index: int,
    name: str = "value",
) -> str:
    """One HTML slider over precomputed figures (``frames``: image URIs).

    It carries no code and no style: ``d2lbook.js`` swaps the frames and
    ``d2lbook.css`` lays it out. The DOM, which they and the browser tests
    rely on::

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
    # an id from the content and a counter: the same book, the same HTML
    digest = hashlib.sha1(json.dumps(data).encode()).hexdigest()[:8]
    uid = f"d2l-slider-{digest}-{next(_SLIDER_COUNT)}"
    k, esc = default_index, html.escape
    ticks = "".join(f"<span>{esc(t)}</span>" for t in labels)
    # safe inside <script>: no "</script>", no HTML-significant characters
    payload = json.dumps(data, ensure_ascii=False)
    for ch, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        payload = payload.replace(ch, code)
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
        f"{payload}</script>\n</div>"
    )


def _build_widget(record: SliderRecord) -> None:
    """Fill ``record.widget`` (the box to display) and ``record.control``."""
    import ipywidgets as widgets  # a dependency of d2lutils

    control = widgets.SelectionSlider(
        options=list(zip(record.labels, range(len(record.values)))),
        value=record.default_index,
        description=record.name,
        continuous_update=False,
        readout=True,
        layout=widgets.Layout(width="28em"),
    )
    # where the track sits depends on the frontend: list the values instead
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
            text = f"{type(err).__name__}: {err}\n"
            out.outputs = (
                {"output_type": "stream", "name": "stderr", "text": text},
            )
            raise
        data = {"image/svg+xml": svg, "text/plain": alt}
        out.outputs = (
            {"output_type": "display_data", "data": data, "metadata": {}},
        )

    show(record.default_index)
    control.observe(lambda change: show(change["new"]), names="value")
    record.control = control
    record.widget = widgets.VBox([control, ticks, out])


def slider(
    draw: Callable[[Any], Any],
    values: Sequence,
    *,
    default: Any = None,
    label: str = "value",
    fmt: Formatter = None,
    alt: Optional[str] = None,
    mode: Optional[str] = None,
) -> SliderRecord:
    """Show a slider over ``values`` that redraws ``draw(value)``.

    Parameters
    ----------
    draw : draws the figure for one value on a new figure and returns it
        (the ``Figure`` or one of its ``Axes``); a failure is re-raised as
        a :class:`SliderError` naming the value.
    values : the values to offer, in slider order.
    default : the value shown first, one of ``values`` (``None``: the
        first); make it the value the text discusses.
    label : the parameter's name shown next to the slider, e.g. ``"λ"``.
    fmt : how a value is shown: ``None`` (``0.5``, ``3``), a format spec
        such as ``".2f"``, or a function ``value -> str``.
    alt : what the figure shows, for screen readers ("Training and test
        loss against the epoch"); ``None``: written from its labels.
    mode : ``"static"``, ``"widget"``, ``"script"``; ``None`` reads
        ``D2LUTILS_SLIDER_MODE``.

    Returns a :class:`SliderRecord`: assign it (``s = d2l.slider(...)``)
    so that Jupyter does not print it.

    Examples
    --------
    >>> def draw(a):
    ...     fig, ax = plt.subplots()
    ...     ax.plot([0, 1], [0, a])
    ...     return fig
    >>> s = slider(draw, [1, 2, 3], default=2, label="slope", mode="script")
    >>> s.figure.axes[0].lines[0].get_ydata().tolist()
    [0, 2]
    >>> plt.close("all")
    """
    if not callable(draw):
        raise TypeError(
            f"draw must be a function draw(value) -> Figure, got "
            f"{type(draw).__name__}"
        )
    if isinstance(values, (str, bytes)):
        raise TypeError("values must be a sequence of values, not a string")
    values = tuple(values)
    if not values:
        raise ValueError(
            "values is empty: give at least one value to show, e.g. "
            "values=[0, 1, 3]"
        )
    labels = _labels(values, fmt)
    k = 0
    if default is not None:
        found = [
            i for i, v in enumerate(values) if v is default or v == default
        ]
        if not found:
            raise ValueError(
                f"default {default!r} is not one of the values "
                f"{list(values)!r}; pass one of them (or default=None for "
                "the first)"
            )
        k = found[0]
    chosen = slider_mode(mode)
    record = SliderRecord(chosen, values, labels, k, draw, label, alt)
    if chosen == "script":
        record.figure = _draw(draw, values[k], labels[k], label)
        return record
    from IPython.display import HTML, display

    if chosen == "static":
        drawn = [record.draw_one(i) for i in range(len(values))]
        b64 = [base64.b64encode(svg.encode()).decode() for svg, _ in drawn]
        uris = ["data:image/svg+xml;base64," + b for b in b64]
        alts = [text for _, text in drawn]
        record.html = static_html(uris, labels, alts, k, label)
        display(HTML(record.html))
    else:
        _build_widget(record)
        display(record.widget)
    return record
