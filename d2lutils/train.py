"""The book's one training loop, and the record it returns.

:func:`train` takes the model, the training data, the loss, the updater
and the number of epochs; it trains and returns a :class:`History`. It
accepts

* a ``torch.optim.Optimizer``, or a from-scratch ``updater(batch_size)``
  that expects the gradient of the loss *summed* over the minibatch
  (``d2l.sgd`` divides by the batch size);
* a loss that returns one value per example (``reduction="none"``) or
  their mean;
* evaluation sets, ``eval_iters={"test": test_iter}``, measured after every
  epoch (loss and every metric, as ``test_loss``, ``test_acc``, ...);
* metrics such as ``{"acc": d2l.accuracy}``, each a function
  ``metric(y_hat, y)`` returning a *sum* over the minibatch (the number
  correct), recorded as a mean per example;
* callbacks (:mod:`d2lutils.callbacks`) for whatever a section adds:
  schedules, early stopping, statistics, a live plot.

Per epoch the history records ``train_loss`` and ``train_<metric>``,
averaged over the epoch's minibatches as they were trained (the d2l
convention). To measure the whole training set with the parameters at the
end of each epoch instead, pass it as an evaluation set named ``"train"``.
Per step it records the minibatch's mean ``loss``.

:func:`train_ch3` and :func:`train_epoch_ch3` are the names *Dive into
Deep Learning* readers know, kept as thin calls of :func:`train`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Callable, Optional, Union

import torch
from torch import nn

from .callbacks import Animate, Callback, TrainState
from .core import check_int
from .data import get_fashion_mnist_labels
from .plot import show_images
from .scratch import accuracy

__all__ = [
    "Accumulator",
    "History",
    "Timer",
    "evaluate",
    "evaluate_accuracy",
    "predict_ch3",
    "train",
    "train_ch3",
    "train_epoch_ch3",
]

Updater = Union[torch.optim.Optimizer, Callable[[int], None]]


class History:
    """What a training run recorded: per-epoch and per-step series.

    ``history.epochs`` maps a name (``"train_loss"``, ``"test_acc"``, ...)
    to one value per epoch; ``history.steps`` maps a name (``"loss"``,
    ``"lr"``, ...) to one value per recorded step. A per-epoch series is
    also an attribute: ``history.test_acc[-1]`` is the last test accuracy.

    Examples
    --------
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
        last = ", ".join(
            f"{k} {v[-1]:.4g}" for k, v in self.epochs.items() if v
        )
        return f"History({n} epoch{'s' if n != 1 else ''}: {last})"


class Accumulator:
    """Running sums of ``n`` quantities.

    Examples
    --------
    >>> m = Accumulator(2); m.add(1, 2); m.add(3, 4); m[0], m[1]
    (4.0, 6.0)
    """

    def __init__(self, n: int) -> None:
        n = check_int(n, "n")
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


# -- checks -------------------------------------------------------------------


def _check_updater(updater) -> None:
    if not (isinstance(updater, torch.optim.Optimizer) or callable(updater)):
        raise TypeError(
            "updater must be a torch.optim.Optimizer or a function "
            f"updater(batch_size), got {type(updater).__name__}"
        )


def _check_reiterable(data: Any, name: str, passes: int) -> None:
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
    if metrics is None:
        return {}
    if not isinstance(metrics, Mapping):
        raise TypeError(
            "metrics must be a dict name -> function, e.g. "
            f"{{'acc': d2l.accuracy}}; got {type(metrics).__name__}"
        )
    for name, fn in metrics.items():
        if not callable(fn):
            raise TypeError(f"metric {name!r} is not a function")
        if name == "loss":
            raise ValueError("'loss' is recorded anyway; name it otherwise")
    return dict(metrics)


def _loss_sum(l: torch.Tensor, n: int) -> torch.Tensor:
    """The minibatch loss summed over examples (a mean loss is scaled)."""
    return l.sum() if l.ndim > 0 else l * n


# -- evaluation ---------------------------------------------------------------


def evaluate(
    net: Callable,
    data_iter: Iterable,
    loss: Optional[Callable] = None,
    metrics: Optional[Mapping[str, Callable]] = None,
) -> dict[str, float]:
    """Mean loss and metrics of ``net`` over ``data_iter``, per example.

    The model is put in evaluation mode (``net.eval()``) while it is
    measured, and back in the mode it was in afterwards.

    Examples
    --------
    >>> net = nn.Linear(2, 1)
    >>> data = [(torch.zeros(4, 2), torch.zeros(4, 1))]
    >>> sorted(evaluate(net, data, nn.MSELoss()))
    ['loss']
    """
    metrics = _check_metrics(metrics)
    was_training = isinstance(net, nn.Module) and net.training
    if isinstance(net, nn.Module):
        net.eval()
    sums = dict.fromkeys(["loss", *metrics], 0.0)
    count = 0
    try:
        with torch.no_grad():
            for X, y in data_iter:
                y_hat = net(X)
                n = len(y)
                if loss is not None:
                    sums["loss"] += float(_loss_sum(loss(y_hat, y), n))
                for name, fn in metrics.items():
                    sums[name] += float(fn(y_hat, y))
                count += n
    finally:
        if was_training:
            net.train()
    if count == 0:
        raise ValueError("data_iter yielded no examples")
    if loss is None:
        del sums["loss"]
    return {name: total / count for name, total in sums.items()}


def evaluate_accuracy(net: Callable, data_iter: Iterable) -> float:
    """Fraction of correct predictions of ``net`` over ``data_iter``."""
    return evaluate(net, data_iter, metrics={"acc": accuracy})["acc"]


# -- the loop -----------------------------------------------------------------


def _call(callbacks: Sequence[Callback], moment: str, state) -> None:
    for cb in callbacks:
        getattr(cb, moment)(state)


def train(
    net: Callable,
    train_iter: Iterable,
    loss: Callable,
    updater: Updater,
    num_epochs: int,
    *,
    eval_iters: Optional[Mapping[str, Iterable]] = None,
    metrics: Optional[Mapping[str, Callable]] = None,
    callbacks: Sequence[Callback] = (),
) -> History:
    """Train ``net`` for ``num_epochs`` epochs; return a :class:`History`.

    Parameters
    ----------
    net : an ``nn.Module`` or a function ``X -> y_hat``.
    train_iter : minibatches ``(X, y)``, iterated once per epoch (it must
        be re-iterable, e.g. :func:`d2lutils.load_array`).
    loss : ``loss(y_hat, y)``, per example or already averaged.
    updater : a ``torch.optim.Optimizer`` (stepped on the mean loss) or a
        function ``updater(batch_size)`` (called after ``backward()`` of
        the *summed* loss, as ``d2l.sgd`` expects).
    num_epochs : passes over ``train_iter`` (>= 1).
    eval_iters : ``{name: data}`` measured after each epoch, recorded as
        ``<name>_loss`` and ``<name>_<metric>``. A set named ``"train"``
        replaces the running training averages.
    metrics : ``{name: metric(y_hat, y)}``, each returning a sum over the
        minibatch, e.g. ``{"acc": d2l.accuracy}``.
    callbacks : :class:`~d2lutils.callbacks.Callback` objects.

    Examples
    --------
    >>> X = torch.linspace(-1, 1, 20).reshape(-1, 1); y = 2 * X + 1
    >>> net = nn.Linear(1, 1)
    >>> data = [(X[:10], y[:10]), (X[10:], y[10:])]
    >>> history = train(net, data, nn.MSELoss(),
    ...                 torch.optim.SGD(net.parameters(), lr=0.2), 300)
    >>> history.num_epochs, history.train_loss[-1] < 1e-6
    (300, True)
    """
    num_epochs = check_int(num_epochs, "num_epochs")
    if num_epochs <= 0:
        raise ValueError(f"num_epochs must be positive, got {num_epochs}")
    _check_updater(updater)
    metrics = _check_metrics(metrics)
    eval_iters = dict(eval_iters or {})
    _check_reiterable(train_iter, "train_iter", num_epochs)
    for name, data in eval_iters.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(
                f"evaluation set names must be identifiers, got {name!r}"
            )
        _check_reiterable(data, f"eval_iters[{name!r}]", num_epochs)
    callbacks = list(callbacks)
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(
                f"callbacks must be d2l.Callback objects, got "
                f"{type(cb).__name__}"
            )
    is_optimizer = isinstance(updater, torch.optim.Optimizer)
    history = History()
    state = TrainState(net, loss, updater, history, num_epochs)
    _call(callbacks, "on_train_begin", state)
    for epoch in range(1, num_epochs + 1):
        state.epoch = epoch
        _call(callbacks, "on_epoch_begin", state)
        if isinstance(net, nn.Module):
            net.train()
        sums = dict.fromkeys(["loss", *metrics], 0.0)
        count = 0
        for X, y in train_iter:
            state.X, state.y = X, y
            _call(callbacks, "on_step_begin", state)
            y_hat = net(X)
            n = len(y)
            l_sum = _loss_sum(loss(y_hat, y), n)
            if is_optimizer:
                updater.zero_grad()
                (l_sum / n).backward()
            else:
                l_sum.backward()
            state.y_hat = y_hat.detach()
            _call(callbacks, "on_after_backward", state)
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
            _call(callbacks, "on_step_end", state)
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
        _call(callbacks, "on_epoch_end", state)
        if state.stop:
            break
    _call(callbacks, "on_train_end", state)
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
    per epoch; with ``animate`` draws ``train_loss``, ``train_acc`` and
    ``test_acc`` as training goes (a live figure in Jupyter and Colab).
    """
    keys = ("train_loss", "train_acc", "test_acc")
    extra = [Animate(keys)] if animate else []
    return train(
        net,
        train_iter,
        loss,
        updater,
        num_epochs,
        eval_iters={"test": test_iter},
        metrics={"acc": accuracy},
        callbacks=[*extra, *callbacks],
    )


def train_epoch_ch3(
    net: Callable, train_iter: Iterable, loss: Callable, updater: Updater
) -> tuple[float, float]:
    """Train one epoch; return (mean training loss, training accuracy)."""
    history = train(
        net, train_iter, loss, updater, 1, metrics={"acc": accuracy}
    )
    return history.train_loss[0], history.train_acc[0]


def predict_ch3(net: Callable, test_iter: Iterable, n: int = 6):
    """Show the first ``n`` test images titled with true and predicted labels.

    Returns the axes of the image grid.
    """
    n = check_int(n, "n")
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    X, y = next(iter(test_iter))
    was_training = isinstance(net, nn.Module) and net.training
    if isinstance(net, nn.Module):
        net.eval()
    try:
        with torch.no_grad():
            preds = net(X[:n]).argmax(dim=1)
    finally:
        if was_training:
            net.train()
    trues = get_fashion_mnist_labels(y[:n])
    preds = get_fashion_mnist_labels(preds)
    titles = [f"{t}\n{p}" for t, p in zip(trues, preds)]
    k = min(n, len(X))
    return show_images(X[:k], 1, k, titles=titles)
