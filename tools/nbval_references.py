"""Write the book build's executed notebooks to ``_build/nbval`` for nbval.

Notebooks are committed without outputs, so nbval has nothing to compare
against in ``chapters/``. The book build executes every notebook and keeps
the outputs in its jupyter-cache; this script merges those outputs into a
copy of each notebook. ``make nbval`` then re-runs the copies and checks
every cell tagged ``nbval-check-output`` against the build's run: a
seeded cell that prints different numbers on a second run fails.

Usage: python tools/nbval_references.py [BUILD_DIR]   (after ``make book``)
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import nbformat

# the book's list of notebooks, shared with the tests
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from notebook_tools import ROOT, chapter_notebooks  # noqa: E402


def main(build: Path) -> int:
    from jupyter_cache import get_cache

    cache_path = build / ".jupyter_cache"
    if not cache_path.is_dir():
        print(f"no {cache_path}: run `make book` first", file=sys.stderr)
        return 2
    cache = get_cache(cache_path)
    out_root = build / "nbval"
    shutil.rmtree(out_root, ignore_errors=True)
    notebooks = chapter_notebooks()
    missing = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        try:
            _, merged = cache.merge_match_into_notebook(nb)
        except KeyError:
            missing.append(path.relative_to(ROOT))
            continue
        target = out_root / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(merged, target)
    if missing:
        names = "\n  ".join(map(str, missing))
        print(
            "these notebooks have no executed copy in the build cache "
            f"(run `make book` first):\n  {names}",
            file=sys.stderr,
        )
        return 1
    print(f"{len(notebooks)} reference notebooks in {out_root}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "_build"))
