"""Run every chapter notebook under other seeds and print which cells fail.

Each notebook has one cell tagged ``parameters`` holding ``seed = 0``; the
book runs that seed. ``make seeds`` runs each notebook again through
papermill with ``seed = N`` for every N asked for, in a fresh kernel, and
prints a table (section x seed): ``ok``, or the failing cell and error. The
exit status is 1 if any run failed, so the table can gate CI.

Usage::

    python tools/seeds.py --seeds "11 12 13" [NOTEBOOK ...]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import papermill

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from notebook_tools import QUIET_KERNEL, chapter_notebooks  # noqa: E402


def has_parameters_cell(path: Path) -> bool:
    nb = nbformat.read(path, as_version=4)
    return any(
        "parameters" in c.metadata.get("tags", []) and "seed" in c.source
        for c in nb.cells
    )


def run_one(path: Path, seed: int, out_dir: Path) -> tuple[str, float]:
    """Execute ``path`` with ``seed``; return ("ok" or the error, seconds)."""
    if not has_parameters_cell(path):
        return "no cell tagged 'parameters' with seed", 0.0
    out = out_dir / f"{path.stem}-{seed}.ipynb"
    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(path),
            str(out),
            parameters={"seed": seed},
            kernel_name="python3",
            extra_arguments=QUIET_KERNEL,
            cwd=str(path.parent),
            progress_bar=False,
            log_output=False,
        )
    except papermill.PapermillExecutionError as err:
        first = str(err.evalue).splitlines()[0][:70] if err.evalue else ""
        status = f"cell {err.exec_count}: {err.ename}: {first}"
    except Exception as err:  # a kernel that died, a timeout: report it
        status = f"{type(err).__name__}: {str(err)[:70]}"
    else:
        status = "ok"
    secs = time.perf_counter() - start
    print(
        f"{path.stem}, seed {seed}: {status} ({secs:.0f} s)", file=sys.stderr
    )
    return status, secs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seeds", required=True, help='seeds, e.g. "11 12 13" or 11,12,13'
    )
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    try:
        args.seeds = [int(s) for s in args.seeds.replace(",", " ").split()]
    except ValueError:
        parser.error(f"--seeds takes integers, got {args.seeds!r}")
    if args.jobs < 1:
        parser.error(f"--jobs takes a positive integer, got {args.jobs}")
    # Each kernel inherits this environment. Left alone, every kernel's torch
    # uses one thread per core, so two kernels on two cores oversubscribe
    # them: the softmax and MLP sections then ran 8-14 times slower than
    # alone (softmax-regression-concise 85 s against 11 s).
    threads = os.environ.get(
        "OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // args.jobs))
    )
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, threads)
    notebooks = [p.resolve() for p in args.notebooks] or chapter_notebooks()
    runs = [(nb, s) for nb in notebooks for s in args.seeds]
    with tempfile.TemporaryDirectory() as tmp:
        with ThreadPoolExecutor(args.jobs) as pool:
            results = list(
                pool.map(lambda r: run_one(r[0], r[1], Path(tmp)), runs)
            )
    table = dict(zip(runs, results))
    width = max(len(p.stem) for p in notebooks)
    print(f"{'section':<{width}}  " + " ".join(f"{s:>4}" for s in args.seeds))
    failures = []
    for nb in notebooks:
        marks = []
        for s in args.seeds:
            status, _ = table[nb, s]
            marks.append("  ok" if status == "ok" else "FAIL")
            if status != "ok":
                failures.append(f"{nb.stem}, seed {s}: {status}")
        secs = sum(table[nb, s][1] for s in args.seeds) / len(args.seeds)
        print(f"{nb.stem:<{width}}  " + " ".join(marks) + f"  ({secs:.0f} s)")
    total = len(runs)
    print(f"{total - len(failures)} of {total} runs passed")
    for line in failures:
        print("  " + line)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
