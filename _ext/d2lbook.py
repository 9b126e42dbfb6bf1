"""The book build's Sphinx extension (``_config.yml``: local_extensions).

It belongs to the build, not to the ``d2lutils`` package the notebooks
import, so it lives here, beside the book's sources:

* When Jupyter Book executes the notebooks there is no reader at the other
  end of the kernel, so an ipywidgets slider would be frozen at its first
  value. This extension sets ``D2LUTILS_SLIDER_MODE=static`` before any
  notebook runs; kernels inherit the environment, and ``d2l.slider``
  (``d2lutils/widgets``) then draws every value ahead of time into an HTML
  slider that ``static/d2lbook.js`` brings to life in the static pages.
* It gives each kernel one torch thread (``OMP_NUM_THREADS=1``, as the
  Makefile does for nbval, ``make seeds`` and ``make rerun``), so that
  every run of a notebook sums in the same order and prints the same
  digits. A reader's own kernel keeps torch's default.
* It adds the book's stylesheet and script, ``static/d2lbook.css`` (the
  sliders' layout) and ``static/d2lbook.js`` (the sliders' behaviour).
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
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    app.connect("builder-inited", _add_static_path)
    app.add_css_file("d2lbook.css")
    app.add_js_file("d2lbook.js")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
