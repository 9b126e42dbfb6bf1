"""Sphinx extension used by the book build (listed in ``_config.yml``).

When Jupyter Book executes the notebooks there is no reader at the other
end of the kernel, so an ipywidgets slider would be frozen at its first
value. This extension sets ``D2LUTILS_SLIDER_MODE=static`` before any
notebook runs; kernels inherit the environment, and
:func:`d2lutils.widgets.slider` then renders every value ahead of time as a
self-contained HTML slider that works in the static pages.
"""

from __future__ import annotations

import os

__all__ = ["setup"]


def setup(app) -> dict:
    os.environ.setdefault("D2LUTILS_SLIDER_MODE", "static")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
