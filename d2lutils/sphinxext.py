"""Sphinx extension used by the book build (listed in ``_config.yml``).

* When Jupyter Book executes the notebooks there is no reader at the other
  end of the kernel, so an ipywidgets slider would be frozen at its first
  value. This extension sets ``D2LUTILS_SLIDER_MODE=static`` before any
  notebook runs; kernels inherit the environment, and
  :func:`d2lutils.widgets.slider` then renders every value ahead of time as
  a self-contained HTML slider that works in the static pages.
* It adds the book's small stylesheet, ``static/d2lbook.css`` beside this
  file (wide equations scroll instead of being cut off).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["setup"]

STATIC = Path(__file__).with_name("static")


def _add_static_path(app) -> None:
    app.config.html_static_path.append(str(STATIC))


def setup(app) -> dict:
    os.environ.setdefault("D2LUTILS_SLIDER_MODE", "static")
    app.connect("builder-inited", _add_static_path)
    app.add_css_file("d2lbook.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
