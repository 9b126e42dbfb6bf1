"""Fashion-MNIST from its four IDX files, offline when possible.

:func:`load_fashion_mnist` looks for the files in this order:

1. ``root`` if given, else the folder named by ``$D2LUTILS_DATA_DIR``;
2. the user cache, ``~/.cache/d2lutils/fashion-mnist`` (or under
   ``$XDG_CACHE_HOME``);
3. the copy that Debian/Ubuntu's ``dataset-fashion-mnist`` package installs
   in ``/usr/share/datasets/fashion-mnist``;
4. a download from the dataset's official mirrors into the user cache.

Each file may be gzipped (``name.gz``) or not. Whatever the source, the
decompressed bytes are checked: IDX magic number, shape (60000 or 10000
images of 28 x 28), exact length, labels in 0..9, and a SHA-256 of the
official content. Decoded arrays are cached as ``.npy`` so that the second
load takes a few tens of milliseconds.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import struct
import tempfile
import urllib.request
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Optional, Union

import numpy as np
import torch

__all__ = [
    "FASHION_MNIST_CLASSES",
    "FASHION_MNIST_CLASSES_ZH",
    "FashionMNISTError",
    "get_fashion_mnist_labels",
    "load_fashion_mnist",
    "read_idx",
]

FASHION_MNIST_CLASSES = (
    "t-shirt",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle boot",
)
FASHION_MNIST_CLASSES_ZH = (
    "T恤",
    "裤子",
    "套衫",
    "连衣裙",
    "外套",
    "凉鞋",
    "衬衫",
    "运动鞋",
    "包",
    "短靴",
)

#: Debian/Ubuntu's ``dataset-fashion-mnist`` installs the files here.
SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
#: Official mirrors, tried in order (each URL + file name + ".gz").
MIRRORS = [
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/"
    "master/data/fashion/",
]

# name -> (file stem, number of items, SHA-256 of the decompressed IDX file)
_FILES = {
    "train_images": (
        "train-images-idx3-ubyte",
        60000,
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    ),
    "train_labels": (
        "train-labels-idx1-ubyte",
        60000,
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    ),
    "test_images": (
        "t10k-images-idx3-ubyte",
        10000,
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    ),
    "test_labels": (
        "t10k-labels-idx1-ubyte",
        10000,
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ),
}
_IMAGE_SIZE = (28, 28)
_CACHE_VERSION = 1

PathLike = Union[str, os.PathLike]


class FashionMNISTError(RuntimeError):
    """The Fashion-MNIST files are missing, damaged or not the real ones."""


def cache_dir() -> Path:
    """Folder of the user cache: downloads and decoded ``.npy`` arrays."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "d2lutils" / "fashion-mnist"


def _remedies() -> str:
    stems = ", ".join(stem + ".gz" for stem, _, _ in _FILES.values())
    return (
        "Fix it in one of these ways:\n"
        "  1. on Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist\n"
        f"  2. put the four files ({stems}) in a folder and call "
        "load_fashion_mnist(root=FOLDER) or set D2LUTILS_DATA_DIR=FOLDER\n"
        "  3. connect to the internet and call again: the files are "
        f"downloaded to {cache_dir()}"
    )


def read_idx(
    path: PathLike,
    *,
    ndim: int,
    count: int,
    sha256: Optional[str] = None,
    remedy: str = "replace it with an intact copy",
) -> np.ndarray:
    """Read one IDX file (gzipped or not) of unsigned bytes and check it.

    Parameters
    ----------
    path : the file; a name ending in ``.gz`` is decompressed.
    ndim : 3 for images (n, 28, 28), 1 for labels (n,).
    count : the number of items the file must hold.
    sha256 : if given, the SHA-256 the decompressed bytes must have.
    remedy : what the error message tells the reader to do.

    Raises
    ------
    FashionMNISTError
        naming the file and the problem, if it cannot be read, is truncated,
        has the wrong magic number or shape, labels outside 0..9, or the
        wrong checksum.
    """
    path = Path(path)

    def fail(problem: str) -> FashionMNISTError:
        return FashionMNISTError(f"{path}: {problem}. Fix: {remedy}.")

    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                raw = f.read()
        else:
            raw = path.read_bytes()
    except (OSError, EOFError) as err:
        raise fail(
            f"cannot be read ({err}); it is damaged or incomplete"
        ) from err
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise fail(f"too short for an IDX header ({len(raw)} bytes)")
    zero, dtype_code, file_ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08 or file_ndim != ndim:
        magic = raw[:4].hex()
        want = f"0000 08 {ndim:02x}".replace(" ", "")
        raise fail(
            f"wrong IDX magic number 0x{magic} (expected 0x{want}); "
            "it is not an IDX file of this kind"
        )
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    expected = (count, *_IMAGE_SIZE) if ndim == 3 else (count,)
    if dims != expected:
        raise fail(f"holds shape {dims}, expected {expected}")
    size = int(np.prod(dims))
    if len(raw) - header != size:
        what = "truncated" if len(raw) - header < size else "too long"
        raise fail(f"{what}: {len(raw) - header} data bytes, expected {size}")
    data = np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)
    if ndim == 1 and data.max() > 9:
        raise fail(f"has label {int(data.max())}, outside 0..9")
    if sha256 is not None:
        digest = hashlib.sha256(raw).hexdigest()
        if digest != sha256:
            raise fail(
                f"SHA-256 of its content is {digest[:12]}..., not the "
                f"official {sha256[:12]}...; it is not the real Fashion-MNIST"
            )
    return data.copy()


def _find(folder: Path) -> Optional[dict[str, Path]]:
    """The four files in ``folder`` (or its torchvision-style subfolder)."""
    for d in (folder, folder / "FashionMNIST" / "raw"):
        found = {}
        for key, (stem, _, _) in _FILES.items():
            for name in (stem + ".gz", stem):
                if (d / name).is_file():
                    found[key] = d / name
                    break
        if len(found) == len(_FILES):
            return found
    return None


def _stamp(files: dict[str, Path]) -> dict:
    out = {}
    for key, p in sorted(files.items()):
        st = p.stat()
        out[key] = [str(p.resolve()), st.st_size, st.st_mtime_ns]
    return {"version": _CACHE_VERSION, "files": out}


def _load_decoded(stamp: dict) -> Optional[dict[str, np.ndarray]]:
    folder = cache_dir() / "decoded"
    try:
        saved = json.loads((folder / "stamp.json").read_text())
    except (OSError, ValueError):
        return None
    if saved != stamp:
        return None
    arrays = {}
    for key, (_, count, _) in _FILES.items():
        try:
            a = np.load(folder / f"{key}.npy", allow_pickle=False)
        except (OSError, ValueError):
            return None
        want = (count, *_IMAGE_SIZE) if "images" in key else (count,)
        if a.shape != want or a.dtype != np.uint8:
            return None
        arrays[key] = a
    return arrays


def _save_decoded(stamp: dict, arrays: dict[str, np.ndarray]) -> None:
    folder = cache_dir() / "decoded"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "stamp.json").unlink(missing_ok=True)
        for key, a in arrays.items():
            tmp = folder / f"{key}.npy.part"
            with open(tmp, "wb") as f:
                np.save(f, a)
            os.replace(tmp, folder / f"{key}.npy")
        (folder / "stamp.json").write_text(json.dumps(stamp))
    except OSError as err:
        warnings.warn(
            f"could not cache decoded Fashion-MNIST in {folder} ({err}); "
            "loading works but will not be faster next time",
            stacklevel=3,
        )


def _decode(files: dict[str, Path], remedy: str) -> dict[str, np.ndarray]:
    stamp = _stamp(files)
    cached = _load_decoded(stamp)
    if cached is not None:
        return cached
    arrays = {}
    for key, (_, count, sha) in _FILES.items():
        ndim = 3 if "images" in key else 1
        arrays[key] = read_idx(
            files[key], ndim=ndim, count=count, sha256=sha, remedy=remedy
        )
    _save_decoded(stamp, arrays)
    return arrays


def _fetch(url: str, target: Path, *, ndim: int, count: int, sha: str):
    """Download ``url`` to ``target``, keeping it only if it checks out."""
    from tqdm.auto import tqdm

    fd, part = tempfile.mkstemp(dir=target.parent, suffix=".part.gz")
    try:
        with os.fdopen(fd, "wb") as out:
            with urllib.request.urlopen(url, timeout=30) as resp:
                total = int(resp.headers.get("Content-Length") or 0)
                with tqdm(
                    total=total or None,
                    unit="B",
                    unit_scale=True,
                    desc=target.name,
                    leave=False,
                ) as bar:
                    while chunk := resp.read(1 << 16):
                        out.write(chunk)
                        bar.update(len(chunk))
        read_idx(
            part,
            ndim=ndim,
            count=count,
            sha256=sha,
            remedy=f"the download from {url} is bad; try again later",
        )
        os.replace(part, target)
    finally:
        Path(part).unlink(missing_ok=True)


def _download(folder: Path) -> dict[str, Path]:
    """Fetch the four files into ``folder`` from the first working mirror."""
    errors = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise FashionMNISTError(
            f"cannot create the cache folder {folder} ({err}). " + _remedies()
        ) from err
    for mirror in MIRRORS:
        try:
            files = {}
            for key, (stem, count, sha) in _FILES.items():
                target = folder / (stem + ".gz")
                ndim = 3 if "images" in key else 1
                if not target.is_file():  # files kept here were verified
                    _fetch(
                        mirror + stem + ".gz",
                        target,
                        ndim=ndim,
                        count=count,
                        sha=sha,
                    )
                files[key] = target
            return files
        except (OSError, FashionMNISTError) as err:
            errors.append(f"{mirror}: {err}")
    raise FashionMNISTError(
        "Fashion-MNIST was not found on this machine and could not be "
        "downloaded:\n  " + "\n  ".join(errors) + "\n" + _remedies()
    )


def load_fashion_mnist(
    root: Optional[PathLike] = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Load Fashion-MNIST as ``(X_train, y_train, X_test, y_test)``.

    Images are ``uint8`` tensors of shape ``(n, 28, 28)``, labels ``int64``
    tensors of shape ``(n,)``; n is 60000 for training, 10000 for testing.

    Parameters
    ----------
    root : a folder holding the four IDX files (gzipped or not). If not
        given, ``$D2LUTILS_DATA_DIR`` is used if set; otherwise the user
        cache, then the Debian package's folder, then a download.

    Raises
    ------
    FashionMNISTError
        if a file is missing, damaged or not the official data; the
        message names the file and what to do.
    """
    explicit = (
        root if root is not None else os.environ.get("D2LUTILS_DATA_DIR")
    )
    if explicit:
        folder = Path(explicit).expanduser()
        files = _find(folder)
        if files is None:
            origin = "root" if root is not None else "$D2LUTILS_DATA_DIR"
            raise FashionMNISTError(
                f"{origin}={folder} does not hold the four Fashion-MNIST "
                "files. " + _remedies()
            )
        arrays = _decode(files, "replace it with an intact copy")
    elif (files := _find(cache_dir())) is not None:
        arrays = _decode(files, "delete it; it is downloaded again")
    elif (files := _find(SYSTEM_DIR)) is not None:
        arrays = _decode(
            files, "sudo apt-get install --reinstall dataset-fashion-mnist"
        )
    else:
        files = _download(cache_dir())
        arrays = _decode(files, "delete it; it is downloaded again")
    return (
        torch.from_numpy(arrays["train_images"]),
        torch.from_numpy(arrays["train_labels"].astype(np.int64)),
        torch.from_numpy(arrays["test_images"]),
        torch.from_numpy(arrays["test_labels"].astype(np.int64)),
    )


def get_fashion_mnist_labels(
    labels: Union[torch.Tensor, Iterable[int]], *, lang: str = "en"
) -> list[str]:
    """Names of Fashion-MNIST class ids (``lang="en"`` or ``"zh"``).

    Examples
    --------
    >>> get_fashion_mnist_labels([0, 9])
    ['t-shirt', 'ankle boot']
    >>> get_fashion_mnist_labels(torch.tensor([7]), lang="zh")
    ['运动鞋']
    """
    names = {"en": FASHION_MNIST_CLASSES, "zh": FASHION_MNIST_CLASSES_ZH}
    if lang not in names:
        raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")
    if isinstance(labels, torch.Tensor):
        if labels.is_floating_point():
            raise TypeError(
                "labels must be integer class ids, got a floating-point "
                "tensor; for predictions use y_hat.argmax(dim=1)"
            )
        labels = labels.reshape(-1).tolist()
    out = []
    for i in labels:
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
            raise TypeError(f"label ids must be ints, got {i!r}")
        if not 0 <= i < len(FASHION_MNIST_CLASSES):
            raise ValueError(
                f"unknown Fashion-MNIST label id {i}: ids run from 0 to 9"
            )
        out.append(names[lang][int(i)])
    return out
