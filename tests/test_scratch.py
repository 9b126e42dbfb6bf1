"""d2lutils.scratch: the from-scratch pieces, checked against PyTorch."""

import numpy as np
import pytest
import torch
from torch import nn

import d2lutils as d2l


def test_linreg_matches_nn_linear():
    lin = nn.Linear(3, 1).double()
    X = torch.randn(5, 3, dtype=torch.float64)
    w = lin.weight.detach().T
    b = lin.bias.detach()
    torch.testing.assert_close(d2l.linreg(X, w, b), lin(X).detach())


def test_linreg_shape_error():
    with pytest.raises(ValueError, match=r"X must be \(n, d\)"):
        d2l.linreg(torch.ones(4, 3), torch.ones(2, 1), torch.zeros(1))


def test_squared_loss_is_half_mse_per_example():
    y_hat = torch.randn(6, 1, dtype=torch.float64)
    y = torch.randn(6, dtype=torch.float64)
    l = d2l.squared_loss(y_hat, y)
    assert l.shape == (6, 1)
    torch.testing.assert_close(
        l.mean(), nn.MSELoss()(y_hat.reshape(-1), y) / 2
    )
    with pytest.raises(ValueError, match="different numbers of values"):
        d2l.squared_loss(y_hat, torch.ones(5))


def _summed_grad_setup(seed=0):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(3, 1, dtype=torch.float64, generator=g)
    X = torch.randn(8, 3, dtype=torch.float64, generator=g)
    y = torch.randn(8, 1, dtype=torch.float64, generator=g)
    return w, X, y


def test_sgd_matches_torch_optim_sgd():
    w, X, y = _summed_grad_setup()
    w1 = w.clone().requires_grad_(True)
    w2 = w.clone().requires_grad_(True)
    d2l.squared_loss(X @ w1, y).sum().backward()
    d2l.sgd([w1], lr=0.1, batch_size=8)
    opt = torch.optim.SGD([w2], lr=0.1)
    d2l.squared_loss(X @ w2, y).mean().backward()
    opt.step()
    torch.testing.assert_close(w1, w2)
    assert torch.all(w1.grad == 0)  # zeroed after the step


def test_sgd_accepts_numpy_and_torch_integers():
    w, X, y = _summed_grad_setup()
    for batch_size in (np.int64(8), torch.tensor(8)):
        w1 = w.clone().requires_grad_(True)
        d2l.squared_loss(X @ w1, y).sum().backward()
        d2l.sgd([w1], 0.1, batch_size)
        assert not torch.equal(w1.detach(), w)


def test_sgd_changes_nothing_when_a_later_parameter_has_no_gradient():
    w = torch.ones(2, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)  # never used: no gradient
    (3 * w).sum().backward()
    with pytest.raises(RuntimeError, match=r"params\[1\].*no parameter was"):
        d2l.sgd([w, b], 0.1, 1)
    assert torch.equal(w.detach(), torch.ones(2))  # not half-updated
    assert torch.equal(w.grad, torch.full((2,), 3.0))


@pytest.mark.parametrize(
    "args, err, match",
    [
        (
            (torch.ones(2, requires_grad=True), 0.1, 4),
            TypeError,
            "got a single tensor.*wrap it as",
        ),
        (([1.0], 0.1, 4), TypeError, r"params\[0\] is a float"),
        ((None, 0.1, 4), TypeError, "list of tensors"),
        (([], "0.1", 4), TypeError, "lr must be a number"),
        (([], float("nan"), 4), ValueError, "finite"),
        (([], -0.1, 4), ValueError, ">= 0"),
        (([], 0.1, 0), ValueError, "batch_size must be >= 1"),
        (([], 0.1, 2.0), TypeError, "batch_size must be an int"),
        (([], 0.1, True), TypeError, "batch_size must be an int"),
    ],
)
def test_sgd_errors(args, err, match):
    with pytest.raises(err, match=match):
        d2l.sgd(*args)


def test_sgd_without_backward_names_the_fix():
    w = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="call loss.backward"):
        d2l.sgd([w], 0.1, 4)


def test_sgd_updater_is_sgd_with_a_changeable_rate():
    w, X, y = _summed_grad_setup()
    w1 = w.clone().requires_grad_(True)
    w2 = w.clone().requires_grad_(True)
    updater = d2l.SGDUpdater([w1], lr=0.3)
    updater.lr = 0.05
    d2l.squared_loss(X @ w1, y).sum().backward()
    updater(8)
    d2l.squared_loss(X @ w2, y).sum().backward()
    d2l.sgd([w2], 0.05, 8)
    torch.testing.assert_close(w1, w2)
    assert "lr=0.05" in repr(updater)
    with pytest.raises(TypeError, match="single tensor"):
        d2l.SGDUpdater(w1, 0.1)


def test_accuracy_counts_correct_predictions():
    y_hat = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert d2l.accuracy(y_hat, torch.tensor([1, 0, 0])) == 2.0
    assert d2l.accuracy(torch.tensor([1, 1]), torch.tensor([1, 0])) == 1.0
    with pytest.raises(ValueError, match="3 predictions but 2 labels"):
        d2l.accuracy(y_hat, torch.tensor([1, 0]))


def test_accumulator_sums_each_quantity():
    m = d2l.Accumulator(2)
    m.add(1, 2.5)
    m.add(2, torch.tensor(0.5))
    assert (m[0], m[1]) == (3.0, 3.0)
    m.reset()
    assert m.data == [0.0, 0.0]
    with pytest.raises(ValueError, match="expected 2 values"):
        m.add(1)
    with pytest.raises(ValueError, match="n must be >= 1"):
        d2l.Accumulator(0)
