"""The IDX file format of (Fashion-)MNIST: read any shape, check it.

An IDX file is a header, then raw numbers in row-major order. The header
is a magic number -- two zero bytes, a type code (:data:`IDX_DTYPES`)
and the number of dimensions -- and one big-endian 32-bit size per
dimension. :func:`read_idx` reads such a file, gzipped or not (gzip is
told by its first two bytes, ``1f 8b``, whatever the file is called),
checks the header against the data length and, if asked, the shape and
the SHA-256 of the decompressed content; :class:`IDXError` names the
file, the problem and the fix.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import zlib
from typing import Optional, Union

import numpy as np

__all__ = ["IDX_DTYPES", "IDXError", "read_idx"]

#: IDX type code -> NumPy dtype (big-endian, as stored in the file).
IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

PathLike = Union[str, os.PathLike]


class IDXError(RuntimeError):
    """An IDX file that cannot be read or is not what was expected."""


def read_idx(
    path: PathLike,
    *,
    shape: Optional[tuple[Optional[int], ...]] = None,
    sha256: Optional[str] = None,
    remedy: str = "replace it with an intact copy",
) -> np.ndarray:
    """Read an IDX file (gzipped or not) into a writable NumPy array.

    ``shape`` is the shape it must hold (``None`` entries match any size,
    e.g. ``(None, 28, 28)``), ``sha256`` the SHA-256 of its decompressed
    bytes, ``remedy`` what an :class:`IDXError` tells the reader to do.

    >>> import tempfile, pathlib
    >>> tmp = tempfile.TemporaryDirectory(); p = pathlib.Path(tmp.name) / "x"
    >>> # magic 00 00, type 08 (unsigned byte), 1 dimension; size 3; data
    >>> _ = p.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 9, 0, 3]))
    >>> read_idx(p, shape=(None,))
    array([9, 0, 3], dtype=uint8)
    >>> tmp.cleanup()
    """
    name = os.fspath(path)

    def fail(problem: str, fix: str = remedy) -> IDXError:
        return IDXError(f"{name}: {problem}. Fix: {fix}.")

    try:
        with open(path, "rb") as f:
            raw = f.read()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        elif name.endswith(".gz"):
            raise fail(
                f"named .gz but not gzip data (it starts with "
                f"{raw[:4].hex(' ') or 'nothing'}, gzip starts with 1f 8b)"
            )
    except PermissionError as err:
        raise fail(
            "permission denied: this user may not read it",
            "make it readable (chmod a+r) or copy it to a folder of yours",
        ) from err
    except (OSError, EOFError, zlib.error) as err:
        raise fail(
            f"cannot be read ({err}); it is damaged or incomplete"
        ) from err
    if len(raw) >= 4 and (raw[:2] != b"\0\0" or raw[2] not in IDX_DTYPES):
        raise fail(
            f"wrong IDX magic number 0x{raw[:4].hex()} (expected 00 00, "
            "a type code 08-0e and the number of dimensions); it is not "
            "an IDX file"
        )
    ndim = raw[3] if len(raw) >= 4 else 0
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
    dtype = IDX_DTYPES[raw[2]]
    size, got = int(np.prod(dims)) * dtype.itemsize, len(raw) - header
    if got != size:
        what = "truncated" if got < size else "too long"
        raise fail(f"{what}: {got} data bytes, expected {size}")
    digest = sha256 and hashlib.sha256(raw).hexdigest()
    if digest != sha256:
        raise fail(
            f"SHA-256 of its content is {digest[:12]}..., not the "
            f"expected {sha256[:12]}...; it is not the right data"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    return data.astype(dtype.newbyteorder("="))
