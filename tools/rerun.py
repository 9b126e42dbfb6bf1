"""Run every cell of each chapter notebook twice in a row, as a reader does.

A reader changes a hyperparameter and runs the cell again. ``make rerun``
executes each notebook in a fresh kernel, running every code cell a second
time right after its first run, and reports the first cell that fails on
either run (an assert that held only once, a schedule that had run out,
state that a cell consumed). Exit status 1 if any notebook fails.

Usage: ``python tools/rerun.py [NOTEBOOK ...]``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from notebook_tools import QUIET_KERNEL, chapter_notebooks  # noqa: E402


def rerun(path: Path) -> str:
    """ "ok", or which cell failed on which run and why."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        extra_arguments=QUIET_KERNEL,
        resources={"metadata": {"path": str(path.parent)}},
    )
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or cell.source.startswith("%"):
                continue
            for attempt in ("first", "second"):
                try:
                    client.execute_cell(cell, index)
                except CellExecutionError as err:
                    lines = [ln for ln in str(err).splitlines() if ln.strip()]
                    return f"cell {index}, {attempt} run: {lines[-1][:120]}"
    return "ok"


def main(argv: list[str]) -> int:
    notebooks = [Path(a).resolve() for a in argv] or chapter_notebooks()
    failed = 0
    for path in notebooks:
        start = time.perf_counter()
        status = rerun(path)
        secs = time.perf_counter() - start
        print(f"{path.stem:<34} {status}  ({secs:.0f} s)", flush=True)
        failed += status != "ok"
    print(f"{len(notebooks) - failed} of {len(notebooks)} notebooks pass")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
