"""One slider value to one figure to SVG text, with errors that name it.

``draw(value)`` is the caller's function; it draws on a new figure and
returns that ``Figure`` (or one of its ``Axes``). A failure is re-raised
as :class:`SliderError` naming the value, and every figure the call
opened is closed, so a failing value leaves no stray figure behind.
:func:`describe` writes the alt text a screen reader reads for it.
"""

from __future__ import annotations

import io
from typing import Any, Callable

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

__all__ = ["SliderError", "describe", "draw_figure", "render_svg"]

_SVG = {"svg.fonttype": "none", "svg.hashsalt": "d2lutils"}


class SliderError(RuntimeError):
    """``draw(value)`` failed; the message names the value.

    The original exception is chained (``err.__cause__``) and the failing
    value is kept in ``err.value``.
    """

    def __init__(self, message: str, value: Any) -> None:
        super().__init__(message)
        self.value = value


def _close_new(before: set) -> None:
    for num in set(plt.get_fignums()) - before:
        plt.close(num)


def draw_figure(draw: Callable, value: Any, label: str, name: str) -> Figure:
    """Call ``draw(value)`` and return its figure; name the value on error.

    ``label`` is how the value is shown and ``name`` the parameter's name,
    both used in the error message.

    Examples
    --------
    >>> def draw(a):
    ...     fig, ax = plt.subplots()
    ...     return ax
    >>> isinstance(draw_figure(draw, 1, "1", "a"), Figure)
    True
    >>> draw_figure(lambda a: 1 / a, 0, "0", "a")
    Traceback (most recent call last):
    ...
    d2lutils.widgets.figure.SliderError: draw(0) failed for a = 0: ...
    >>> plt.close("all")
    """
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


def describe(fig: Figure) -> str:
    """What a figure shows, from its axes' titles, labels and legends.

    Examples
    --------
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], label="train"), ax.plot([1, 0], label="test")
    >>> _ = ax.set_xlabel("epoch"), ax.set_ylabel("loss"), ax.legend()
    >>> describe(fig)
    'loss against epoch (train, test)'
    >>> plt.close("all")
    """
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


def render_svg(draw: Callable, value: Any, label: str, name: str) -> tuple:
    """Draw one value; return (SVG text, description) and close its figures.

    Text stays text (crisp, and a screen reader or a test can read it);
    no creation date and fixed ids: the same figure gives the same SVG.
    """
    before = set(plt.get_fignums())
    fig = draw_figure(draw, value, label, name)
    buf = io.StringIO()
    try:
        text = describe(fig)
        with plt.rc_context(_SVG):
            fig.savefig(
                buf, format="svg", bbox_inches="tight", metadata={"Date": None}
            )
    finally:
        plt.close(fig)
        _close_new(before)
    return buf.getvalue(), text
