"""Fail when a built page shows an error instead of the lesson.

``make book`` runs this after Jupyter Book: a notebook cell that raised
leaves a traceback on its page (myst-nb renders it as an output with the
class ``traceback``). A cell tagged ``raises-exception`` shows its error on
purpose and is allowed. Usage: ``python tools/check_build.py _build/html``.
Exit status 1 lists each page and the first line of its error.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

TRACEBACK = re.compile(r'class="[^"]*\boutput traceback\b')
CELL = re.compile(r'<div class="cell[ "]')
ERROR_NAME = re.compile(r"([A-Za-z_.]*(?:Error|Exception))\b")


def pages_with_tracebacks(html_dir: Path) -> dict[str, str]:
    """Map each page (relative path) with a traceback to its error name."""
    if not html_dir.is_dir():
        raise FileNotFoundError(
            f"{html_dir} is not a folder: build the book first (make book)"
        )
    bad = {}
    for page in sorted(html_dir.rglob("*.html")):
        text = page.read_text(encoding="utf-8", errors="replace")
        for cell in CELL.split(text):
            match = TRACEBACK.search(cell)
            if match and "tag_raises-exception" not in cell[:300]:
                name = ERROR_NAME.search(cell, match.end())
                bad[str(page.relative_to(html_dir))] = (
                    name.group(1) if name else "an error"
                )
                break
    return bad


def main(argv: list[str]) -> int:
    html_dir = Path(argv[1] if len(argv) > 1 else "_build/html")
    bad = pages_with_tracebacks(html_dir)
    for page, error in bad.items():
        print(f"{page}: shows a traceback ({error})", file=sys.stderr)
    if bad:
        print(
            f"{len(bad)} page(s) show errors: fix the notebook(s) and run "
            "make book again",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
