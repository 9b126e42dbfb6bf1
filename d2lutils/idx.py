"""The IDX file format of (Fashion-)MNIST: read any shape, check it.

An IDX file is a small header followed by raw numbers in row-major order:

* 4 bytes of magic number: two zero bytes, a type code (``0x08`` unsigned
  byte, ``0x09`` signed byte, ``0x0B`` int16, ``0x0C`` int32, ``0x0D``
  float32, ``0x0E`` float64; all big-endian) and the number of dimensions;
* one big-endian 32-bit size per dimension;
* the data.

:func:`read_idx` reads such a file, gzipped or not: it recognises gzip by
its first two bytes (``1f 8b``), whatever the file is called. It checks
the header against the data length, and optionally the shape and the
SHA-256 of the *decompressed* content, and raises :class:`IDXError` naming
the file, the problem and the fix.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import zlib
from typing import Optional, Union

import numpy as np

__all__ = ["IDX_DTYPES", "IDXError", "idx_header", "read_idx"]

#: IDX type code -> NumPy dtype (big-endian, as stored in the file).
IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"

PathLike = Union[str, os.PathLike]
Shape = tuple[Optional[int], ...]


class IDXError(RuntimeError):
    """An IDX file that cannot be read or is not what was expected."""


def idx_header(shape: tuple[int, ...], dtype=np.uint8) -> bytes:
    """The header of an IDX file holding an array of ``shape``, ``dtype``.

    Examples
    --------
    >>> idx_header((3,)).hex(" ")
    '00 00 08 01 00 00 00 03'
    """
    by_dtype = {dt.newbyteorder(">"): c for c, dt in IDX_DTYPES.items()}
    code = by_dtype.get(np.dtype(dtype).newbyteorder(">"))
    if code is None:
        raise IDXError(f"IDX has no type code for dtype {np.dtype(dtype)}")
    return struct.pack(f">HBB{len(shape)}I", 0, code, len(shape), *shape)


def _read_bytes(path: PathLike) -> bytes:
    """The decompressed bytes of ``path``; gzip is told by its magic."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == _GZIP_MAGIC:
        return gzip.decompress(raw)
    if os.fspath(path).endswith(".gz"):
        raise IDXError(
            f"{os.fspath(path)}: named .gz but not gzip data (it starts "
            f"with {raw[:4].hex(' ') or 'nothing'}, gzip starts with 1f 8b)"
        )
    return raw


def read_idx(
    path: PathLike,
    *,
    shape: Optional[Shape] = None,
    sha256: Optional[str] = None,
    remedy: str = "replace it with an intact copy",
) -> np.ndarray:
    """Read an IDX file (gzipped or not) into a NumPy array.

    Parameters
    ----------
    path : the file. Gzip is recognised by its content, not its name.
    shape : if given, the shape the file must hold; ``None`` entries match
        any size, e.g. ``(None, 28, 28)``.
    sha256 : if given, the SHA-256 the decompressed bytes must have.
    remedy : what the error message tells the reader to do.

    Returns
    -------
    A writable array in native byte order with the file's shape and dtype.

    Raises
    ------
    IDXError
        naming the file: permission denied, unreadable or damaged gzip,
        unknown magic number, wrong shape, truncated or too long, wrong
        checksum.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> tmp = tempfile.TemporaryDirectory()
    >>> p = pathlib.Path(tmp.name) / "labels"
    >>> _ = p.write_bytes(idx_header((3,)) + bytes([9, 0, 3]))
    >>> read_idx(p, shape=(None,))
    array([9, 0, 3], dtype=uint8)
    >>> tmp.cleanup()
    """
    name = os.fspath(path)

    def fail(problem: str, fix: str = remedy) -> IDXError:
        return IDXError(f"{name}: {problem}. Fix: {fix}.")

    try:
        raw = _read_bytes(path)
    except PermissionError as err:
        raise fail(
            "permission denied: this user may not read it",
            "make it readable (chmod a+r) or copy it to a folder of yours",
        ) from err
    except (OSError, EOFError, zlib.error) as err:
        raise fail(
            f"cannot be read ({err}); it is damaged or incomplete"
        ) from err
    if len(raw) < 4:
        raise fail(f"too short for an IDX header ({len(raw)} bytes)")
    zero, code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or code not in IDX_DTYPES:
        raise fail(
            f"wrong IDX magic number 0x{raw[:4].hex()} (expected 00 00, "
            "a type code 08-0e and the number of dimensions); it is not "
            "an IDX file"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise fail(f"too short for an IDX header ({len(raw)} bytes)")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    if shape is not None and (
        len(dims) != len(shape)
        or any(w is not None and d != w for d, w in zip(dims, shape))
    ):
        want = tuple("any" if w is None else w for w in shape)
        raise fail(f"holds shape {dims}, expected {want}".replace("'", ""))
    dtype = IDX_DTYPES[code]
    size = int(np.prod(dims)) * dtype.itemsize
    if len(raw) - header != size:
        what = "truncated" if len(raw) - header < size else "too long"
        raise fail(f"{what}: {len(raw) - header} data bytes, expected {size}")
    if sha256 is not None:
        digest = hashlib.sha256(raw).hexdigest()
        if digest != sha256:
            raise fail(
                f"SHA-256 of its content is {digest[:12]}..., not the "
                f"expected {sha256[:12]}...; it is not the right data"
            )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    return data.astype(dtype.newbyteorder("="))
