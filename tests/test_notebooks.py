"""Static checks of the chapter notebooks (nbval executes them separately).

* committed without outputs or execution counts (the book build runs them);
* every notebook is in ``_toc.yml`` and every toc entry exists;
* no ``NBVAL`` comment in a cell's source: nbval reads cell tags
  (``nbval-check-output``), which the reader does not see;
* each section ends with exercises whose solutions fold away in the book
  and in JupyterLab with their outputs (``hide-cell``), checked with
  ``assert``.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from notebook_tools import ROOT, chapter_notebooks, toc_docnames

NOTEBOOKS = chapter_notebooks()
IDS = [str(p.relative_to(ROOT / "chapters")) for p in NOTEBOOKS]


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 4


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_has_no_outputs(path):
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "code":
            continue
        assert not cell.get("outputs"), (
            f"{path.name} cell {i} has outputs: clear them before committing "
            "(jupyter nbconvert --clear-output --inplace FILE)"
        )
        assert cell.get("execution_count") is None, (
            f"{path.name} cell {i} has an execution count: clear outputs"
        )


def test_toc_and_files_agree():
    toc = set(toc_docnames())
    pages = {
        str(p.relative_to(ROOT).with_suffix(""))
        for p in (ROOT / "chapters").rglob("*")
        if p.suffix in {".ipynb", ".md"}
        and ".ipynb_checkpoints" not in p.parts
    }
    assert pages - toc == set(), "pages missing from _toc.yml"
    assert toc - pages == set(), "_toc.yml lists pages that do not exist"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_test_machinery_in_sources(path):
    """nbval reads cell tags; a comment marker would show on the page."""
    for i, cell in enumerate(_cells(path)):
        assert "NBVAL" not in _source(cell), (
            f"{path.name} cell {i}: use the cell tag nbval-check-output "
            "(or nbval-ignore-output, nbval-skip), not a comment the "
            "reader sees"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_section_ends_with_checked_exercises(path):
    cells = _cells(path)
    starts = [
        i
        for i, c in enumerate(cells)
        if c["cell_type"] == "markdown"
        and re.search(r"^##\s+Exercises", _source(c), re.M)
    ]
    assert starts, f"{path.name} has no '## Exercises' section"
    rest = cells[starts[-1] :]
    code = [c for c in rest if c["cell_type"] == "code"]
    hidden = [
        c for c in code if "hide-cell" in c.get("metadata", {}).get("tags", [])
    ]
    checks = [
        c for c in hidden if re.search(r"\bassert\b|assert_close", _source(c))
    ]
    assert hidden, f"{path.name}: no solution cell tagged hide-cell"
    assert checks, f"{path.name}: no folded exercise answer checked by assert"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_solutions_fold_with_their_outputs(path):
    """A solution folds away with what it prints and its checks: the book
    folds a ``hide-cell`` cell whole (``hide-input``, fine for the code of a
    figure in the text, would leave an answer in view), and JupyterLab
    needs ``metadata.jupyter`` to fold the source and the outputs there."""
    in_exercises = False
    for i, cell in enumerate(_cells(path)):
        meta = cell.get("metadata", {})
        tags = meta.get("tags", [])
        if cell["cell_type"] == "markdown" and re.match(
            r"##\s", _source(cell)
        ):
            in_exercises = _source(cell).startswith("## Exercises")
        assert not (in_exercises and "hide-input" in tags), (
            f"{path.name} cell {i}: a solution's output would stay in view; "
            "tag it hide-cell (folds the outputs too), not hide-input"
        )
        if "hide-cell" in tags:
            jupyter = meta.get("jupyter", {})
            assert jupyter.get("source_hidden") is True, (
                f"{path.name} cell {i} is tagged hide-cell: set "
                "metadata.jupyter.source_hidden = true"
            )
            assert jupyter.get("outputs_hidden") is True, (
                f"{path.name} cell {i} is tagged hide-cell: set "
                "metadata.jupyter.outputs_hidden = true"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_metadata(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    titles = [
        c
        for c in nb["cells"]
        if c["cell_type"] == "markdown" and re.match(r"#\s+\S", _source(c))
    ]
    assert titles, f"{path.name} has no '# Title' markdown cell"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_seed_is_a_parameter(path):
    """``make seeds`` (papermill) sets ``seed`` in the cell tagged
    ``parameters``; the notebook must take its randomness from it."""
    cells = _cells(path)
    params = [
        c
        for c in cells
        if "parameters" in c.get("metadata", {}).get("tags", [])
    ]
    assert len(params) == 1, (
        f"{path.name}: add one code cell tagged 'parameters' holding "
        "`seed = 0` (found {len(params)})"
    )
    assert re.fullmatch(r"seed = \d+\s*", _source(params[0])), (
        f"{path.name}: the parameters cell must hold only `seed = <int>`"
    )
    rest = "".join(_source(c) for c in cells if c is not params[0])
    assert re.search(r"\bseed\b", rest), f"{path.name} never uses `seed`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_assert_says_what_failed(path):
    """A failing check must tell the reader what was expected."""
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "code":
            continue
        source = "\n".join(
            # a magic (%pip) becomes `pass` at its indentation
            line[: len(line) - len(line.lstrip())] + "pass"
            if line.lstrip().startswith(("%", "!"))
            else line
            for line in _source(cell).splitlines()
        )
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Assert):
                assert node.msg is not None, (
                    f"{path.name} cell {i}, line {node.lineno}: give the "
                    "assert a message (what was expected, what was seen)"
                )
