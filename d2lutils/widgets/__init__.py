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
    figure for the new value (once; revisiting a value reuses it). Values
    the reader never visits are never computed.
``"static"``
    In the book build: every value is drawn up front, as SVG, into one
    HTML slider that the book's own script and stylesheet bring to life
    (``_ext/static/d2lbook.js``, ``d2lbook.css``). It needs no kernel and
    no network.
``"script"``
    In a plain Python script: the default value is drawn once and the
    figure is left open for ``plt.show()``.

The environment variable ``D2LUTILS_SLIDER_MODE`` chooses the mode when
the caller does not: the book build sets ``static`` (``_ext/d2lbook.py``);
``auto`` or unset means ``widget`` in a Jupyter/Colab kernel with
ipywidgets, else ``script``. Every figure gets an alt text for screen
readers: the caller's ``alt``, or one written from the figure's labels.

Modules: this one (the mode, the record, :func:`slider`); :mod:`.figure`
(one value to one SVG, errors that name the value); :mod:`.views` (the
static HTML and the live widget).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

from matplotlib.figure import Figure

from ..core import in_notebook
from .figure import SliderError, draw_figure, render_svg
from .views import build_widget, static_html, svg_data_uri

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


def _has_ipywidgets() -> bool:
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def slider_mode(mode: Optional[str] = None) -> str:
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


@dataclass
class SliderRecord:
    """What :func:`slider` made; which fields are set depends on the mode.

    Attributes
    ----------
    mode : ``"static"``, ``"widget"`` or ``"script"``.
    values, labels : the values offered and the text shown for each.
    default_index : position of the default value in ``values``.
    frames : {index: (SVG text, alt text)} for every value drawn so far.
    html : the HTML shown (static mode).
    widget : the ipywidgets box shown (widget mode).
    control : its ``SelectionSlider``; set ``control.value`` to an index
        to move it from code (widget mode).
    figure : the figure of the default value (script mode).
    """

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

    @property
    def default(self) -> Any:
        return self.values[self.default_index]

    def draw_one(self, index: int) -> tuple:
        """(SVG, alt text) of value ``index``, drawn the first time only."""
        if index not in self.frames:
            label = self.labels[index]
            svg, seen = render_svg(
                self.draw, self.values[index], label, self.name
            )
            what = self.alt or seen
            self.frames[index] = (svg, f"{what}, for {self.name} = {label}")
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

        def fmt_one(v: Any) -> str:
            return format(v, "g") if isinstance(v, float) else str(v)

    elif isinstance(fmt, str):

        def fmt_one(v: Any) -> str:
            return format(v, fmt)

    elif callable(fmt):
        fmt_one = fmt
    else:
        raise TypeError(
            "fmt must be None, a format spec such as '.2f' or a function "
            f"value -> str, got {type(fmt).__name__}"
        )
    labels = tuple(str(fmt_one(v)) for v in values)
    seen: dict = {}
    for i, text in enumerate(labels):
        if text in seen:
            raise ValueError(
                f"values {values[seen[text]]!r} and {values[i]!r} both show "
                f"as {text!r}; give distinct values or a finer fmt"
            )
        seen[text] = i
    return labels


def _index_of(values: Sequence, default: Any) -> int:
    """Position of ``default`` in ``values`` (by identity or ``==``)."""
    for i, v in enumerate(values):
        if v is default or bool(v == default):
            return i
    raise ValueError(
        f"default {default!r} is not one of the values {list(values)!r}; "
        "pass one of them (or default=None for the first)"
    )


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
    draw : function ``draw(value)`` that draws the figure for one value on
        a new figure (``fig, ax = plt.subplots(...)``) and returns that
        ``Figure`` (or one of its ``Axes``).
    values : the values to offer, in slider order (at least one).
    default : the value shown first; it must be one of ``values``
        (``None``: the first one). Make it the value the text discusses.
    label : the parameter's name shown next to the slider, e.g. ``"λ"``.
    fmt : how a value is shown: ``None`` (``0.5``, ``3``), a format spec
        such as ``".2f"``, or a function ``value -> str``.
    alt : what the figure shows, for screen readers ("Training and test
        loss against the epoch"); each value's alt text adds "for λ = 3".
        ``None``: written from the figure's axis labels and legends.
    mode : ``"static"``, ``"widget"``, ``"script"``; ``None`` reads the
        environment variable ``D2LUTILS_SLIDER_MODE`` (see the package
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
    >>> import matplotlib.pyplot as plt
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
    k = 0 if default is None else _index_of(values, default)
    chosen = slider_mode(mode)
    record = SliderRecord(chosen, values, labels, k, draw, label, alt)
    if chosen == "script":
        record.figure = draw_figure(draw, values[k], labels[k], label)
    elif chosen == "static":
        drawn = [record.draw_one(i) for i in range(len(values))]
        record.html = static_html(
            [svg_data_uri(svg) for svg, _ in drawn],
            labels,
            [a for _, a in drawn],
            k,
            label,
        )
        from IPython.display import HTML, display

        display(HTML(record.html))
    else:
        build_widget(record)
        from IPython.display import display

        display(record.widget)
    return record
