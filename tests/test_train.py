"""The chapter-3 pieces and the training loop, checked against PyTorch."""

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
        l.mean(), nn.MSELoss()(y_hat.reshape(-1), y) / 2)
    with pytest.raises(ValueError, match="different numbers of values"):
        d2l.squared_loss(y_hat, torch.ones(5))


def test_sgd_matches_torch_optim_sgd():
    torch.manual_seed(0)
    w1 = torch.randn(3, 1, dtype=torch.float64, requires_grad=True)
    w2 = w1.detach().clone().requires_grad_(True)
    X = torch.randn(8, 3, dtype=torch.float64)
    y = torch.randn(8, 1, dtype=torch.float64)
    d2l.squared_loss(X @ w1, y).sum().backward()
    d2l.sgd([w1], lr=0.1, batch_size=8)
    opt = torch.optim.SGD([w2], lr=0.1)
    d2l.squared_loss(X @ w2, y).mean().backward()
    opt.step()
    torch.testing.assert_close(w1, w2)
    assert torch.all(w1.grad == 0)  # zeroed after the step


def test_sgd_errors():
    w = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="call loss.backward"):
        d2l.sgd([w], 0.1, 4)
    with pytest.raises(ValueError, match="batch_size must be positive"):
        d2l.sgd([w], 0.1, 0)


def test_accuracy_counts_correct_predictions():
    y_hat = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert d2l.accuracy(y_hat, torch.tensor([1, 0, 0])) == 2.0
    assert d2l.accuracy(torch.tensor([1, 1]), torch.tensor([1, 0])) == 1.0
    with pytest.raises(ValueError, match="3 predictions but 2 labels"):
        d2l.accuracy(y_hat, torch.tensor([1, 0]))


def test_accumulator_and_timer():
    m = d2l.Accumulator(2)
    m.add(1, 2.5)
    m.add(2, 0.5)
    assert (m[0], m[1]) == (3.0, 3.0)
    m.reset()
    assert m.data == [0.0, 0.0]
    with pytest.raises(ValueError, match="expected 2 values"):
        m.add(1)
    with pytest.raises(ValueError, match="n >= 1"):
        d2l.Accumulator(0)
    t = d2l.Timer()
    t.stop()
    with t:
        pass
    assert len(t.times) == 2 and t.sum() >= 0
    assert t.cumsum()[-1] == pytest.approx(t.sum())
    assert t.avg() == pytest.approx(t.sum() / 2)


def _toy_problem(n=300, seed=0):
    """Two Gaussian blobs that a linear classifier separates well."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    X = torch.randn(n, 2, generator=g) + 3 * y[:, None].float()
    return X, y


def test_evaluate_accuracy_restores_training_mode():
    X, y = _toy_problem()
    net = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    net.train()
    acc = d2l.evaluate_accuracy(net, d2l.load_array((X, y), 64, False))
    assert 0.0 <= acc <= 1.0 and net.training
    with pytest.raises(ValueError, match="no examples"):
        d2l.evaluate_accuracy(net, [])


@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_train_ch3_learns_with_optimizer(reduction):
    X, y = _toy_problem()
    it = d2l.load_array((X, y), 32, generator=0)
    net = nn.Linear(2, 2)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    loss = nn.CrossEntropyLoss(reduction=reduction)
    hist = d2l.train_ch3(net, it, it, loss, 5, opt, animate=False)
    assert len(hist.train_loss) == len(hist.test_acc) == 5
    assert hist.train_loss[-1] < hist.train_loss[0]
    assert hist.test_acc[-1] > 0.9
    assert "5 epochs" in repr(hist)


def test_scratch_updater_and_optimizer_give_the_same_run():
    """A summed loss + sgd(batch) equals mean loss + optim.SGD."""
    X, y = _toy_problem()
    torch.manual_seed(1)
    net1 = nn.Linear(2, 2).double()
    net2 = nn.Linear(2, 2).double()
    net2.load_state_dict(net1.state_dict())
    Xd = X.double()
    loss = nn.CrossEntropyLoss(reduction="none")
    it1 = d2l.load_array((Xd, y), 32, generator=5)
    it2 = d2l.load_array((Xd, y), 32, generator=5)
    d2l.train_epoch_ch3(
        net1, it1, loss, lambda n: d2l.sgd(net1.parameters(), 0.1, n))
    d2l.train_epoch_ch3(
        net2, it2, loss, torch.optim.SGD(net2.parameters(), lr=0.1))
    for p1, p2 in zip(net1.parameters(), net2.parameters()):
        torch.testing.assert_close(p1, p2)


def test_train_ch3_errors():
    it = d2l.load_array(_toy_problem(), 32)
    net = nn.Linear(2, 2)
    loss = nn.CrossEntropyLoss()
    with pytest.raises(TypeError, match="updater must be"):
        d2l.train_ch3(net, it, it, loss, 1, "sgd", animate=False)
    with pytest.raises(ValueError, match="num_epochs must be positive"):
        d2l.train_ch3(net, it, it, loss, 0, lambda n: None, animate=False)
    with pytest.raises(TypeError, match="num_epochs must be an int"):
        d2l.train_ch3(net, it, it, loss, 2.0, lambda n: None, animate=False)
    with pytest.raises(ValueError, match="no examples"):
        d2l.train_epoch_ch3(net, [], loss, lambda n: None)


def test_train_ch3_animates_without_a_notebook():
    it = d2l.load_array(_toy_problem(), 64)
    net = nn.Linear(2, 2)
    hist = d2l.train_ch3(net, it, it, nn.CrossEntropyLoss(), 2,
                         torch.optim.SGD(net.parameters(), lr=0.1))
    import matplotlib.pyplot as plt

    fig = plt.gcf()  # in a script the live figure stays open for plt.show()
    assert len(fig.axes[0].lines) == 3
    assert list(fig.axes[0].lines[0].get_xdata()) == [1.0, 2.0]
    assert len(hist.train_acc) == 2


def test_predict_ch3_titles_true_and_predicted():
    X = torch.zeros(8, 1, 28, 28)
    y = torch.arange(8)

    def net(X):  # always predicts class 9
        out = torch.zeros(len(X), 10)
        out[:, 9] = 1
        return out

    axes = d2l.predict_ch3(net, [(X, y)], n=4)
    assert [ax.get_title() for ax in axes] == [
        "t-shirt\nankle boot", "trouser\nankle boot",
        "pullover\nankle boot", "dress\nankle boot"]
    with pytest.raises(ValueError, match="n must be positive"):
        d2l.predict_ch3(net, [(X, y)], n=0)
