"""What a slider holds: its values, their labels, the default, the figures.

:class:`SliderRecord` is what :func:`d2lutils.slider` returns; the helpers
here turn the caller's values, ``fmt`` and ``default`` into the labels
shown and the default's position, and reject the ambiguous cases (two
values that show alike, a default that is not among the values).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Callable, Union

from matplotlib.figure import Figure

__all__ = ["Formatter", "SliderRecord", "index_of", "make_labels"]

Formatter = Union[str, Callable[[Any], str], None]


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


def make_labels(values: Sequence, fmt: Formatter) -> tuple[str, ...]:
    """The text shown for each value; no two values may show alike.

    Examples
    --------
    >>> make_labels([0.5, 2, 1e-4], None)
    ('0.5', '2', '0.0001')
    >>> make_labels([0.25, 1.0], ".2f")
    ('0.25', '1.00')
    """
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


def index_of(values: Sequence, default: Any) -> int:
    """Position of ``default`` in ``values`` (by identity or ``==``)."""
    for i, v in enumerate(values):
        if v is default or bool(v == default):
            return i
    raise ValueError(
        f"default {default!r} is not one of the values {list(values)!r}; "
        "pass one of them (or default=None for the first)"
    )
