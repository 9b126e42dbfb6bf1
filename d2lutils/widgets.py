"""Hyperparameter sliders that work in Jupyter, Colab, the book and scripts.

A chapter often wants the reader to *move* a hyperparameter (the weight
decay λ, a dropout probability, an initialization variance) and watch a
figure change. ipywidgets does that in a live kernel, but its callbacks
never run in the rendered book, where there is no kernel: an ``interact``
slider there is frozen at the value it had when the book was built.

:func:`slider` hides the difference. You give it ``draw(value)``, a
function that draws one figure for one value of the hyperparameter, and
the values to offer; it picks one of three modes:

``"widget"``
    In Jupyter or Colab: an ipywidgets slider. Releasing it draws the
    figure for the new value (once; revisiting a value reuses the cached
    PNG). Values the reader never visits are never computed.
``"static"``
    In the book build: every value is drawn up front and the figures are
    packed, as PNG data URIs, into one self-contained HTML slider with a
    few lines of inline JavaScript. It needs no kernel and no network.
``"script"``
    In a plain Python script: the default value is drawn once and the
    figure is left open for ``plt.show()``.

The mode comes from the environment variable ``D2LUTILS_SLIDER_MODE``
(``static``, ``widget``, ``script``, or ``auto``/unset). ``auto`` means
``widget`` inside a Jupyter/Colab kernel with ipywidgets installed and
``script`` everywhere else. The book build sets ``static`` (see
:mod:`d2lutils.sphinxext`).
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Callable, Union

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


class SliderError(RuntimeError):
    """``draw(value)`` failed; the message names the value.

    The original exception is chained (``err.__cause__``) and the failing
    value is kept in ``err.value``.
    """

    def __init__(self, message: str, value: Any) -> None:
        super().__init__(message)
        self.value = value


@dataclass
class SliderRecord:
    """What :func:`slider` made; which fields are set depends on the mode.

    Attributes
    ----------
    mode : ``"static"``, ``"widget"`` or ``"script"``.
    values, labels : the values offered and the text shown for each.
    default_index : position of the default value in ``values``.
    pngs : PNG bytes per index, for every value drawn so far.
    html : the HTML shown (static mode).
    widget : the ipywidgets box shown (widget mode).
    control : its ``SelectionSlider``; set ``control.value`` to an index
        to move it from code (widget mode).
    figure : the figure of the default value (script mode).
    """

    mode: str
    values: tuple
    labels: tuple[str, ...]
    default_index: int
    pngs: dict[int, bytes] = field(default_factory=dict)
    html: str | None = None
    widget: Any = None
    control: Any = None
    figure: Figure | None = None

    @property
    def default(self) -> Any:
        return self.values[self.default_index]

    def __repr__(self) -> str:
        return (
            f"SliderRecord(mode={self.mode!r}, {len(self.values)} values, "
            f"default {self.labels[self.default_index]}, "
            f"{len(self.pngs)} drawn)"
        )


def slider_mode(mode: str | None = None) -> str:
    """The mode :func:`slider` will use: ``mode`` if given, else the env var.

    Examples
    --------
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


def _has_ipywidgets() -> bool:
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def _make_labels(values: Sequence, fmt: Formatter) -> tuple[str, ...]:
    if fmt is None:

        def fmt_one(v: Any) -> str:
            return format(v, "g") if isinstance(v, float) else str(v)

    elif isinstance(fmt, str):
        spec = fmt

        def fmt_one(v: Any) -> str:
            return format(v, spec)

    elif callable(fmt):
        fmt_one = fmt
    else:
        raise TypeError(
            "fmt must be None, a format spec such as '.2f' or a function "
            f"value -> str, got {type(fmt).__name__}"
        )
    labels = tuple(str(fmt_one(v)) for v in values)
    seen: dict[str, int] = {}
    for i, text in enumerate(labels):
        if text in seen:
            raise ValueError(
                f"values {values[seen[text]]!r} and {values[i]!r} both show "
                f"as {text!r}; give distinct values or a finer fmt"
            )
        seen[text] = i
    return labels


def _index_of(values: Sequence, default: Any) -> int:
    for i, v in enumerate(values):
        if v is default or bool(v == default):
            return i
    raise ValueError(
        f"default {default!r} is not one of the values {list(values)!r}; "
        "pass one of them (or default=None for the first)"
    )


def _draw(draw: Callable, value: Any, label: str, name: str) -> Figure:
    """Call ``draw(value)`` and return its figure; name the value on error."""
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
    if isinstance(out, Figure):
        return out
    fig = getattr(out, "figure", None)  # an Axes
    if isinstance(fig, Figure):
        return fig
    _close_new(before)
    raise TypeError(
        f"draw({value!r}) returned {type(out).__name__}; it must return "
        "the matplotlib Figure (or an Axes) it drew, e.g. "
        "`fig, ax = plt.subplots(); ...; return fig`"
    )


def _close_new(before: set) -> None:
    for num in set(plt.get_fignums()) - before:
        plt.close(num)


def _b64(png: bytes) -> str:
    return base64.b64encode(png).decode("ascii")


def _png(draw: Callable, value: Any, label: str, name: str) -> bytes:
    """Draw one value, render it to PNG bytes and close its figures."""
    before = set(plt.get_fignums())
    fig = _draw(draw, value, label, name)
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", bbox_inches="tight")
    finally:
        plt.close(fig)
        _close_new(before)
    return buf.getvalue()


def slider(
    draw: Callable[[Any], Any],
    values: Sequence,
    *,
    default: Any = None,
    label: str = "value",
    fmt: Formatter = None,
    mode: str | None = None,
) -> SliderRecord:
    """Show a slider over ``values`` that redraws ``draw(value)``.

    Parameters
    ----------
    draw : function ``draw(value)`` that draws the figure for one value on
        a new figure (``fig, ax = plt.subplots(...)``) and returns that
        ``Figure`` (or one of its ``Axes``).
    values : the values to offer, in slider order (at least one).
    default : the value shown first; it must be one of ``values``
        (``None``: the first one). Make it the value the text discusses.
    label : the parameter's name shown next to the slider, e.g. ``"λ"``.
    fmt : how a value is shown: ``None`` (``0.5``, ``3``), a format spec
        such as ``".2f"``, or a function ``value -> str``.
    mode : ``"static"``, ``"widget"``, ``"script"``; ``None`` reads the
        environment variable ``D2LUTILS_SLIDER_MODE`` (see the module
        docstring).

    Returns
    -------
    SliderRecord
        Assign it (``s = d2l.slider(...)``) so Jupyter does not print it.

    Raises
    ------
    TypeError : ``draw`` is not callable, or returns no Figure/Axes.
    ValueError : ``values`` is empty, ``default`` is not among them, or
        the mode is unknown.
    SliderError : ``draw(value)`` raised; the message names the value.

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
    labels = _make_labels(values, fmt)
    k = 0 if default is None else _index_of(values, default)
    chosen = slider_mode(mode)
    record = SliderRecord(chosen, values, labels, k)
    if chosen == "script":
        record.figure = _draw(draw, values[k], labels[k], label)
    elif chosen == "static":
        for i, v in enumerate(values):
            record.pngs[i] = _png(draw, v, labels[i], label)
        record.html = static_html(
            [record.pngs[i] for i in range(len(values))], labels, k, label
        )
        from IPython.display import HTML, display

        display(HTML(record.html))
    else:
        _build_widget(record, draw, label)
        from IPython.display import display

        display(record.widget)
    return record


# -- widget mode -------------------------------------------------------------


def _ticks_html(labels: Sequence[str], *, spread: bool = True) -> str:
    """The row of value labels: spread under a track, or as a plain list."""
    spans = [f"<span>{html.escape(t)}</span>" for t in labels]
    style = "font:0.8em sans-serif;color:#555;"
    if spread:  # under an <input type=range> of the same width
        style += "display:flex;justify-content:space-between;width:100%"
        return (
            f'<div class="d2l-slider-ticks" style="{style}">'
            + "".join(spans)
            + "</div>"
        )
    return (
        f'<div class="d2l-slider-ticks" style="{style}">values: '
        + " · ".join(spans)
        + "</div>"
    )


def _build_widget(record: SliderRecord, draw: Callable, name: str) -> None:
    try:
        import ipywidgets as widgets
    except ImportError as err:
        raise ImportError(
            "widget mode needs ipywidgets: `pip install ipywidgets`, or set "
            f"{MODE_ENV_VAR}=static to precompute every value instead"
        ) from err
    width = "28em"
    control = widgets.SelectionSlider(
        options=list(zip(record.labels, range(len(record.values)))),
        value=record.default_index,
        description=name,
        continuous_update=False,
        readout=True,
        layout=widgets.Layout(width=width),
    )
    # The track's position inside the widget depends on the frontend, so
    # the values are listed rather than lined up under it.
    ticks = widgets.HTML(_ticks_html(record.labels, spread=False))
    out = widgets.Output()

    def show(index: int) -> None:
        if index not in record.pngs:
            value = record.values[index]
            try:
                record.pngs[index] = _png(
                    draw, value, record.labels[index], name
                )
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
                "data": {
                    "image/png": _b64(record.pngs[index]),
                    "text/plain": f"<figure for {name} = "
                    f"{record.labels[index]}>",
                },
                "metadata": {},
            },
        )

    show(record.default_index)
    control.observe(lambda change: show(change["new"]), names="value")
    record.control = control
    record.widget = widgets.VBox([control, ticks, out])


# -- static mode -------------------------------------------------------------


_SCRIPT = """(function () {
  var root = document.getElementById("%(id)s");
  if (!root) { return; }
  var data = JSON.parse(
    root.querySelector("script.d2l-slider-data").textContent);
  var input = root.querySelector("input.d2l-slider-input");
  var img = root.querySelector("img.d2l-slider-img");
  var shown = root.querySelector(".d2l-slider-value");
  function show() {
    var i = parseInt(input.value, 10);
    if (!(i >= 0 && i < data.frames.length)) { return; }
    img.src = "data:image/png;base64," + data.frames[i];
    img.alt = data.alts[i];
    shown.textContent = data.labels[i];
  }
  input.addEventListener("input", show);
  input.addEventListener("change", show);
})();"""


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

    The DOM (the book's browser test relies on it)::

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
    frames = [_b64(p) for p in pngs]
    alts = [f"figure for {name} = {t}" for t in labels]
    data = {"labels": list(labels), "alts": alts, "frames": frames}
    # An id from the content and a counter, not a random one: rebuilding
    # the book gives the same HTML.
    digest = hashlib.sha1(json.dumps(data).encode()).hexdigest()[:8]
    uid = f"d2l-slider-{digest}-{next(_SLIDER_COUNT)}"
    k = default_index
    esc = html.escape
    return (
        f'<div class="d2l-slider" id="{uid}" data-default-index="{k}" '
        f'data-num-values="{n}" style="max-width:100%">\n'
        f'<div style="width:28em;max-width:100%">\n'
        f'<label for="{uid}-input" class="d2l-slider-label" '
        f'style="display:block;font-family:sans-serif">{esc(name)} = '
        f'<span class="d2l-slider-value" style="font-weight:bold">'
        f"{esc(labels[k])}</span></label>\n"
        f'<input type="range" class="d2l-slider-input" id="{uid}-input" '
        f'min="0" max="{n - 1}" step="1" value="{k}" '
        f'aria-label="{esc(name)}" style="width:100%;margin:0">\n'
        f"{_ticks_html(labels)}\n"
        "</div>\n"
        f'<img class="d2l-slider-img" src="data:image/png;base64,'
        f'{frames[k]}" alt="{esc(alts[k])}" style="max-width:100%">\n'
        '<script type="application/json" class="d2l-slider-data">'
        f"{_json_for_script(data)}</script>\n"
        "</div>\n"
        f"<script>{_SCRIPT % {'id': uid}}</script>"
    )
