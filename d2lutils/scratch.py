"""The from-scratch pieces of the first sections, for later sections to reuse.

The linear-regression and softmax sections write :func:`linreg`,
:func:`squared_loss`, :func:`sgd`, :func:`accuracy` and :class:`Accumulator`
in the open; later sections import them from here (``tests/`` checks that
the notebook copies and these agree). :class:`SGDUpdater` is :func:`sgd` as
the loop's ``updater(batch_size)``, with a rate a schedule can change.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from .core import check_int, check_lr, check_tensors

__all__ = [
    "Accumulator",
    "SGDUpdater",
    "accuracy",
    "linreg",
    "sgd",
    "squared_loss",
]


def linreg(X: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The linear model ``X w + b``.

    >>> linreg(torch.ones(2, 3), torch.ones(3, 1), torch.tensor(0.5))
    tensor([[3.5000],
            [3.5000]])
    """
    if X.ndim != 2 or X.shape[1] != w.shape[0]:
        raise ValueError(
            f"X must be (n, d) and w (d, 1): got X {tuple(X.shape)}, "
            f"w {tuple(w.shape)}"
        )
    return X @ w + b


def squared_loss(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Half the squared error per example, ``(y_hat - y)**2 / 2``, with
    ``y`` reshaped to ``y_hat``'s shape (labels often come as ``(n,)``).

    >>> squared_loss(torch.tensor([[1.0], [3.0]]), torch.tensor([0.0, 1.0]))
    tensor([[0.5000],
            [2.0000]])
    """
    if y.numel() != y_hat.numel():
        raise ValueError(
            f"y_hat {tuple(y_hat.shape)} and y {tuple(y.shape)} hold "
            "different numbers of values"
        )
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params: Iterable[torch.Tensor], lr: float, batch_size: int) -> None:
    """One minibatch SGD step: ``param -= lr * param.grad / batch_size``.

    The loss was *summed* over the minibatch before ``backward()``, so
    dividing by ``batch_size`` gives the mean gradient; the gradients are
    zeroed afterwards. A bad call (any argument or gradient) raises before
    any parameter changes.

    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> (3 * w).sum().backward()
    >>> sgd([w], lr=0.1, batch_size=1); w
    tensor([0.7000], requires_grad=True)
    """
    params = check_tensors(params, "params")
    lr = check_lr(lr)
    batch_size = check_int(batch_size, "batch_size", min_value=1)
    for i, param in enumerate(params):
        if param.grad is None:
            raise RuntimeError(
                f"params[{i}] (shape {tuple(param.shape)}) has no gradient: "
                "give it requires_grad=True and call loss.backward() before "
                "sgd; no parameter was changed"
            )
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


class SGDUpdater:
    """``updater(batch_size)`` for the loop: :func:`sgd` on ``params``,
    at the rate ``updater.lr`` (which :class:`~d2lutils.callbacks.LRSchedule`
    can change between steps).

    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> updater = SGDUpdater([w], lr=0.5)
    >>> (2 * w).sum().backward(); updater(1); w
    tensor([0.], requires_grad=True)
    """

    def __init__(self, params: Iterable[torch.Tensor], lr: float) -> None:
        self.params = check_tensors(params, "params")
        self.lr = check_lr(lr)

    def __call__(self, batch_size: int) -> None:
        sgd(self.params, self.lr, batch_size)

    def __repr__(self) -> str:
        return f"SGDUpdater({len(self.params)} tensors, lr={self.lr:g})"


def accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """The *number* of correct predictions (as in d2l), not the fraction;
    ``y_hat`` holds scores ``(n, q)`` or predicted labels ``(n,)``.

    >>> accuracy(torch.tensor([[0.1, 0.9], [0.8, 0.2]]), torch.tensor([1, 1]))
    1.0
    """
    if y_hat.ndim == 2 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(dim=1)
    y_hat = y_hat.reshape(-1)
    if y_hat.shape[0] != y.reshape(-1).shape[0]:
        raise ValueError(
            f"{y_hat.shape[0]} predictions but {y.numel()} labels"
        )
    return float((y_hat.type(y.dtype) == y.reshape(-1)).sum())


class Accumulator:
    """Running sums of ``n`` quantities (d2l's from-scratch bookkeeping).

    >>> m = Accumulator(2); m.add(1, 2); m.add(3, 4); m[0], m[1]
    (4.0, 6.0)
    """

    def __init__(self, n: int) -> None:
        self.data = [0.0] * check_int(n, "n", min_value=1)

    def add(self, *args: float) -> None:
        if len(args) != len(self.data):
            raise ValueError(
                f"expected {len(self.data)} values, got {len(args)}"
            )
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self) -> None:
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx: int) -> float:
        return self.data[idx]
