"""Hooks for the training loop: what varies from section to section.

What a section adds to the book's one loop, :func:`d2lutils.training.train`
(a schedule, early stopping, a statistic, a live plot), is a *callback*,
whose methods the loop calls at fixed moments, as Keras callbacks and
fastai's ``Callback`` events::

    on_train_begin
      on_epoch_begin
        on_step_begin          (the minibatch is in state.X, state.y)
        on_after_backward      (gradients are in .grad; not yet applied)
        on_step_end            (parameters updated; state.batch_loss set)
      on_epoch_end             (this epoch's records are in state.history)
    on_train_end

Every method receives the same :class:`TrainState`; a callback may
record values (``state.history.log_step(...)``), change the learning rate
(:func:`set_lr`) or stop training (``state.stop = True``). Here:
:class:`LRSchedule` (e.g. :func:`cosine_schedule`), :class:`EarlyStopping`,
:class:`Record` (any statistic), :class:`LayerStats` (per-layer variances)
and :class:`Animate` (a live plot).
"""

from __future__ import annotations

import copy
import functools
import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Callable, Optional

import torch
from torch import nn

from .core import check_int, check_lr

__all__ = [
    "Animate",
    "Callback",
    "EarlyStopping",
    "LRSchedule",
    "LayerStats",
    "Record",
    "TrainState",
    "cosine_schedule",
    "set_lr",
]


@dataclass
class TrainState:
    """What the loop shares with its callbacks.

    ``net``, ``loss``, ``updater`` and ``num_epochs`` are those of the run
    and ``history`` the :class:`~d2lutils.training.History` it fills;
    ``epoch`` counts from 1; ``step`` is, during a step, its index in this
    run (from 0) and, between steps, the number of steps done. ``X``, ``y``
    are the minibatch, ``y_hat`` the output on it (detached, after the
    forward pass), ``batch_loss`` its mean loss (after the step). Setting
    ``stop`` ends training after the current step.
    """

    net: Any
    loss: Any
    updater: Any
    history: Any
    num_epochs: int
    epoch: int = 0
    step: int = 0
    X: Optional[torch.Tensor] = None
    y: Optional[torch.Tensor] = None
    y_hat: Optional[torch.Tensor] = None
    batch_loss: Optional[float] = None
    stop: bool = False


class Callback:
    """Base class: override the moments you need; the others do nothing."""

    def on_train_begin(self, state: TrainState) -> None: ...
    def on_epoch_begin(self, state: TrainState) -> None: ...
    def on_step_begin(self, state: TrainState) -> None: ...
    def on_after_backward(self, state: TrainState) -> None: ...
    def on_step_end(self, state: TrainState) -> None: ...
    def on_epoch_end(self, state: TrainState) -> None: ...
    def on_train_end(self, state: TrainState) -> None: ...


def set_lr(updater: Any, lr: float) -> None:
    """Set the learning rate of an optimizer (every parameter group) or
    of an updater with an attribute ``lr`` (``d2l.SGDUpdater``).

    >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    >>> set_lr(opt, 0.05); opt.param_groups[0]["lr"]
    0.05
    """
    lr = check_lr(lr)
    if isinstance(updater, torch.optim.Optimizer):
        for group in updater.param_groups:
            group["lr"] = lr
    elif hasattr(updater, "lr"):
        updater.lr = lr
    else:
        raise TypeError(
            f"cannot set the learning rate of {type(updater).__name__}: a "
            "plain function updater(batch_size) keeps its rate inside; use "
            "d2l.SGDUpdater(params, lr) or a torch.optim optimizer"
        )


def cosine_schedule(lr: float, num_steps: int) -> Callable[[int], float]:
    """``t -> lr / 2 * (1 + cos(pi t / num_steps))``, from ``lr`` down to 0.

    >>> f = cosine_schedule(0.5, 4)
    >>> [round(f(t), 4) for t in range(4)]
    [0.5, 0.4268, 0.25, 0.0732]
    """
    num_steps = check_int(num_steps, "num_steps", min_value=1)

    def schedule(t: int) -> float:
        return lr * (1 + math.cos(math.pi * t / num_steps)) / 2

    return schedule


class LRSchedule(Callback):
    """Set the learning rate before each step to ``schedule(step)``.

    ``step`` counts the steps of this run from 0 (a cell run again starts
    the schedule again); the rates go to ``history.steps["lr"]``.

    >>> cb = LRSchedule(cosine_schedule(0.5, 100))
    """

    def __init__(self, schedule: Callable[[int], float]) -> None:
        if not callable(schedule):
            raise TypeError(
                "schedule must be a function step -> learning rate, e.g. "
                f"d2l.cosine_schedule(lr, num_steps); got "
                f"{type(schedule).__name__}"
            )
        self.schedule = schedule

    def on_step_begin(self, state: TrainState) -> None:
        lr = self.schedule(state.step)
        set_lr(state.updater, lr)
        state.history.log_step(lr=float(lr))


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs.

    After every epoch it reads the per-epoch record ``monitor`` (e.g.
    ``"valid_loss"``, of an evaluation set named ``"valid"``); a value
    better than the best by more than ``min_delta`` (lower with ``mode``
    ``"min"``, higher with ``"max"``) is an improvement, and the parameters
    (``params`` of a from-scratch model, else the ``nn.Module``'s) are
    copied, to be put back at the end with ``restore_best``. A value that is
    not finite (an overflow) stops training at once with a warning, and
    with ``FloatingPointError`` if no epoch had a finite one. ``best_epoch``,
    ``best_value``, ``stopped_epoch`` and ``stop_reason`` say what happened.

    >>> EarlyStopping("valid_loss", patience=3).best_epoch is None
    True
    """

    def __init__(
        self,
        monitor: str = "valid_loss",
        patience: int = 5,
        *,
        mode: str = "min",
        min_delta: float = 0.0,
        restore_best: bool = True,
        params: Optional[Iterable[torch.Tensor]] = None,
    ) -> None:
        self.patience = check_int(patience, "patience", min_value=1)
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if not float(min_delta) >= 0:
            raise ValueError(f"min_delta must be >= 0, got {min_delta}")
        if not isinstance(monitor, str):
            raise TypeError(f"monitor must be a record name, got {monitor!r}")
        self.monitor, self.mode, self.min_delta = monitor, mode, min_delta
        self.restore_best = restore_best
        self.params = None if params is None else list(params)
        self._reset()

    def _reset(self) -> None:
        self.best_epoch = self.best_value = None
        self.stopped_epoch = self.stop_reason = None
        self._saved, self._wait = None, 0

    def on_train_begin(self, state: TrainState) -> None:
        self._reset()
        if self.params is None and not isinstance(state.net, nn.Module):
            raise TypeError(
                "EarlyStopping needs to save the parameters of "
                f"{type(state.net).__name__}, which is not an nn.Module: "
                "pass params=[W1, b1, ...]"
            )

    def on_epoch_end(self, state: TrainState) -> None:
        records = state.history.epochs
        if self.monitor not in records:
            raise KeyError(
                f"EarlyStopping monitors {self.monitor!r}, but the loop "
                f"records {sorted(records)}; pass e.g. "
                "eval_iters={'valid': valid_iter} to record 'valid_loss'"
            )
        value, best = records[self.monitor][-1], self.best_value
        gain = (1 if self.mode == "min" else -1) * ((best or 0) - value)
        if not math.isfinite(value):
            reason = (
                f"{self.monitor} is {value} at epoch {state.epoch}: "
                "training diverged (try a smaller learning rate)"
            )
            warnings.warn(reason, RuntimeWarning, stacklevel=2)
        elif best is None or gain > self.min_delta:
            self.best_epoch, self.best_value = state.epoch, value
            self._wait = 0
            self._saved = (
                copy.deepcopy(state.net.state_dict())
                if self.params is None
                else [p.detach().clone() for p in self.params]
            )
            return
        else:
            self._wait += 1
            if self._wait < self.patience:
                return
            reason = (
                f"{self.monitor} has not improved on epoch {self.best_epoch}"
                f"'s {best:.4g} for {self.patience} epochs"
            )
        self.stopped_epoch, self.stop_reason = state.epoch, reason
        state.stop = True

    def on_train_end(self, state: TrainState) -> None:
        if self._saved is None and self.stopped_epoch is not None:
            raise FloatingPointError(
                f"{self.monitor} was not finite from the first epoch on, so "
                "there are no good parameters to restore: training "
                "diverged; lower the learning rate"
            )
        if self._saved is None or not self.restore_best:
            return
        if self.params is None:
            state.net.load_state_dict(self._saved)
            return
        with torch.no_grad():
            for p, saved in zip(self.params, self._saved):
                p.copy_(saved)


_WHEN = ("step_end", "after_backward", "epoch_end")


class Record(Callback):
    """Record statistics: ``Record(name=fn, ...)``, ``fn(state) -> number``
    (or a dict ``{suffix: number}``, recorded as ``name_suffix``).

    ``when`` is ``"step_end"`` (``history.steps[name]``, after every
    ``every``-th step), ``"after_backward"`` (the same, while the gradients
    are in ``.grad``) or ``"epoch_end"`` (``history.epochs[name]``).

    >>> rec = Record(batch_size=lambda s: len(s.y))
    """

    def __init__(
        self,
        *,
        when: str = "step_end",
        every: int = 1,
        **fns: Callable[[TrainState], Any],
    ) -> None:
        if when not in _WHEN:
            raise ValueError(f"when must be one of {_WHEN}, got {when!r}")
        if not fns:
            raise ValueError(
                "give at least one statistic, e.g. "
                "Record(grad_norm=lambda state: ...)"
            )
        for name, fn in fns.items():
            if not callable(fn):
                raise TypeError(f"{name} must be a function of the state")
        self.when, self.fns = when, fns
        self.every = check_int(every, "every", min_value=1)

    def _record(self, state: TrainState, when: str) -> None:
        if when != self.when or (
            when != "epoch_end" and state.step % self.every
        ):
            return
        values = {}
        for name, fn in self.fns.items():
            out = fn(state)
            items = out.items() if isinstance(out, dict) else [(None, out)]
            for key, v in items:
                v = v.detach() if isinstance(v, torch.Tensor) else v
                values[name if key is None else f"{name}_{key}"] = float(v)
        if when == "epoch_end":
            state.history.log_epoch(**values)
        else:
            state.history.log_step(**values)

    def on_after_backward(self, state: TrainState) -> None:
        self._record(state, "after_backward")

    def on_step_end(self, state: TrainState) -> None:
        self._record(state, "step_end")

    def on_epoch_end(self, state: TrainState) -> None:
        self._record(state, "epoch_end")


class LayerStats(Callback):
    """The variances of every ``nn.Linear``'s output and weight gradient.

    After the backward pass of every ``every``-th step it records, for the
    ``i``-th ``nn.Linear`` (in ``net.modules()`` order, from 0),
    ``act_var_i``, the variance of its output on the minibatch (the next
    nonlinearity's input), and ``grad_var_i``, that of its weight
    gradient's entries, in ``history.steps``; ``nan`` for a layer the step
    did not use. Forward hooks, removed when training ends, see training
    passes only.

    >>> LayerStats(every=10).layers  # found when training begins
    []
    """

    def __init__(self, every: int = 1) -> None:
        self.every = check_int(every, "every", min_value=1)
        self.layers: list[nn.Linear] = []
        self._outputs: dict[int, float] = {}
        self._handles: list = []

    def on_train_begin(self, state: TrainState) -> None:
        if not isinstance(state.net, nn.Module):
            raise TypeError(
                "LayerStats finds the layers of an nn.Module; got "
                f"{type(state.net).__name__}: build the model with nn.Linear"
            )
        self.on_train_end(state)
        self.layers = [
            m for m in state.net.modules() if isinstance(m, nn.Linear)
        ]
        if not self.layers:
            raise ValueError("LayerStats: the network has no nn.Linear layer")

        def record(i: int, module: nn.Module, inputs, output) -> None:
            if module.training:
                self._outputs[i] = float(output.detach().var())

        self._handles = [
            m.register_forward_hook(functools.partial(record, i))
            for i, m in enumerate(self.layers)
        ]

    def on_step_begin(self, state: TrainState) -> None:
        self._outputs = {}  # this step's, not a stale one of an earlier step

    def on_after_backward(self, state: TrainState) -> None:
        if state.step % self.every:
            return
        values = {}
        for i, layer in enumerate(self.layers):
            used = i in self._outputs and layer.weight.grad is not None
            values[f"act_var_{i}"] = self._outputs[i] if used else math.nan
            values[f"grad_var_{i}"] = (
                layer.weight.grad.var() if used else math.nan
            )
        state.history.log_step(**values)

    def on_train_end(self, state: TrainState) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles, self._outputs = [], {}


_WORDS = {"acc": "accuracy"}  # a record's measure, as the y-axis names it


class Animate(Callback):
    """Draw per-epoch records as training goes.

    In Jupyter and Colab the figure updates in place after every epoch; in
    a script it is drawn when training ends (``plt.show()`` shows it).
    ``keys`` names the records (default: all); the y-axis is labelled with
    what they measure (``"loss / accuracy"`` for ``train_loss`` and
    ``test_acc``). Keyword arguments go to
    :class:`~d2lutils.plotting.Animator` (``ylabel``, ``yscale``, ...).

    >>> Animate("train_loss", yscale="log").keys
    ('train_loss',)
    """

    def __init__(
        self, keys: Optional[Sequence[str]] = None, **kwargs: Any
    ) -> None:
        if isinstance(keys, str):
            keys = (keys,)
        self.keys = None if keys is None else tuple(keys)
        self.kwargs, self.animator = kwargs, None

    def on_train_begin(self, state: TrainState) -> None:
        self.animator = None

    def on_epoch_end(self, state: TrainState) -> None:
        from .plotting import Animator

        records = state.history.epochs
        keys = self.keys or tuple(records)
        missing = [k for k in keys if k not in records]
        if missing:
            raise KeyError(
                f"Animate: no per-epoch record {missing}; the loop records "
                f"{sorted(records)}"
            )
        if self.animator is None:
            measures = dict.fromkeys(k.split("_", 1)[-1] for k in keys)
            self.animator = Animator(
                **{
                    "xlabel": "epoch",
                    "ylabel": " / ".join(_WORDS.get(m, m) for m in measures),
                    "xlim": (1, max(state.num_epochs, 2)),
                    "legend": [k.replace("_", " ") for k in keys],
                    **self.kwargs,
                }
            )
        self.animator.add(state.epoch, [records[k][-1] for k in keys])
