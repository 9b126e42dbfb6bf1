"""Which of the three slider modes to use, from an argument or the env.

``"widget"`` (a live ipywidgets slider), ``"static"`` (every value drawn
up front into self-contained HTML, for the book) or ``"script"`` (the
default value drawn once, for plain Python). The environment variable
``D2LUTILS_SLIDER_MODE`` chooses when the caller does not; the book build
sets it to ``static`` (``_ext/d2lbook.py``), and ``auto`` or unset means
``widget`` inside a Jupyter/Colab kernel with ipywidgets, else ``script``.
"""

from __future__ import annotations

import os

from ..core import in_notebook

__all__ = ["MODE_ENV_VAR", "SLIDER_MODES", "has_ipywidgets", "slider_mode"]

MODE_ENV_VAR = "D2LUTILS_SLIDER_MODE"
SLIDER_MODES = ("static", "widget", "script")


def has_ipywidgets() -> bool:
    """Whether ipywidgets can be imported."""
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


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
        return "widget" if in_notebook() and has_ipywidgets() else "script"
    if chosen not in SLIDER_MODES:
        raise ValueError(
            f"unknown slider mode {mode!r}; use one of "
            f"{', '.join(SLIDER_MODES)} or auto (set by {source})"
        )
    return chosen
