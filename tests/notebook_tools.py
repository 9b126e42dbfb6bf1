"""What the tests need to know about the chapters, in one place.

* :func:`chapter_notebooks` -- every notebook under ``chapters/``;
* :func:`toc_docnames` -- every page ``_toc.yml`` lists, root first;
* :func:`notebook_function` -- one function definition taken out of a
  notebook;
* :data:`QUIET_KERNEL` -- kernel arguments for the tools that execute the
  notebooks (``tools/seeds.py``, ``tools/rerun.py``).

A from-scratch section defines its pieces (``linreg``, ``softmax``,
``relu``, ...) in the open, where the reader sees them. The tests take each
``def`` out of the committed notebook with :func:`notebook_function`,
execute it alone and compare it with PyTorch and with the ``d2lutils``
copy, so the notebook and the package cannot drift apart. (``tests/`` is on
pytest's ``pythonpath``; the scripts in ``tools/`` put it on ``sys.path``
before ``from notebook_tools import ...``.)
"""

from __future__ import annotations

import ast
import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Optional, Union

import torch
import yaml
from torch import nn

__all__ = [
    "CHAPTERS",
    "QUIET_KERNEL",
    "ROOT",
    "chapter_notebooks",
    "notebook_function",
    "toc_docnames",
]

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"

# ipykernel 7 logs, at every start, a warning that its local TCP sockets are
# not encrypted; with one kernel per notebook and seed it buried the tools'
# progress lines. Only the kernel application's own log is quieted: warnings
# raised by a cell still reach that cell's outputs.
QUIET_KERNEL = ["--IPKernelApp.log_level=ERROR"]


def chapter_notebooks(root: Path = CHAPTERS) -> list[Path]:
    """Every notebook of the book (checkpoints excluded), sorted."""
    return sorted(
        p
        for p in Path(root).rglob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts
    )


def toc_docnames(toc_path: Path = ROOT / "_toc.yml") -> list[str]:
    """Every document ``_toc.yml`` lists, root first, without suffixes."""
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    names = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                names.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    return [str(Path(name).with_suffix("")) for name in names]


def _cell_source(cell: dict) -> str:
    src = cell.get("source", "")
    text = "".join(src) if isinstance(src, list) else src
    # IPython magics and shell escapes are not Python: blank them out so
    # that the rest of the cell still parses (line numbers are kept).
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line
        for line in text.splitlines()
    )


def notebook_function(
    nb_path: Union[str, Path],
    name: str,
    namespace: Optional[Mapping[str, Any]] = None,
) -> Callable:
    """Return the function ``name`` as defined in a notebook's code cells.

    Only the ``def`` itself is executed (with its decorators), not the rest
    of its cell, in a fresh namespace holding ``torch``, ``nn``, ``math``
    and whatever ``namespace`` adds (e.g. other notebook functions the
    definition calls).

    Parameters
    ----------
    nb_path : path of the ``.ipynb`` file, absolute or relative to the
        repository root.
    name : the function's name.
    namespace : extra globals for the definition.

    Raises
    ------
    FileNotFoundError
        if the notebook does not exist.
    LookupError
        if no code cell defines ``name`` at its top level.
    ValueError
        if more than one code cell defines ``name`` (ambiguous).

    Examples
    --------
    >>> linreg = notebook_function(
    ...     "chapters/linear-networks/linear-regression-scratch.ipynb",
    ...     "linreg")
    >>> linreg(torch.ones(1, 2), torch.ones(2, 1), torch.tensor(0.5))
    tensor([[2.5000]])
    """
    path = Path(nb_path)
    if not path.is_absolute():
        path = ROOT / path
    if not path.is_file():
        raise FileNotFoundError(f"no notebook at {path}")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    found = []
    for i, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        source = _cell_source(cell)
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                found.append((i, source, node))
    if not found:
        raise LookupError(
            f"no code cell of {path.name} defines a function {name!r} at "
            "its top level; check the name or the notebook path"
        )
    if len(found) > 1:
        where = ", ".join(str(i) for i, _, _ in found)
        raise ValueError(
            f"{path.name} defines {name!r} in several cells ({where}); "
            "keep one definition so that the tests know which to check"
        )
    i, source, node = found[0]
    module = ast.Module(body=[node], type_ignores=[])
    code = compile(module, f"{path.name}[cell {i}]", "exec")
    env: dict[str, Any] = {"torch": torch, "nn": nn, "math": math}
    env.update(namespace or {})
    exec(code, env)
    return env[name]
