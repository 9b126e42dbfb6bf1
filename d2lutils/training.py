"""The book's one training loop, and the record it returns.

:func:`train` takes the model, the training data, the loss, the number of
epochs and the updater, in the order of d2l's ``train_ch3``, and returns a
:class:`History`. Per epoch it records ``train_loss`` and ``train_<metric>``
(``metrics={"acc": d2l.accuracy}``), averaged over the epoch's minibatches
as they were trained (the d2l convention), and the loss and metrics of
every evaluation set (``eval_iters={"test": test_iter}``: ``test_loss``,
``test_acc``; a set named ``"train"`` measures the whole training set at
the end of each epoch instead); per step, the minibatch's mean ``loss``.

The updater is a ``torch.optim.Optimizer``, stepped on the mean loss, or a
from-scratch ``updater(batch_size)`` that expects the gradient of the
*summed* loss (as ``d2l.sgd``). So the loss gives one value per example
(``reduction="none"``) or their mean; a summed loss is refused, as the
loop could not tell it from a mean. What a section adds is a callback
(:mod:`d2lutils.callbacks`). :func:`train_ch3` and :func:`train_epoch_ch3`
are d2l's names, thin calls of :func:`train`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Callable, Optional, Union

import torch
from torch import nn

from .callbacks import Animate, Callback, TrainState
from .core import check_int, eval_mode
from .scratch import accuracy

__all__ = [
    "History",
    "evaluate",
    "evaluate_accuracy",
    "train",
    "train_ch3",
    "train_epoch_ch3",
]

Updater = Union[torch.optim.Optimizer, Callable[[int], None]]


class History:
    """What a training run recorded: per-epoch and per-step series.

    ``history.epochs`` maps a name (``"train_loss"``, ``"test_acc"``) to
    one value per epoch, ``history.steps`` (``"loss"``, ``"lr"``) to one
    per recorded step; ``history.test_acc`` is ``history.epochs["test_acc"]``.

    >>> h = History()
    >>> h.log_epoch(train_loss=0.5, test_acc=0.8)
    >>> h.log_epoch(train_loss=0.4, test_acc=0.85)
    >>> h.train_loss, h.num_epochs
    ([0.5, 0.4], 2)
    >>> h
    History(2 epochs: train_loss 0.4, test_acc 0.85)
    """

    def __init__(self) -> None:
        self.epochs: dict[str, list[float]] = {}
        self.steps: dict[str, list[float]] = {}

    def log_epoch(self, **values: float) -> None:
        """Append one value to each named per-epoch series."""
        for name, value in values.items():
            self.epochs.setdefault(name, []).append(float(value))

    def log_step(self, **values: float) -> None:
        """Append one value to each named per-step series."""
        for name, value in values.items():
            self.steps.setdefault(name, []).append(float(value))

    @property
    def num_epochs(self) -> int:
        """Epochs recorded (the longest per-epoch series)."""
        return max((len(v) for v in self.epochs.values()), default=0)

    def __getitem__(self, name: str) -> list[float]:
        if name in self.epochs:
            return self.epochs[name]
        raise KeyError(
            f"no per-epoch record {name!r}; recorded: {sorted(self.epochs)}"
        )

    def __getattr__(self, name: str) -> list[float]:
        epochs = self.__dict__.get("epochs", {})
        if name in epochs:
            return epochs[name]
        raise AttributeError(
            f"History has no record {name!r}; per epoch: {sorted(epochs)}, "
            f"per step: {sorted(self.__dict__.get('steps', {}))}"
        )

    def __repr__(self) -> str:
        n = self.num_epochs
        if n == 0:
            return "History(0 epochs)"
        last = ", ".join(f"{k} {v[-1]:.4g}" for k, v in self.epochs.items())
        return f"History({n} epoch{'s' if n != 1 else ''}: {last})"


def _check_loss(loss: Callable) -> None:
    if getattr(loss, "reduction", None) == "sum":
        raise ValueError(
            "the loss has reduction='sum': the loop cannot tell how many "
            "examples it adds up, so the recorded loss and an optimizer's "
            "step would be batch_size times too large. Pass "
            "reduction='none' (one loss per example) or reduction='mean'"
        )


def _check_data(data: Any, name: str, passes: int) -> None:
    if not isinstance(data, Iterable):
        raise TypeError(
            f"{name} must yield minibatches (X, y), got {type(data).__name__}"
        )
    if passes > 1 and iter(data) is data:
        raise TypeError(
            f"{name} is a one-shot iterator ({type(data).__name__}): it "
            f"would be empty after the first of {passes} passes. Pass "
            "something that can be iterated again, e.g. "
            "d2l.load_array((X, y), batch_size) or a list of batches"
        )


def _check_metrics(metrics) -> dict[str, Callable]:
    if not isinstance(metrics, (Mapping, type(None))):
        raise TypeError(
            "metrics must be a dict name -> function, e.g. "
            f"{{'acc': d2l.accuracy}}; got {type(metrics).__name__}"
        )
    for name, fn in (metrics or {}).items():
        if not callable(fn):
            raise TypeError(f"metric {name!r} is not a function")
        if name == "loss":
            raise ValueError("'loss' is recorded anyway; name it otherwise")
    return dict(metrics or {})


def _loss_sum(l: torch.Tensor, n: int) -> torch.Tensor:
    """The minibatch loss summed over examples (a mean loss is scaled)."""
    return l.sum() if l.ndim > 0 else l * n


def evaluate(
    net: Callable,
    data_iter: Iterable,
    loss: Optional[Callable] = None,
    metrics: Optional[Mapping[str, Callable]] = None,
) -> dict[str, float]:
    """Mean loss and metrics of ``net`` over ``data_iter``, per example,
    in evaluation mode (:func:`~d2lutils.core.eval_mode`).

    >>> net = nn.Linear(2, 1)
    >>> data = [(torch.zeros(4, 2), torch.zeros(4, 1))]
    >>> sorted(evaluate(net, data, nn.MSELoss()))
    ['loss']
    """
    metrics = _check_metrics(metrics)
    if loss is not None:
        _check_loss(loss)
    sums = dict.fromkeys(["loss", *metrics], 0.0)
    count = 0
    with eval_mode(net):
        for X, y in data_iter:
            y_hat, n = net(X), len(y)
            if loss is not None:
                sums["loss"] += float(_loss_sum(loss(y_hat, y), n))
            for name, fn in metrics.items():
                sums[name] += float(fn(y_hat, y))
            count += n
    if count == 0:
        raise ValueError("data_iter yielded no examples")
    if loss is None:
        del sums["loss"]
    return {name: total / count for name, total in sums.items()}


def evaluate_accuracy(net: Callable, data_iter: Iterable) -> float:
    """Fraction of correct predictions of ``net`` over ``data_iter``.

    >>> data = [(torch.eye(4), torch.tensor([0, 1, 0, 3]))]
    >>> evaluate_accuracy(nn.Identity(), data)   # predicts 0, 1, 2, 3
    0.75
    """
    return evaluate(net, data_iter, metrics={"acc": accuracy})["acc"]


def train(
    net: Callable,
    train_iter: Iterable,
    loss: Callable,
    num_epochs: int,
    updater: Updater,
    *,
    eval_iters: Optional[Mapping[str, Iterable]] = None,
    metrics: Optional[Mapping[str, Callable]] = None,
    callbacks: Sequence[Callback] = (),
) -> History:
    """Train ``net`` for ``num_epochs`` epochs; return a :class:`History`.

    ``net`` is an ``nn.Module`` or a function ``X -> y_hat``;
    ``train_iter`` yields minibatches ``(X, y)`` once per epoch (so it is
    re-iterable, e.g. :func:`d2lutils.load_array`); ``loss`` is per example
    or averaged; ``metrics`` are sums over the minibatch; ``eval_iters``
    are measured after each epoch; ``callbacks`` are
    :class:`~d2lutils.callbacks.Callback` objects.

    >>> X = torch.linspace(-1, 1, 20).reshape(-1, 1); y = 2 * X + 1
    >>> net = nn.Linear(1, 1)
    >>> data = [(X[:10], y[:10]), (X[10:], y[10:])]
    >>> history = train(net, data, nn.MSELoss(), 300,
    ...                 torch.optim.SGD(net.parameters(), lr=0.2))
    >>> history.num_epochs, history.train_loss[-1] < 1e-6
    (300, True)
    """
    num_epochs = check_int(num_epochs, "num_epochs", min_value=1)
    is_optimizer = isinstance(updater, torch.optim.Optimizer)
    if not (is_optimizer or callable(updater)):
        raise TypeError(
            "updater must be a torch.optim.Optimizer or a function "
            f"updater(batch_size), got {type(updater).__name__}"
        )
    _check_loss(loss)
    metrics = _check_metrics(metrics)
    eval_iters = dict(eval_iters or {})
    _check_data(train_iter, "train_iter", num_epochs)
    for name, data in eval_iters.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(
                f"evaluation set names must be identifiers, got {name!r}"
            )
        _check_data(data, f"eval_iters[{name!r}]", num_epochs)
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(
                f"callbacks must be d2l.Callback objects, got "
                f"{type(cb).__name__}"
            )
    history = History()
    state = TrainState(net, loss, updater, history, num_epochs)

    def call(moment: str) -> None:
        for cb in callbacks:
            getattr(cb, moment)(state)

    call("on_train_begin")
    for epoch in range(1, num_epochs + 1):
        state.epoch = epoch
        call("on_epoch_begin")
        if isinstance(net, nn.Module):
            net.train()
        sums = dict.fromkeys(["loss", *metrics], 0.0)
        count = 0
        for X, y in train_iter:
            state.X, state.y = X, y
            call("on_step_begin")
            y_hat, n = net(X), len(y)
            l_sum = _loss_sum(loss(y_hat, y), n)
            if is_optimizer:  # it steps on the mean loss
                updater.zero_grad()
                (l_sum / n).backward()
            else:  # updater(n) divides by n itself
                l_sum.backward()
            state.y_hat = y_hat.detach()
            call("on_after_backward")
            if is_optimizer:
                updater.step()
            else:
                updater(n)
            batch_sum = float(l_sum.detach())
            state.batch_loss = batch_sum / n
            history.log_step(loss=state.batch_loss)
            sums["loss"] += batch_sum
            for name, fn in metrics.items():
                sums[name] += float(fn(state.y_hat, y))
            count += n
            call("on_step_end")
            state.step += 1
            if state.stop:
                break
        if count == 0:
            raise ValueError(
                f"train_iter yielded no examples in epoch {epoch}"
            )
        records = {}
        if "train" not in eval_iters:
            records = {f"train_{k}": v / count for k, v in sums.items()}
        for name, data in eval_iters.items():
            for key, value in evaluate(net, data, loss, metrics).items():
                records[f"{name}_{key}"] = value
        history.log_epoch(**records)
        call("on_epoch_end")
        if state.stop:
            break
    call("on_train_end")
    return history


def train_ch3(
    net: Callable,
    train_iter: Iterable,
    test_iter: Iterable,
    loss: Callable,
    num_epochs: int,
    updater: Updater,
    *,
    animate: bool = True,
    callbacks: Sequence[Callback] = (),
) -> History:
    """d2l's classifier training: :func:`train` with accuracy and a test set.

    Records ``train_loss``, ``train_acc``, ``test_loss`` and ``test_acc``
    per epoch and, with ``animate``, draws all but ``test_loss`` live.

    >>> data = [(torch.eye(2), torch.tensor([0, 1]))]
    >>> net = nn.Linear(2, 2)
    >>> h = train_ch3(net, data, data, nn.CrossEntropyLoss(), 100,
    ...               torch.optim.SGD(net.parameters(), lr=1), animate=False)
    >>> h.test_acc[-1]
    1.0
    """
    keys = ("train_loss", "train_acc", "test_acc")
    extra = [Animate(keys)] if animate else []
    return train(
        net,
        train_iter,
        loss,
        num_epochs,
        updater,
        eval_iters={"test": test_iter},
        metrics={"acc": accuracy},
        callbacks=[*extra, *callbacks],
    )


def train_epoch_ch3(
    net: Callable, train_iter: Iterable, loss: Callable, updater: Updater
) -> tuple[float, float]:
    """Train one epoch; return (mean training loss, training accuracy).

    >>> net, data = nn.Linear(2, 2), [(torch.eye(2), torch.tensor([0, 1]))]
    >>> updater = torch.optim.SGD(net.parameters(), lr=1)
    >>> loss, acc = train_epoch_ch3(net, data, nn.CrossEntropyLoss(), updater)
    >>> loss > 0, acc in (0.0, 0.5, 1.0)
    (True, True)
    """
    metrics = {"acc": accuracy}
    history = train(net, train_iter, loss, 1, updater, metrics=metrics)
    return history.train_loss[0], history.train_acc[0]
