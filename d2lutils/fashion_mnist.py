"""Fashion-MNIST: where its four files are, and loading them checked.

:data:`FILES` describes the four files once (name, shape, SHA-256 of the
decompressed content). :func:`load_fashion_mnist` takes four steps:

1. **find** (:func:`find_fashion_mnist`) a folder with all four files,
   gzipped or not, also in its torchvision-style ``FashionMNIST/raw``:
   ``root`` or ``$D2LUTILS_DATA_DIR`` if given (and then *only* there),
   else the user cache (:func:`cache_dir`), then the copy of Debian's
   ``dataset-fashion-mnist`` package (:data:`SYSTEM_DIR`); a folder this
   user may not read is skipped, and named if nothing is found;
2. **fetch** what is missing from :data:`MIRRORS` into the user cache
   (:mod:`d2lutils.download`), if no folder had the files;
3. **verify and decode** each file (:func:`d2lutils.idx.read_idx`: shape
   and SHA-256);
4. **cache** the decoded arrays (:class:`d2lutils.filecache.ArrayCache`
   in :func:`decoded_dir`), checked on every later load, which skips 3.

Errors are :class:`FashionMNISTError`, naming the file or folder and the
remedies that apply.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Optional, Union

import numpy as np
import torch

from .download import download
from .filecache import ArrayCache, clean_stale
from .idx import IDXError, read_idx

__all__ = [
    "FASHION_MNIST_CLASSES",
    "FASHION_MNIST_CLASSES_ZH",
    "FILES",
    "MIRRORS",
    "SYSTEM_DIR",
    "FashionMNISTError",
    "FashionMNISTFile",
    "cache_dir",
    "decoded_dir",
    "find_fashion_mnist",
    "get_fashion_mnist_labels",
    "load_fashion_mnist",
]

_EN = "t-shirt,trouser,pullover,dress,coat,sandal,shirt,sneaker,bag,ankle boot"
FASHION_MNIST_CLASSES = tuple(_EN.split(","))
FASHION_MNIST_CLASSES_ZH = tuple(
    "T恤,裤子,套衫,连衣裙,外套,凉鞋,衬衫,运动鞋,包,短靴".split(",")
)

#: Debian/Ubuntu's ``dataset-fashion-mnist`` installs the files here.
SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
#: Official mirrors, tried in order (each + file name + ".gz").
MIRRORS = [
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/"
    "master/data/fashion/",
]

PathLike = Union[str, os.PathLike]


class FashionMNISTFile(NamedTuple):
    """One row of :data:`FILES`."""

    key: str  #: name in the loader's result
    name: str  #: file name, without ``.gz``
    shape: tuple[int, ...]
    sha256: str  #: of the decompressed IDX file

    @property
    def urls(self) -> list[str]:
        """Where to download it (gzipped), one URL per mirror."""
        return [mirror + self.name + ".gz" for mirror in MIRRORS]


#: The four files, in the order :func:`load_fashion_mnist` returns them.
FILES = (
    FashionMNISTFile(
        "train_images",
        "train-images-idx3-ubyte",
        (60000, 28, 28),
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    ),
    FashionMNISTFile(
        "train_labels",
        "train-labels-idx1-ubyte",
        (60000,),
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    ),
    FashionMNISTFile(
        "test_images",
        "t10k-images-idx3-ubyte",
        (10000, 28, 28),
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    ),
    FashionMNISTFile(
        "test_labels",
        "t10k-labels-idx1-ubyte",
        (10000,),
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ),
)


class FashionMNISTError(IDXError):
    """The Fashion-MNIST files are missing, unreadable, damaged or not the
    real ones; the message names the file or folder and what to do."""


def cache_dir() -> Path:
    """The user cache, where downloads are kept (and searched).

    >>> cache_dir().parts[-2:]
    ('d2lutils', 'fashion-mnist')
    """
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "d2lutils" / "fashion-mnist"


def decoded_dir() -> Path:
    """The decoded arrays' folder, apart from the downloads, so that an
    unreadable download folder does not stop the caching.

    >>> decoded_dir().parts[-3:]
    ('d2lutils', 'decoded', 'fashion-mnist')
    """
    return cache_dir().parent / "decoded" / "fashion-mnist"


@dataclass
class _Scan:
    """What a folder holds, what it lacks, what could not be read."""

    folder: Path
    files: dict[str, Path] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    denied: Optional[str] = None


def _scan(folder: Path) -> _Scan:
    """The four files (``NAME.gz`` or ``NAME``) in ``folder`` or its
    ``FashionMNIST/raw``; else the scan that got furthest."""
    scans = []
    for d in (folder, folder / "FashionMNIST" / "raw"):
        scan = _Scan(d)
        for f in FILES:
            for name in (f.name + ".gz", f.name):
                try:  # a missing file or folder is just not a file
                    if (d / name).is_file():
                        scan.files[f.key] = d / name
                        break
                except PermissionError as err:
                    scan.denied = f"{d}: permission denied ({err.strerror})"
            else:
                scan.missing.append(f.name + "[.gz]")
        if not scan.missing:
            return scan
        scans.append(scan)
    return min(scans, key=lambda s: (s.denied is None, len(s.missing)))


def _find(
    root: Optional[PathLike], *, fetch: bool
) -> tuple[dict[str, Path], str]:
    """The four files and the remedy to name if one of them is bad."""
    origin, env = "root", os.environ.get("D2LUTILS_DATA_DIR")
    if root is None and env:
        origin, root = "$D2LUTILS_DATA_DIR", env
    if root is not None:
        folder = Path(root).expanduser()
        scan = _scan(folder)
        if not scan.missing:
            return scan.files, "replace it with an intact copy"
        problem = (
            f"{scan.denied}; make the folder readable (chmod a+rx)"
            if scan.denied
            else f"missing {', '.join(scan.missing)} in {scan.folder}; put "
            "the four files there (gzipped or not)"
        )
        other = "call without root=" if origin == "root" else "unset it"
        raise FashionMNISTError(
            f"{origin}={folder} does not hold the four Fashion-MNIST files: "
            f"{problem}, point {origin} at the folder that has them, or "
            f"{other} to search the usual places. Searched: {folder} (and "
            f"{folder / 'FashionMNIST' / 'raw'})."
        )
    sources = {
        cache_dir(): "delete it; it is downloaded again",
        SYSTEM_DIR: "sudo apt-get install --reinstall dataset-fashion-mnist",
    }
    notes = []
    for folder, remedy in sources.items():
        scan = _scan(folder)
        if not scan.missing:
            return scan.files, remedy
        if scan.denied:
            notes.append(f"skipped {scan.denied}")
    searched = ", ".join(map(str, sources))
    if fetch:
        files = _fetch(cache_dir(), notes)
        if files is not None:
            return files, sources[cache_dir()]
        searched += ") and could not be downloaded:\n"
    else:
        searched += ").\n"
    names = ", ".join(f.name + ".gz" for f in FILES)
    raise FashionMNISTError(
        f"Fashion-MNIST was not found on this machine (searched {searched}"
        + "".join(f"  {line}\n" for line in notes)
        + "Fix it in one of these ways:\n"
        "  1. on Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist\n"
        f"  2. put the four files ({names}) in a folder and call "
        "load_fashion_mnist(root=FOLDER) or set D2LUTILS_DATA_DIR=FOLDER\n"
        "  3. connect to the internet and call again: the files are "
        f"downloaded to {cache_dir()}"
    )


def find_fashion_mnist(root: Optional[PathLike] = None) -> dict[str, Path]:
    """Where :func:`load_fashion_mnist` finds the four files, without
    downloading: ``{"train_images": path, ...}`` (keys as in :data:`FILES`).

    Raises :class:`FashionMNISTError` if no searched folder has all four.
    """
    return _find(root, fetch=False)[0]


def _fetch(folder: Path, notes: list[str]) -> Optional[dict[str, Path]]:
    """Download the missing files into ``folder`` from the first mirror
    that serves intact ones; add what went wrong to ``notes``."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for f in FILES:
            for url in f.urls:
                target = folder / (f.name + ".gz")
                if target.is_file():
                    break
                remedy = f"the download from {url} is bad; try again later"
                check = functools.partial(
                    read_idx, shape=f.shape, sha256=f.sha256, remedy=remedy
                )
                try:
                    download(url, target, check=check)
                    break
                except (OSError, ValueError, IDXError) as err:
                    notes.append(f"{url}: {err}")
    except OSError as err:
        notes.append(f"cannot write to {folder} ({err})")
    scan = _scan(folder)
    return None if scan.missing else scan.files


def load_fashion_mnist(
    root: Optional[PathLike] = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Load Fashion-MNIST as ``(X_train, y_train, X_test, y_test)``.

    Images are ``uint8`` tensors of shape ``(n, 28, 28)``, labels ``int64``
    of shape ``(n,)``; n is 60000 for training, 10000 for testing. ``root``
    is a folder with the four IDX files (gzipped or not); without it, see
    the module docstring for where they are looked for.

    Raises :class:`FashionMNISTError` if a file is missing, unreadable,
    damaged or not the official data, naming the file and what to do.
    """
    clean_stale(cache_dir())  # partial downloads of killed processes
    files, remedy = _find(root, fetch=True)
    cache = ArrayCache(decoded_dir())
    source = {}  # what the cached arrays are made from
    for key, p in sorted(files.items()):
        st = p.stat()
        source[key] = [str(p.resolve()), st.st_size, st.st_mtime_ns]
    arrays = cache.load(source)
    if arrays is None:
        try:
            arrays = {
                f.key: read_idx(
                    files[f.key], shape=f.shape, sha256=f.sha256, remedy=remedy
                )
                for f in FILES
            }
        except IDXError as err:
            raise FashionMNISTError(str(err)) from err
        cache.save(source, arrays)
    X, y, X_test, y_test = (torch.from_numpy(arrays[f.key]) for f in FILES)
    return X, y.long(), X_test, y_test.long()


def get_fashion_mnist_labels(
    labels: Union[torch.Tensor, Iterable[int]], *, lang: str = "en"
) -> list[str]:
    """Names of Fashion-MNIST class ids (``lang="en"`` or ``"zh"``).

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
