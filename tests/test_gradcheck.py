"""d2lutils.gradcheck: gradients compared with autograd and finite
differences, and clear errors for gradients that cannot be compared."""

import math

import pytest
import torch

import d2lutils as d2l
from d2lutils.gradcheck import _autograd_grads as autograd_grads
from d2lutils.gradcheck import _numerical_grads


def numerical_grads(loss_fn, params, eps=1e-6):
    return _numerical_grads(loss_fn, params, eps)


def _mlp_params(generator, dtype=torch.float64):
    """A 4-3-2 tanh network's [W1, b1, W2, b2] and data for it."""
    shapes = [(4, 3), (3,), (3, 2), (2,)]
    params = [torch.randn(s, generator=generator, dtype=dtype) for s in shapes]
    X = torch.randn(5, 4, generator=generator, dtype=dtype)
    y = torch.randn(5, 2, generator=generator, dtype=dtype)
    return params, X, y


def _loss_fn(X, y):
    def loss_fn(ps):
        W1, b1, W2, b2 = ps
        return ((torch.tanh(X @ W1 + b1) @ W2 + b2 - y) ** 2).mean() / 2

    return loss_fn


def _hand_grads(params, X, y):
    """The gradients of _loss_fn worked out by hand."""
    W1, b1, W2, b2 = params
    H = torch.tanh(X @ W1 + b1)
    D2 = (H @ W2 + b2 - y) / y.numel()
    D1 = (D2 @ W2.T) * (1 - H**2)
    return [X.T @ D1, D1.sum(0), H.T @ D2, D2.sum(0)]


NAMES = ["W1", "b1", "W2", "b2"]


# -- relative_error -----------------------------------------------------------


def test_relative_error_is_normwise():
    a, b = torch.tensor([1.0, 4.0]), torch.tensor([1.5, 4.0])
    assert d2l.relative_error(a, b) == pytest.approx(0.5 / 4.0)


def test_relative_error_of_zeros_is_zero():
    assert d2l.relative_error(torch.zeros(2, 2), torch.zeros(2, 2)) == 0.0


def test_relative_error_is_symmetric(generator):
    a = torch.randn(10, generator=generator)
    b = torch.randn(10, generator=generator)
    assert d2l.relative_error(a, b) == d2l.relative_error(b, a)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_relative_error_of_non_finite_is_inf(bad):
    a = torch.tensor([1.0, bad])
    assert d2l.relative_error(a, torch.ones(2)) == math.inf


def test_relative_error_refuses_different_shapes():
    with pytest.raises(ValueError, match=r"shape \(2, 1\) and b \(2,\)"):
        d2l.relative_error(torch.ones(2, 1), torch.ones(2))


# -- the references -----------------------------------------------------------


def test_autograd_grads_match_hand_derivation(generator):
    params, X, y = _mlp_params(generator)
    for g, h in zip(
        autograd_grads(_loss_fn(X, y), params), _hand_grads(params, X, y)
    ):
        torch.testing.assert_close(g, h)


def test_autograd_grads_leave_params_alone(generator):
    params, X, y = _mlp_params(generator)
    before = [p.clone() for p in params]
    autograd_grads(_loss_fn(X, y), params)
    assert all(not p.requires_grad and p.grad is None for p in params)
    assert all(torch.equal(p, q) for p, q in zip(params, before))


def test_autograd_grads_of_unused_param_are_zero():
    w, v = torch.ones(2), torch.ones(3)
    grads = autograd_grads(lambda ps: ps[0].sum(), [w, v])
    assert torch.equal(grads[1], torch.zeros(3))


def test_autograd_grads_refuse_loss_from_captured_tensors():
    w = torch.ones(2)
    with pytest.raises(ValueError, match="does not depend on the param"):
        autograd_grads(lambda ps: w.sum(), [w])


def test_numerical_grads_match_autograd(generator):
    params, X, y = _mlp_params(generator)
    loss_fn = _loss_fn(X, y)
    for g, h in zip(
        numerical_grads(loss_fn, params), autograd_grads(loss_fn, params)
    ):
        assert d2l.relative_error(g, h) < 1e-8


def test_numerical_grads_leave_params_alone(generator):
    params, X, y = _mlp_params(generator)
    before = [p.clone() for p in params]
    numerical_grads(_loss_fn(X, y), params)
    assert all(torch.equal(p, q) for p, q in zip(params, before))


def test_numerical_grads_refuse_float32():
    with pytest.raises(TypeError, match=r"params\[0\] is torch.float32.*"):
        numerical_grads(lambda ps: ps[0].sum(), [torch.ones(2)])


@pytest.mark.parametrize("eps", [0.0, -1e-6, math.nan])
def test_numerical_grads_refuse_bad_eps(eps):
    w = torch.ones(2, dtype=torch.float64)
    with pytest.raises(ValueError, match="eps must be"):
        numerical_grads(lambda ps: ps[0].sum(), [w], eps=eps)


@pytest.mark.parametrize("reference", [autograd_grads, numerical_grads])
def test_references_refuse_non_scalar_loss(reference):
    w = torch.ones(3, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"scalar, got shape \(3,\)"):
        reference(lambda ps: ps[0] * 2, [w])


# -- what grad_check refuses -------------------------------------------------


def _check(manual, params, names=None):
    """grad_check of ``manual`` against sum(p**2 / 2), whose gradient is p."""
    return d2l.grad_check(
        manual, params, lambda ps: sum((p**2).sum() for p in ps) / 2, names
    )


def test_report_names_each_parameter():
    W, b = torch.ones(2, 2), torch.tensor([1.0, 1.5])
    report = _check([W, torch.tensor([1.0, 1.0])], [W, b], ["W", "b"])
    assert report.names == ("W", "b") and report.reference == "autograd"
    assert report.errors == (0.0, pytest.approx(0.5 / 1.5))
    assert report.worst == report.errors[1]
    assert "worst 0.33 (b)" in repr(report)


def test_default_names():
    assert _check([torch.ones(1)], [torch.ones(1)]).names == ("params[0]",)


def test_refuses_different_lengths():
    with pytest.raises(
        ValueError, match="1 hand-computed gradients, 2 parameters"
    ):
        _check([torch.ones(1)], [torch.ones(1), torch.ones(1)])


def test_points_out_a_transpose():
    with pytest.raises(
        ValueError, match=r"W has shape \(3, 2\).*\(2, 3\): transposed\?"
    ):
        _check([torch.ones(3, 2)], [torch.ones(2, 3)], ["W"])


def test_refuses_other_shapes_without_transpose_hint():
    with pytest.raises(ValueError, match=r"b has shape \(3,\)") as err:
        _check([torch.ones(3)], [torch.ones(1, 3)], ["b"])
    assert "transposed" not in str(err.value)


def test_refuses_wrong_number_of_names():
    with pytest.raises(ValueError, match="2 parameters and 1 names"):
        _check([torch.ones(1)] * 2, [torch.ones(1)] * 2, ["W"])


@pytest.mark.parametrize(
    "manual, match",
    [
        (torch.ones(2), r"got a single tensor.*wrap it as \[t\]"),
        ({"w": torch.ones(2)}, r"list of tensors, e.g. \[W, b\], got dict"),
        ([torch.ones(1), 1.0], r"manual\[1\] is a float"),
    ],
)
def test_refuses_what_is_not_a_list_of_tensors(manual, match):
    with pytest.raises(TypeError, match=match):
        _check(manual, [torch.ones(2)] * 2)


# -- grad_check and the report ------------------------------------------------


@pytest.mark.parametrize(
    "method, tol", [("autograd", 1e-14), ("finite differences", 1e-8)]
)
def test_grad_check_accepts_right_gradients(generator, method, tol):
    params, X, y = _mlp_params(generator)
    report = d2l.grad_check(
        _hand_grads(params, X, y), params, _loss_fn(X, y), NAMES, method=method
    )
    assert report.reference == method and report.names == tuple(NAMES)
    report.assert_below(tol)


@pytest.mark.parametrize("method", ["autograd", "finite differences"])
def test_grad_check_catches_a_missing_derivative(generator, method):
    """The tanh derivative (1 - H**2) left out of the hidden error."""
    params, X, y = _mlp_params(generator)
    W1, b1, W2, b2 = params
    H = torch.tanh(X @ W1 + b1)
    D2 = (H @ W2 + b2 - y) / y.numel()
    D1 = D2 @ W2.T  # missing * (1 - H**2)
    wrong = [X.T @ D1, D1.sum(0), H.T @ D2, D2.sum(0)]
    report = d2l.grad_check(
        wrong, params, _loss_fn(X, y), NAMES, method=method
    )
    assert report.errors[2:] == (pytest.approx(0.0, abs=1e-8),) * 2
    with pytest.raises(AssertionError, match=r"by more than 1e-06.*W1.*b1"):
        report.assert_below(1e-6)


def test_grad_check_refuses_unknown_method():
    w = torch.ones(1, dtype=torch.float64)
    with pytest.raises(ValueError, match="method must be 'autograd' or"):
        d2l.grad_check([w], [w], lambda ps: ps[0].sum(), method="fd")


def test_report_with_nan_fails_the_check():
    report = _check([torch.tensor([math.nan])], [torch.ones(1)], ["w"])
    assert report.worst == math.inf
    with pytest.raises(AssertionError, match="w inf"):
        report.assert_below(1.0)


def test_report_assert_below():
    report = _check([torch.ones(1)], [torch.ones(1)])
    assert report.assert_below(1e-12) is report
    with pytest.raises(ValueError, match="tol must be > 0"):
        report.assert_below(0)


def test_empty_report():
    empty = d2l.GradReport((), ())
    assert empty.worst == 0.0 and "no parameters" in repr(empty)


def test_finite_differences_of_a_transposed_parameter(generator):
    """A parameter that is a view with other strides, e.g. ``W.T``."""
    W = torch.randn(3, 4, generator=generator, dtype=torch.float64)
    X = torch.randn(5, 4, generator=generator, dtype=torch.float64)
    Wt = W.T  # (4, 3), not contiguous

    def loss_fn(ps):
        return torch.tanh(X @ ps[0]).sum()

    H = torch.tanh(X @ Wt)
    exact = [X.T @ (1 - H**2)]
    report = d2l.grad_check(
        exact, [Wt], loss_fn, ["W.T"], method="finite differences"
    )
    report.assert_below(1e-8)
    assert torch.equal(Wt, W.T)  # the parameter was left alone
