"""Model selection: K-fold splits, polynomial features, a regression loop.

The model-selection section fits polynomials of several degrees to the same
data and asks which degree to keep. Three small pieces do the work:

* :func:`k_fold` splits ``num_examples`` indices into ``k`` folds and returns,
  for each fold, the indices to train on and the indices to validate on.
  Every example is validated exactly once and fold sizes differ by at most
  one, also when ``k`` does not divide ``num_examples``.
* :func:`polynomial_features` turns inputs ``x`` into the columns
  ``x**i / i!`` for ``i = 0, ..., degree``; dividing by ``i!`` keeps high
  powers from swamping the gradient.
* :func:`train_regression` trains a model with minibatch SGD and returns a
  :class:`RegressionHistory` of the mean training and test loss per epoch,
  the record the section plots on a log scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn

from .core import GeneratorLike, normalize_generator
from .data import load_array

__all__ = [
    "RegressionHistory",
    "k_fold",
    "polynomial_features",
    "train_regression",
]


def _check_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(
            f"{name} must be an int, got {type(value).__name__}"
        )
    return value


def k_fold(
    num_examples: int,
    k: int,
    *,
    shuffle: bool = True,
    generator: GeneratorLike = None,
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Split ``range(num_examples)`` into ``k`` folds for cross-validation.

    Fold ``i`` is the ``i``-th validation set; the other ``k - 1`` folds
    form its training set. When ``k`` does not divide ``num_examples``, the
    first ``num_examples % k`` folds get one example more, so fold sizes
    differ by at most one.

    Parameters
    ----------
    num_examples : how many examples there are (``n >= k``).
    k : number of folds, ``2 <= k <= num_examples``.
    shuffle : permute the indices before cutting them into folds; without
        it fold ``i`` is a contiguous block.
    generator : ``None``, an int seed or a ``torch.Generator``.

    Returns
    -------
    A list of ``k`` pairs ``(train_idx, valid_idx)`` of int64 tensors.

    Examples
    --------
    >>> folds = k_fold(5, 2, shuffle=False)
    >>> [(t.tolist(), v.tolist()) for t, v in folds]
    [([3, 4], [0, 1, 2]), ([0, 1, 2], [3, 4])]
    """
    _check_int(num_examples, "num_examples")
    _check_int(k, "k")
    if num_examples < 1:
        raise ValueError(
            f"num_examples must be positive, got {num_examples}"
        )
    if k < 2:
        raise ValueError(
            f"k-fold cross-validation needs k >= 2 folds, got k={k}; "
            "with one fold there is nothing left to train on"
        )
    if k > num_examples:
        raise ValueError(
            f"k={k} folds cannot be cut from {num_examples} examples: "
            f"choose k <= {num_examples}"
        )
    if shuffle:
        order = torch.randperm(
            num_examples, generator=normalize_generator(generator)
        )
    else:
        order = torch.arange(num_examples)
    fold_size, extra = divmod(num_examples, k)
    folds, start = [], 0
    for i in range(k):
        stop = start + fold_size + (1 if i < extra else 0)
        valid_idx = order[start:stop]
        train_idx = torch.cat([order[:start], order[stop:]])
        folds.append((train_idx, valid_idx))
        start = stop
    return folds


def polynomial_features(x: torch.Tensor, degree: int) -> torch.Tensor:
    """The columns ``x**i / i!`` for ``i = 0, 1, ..., degree``.

    Parameters
    ----------
    x : tensor of shape ``(n,)`` or ``(n, 1)``.
    degree : the highest power, ``>= 0``.

    Returns
    -------
    Tensor of shape ``(n, degree + 1)``; column 0 is all ones.

    Examples
    --------
    >>> polynomial_features(torch.tensor([2.0]), 3)
    tensor([[1.0000, 2.0000, 2.0000, 1.3333]])
    """
    _check_int(degree, "degree")
    if degree < 0:
        raise ValueError(f"degree must be >= 0, got {degree}")
    x = torch.as_tensor(x)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x.reshape(-1)
    if x.ndim != 1:
        raise ValueError(
            "x must hold one input per example, shape (n,) or (n, 1); got "
            f"{tuple(x.shape)}"
        )
    if not x.is_floating_point():
        x = x.float()
    powers = torch.arange(degree + 1, dtype=x.dtype)
    factorials = torch.tensor(
        [math.factorial(i) for i in range(degree + 1)], dtype=x.dtype
    )
    return x.reshape(-1, 1) ** powers / factorials


@dataclass
class RegressionHistory:
    """Mean training and test loss after each epoch (index 0 is epoch 1)."""

    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)

    def __repr__(self) -> str:
        if not self.train_loss:
            return "RegressionHistory(0 epochs)"
        return (
            f"RegressionHistory({len(self.train_loss)} epochs: "
            f"train loss {self.train_loss[-1]:.4g}, "
            f"test loss {self.test_loss[-1]:.4g})"
        )


def _mean_loss(net, loss, X, y) -> float:
    with torch.no_grad():
        return float(loss(net(X), y.reshape(-1, 1)).mean())


def train_regression(
    net: nn.Module,
    train_data: tuple[torch.Tensor, torch.Tensor],
    test_data: tuple[torch.Tensor, torch.Tensor],
    loss: Callable,
    num_epochs: int,
    updater: torch.optim.Optimizer,
    *,
    batch_size: int = 10,
    generator: GeneratorLike = None,
) -> RegressionHistory:
    """Minibatch SGD on ``train_data``; record both losses every epoch.

    Parameters
    ----------
    net : a model mapping ``(n, d)`` features to ``(n, 1)`` predictions.
    train_data, test_data : pairs ``(X, y)``; ``y`` of shape ``(n,)`` or
        ``(n, 1)``.
    loss : e.g. ``nn.MSELoss()``; a per-example loss
        (``reduction="none"``) is averaged.
    num_epochs : passes over the training data.
    updater : a ``torch.optim.Optimizer`` over ``net``'s parameters.
    batch_size : minibatch size; capped at the number of training examples.
    generator : ``None``, an int seed or a ``torch.Generator`` for the
        minibatch order.

    Returns
    -------
    A :class:`RegressionHistory` with the mean loss over the whole training
    set and the whole test set after each epoch.

    Examples
    --------
    >>> X = torch.linspace(-1, 1, 20).reshape(-1, 1); y = 2 * X + 1
    >>> net = nn.Linear(1, 1)
    >>> history = train_regression(
    ...     net, (X, y), (X, y), nn.MSELoss(), 200,
    ...     torch.optim.SGD(net.parameters(), lr=0.1), generator=0)
    >>> history.train_loss[-1] < 1e-6
    True
    """
    _check_int(num_epochs, "num_epochs")
    if num_epochs <= 0:
        raise ValueError(f"num_epochs must be positive, got {num_epochs}")
    if not isinstance(updater, torch.optim.Optimizer):
        raise TypeError(
            "updater must be a torch.optim.Optimizer, e.g. "
            "torch.optim.SGD(net.parameters(), lr=0.01); got "
            f"{type(updater).__name__}"
        )
    X_train, y_train = train_data
    X_test, y_test = test_data
    y_train, y_test = y_train.reshape(-1, 1), y_test.reshape(-1, 1)
    batch_size = min(_check_int(batch_size, "batch_size"), len(X_train))
    train_iter = load_array(
        (X_train, y_train), batch_size, generator=generator
    )
    history = RegressionHistory()
    for _ in range(num_epochs):
        for X, y in train_iter:
            updater.zero_grad()
            loss(net(X), y).mean().backward()
            updater.step()
        history.train_loss.append(_mean_loss(net, loss, X_train, y_train))
        history.test_loss.append(_mean_loss(net, loss, X_test, y_test))
    return history
