"""The weight-decay section's from-scratch pieces, checked against torch.

The functions and classes are taken from the notebook itself (only their
``def`` and ``class`` statements), so the code the reader sees is the code
tested here: the penalties and their gradients, the update of eq. (5), the
``DecaySGD`` updater driven by ``d2l.train`` (the same trajectory as a
hand-written loop on the penalized loss, and as ``torch.optim.SGD`` with
``weight_decay``), the closed-form ``ridge`` fit, eq. (11) for its
expected error, and the proximal updater of exercise 4.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import torch
from torch import nn

import d2lutils as d2l

NOTEBOOK = (
    Path(__file__).resolve().parents[1]
    / "chapters"
    / "multilayer-perceptrons"
    / "weight-decay.ipynb"
)
DEFS = (
    "l2_penalty",
    "l2_grad",
    "l1_penalty",
    "l1_grad",
    "decayed_update",
    "DecaySGD",
    "ridge",
    "expected_sq_error",
    "ProxSGD",
)


def _defs() -> dict[str, str]:
    """Source of every top-level ``def``/``class`` in the code cells."""
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    found = {}
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"])
        if "%pip" in src:  # the Colab cell: IPython syntax, no defs
            continue
        tree = ast.parse(src)
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                found[node.name] = ast.get_source_segment(src, node)
    return found


@pytest.fixture(scope="module")
def nb():
    namespace = {"torch": torch, "d2l": d2l, "nn": nn}
    defs = _defs()
    for name in DEFS:
        exec(defs[name], namespace)  # noqa: S102
    return namespace


@pytest.fixture
def g():
    return torch.Generator().manual_seed(0)


def _rand(g, *shape):
    return torch.randn(*shape, generator=g, dtype=torch.float64)


def test_l2_penalty_is_half_the_squared_norm(nb, g):
    w = _rand(g, 7, 1).requires_grad_(True)
    value = nb["l2_penalty"](w)
    torch.testing.assert_close(value, torch.linalg.vector_norm(w) ** 2 / 2)
    value.backward()
    torch.testing.assert_close(w.grad, w.detach())  # d/dw ||w||^2/2 = w
    torch.testing.assert_close(nb["l2_grad"](w.detach()), w.grad)


def test_l1_penalty_is_the_l1_norm(nb, g):
    w = _rand(g, 7, 1)
    w[3] = 0.0  # autograd's subgradient at 0 is 0
    w.requires_grad_(True)
    value = nb["l1_penalty"](w)
    torch.testing.assert_close(value, torch.linalg.vector_norm(w, ord=1))
    value.backward()
    torch.testing.assert_close(nb["l1_grad"](w.detach()), w.grad)
    assert w.grad[3] == 0


@pytest.mark.parametrize("batch, d", [(1, 1), (5, 4), (8, 200)])
@pytest.mark.parametrize("lr, lambd", [(0.1, 3.0), (0.003, 0.5), (0.5, 0)])
def test_decayed_update_is_an_sgd_step_on_the_penalized_loss(
    nb, g, batch, d, lr, lambd
):
    X, y, w, b = (
        _rand(g, batch, d),
        _rand(g, batch, 1),
        _rand(g, d, 1),
        _rand(g, 1),
    )
    w_new, b_new = nb["decayed_update"](w, b, X, y, lr, lambd)
    wg, bg = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    loss = d2l.squared_loss(d2l.linreg(X, wg, bg), y).mean()
    (loss + lambd / 2 * (wg**2).sum()).backward()  # eq. (3)
    torch.testing.assert_close(w_new, w - lr * wg.grad)
    torch.testing.assert_close(b_new, b - lr * bg.grad)


def test_decayed_update_without_data_is_pure_decay(nb, g):
    w = _rand(g, 3, 1)
    X, y = torch.zeros(2, 3, dtype=torch.float64), torch.zeros(2, 1)
    w_new, _ = nb["decayed_update"](w, torch.zeros(1), X, y.double(), 0.1, 2.0)
    torch.testing.assert_close(w_new, (1 - 0.1 * 2.0) * w)


class _Trajectory(d2l.Callback):
    """Record a copy of w after every step."""

    def __init__(self, w):
        self.w, self.steps = w, []

    def on_step_end(self, state):
        self.steps.append(self.w.detach().clone())


def _problem(g, n=12, d=30):
    X, y = _rand(g, n, d), _rand(g, n, 1)
    return (X, y), _rand(g, d, 1)


@pytest.mark.parametrize("penalty", ["l2", "l1"])
@pytest.mark.parametrize("lambd", [0.0, 3.0])
def test_decay_sgd_in_the_loop_follows_the_penalized_loss(
    nb, g, penalty, lambd
):
    """d2l.train + DecaySGD = a hand loop on eq. (3) with autograd."""
    data, w_start = _problem(g)
    lr, batch_size, num_epochs = 0.02, 4, 3
    grad = nb[f"{penalty}_grad"]
    w = w_start.clone().requires_grad_(True)
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    record = _Trajectory(w)
    d2l.train(
        lambda X: d2l.linreg(X, w, b),
        d2l.load_array(data, batch_size, generator=7),
        d2l.squared_loss,
        num_epochs,
        nb["DecaySGD"](w, b, lr, lambd, grad),
        callbacks=[record],
    )
    # the same batches, stepped by hand on loss + lambd * penalty(w)
    w = w_start.clone().requires_grad_(True)
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    hand = []
    loader = d2l.load_array(data, batch_size, generator=7)
    for _ in range(num_epochs):
        for X, y in loader:
            loss = d2l.squared_loss(d2l.linreg(X, w, b), y).mean()
            (loss + lambd * nb[f"{penalty}_penalty"](w)).backward()
            with torch.no_grad():
                for p in (w, b):
                    p -= lr * p.grad
                    p.grad.zero_()
            hand.append(w.detach().clone())
    assert len(record.steps) == len(hand) == num_epochs * 3
    for step, (a, c) in enumerate(zip(record.steps, hand)):
        torch.testing.assert_close(a, c, msg=f"step {step} differs")
    moved = float((hand[-1] - w_start).abs().max())
    assert moved > 1e-3, "the comparison must cover real steps"


def test_decay_sgd_matches_torch_sgd_weight_decay(nb, g):
    data, w_start = _problem(g)
    lr, lambd = 0.02, 3.0
    w = w_start.clone().requires_grad_(True)
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    net = nn.Linear(30, 1).double()
    with torch.no_grad():
        net.weight.copy_(w.T)
        net.bias.zero_()
    trainer = torch.optim.SGD(
        [{"params": net.weight, "weight_decay": lambd}, {"params": net.bias}],
        lr=lr,
    )
    run = d2l.train_twins(
        d2l.Twin(
            lambda X: d2l.linreg(X, w, b),
            d2l.squared_loss,
            nb["DecaySGD"](w, b, lr, lambd),
            lambda: [w, b],
        ),
        d2l.Twin(
            net,
            lambda y_hat, y: nn.functional.mse_loss(y_hat, y) / 2,
            trainer,
            lambda: [net.weight.T, net.bias],
        ),
        data,
        batch_size=4,
        num_epochs=5,
    )
    assert max(run.max_diff) < 1e-12, run
    assert run.max_step_loss_diff < 1e-12
    assert min(run.moved) > 1e-3


def test_decay_sgd_leaves_the_model_unchanged_when_sgd_refuses(nb, g):
    w = _rand(g, 3, 1).requires_grad_(True)
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    before = w.detach().clone()
    with pytest.raises(RuntimeError, match="no gradient"):
        nb["DecaySGD"](w, b, 0.1, 3.0)(4)  # no backward() yet
    torch.testing.assert_close(w.detach(), before)


def _objective(X, y, w, b, lambd):
    loss = d2l.squared_loss(d2l.linreg(X, w, b), y).mean()  # eq. (1)
    return loss + lambd * (w**2).sum() / 2  # eq. (2)


@pytest.mark.parametrize("lambd", [0.0, 0.01, 1.0])
def test_ridge_is_where_the_gradient_of_eq2_vanishes(nb, g, lambd):
    X, y = _rand(g, 30, 10) + 2, _rand(g, 30, 1)  # means not zero
    w, b = nb["ridge"](X, y, lambd)
    assert w.shape == (10, 1) and b.shape == (1,)
    w, b = w.requires_grad_(True), b.requires_grad_(True)
    _objective(X, y, w, b, lambd).backward()
    torch.testing.assert_close(w.grad, torch.zeros_like(w), atol=1e-10, rtol=0)
    torch.testing.assert_close(b.grad, torch.zeros_like(b), atol=1e-10, rtol=0)


def test_ridge_at_zero_is_least_squares_with_an_intercept(nb, g):
    X, y = _rand(g, 30, 10), _rand(g, 30, 1)
    w, b = nb["ridge"](X, y, 0.0)
    A = torch.cat([X, torch.ones(30, 1, dtype=torch.float64)], dim=1)
    theta = torch.linalg.lstsq(A, y).solution
    torch.testing.assert_close(w, theta[:-1])
    torch.testing.assert_close(b, theta[-1])


def test_ridge_fits_each_label_column_separately(nb, g):
    X, Y = _rand(g, 20, 5), _rand(g, 20, 3)
    W, B = nb["ridge"](X, Y, 0.3)
    for k in range(3):
        w, b = nb["ridge"](X, Y[:, k : k + 1], 0.3)
        torch.testing.assert_close(W[:, k : k + 1], w)
        torch.testing.assert_close(B[k : k + 1], b)


def test_eq11_at_zero_is_sigma2_times_the_trace_of_the_inverse(nb, g):
    X, w_star = _rand(g, 50, 45), _rand(g, 45, 1) / 45**0.5
    bias2, var = nb["expected_sq_error"](X, w_star, 0.5, 0.0)
    Xc = X - X.mean(dim=0)
    assert bias2 == pytest.approx(0.0, abs=1e-20)
    trace = float(torch.linalg.inv(Xc.T @ Xc).trace())
    assert var == pytest.approx(0.5**2 * trace, rel=1e-9)


@pytest.mark.parametrize("lambd", [0.0, 0.1, 3.0])
def test_eq11_matches_noise_draws(nb, g, lambd):
    n, d, sigma = 40, 30, 0.5
    X, w_star = _rand(g, n, d), _rand(g, d, 1) / d**0.5
    Y = X @ w_star + 0.5 + sigma * _rand(g, n, 4000)
    W, _ = nb["ridge"](X, Y, lambd)
    measured = float(((W - w_star) ** 2).sum(dim=0).mean())
    bias2, var = nb["expected_sq_error"](X, w_star, sigma, lambd)
    assert measured == pytest.approx(bias2 + var, rel=0.1)


def test_prox_sgd_is_the_data_step_then_softshrink(nb, g):
    w = _rand(g, 9, 1).requires_grad_(True)
    b = _rand(g, 1).requires_grad_(True)
    X, y = _rand(g, 4, 9), _rand(g, 4, 1)
    d2l.squared_loss(d2l.linreg(X, w, b), y).sum().backward()
    expected = w.detach() - 0.1 * w.grad / 4  # the sgd step
    expected = nn.functional.softshrink(expected, 0.1 * 2.0)
    nb["ProxSGD"](w, b, 0.1, 2.0)(4)
    torch.testing.assert_close(w.detach(), expected)
    assert int((w == 0).sum()) > 0, "some weights must be thresholded"
