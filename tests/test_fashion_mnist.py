"""Fashion-MNIST loading: sources, validation, caching and error messages."""

from __future__ import annotations

import gzip
import hashlib
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import write_idx

import d2lutils as d2l
from d2lutils import fashion_mnist as fm
from d2lutils.fashion_mnist import FashionMNISTError, read_idx

STEMS = [stem for stem, _, _ in fm._FILES.values()]


# -- read_idx on small hand-made files -------------------------------------


def test_read_idx_reads_images_and_labels(tmp_path):
    imgs = np.arange(3 * 28 * 28, dtype=np.uint8).reshape(3, 28, 28)
    write_idx(tmp_path / "i.gz", imgs)
    out = read_idx(tmp_path / "i.gz", ndim=3, count=3)
    assert out.dtype == np.uint8 and np.array_equal(out, imgs)
    write_idx(tmp_path / "l", np.array([0, 9, 4]), gz=False)
    assert read_idx(tmp_path / "l", ndim=1, count=3).tolist() == [0, 9, 4]


def test_read_idx_checks_sha256(tmp_path):
    raw = write_idx(tmp_path / "l.gz", np.array([1, 2]))
    good = hashlib.sha256(raw).hexdigest()
    assert read_idx(tmp_path / "l.gz", ndim=1, count=2, sha256=good).size == 2
    with pytest.raises(FashionMNISTError, match="l.gz.*SHA-256.*not the real"):
        read_idx(tmp_path / "l.gz", ndim=1, count=2, sha256="0" * 64)


def test_read_idx_rejects_truncated_file(tmp_path):
    raw = write_idx(tmp_path / "x", np.zeros((2, 28, 28)), gz=False)
    (tmp_path / "x").write_bytes(raw[:-10])
    with pytest.raises(FashionMNISTError, match=r"x: truncated.*Fix:"):
        read_idx(tmp_path / "x", ndim=3, count=2)


def test_read_idx_rejects_trailing_bytes(tmp_path):
    raw = write_idx(tmp_path / "x", np.zeros(2), gz=False)
    (tmp_path / "x").write_bytes(raw + b"\0")
    with pytest.raises(FashionMNISTError, match="too long"):
        read_idx(tmp_path / "x", ndim=1, count=2)


def test_read_idx_rejects_wrong_magic(tmp_path):
    write_idx(tmp_path / "x.gz", np.zeros(2), magic_type=0x0D)
    with pytest.raises(FashionMNISTError, match="wrong IDX magic number"):
        read_idx(tmp_path / "x.gz", ndim=1, count=2)
    # an image file where a label file is expected
    write_idx(tmp_path / "y.gz", np.zeros((2, 28, 28)))
    with pytest.raises(FashionMNISTError, match="magic"):
        read_idx(tmp_path / "y.gz", ndim=1, count=2)


def test_read_idx_rejects_wrong_shape(tmp_path):
    write_idx(tmp_path / "x.gz", np.zeros((2, 27, 28)))
    with pytest.raises(FashionMNISTError, match=r"shape \(2, 27, 28\)"):
        read_idx(tmp_path / "x.gz", ndim=3, count=2)
    write_idx(tmp_path / "y.gz", np.zeros(5))
    with pytest.raises(FashionMNISTError, match=r"expected \(6,\)"):
        read_idx(tmp_path / "y.gz", ndim=1, count=6)


def test_read_idx_rejects_label_out_of_range(tmp_path):
    write_idx(tmp_path / "x.gz", np.array([3, 10]))
    with pytest.raises(FashionMNISTError, match="label 10, outside 0..9"):
        read_idx(tmp_path / "x.gz", ndim=1, count=2)


def test_read_idx_rejects_damaged_gzip(tmp_path):
    write_idx(tmp_path / "x.gz", np.zeros((50, 28, 28)))
    data = (tmp_path / "x.gz").read_bytes()
    (tmp_path / "x.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(FashionMNISTError, match="cannot be read.*damaged"):
        read_idx(tmp_path / "x.gz", ndim=3, count=50, remedy="do X")


def test_read_idx_rejects_short_header(tmp_path):
    (tmp_path / "x").write_bytes(b"\0\0\x08")
    with pytest.raises(FashionMNISTError, match="too short"):
        read_idx(tmp_path / "x", ndim=1, count=1)


# -- the real data, from each source ---------------------------------------


@pytest.fixture
def no_system(monkeypatch, tmp_path):
    monkeypatch.setattr(fm, "SYSTEM_DIR", tmp_path / "no-such-dir")


def _copy_real(system_data: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for stem in STEMS:
        shutil.copy(system_data / f"{stem}.gz", dest / f"{stem}.gz")
    return dest


def test_load_from_system_copy_then_fast_from_cache(system_data, cache_home):
    t0 = time.perf_counter()
    X, y, Xt, yt = d2l.load_fashion_mnist()
    cold = time.perf_counter() - t0
    assert X.shape == (60000, 28, 28) and X.dtype == torch.uint8
    assert Xt.shape == (10000, 28, 28) and Xt.dtype == torch.uint8
    assert y.shape == (60000,) and y.dtype == torch.int64
    assert yt.shape == (10000,) and yt.dtype == torch.int64
    assert torch.bincount(y).tolist() == [6000] * 10
    assert torch.bincount(yt).tolist() == [1000] * 10
    assert (cache_home / "d2lutils/fashion-mnist/decoded/stamp.json").is_file()
    warm = float("inf")
    for _ in range(3):  # best of 3: other processes share the 2 cores
        t0 = time.perf_counter()
        X2, y2, _, _ = d2l.load_fashion_mnist()
        warm = min(warm, time.perf_counter() - t0)
    assert torch.equal(X, X2) and torch.equal(y, y2)
    assert warm < 0.3, f"warm load took {warm:.3f} s (cold {cold:.3f} s)"


def test_uncompressed_files_in_root_are_accepted(
    system_data, tmp_path, cache_home
):
    root = tmp_path / "raw"
    root.mkdir()
    for stem in STEMS:
        with gzip.open(system_data / f"{stem}.gz") as f:
            (root / stem).write_bytes(f.read())
    _, y, _, yt = d2l.load_fashion_mnist(root)
    assert len(y) == 60000 and len(yt) == 10000


def test_torchvision_layout_is_found(system_data, tmp_path, cache_home):
    root = tmp_path / "data"
    _copy_real(system_data, root / "FashionMNIST" / "raw")
    assert len(d2l.load_fashion_mnist(root)[1]) == 60000


def test_env_var_names_the_folder(
    system_data, tmp_path, cache_home, monkeypatch
):
    monkeypatch.setenv("D2LUTILS_DATA_DIR", str(tmp_path / "empty"))
    msg = r"\$D2LUTILS_DATA_DIR=.*empty"
    with pytest.raises(FashionMNISTError, match=msg):
        d2l.load_fashion_mnist()
    _copy_real(system_data, tmp_path / "empty")
    assert len(d2l.load_fashion_mnist()[3]) == 10000


def test_missing_root_lists_the_remedies(tmp_path, cache_home):
    with pytest.raises(FashionMNISTError) as err:
        d2l.load_fashion_mnist(tmp_path)
    msg = str(err.value)
    assert "does not hold the four Fashion-MNIST files" in msg
    assert "apt-get install dataset-fashion-mnist" in msg
    assert "D2LUTILS_DATA_DIR" in msg and "download" in msg


def test_truncated_file_in_root_is_named(system_data, tmp_path, cache_home):
    root = _copy_real(system_data, tmp_path / "r")
    bad = root / "t10k-labels-idx1-ubyte.gz"
    with gzip.open(bad) as f:
        raw = f.read()
    bad.write_bytes(gzip.compress(raw[:-100]))
    with pytest.raises(FashionMNISTError, match="t10k-labels.*truncated"):
        d2l.load_fashion_mnist(root)
    # no decoded cache is written from a failed load
    assert not (
        cache_home / "d2lutils/fashion-mnist/decoded/stamp.json"
    ).exists()


def test_modified_file_fails_checksum(system_data, tmp_path, cache_home):
    root = _copy_real(system_data, tmp_path / "r")
    bad = root / "train-labels-idx1-ubyte.gz"
    with gzip.open(bad) as f:
        raw = bytearray(f.read())
    raw[100] = (raw[100] + 1) % 10  # still a valid label, but not the data
    bad.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(FashionMNISTError, match="train-labels.*SHA-256"):
        d2l.load_fashion_mnist(root)


def test_changed_source_invalidates_decoded_cache(
    system_data, tmp_path, cache_home
):
    root = _copy_real(system_data, tmp_path / "r")
    d2l.load_fashion_mnist(root)
    bad = root / "t10k-images-idx3-ubyte.gz"
    bad.write_bytes(b"not gzip at all")
    with pytest.raises(FashionMNISTError, match="t10k-images.*cannot be read"):
        d2l.load_fashion_mnist(root)


def test_damaged_decoded_cache_is_rebuilt(system_data, cache_home):
    d2l.load_fashion_mnist()
    npy = cache_home / "d2lutils/fashion-mnist/decoded/test_labels.npy"
    npy.write_bytes(b"garbage")
    _, _, _, yt = d2l.load_fashion_mnist()
    assert torch.bincount(yt).tolist() == [1000] * 10


def test_download_from_mirror_verifies_and_caches(
    system_data, cache_home, no_system, monkeypatch
):
    monkeypatch.setattr(
        fm, "MIRRORS", ["file:///nonexistent/", system_data.as_uri() + "/"]
    )
    _, y, _, _ = d2l.load_fashion_mnist()
    assert len(y) == 60000
    kept = sorted(
        p.name for p in (cache_home / "d2lutils/fashion-mnist").glob("*.gz")
    )
    assert kept == sorted(f"{s}.gz" for s in STEMS)
    assert not list((cache_home / "d2lutils/fashion-mnist").glob("*.part*"))


def test_bad_download_is_rejected_and_not_kept(
    system_data, tmp_path, cache_home, no_system, monkeypatch
):
    mirror = _copy_real(system_data, tmp_path / "mirror")
    (mirror / "train-labels-idx1-ubyte.gz").write_bytes(
        gzip.compress(b"\0\0\x08\x01" + b"\0" * 4)
    )
    monkeypatch.setattr(fm, "MIRRORS", [mirror.as_uri() + "/"])
    with pytest.raises(FashionMNISTError) as err:
        d2l.load_fashion_mnist()
    msg = str(err.value)
    assert "could not be downloaded" in msg and "train-labels" in msg
    assert "apt-get install dataset-fashion-mnist" in msg
    cached = cache_home / "d2lutils/fashion-mnist"
    assert not (cached / "train-labels-idx1-ubyte.gz").exists()
    assert not list(cached.glob("*.part*"))


def test_offline_with_nothing_installed_lists_remedies(
    cache_home, no_system, monkeypatch
):
    monkeypatch.setattr(fm, "MIRRORS", ["file:///nonexistent-mirror/"])
    with pytest.raises(FashionMNISTError) as err:
        d2l.load_fashion_mnist()
    msg = str(err.value)
    assert "nonexistent-mirror" in msg
    for remedy in ("apt-get install", "root=FOLDER", "connect to the"):
        assert remedy in msg


# -- labels -------------------------------------------------------------------


def test_get_labels_en_zh():
    assert d2l.get_fashion_mnist_labels(torch.tensor([0, 9])) == [
        "t-shirt",
        "ankle boot",
    ]
    assert d2l.get_fashion_mnist_labels([1], lang="zh") == ["裤子"]
    assert len(d2l.FASHION_MNIST_CLASSES_ZH) == 10


@pytest.mark.parametrize("bad", [[10], [-1], torch.tensor([3, 12])])
def test_get_labels_unknown_id(bad):
    with pytest.raises(ValueError, match="unknown Fashion-MNIST label id"):
        d2l.get_fashion_mnist_labels(bad)


def test_get_labels_wrong_types():
    with pytest.raises(TypeError, match="argmax"):
        d2l.get_fashion_mnist_labels(torch.tensor([0.0, 1.0]))
    with pytest.raises(TypeError, match="must be ints"):
        d2l.get_fashion_mnist_labels(["3"])
    with pytest.raises(ValueError, match="lang"):
        d2l.get_fashion_mnist_labels([0], lang="fr")
