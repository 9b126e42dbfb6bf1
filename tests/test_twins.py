"""d2lutils.twins: scratch and concise trained on the same batches."""

import pytest
import torch
from torch import nn

import d2lutils as d2l


@pytest.fixture
def data():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(100, 4, generator=g, dtype=torch.float64)
    y = X @ torch.tensor([[2.0], [-1.0], [0.5], [3.0]], dtype=torch.float64)
    return X, y + 4.2


def _pair(lr=0.03, scratch_batch=None):
    """A from-scratch linear regression and nn.Linear, same start."""
    torch.manual_seed(0)
    w = (0.01 * torch.randn(4, 1, dtype=torch.float64)).requires_grad_(True)
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)

    def updater(batch_size):
        d2l.sgd([w, b], lr, scratch_batch or batch_size)

    scratch = d2l.Twin(
        lambda X: d2l.linreg(X, w, b),
        d2l.squared_loss,
        updater,
        lambda: [w, b],
    )
    net = nn.Linear(4, 1).double()
    with torch.no_grad():
        net.weight.copy_(w.T)
        net.bias.copy_(b)
    concise = d2l.Twin(
        net,
        lambda y_hat, y: nn.MSELoss()(y_hat, y) / 2,
        torch.optim.SGD(net.parameters(), lr=lr),
        lambda: [net.weight.T, net.bias],
    )
    return scratch, concise


def test_twins_on_the_same_batches_agree(data):
    scratch, concise = _pair()
    run = d2l.train_twins(
        scratch, concise, data, batch_size=10, num_epochs=3, seed=1
    )
    assert min(run.moved) > 0.1  # training really moved the parameters
    assert max(run.max_diff) < 1e-12
    assert run.max_step_loss_diff < 1e-12
    assert run.histories[0].num_epochs == 3
    assert "max |difference|" in repr(run)


def test_another_batch_order_is_noticed(data):
    scratch, concise = _pair()
    run = d2l.train_twins(
        scratch, concise, data, batch_size=10, seed=1, second_seed=2
    )
    assert max(run.max_diff) > 1e-3


def test_a_wrong_gradient_scale_is_noticed(data):
    scratch, concise = _pair(scratch_batch=5)  # divides by 5, not 10
    run = d2l.train_twins(scratch, concise, data, batch_size=10, seed=1)
    assert max(run.max_diff) > 1e-3


def test_twins_must_start_from_the_same_parameters(data):
    scratch, concise = _pair()
    with torch.no_grad():
        concise.net.bias += 1
    with pytest.raises(ValueError, match="start from different parameters"):
        d2l.train_twins(scratch, concise, data, batch_size=10)


def test_twins_must_share_a_layout(data):
    scratch, concise = _pair()
    concise.params = lambda: [concise.net.weight, concise.net.bias]
    with pytest.raises(ValueError, match="shared layout.*weight.T"):
        d2l.train_twins(scratch, concise, data, batch_size=10)
    concise.params = lambda: concise.net.weight
    with pytest.raises(TypeError, match="list of tensors"):
        d2l.train_twins(scratch, concise, data, batch_size=10)


def test_twin_arguments_are_checked(data):
    scratch, concise = _pair()
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        d2l.train_twins(scratch, concise, data, batch_size=0)


def test_parameters_after_every_epoch(data):
    scratch, concise = _pair()
    run = d2l.train_twins(
        scratch, concise, data, batch_size=10, num_epochs=3, seed=1
    )
    assert [len(e) for e in run.epochs] == [3, 3]
    assert run.ends == (run.epochs[0][-1], run.epochs[1][-1])
    w, b = scratch.params()
    assert torch.equal(run.epochs[0][-1][0], w.detach())
    assert not torch.equal(run.epochs[0][0][0], run.start[0])  # it moved


def test_each_twin_runs_its_own_callbacks_and_the_eval_sets(data):
    scratch, concise = _pair(lr=0.1)
    seen = {id(scratch): [], id(concise): []}

    class Rate(d2l.Callback):
        def __init__(self, twin):
            self.twin = twin

        def on_step_begin(self, state):
            seen[id(self.twin)].append(state.step)

    scratch.callbacks = [Rate(scratch)]
    concise.callbacks = [Rate(concise), d2l.LRSchedule(lambda t: 0.0)]
    test = [(data[0][:20], data[1][:20])]
    run = d2l.train_twins(
        scratch, concise, data, batch_size=10, eval_iters={"test": test}
    )
    assert seen[id(scratch)] == seen[id(concise)] == list(range(10))
    assert max(run.moved) > 0.1  # the scratch twin learnt
    assert run.histories[1].steps["lr"] == [0.0] * 10  # the other did not
    assert max(run.max_diff) > 0.1
    assert all("test_loss" in h.epochs for h in run.histories)
