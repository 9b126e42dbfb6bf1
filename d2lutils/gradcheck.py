"""Gradient checks: is a hand-written backward pass right?

:func:`grad_check` compares hand-computed gradients with a reference and
returns a :class:`GradReport`, the relative error of each one::

    d2l.grad_check(grads, params, loss_fn, ["W1", "b1"]).assert_below(1e-12)

The reference is **autograd** (``torch.autograd`` on ``loss_fn``, exact up
to rounding) or **finite differences**, ``(J(p + eps) - J(p - eps)) /
(2 eps)`` entry by entry, which need only the loss (and float64: their
error is about ``eps**2 + 1e-16 |J| / eps``). :func:`relative_error` takes
the error over the whole tensor, ``max|a - b| / max(max|a|, max|b|)``: an
entry-by-entry ratio (cs231n's ``rel_error``) blows up on entries that are
zero up to rounding, as many are behind a ReLU.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Callable, Optional

import torch

from .core import check_tensors

__all__ = ["GradReport", "grad_check", "relative_error"]

LossFn = Callable[[list[torch.Tensor]], torch.Tensor]


@dataclass(frozen=True)
class GradReport:
    """The relative error of each gradient against the ``reference``.

    ``errors[i]`` belongs to ``names[i]`` (``inf`` if the gradient is not
    finite); ``worst`` is the largest.

    >>> GradReport(("W", "b"), (1e-16, 0.5), "autograd").worst
    0.5
    """

    names: tuple[str, ...]
    errors: tuple[float, ...]
    reference: str = "reference"

    @property
    def worst(self) -> float:
        return max(self.errors, default=0.0)

    def assert_below(self, tol: float) -> GradReport:
        """Raise ``AssertionError`` naming every gradient above ``tol``."""
        if not float(tol) > 0:
            raise ValueError(f"tol must be > 0, got {tol}")
        pairs = zip(self.names, self.errors)
        bad = [f"{n} {e:.3g}" for n, e in pairs if not e <= tol]
        if bad:
            raise AssertionError(
                f"gradients differ from {self.reference} by more than "
                f"{float(tol):g} (relative error): {', '.join(bad)}"
            )
        return self

    def __repr__(self) -> str:
        if not self.errors:
            return f"GradReport(vs {self.reference}: no parameters)"
        pairs = zip(self.names, self.errors)
        errors = ", ".join(f"{n} {e:.2g}" for n, e in pairs)
        worst = self.names[self.errors.index(self.worst)]
        return (
            f"GradReport(vs {self.reference}: {errors}; worst "
            f"{self.worst:.2g} ({worst}))"
        )


def relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    """``max|a - b| / max(max|a|, max|b|)``, in float64: 0.0 for two zero
    tensors, ``inf`` if either is not finite (so every tolerance fails).

    >>> relative_error(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.5]))
    0.2
    """
    a = torch.as_tensor(a).detach().double()
    b = torch.as_tensor(b).detach().double()
    if a.shape != b.shape:
        raise ValueError(
            f"a has shape {tuple(a.shape)} and b {tuple(b.shape)}: compare "
            "tensors of the same shape"
        )
    if not (torch.isfinite(a).all() and torch.isfinite(b).all()):
        return math.inf
    scale = max(float(a.abs().max()), float(b.abs().max())) if a.numel() else 0
    return float((a - b).abs().max()) / scale if scale > 0 else 0.0


def _loss(loss_fn: LossFn, params: list[torch.Tensor]) -> torch.Tensor:
    value = torch.as_tensor(loss_fn(params))
    if value.numel() != 1:
        raise ValueError(
            f"loss_fn must return a scalar, got shape {tuple(value.shape)}: "
            "reduce the per-example losses with .mean() or .sum()"
        )
    return value.reshape(())


def _autograd_grads(loss_fn: LossFn, params: Sequence[torch.Tensor]):
    """The gradients of ``loss_fn(params)`` by autograd, on copies."""
    copies = [p.detach().clone().requires_grad_(True) for p in params]
    with torch.enable_grad():
        loss = _loss(loss_fn, copies)
        if not loss.requires_grad:
            raise ValueError(
                "loss_fn's result does not depend on the parameters it "
                "was given: compute the loss from its argument, not from "
                "tensors captured outside"
            )
        grads = torch.autograd.grad(loss, copies, allow_unused=True)
    return [
        torch.zeros_like(p) if g is None else g for p, g in zip(copies, grads)
    ]


def _numerical_grads(loss_fn: LossFn, params, eps: float):
    """Centered differences of ``loss_fn(params)``, entry by entry."""
    if not (math.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a finite number > 0, got {eps}")
    for i, p in enumerate(params):
        if p.dtype != torch.float64:
            raise TypeError(
                f"params[{i}] is {p.dtype}: finite differences need float64 "
                "(in float32 rounding swamps the derivative); pass "
                "[p.double() for p in params]"
            )
    # contiguous copies: .view(-1) then reaches every entry, also of W.T
    fmt = torch.contiguous_format
    copies = [p.detach().clone(memory_format=fmt) for p in params]
    grads = []
    with torch.no_grad():
        for p in copies:
            flat, g = p.view(-1), torch.zeros(p.numel(), dtype=p.dtype)
            for i in range(p.numel()):
                old = float(flat[i])
                flat[i] = old + eps
                plus = float(_loss(loss_fn, copies))
                flat[i] = old - eps
                minus = float(_loss(loss_fn, copies))
                flat[i] = old
                g[i] = (plus - minus) / (2 * eps)
            grads.append(g.reshape(p.shape))
    return grads


def grad_check(
    manual: Sequence[torch.Tensor],
    params: Sequence[torch.Tensor],
    loss_fn: LossFn,
    names: Optional[Sequence[str]] = None,
    *,
    method: str = "autograd",
    eps: float = 1e-6,
) -> GradReport:
    """Compare ``manual`` with the true gradients of ``loss_fn(params)``.

    ``manual`` and ``params`` are lists of tensors, one per parameter, in
    the same order (``params`` is left untouched); ``loss_fn(list) ->
    scalar`` must compute the loss from its argument. ``names`` label the
    report (default ``params[i]``); ``method`` is ``"autograd"`` or
    ``"finite differences"`` (float64 only, step ``eps``).

    >>> w = torch.tensor([1.0, -2.0], dtype=torch.float64)
    >>> half_square = lambda ps: (ps[0] ** 2).sum() / 2   # gradient w
    >>> grad_check([w.clone()], [w], half_square, ["w"])
    GradReport(vs autograd: w 0; worst 0 (w))
    >>> grad_check([2 * w], [w], half_square, ["w"]).worst   # a slip
    0.5
    >>> grad_check([w.clone()], [w], half_square, ["w"],
    ...            method="finite differences").worst < 1e-9
    True
    """
    manual = check_tensors(manual, "manual")
    params = check_tensors(params, "params")
    if names is None:
        names = [f"params[{i}]" for i in range(len(params))]
    if not len(manual) == len(params) == len(names):
        raise ValueError(
            f"{len(manual)} hand-computed gradients, {len(params)} "
            f"parameters and {len(names)} names: give one of each per "
            "parameter, in the same order"
        )
    if method == "autograd":
        reference = _autograd_grads(loss_fn, params)
    elif method == "finite differences":
        reference = _numerical_grads(loss_fn, params, float(eps))
    else:
        raise ValueError(
            "method must be 'autograd' or 'finite differences', got "
            f"{method!r}"
        )
    for name, a, b in zip(names, manual, reference):
        if a.shape != b.shape:
            flipped = a.ndim == 2 and a.shape == b.shape[::-1]
            hint = ": transposed?" if flipped else ""
            raise ValueError(
                f"gradient of {name} has shape {tuple(a.shape)}, its "
                f"reference {tuple(b.shape)}{hint}"
            )
    errors = tuple(relative_error(a, b) for a, b in zip(manual, reference))
    return GradReport(tuple(map(str, names)), errors, method)
