"""Randomness, argument checks and evaluation mode: what every module uses.

One randomness convention: a notebook calls :func:`set_seed` once at the
top, and every function here that draws random numbers also takes an
optional ``generator``: ``None`` (torch's global generator), an ``int`` (a
fresh ``torch.Generator`` seeded with it) or a ``torch.Generator``, made
into what ``torch`` accepts by :func:`normalize_generator`. Arguments go
through :func:`check_int`, :func:`check_lr` and :func:`check_tensors`;
:func:`eval_mode` measures a model in evaluation mode and puts it back.
"""

from __future__ import annotations

import contextlib
import math
import operator
import random
from collections.abc import Iterable, Iterator
from typing import Any, Optional, Union

import numpy as np
import torch
from torch import nn

__all__ = [
    "GeneratorLike",
    "check_int",
    "check_lr",
    "check_tensors",
    "eval_mode",
    "in_notebook",
    "normalize_generator",
    "set_seed",
]

GeneratorLike = Optional[Union[int, torch.Generator]]


def check_int(
    value: Any, name: str, *, min_value: Optional[int] = None
) -> int:
    """Return ``value`` as a Python ``int``, or raise naming ``name``.

    >>> check_int(np.int64(10), "num_epochs")
    10
    >>> check_int(2.0, "batch_size")
    Traceback (most recent call last):
    ...
    TypeError: batch_size must be an int, got float 2.0
    """
    try:
        if isinstance(value, (bool, np.bool_)) or getattr(
            value, "dtype", None
        ) in (torch.bool, np.bool_):
            raise TypeError  # True is an int for Python, not a size
        out = int(operator.index(value))
    except TypeError:
        raise TypeError(
            f"{name} must be an int, got {type(value).__name__} {value!r}"
        ) from None
    if min_value is not None and out < min_value:
        raise ValueError(f"{name} must be >= {min_value}, got {out}")
    return out


def check_lr(lr: Any) -> float:
    """A learning rate as a ``float``; raise unless it is finite and >= 0.

    >>> check_lr(np.float64(0.1))
    0.1
    """
    if isinstance(lr, (bool, str, bytes)) or not hasattr(lr, "__float__"):
        raise TypeError(f"lr must be a number, got {type(lr).__name__}")
    value = float(lr)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"lr must be a finite number >= 0, got {lr}")
    return value


def check_tensors(values: Any, name: str) -> list[torch.Tensor]:
    """Return ``values`` as a list of tensors, or raise naming ``name``.

    >>> check_tensors(torch.ones(2), "params")
    Traceback (most recent call last):
    ...
    TypeError: params must be a list of tensors, got a single tensor of \
shape (2,): wrap it as [t]
    """
    if isinstance(values, torch.Tensor):
        raise TypeError(
            f"{name} must be a list of tensors, got a single tensor of "
            f"shape {tuple(values.shape)}: wrap it as [t]"
        )
    if isinstance(values, dict) or not isinstance(values, Iterable):
        raise TypeError(
            f"{name} must be a list of tensors, e.g. [W, b], got "
            f"{type(values).__name__}"
        )
    values = list(values)
    for i, t in enumerate(values):
        if not isinstance(t, torch.Tensor):
            raise TypeError(
                f"{name}[{i}] is a {type(t).__name__}, not a tensor"
            )
    return values


def normalize_generator(generator: GeneratorLike) -> Optional[torch.Generator]:
    """Turn ``None``, an int seed or a ``torch.Generator`` into a generator.

    >>> torch.randint(10, (3,), generator=normalize_generator(0)).tolist()
    [4, 9, 3]
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
    return torch.Generator().manual_seed(seed)


def set_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy and PyTorch in one call.

    >>> set_seed(42); a = torch.rand(2)
    >>> set_seed(42); torch.equal(a, torch.rand(2))
    True
    """
    seed = check_int(seed, "seed", min_value=0)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


@contextlib.contextmanager
def eval_mode(net: Any) -> Iterator[Any]:
    """Run the block with ``net`` in evaluation mode and without gradients.

    An ``nn.Module`` goes back to the mode it was in, however the block
    ends; a plain function is only run without gradients.

    >>> net = nn.Dropout(0.5)
    >>> with eval_mode(net):
    ...     net.training
    False
    >>> net.training
    True
    """
    was_training = isinstance(net, nn.Module) and net.training
    if isinstance(net, nn.Module):
        net.eval()
    try:
        with torch.no_grad():
            yield net
    finally:
        if was_training:
            net.train()


def in_notebook() -> bool:
    """True inside a Jupyter/Colab kernel, False in scripts and terminals.

    >>> in_notebook()
    False
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")
