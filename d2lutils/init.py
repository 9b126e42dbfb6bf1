"""Weight initialization by hand: Xavier and He, applied with one helper.

A layer with ``fan_in`` inputs and ``fan_out`` outputs keeps the variance
of its forward signal if its weights have variance ``gain**2 / fan_in``,
and that of its backward signal with ``gain**2 / fan_out``; ``gain`` makes
up for the activation (``sqrt(2)`` for ReLU, which zeroes half its
inputs). **Xavier** (Glorot and Bengio, 2010) compromises between the two,
variance ``gain**2 * 2 / (fan_in + fan_out)``; **He** (He et al., 2015)
keeps the forward pass, ``gain**2 / fan_in`` with ``gain = sqrt(2)``.

Each comes as a normal and a uniform fill (``U(-a, a)`` has variance
``a**2 / 3``) that draws the same numbers as ``torch.nn.init``'s from the
same generator. :func:`init_linear` turns any fill function into an
initializer for ``net.apply``, so a section swaps schemes in one line::

    g = torch.Generator().manual_seed(0)
    net.apply(d2l.init_linear(d2l.he_normal_, generator=g))
    net.apply(d2l.init_linear(nn.init.normal_, std=0.01, generator=g))
"""

from __future__ import annotations

import inspect
import math
from typing import Any, Callable

import torch
from torch import nn

from .core import GeneratorLike, normalize_generator

__all__ = [
    "fans",
    "he_normal_",
    "he_uniform_",
    "init_linear",
    "xavier_normal_",
    "xavier_uniform_",
]


def fans(weight: torch.Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of shape ``(fan_out, fan_in)``, as
    ``nn.Linear`` keeps it (it computes ``X @ W.T``); a convolution's extra
    dimensions multiply both.

    >>> fans(nn.Linear(3, 5).weight)
    (3, 5)
    """
    if weight.dim() < 2:
        raise ValueError(
            f"a weight needs at least 2 dimensions (fan_out, fan_in), got "
            f"shape {tuple(weight.shape)}; biases have no fans"
        )
    receptive = math.prod(weight.shape[2:])
    return weight.shape[1] * receptive, weight.shape[0] * receptive


def _fill(weight, std: float, uniform: bool, generator: GeneratorLike):
    g = normalize_generator(generator)
    a = math.sqrt(3.0) * std  # U(-a, a) has variance a^2 / 3
    with torch.no_grad():
        if uniform:
            return weight.uniform_(-a, a, generator=g)
        return weight.normal_(0.0, std, generator=g)


def xavier_normal_(
    weight: torch.Tensor, gain: float = 1.0, generator: GeneratorLike = None
) -> torch.Tensor:
    """Fill ``weight`` from N(0, gain² · 2 / (fan_in + fan_out)).

    >>> W = xavier_normal_(torch.empty(300, 500), generator=0)
    >>> round(float(W.var() * (300 + 500) / 2), 2)
    1.0
    """
    fan_in, fan_out = fans(weight)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return _fill(weight, std, False, generator)


def xavier_uniform_(
    weight: torch.Tensor, gain: float = 1.0, generator: GeneratorLike = None
) -> torch.Tensor:
    """Fill ``weight`` from U(-a, a), a = gain · sqrt(6 / (fan_in + fan_out)).

    The same numbers as ``nn.init.xavier_uniform_`` from the same generator:

    >>> ours = xavier_uniform_(torch.empty(3, 5), generator=0)
    >>> g = torch.Generator().manual_seed(0)
    >>> torch.equal(ours, nn.init.xavier_uniform_(torch.empty(3, 5), 1, g))
    True
    """
    fan_in, fan_out = fans(weight)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return _fill(weight, std, True, generator)


def he_normal_(
    weight: torch.Tensor,
    gain: float = math.sqrt(2.0),
    generator: GeneratorLike = None,
) -> torch.Tensor:
    """Fill ``weight`` from N(0, gain² / fan_in); gain √2 suits ReLU.

    >>> W = he_normal_(torch.empty(300, 500), generator=0)
    >>> round(float(W.var() * 500 / 2), 2)
    1.0
    """
    return _fill(weight, gain / math.sqrt(fans(weight)[0]), False, generator)


def he_uniform_(
    weight: torch.Tensor,
    gain: float = math.sqrt(2.0),
    generator: GeneratorLike = None,
) -> torch.Tensor:
    """Fill ``weight`` from U(-a, a), a = gain · sqrt(3 / fan_in).

    With ``gain`` sqrt(1/3) it is ``nn.Linear``'s own initialization,
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)):

    >>> W = he_uniform_(torch.empty(300, 500), math.sqrt(1 / 3), generator=0)
    >>> bool(W.abs().max() <= 1 / math.sqrt(500))
    True
    """
    return _fill(weight, gain / math.sqrt(fans(weight)[0]), True, generator)


def init_linear(
    fill_: Callable[..., Any], *, bias: float = 0.0, **kwargs: Any
) -> Callable[[nn.Module], None]:
    """An initializer for ``net.apply``: every ``nn.Linear`` gets
    ``fill_(layer.weight, **kwargs)`` and its bias ``bias``.

    ``fill_`` fills a tensor in place: the ones here or ``torch.nn.init``'s
    (``normal_``, ``constant_``, ``orthogonal_``, ...). A ``generator`` (an
    int seed or a ``torch.Generator``) is made once, so the layers draw
    from one stream and ``generator=0`` makes the network reproducible.

    >>> net = nn.Sequential(nn.Linear(400, 400), nn.ReLU(), nn.Linear(400, 2))
    >>> _ = net.apply(init_linear(he_normal_, generator=0))
    >>> round(float(net[0].weight.detach().var() * 400), 1)
    2.0
    >>> net[0].bias.abs().sum().item()
    0.0
    >>> _ = net.apply(init_linear(nn.init.constant_, val=0.5, bias=0.25))
    >>> net[2].weight[0, :3].tolist(), net[2].bias.tolist()
    ([0.5, 0.5, 0.5], [0.25, 0.25])
    """
    if not callable(fill_):
        raise TypeError(
            "fill_ must fill a tensor in place, e.g. nn.init.normal_ or "
            f"d2l.he_normal_; got {type(fill_).__name__}"
        )
    try:  # a misspelt argument fails here, not at the first layer
        inspect.signature(fill_).bind(torch.empty(0), **kwargs)
    except TypeError as err:
        name = getattr(fill_, "__name__", "fill_")
        raise TypeError(
            f"{name} does not take {sorted(kwargs)}: {err}"
        ) from None
    except ValueError:  # a builtin without a signature: nothing to check
        pass
    if "generator" in kwargs:
        kwargs["generator"] = normalize_generator(kwargs["generator"])

    def init(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            with torch.no_grad():
                fill_(module.weight, **kwargs)
                if module.bias is not None:
                    module.bias.fill_(bias)

    return init
