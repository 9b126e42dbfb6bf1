"""One slider value to one figure to PNG bytes, with errors that name it.

``draw(value)`` is the caller's function; it draws on a new figure and
returns that ``Figure`` (or one of its ``Axes``). A failure is re-raised
as :class:`SliderError` naming the value, and every figure the call
opened is closed, so a failing value leaves no stray figure behind.
"""

from __future__ import annotations

import base64
import io
from typing import Any, Callable

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

__all__ = ["SliderError", "draw_figure", "png_base64", "render_png"]


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


def render_png(draw: Callable, value: Any, label: str, name: str) -> bytes:
    """Draw one value, render it to PNG bytes and close its figures."""
    before = set(plt.get_fignums())
    fig = draw_figure(draw, value, label, name)
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", bbox_inches="tight")
    finally:
        plt.close(fig)
        _close_new(before)
    return buf.getvalue()


def png_base64(png: bytes) -> str:
    """PNG bytes as the ASCII text of a data URI or a notebook output."""
    return base64.b64encode(png).decode("ascii")
