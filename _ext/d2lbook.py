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
* The two editions: every page links to the same page in the other
  language, in its header (``templates/d2l-language-switch.html``) and as
  ``<link rel="alternate" hreflang=...>``. The English book is at the
  root of ``_build/html``, the Chinese one under ``zh/``
  (``tools/zh.py`` builds it); the config value ``d2l_edition`` says
  which one this build is (``"en"`` or ``"zh"``).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["setup"]

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"
# edition -> the other edition: its language, the path from this edition's
# root to the other's, and how the switch is labelled (in that language)
OTHER_EDITION = {
    "en": {"lang": "zh-CN", "root": "zh/", "label": "中文", "title": "中文版"},
    "zh": {
        "lang": "en",
        "root": "../",
        "label": "English",
        "title": "English edition",
    },
}


def _add_paths(app, config) -> None:
    config.html_static_path.append(str(STATIC))
    config.templates_path.append(str(TEMPLATES))
    options = config.html_theme_options
    end = options.get("article_header_end", "article-header-buttons.html")
    if isinstance(end, str):
        end = [name.strip() for name in end.split(",") if name.strip()]
    switch = "d2l-language-switch.html"
    if switch not in end:
        options["article_header_end"] = [switch, *end]


def _other_edition(app, pagename, templatename, context, doctree) -> None:
    """Put this page's address in the other edition into the context."""
    edition = app.config.d2l_edition
    if edition not in OTHER_EDITION:
        raise ValueError(
            f"d2l_edition must be one of {sorted(OTHER_EDITION)}, got "
            f"{edition!r} (set it in _config.yml: sphinx.config)"
        )
    if pagename in ("search", "genindex"):
        return
    other = OTHER_EDITION[edition]
    up = "../" * pagename.count("/")
    href = f"{up}{other['root']}{pagename}.html"
    context["d2l_other_edition"] = dict(other, href=href)
    context["metatags"] = context.get("metatags", "") + (
        f'\n<link rel="alternate" hreflang="{other["lang"]}" href="{href}">'
    )


def setup(app) -> dict:
    os.environ.setdefault("D2LUTILS_SLIDER_MODE", "static")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")
    app.add_config_value("d2l_edition", "en", "html")
    app.connect("config-inited", _add_paths)
    app.connect("html-page-context", _other_edition)
    app.add_css_file("d2lbook.css")
    app.add_js_file("d2lbook.js")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
