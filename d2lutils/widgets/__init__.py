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

The package, one job per module:

* :mod:`.mode` -- which mode (``D2LUTILS_SLIDER_MODE``: ``static``,
  ``widget``, ``script``, or ``auto``/unset; the book build sets
  ``static``);
* :mod:`.record` -- :class:`SliderRecord`, the values' labels, the default;
* :mod:`.figure` -- ``draw(value)`` to a figure to PNG bytes, and
  :class:`SliderError` naming a value that failed;
* :mod:`.live` -- widget mode (ipywidgets);
* :mod:`.static` -- static mode (``static_html``), from the package files
  ``slider.html``, ``slider.js`` and ``slider.css`` (:mod:`.markup`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable

from .figure import SliderError, draw_figure, render_png
from .live import build_widget
from .mode import MODE_ENV_VAR, SLIDER_MODES, slider_mode
from .record import Formatter, SliderRecord, index_of, make_labels
from .static import static_html

__all__ = [
    "MODE_ENV_VAR",
    "SLIDER_MODES",
    "SliderError",
    "SliderRecord",
    "slider",
    "slider_mode",
    "static_html",
]


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
    labels = make_labels(values, fmt)
    k = 0 if default is None else index_of(values, default)
    chosen = slider_mode(mode)
    record = SliderRecord(chosen, values, labels, k)
    if chosen == "script":
        record.figure = draw_figure(draw, values[k], labels[k], label)
    elif chosen == "static":
        for i, v in enumerate(values):
            record.pngs[i] = render_png(draw, v, labels[i], label)
        record.html = static_html(
            [record.pngs[i] for i in range(len(values))], labels, k, label
        )
        from IPython.display import HTML, display

        display(HTML(record.html))
    else:
        build_widget(record, draw, label)
        from IPython.display import display

        display(record.widget)
    return record
