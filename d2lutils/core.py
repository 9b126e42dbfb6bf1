"""Randomness and devices: the two things every chapter sets up first.

The book follows one randomness convention. A notebook calls
:func:`set_seed` once at the top; every function in ``d2lutils`` that draws
random numbers also takes an optional ``generator`` argument, which
:func:`normalize_generator` turns into something ``torch`` accepts:

* ``None`` -- use torch's global generator (the one :func:`set_seed` seeds);
* an ``int`` -- a fresh ``torch.Generator`` seeded with it;
* a ``torch.Generator`` -- used as it is.
"""

from __future__ import annotations

import random
from typing import Optional, Union

import numpy as np
import torch

__all__ = ["GeneratorLike", "normalize_generator", "set_seed", "try_gpu"]

GeneratorLike = Optional[Union[int, torch.Generator]]


def normalize_generator(generator: GeneratorLike) -> Optional[torch.Generator]:
    """Turn ``None``, an int seed or a ``torch.Generator`` into a generator.

    Examples
    --------
    >>> g = normalize_generator(0)
    >>> torch.randint(10, (3,), generator=g).tolist()
    [4, 9, 3]
    >>> normalize_generator(None) is None
    True
    """
    if generator is None or isinstance(generator, torch.Generator):
        return generator
    if isinstance(generator, (int, np.integer)) and not isinstance(
        generator, bool
    ):
        if generator < 0:
            raise ValueError(
                f"seed must be a non-negative integer, got {generator}"
            )
        g = torch.Generator()
        g.manual_seed(int(generator))
        return g
    raise TypeError(
        "generator must be None, an int seed or a torch.Generator, "
        f"got {type(generator).__name__}"
    )


def set_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy and PyTorch in one call.

    Call it once at the top of a notebook so that every run prints the
    same numbers.

    Examples
    --------
    >>> set_seed(42); a = torch.rand(2)
    >>> set_seed(42); b = torch.rand(2)
    >>> torch.equal(a, b)
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    torch.manual_seed(int(seed))


def try_gpu(i: int = 0) -> torch.device:
    """Return ``cuda:i`` if that GPU exists, otherwise the CPU.

    Examples
    --------
    >>> try_gpu(10_000).type
    'cpu'
    """
    if i < 0:
        raise ValueError(f"GPU index must be >= 0, got {i}")
    if torch.cuda.is_available() and torch.cuda.device_count() > i:
        return torch.device(f"cuda:{i}")
    return torch.device("cpu")
