"""Scratch versus concise: train two implementations side by side.

Pairs of sections build a model twice (from scratch and with ``torch.nn``,
or with a hand-written backward pass and with autograd) and claim it is
the same model. :func:`train_twins` checks it: both start from the same
parameters, read the same minibatches in the same order, are trained with
:func:`d2lutils.training.train`, and keep their parameters of every epoch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Callable, Optional

import torch

from .callbacks import Callback
from .core import check_int
from .data import ArrayLoader
from .training import History, train

__all__ = ["Twin", "TwinRun", "train_twins"]


@dataclass
class Twin:
    """One side of a comparison: ``net``, ``loss`` and ``updater`` as for
    :func:`~d2lutils.training.train`, the ``callbacks`` of its run, and
    ``params()``, the current parameters in the layout both twins share
    (``nn.Linear`` keeps ``W`` transposed: ``lambda: [net.weight.T, ...]``).
    """

    net: Callable
    loss: Callable
    updater: Any
    params: Callable[[], Sequence[torch.Tensor]]
    callbacks: Sequence[Callback] = ()


@dataclass
class TwinRun:
    """The two :class:`~d2lutils.training.History` records, the first
    twin's parameters at the ``start`` and, for each twin, its parameters
    after each epoch (``epochs``)."""

    histories: tuple[History, History]
    start: list[torch.Tensor]
    epochs: tuple[list[list[torch.Tensor]], list[list[torch.Tensor]]]

    @property
    def ends(self) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """The two twins' parameters after training."""
        return self.epochs[0][-1], self.epochs[1][-1]

    @property
    def max_diff(self) -> list[float]:
        """Largest absolute difference between the twins, per parameter."""
        return [float((p - q).abs().max()) for p, q in zip(*self.ends)]

    @property
    def moved(self) -> list[float]:
        """How far training moved the first twin, per parameter (max abs)."""
        ends, start = self.ends[0], self.start
        return [float((p - s).abs().max()) for p, s in zip(ends, start)]

    @property
    def max_step_loss_diff(self) -> float:
        """Largest difference of the minibatch losses, step by step."""
        a, b = (h.steps["loss"] for h in self.histories)
        return max(abs(x - y) for x, y in zip(a, b))

    def __repr__(self) -> str:
        diffs = ", ".join(f"{d:.2g}" for d in self.max_diff)
        moved = ", ".join(f"{m:.2g}" for m in self.moved)
        return f"TwinRun(max |difference| [{diffs}]; moved [{moved}])"


class _Snapshots(Callback):
    def __init__(self, twin: Twin) -> None:
        self.twin, self.epochs = twin, []

    def on_epoch_end(self, state) -> None:
        self.epochs.append(_params(self.twin, "twin"))


def _params(twin: Twin, which: str) -> list[torch.Tensor]:
    params = twin.params()
    if isinstance(params, torch.Tensor):
        raise TypeError(
            f"{which}.params() must return a list of tensors, got a tensor"
        )
    return [p.detach().clone() for p in params]


def train_twins(
    first: Twin,
    second: Twin,
    data: Sequence[torch.Tensor],
    *,
    batch_size: int,
    num_epochs: int = 1,
    seed: int = 0,
    second_seed: Optional[int] = None,
    eval_iters: Optional[Mapping[str, Iterable]] = None,
    metrics: Optional[Mapping[str, Callable]] = None,
) -> TwinRun:
    """Train two twins on the same minibatches; return a :class:`TwinRun`.

    ``first`` and ``second`` must hold the same starting parameters
    (checked). ``data`` are the tensors to make minibatches from, e.g.
    ``(X, y)``; ``seed`` seeds both loaders' shuffling, ``second_seed`` the
    second's instead (to show that the comparison notices another order);
    ``eval_iters`` and ``metrics`` are as for
    :func:`~d2lutils.training.train`, for both.

    >>> from torch import nn
    >>> X, y = torch.randn(40, 3), torch.randn(40, 1)
    >>> a, b = nn.Linear(3, 1), nn.Linear(3, 1)
    >>> b.load_state_dict(a.state_dict())
    <All keys matched successfully>
    >>> twin = lambda net: Twin(net, nn.MSELoss(),
    ...     torch.optim.SGD(net.parameters(), lr=0.1),
    ...     lambda: [net.weight, net.bias])
    >>> run = train_twins(twin(a), twin(b), (X, y), batch_size=8)
    >>> max(run.max_diff)
    0.0
    """
    check_int(batch_size, "batch_size", min_value=1)
    check_int(num_epochs, "num_epochs", min_value=1)
    start, start_b = _params(first, "first"), _params(second, "second")
    if [p.shape for p in start] != [q.shape for q in start_b]:
        raise ValueError(
            "the twins' params() differ in number or shape: "
            f"{[tuple(p.shape) for p in start]} vs "
            f"{[tuple(q.shape) for q in start_b]}; return them in a shared "
            "layout (nn.Linear keeps W transposed: use weight.T)"
        )
    for i, (p, q) in enumerate(zip(start, start_b)):
        if not torch.equal(p.to(q.dtype), q):
            raise ValueError(
                f"the twins start from different parameters (params()[{i}] "
                f"differs by {float((p.to(q.dtype) - q).abs().max()):.3g}); "
                "copy one twin's parameters into the other first"
            )
    histories, epochs = [], []
    seeds = (seed, seed if second_seed is None else second_seed)
    for twin, s in zip((first, second), seeds):
        snapshots = _Snapshots(twin)
        history = train(
            twin.net,
            ArrayLoader(data, batch_size, generator=s),
            twin.loss,
            num_epochs,
            twin.updater,
            eval_iters=eval_iters,
            metrics=metrics,
            callbacks=[*twin.callbacks, snapshots],
        )
        histories.append(history)
        epochs.append(snapshots.epochs)
    return TwinRun((histories[0], histories[1]), start, (epochs[0], epochs[1]))
