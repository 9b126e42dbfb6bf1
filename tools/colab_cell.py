"""Keep the Colab install cell at the top of every notebook in sync.

Every notebook under ``chapters/`` starts with the same code cell, tagged
``remove-cell`` (so the rendered book hides it). On Colab it installs the
book's helper package ``d2lutils`` straight from the repository; anywhere
else it does nothing. The repository's address is written down in ONE
place, ``repository.url`` in ``_config.yml`` (the Colab launch buttons use
it too); this script derives the cell from it.

Usage (from the repository root)::

    python tools/colab_cell.py           # check: exit 1 if a notebook drifts
    python tools/colab_cell.py --write   # rewrite the drifted first cells
    make colab-cells                     # the same as --write

After changing the address in ``_config.yml`` run ``make colab-cells`` and
commit the notebooks; ``tests/test_colab.py`` fails until you do.

>>> print(cell_source("https://github.com/me/book/"))
# Colab only: install d2lutils, the book's helper package.
import sys
<BLANKLINE>
if "google.colab" in sys.modules:
    %pip install -q "d2lutils @ git+https://github.com/me/book"
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
import yaml

# the book's list of notebooks, shared with the tests
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from notebook_tools import CHAPTERS, ROOT, chapter_notebooks  # noqa: E402

CONFIG = ROOT / "_config.yml"
TAG = "remove-cell"
FIRST_LINE = "# Colab only: install d2lutils, the book's helper package."

__all__ = ["repository_url", "cell_source", "notebooks", "drifted", "sync"]


def repository_url(config: Path = CONFIG) -> str:
    """``repository.url`` from the book's ``_config.yml``.

    Raises
    ------
    ValueError
        If the file has no ``repository.url`` or it is not an https
        address (pip could not install from it).
    """
    data = yaml.safe_load(Path(config).read_text(encoding="utf-8")) or {}
    url = (data.get("repository") or {}).get("url")
    if not isinstance(url, str) or not url.startswith("https://"):
        raise ValueError(
            f"{config}: repository.url must be the https address of the "
            f"book's git repository, got {url!r}"
        )
    return url.rstrip("/")


def cell_source(url: str) -> str:
    """The source of the Colab install cell for repository ``url``."""
    return "\n".join(
        [
            FIRST_LINE,
            "import sys",
            "",
            'if "google.colab" in sys.modules:',
            f'    %pip install -q "d2lutils @ git+{url.rstrip("/")}"',
        ]
    )


def notebooks(root: Path = CHAPTERS) -> list[Path]:
    """Every notebook of the book, in a stable order."""
    return chapter_notebooks(root)


def _is_install_cell(cell) -> bool:
    return cell.cell_type == "code" and cell.source.startswith(FIRST_LINE)


def _first_cell_ok(nb, source: str) -> bool:
    if not nb.cells:
        return False
    cell = nb.cells[0]
    return (
        cell.cell_type == "code"
        and cell.source == source
        and TAG in cell.metadata.get("tags", [])
    )


def drifted(paths: list[Path], source: str) -> list[Path]:
    """The notebooks whose first cell is not exactly the install cell."""
    return [
        p
        for p in paths
        if not _first_cell_ok(nbformat.read(p, as_version=4), source)
    ]


def sync(path: Path, source: str) -> bool:
    """Make the first cell of ``path`` the install cell; True if changed.

    An existing install cell (recognised by its first line) is updated in
    place, keeping its id; otherwise a new cell is inserted at the top.
    Nothing else in the notebook changes.
    """
    nb = nbformat.read(path, as_version=4)
    if _first_cell_ok(nb, source):
        return False
    if nb.cells and _is_install_cell(nb.cells[0]):
        cell = nb.cells[0]
        cell.source = source
        cell.outputs, cell.execution_count = [], None
    else:
        cell = nbformat.v4.new_code_cell(source)
        nb.cells.insert(0, cell)
    tags = cell.metadata.setdefault("tags", [])
    if TAG not in tags:
        tags.append(TAG)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--write", action="store_true", help="rewrite drifted first cells"
    )
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument("--chapters", type=Path, default=CHAPTERS)
    args = parser.parse_args(argv)
    source = cell_source(repository_url(args.config))
    paths = notebooks(args.chapters)
    if args.write:
        changed = [p for p in paths if sync(p, source)]
        for p in changed:
            print(f"updated {p}")
        print(f"{len(changed)} of {len(paths)} notebooks updated")
        return 0
    bad = drifted(paths, source)
    for p in bad:
        print(f"first cell is not the Colab install cell: {p}")
    if bad:
        print("fix: make colab-cells", file=sys.stderr)
        return 1
    print(f"{len(paths)} notebooks start with the Colab install cell")
    return 0


if __name__ == "__main__":
    sys.exit(main())
