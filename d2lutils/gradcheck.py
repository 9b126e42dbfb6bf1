"""Gradient checks: is a hand-written backward pass right?

A section that derives gradients by hand (backpropagation) must show that
they are the true derivatives of its loss. Two references serve:

* **autograd**: :func:`autograd_grads` differentiates the same loss with
  ``torch.autograd``, exact up to rounding;
* **finite differences**: :func:`numerical_grads` perturbs one entry at a
  time, ``(J(p + eps) - J(p - eps)) / (2 eps)``, which needs nothing but
  the loss itself (and float64, or rounding swamps the derivative).

:func:`compare_grads` lines up two lists of gradients, refuses lists that
differ in length, names or shapes (a transposed gradient is named as
such), and returns a :class:`GradReport`: the worst relative error per
parameter. :func:`grad_check` does both steps in one call::

    report = d2l.grad_check(grads, params, loss_fn, names=["W1", "b1"])
    report.assert_below(1e-12)

The relative error of a gradient ``a`` against a reference ``b`` is taken
over the whole tensor, ``max|a - b| / max(max|a|, max|b|)`` (see
:func:`relative_error`): an entry-by-entry ratio would blow up on entries
that are zero up to rounding, as many are behind a ReLU.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Callable, Optional, Union

import torch

__all__ = [
    "GradReport",
    "autograd_grads",
    "compare_grads",
    "grad_check",
    "numerical_grads",
    "relative_error",
]

Tensors = Union[Sequence[torch.Tensor], Mapping[str, torch.Tensor]]
LossFn = Callable[[list[torch.Tensor]], torch.Tensor]


def relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    """``max|a - b| / max(max|a|, max|b|)``, computed in float64.

    0.0 if both are all zeros; ``inf`` if either holds a ``nan`` or an
    infinity (so that a check against a tolerance fails).

    Examples
    --------
    >>> relative_error(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.5]))
    0.2
    >>> relative_error(torch.zeros(3), torch.zeros(3))
    0.0
    """
    a = torch.as_tensor(a).detach().to(torch.float64)
    b = torch.as_tensor(b).detach().to(torch.float64)
    if a.shape != b.shape:
        raise ValueError(
            f"shapes differ: {tuple(a.shape)} vs {tuple(b.shape)}"
        )
    if not (torch.isfinite(a).all() and torch.isfinite(b).all()):
        return math.inf
    if a.numel() == 0:
        return 0.0
    scale = max(float(a.abs().max()), float(b.abs().max()))
    if scale == 0.0:
        return 0.0
    return float((a - b).abs().max()) / scale


@dataclass(frozen=True)
class GradReport:
    """The worst relative error of each gradient against a reference.

    Attributes
    ----------
    names : the parameters' names, in order.
    errors : :func:`relative_error` of each gradient.
    reference : what the gradients were compared with.
    """

    names: tuple[str, ...]
    errors: tuple[float, ...]
    reference: str = "reference"

    @property
    def worst(self) -> float:
        """The largest error over all parameters (0.0 if there are none)."""
        return max(self.errors, default=0.0)

    @property
    def worst_name(self) -> Optional[str]:
        """The name of the parameter with the largest error."""
        if not self.errors:
            return None
        return self.names[self.errors.index(self.worst)]

    def as_dict(self) -> dict[str, float]:
        """``{name: error}``."""
        return dict(zip(self.names, self.errors))

    def assert_below(self, tol: float) -> GradReport:
        """Raise ``AssertionError`` naming every parameter above ``tol``.

        Returns the report itself, so that a check can be chained.
        """
        tol = float(tol)
        if not tol > 0:
            raise ValueError(f"tol must be > 0, got {tol}")
        bad = [
            f"{n} {e:.3g}"
            for n, e in zip(self.names, self.errors)
            if not e <= tol
        ]
        if bad:
            raise AssertionError(
                f"gradients differ from {self.reference} by more than "
                f"{tol:g} (relative error): {', '.join(bad)}"
            )
        return self

    def __repr__(self) -> str:
        if not self.errors:
            return f"GradReport(vs {self.reference}: no parameters)"
        errors = ", ".join(
            f"{n} {e:.2g}" for n, e in zip(self.names, self.errors)
        )
        return (
            f"GradReport(vs {self.reference}: {errors}; worst "
            f"{self.worst:.2g} ({self.worst_name}))"
        )


# -- checking the inputs ------------------------------------------------------


def _as_list(
    tensors: Tensors, what: str
) -> tuple[list[torch.Tensor], Optional[list[str]]]:
    """The tensors as a list, and their names if they came in a dict."""
    if isinstance(tensors, torch.Tensor):
        raise TypeError(
            f"{what} must be a list of tensors (one per parameter), got a "
            f"single tensor of shape {tuple(tensors.shape)}: wrap it as [g]"
        )
    if isinstance(tensors, Mapping):
        names, values = list(tensors), list(tensors.values())
    else:
        try:
            values, names = list(tensors), None
        except TypeError:
            raise TypeError(
                f"{what} must be a list or dict of tensors, got "
                f"{type(tensors).__name__}"
            ) from None
    for i, t in enumerate(values):
        if not isinstance(t, torch.Tensor):
            label = names[i] if names else f"{what}[{i}]"
            raise TypeError(f"{label} is a {type(t).__name__}, not a tensor")
    return values, names


def _names(
    n: int, given: Optional[Sequence[str]], *found: Optional[list[str]]
) -> list[str]:
    """The names to report: given, else from dict keys, else params[i]."""
    keys = [f for f in found if f is not None]
    for a, b in zip(keys, keys[1:]):
        if a != b:
            missing, extra = sorted(set(b) - set(a)), sorted(set(a) - set(b))
            raise ValueError(
                "the two dicts of gradients have different names: "
                f"only in the first {extra}, only in the second {missing}"
                if missing or extra
                else f"the two dicts list the same names in different "
                f"orders: {a} vs {b}"
            )
    if given is not None:
        names = [str(name) for name in given]
        if len(names) != n:
            raise ValueError(
                f"{len(names)} names for {n} gradients: give one name per "
                "parameter"
            )
        if keys and keys[0] != names:
            raise ValueError(
                f"names {names} disagree with the dict keys {keys[0]}"
            )
        return names
    if keys:
        return keys[0]
    return [f"params[{i}]" for i in range(n)]


def _check_loss(value, where: str) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        value = torch.as_tensor(value)
    if value.numel() != 1:
        raise ValueError(
            f"loss_fn must return a scalar, got shape {tuple(value.shape)} "
            f"{where}: reduce the per-example losses with .mean() or .sum()"
        )
    return value.reshape(())


# -- the references -----------------------------------------------------------


def autograd_grads(loss_fn: LossFn, params: Tensors) -> list[torch.Tensor]:
    """The gradients of ``loss_fn(params)`` by ``torch.autograd``.

    ``loss_fn`` receives detached copies of ``params`` that require
    gradients (the originals are not touched) and must return a scalar.
    A parameter the loss does not use gets a zero gradient.

    Examples
    --------
    >>> w = torch.tensor([1.0, -2.0], dtype=torch.float64)
    >>> autograd_grads(lambda ps: (ps[0] ** 2).sum(), [w])
    [tensor([ 2., -4.], dtype=torch.float64)]
    """
    values, _ = _as_list(params, "params")
    copies = [p.detach().clone().requires_grad_(True) for p in values]
    with torch.enable_grad():
        loss = _check_loss(loss_fn(copies), "from loss_fn")
        if not loss.requires_grad:
            raise ValueError(
                "loss_fn's result does not depend on the parameters it "
                "was given: compute the loss from its argument, not from "
                "tensors captured outside"
            )
        grads = torch.autograd.grad(loss, copies, allow_unused=True)
    return [
        torch.zeros_like(p) if g is None else g.detach()
        for p, g in zip(copies, grads)
    ]


def numerical_grads(
    loss_fn: LossFn, params: Tensors, *, eps: float = 1e-6
) -> list[torch.Tensor]:
    """Centered finite differences of ``loss_fn(params)``, entry by entry.

    ``g[i] = (J(p + eps e_i) - J(p - eps e_i)) / (2 eps)``: two calls of
    the loss per entry, so keep the model small. The error is of order
    ``eps**2`` (truncation) plus ``1e-16 * |J| / eps`` (rounding): float64
    parameters are required, because in float32 the rounding term alone
    is about ``1e-7 / eps``.

    Examples
    --------
    >>> w = torch.tensor([1.0, -2.0], dtype=torch.float64)
    >>> g = numerical_grads(lambda ps: (ps[0] ** 3).sum(), [w])
    >>> torch.allclose(g[0], 3 * w ** 2)
    True
    """
    values, _ = _as_list(params, "params")
    eps = float(eps)
    if not (math.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a finite number > 0, got {eps}")
    for i, p in enumerate(values):
        if p.dtype != torch.float64:
            raise TypeError(
                f"params[{i}] is {p.dtype}: finite differences need float64 "
                "(in float32 rounding swamps the derivative); pass "
                "[p.double() for p in params]"
            )
    copies = [p.detach().clone() for p in values]
    grads = []
    with torch.no_grad():
        for p in copies:
            flat, g = p.view(-1), torch.zeros(p.numel(), dtype=p.dtype)
            for i in range(p.numel()):
                old = float(flat[i])
                flat[i] = old + eps
                plus = float(_check_loss(loss_fn(copies), "at p + eps"))
                flat[i] = old - eps
                minus = float(_check_loss(loss_fn(copies), "at p - eps"))
                flat[i] = old
                g[i] = (plus - minus) / (2 * eps)
            grads.append(g.reshape(p.shape))
    return grads


# -- comparing ---------------------------------------------------------------


def compare_grads(
    manual: Tensors,
    reference: Tensors,
    names: Optional[Sequence[str]] = None,
    *,
    reference_name: str = "reference",
) -> GradReport:
    """Compare hand-computed gradients with reference ones, per parameter.

    Parameters
    ----------
    manual, reference : lists (or dicts name -> tensor) of gradients, one
        per parameter, in the same order and with the same shapes.
    names : the parameters' names for the report (default: the dict keys,
        or ``params[0]``, ``params[1]``, ...).
    reference_name : what the reference is, for the report.

    Raises
    ------
    ValueError
        if the lists differ in length, the dicts in names, or two
        gradients in shape (a transposed shape is pointed out).

    Examples
    --------
    >>> ref = [torch.ones(2, 3), torch.zeros(3)]
    >>> compare_grads([torch.ones(2, 3), torch.zeros(3)], ref, ["W", "b"])
    GradReport(vs reference: W 0, b 0; worst 0 (W))
    >>> compare_grads([torch.ones(3, 2), torch.zeros(3)], ref, ["W", "b"])
    Traceback (most recent call last):
    ...
    ValueError: gradient of W has shape (3, 2), the reference (2, 3): \
transposed?
    """
    a, a_names = _as_list(manual, "manual")
    b, b_names = _as_list(reference, "reference")
    if len(a) != len(b):
        raise ValueError(
            f"{len(a)} hand-computed gradients but {len(b)} reference ones: "
            "give one gradient per parameter, in the same order"
        )
    labels = _names(len(a), names, a_names, b_names)
    for name, x, y in zip(labels, a, b):
        if x.shape != y.shape:
            hint = ""
            if x.ndim == 2 and x.shape == y.shape[::-1]:
                hint = ": transposed?"
            raise ValueError(
                f"gradient of {name} has shape {tuple(x.shape)}, the "
                f"{reference_name} {tuple(y.shape)}{hint}"
            )
    errors = tuple(relative_error(x, y) for x, y in zip(a, b))
    return GradReport(tuple(labels), errors, reference_name)


def grad_check(
    manual: Tensors,
    params: Tensors,
    loss_fn: LossFn,
    names: Optional[Sequence[str]] = None,
    *,
    method: str = "autograd",
    eps: float = 1e-6,
) -> GradReport:
    """Compare ``manual`` with the true gradients of ``loss_fn(params)``.

    Parameters
    ----------
    manual : the hand-computed gradients, one per parameter.
    params : the parameters (a list, or a dict name -> tensor).
    loss_fn : ``loss_fn(list_of_params) -> scalar``; it must compute the
        loss from its argument.
    names : names for the report.
    method : ``"autograd"`` (:func:`autograd_grads`) or ``"finite
        differences"`` (:func:`numerical_grads`, float64 only).
    eps : the step of the finite differences.

    Examples
    --------
    >>> w = torch.tensor([1.0, -2.0], dtype=torch.float64)
    >>> half_square = lambda ps: (ps[0] ** 2).sum() / 2   # gradient w
    >>> grad_check([w.clone()], [w], half_square, ["w"])
    GradReport(vs autograd: w 0; worst 0 (w))
    >>> grad_check([2 * w], [w], half_square, ["w"]).worst   # a slip
    0.5
    >>> report = grad_check([w.clone()], [w], half_square, ["w"],
    ...                     method="finite differences")
    >>> report.worst < 1e-9
    True
    """
    values, found = _as_list(params, "params")
    if method == "autograd":
        reference = autograd_grads(loss_fn, values)
    elif method == "finite differences":
        reference = numerical_grads(loss_fn, values, eps=eps)
    else:
        raise ValueError(
            "method must be 'autograd' or 'finite differences', got "
            f"{method!r}"
        )
    if names is None and found is not None:
        names = found
    return compare_grads(manual, reference, names, reference_name=method)
