"""Colab: every notebook installs d2lutils on Colab, and only there.

The first cell of every notebook is generated from ``repository.url`` in
``_config.yml`` by ``tools/colab_cell.py`` (``make colab-cells``); these
tests fail when a notebook drifts from it, check that the cell does what
it says (installs on Colab, nothing elsewhere) and that the repository
really is pip-installable as ``d2lutils`` without ``requirements.txt``.
The launch buttons themselves are checked in the rendered pages by
``tests/test_browser.py``.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import importlib.util
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from packaging.requirements import Requirement

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "colab_cell", ROOT / "tools" / "colab_cell.py"
)
colab_cell = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(colab_cell)

NOTEBOOKS = colab_cell.notebooks()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_colab_cell_doctests():
    """tools/ is outside pytest's testpaths: run its examples here."""
    import doctest

    result = doctest.testmod(colab_cell)
    assert result.attempted > 0 and result.failed == 0, result


@pytest.fixture
def canonical() -> str:
    return colab_cell.cell_source(colab_cell.repository_url())


def _run_cell(source: str, *, on_colab: bool, monkeypatch) -> list:
    """Run the cell as IPython would; return the magics it called."""
    from IPython.core.inputtransformer2 import TransformerManager

    python = TransformerManager().transform_cell(source)
    calls = []

    class FakeShell:
        def run_line_magic(self, name, line):
            calls.append((name, line))

    if on_colab:
        monkeypatch.setitem(sys.modules, "google.colab", object())
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(compile(python, "<colab cell>", "exec"), {"get_ipython": FakeShell})
    return calls


# -- every notebook starts with the generated cell ----------------------------
def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 12


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_rel)
def test_first_cell_is_the_colab_cell(path, canonical):
    nb = nbformat.read(path, as_version=4)
    cell = nb.cells[0]
    assert cell.cell_type == "code"
    assert "remove-cell" in cell.metadata.get("tags", []), (
        "tag the first cell remove-cell (fix: make colab-cells)"
    )
    assert cell.source == canonical, (
        f"{_rel(path)}: first cell differs from the one generated from "
        "_config.yml's repository.url (fix: make colab-cells)"
    )


def test_check_mode_passes_on_the_book(capsys):
    assert colab_cell.main([]) == 0
    assert f"{len(NOTEBOOKS)} notebooks" in capsys.readouterr().out


# -- the generator follows the one URL in _config.yml ------------------------
def test_cell_follows_config_url(tmp_path):
    config = tmp_path / "_config.yml"
    config.write_text(
        "repository:\n  url: https://github.com/someone/fork/\n",
        encoding="utf-8",
    )
    url = colab_cell.repository_url(config)
    assert url == "https://github.com/someone/fork"
    src = colab_cell.cell_source(url)
    assert '"d2lutils @ git+https://github.com/someone/fork"' in src
    assert "d2lutils/dl-basics-book" not in src


@pytest.mark.parametrize(
    "text", ["title: x\n", "repository:\n  url: git@github.com:a/b\n"]
)
def test_bad_config_url_is_a_clear_error(tmp_path, text):
    config = tmp_path / "_config.yml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="repository.url must be the https"):
        colab_cell.repository_url(config)


def _notebook(tmp_path, cells) -> Path:
    nb = nbformat.v4.new_notebook(cells=cells)
    path = tmp_path / "chapters" / "x.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_write_updates_a_drifted_cell_and_nothing_else(tmp_path, canonical):
    old = canonical.replace(
        colab_cell.repository_url(), "https://example.org/old/place"
    )
    assert old != canonical
    first = nbformat.v4.new_code_cell(old, metadata={"tags": ["remove-cell"]})
    title = nbformat.v4.new_markdown_cell("# Title")
    path = _notebook(tmp_path, [first, title])
    config = ROOT / "_config.yml"
    chapters = path.parent

    assert (
        colab_cell.main(["--config", str(config), "--chapters", str(chapters)])
        == 1
    )
    assert (
        colab_cell.main(
            ["--write", "--config", str(config), "--chapters", str(chapters)]
        )
        == 0
    )
    nb = nbformat.read(path, as_version=4)
    assert [c.source for c in nb.cells] == [canonical, "# Title"]
    assert nb.cells[0].id == first.id
    assert nb.cells[0].metadata["tags"] == ["remove-cell"]
    assert (
        colab_cell.main(["--config", str(config), "--chapters", str(chapters)])
        == 0
    )
    # idempotent: a second write changes nothing
    before = path.read_bytes()
    assert colab_cell.sync(path, canonical) is False
    assert path.read_bytes() == before


def test_write_inserts_a_missing_cell(tmp_path, canonical):
    path = _notebook(tmp_path, [nbformat.v4.new_markdown_cell("# Title")])
    assert colab_cell.sync(path, canonical) is True
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].source == canonical
    assert nb.cells[0].metadata["tags"] == ["remove-cell"]
    assert nb.cells[1].source == "# Title"


# -- the cell installs on Colab and only there -------------------------------
def test_cell_does_nothing_off_colab(canonical, monkeypatch):
    assert _run_cell(canonical, on_colab=False, monkeypatch=monkeypatch) == []


def test_cell_pip_installs_d2lutils_on_colab(canonical, monkeypatch):
    calls = _run_cell(canonical, on_colab=True, monkeypatch=monkeypatch)
    assert len(calls) == 1
    magic, line = calls[0]
    assert magic == "pip"
    spec = re.fullmatch(r'install -q "(.+)"', line)
    assert spec, line
    req = Requirement(spec[1])
    assert req.name == PYPROJECT["project"]["name"] == "d2lutils"
    assert req.url == f"git+{colab_cell.repository_url()}"


# -- pyproject.toml alone makes d2lutils installable -------------------------
def _declared(dist_names: list[str]) -> set[str]:
    """Distributions the declared ones pull in, transitively."""
    seen: set[str] = set()
    todo = [Requirement(d).name.lower() for d in dist_names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            reqs = md.requires(name) or []
        except md.PackageNotFoundError:
            continue
        for r in map(Requirement, reqs):
            if r.marker is None or r.marker.evaluate({"extra": ""}):
                todo.append(r.name.lower())
    return {n.replace("_", "-") for n in seen}


def test_every_import_of_d2lutils_is_a_declared_dependency():
    """pip resolves pyproject's dependencies; nothing else is needed."""
    imported: set[str] = set()
    for path in (ROOT / "d2lutils").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"d2lutils"}
    providers = md.packages_distributions()
    declared = _declared(PYPROJECT["project"]["dependencies"])
    missing = {
        mod: providers.get(mod)
        for mod in third_party
        if not {d.lower().replace("_", "-") for d in providers.get(mod, [mod])}
        & declared
    }
    assert not missing, f"imported, not in pyproject dependencies: {missing}"


@pytest.mark.slow
def test_wheel_from_pyproject_holds_the_package(tmp_path):
    """Build the wheel pip would build on Colab, offline, outside the tree."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "d2lutils",
        src / "d2lutils",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    out = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(out),
            str(src),
        ],
        check=True,
        timeout=120,
    )
    (wheel,) = out.glob("d2lutils-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "d2lutils").rglob("*.py")
    }
    assert modules <= names, f"missing from the wheel: {modules - names}"
    meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
    meta = zipfile.ZipFile(wheel).read(meta_name).decode()
    assert "Name: d2lutils" in meta
    required = {
        Requirement(line.split(":", 1)[1].strip()).name
        for line in meta.splitlines()
        if line.startswith("Requires-Dist:")
    }
    assert required == {
        Requirement(d).name for d in PYPROJECT["project"]["dependencies"]
    }
