"""Training: the from-scratch pieces of chapter 3 and its training loop.

The linear-regression and softmax sections write :func:`linreg`,
:func:`squared_loss`, :func:`sgd` and :func:`accuracy` in the open; later
sections import them from here (``tests/`` checks that the copies agree).

:func:`train_ch3` is a plain function: it takes the model, the data, the
loss and the updater, trains, and returns a :class:`TrainHistory` of what
happened. It accepts either a ``torch.optim.Optimizer`` or a from-scratch
updater ``updater(batch_size)``, and a loss that returns one value per
example (``reduction="none"``) or their mean.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Callable, Union

import torch
from torch import nn

from .data import get_fashion_mnist_labels
from .plot import Animator, show_images

__all__ = [
    "Accumulator",
    "Timer",
    "TrainHistory",
    "accuracy",
    "evaluate_accuracy",
    "linreg",
    "predict_ch3",
    "sgd",
    "squared_loss",
    "train_ch3",
    "train_epoch_ch3",
]

Updater = Union[torch.optim.Optimizer, Callable[[int], None]]


def linreg(X: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The linear model ``X w + b``.

    Examples
    --------
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
    """Half the squared error per example, ``(y_hat - y)**2 / 2``.

    ``y`` is reshaped to ``y_hat``'s shape (labels often come as ``(n,)``).

    Examples
    --------
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

    The loss must have been *summed* over the minibatch before
    ``backward()``, so dividing by ``batch_size`` gives the mean gradient.
    Gradients are zeroed afterwards.

    Examples
    --------
    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> (3 * w).sum().backward()
    >>> sgd([w], lr=0.1, batch_size=1); w
    tensor([0.7000], requires_grad=True)
    """
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    with torch.no_grad():
        for param in params:
            if param.grad is None:
                raise RuntimeError(
                    "a parameter has no gradient: give it "
                    "requires_grad=True and call loss.backward() before sgd"
                )
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """The *number* of correct predictions (as in d2l), not the fraction.

    ``y_hat`` holds scores ``(n, q)`` (the arg max is the prediction) or
    predicted labels ``(n,)``.

    Examples
    --------
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
    """Running sums of ``n`` quantities.

    Examples
    --------
    >>> m = Accumulator(2); m.add(1, 2); m.add(3, 4); m[0], m[1]
    (4.0, 6.0)
    """

    def __init__(self, n: int) -> None:
        if n <= 0:
            raise ValueError(f"Accumulator needs n >= 1, got {n}")
        self.data = [0.0] * n

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


class Timer:
    """Record several running times (also usable as ``with Timer() as t``).

    Examples
    --------
    >>> t = Timer(); _ = sum(range(1000)); t.stop() >= 0
    True
    """

    def __init__(self) -> None:
        self.times: list[float] = []
        self.start()

    def start(self) -> None:
        self.tik = time.perf_counter()

    def stop(self) -> float:
        self.times.append(time.perf_counter() - self.tik)
        return self.times[-1]

    def avg(self) -> float:
        return sum(self.times) / len(self.times)

    def sum(self) -> float:
        return sum(self.times)

    def cumsum(self) -> list[float]:
        out, total = [], 0.0
        for t in self.times:
            total += t
            out.append(total)
        return out

    def __enter__(self) -> Timer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def evaluate_accuracy(net: Callable, data_iter: Iterable) -> float:
    """Fraction of correct predictions of ``net`` over ``data_iter``."""
    was_training = isinstance(net, nn.Module) and net.training
    if isinstance(net, nn.Module):
        net.eval()
    metric = Accumulator(2)
    try:
        with torch.no_grad():
            for X, y in data_iter:
                metric.add(accuracy(net(X), y), y.numel())
    finally:
        if was_training:
            net.train()
    if metric[1] == 0:
        raise ValueError("data_iter yielded no examples")
    return metric[0] / metric[1]


def _check_updater(updater) -> None:
    if not (isinstance(updater, torch.optim.Optimizer) or callable(updater)):
        raise TypeError(
            "updater must be a torch.optim.Optimizer or a function "
            f"updater(batch_size), got {type(updater).__name__}"
        )


def train_epoch_ch3(
    net: Callable, train_iter: Iterable, loss: Callable, updater: Updater
) -> tuple[float, float]:
    """Train one epoch; return (mean training loss, training accuracy)."""
    _check_updater(updater)
    if isinstance(net, nn.Module):
        net.train()
    metric = Accumulator(3)  # sum of losses, number correct, examples
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        n = y.shape[0]
        # A loss with reduction="mean" gives one number; scale it to a sum.
        l_sum = l.sum() if l.ndim > 0 else l * n
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            (l_sum / n).backward()
            updater.step()
        else:
            l_sum.backward()
            updater(n)
        metric.add(float(l_sum.detach()), accuracy(y_hat.detach(), y), n)
    if metric[2] == 0:
        raise ValueError("train_iter yielded no examples")
    return metric[0] / metric[2], metric[1] / metric[2]


@dataclass
class TrainHistory:
    """Per-epoch record of a training run (index 0 is epoch 1)."""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    LEGEND = ("train loss", "train acc", "test acc")

    def __repr__(self) -> str:
        if not self.train_loss:
            return "TrainHistory(0 epochs)"
        return (
            f"TrainHistory({len(self.train_loss)} epochs: "
            f"train loss {self.train_loss[-1]:.4f}, "
            f"train acc {self.train_acc[-1]:.4f}, "
            f"test acc {self.test_acc[-1]:.4f})"
        )


def train_ch3(
    net: Callable,
    train_iter: Iterable,
    test_iter: Iterable,
    loss: Callable,
    num_epochs: int,
    updater: Updater,
    *,
    animate: bool = True,
) -> TrainHistory:
    """Train ``net`` for ``num_epochs``; return a :class:`TrainHistory`.

    With ``animate`` the loss and accuracies are drawn as training goes
    (a live figure in Jupyter/Colab; see :class:`~d2lutils.plot.Animator`).
    """
    if isinstance(num_epochs, bool) or not isinstance(num_epochs, int):
        raise TypeError("num_epochs must be an int")
    if num_epochs <= 0:
        raise ValueError(f"num_epochs must be positive, got {num_epochs}")
    _check_updater(updater)
    history = TrainHistory()
    animator = None
    if animate:
        animator = Animator(
            xlabel="epoch", xlim=(1, max(num_epochs, 2)),
            legend=list(TrainHistory.LEGEND),
        )  # fmt: skip
    for epoch in range(num_epochs):
        train_loss, train_acc = train_epoch_ch3(net, train_iter, loss, updater)
        test_acc = evaluate_accuracy(net, test_iter)
        history.train_loss.append(train_loss)
        history.train_acc.append(train_acc)
        history.test_acc.append(test_acc)
        if animator is not None:
            animator.add(epoch + 1, (train_loss, train_acc, test_acc))
    return history


def predict_ch3(net: Callable, test_iter: Iterable, n: int = 6):
    """Show the first ``n`` test images titled with true and predicted labels.

    Returns the axes of the image grid.
    """
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    X, y = next(iter(test_iter))
    if isinstance(net, nn.Module):
        net.eval()
    with torch.no_grad():
        preds = net(X[:n]).argmax(dim=1)
    trues = get_fashion_mnist_labels(y[:n])
    preds = get_fashion_mnist_labels(preds)
    titles = [f"{t}\n{p}" for t, p in zip(trues, preds)]
    k = min(n, len(X))
    return show_images(X[:k], 1, k, titles=titles)

