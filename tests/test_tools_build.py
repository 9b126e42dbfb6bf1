"""tools/build_book.py and tools/check_build.py: a failed notebook can never
leave a build that reports success."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from check_build import pages_with_tracebacks  # noqa: E402

CELL = '<div class="cell {tags}docutils container">{body}</div>'
TB = '<div class="output traceback highlight-ipythontb">ValueError: x</div>'


def _page(tmp_path, name, html):
    page = tmp_path / name
    page.write_text(f"<html><body>{html}</body></html>", encoding="utf-8")


def test_traceback_found_and_named(tmp_path):
    _page(tmp_path, "ok.html", CELL.format(tags="", body="<p>fine</p>"))
    _page(tmp_path, "bad.html", CELL.format(tags="", body=TB))
    assert pages_with_tracebacks(tmp_path) == {"bad.html": "ValueError"}


def test_raises_exception_tag_allowed(tmp_path):
    cell = CELL.format(tags="tag_raises-exception ", body=TB)
    _page(tmp_path, "shown.html", cell)
    assert pages_with_tracebacks(tmp_path) == {}


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="make book"):
        pages_with_tracebacks(tmp_path / "nothing")


def _tiny_book(root: Path, code: str) -> None:
    (root / "_config.yml").write_text(
        "title: t\nexecute:\n  execute_notebooks: cache\n"
        "  allow_errors: false\n",
        encoding="utf-8",
    )
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n  - file: page\n",
        encoding="utf-8",
    )
    (root / "intro.md").write_text("# Intro\n", encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Page"),
        nbformat.v4.new_code_cell(code),
    ]
    nbformat.write(nb, root / "page.ipynb")


def _build(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_book.py"), str(root)],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_failed_notebook_fails_every_build_until_fixed(tmp_path):
    _tiny_book(tmp_path, "raise ValueError('broken on purpose')")
    first, second = _build(tmp_path), _build(tmp_path)
    assert first.returncode == 1, first.stdout[-2000:] + first.stderr[-2000:]
    assert second.returncode == 1, (
        "the second build passed on a stale cache:\n" + second.stderr[-2000:]
    )
    _tiny_book(tmp_path, "print('fixed')")
    fixed = _build(tmp_path)
    assert fixed.returncode == 0, fixed.stderr[-2000:]
    html = (tmp_path / "_build" / "html" / "page.html").read_text("utf-8")
    assert "fixed" in html and "broken on purpose" not in html
