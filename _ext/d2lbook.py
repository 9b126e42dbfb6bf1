"""The book build's Sphinx extension (``_config.yml``: local_extensions).

It belongs to the build, not to the ``d2lutils`` package the notebooks
import, so it lives here, beside the book's sources:

* When Jupyter Book executes the notebooks there is no reader at the other
  end of the kernel, so an ipywidgets slider would be frozen at its first
  value. This extension sets ``D2LUTILS_SLIDER_MODE=static`` before any
  notebook runs; kernels inherit the environment, and ``d2l.slider``
  (``d2lutils/widgets``) then renders every value ahead of time as a
  self-contained HTML slider that works in the static pages.
* It adds the book's small stylesheet, ``static/d2lbook.css`` beside
  this file (wide equations scroll instead of being cut off).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["setup"]

STATIC = Path(__file__).resolve().with_name("static")


def _add_static_path(app) -> None:
    app.config.html_static_path.append(str(STATIC))


def setup(app) -> dict:
    os.environ.setdefault("D2LUTILS_SLIDER_MODE", "static")
    app.connect("builder-inited", _add_static_path)
    app.add_css_file("d2lbook.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
