"""Randomness, devices and argument checks: what every module sets up first.

The book follows one randomness convention. A notebook calls
:func:`set_seed` once at the top; every function in ``d2lutils`` that draws
random numbers also takes an optional ``generator`` argument, which
:func:`normalize_generator` turns into something ``torch`` accepts:

* ``None`` -- use torch's global generator (the one :func:`set_seed` seeds);
* an ``int`` -- a fresh ``torch.Generator`` seeded with it;
* a ``torch.Generator`` -- used as it is.

Integer arguments (sizes, counts, epochs, seeds) go through one check,
:func:`check_int`, which accepts anything that *is* an integer for Python
(``int``, NumPy and torch integers, via ``operator.index``) and refuses
``bool``, floats and strings with a message naming the argument.
:func:`in_notebook` tells a Jupyter/Colab kernel from a script; plots and
sliders use it to choose how to show themselves.
"""

from __future__ import annotations

import operator
import random
from typing import Any, Optional, Union

import numpy as np
import torch

__all__ = [
    "GeneratorLike",
    "check_int",
    "in_notebook",
    "normalize_generator",
    "set_seed",
    "try_gpu",
]

GeneratorLike = Optional[Union[int, torch.Generator]]


def check_int(
    value: Any, name: str, *, min_value: Optional[int] = None
) -> int:
    """Return ``value`` as a Python ``int``, or raise naming ``name``.

    Accepts ``int`` and integer scalars of NumPy and torch (anything
    ``operator.index`` takes); refuses ``bool`` and everything else with a
    ``TypeError``. With ``min_value``, smaller values raise ``ValueError``.

    Examples
    --------
    >>> check_int(np.int64(10), "num_epochs")
    10
    >>> check_int(2.0, "batch_size")
    Traceback (most recent call last):
    ...
    TypeError: batch_size must be an int, got float 2.0
    >>> check_int(0, "batch_size", min_value=1)
    Traceback (most recent call last):
    ...
    ValueError: batch_size must be >= 1, got 0
    """
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int, got bool {value}")
    if isinstance(value, torch.Tensor) and value.is_floating_point():
        raise TypeError(
            f"{name} must be an int, got a floating-point tensor {value}"
        )
    try:
        out = operator.index(value)
    except TypeError:
        raise TypeError(
            f"{name} must be an int, got {type(value).__name__} {value!r}"
        ) from None
    if min_value is not None and out < min_value:
        raise ValueError(f"{name} must be >= {min_value}, got {out}")
    return int(out)


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
    try:
        seed = check_int(generator, "seed", min_value=0)
    except TypeError:
        raise TypeError(
            "generator must be None, an int seed or a torch.Generator, "
            f"got {type(generator).__name__}"
        ) from None
    except ValueError:
        raise ValueError(
            f"seed must be a non-negative integer, got {generator}"
        ) from None
    g = torch.Generator()
    g.manual_seed(seed)
    return g


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
    try:
        seed = check_int(seed, "seed", min_value=0)
    except ValueError:
        raise ValueError(
            f"seed must be a non-negative integer, got {seed}"
        ) from None
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def try_gpu(i: int = 0) -> torch.device:
    """Return ``cuda:i`` if that GPU exists, otherwise the CPU.

    Examples
    --------
    >>> try_gpu(10_000).type
    'cpu'
    """
    i = check_int(i, "GPU index")
    if i < 0:
        raise ValueError(f"GPU index must be >= 0, got {i}")
    if torch.cuda.is_available() and torch.cuda.device_count() > i:
        return torch.device(f"cuda:{i}")
    return torch.device("cpu")


def in_notebook() -> bool:
    """True inside a Jupyter/Colab kernel, False in scripts and terminals.

    Examples
    --------
    >>> in_notebook()
    False
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")
