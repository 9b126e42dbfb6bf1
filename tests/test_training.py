"""d2lutils.training: the one training loop, its History and evaluation."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch import nn

import d2lutils as d2l
from d2lutils.training import History


def _toy_problem(n=300, seed=0):
    """Two Gaussian blobs that a linear classifier separates well."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    X = torch.randn(n, 2, generator=g) + 3 * y[:, None].float()
    return X, y


def _linear(seed=1, dtype=torch.float64):
    torch.manual_seed(seed)
    return nn.Linear(2, 2).to(dtype)


# -- History ------------------------------------------------------------------


def test_history_records_series_by_name():
    h = History()
    h.log_epoch(train_loss=1.0, test_acc=0.5)
    h.log_epoch(train_loss=0.5, test_acc=0.75)
    h.log_step(loss=2.0)
    assert h.train_loss == h["train_loss"] == [1.0, 0.5]
    assert h.steps == {"loss": [2.0]}
    assert h.num_epochs == 2
    assert repr(h) == "History(2 epochs: train_loss 0.5, test_acc 0.75)"
    with pytest.raises(AttributeError, match="no record 'valid_loss'"):
        _ = h.valid_loss
    with pytest.raises(KeyError, match="recorded: \\['test_acc'"):
        h["valid_loss"]
    assert repr(History()) == "History(0 epochs)"


# -- the loop -----------------------------------------------------------------


def _hand_loop(net, batches, loss, lr, num_epochs):
    """The loop written out: what d2l.train must do with an optimizer."""
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    losses = []
    for _ in range(num_epochs):
        for X, y in batches:
            opt.zero_grad()
            l = loss(net(X), y)
            l.backward()
            opt.step()
            losses.append(float(l.detach()))
    return losses


def test_train_does_what_the_hand_written_loop_does():
    X, y = _toy_problem()
    batches = list(d2l.load_array((X.double(), y), 32, generator=0))
    net1, net2 = _linear(), _linear()
    loss = nn.CrossEntropyLoss()
    hand_losses = _hand_loop(net1, batches, loss, 0.1, 3)
    h = d2l.train(
        net2, batches, loss, 3, torch.optim.SGD(net2.parameters(), lr=0.1)
    )
    for p1, p2 in zip(net1.parameters(), net2.parameters()):
        torch.testing.assert_close(p1, p2, rtol=0, atol=0)
    assert h.steps["loss"] == pytest.approx(hand_losses, rel=1e-12)
    # per-epoch training loss: the mean over the epoch's examples
    sizes = [len(b[1]) for b in batches]
    first = sum(l * n for l, n in zip(hand_losses, sizes)) / sum(sizes)
    assert h.train_loss[0] == pytest.approx(first, rel=1e-12)


@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_scratch_updater_and_optimizer_give_the_same_run(reduction):
    """A summed loss + sgd(batch) equals a mean loss + optim.SGD."""
    X, y = _toy_problem()
    net1, net2 = _linear(), _linear()
    loss = nn.CrossEntropyLoss(reduction=reduction)
    data = (X.double(), y)
    d2l.train(
        net1,
        d2l.load_array(data, 32, generator=5),
        loss,
        2,
        d2l.SGDUpdater(net1.parameters(), 0.1),
    )
    d2l.train(
        net2,
        d2l.load_array(data, 32, generator=5),
        loss,
        2,
        torch.optim.SGD(net2.parameters(), lr=0.1),
    )
    for p1, p2 in zip(net1.parameters(), net2.parameters()):
        torch.testing.assert_close(p1, p2)


def test_eval_sets_are_recorded_with_their_names():
    X, y = _toy_problem()
    it = d2l.load_array((X, y), 32, generator=0)
    test = d2l.load_array((X[:50], y[:50]), 25, is_train=False)
    net = _linear(dtype=torch.float32)
    h = d2l.train(
        net,
        it,
        nn.CrossEntropyLoss(),
        2,
        torch.optim.SGD(net.parameters(), lr=0.1),
        eval_iters={"test": test},
        metrics={"acc": d2l.accuracy},
    )
    assert sorted(h.epochs) == [
        "test_acc",
        "test_loss",
        "train_acc",
        "train_loss",
    ]
    assert h.test_acc[-1] == d2l.evaluate_accuracy(net, test)
    got = d2l.evaluate(net, test, nn.CrossEntropyLoss())["loss"]
    assert h.test_loss[-1] == pytest.approx(got)


def test_a_train_eval_set_replaces_the_running_average():
    X = torch.linspace(-1, 1, 30).reshape(-1, 1)
    y = 2 * X + 1
    net = nn.Linear(1, 1)
    h = d2l.train(
        net,
        d2l.load_array((X, y), 10, generator=0),
        nn.MSELoss(),
        3,
        torch.optim.SGD(net.parameters(), lr=0.1),
        eval_iters={"train": [(X, y)]},
    )
    assert sorted(h.epochs) == ["train_loss"]
    with torch.no_grad():
        end = float(nn.MSELoss()(net(X), y))
    assert h.train_loss[-1] == pytest.approx(end)  # the end-of-epoch model


def test_train_ch3_learns_and_keeps_d2ls_records():
    X, y = _toy_problem()
    it = d2l.load_array((X, y), 32, generator=0)
    net = nn.Linear(2, 2)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    h = d2l.train_ch3(
        net, it, it, nn.CrossEntropyLoss(), 5, opt, animate=False
    )
    assert len(h.train_loss) == len(h.test_acc) == 5
    assert h.train_loss[-1] < h.train_loss[0]
    assert h.test_acc[-1] > 0.9
    assert "5 epochs" in repr(h)


def test_train_ch3_animates_without_a_notebook():
    it = d2l.load_array(_toy_problem(), 64)
    net = nn.Linear(2, 2)
    h = d2l.train_ch3(
        net,
        it,
        it,
        nn.CrossEntropyLoss(),
        2,
        torch.optim.SGD(net.parameters(), lr=0.1),
    )
    fig = plt.gcf()  # in a script the live figure stays open for plt.show()
    assert len(fig.axes[0].lines) == 3
    assert fig.axes[0].get_xlabel() == "epoch"
    assert fig.axes[0].get_ylabel() == "loss / accuracy"
    assert list(fig.axes[0].lines[0].get_xdata()) == [1.0, 2.0]
    assert len(h.train_acc) == 2


def test_train_epoch_ch3_is_one_epoch_of_train():
    X, y = _toy_problem()
    net1, net2 = _linear(), _linear()
    loss = nn.CrossEntropyLoss()
    data = (X.double(), y)
    out = d2l.train_epoch_ch3(
        net1,
        d2l.load_array(data, 32, generator=2),
        loss,
        torch.optim.SGD(net1.parameters(), 0.1),
    )
    h = d2l.train(
        net2,
        d2l.load_array(data, 32, generator=2),
        loss,
        1,
        torch.optim.SGD(net2.parameters(), 0.1),
        metrics={"acc": d2l.accuracy},
    )
    assert out == (h.train_loss[0], h.train_acc[0])


def test_the_loaders_generator_alone_fixes_the_batches():
    """Same loader seed, same run, whatever the global RNG holds; another
    loader seed, another run."""

    def run(loader_seed, global_seed):
        X, y = _toy_problem()
        net = _linear(dtype=torch.float32)
        torch.manual_seed(global_seed)  # the global RNG differs per run
        it = d2l.load_array((X, y), 32, generator=loader_seed)
        opt = torch.optim.SGD(net.parameters(), 0.1)
        h = d2l.train(net, it, nn.CrossEntropyLoss(), 2, opt)
        return h.steps["loss"]

    assert run(4, global_seed=0) == run(4, global_seed=1)
    assert run(4, global_seed=0) != run(5, global_seed=0)


class _Log(d2l.Callback):
    """Writes down every moment the loop calls, with epoch and step."""

    def __init__(self):
        self.calls = []

    def __getattribute__(self, name):
        if name.startswith("on_"):
            return lambda s: self.calls.append((name, s.epoch, s.step))
        return super().__getattribute__(name)


def test_callbacks_are_called_in_order():
    log = _Log()
    batches = [(torch.randn(4, 2), torch.randint(0, 2, (4,)))] * 2
    net = nn.Linear(2, 2)
    d2l.train(
        net,
        batches,
        nn.CrossEntropyLoss(),
        2,
        torch.optim.SGD(net.parameters(), 0.1),
        callbacks=[log],
    )
    names = [c[0] for c in log.calls]
    step = ["on_step_begin", "on_after_backward", "on_step_end"]
    epoch = ["on_epoch_begin", *step, *step, "on_epoch_end"]
    assert names == ["on_train_begin", *epoch, *epoch, "on_train_end"]
    assert log.calls[-2] == ("on_epoch_end", 2, 4)  # 4 steps done


def _fit(net, batches, num_epochs, **kwargs):
    """d2l.train with cross-entropy and SGD(lr=0.1): the loop's defaults."""
    opt = torch.optim.SGD(net.parameters(), 0.1)
    return d2l.train(
        net, batches, nn.CrossEntropyLoss(), num_epochs, opt, **kwargs
    )


def test_a_callback_can_stop_training_mid_epoch():
    class StopAtStep3(d2l.Callback):
        def on_step_end(self, state):
            state.stop = state.step == 2  # the third step, counted from 0

    batches = [(torch.randn(4, 2), torch.randint(0, 2, (4,)))] * 5
    net = nn.Linear(2, 2)
    h = _fit(net, batches, 10, callbacks=[StopAtStep3()])
    assert h.num_epochs == 1 and len(h.steps["loss"]) == 3


def test_modules_train_in_train_mode_and_evaluate_in_eval_mode():
    modes = []

    class Spy(nn.Module):
        def forward(self, X):
            modes.append(self.training)
            return X

    net = nn.Sequential(nn.Linear(2, 2), Spy())
    batches = [(torch.randn(4, 2), torch.randint(0, 2, (4,)))]
    net.eval()  # the loop must switch it back to training
    _fit(net, batches, 1, eval_iters={"test": batches})
    assert modes == [True, False]
    assert net.training  # evaluation restored the training mode


def test_evaluate_accuracy_restores_the_mode_it_found():
    X, y = _toy_problem()
    net = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    for mode in (True, False):
        net.train(mode)
        acc = d2l.evaluate_accuracy(net, d2l.load_array((X, y), 64, False))
        assert 0.0 <= acc <= 1.0 and net.training == mode
    with pytest.raises(ValueError, match="no examples"):
        d2l.evaluate_accuracy(net, [])


def test_num_epochs_accepts_numpy_integers():
    batches = [(torch.randn(4, 2), torch.randint(0, 2, (4,)))]
    net = nn.Linear(2, 2)
    h = _fit(net, batches, np.int64(2))
    assert h.num_epochs == 2


def test_a_one_shot_generator_is_refused_before_training():
    X, y = _toy_problem()
    net = _linear(dtype=torch.float32)
    before = [p.detach().clone() for p in net.parameters()]
    gen = ((X[i : i + 30], y[i : i + 30]) for i in range(0, 300, 30))
    with pytest.raises(TypeError, match="one-shot iterator.*load_array"):
        d2l.train(
            net,
            gen,
            nn.CrossEntropyLoss(),
            2,
            torch.optim.SGD(net.parameters(), 0.1),
        )
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters()))
    # one epoch from a generator is fine: it is read once
    h = d2l.train(
        net,
        gen,
        nn.CrossEntropyLoss(),
        1,
        torch.optim.SGD(net.parameters(), 0.1),
    )
    assert len(h.steps["loss"]) == 10
    with pytest.raises(TypeError, match=r"eval_iters\['test'\] is a one-shot"):
        d2l.train(
            net,
            [(X, y)],
            nn.CrossEntropyLoss(),
            2,
            torch.optim.SGD(net.parameters(), 0.1),
            eval_iters={"test": iter([(X, y)])},
        )


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        ({"updater": "sgd"}, TypeError, "updater must be"),
        ({"num_epochs": 0}, ValueError, "num_epochs must be >= 1"),
        ({"num_epochs": 2.0}, TypeError, "num_epochs must be an int"),
        ({"num_epochs": True}, TypeError, "num_epochs must be an int"),
        ({"train_iter": []}, ValueError, "no examples in epoch 1"),
        ({"train_iter": 5}, TypeError, "train_iter must yield"),
        ({"metrics": [d2l.accuracy]}, TypeError, "metrics must be a dict"),
        ({"metrics": {"acc": 1}}, TypeError, "'acc' is not a function"),
        ({"metrics": {"loss": d2l.accuracy}}, ValueError, "recorded anyway"),
        ({"eval_iters": {"my test": []}}, ValueError, "identifiers"),
        ({"callbacks": [print]}, TypeError, "d2l.Callback objects"),
    ],
)
def test_train_errors(kwargs, err, match):
    net = nn.Linear(2, 2)
    args = {
        "net": net,
        "train_iter": [(torch.zeros(1, 2), torch.zeros(1))],
        "loss": nn.CrossEntropyLoss(),
        "num_epochs": 1,
        "updater": torch.optim.SGD(net.parameters(), 0.1),
    }
    args.update(kwargs)
    with pytest.raises(err, match=match):
        d2l.train(**args)


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_recorded_loss_is_the_mean_per_example(reduction):
    X = torch.arange(16.0).reshape(-1, 1)
    y = torch.zeros(16, 1)
    net = nn.Linear(1, 1, bias=False)
    nn.init.constant_(net.weight, 0.5)
    h = d2l.train(
        net,
        [(X[:8], y[:8]), (X[8:], y[8:])],
        nn.MSELoss(reduction=reduction),
        1,
        torch.optim.SGD(net.parameters(), lr=0.0),
    )
    assert h.train_loss == [pytest.approx(float((0.5 * X).square().mean()))]


def test_a_summed_loss_is_refused_with_what_to_pass():
    """The loop cannot tell a summed loss from a mean one by its value."""
    net = nn.Linear(1, 1)
    data = [(torch.ones(8, 1), torch.zeros(8, 1))]
    loss = nn.MSELoss(reduction="sum")
    fix = "reduction='sum'.*reduction='none'"
    with pytest.raises(ValueError, match=fix):
        d2l.train(net, data, loss, 1, torch.optim.SGD(net.parameters(), 0.1))
    with pytest.raises(ValueError, match=fix):
        d2l.evaluate(net, data, loss)
