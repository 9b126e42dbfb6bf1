"""What the tests need to know about the chapters, in one place.

* :func:`chapter_notebooks` -- every notebook under ``chapters/``;
* :func:`toc_docnames` -- every page ``_toc.yml`` lists, root first;
* :data:`EDITIONS` and :func:`book_docnames` -- the English and the
  Chinese edition (``zh/``) of every page;
* :func:`english_left` -- what of a Chinese text is still English;
* :func:`notebook_definitions` -- the source of top-level definitions
  (``def``, ``class``, ``name = ...``) taken out of a notebook;
  :func:`notebook_namespace` executes them (optionally with a deliberate
  mistake) and :func:`notebook_function` returns one function: the one
  way the tests read a notebook's code;
* :data:`QUIET_KERNEL` -- kernel arguments for the tools that execute the
  notebooks (``tools/seeds.py``, ``tools/rerun.py``).

A from-scratch section defines its pieces (``linreg``, ``softmax``,
``relu``, ...) in the open, where the reader sees them. The tests take each
definition out of the committed notebook with these helpers, execute it
alone and compare it with PyTorch and with the ``d2lutils`` copy, so the
notebook and the package cannot drift apart. (``tests/`` is on
pytest's ``pythonpath``; the scripts in ``tools/`` put it on ``sys.path``
before ``from notebook_tools import ...``.)
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Optional, Union

import torch
import yaml
from torch import nn
from torch.nn import functional as F

__all__ = [
    "CHAPTERS",
    "EDITIONS",
    "QUIET_KERNEL",
    "ROOT",
    "book_docnames",
    "chapter_notebooks",
    "english_left",
    "notebook_definitions",
    "notebook_function",
    "notebook_namespace",
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


# edition -> where its pages are, in the sources and in _build/html
EDITIONS = {"en": "", "zh": "zh/"}


def book_docnames() -> list[str]:
    """Every page of both editions, e.g. ``chapters/index`` and
    ``zh/chapters/index`` (the zh sources mirror the English ones)."""
    return [
        prefix + doc for prefix in EDITIONS.values() for doc in toc_docnames()
    ]


def _cell_source(cell: dict) -> str:
    src = cell.get("source", "")
    text = "".join(src) if isinstance(src, list) else src
    # IPython magics and shell escapes are not Python: blank them out so
    # that the rest of the cell still parses (line numbers are kept).
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line
        for line in text.splitlines()
    )


def _defined_name(node: ast.stmt) -> Optional[str]:
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return node.name
    targets = node.targets if isinstance(node, ast.Assign) else []
    if len(targets) == 1 and isinstance(targets[0], ast.Name):
        return targets[0].id
    return None


def notebook_definitions(
    nb_path: Union[str, Path], names: Sequence[str]
) -> dict[str, str]:
    """The source of each top-level ``def``, ``class`` or ``name = ...``
    of ``names`` in a notebook's code cells, in the order of ``names``.

    Every code cell is read (magics blanked out), whatever its first line;
    a cell that is still not Python is skipped.

    Raises
    ------
    FileNotFoundError
        if the notebook does not exist.
    LookupError
        if no code cell defines one of ``names`` at its top level.
    ValueError
        if a name is defined more than once (ambiguous).

    Examples
    --------
    >>> src = notebook_definitions(
    ...     "chapters/linear-networks/linear-regression-scratch.ipynb",
    ...     ["linreg"])["linreg"]
    >>> src.splitlines()[0]
    'def linreg(X, w, b):'
    """
    path = Path(nb_path)
    if not path.is_absolute():
        path = ROOT / path
    if not path.is_file():
        raise FileNotFoundError(f"no notebook at {path}")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    found: dict[str, list[tuple[int, str]]] = {name: [] for name in names}
    for i, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        source = _cell_source(cell)
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            name = _defined_name(node)
            if name in found:
                segment = ast.get_source_segment(source, node)
                found[name].append((i, segment))
    for name, places in found.items():
        if not places:
            raise LookupError(
                f"no code cell of {path.name} defines {name!r} at its top "
                "level; check the name or the notebook path"
            )
        if len(places) > 1:
            where = ", ".join(str(i) for i, _ in places)
            raise ValueError(
                f"{path.name} defines {name!r} more than once (cells "
                f"{where}); keep one definition so that the tests know "
                "which to check"
            )
    return {name: found[name][0][1] for name in names}


def notebook_namespace(
    nb_path: Union[str, Path],
    names: Sequence[str],
    namespace: Optional[Mapping[str, Any]] = None,
    *,
    replace: Optional[Mapping[str, tuple[str, str]]] = None,
) -> dict[str, Any]:
    """Execute the notebook's definitions of ``names``, in that order, in
    one fresh namespace and return it.

    The namespace starts with ``torch``, ``nn``, ``F`` and ``math`` and
    whatever ``namespace`` adds (``d2l``, say); list a definition after
    those it uses at definition time. ``replace={name: (old, new)}`` edits
    a definition first (a deliberate mistake, to check that a test catches
    it); ``old`` must occur in it exactly once.

    Examples
    --------
    >>> ns = notebook_namespace(
    ...     "chapters/linear-networks/linear-regression-scratch.ipynb",
    ...     ["linreg"], replace={"linreg": ("X @ w + b", "X @ w - b")})
    >>> ns["linreg"](torch.ones(1, 2), torch.ones(2, 1), torch.tensor(0.5))
    tensor([[1.5000]])
    """
    sources = notebook_definitions(nb_path, names)
    for name, (old, new) in (replace or {}).items():
        count = sources[name].count(old)
        if count != 1:
            raise ValueError(
                f"{old!r} occurs {count} times in the notebook's {name}: "
                "update the replacement to the notebook's code"
            )
        sources[name] = sources[name].replace(old, new)
    env: dict[str, Any] = {"torch": torch, "nn": nn, "F": F, "math": math}
    env.update(namespace or {})
    for name, source in sources.items():
        exec(compile(source, f"{Path(nb_path).name}:{name}", "exec"), env)
    return env


def notebook_function(
    nb_path: Union[str, Path],
    name: str,
    namespace: Optional[Mapping[str, Any]] = None,
) -> Callable:
    """Return the function ``name`` as defined in a notebook's code cells.

    Only the ``def`` itself is executed (with its decorators), not the rest
    of its cell, by :func:`notebook_namespace`.

    Examples
    --------
    >>> linreg = notebook_function(
    ...     "chapters/linear-networks/linear-regression-scratch.ipynb",
    ...     "linreg")
    >>> linreg(torch.ones(1, 2), torch.ones(2, 1), torch.tensor(0.5))
    tensor([[2.5000]])
    """
    return notebook_namespace(nb_path, [name], namespace)[name]


HAN = re.compile(r"[\u4e00-\u9fff]")
# Words that stay as they are in Chinese text: names, code-like words.
NAMES = {
    "PyTorch",
    "NumPy",
    "Python",
    "Jupyter",
    "JupyterLab",
    "Colab",
    "Google",
    "GitHub",
    "Fashion",
    "MNIST",
    "ReLU",
    "GELU",
    "Leaky",
    "LeakyReLU",
    "sigmoid",
    "tanh",
    "softmax",
    "Softmax",
    "SGD",
    "Adam",
    "MLP",
    "He",
    "Xavier",
    "Glorot",
    "Kaiming",
    "Dive",
    "into",
    "Deep",
    "Learning",
    "Understanding",
    "UDL",
    "d2l",
    "d2lutils",
    "Prechelt",
    "Monte",
    "Carlo",
    "Taylor",
    "Gauss",
    "Gaussian",
    "Bernoulli",
    "Hessian",
    "Jacobian",
    "Frobenius",
    "Lipschitz",
    "Kullback",
    "Leibler",
    "float",
    "dtype",
    "autograd",
    "Sphinx",
    "MathJax",
    "Chromium",
    "CPU",
    "GPU",
    "CUDA",
    "IDX",
    "FNN",
    "BP",
    "MSE",
    "AUC",
    "PNG",
    "SVG",
    "HTML",
    "API",
    "ImageNet",
    "BatchNorm",
    "Dropout",
    "Linear",
    "Sequential",
    "Module",
    "Parameter",
}


def _strip_code_and_maths(text: str) -> str:
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    # display maths, with its equation label: $$ ... $$ (eq-name)
    text = re.sub(r"\$\$.*?\$\$(?:[ \t]*\([\w:-]+\))?", " ", text, flags=re.S)
    text = re.sub(r"\\begin\{(\w+\*?)\}.*?\\end\{\1\}", " ", text, flags=re.S)
    text = re.sub(r"\$[^$\n]+\$", " ", text)
    text = re.sub(r"`[^`\n]*`", " ", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets
    text = re.sub(r"<[^>]+>", " ", text)  # html tags
    text = re.sub(r"https?://\S+", " ", text)
    return re.sub(r"\{[a-z-]+\}", " ", text)  # MyST roles' names


def english_left(markdown: str) -> list[str]:
    """Pieces of markdown (paragraph lines, headings, list items, table
    cells) with English words and no Chinese."""
    left = []
    for block in re.split(r"\n\s*\n", _strip_code_and_maths(markdown)):
        for piece in re.split(r"\n(?=\s*(?:#|[-*+] |\d+\. |\|))|\|", block):
            words = [
                w for w in re.findall(r"[A-Za-z]{3,}", piece) if w not in NAMES
            ]
            if words and not HAN.search(piece):
                left.append(" ".join(piece.split())[:80])
    return left
