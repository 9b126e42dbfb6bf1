"""Build both editions of the book; a failure is never hidden by a cache.

``make book`` runs ``python tools/build_book.py .``: the English book into
``_build/html``, which executes the notebooks, then the Chinese one into
``_build/html/zh`` from the English build's outputs, which executes none
(``tools/zh.py``). The time each took is printed. Jupyter Book keeps two
caches in ``<book>/_build``: the executed notebooks (``.jupyter_cache``)
and Sphinx's parsed pages (``.doctrees``). Sphinx does not re-read a page
whose source did not change, so after a notebook failed, a second build
would report success and keep the failed page. Here every failed build
drops the doctrees, so the next build reads the failed notebook again and
re-executes it (the notebooks that ran cleanly come from the execution
cache), and a build whose pages show a traceback fails
(:mod:`check_build`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_build import pages_with_tracebacks  # noqa: E402

import zh  # noqa: E402


def build(book: Path) -> int:
    """Build ``book`` into ``book/_build/html``; return an exit status."""
    env = dict(os.environ)
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb), "build", str(book), "--warningiserror", "--keep-going"]
    start = time.perf_counter()
    status = subprocess.call([*cmd, "--builder", "html"], env=env)
    english = time.perf_counter() - start
    if not status and (book / "zh").is_dir():  # the book has a zh edition
        status = zh.build(book / "_build")
    print(
        f"English edition {english:.0f} s (notebooks executed), Chinese "
        f"edition {time.perf_counter() - start - english:.0f} s (none)"
    )
    html = book / "_build" / "html"
    bad = pages_with_tracebacks(html) if html.is_dir() else {}
    for page, error in bad.items():
        print(f"{page}: shows a traceback ({error})", file=sys.stderr)
    if status or bad:
        shutil.rmtree(book / "_build" / ".doctrees", ignore_errors=True)
        print(
            "the book build failed: fix the notebook(s) named above; the "
            "next build re-executes them",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(build(Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
