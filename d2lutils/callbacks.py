"""Hooks for the training loop: what varies from section to section.

:func:`d2lutils.training.train` is the book's one training loop. What a
section needs on top of it -- a learning-rate schedule, early stopping, a
statistic recorded every step, a live plot -- is a *callback*: an object
whose methods the loop calls at fixed moments, in the manner of Keras
callbacks and fastai's ``Callback`` events::

    on_train_begin
      on_epoch_begin
        on_step_begin          (the minibatch is in state.X, state.y)
        on_after_backward      (gradients are in .grad; not yet applied)
        on_step_end            (parameters updated; state.batch_loss set)
      on_epoch_end             (this epoch's records are in state.history)
    on_train_end

Every method receives the same :class:`TrainState`. A callback may record
values (``state.history.log_step(...)`` / ``log_epoch(...)``), change the
learning rate (:func:`set_lr`) or stop training (``state.stop = True``).

The callbacks here:

* :class:`LRSchedule` -- set the learning rate before every step from a
  function of the step number, e.g. :func:`cosine_schedule`;
* :class:`EarlyStopping` -- stop when a monitored record stops improving
  and restore the best parameters;
* :class:`Record` -- record any statistic (per step, after the backward
  pass, or per epoch);
* :class:`LayerStats` -- record the variance of every ``nn.Linear``
  layer's output and weight gradient, every step;
* :class:`Animate` -- draw chosen records as training goes.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Callable, Optional

import torch
from torch import nn

from .core import check_int

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

    Attributes
    ----------
    net, loss, updater : as passed to :func:`~d2lutils.training.train`.
    history : the :class:`~d2lutils.training.History` being filled.
    num_epochs : the number of epochs asked for.
    epoch : the current epoch, counted from 1.
    step : during a step, its index in this run (from 0); between steps
        (e.g. at the end of an epoch), the number of steps done.
    X, y : the current minibatch.
    y_hat : the model's output on it (detached), after the forward pass.
    batch_loss : the mean loss on the minibatch, after the step.
    stop : set it to True to end training (after the current step).
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


# -- learning rate -----------------------------------------------------------


def set_lr(updater: Any, lr: float) -> None:
    """Set the learning rate of an optimizer or a from-scratch updater.

    A ``torch.optim.Optimizer`` gets ``lr`` in every parameter group; an
    updater with an ``lr`` attribute (:class:`~d2lutils.scratch.SGDUpdater`)
    gets it there.

    Examples
    --------
    >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    >>> set_lr(opt, 0.05); opt.param_groups[0]["lr"]
    0.05
    """
    lr = float(lr)
    if not math.isfinite(lr) or lr < 0:
        raise ValueError(f"learning rate must be finite and >= 0, got {lr}")
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

    Examples
    --------
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

    ``step`` counts the minibatch steps of this training run from 0, so a
    run started again (re-running a notebook cell) starts the schedule
    again. The rate used at each step is recorded as ``history.steps["lr"]``.

    Examples
    --------
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


# -- early stopping ----------------------------------------------------------


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs.

    After every epoch the callback reads the last value of the per-epoch
    record ``monitor`` (e.g. ``"valid_loss"``, from an evaluation set named
    ``"valid"``). A value better than the best so far by more than
    ``min_delta`` is an improvement, and the parameters are copied. After
    ``patience`` epochs without one, training stops; with ``restore_best``
    the best parameters are put back at the end.

    A value that is not finite (``nan``, or ``inf`` from an overflow) means
    training diverged: it stops at once, with a warning, and the best
    parameters, if any epoch had a finite value, are restored. If none had,
    there is nothing to restore, and the end of training raises
    ``FloatingPointError``.

    Parameters
    ----------
    monitor : the per-epoch record to watch.
    patience : epochs without improvement before stopping (>= 1).
    mode : ``"min"`` (losses) or ``"max"`` (accuracies).
    min_delta : the smallest change that counts as an improvement.
    restore_best : put the best parameters back when training ends.
    params : for a from-scratch model (a function, not an ``nn.Module``),
        the list of parameter tensors to save and restore.

    Attributes
    ----------
    best_epoch, best_value : where and what the best value was.
    stopped_epoch : the epoch after which training stopped (None if it
        ran all epochs).
    stop_reason : why it stopped, in words.

    Examples
    --------
    >>> es = EarlyStopping("valid_loss", patience=3)
    >>> es.best_epoch is None
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
        # (with patience 0 it would stop after every epoch that does not
        # improve on the best, i.e. always)
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
        self.best_epoch: Optional[int] = None
        self.best_value: Optional[float] = None
        self.stopped_epoch: Optional[int] = None
        self.stop_reason: Optional[str] = None
        self._saved, self._wait = None, 0

    def on_train_begin(self, state: TrainState) -> None:
        self._reset()
        if self.params is None and not isinstance(state.net, nn.Module):
            raise TypeError(
                "EarlyStopping needs to save the parameters of "
                f"{type(state.net).__name__}, which is not an nn.Module: "
                "pass params=[W1, b1, ...]"
            )

    def _improved(self, value: float) -> bool:
        if self.best_value is None:
            return True
        if self.mode == "min":
            return value < self.best_value - self.min_delta
        return value > self.best_value + self.min_delta

    def _stop(self, state: TrainState, reason: str) -> None:
        self.stopped_epoch, self.stop_reason = state.epoch, reason
        state.stop = True

    def on_epoch_end(self, state: TrainState) -> None:
        records = state.history.epochs
        if self.monitor not in records:
            raise KeyError(
                f"EarlyStopping monitors {self.monitor!r}, but the loop "
                f"records {sorted(records)}; pass e.g. "
                "eval_iters={'valid': valid_iter} to record 'valid_loss'"
            )
        value = records[self.monitor][-1]
        if not math.isfinite(value):
            self._stop(
                state,
                f"{self.monitor} is {value} at epoch {state.epoch}: "
                "training diverged (try a smaller learning rate)",
            )
            warnings.warn(self.stop_reason, RuntimeWarning, stacklevel=2)
        elif self._improved(value):
            self.best_epoch, self.best_value = state.epoch, value
            self._wait = 0
            if self.params is None:
                self._saved = copy.deepcopy(state.net.state_dict())
            else:
                self._saved = [p.detach().clone() for p in self.params]
        else:
            self._wait += 1
            if self._wait >= self.patience:
                self._stop(
                    state,
                    f"{self.monitor} has not improved on epoch "
                    f"{self.best_epoch}'s {self.best_value:.4g} for "
                    f"{self.patience} epochs",
                )

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
        else:
            with torch.no_grad():
                for p, saved in zip(self.params, self._saved):
                    p.copy_(saved)


# -- recording ---------------------------------------------------------------

_WHEN = ("step_end", "after_backward", "epoch_end")


class Record(Callback):
    """Record statistics: ``Record(name=fn, ...)``, ``fn(state) -> number``.

    With ``when="step_end"`` (default) the values go to
    ``history.steps[name]`` after every step; ``"after_backward"`` records
    them between the backward pass and the update, while the gradients are
    still in ``.grad``; ``"epoch_end"`` records per epoch, in
    ``history.epochs[name]``. A function may also return a dict
    ``{suffix: number}``, recorded as ``name_suffix`` (one record per
    layer, say). ``every`` records only every ``every``-th step.

    Examples
    --------
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
        if when != self.when:
            return
        if when != "epoch_end" and state.step % self.every:
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
    """Record per-layer statistics of every ``nn.Linear`` during training.

    After the backward pass of every ``every``-th step it records, for the
    ``i``-th ``nn.Linear`` of the network (in ``net.modules()`` order,
    counted from 0), in ``history.steps``:

    * ``act_var_i`` -- the variance of the layer's output on the minibatch
      (the pre-activations of the next nonlinearity);
    * ``grad_var_i`` -- the variance of the entries of its weight gradient.

    Forward hooks collect the outputs during training steps (evaluation
    passes are ignored) and are removed when training ends. A layer the
    step did not use gets ``nan`` for both.

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

        def hook(i: int) -> Callable:
            def record(module, inputs, output) -> None:
                if module.training:
                    self._outputs[i] = float(output.detach().var())

            return record

        self._handles = [
            m.register_forward_hook(hook(i)) for i, m in enumerate(self.layers)
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


# -- live plot ---------------------------------------------------------------


class Animate(Callback):
    """Draw per-epoch records as training goes (see ``d2l.Animator``).

    In Jupyter and Colab the figure updates in place after every epoch; in
    a script it is drawn when training ends (``plt.show()`` shows it).

    Parameters
    ----------
    keys : the records to draw, e.g. ``("train_loss", "test_acc")``;
        default: every per-epoch record.
    **kwargs : passed on to :class:`~d2lutils.plotting.Animator` (``ylim``,
        ``yscale``, ``figsize``, ...).
    """

    def __init__(
        self, keys: Optional[Sequence[str]] = None, **kwargs: Any
    ) -> None:
        if isinstance(keys, str):
            keys = (keys,)
        self.keys = None if keys is None else tuple(keys)
        self.kwargs = kwargs
        self.animator = None

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
            kwargs = {
                "xlabel": "epoch",
                "xlim": (1, max(state.num_epochs, 2)),
                "legend": [k.replace("_", " ") for k in keys],
            }
            kwargs.update(self.kwargs)
            self.animator = Animator(**kwargs)
        self.animator.add(state.epoch, [records[k][-1] for k in keys])
