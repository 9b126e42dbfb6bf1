"""Shared fixtures: a private cache, seeded generators, tiny IDX files."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")

SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    """Point the d2lutils user cache at an empty temporary folder."""
    home = tmp_path / "cache-home"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.delenv("D2LUTILS_DATA_DIR", raising=False)
    return home


@pytest.fixture
def generator():
    g = torch.Generator()
    g.manual_seed(0)
    return g


@pytest.fixture(scope="session")
def system_data():
    """The Debian copy of Fashion-MNIST (make test installs it)."""
    if not all(
        (SYSTEM_DIR / f).is_file()
        for f in ("train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
    ):
        pytest.fail(
            f"{SYSTEM_DIR} is missing: apt-get install dataset-fashion-mnist "
            "(make test does this as root)"
        )
    return SYSTEM_DIR


def write_idx(path: Path, data: np.ndarray, *, magic_type=0x08, gz=True):
    """Write ``data`` (uint8) as an IDX file, gzipped if ``gz``."""
    header = struct.pack(">HBB", 0, magic_type, data.ndim)
    header += struct.pack(f">{data.ndim}I", *data.shape)
    raw = header + data.astype(np.uint8).tobytes()
    if gz:
        path.write_bytes(gzip.compress(raw))
    else:
        path.write_bytes(raw)
    return raw
