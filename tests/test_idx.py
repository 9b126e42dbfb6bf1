"""d2lutils.idx: reading IDX files of any shape and type, and its errors."""

from __future__ import annotations

import gzip
import hashlib
import struct

import numpy as np
import pytest
from conftest import run_unprivileged, write_idx

from d2lutils.idx import IDX_DTYPES, IDXError, read_idx


def test_reads_images_and_labels(tmp_path):
    imgs = np.arange(3 * 28 * 28, dtype=np.uint8).reshape(3, 28, 28)
    write_idx(tmp_path / "i.gz", imgs)
    out = read_idx(tmp_path / "i.gz", shape=(3, 28, 28))
    assert out.dtype == np.uint8 and np.array_equal(out, imgs)
    write_idx(tmp_path / "l", np.array([0, 9, 4]), gz=False)
    assert read_idx(tmp_path / "l", shape=(None,)).tolist() == [0, 9, 4]


@pytest.mark.parametrize("code", sorted(IDX_DTYPES))
@pytest.mark.parametrize("shape", [(5,), (2, 3), (2, 3, 4, 1)])
def test_reads_every_type_code_and_shape(tmp_path, code, shape):
    dtype = IDX_DTYPES[code]
    data = (np.arange(np.prod(shape)) - 3).reshape(shape).astype(dtype)
    header = struct.pack(f">HBB{len(shape)}I", 0, code, len(shape), *shape)
    (tmp_path / "x").write_bytes(header + data.tobytes())
    out = read_idx(tmp_path / "x")
    assert out.shape == shape and out.dtype == dtype.newbyteorder("=")
    assert np.array_equal(out, data)
    out[...] = 0  # writable, not a view of the file's bytes


def test_gzip_is_recognised_by_content_not_name(tmp_path):
    write_idx(tmp_path / "labels-no-suffix", np.array([1, 2]), gz=True)
    out = read_idx(tmp_path / "labels-no-suffix", shape=(2,))
    assert out.tolist() == [1, 2]


def test_gz_name_without_gzip_content_gets_a_hint(tmp_path):
    write_idx(tmp_path / "x.gz", np.array([1, 2]), gz=False)
    with pytest.raises(IDXError, match=r"x.gz: named .gz but not gzip.*1f 8b"):
        read_idx(tmp_path / "x.gz")


def test_checks_sha256(tmp_path):
    raw = write_idx(tmp_path / "l.gz", np.array([1, 2]))
    good = hashlib.sha256(raw).hexdigest()
    assert read_idx(tmp_path / "l.gz", sha256=good).size == 2
    with pytest.raises(IDXError, match="l.gz: SHA-256.*not the right data"):
        read_idx(tmp_path / "l.gz", sha256="0" * 64)


def test_truncated_file_is_named(tmp_path):
    raw = write_idx(tmp_path / "x", np.zeros((2, 28, 28)), gz=False)
    (tmp_path / "x").write_bytes(raw[:-10])
    with pytest.raises(IDXError, match=r"x: truncated.*Fix: do X"):
        read_idx(tmp_path / "x", remedy="do X")


def test_trailing_bytes_are_refused(tmp_path):
    raw = write_idx(tmp_path / "x", np.zeros(2), gz=False)
    (tmp_path / "x").write_bytes(raw + b"\0")
    with pytest.raises(IDXError, match="too long"):
        read_idx(tmp_path / "x")


def test_wrong_magic_is_refused(tmp_path):
    write_idx(tmp_path / "x.gz", np.zeros(2), magic_type=0x07)
    with pytest.raises(IDXError, match="wrong IDX magic number 0x00000701"):
        read_idx(tmp_path / "x.gz")
    (tmp_path / "y").write_bytes(b"PK\x03\x04" + b"\0" * 20)
    with pytest.raises(IDXError, match="not an IDX file"):
        read_idx(tmp_path / "y")


def test_wrong_shape_is_refused(tmp_path):
    write_idx(tmp_path / "x.gz", np.zeros((2, 27, 28)))
    with pytest.raises(IDXError, match=r"shape \(2, 27, 28\).*any, 28, 28"):
        read_idx(tmp_path / "x.gz", shape=(None, 28, 28))
    write_idx(tmp_path / "y.gz", np.zeros(5))
    with pytest.raises(IDXError, match=r"expected \(6,\)"):
        read_idx(tmp_path / "y.gz", shape=(6,))
    # an image file where a label file is expected
    with pytest.raises(IDXError, match=r"x.gz: holds shape"):
        read_idx(tmp_path / "x.gz", shape=(2,))


def test_damaged_gzip_is_named(tmp_path):
    write_idx(tmp_path / "x.gz", np.zeros((50, 28, 28)))
    data = (tmp_path / "x.gz").read_bytes()
    (tmp_path / "x.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(IDXError, match="x.gz: cannot be read.*damaged"):
        read_idx(tmp_path / "x.gz")


@pytest.mark.parametrize("raw", [b"", b"\0\0\x08", b"\0\0\x08\x02\0\0"])
def test_short_header_is_refused(tmp_path, raw):
    (tmp_path / "x").write_bytes(raw)
    with pytest.raises(IDXError, match="too short for an IDX header"):
        read_idx(tmp_path / "x")


def test_missing_file_is_named(tmp_path):
    with pytest.raises(IDXError, match="nope: cannot be read"):
        read_idx(tmp_path / "nope")


def test_unreadable_file_is_a_permission_problem(shared_tmp):
    path = shared_tmp / "labels.gz"
    write_idx(path, np.array([1, 2]))
    path.chmod(0o000)
    outcome, msg, _ = run_unprivileged(read_idx, path)
    assert outcome == "IDXError", msg
    assert "labels.gz: permission denied" in msg and "chmod" in msg
    assert "damaged" not in msg


def test_real_files_read_with_their_table_rows(system_data):
    from d2lutils.fashion_mnist import FILES

    f = FILES[3]  # test labels: small
    out = read_idx(
        system_data / f"{f.name}.gz", shape=f.shape, sha256=f.sha256
    )
    assert np.bincount(out).tolist() == [1000] * 10
    with gzip.open(system_data / f"{f.name}.gz") as src:
        assert src.read(8) == struct.pack(">HBBI", 0, 0x08, 1, 10000)
