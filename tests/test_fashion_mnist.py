"""d2lutils.fashion_mnist: the file table, finding, fetching, verifying
and caching the real data, and every error message."""

from __future__ import annotations

import gzip
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import run_unprivileged

import d2lutils as d2l
from d2lutils import download as dl
from d2lutils import fashion_mnist as fm
from d2lutils.fashion_mnist import FILES, FashionMNISTError

NAMES = [f.name for f in FILES]


def test_table_describes_the_four_files():
    assert [f.key for f in FILES] == [
        "train_images",
        "train_labels",
        "test_images",
        "test_labels",
    ]
    assert [f.shape for f in FILES] == [
        (60000, 28, 28),
        (60000,),
        (10000, 28, 28),
        (10000,),
    ]
    assert all(len(f.sha256) == 64 for f in FILES)
    assert FILES[0].urls == [
        m + "train-images-idx3-ubyte.gz" for m in fm.MIRRORS
    ]


@pytest.fixture
def no_system(monkeypatch, tmp_path):
    monkeypatch.setattr(fm, "SYSTEM_DIR", tmp_path / "no-such-dir")


def _copy_real(system_data: Path, dest: Path, names=NAMES) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(system_data / f"{name}.gz", dest / f"{name}.gz")
    return dest


# -- the real data, from each source ---------------------------------------


def test_load_from_system_copy_then_from_cache(system_data, cache_home):
    X, y, Xt, yt = d2l.load_fashion_mnist()
    assert X.shape == (60000, 28, 28) and X.dtype == torch.uint8
    assert Xt.shape == (10000, 28, 28) and Xt.dtype == torch.uint8
    assert y.shape == (60000,) and y.dtype == torch.int64
    assert yt.shape == (10000,) and yt.dtype == torch.int64
    assert torch.bincount(y).tolist() == [6000] * 10
    assert torch.bincount(yt).tolist() == [1000] * 10
    assert (fm.decoded_dir() / "stamp.json").is_file()
    assert str(fm.decoded_dir()).startswith(str(cache_home))
    assert d2l.find_fashion_mnist() == {
        f.key: system_data / f"{f.name}.gz" for f in FILES
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X2, y2, _, _ = d2l.load_fashion_mnist()  # from the decoded cache
    assert torch.equal(X, X2) and torch.equal(y, y2)
    X2[0, 0, 0] = 1  # writable tensors, as torch.from_numpy wants


def test_uncompressed_files_in_root_are_accepted(
    system_data, tmp_path, cache_home
):
    root = tmp_path / "raw"
    root.mkdir()
    for name in NAMES:
        with gzip.open(system_data / f"{name}.gz") as f:
            (root / name).write_bytes(f.read())
    _, y, _, yt = d2l.load_fashion_mnist(root)
    assert len(y) == 60000 and len(yt) == 10000
    assert d2l.find_fashion_mnist(root)["test_labels"] == root / NAMES[3]


def test_gzipped_files_without_gz_suffix_are_recognised(
    system_data, tmp_path, cache_home
):
    root = tmp_path / "saved-without-suffix"
    root.mkdir()
    for name in NAMES:
        shutil.copy(system_data / f"{name}.gz", root / name)
    assert len(d2l.load_fashion_mnist(root)[3]) == 10000


def test_torchvision_layout_is_found(system_data, tmp_path, cache_home):
    root = tmp_path / "data"
    _copy_real(system_data, root / "FashionMNIST" / "raw")
    assert len(d2l.load_fashion_mnist(root)[1]) == 60000


def test_env_var_folder_is_used_and_named(
    system_data, tmp_path, cache_home, monkeypatch
):
    folder = tmp_path / "mine"
    monkeypatch.setenv("D2LUTILS_DATA_DIR", str(folder))
    with pytest.raises(FashionMNISTError) as err:
        d2l.load_fashion_mnist()
    msg = str(err.value)
    assert f"$D2LUTILS_DATA_DIR={folder}" in msg
    assert "missing train-images-idx3-ubyte[.gz]" in msg
    assert "apt" not in msg and "download" not in msg
    _copy_real(system_data, folder)
    assert len(d2l.load_fashion_mnist()[3]) == 10000
    assert d2l.find_fashion_mnist()["train_images"].parent == folder


def test_explicit_root_names_the_missing_file(system_data, tmp_path):
    root = _copy_real(system_data, tmp_path / "r", NAMES[:3])
    with pytest.raises(FashionMNISTError) as err:
        d2l.load_fashion_mnist(root)
    msg = str(err.value)
    assert f"root={root}" in msg and f"Searched: {root}" in msg
    assert "missing t10k-labels-idx1-ubyte[.gz] in" in msg
    assert "train-images" not in msg  # only what is missing
    for offtopic in ("apt", "download", "connect"):
        assert offtopic not in msg, f"{offtopic!r} does not apply: {msg}"


def test_unreadable_file_in_root_is_a_permission_problem(
    system_data, shared_tmp
):
    root = _copy_real(system_data, shared_tmp / "r")
    (root / "t10k-labels-idx1-ubyte.gz").chmod(0o000)
    outcome, msg, _ = run_unprivileged(d2l.load_fashion_mnist, root)
    assert outcome == "FashionMNISTError", msg
    assert "t10k-labels-idx1-ubyte.gz: permission denied" in msg
    assert "damaged" not in msg


def test_unreadable_root_folder_is_a_permission_problem(
    system_data, shared_tmp
):
    root = _copy_real(system_data, shared_tmp / "r")
    root.chmod(0o700)  # root's own folder: nobody may not enter it
    outcome, msg, _ = run_unprivileged(d2l.find_fashion_mnist, root)
    assert outcome == "FashionMNISTError", msg
    assert f"root={root}" in msg and "permission denied" in msg
    assert "missing" not in msg


@pytest.fixture
def unreadable_cache(shared_tmp, monkeypatch):
    """A user cache folder that the loading user (nobody) may not read."""
    base = shared_tmp / "cache"
    (base / "d2lutils").mkdir(parents=True)
    base.chmod(0o777)
    (base / "d2lutils").chmod(0o777)
    (base / "d2lutils" / "fashion-mnist").mkdir(mode=0o700)
    monkeypatch.setenv("XDG_CACHE_HOME", str(base))
    return base / "d2lutils" / "fashion-mnist"


def test_unreadable_cache_folder_is_skipped_silently(
    system_data, unreadable_cache
):
    def load():
        X, *_ = d2l.load_fashion_mnist()
        return X.shape, sorted(
            {p.parent for p in fm.find_fashion_mnist().values()}
        )

    outcome, text, caught = run_unprivileged(load)
    assert outcome == "ok", text
    assert "torch.Size([60000, 28, 28])" in text and str(system_data) in text
    assert caught == []


def test_unreadable_cache_folder_is_named_if_nothing_found(
    unreadable_cache, no_system, monkeypatch
):
    monkeypatch.setattr(fm, "MIRRORS", ["file:///nonexistent-mirror/"])
    outcome, msg, _ = run_unprivileged(d2l.load_fashion_mnist)
    assert outcome == "FashionMNISTError", msg
    assert f"skipped {unreadable_cache}: permission denied" in msg
    assert "apt-get install dataset-fashion-mnist" in msg


# -- damaged sources and caches ---------------------------------------------


def test_truncated_file_in_root_is_named(system_data, tmp_path, cache_home):
    root = _copy_real(system_data, tmp_path / "r")
    bad = root / "t10k-labels-idx1-ubyte.gz"
    with gzip.open(bad) as f:
        raw = f.read()
    bad.write_bytes(gzip.compress(raw[:-100]))
    with pytest.raises(FashionMNISTError, match="t10k-labels.*truncated"):
        d2l.load_fashion_mnist(root)
    assert not (fm.decoded_dir() / "stamp.json").exists()


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
    (root / "t10k-images-idx3-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(FashionMNISTError, match="t10k-images.*not gzip"):
        d2l.load_fashion_mnist(root)


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(b""),
        lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
    ],
    ids=["empty", "truncated"],
)
def test_damaged_cached_npy_is_rebuilt_with_one_warning(
    system_data, cache_home, damage
):
    _, _, _, yt = d2l.load_fashion_mnist()
    npy = fm.decoded_dir() / "test_images.npy"
    damage(npy)
    with pytest.warns(UserWarning) as caught:
        _, _, Xt, yt2 = d2l.load_fashion_mnist()
    assert [str(w.message).split(" (")[0] for w in caught] == [
        f"damaged cache file {npy}"
    ]
    assert torch.equal(yt, yt2) and Xt.shape == (10000, 28, 28)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d2l.load_fashion_mnist()  # rebuilt: silent again


def test_stale_temporary_files_are_cleaned_on_load(system_data, cache_home):
    d2l.load_fashion_mnist()
    stale = [
        fm.cache_dir() / "tmpab12cd.part.gz",  # a killed download
        fm.decoded_dir() / ".train_images.npy.x1y2z3.part",  # a killed writer
    ]
    for p in stale:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"half")
    d2l.load_fashion_mnist()
    assert not any(p.exists() for p in stale)


# -- downloads -------------------------------------------------------------


@pytest.fixture
def mirror(system_data, http_files, no_system, monkeypatch):
    """A local mirror serving the real files."""
    for name in NAMES:
        http_files.files[f"{name}.gz"] = (
            system_data / f"{name}.gz"
        ).read_bytes()
    monkeypatch.setattr(fm, "MIRRORS", [http_files.url])
    return http_files


def test_download_from_mirror_verifies_and_keeps(mirror, cache_home, capfd):
    _, y, _, _ = d2l.load_fashion_mnist()
    assert len(y) == 60000
    assert "downloading train-images-idx3-ubyte.gz" in capfd.readouterr().err
    kept = sorted(p.name for p in fm.cache_dir().iterdir())
    assert kept == sorted(f"{n}.gz" for n in NAMES)
    assert d2l.find_fashion_mnist()["train_images"].parent == fm.cache_dir()


def test_first_mirror_failing_falls_back(mirror, cache_home, monkeypatch):
    monkeypatch.setattr(fm, "MIRRORS", ["file:///nonexistent/", mirror.url])
    assert len(d2l.load_fashion_mnist()[3]) == 10000


def test_stalled_download_times_out_clearly(mirror, cache_home, monkeypatch):
    monkeypatch.setattr(dl, "DOWNLOAD_TIMEOUT", 0.5)
    monkeypatch.setattr(fm, "MIRRORS", [mirror.url + "stall/"])
    with pytest.raises(FashionMNISTError) as err:
        d2l.load_fashion_mnist()
    msg = str(err.value)
    assert "stall/train-images-idx3-ubyte.gz: no data for 0.5 s" in msg
    assert "could not be downloaded" in msg and "apt-get install" in msg
    assert list(fm.cache_dir().iterdir()) == []  # no partial file


def test_bad_download_is_rejected_and_not_kept(mirror, cache_home):
    mirror.files["train-labels-idx1-ubyte.gz"] = gzip.compress(
        b"\0\0\x08\x01" + b"\0" * 4
    )
    with pytest.raises(FashionMNISTError) as err:
        d2l.load_fashion_mnist()
    msg = str(err.value)
    assert "could not be downloaded" in msg and "train-labels" in msg
    assert "the download from" in msg
    kept = sorted(p.name for p in fm.cache_dir().iterdir())
    assert "train-labels-idx1-ubyte.gz" not in kept and len(kept) == 3


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
    with pytest.raises(FashionMNISTError, match="not found on this machine"):
        d2l.find_fashion_mnist()  # finds, never downloads


# -- labels -------------------------------------------------------------------


def test_get_labels_en_zh():
    assert d2l.get_fashion_mnist_labels(torch.tensor([0, 9])) == [
        "t-shirt",
        "ankle boot",
    ]
    assert d2l.get_fashion_mnist_labels([1], lang="zh") == ["裤子"]
    assert d2l.get_fashion_mnist_labels(np.array([2])) == ["pullover"]
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
