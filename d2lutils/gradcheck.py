"""Gradient checks: is a hand-written backward pass right?

A section that derives gradients by hand must show that they are the true
derivatives of its loss. :func:`grad_check` compares them with one of two
references and returns a :class:`GradReport`, the worst relative error of
each parameter's gradient::

    report = d2l.grad_check(grads, params, loss_fn, names=["W1", "b1"])
    report.assert_below(1e-12)

* **autograd** differentiates ``loss_fn`` with ``torch.autograd``, exact up
  to rounding;
* **finite differences** perturb one entry at a time,
  ``(J(p + eps) - J(p - eps)) / (2 eps)``, which needs nothing but the loss
  itself (and float64, or rounding swamps the derivative).

The relative error of a gradient ``a`` against a reference ``b`` is taken
over the whole tensor, ``max|a - b| / max(max|a|, max|b|)``: an
entry-by-entry ratio would blow up on entries that are zero up to
rounding, as many are behind a ReLU.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Callable, Optional

import torch

__all__ = ["GradReport", "grad_check"]

LossFn = Callable[[list[torch.Tensor]], torch.Tensor]


@dataclass(frozen=True)
class GradReport:
    """The worst relative error of each gradient against a reference.

    Attributes
    ----------
    names : the parameters' names, in order.
    errors : the relative error of each gradient (``inf`` if it holds a
        ``nan`` or an infinity).
    reference : what the gradients were compared with.
    """

    names: tuple[str, ...]
    errors: tuple[float, ...]
    reference: str = "reference"

    @property
    def worst(self) -> float:
        """The largest error over all parameters (0.0 if there are none)."""
        return max(self.errors, default=0.0)

    def assert_below(self, tol: float) -> GradReport:
        """Raise ``AssertionError`` naming every parameter above ``tol``.

        Returns the report itself, so that a check can be chained.
        """
        if not float(tol) > 0:
            raise ValueError(f"tol must be > 0, got {tol}")
        bad = [
            f"{n} {e:.3g}"
            for n, e in zip(self.names, self.errors)
            if not e <= tol
        ]
        if bad:
            raise AssertionError(
                f"gradients differ from {self.reference} by more than "
                f"{float(tol):g} (relative error): {', '.join(bad)}"
            )
        return self

    def __repr__(self) -> str:
        if not self.errors:
            return f"GradReport(vs {self.reference}: no parameters)"
        errors = ", ".join(
            f"{n} {e:.2g}" for n, e in zip(self.names, self.errors)
        )
        worst = self.names[self.errors.index(self.worst)]
        return (
            f"GradReport(vs {self.reference}: {errors}; worst "
            f"{self.worst:.2g} ({worst}))"
        )


def _relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    """``max|a - b| / max(max|a|, max|b|)`` in float64; 0 for two zeros,
    ``inf`` if either is not finite (so that every tolerance fails)."""
    a, b = a.detach().double(), b.detach().double()
    if not (torch.isfinite(a).all() and torch.isfinite(b).all()):
        return math.inf
    if a.numel() == 0:
        return 0.0
    scale = max(float(a.abs().max()), float(b.abs().max()))
    return float((a - b).abs().max()) / scale if scale > 0 else 0.0


def _scalar(value, where: str) -> torch.Tensor:
    value = torch.as_tensor(value)
    if value.numel() != 1:
        raise ValueError(
            f"loss_fn must return a scalar, got shape {tuple(value.shape)} "
            f"{where}: reduce the per-example losses with .mean() or .sum()"
        )
    return value.reshape(())


def _autograd_grads(loss_fn: LossFn, params: Sequence[torch.Tensor]):
    """The gradients of ``loss_fn(params)`` by autograd, on copies."""
    copies = [p.detach().clone().requires_grad_(True) for p in params]
    with torch.enable_grad():
        loss = _scalar(loss_fn(copies), "from loss_fn")
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


def _numerical_grads(loss_fn: LossFn, params: Sequence[torch.Tensor], eps):
    """Centered differences of ``loss_fn(params)``, entry by entry.

    The error is of order ``eps**2`` (truncation) plus ``1e-16 |J| / eps``
    (rounding in float64; in float32 that term alone is ``1e-7 / eps``).
    """
    if not (math.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a finite number > 0, got {eps}")
    for i, p in enumerate(params):
        if p.dtype != torch.float64:
            raise TypeError(
                f"params[{i}] is {p.dtype}: finite differences need float64 "
                "(in float32 rounding swamps the derivative); pass "
                "[p.double() for p in params]"
            )
    # contiguous copies, so that .view(-1) reaches every entry of a
    # transposed parameter too
    copies = [
        p.detach().clone(memory_format=torch.contiguous_format) for p in params
    ]
    grads = []
    with torch.no_grad():
        for p in copies:
            flat, g = p.view(-1), torch.zeros(p.numel(), dtype=p.dtype)
            for i in range(p.numel()):
                old = float(flat[i])
                flat[i] = old + eps
                plus = float(_scalar(loss_fn(copies), "at p + eps"))
                flat[i] = old - eps
                minus = float(_scalar(loss_fn(copies), "at p - eps"))
                flat[i] = old
                g[i] = (plus - minus) / (2 * eps)
            grads.append(g.reshape(p.shape))
    return grads


def _as_tensors(tensors, what: str) -> list[torch.Tensor]:
    if isinstance(tensors, (torch.Tensor, dict)):
        raise TypeError(
            f"{what} must be a list of tensors, one per parameter, got a "
            f"{type(tensors).__name__}: pass [g] for one tensor, "
            "list(d.values()) and names=list(d) for a dict"
        )
    tensors = list(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, torch.Tensor):
            raise TypeError(
                f"{what}[{i}] is a {type(t).__name__}, not a tensor"
            )
    return tensors


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

    Parameters
    ----------
    manual : the hand-computed gradients, one per parameter, in order.
    params : the parameters, a list of tensors (left untouched).
    loss_fn : ``loss_fn(list_of_params) -> scalar``; it must compute the
        loss from its argument.
    names : the parameters' names for the report (default ``params[i]``).
    method : ``"autograd"`` or ``"finite differences"`` (float64 only).
    eps : the step of the finite differences.

    Raises
    ------
    ValueError
        if the lists differ in length, or a gradient's shape differs from
        its reference's (a transposed shape is pointed out).

    Examples
    --------
    >>> w = torch.tensor([1.0, -2.0], dtype=torch.float64)
    >>> half_square = lambda ps: (ps[0] ** 2).sum() / 2   # gradient w
    >>> grad_check([w.clone()], [w], half_square, ["w"])
    GradReport(vs autograd: w 0; worst 0 (w))
    >>> grad_check([2 * w], [w], half_square, ["w"]).worst   # a slip
    0.5
    >>> grad_check([w.clone()], [w], half_square, ["w"],
    ...            method="finite differences").worst < 1e-9
    True
    >>> grad_check([w.reshape(2, 1)], [w], half_square, ["w"])
    Traceback (most recent call last):
    ...
    ValueError: gradient of w has shape (2, 1), its reference (2,)
    """
    manual = _as_tensors(manual, "manual")
    params = _as_tensors(params, "params")
    if len(manual) != len(params):
        raise ValueError(
            f"{len(manual)} hand-computed gradients for {len(params)} "
            "parameters: give one gradient per parameter, in the same order"
        )
    names = (
        [f"params[{i}]" for i in range(len(params))]
        if names is None
        else names
    )
    if len(names) != len(params):
        raise ValueError(
            f"{len(names)} names for {len(params)} gradients: give one name "
            "per parameter"
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
            hint = (
                ": transposed?"
                if a.ndim == 2 and a.shape == b.shape[::-1]
                else ""
            )
            raise ValueError(
                f"gradient of {name} has shape {tuple(a.shape)}, its "
                f"reference {tuple(b.shape)}{hint}"
            )
    errors = tuple(_relative_error(a, b) for a, b in zip(manual, reference))
    return GradReport(tuple(str(n) for n in names), errors, method)
