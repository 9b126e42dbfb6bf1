"""d2lutils.callbacks: schedules, early stopping, recorders, live plots."""

import math
import warnings

import pytest
import torch
from torch import nn

import d2lutils as d2l
from d2lutils.callbacks import set_lr


def _data(n=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 3, generator=g, dtype=torch.float64)
    y = X @ torch.tensor([[1.0], [-2.0], [0.5]], dtype=torch.float64)
    return X, y + 0.1 * torch.randn(n, 1, generator=g, dtype=torch.float64)


def _net(seed=0):
    torch.manual_seed(seed)
    return nn.Linear(3, 1).double()


def _fit(net, updater, num_epochs, callbacks, **kwargs):
    return d2l.train(
        net,
        d2l.load_array(_data(), 16, generator=0),
        nn.MSELoss(),
        num_epochs,
        updater,
        callbacks=callbacks,
        **kwargs,
    )


# -- learning rates -----------------------------------------------------------


def test_set_lr_on_optimizers_and_scratch_updaters():
    w = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([{"params": [w]}, {"params": []}], lr=0.1)
    set_lr(opt, 0.02)
    assert [g["lr"] for g in opt.param_groups] == [0.02, 0.02]
    upd = d2l.SGDUpdater([w], 0.1)
    set_lr(upd, 0.03)
    assert upd.lr == 0.03
    with pytest.raises(TypeError, match="use d2l.SGDUpdater"):
        set_lr(lambda batch_size: None, 0.1)
    with pytest.raises(ValueError, match="finite"):
        set_lr(opt, float("inf"))


def test_cosine_schedule_matches_torchs_cosine_annealing():
    num_steps, lr = 37, 0.5
    probe = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(probe, num_steps)
    rates = []
    for _ in range(num_steps):
        rates.append(probe.param_groups[0]["lr"])
        probe.step()
        sched.step()
    ours = d2l.cosine_schedule(lr, num_steps)
    assert [ours(t) for t in range(num_steps)] == pytest.approx(rates)
    with pytest.raises(ValueError, match="num_steps must be >= 1"):
        d2l.cosine_schedule(lr, 0)


@pytest.mark.parametrize("scratch", [False, True])
def test_lr_schedule_sets_the_rate_of_every_step(scratch):
    net = _net()
    updater = (
        d2l.SGDUpdater(net.parameters(), 1.0)
        if scratch
        else torch.optim.SGD(net.parameters(), lr=1.0)
    )
    seen = []

    class Spy(d2l.Callback):  # runs after the schedule, before the update
        def on_after_backward(self, state):
            seen.append(
                state.updater.lr
                if scratch
                else state.updater.param_groups[0]["lr"]
            )

    schedule = d2l.cosine_schedule(0.1, 8)
    h = _fit(net, updater, 2, [d2l.LRSchedule(schedule), Spy()])
    assert seen == pytest.approx([schedule(t) for t in range(8)])
    assert h.steps["lr"] == seen


def test_running_again_restarts_the_schedule():
    """Re-running a training cell must not continue at a spent rate."""
    net = _net()
    updater = torch.optim.SGD(net.parameters(), lr=1.0)
    cb = d2l.LRSchedule(d2l.cosine_schedule(0.1, 8))
    first = _fit(net, updater, 2, [cb]).steps["lr"]
    second = _fit(net, updater, 2, [cb]).steps["lr"]
    assert first == second and second[0] == 0.1


def test_lr_schedule_needs_a_function():
    with pytest.raises(TypeError, match="cosine_schedule"):
        d2l.LRSchedule(0.1)


# -- early stopping -----------------------------------------------------------


class Script(d2l.Callback):
    """Records a scripted 'valid_loss' and the parameters of every epoch."""

    def __init__(self, values, params):
        self.values, self.params, self.saved = list(values), params, []

    def on_epoch_end(self, state):
        state.history.log_epoch(valid_loss=self.values[state.epoch - 1])
        self.saved.append([p.detach().clone() for p in self.params()])


def _run_with_script(values, stopper, num_epochs=None, scratch=False):
    net = _net()
    params = list(net.parameters())
    script = Script(values, lambda: params)
    h = _fit(
        net,
        d2l.SGDUpdater(params, 0.01),
        num_epochs or len(values),
        [script, stopper],
    )
    return h, script, params


def test_early_stopping_stops_after_patience_and_restores_the_best():
    values = [5, 4, 3, 3.5, 3.2, 3.1, 1.0, 0.5]
    es = d2l.EarlyStopping("valid_loss", patience=3)
    h, script, params = _run_with_script(values, es)
    assert (es.best_epoch, es.best_value, es.stopped_epoch) == (3, 3.0, 6)
    assert h.num_epochs == 6  # epochs 7 and 8 never ran
    assert "has not improved" in es.stop_reason
    best = script.saved[es.best_epoch - 1]
    assert all(torch.equal(p, b) for p, b in zip(params, best))
    assert not torch.equal(params[0], script.saved[-1][0])  # it did move


def test_early_stopping_keeps_the_last_parameters_without_restore():
    es = d2l.EarlyStopping("valid_loss", patience=1, restore_best=False)
    _, script, params = _run_with_script([2, 1, 3, 4], es)
    assert es.stopped_epoch == 3
    assert all(torch.equal(p, s) for p, s in zip(params, script.saved[-1]))


def test_early_stopping_min_delta_and_max_mode():
    es = d2l.EarlyStopping("valid_loss", patience=2, min_delta=0.5)
    _run_with_script([3, 2.8, 2.6, 1.0], es)  # 2.8, 2.6: too small to count
    assert (es.best_epoch, es.stopped_epoch) == (1, 3)
    es = d2l.EarlyStopping("valid_loss", patience=2, mode="max")
    _run_with_script([1, 2, 1.5, 1.8, 3], es)
    assert (es.best_epoch, es.stopped_epoch) == (2, 4)


def test_early_stopping_runs_to_the_end_while_it_improves():
    es = d2l.EarlyStopping("valid_loss", patience=1)
    h, _, _ = _run_with_script([4, 3, 2, 1], es)
    assert es.stopped_epoch is None and h.num_epochs == 4
    assert es.best_epoch == 4


def test_nan_stops_at_once_and_restores_the_best_so_far():
    es = d2l.EarlyStopping("valid_loss", patience=5)
    with pytest.warns(RuntimeWarning, match="nan at epoch 3.*diverged"):
        h, script, params = _run_with_script([2, 1, math.nan, 0.5], es)
    assert es.stopped_epoch == 3 and h.num_epochs == 3
    assert all(torch.equal(p, b) for p, b in zip(params, script.saved[1]))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_non_finite_value_stops_at_once(bad):
    """An overflowing loss is divergence too, not 'no improvement'."""
    es = d2l.EarlyStopping("valid_loss", patience=5)
    with pytest.warns(RuntimeWarning, match="diverged"):
        h, script, params = _run_with_script([2, 1, bad, 0.5, 0.4], es)
    assert es.stopped_epoch == 3 and h.num_epochs == 3
    assert es.best_epoch == 2
    assert all(torch.equal(p, b) for p, b in zip(params, script.saved[1]))


def test_nan_from_the_first_epoch_leaves_nothing_to_restore():
    es = d2l.EarlyStopping("valid_loss", patience=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(FloatingPointError, match="nothing|no good"):
            _run_with_script([math.nan, 1.0], es)


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        ({"patience": 0}, ValueError, "patience must be >= 1"),
        ({"patience": 1.5}, TypeError, "patience must be an int"),
        ({"mode": "lowest"}, ValueError, "'min' or 'max'"),
        ({"min_delta": -1}, ValueError, "min_delta must be >= 0"),
        ({"monitor": 3}, TypeError, "record name"),
    ],
)
def test_early_stopping_argument_errors(kwargs, err, match):
    with pytest.raises(err, match=match):
        d2l.EarlyStopping(**kwargs)


def test_early_stopping_names_the_records_it_could_watch():
    net = _net()
    es = d2l.EarlyStopping("valid_loss")
    with pytest.raises(KeyError, match=r"records \['train_loss'\].*valid"):
        _fit(net, torch.optim.SGD(net.parameters(), 0.01), 2, [es])


def test_early_stopping_with_a_scratch_model():
    X, y = _data()
    w = torch.zeros(3, 1, dtype=torch.float64, requires_grad=True)

    def net(X):
        return X @ w

    valid = [(X[:16], y[:16])]
    with pytest.raises(TypeError, match="pass params="):
        d2l.train(
            net,
            [(X, y)],
            nn.MSELoss(),
            2,
            d2l.SGDUpdater([w], 0.1),
            eval_iters={"valid": valid},
            callbacks=[d2l.EarlyStopping()],
        )
    es = d2l.EarlyStopping(patience=2, params=[w])
    h = d2l.train(
        net,
        [(X, y)],
        nn.MSELoss(),
        30,
        d2l.SGDUpdater([w], 0.1),
        eval_iters={"valid": valid},
        callbacks=[es],
    )
    assert es.best_value == min(h.valid_loss)


def test_early_stopping_on_a_real_validation_curve():
    """Overfitting polynomial: validation loss turns up, training stops."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(12, generator=g, dtype=torch.float64) * 2 - 1
    y = torch.sin(3 * x) + 0.3 * torch.randn(
        12, generator=g, dtype=torch.float64
    )
    xv = torch.linspace(-1, 1, 50, dtype=torch.float64)
    Xt, Xv = d2l.polynomial_features(x, 11), d2l.polynomial_features(xv, 11)
    torch.manual_seed(0)
    net = nn.Linear(12, 1, bias=False).double()
    es = d2l.EarlyStopping(patience=20)
    h = d2l.train(
        net,
        [(Xt, y.reshape(-1, 1))],
        nn.MSELoss(),
        5000,
        torch.optim.SGD(net.parameters(), lr=0.5),
        eval_iters={"valid": [(Xv, torch.sin(3 * xv)[:, None])]},
        callbacks=[es],
    )
    assert es.stopped_epoch is not None and h.num_epochs < 5000
    with torch.no_grad():
        restored = float(nn.MSELoss()(net(Xv), torch.sin(3 * xv)[:, None]))
    assert restored == pytest.approx(es.best_value)
    assert es.best_value < h.valid_loss[-1]


# -- recording ----------------------------------------------------------------


def test_record_after_backward_sees_the_gradients():
    net = _net()
    grad_norm = lambda s: float(net.weight.grad.norm())  # noqa: E731
    rec_bwd = d2l.Record(when="after_backward", g_bwd=grad_norm)
    rec_end = d2l.Record(g_end=grad_norm)
    h = _fit(
        net, d2l.SGDUpdater(net.parameters(), 0.01), 1, [rec_bwd, rec_end]
    )
    assert len(h.steps["g_bwd"]) == len(h.steps["loss"]) == 4
    assert min(h.steps["g_bwd"]) > 0
    assert h.steps["g_end"] == [0.0] * 4  # sgd zeroed them after the step


def test_record_per_epoch_every_and_dict_values():
    net = _net()
    h = _fit(
        net,
        torch.optim.SGD(net.parameters(), 0.01),
        3,
        [
            d2l.Record(
                when="epoch_end",
                w=lambda s: {"0": net.weight[0, 0], "1": net.weight[0, 1]},
            ),
            d2l.Record(every=2, step=lambda s: s.step),
        ],
    )
    assert len(h.w_0) == len(h.w_1) == 3
    assert h.steps["step"] == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]


def test_record_errors():
    with pytest.raises(ValueError, match="at least one statistic"):
        d2l.Record()
    with pytest.raises(ValueError, match="when must be one of"):
        d2l.Record(when="sometimes", x=lambda s: 0)
    with pytest.raises(TypeError, match="x must be a function"):
        d2l.Record(x=3)


def test_per_layer_statistics_as_a_hook():
    """What the initialization section records: per-layer activation and
    gradient variances of every nn.Linear, each step."""
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1)
    ).double()
    linears = [m for m in net if isinstance(m, nn.Linear)]
    outputs = {}
    for i, m in enumerate(linears):
        m.register_forward_hook(
            lambda mod, inp, out, i=i: outputs.__setitem__(i, out.detach())
        )
    stats = d2l.Record(
        when="after_backward",
        act_var=lambda s: {i: float(o.var()) for i, o in outputs.items()},
        grad_var=lambda s: {
            i: float(m.weight.grad.var()) for i, m in enumerate(linears)
        },
    )
    h = _fit(net, torch.optim.SGD(net.parameters(), 0.01), 2, [stats])
    keys = sorted(k for k in h.steps if k != "loss")
    assert keys == [f"{a}_var_{i}" for a in ("act", "grad") for i in range(3)]
    assert all(len(h.steps[k]) == 8 for k in keys)
    assert all(v > 0 for k in keys for v in h.steps[k])
    # first step: the recorded variance is that of the first batch's output
    X1, _ = next(iter(d2l.load_array(_data(), 16, generator=0)))
    torch.manual_seed(0)
    fresh = nn.Linear(3, 8).double()
    with torch.no_grad():
        expected = float(fresh(X1).var())
    assert h.steps["act_var_0"][0] == pytest.approx(expected)


# -- LayerStats ---------------------------------------------------------------


def _mlp():
    return nn.Sequential(
        nn.Linear(20, 30), nn.ReLU(), nn.Linear(30, 10), nn.LayerNorm(10)
    )


def _batches(n=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 20, generator=g)
    y = torch.randint(0, 10, (n,), generator=g)
    return d2l.load_array((X, y), 16, generator=seed)


def test_layer_stats_records_every_linear_layer():
    net = _mlp().apply(d2l.init_linear(d2l.he_normal_, generator=0))
    stats = d2l.LayerStats()
    h = d2l.train(
        net,
        _batches(),
        nn.CrossEntropyLoss(),
        2,
        torch.optim.SGD(net.parameters(), lr=0.01),
        eval_iters={"test": _batches(seed=1)},
        callbacks=[stats],
    )
    keys = sorted(k for k in h.steps if k != "loss")
    assert keys == ["act_var_0", "act_var_1", "grad_var_0", "grad_var_1"]
    assert all(len(h.steps[k]) == 8 for k in keys)
    assert stats.layers == [net[0], net[2]]
    # the hooks are gone after training
    assert all(not m._forward_hooks for m in net.modules())


def test_layer_stats_values_are_those_of_the_step():
    net = _mlp().apply(d2l.init_linear(d2l.he_normal_, generator=0))
    X, y = next(iter(_batches()))
    with torch.no_grad():
        first = float(net[0](X).var())
    net.zero_grad()
    nn.CrossEntropyLoss()(net(X), y).backward()
    grad_var = float(net[2].weight.grad.var())
    h = d2l.train(
        net,
        [(X, y)],
        nn.CrossEntropyLoss(),
        1,
        torch.optim.SGD(net.parameters(), lr=0.1),
        callbacks=[d2l.LayerStats()],
    )
    assert h.steps["act_var_0"] == [pytest.approx(first)]
    assert h.steps["grad_var_1"] == [pytest.approx(grad_var)]


def test_layer_stats_every_and_errors():
    net = _mlp()
    h = d2l.train(
        net,
        _batches(),
        nn.CrossEntropyLoss(),
        3,
        torch.optim.SGD(net.parameters(), lr=0.01),
        callbacks=[d2l.LayerStats(every=5)],
    )
    assert len(h.steps["act_var_0"]) == 3  # steps 0, 5, 10 of 12
    with pytest.raises(ValueError, match="every must be >= 1"):
        d2l.LayerStats(every=0)
    with pytest.raises(TypeError, match="nn.Module"):
        d2l.train(
            lambda X: X,
            _batches(),
            nn.CrossEntropyLoss(),
            1,
            lambda n: None,
            callbacks=[d2l.LayerStats()],
        )
    with pytest.raises(ValueError, match="no nn.Linear"):
        d2l.train(
            nn.Sequential(nn.ReLU()),
            _batches(),
            nn.CrossEntropyLoss(),
            1,
            lambda n: None,
            callbacks=[d2l.LayerStats()],
        )


class _SpareLayer(nn.Module):
    """Two nn.Linear layers, of which the forward pass calls one."""

    def __init__(self):
        super().__init__()
        self.used, self.spare = nn.Linear(3, 1), nn.Linear(3, 1)

    def forward(self, X):
        return self.used(X)


def test_layer_stats_of_a_layer_the_forward_pass_skips_are_nan():
    net = _SpareLayer().double()
    h = _fit(
        net,
        torch.optim.SGD(net.parameters(), 0.01),
        1,
        [d2l.LayerStats()],
    )
    assert len(h.steps["act_var_1"]) == len(h.steps["loss"]) == 4
    assert all(math.isnan(v) for v in h.steps["act_var_1"])
    assert all(math.isnan(v) for v in h.steps["grad_var_1"])
    assert all(v > 0 for v in h.steps["act_var_0"])


# -- live plot ----------------------------------------------------------------


def test_animate_draws_the_chosen_records():
    net = _net()
    anim = d2l.Animate(("train_loss",), yscale="log")
    _fit(net, torch.optim.SGD(net.parameters(), 0.01), 3, [anim])
    ax = anim.animator.ax
    assert len(ax.lines) == 1 and ax.get_yscale() == "log"
    assert ax.get_ylabel() == "loss"
    assert list(ax.lines[0].get_xdata()) == [1.0, 2.0, 3.0]
    bad = d2l.Animate(("test_acc",))
    with pytest.raises(KeyError, match="no per-epoch record"):
        _fit(net, torch.optim.SGD(net.parameters(), 0.01), 1, [bad])
