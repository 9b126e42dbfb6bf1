"""The Fashion-MNIST section runs with the data wherever the loader finds
it: here through ``$D2LUTILS_DATA_DIR``, as uncompressed files, in a
private home (issue: cells used to assume /usr/share/datasets)."""

from __future__ import annotations

import gzip

import nbclient
import nbformat
import pytest
from notebook_tools import ROOT

from d2lutils.fashion_mnist import FILES

NOTEBOOK = ROOT / "chapters" / "linear-networks" / "fashion-mnist.ipynb"


@pytest.mark.slow
def test_notebook_runs_on_data_from_env_var(
    system_data, tmp_path, monkeypatch
):
    data = tmp_path / "my data"
    data.mkdir()
    for f in FILES:  # uncompressed, so no cell may assume gzip
        with gzip.open(system_data / f"{f.name}.gz") as src:
            (data / f.name).write_bytes(src.read())
    monkeypatch.setenv("D2LUTILS_DATA_DIR", str(data))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    run_in = {"metadata": {"path": str(tmp_path)}}
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources=run_in
    )
    client.execute()  # raises CellExecutionError naming a failing cell
    printed = "".join(
        out.get("text", "")
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
    )
    assert f"read from {data}" in printed
    assert "dims (60000, 28, 28)" in printed
