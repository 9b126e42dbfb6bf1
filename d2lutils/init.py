"""Weight initialization by hand: Xavier and He, and a per-layer recorder.

The initialization section derives how large random weights must be for
signals to keep their size through a deep network. A layer with
``fan_in`` inputs and ``fan_out`` outputs keeps the variance of its
forward signal if its weights have variance ``gain**2 / fan_in`` and that
of its backward signal with ``gain**2 / fan_out``; ``gain`` makes up for
what the activation function does to the variance (``sqrt(2)`` for ReLU,
which zeroes half of its inputs). Two schemes follow:

* **Xavier** (Glorot and Bengio, 2010) compromises between the two:
  variance ``gain**2 * 2 / (fan_in + fan_out)``;
* **He** (He et al., 2015) keeps the forward pass: variance
  ``gain**2 / fan_in`` with ``gain = sqrt(2)``.

Each comes as a normal and as a uniform distribution with that variance
(``U(-a, a)`` has variance ``a**2 / 3``). The functions ending in ``_``
fill a weight tensor in place, like ``torch.nn.init``; the functions
without it return an initializer for ``net.apply`` that fills every
``nn.Linear`` weight and zeroes its bias, so the section can swap schemes
in one line::

    net.apply(d2l.he_normal(generator=0))

:class:`LayerStats` is a training-loop hook
(:class:`~d2lutils.callbacks.Callback`) that records, every step, the
variance of every ``nn.Linear`` layer's output and of its weight
gradient.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
from torch import nn

from .callbacks import Callback, TrainState
from .core import GeneratorLike, check_int, normalize_generator

__all__ = [
    "LayerStats",
    "fans",
    "he_normal",
    "he_normal_",
    "he_uniform",
    "he_uniform_",
    "init_constant",
    "init_normal",
    "xavier_normal",
    "xavier_normal_",
    "xavier_uniform",
    "xavier_uniform_",
]

RELU_GAIN = math.sqrt(2.0)


def fans(weight: torch.Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight stored as ``nn.Linear`` keeps it.

    ``nn.Linear`` computes ``X @ W.T``, so ``W`` has shape
    ``(fan_out, fan_in)``. (A convolution's extra dimensions multiply
    both fans.)

    Examples
    --------
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


def _fill_normal(
    weight: torch.Tensor, std: float, generator: GeneratorLike
) -> torch.Tensor:
    g = normalize_generator(generator)
    with torch.no_grad():
        return weight.normal_(0.0, std, generator=g)


def _fill_uniform(
    weight: torch.Tensor, std: float, generator: GeneratorLike
) -> torch.Tensor:
    a = math.sqrt(3.0) * std  # U(-a, a) has variance a^2 / 3
    g = normalize_generator(generator)
    with torch.no_grad():
        return weight.uniform_(-a, a, generator=g)


def xavier_normal_(
    weight: torch.Tensor, gain: float = 1.0, generator: GeneratorLike = None
) -> torch.Tensor:
    """Fill ``weight`` from N(0, gain² · 2 / (fan_in + fan_out)).

    Examples
    --------
    >>> W = xavier_normal_(torch.empty(300, 500), generator=0)
    >>> round(float(W.var() * (300 + 500) / 2), 2)
    1.0
    """
    fan_in, fan_out = fans(weight)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return _fill_normal(weight, std, generator)


def xavier_uniform_(
    weight: torch.Tensor, gain: float = 1.0, generator: GeneratorLike = None
) -> torch.Tensor:
    """Fill ``weight`` from U(-a, a), a = gain · sqrt(6 / (fan_in + fan_out)).

    Examples
    --------
    >>> W = xavier_uniform_(torch.empty(300, 500), generator=0)
    >>> bool(W.abs().max() <= math.sqrt(6 / 800))
    True
    """
    fan_in, fan_out = fans(weight)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return _fill_uniform(weight, std, generator)


def he_normal_(
    weight: torch.Tensor,
    gain: float = RELU_GAIN,
    generator: GeneratorLike = None,
) -> torch.Tensor:
    """Fill ``weight`` from N(0, gain² / fan_in); gain √2 suits ReLU.

    Examples
    --------
    >>> W = he_normal_(torch.empty(300, 500), generator=0)
    >>> round(float(W.var() * 500 / 2), 2)
    1.0
    """
    fan_in, _ = fans(weight)
    return _fill_normal(weight, gain / math.sqrt(fan_in), generator)


def he_uniform_(
    weight: torch.Tensor,
    gain: float = RELU_GAIN,
    generator: GeneratorLike = None,
) -> torch.Tensor:
    """Fill ``weight`` from U(-a, a), a = gain · sqrt(3 / fan_in).

    Examples
    --------
    >>> W = he_uniform_(torch.empty(300, 500), generator=0)
    >>> bool(W.abs().max() <= math.sqrt(6 / 500))
    True
    """
    fan_in, _ = fans(weight)
    return _fill_uniform(weight, gain / math.sqrt(fan_in), generator)


# -- initializers for net.apply ----------------------------------------------


def _for_linear(
    fill: Callable[[torch.Tensor], object],
) -> Callable[[nn.Module], None]:
    def init(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            fill(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)

    return init


def xavier_normal(
    gain: float = 1.0, *, generator: GeneratorLike = None
) -> Callable[[nn.Module], None]:
    """An initializer for ``net.apply``: :func:`xavier_normal_`, bias 0.

    Layers drawn one after another share one generator, so
    ``generator=0`` makes the whole network reproducible.

    Examples
    --------
    >>> net = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 1))
    >>> _ = net.apply(xavier_normal(5 / 3, generator=0))
    >>> float(net[0].bias.detach().abs().sum())
    0.0
    """
    g = normalize_generator(generator)
    return _for_linear(lambda W: xavier_normal_(W, gain, g))


def xavier_uniform(
    gain: float = 1.0, *, generator: GeneratorLike = None
) -> Callable[[nn.Module], None]:
    """An initializer for ``net.apply``: :func:`xavier_uniform_`, bias 0."""
    g = normalize_generator(generator)
    return _for_linear(lambda W: xavier_uniform_(W, gain, g))


def he_normal(
    gain: float = RELU_GAIN, *, generator: GeneratorLike = None
) -> Callable[[nn.Module], None]:
    """An initializer for ``net.apply``: :func:`he_normal_`, bias 0.

    Examples
    --------
    >>> net = nn.Sequential(nn.Linear(400, 400), nn.ReLU())
    >>> _ = net.apply(he_normal(generator=0))
    >>> round(float(net[0].weight.detach().var() * 400), 1)
    2.0
    """
    g = normalize_generator(generator)
    return _for_linear(lambda W: he_normal_(W, gain, g))


def he_uniform(
    gain: float = RELU_GAIN, *, generator: GeneratorLike = None
) -> Callable[[nn.Module], None]:
    """An initializer for ``net.apply``: :func:`he_uniform_`, bias 0."""
    g = normalize_generator(generator)
    return _for_linear(lambda W: he_uniform_(W, gain, g))


def init_normal(
    std: float, *, generator: GeneratorLike = None
) -> Callable[[nn.Module], None]:
    """An initializer for ``net.apply``: weights N(0, std²), whatever the
    layer's size (the fixed-variance scheme Xavier and He replace); bias 0.

    Examples
    --------
    >>> net = nn.Linear(1000, 100).apply(init_normal(0.1, generator=0))
    >>> round(float(net.weight.detach().std()), 2)
    0.1
    """
    std = float(std)
    if not std >= 0:
        raise ValueError(f"std must be >= 0, got {std}")
    g = normalize_generator(generator)
    return _for_linear(lambda W: _fill_normal(W, std, g))


def init_constant(value: float) -> Callable[[nn.Module], None]:
    """An initializer for ``net.apply``: every weight ``value``, bias 0.

    Every hidden unit of a layer then computes the same function: the
    symmetry that random initialization breaks.

    Examples
    --------
    >>> net = nn.Linear(2, 3).apply(init_constant(0.5))
    >>> net.weight.tolist()
    [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]]
    """
    value = float(value)
    return _for_linear(lambda W: nn.init.constant_(W, value))


# -- a training hook ---------------------------------------------------------


class LayerStats(Callback):
    """Record per-layer statistics of every ``nn.Linear`` during training.

    After the backward pass of every ``every``-th step it records, for the
    ``i``-th ``nn.Linear`` of the network (in ``net.modules()`` order,
    counted from 0),

    * ``act_var_i`` -- the variance of the layer's output on the
      minibatch (the pre-activations of the next nonlinearity);
    * ``grad_var_i`` -- the variance of the entries of its weight
      gradient,

    in ``history.steps``. Forward hooks collect the outputs while the
    network trains (evaluation passes are ignored) and are removed when
    training ends.

    Examples
    --------
    >>> stats = LayerStats(every=10)
    >>> stats.layers
    []
    """

    def __init__(self, every: int = 1) -> None:
        self.every = check_int(every, "every", min_value=1)
        self.layers: list[nn.Linear] = []
        self._outputs: dict[int, float] = {}
        self._handles: list = []

    def _hook(self, i: int) -> Callable:
        def hook(module, inputs, output) -> None:
            if module.training:
                self._outputs[i] = float(output.detach().var())

        return hook

    def on_train_begin(self, state: TrainState) -> None:
        if not isinstance(state.net, nn.Module):
            raise TypeError(
                "LayerStats finds the layers of an nn.Module; got "
                f"{type(state.net).__name__}: build the model with nn.Linear"
            )
        self._remove()
        self.layers = [
            m for m in state.net.modules() if isinstance(m, nn.Linear)
        ]
        if not self.layers:
            raise ValueError("LayerStats: the network has no nn.Linear layer")
        self._handles = [
            m.register_forward_hook(self._hook(i))
            for i, m in enumerate(self.layers)
        ]

    def on_after_backward(self, state: TrainState) -> None:
        if state.step % self.every:
            return
        values = {}
        for i, layer in enumerate(self.layers):
            values[f"act_var_{i}"] = self._outputs[i]
            grad = layer.weight.grad
            values[f"grad_var_{i}"] = (
                math.nan if grad is None else float(grad.var())
            )
        state.history.log_step(**values)

    def on_train_end(self, state: TrainState) -> None:
        self._remove()

    def _remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []
        self._outputs = {}
