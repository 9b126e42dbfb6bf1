"""d2lutils.filecache: atomic writes, stale temporary files, ArrayCache."""

from __future__ import annotations

import fcntl
import json
import os
import time
import warnings

import numpy as np
import pytest
from conftest import run_unprivileged

from d2lutils import filecache
from d2lutils.filecache import ArrayCache, atomic_writer, checksum, clean_stale

SOURCE = {"from": ["a.idx", 10, 123]}


def _arrays():
    return {
        "images": np.arange(3 * 28 * 28, dtype=np.uint8).reshape(3, 28, 28),
        "labels": np.array([3, 1, 4], dtype=np.uint8),
    }


def test_atomic_writer_leaves_nothing_when_the_body_fails(tmp_path):
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_writer(target) as f:
            f.write(b"new, half")
            raise RuntimeError("boom")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_atomic_writers_use_separate_temporary_files(tmp_path):
    target = tmp_path / "f.bin"
    with atomic_writer(target) as a, atomic_writer(target) as b:
        assert a.name != b.name and a.name.endswith(".part")
        a.write(b"A" * 10)
        b.write(b"B" * 5)
    assert target.read_bytes() == b"A" * 10  # the last rename wins, whole


def test_clean_stale_removes_unlocked_and_keeps_locked(tmp_path):
    dead = tmp_path / ".x.npy.abc.part"
    dead.write_bytes(b"half")
    old_download = tmp_path / "tmpq1w2.part.gz"  # left by older versions
    old_download.write_bytes(b"half")
    live = tmp_path / ".y.npy.def.part"
    keep = tmp_path / "train.npy"
    keep.write_bytes(b"data")
    with open(live, "wb") as f:
        fcntl.flock(f, fcntl.LOCK_EX)  # a writer that is still alive
        removed = clean_stale(tmp_path)
    assert sorted(removed) == sorted([dead, old_download])
    assert live.exists() and keep.exists() and not dead.exists()
    assert clean_stale(tmp_path / "missing") == []


def test_clean_stale_without_flock_goes_by_age(tmp_path, monkeypatch):
    monkeypatch.setattr(filecache, "fcntl", None)
    young, old = tmp_path / ".a.part", tmp_path / ".b.part"
    young.write_bytes(b"")
    old.write_bytes(b"")
    past = time.time() - filecache.STALE_AFTER - 1
    os.utime(old, (past, past))
    assert clean_stale(tmp_path) == [old]
    with atomic_writer(tmp_path / "c") as f:  # rename after closing
        f.write(b"c")
    assert (tmp_path / "c").read_bytes() == b"c"


def test_checksum_sees_changes_anywhere():
    a = np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8)
    base = checksum(a)
    assert checksum(a.copy()) == base
    for pos in (0, 8191, 8192, 30_000, 49_999):  # blocks and the tail
        b = a.copy()
        b[pos] ^= 1
        assert checksum(b) != base, pos
    b = a.copy()
    b[8192:16384] = 0  # a zeroed block, as a hole in a file reads
    assert checksum(b) != base
    swapped = np.concatenate([a[8192:16384], a[:8192], a[16384:]])
    assert checksum(swapped) != base  # blocks in another order
    assert checksum(a[:-1]) != base


def test_cache_round_trip(tmp_path):
    cache = ArrayCache(tmp_path / "c")
    assert cache.load(SOURCE) is None  # nothing cached yet: no warning
    cache.save(SOURCE, _arrays())
    out = cache.load(SOURCE)
    for key, a in _arrays().items():
        assert np.array_equal(out[key], a) and out[key].dtype == a.dtype
        out[key][...] = 0  # writable
    stamp = json.loads((tmp_path / "c" / "stamp.json").read_text())
    assert stamp["arrays"]["labels"]["bytes"] == 131  # 128-byte header + 3
    assert not list((tmp_path / "c").glob("*.part"))


def test_cache_from_another_source_is_not_used(tmp_path):
    cache = ArrayCache(tmp_path)
    cache.save(SOURCE, _arrays())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cache.load({"from": ["b.idx", 10, 123]}) is None


@pytest.mark.parametrize(
    "damage, reason",
    [
        (lambda p: p.write_bytes(b""), "empty: 0 bytes"),
        (lambda p: p.write_bytes(p.read_bytes()[:-100]), "wrong size"),
        (
            lambda p: p.write_bytes(p.read_bytes()[:-100] + b"\0" * 100),
            "content changed",
        ),
        (lambda p: p.write_bytes(b"x" * p.stat().st_size), "magic"),
        (lambda p: p.unlink(), "No such file"),
    ],
    ids=["empty", "truncated", "altered", "garbage", "missing"],
)
def test_damaged_file_is_named_once_and_dropped(tmp_path, damage, reason):
    cache = ArrayCache(tmp_path)
    cache.save(SOURCE, _arrays())
    damage(tmp_path / "images.npy")
    with pytest.warns(UserWarning) as caught:
        assert cache.load(SOURCE) is None
    assert len(caught) == 1
    msg = str(caught[0].message)
    assert "damaged cache file" in msg and "images.npy" in msg
    assert reason in msg
    with warnings.catch_warnings():  # dropped: the next load is silent
        warnings.simplefilter("error")
        assert cache.load(SOURCE) is None
        cache.save(SOURCE, _arrays())  # and the rebuild works
        assert np.array_equal(
            cache.load(SOURCE)["images"], _arrays()["images"]
        )


def test_unwritable_cache_warns_once(shared_tmp):
    folder = shared_tmp / "root-only"
    folder.mkdir(mode=0o755)

    def save_twice():
        cache = ArrayCache(folder / "c")
        cache.save(SOURCE, _arrays())
        cache.save(SOURCE, _arrays())

    outcome, text, caught = run_unprivileged(save_twice)
    assert outcome == "ok", text
    assert len(caught) == 1, caught
    assert "could not cache" in caught[0] and "Permission denied" in caught[0]


@pytest.mark.parametrize(
    "arrays",
    [None, [], {"images": {"file": "images.npy"}}, {"images": "x"}],
    ids=["none", "list", "fields-missing", "not-a-dict"],
)
def test_stamp_of_another_layout_means_no_cache(tmp_path, arrays):
    cache = ArrayCache(tmp_path)
    cache.save(SOURCE, _arrays())
    stamp = json.loads((tmp_path / "stamp.json").read_text())
    stamp["arrays"] = arrays
    (tmp_path / "stamp.json").write_text(json.dumps(stamp))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cache.load(SOURCE) is None
