"""Run selected code cells of a book notebook under another seed.

The cell tagged `parameters` (`seed = 0`) is replaced by `seed = <seed>`;
the chosen cells are executed, in order, in one fresh namespace.
IPython magics (lines starting with % or !) are blanked out.
"""

import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import nbformat  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))


def cells(nb_rel):
    return nbformat.read(ROOT / nb_rel, as_version=4).cells


def source(cell):
    return "\n".join(
        "" if l.lstrip().startswith(("%", "!")) else l
        for l in cell.source.splitlines()
    )


def run_cells(nb_rel, indices, seed, namespace=None):
    cs = cells(nb_rel)
    ns = {"__name__": "__nbexec__"}
    ns.update(namespace or {})
    param = [
        i
        for i, c in enumerate(cs)
        if "parameters" in c.metadata.get("tags", [])
    ]
    assert len(param) == 1 and re.fullmatch(
        r"\s*seed = 0\s*", cs[param[0]].source
    ), param
    exec(f"seed = {seed}", ns)
    for i in indices:
        c = cs[i]
        assert c.cell_type == "code", i
        src = source(c)
        exec(compile(src, f"{Path(nb_rel).name}:cell{i}", "exec"), ns)
    return ns


def seeds_and_output(name):
    """The seeds (argv[1], comma-separated; 200-229 by default) and the
    JSON file to write (argv[2]; /tmp/<name>.json by default)."""
    seeds = (
        [int(a) for a in sys.argv[1].split(",")]
        if len(sys.argv) > 1
        else list(range(200, 230))
    )
    return seeds, sys.argv[2] if len(sys.argv) > 2 else f"/tmp/{name}.json"
