"""d2lutils.init: the hand-written initializers against torch.nn.init.

Each initializer fills a large non-square weight (fan_in 1000, fan_out 250,
so that a wrong fan changes the variance fourfold); ``nn.init`` fills
another with its own generator. The two samples must have the same mean,
variance and largest magnitude, and pass a two-sample Kolmogorov-Smirnov
test. Broken variants (fan_out instead of fan_in, the gain left out) are
checked to fail the same comparison, so the check can tell.
"""

from __future__ import annotations

import math

import pytest
import torch
from notebook_tools import notebook_function
from torch import nn

import d2lutils as d2l
from d2lutils.init import fans

FAN_OUT, FAN_IN = 250, 1000
SHAPE = (FAN_OUT, FAN_IN)  # nn.Linear(FAN_IN, FAN_OUT).weight
NOTEBOOK = (
    "chapters/gradients-and-initialization/numerical-stability-and-init.ipynb"
)


def ks_statistic(a: torch.Tensor, b: torch.Tensor) -> float:
    """Largest distance between the empirical CDFs of two samples."""
    a, b = (
        a.flatten().double().sort().values,
        b.flatten().double().sort().values,
    )
    points = torch.cat([a, b])
    cdf_a = torch.searchsorted(a, points, right=True) / len(a)
    cdf_b = torch.searchsorted(b, points, right=True) / len(b)
    return float((cdf_a - cdf_b).abs().max())


def assert_same_distribution(mine: torch.Tensor, ref: torch.Tensor) -> None:
    """Mean, variance, range and KS test of two samples of one law."""
    n = mine.numel()
    std = float(ref.std())
    assert abs(float(mine.mean())) < 5 * std / math.sqrt(n), "mean is not 0"
    ratio = float(mine.var() / ref.var())
    assert abs(ratio - 1) < 0.02, f"variance ratio {ratio:.4f}, want 1"
    top = float(mine.abs().max() / ref.abs().max())
    assert abs(top - 1) < 0.25, f"largest |w| ratio {top:.3f}, want 1"
    # KS critical value at level 0.001: 1.95 * sqrt((n + m) / (n m))
    d = ks_statistic(mine, ref)
    assert d < 1.95 * math.sqrt(2 / n), f"KS distance {d:.4f} too large"


def _sample(fill, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return fill(torch.empty(SHAPE), g)


PAIRS = {
    "xavier_normal": (
        lambda W, g: d2l.xavier_normal_(W, generator=g),
        lambda W, g: nn.init.xavier_normal_(W, generator=g),
    ),
    "xavier_uniform": (
        lambda W, g: d2l.xavier_uniform_(W, generator=g),
        lambda W, g: nn.init.xavier_uniform_(W, generator=g),
    ),
    "xavier_normal_tanh_gain": (
        lambda W, g: d2l.xavier_normal_(W, 5 / 3, generator=g),
        lambda W, g: nn.init.xavier_normal_(
            W, nn.init.calculate_gain("tanh"), generator=g
        ),
    ),
    "he_normal": (
        lambda W, g: d2l.he_normal_(W, generator=g),
        lambda W, g: nn.init.kaiming_normal_(
            W, nonlinearity="relu", generator=g
        ),
    ),
    "he_uniform": (
        lambda W, g: d2l.he_uniform_(W, generator=g),
        lambda W, g: nn.init.kaiming_uniform_(
            W, nonlinearity="relu", generator=g
        ),
    ),
    # nn.Linear's default: kaiming_uniform_(a=sqrt(5)), gain sqrt(1/3)
    "linear_default": (
        lambda W, g: d2l.he_uniform_(W, math.sqrt(1 / 3), generator=g),
        lambda W, g: nn.init.kaiming_uniform_(W, a=math.sqrt(5), generator=g),
    ),
}


@pytest.mark.parametrize("name", PAIRS)
def test_matches_nn_init_in_distribution(name):
    mine, ref = PAIRS[name]
    assert_same_distribution(_sample(mine, 1), _sample(ref, 2))


def test_the_check_passes_two_draws_of_nn_init():
    ref = PAIRS["he_normal"][1]
    assert_same_distribution(_sample(ref, 3), _sample(ref, 4))


# Broken variants: each must fail the comparison with nn.init.
def _he_normal_fan_out(W, g):
    _, fan_out = fans(W)  # wrong: the forward pass needs fan_in
    return W.normal_(0, math.sqrt(2) / math.sqrt(fan_out), generator=g)


def _he_normal_no_gain(W, g):
    fan_in, _ = fans(W)  # wrong: no sqrt(2) for the ReLU
    return W.normal_(0, 1 / math.sqrt(fan_in), generator=g)


def _he_uniform_fan_out(W, g):
    _, fan_out = fans(W)
    a = math.sqrt(2) * math.sqrt(3 / fan_out)
    return W.uniform_(-a, a, generator=g)


def _he_uniform_normal_bound(W, g):
    fan_in, _ = fans(W)  # wrong: sqrt(2 / fan_in) is the std, not the bound
    a = math.sqrt(2 / fan_in)
    return W.uniform_(-a, a, generator=g)


def _xavier_normal_gain_ignored(W, g):
    return d2l.xavier_normal_(W, generator=g)  # gain 5/3 not passed on


BROKEN = {
    "he_normal_fan_out": (_he_normal_fan_out, "he_normal"),
    "he_normal_no_gain": (_he_normal_no_gain, "he_normal"),
    "he_uniform_fan_out": (_he_uniform_fan_out, "he_uniform"),
    "he_uniform_std_as_bound": (_he_uniform_normal_bound, "he_uniform"),
    "xavier_gain_ignored": (
        _xavier_normal_gain_ignored,
        "xavier_normal_tanh_gain",
    ),
}


@pytest.mark.parametrize("name", BROKEN)
def test_the_check_catches_a_broken_initializer(name):
    broken, target = BROKEN[name]
    with pytest.raises(AssertionError, match="variance ratio"):
        assert_same_distribution(
            _sample(broken, 1), _sample(PAIRS[target][1], 2)
        )


def test_a_normal_in_place_of_a_uniform_fails_the_ks_test():
    """Same variance, other law: only the shape of the law tells."""
    normal = _sample(PAIRS["he_normal"][0], 1)
    uniform = _sample(PAIRS["he_uniform"][1], 2)
    with pytest.raises(AssertionError, match="largest|KS"):
        assert_same_distribution(normal, uniform)


# -- fans ---------------------------------------------------------------------


def test_fans_follow_nn_init():
    for shape in [(3, 5), (5, 3), (4, 2, 3, 3)]:
        W = torch.empty(shape)
        assert fans(W) == nn.init._calculate_fan_in_and_fan_out(W)


def test_fans_of_a_vector_raise():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        fans(torch.empty(4))


# -- init_linear: any fill function, for net.apply ---------------------------


def _mlp() -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(20, 30), nn.ReLU(), nn.Linear(30, 10), nn.LayerNorm(10)
    )


@pytest.mark.parametrize(
    "fill_",
    [d2l.xavier_normal_, d2l.xavier_uniform_, d2l.he_normal_, d2l.he_uniform_],
)
def test_init_linear_fills_linear_layers_and_sets_biases(fill_):
    net = _mlp()
    norm_weight = net[3].weight.detach().clone()
    net.apply(d2l.init_linear(fill_, generator=0))
    for layer in (net[0], net[2]):
        assert torch.count_nonzero(layer.bias) == 0
        assert torch.count_nonzero(layer.weight) == layer.weight.numel()
    torch.testing.assert_close(net[3].weight.detach(), norm_weight)
    net.apply(d2l.init_linear(fill_, bias=0.01))
    assert torch.all(net[0].bias == 0.01) and torch.all(net[2].bias == 0.01)


def test_init_linear_layers_draw_from_one_stream():
    """An int seed makes one generator for the whole network: two layers
    of the same shape get different weights, and the run repeats."""
    a = nn.Sequential(nn.Linear(20, 20), nn.Linear(20, 20))
    b = nn.Sequential(nn.Linear(20, 20), nn.Linear(20, 20))
    a.apply(d2l.init_linear(d2l.he_normal_, generator=5))
    b.apply(d2l.init_linear(d2l.he_normal_, generator=5))
    assert not torch.equal(a[0].weight, a[1].weight)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)
    c = nn.Linear(20, 20).apply(d2l.init_linear(d2l.he_normal_, generator=5))
    assert torch.equal(c.weight, a[0].weight)  # the same first draw


def test_init_linear_takes_torchs_fill_functions():
    net = nn.Linear(500, 400)
    g = torch.Generator().manual_seed(0)
    net.apply(d2l.init_linear(nn.init.normal_, std=0.03, generator=g))
    assert float(net.weight.detach().std()) == pytest.approx(0.03, rel=0.01)
    net.apply(d2l.init_linear(nn.init.constant_, val=0.25))
    assert torch.all(net.weight == 0.25) and torch.all(net.bias == 0)
    net.apply(d2l.init_linear(nn.init.orthogonal_))
    W = net.weight.detach()
    torch.testing.assert_close(W @ W.T, torch.eye(400), atol=1e-5, rtol=0)


def test_init_linear_uses_the_fans_of_each_layer():
    net = nn.Sequential(nn.Linear(2000, 100), nn.Linear(100, 2000))
    net.apply(d2l.init_linear(d2l.he_normal_, generator=0))
    for layer in net:
        ratio = float(layer.weight.detach().var() * layer.in_features / 2)
        assert abs(ratio - 1) < 0.05


def test_init_linear_errors_name_the_fix():
    with pytest.raises(TypeError, match="fill_ must fill a tensor in place"):
        d2l.init_linear(0.01)
    with pytest.raises(TypeError, match=r"normal_ does not take \['sd'\]"):
        d2l.init_linear(nn.init.normal_, sd=0.01)
    with pytest.raises(TypeError, match="generator must be None, an int"):
        d2l.init_linear(d2l.he_normal_, generator="0")


def test_notebook_initializers_are_the_library_ones():
    """The section writes the four initializers in view; same draws."""
    namespace = {"fans": notebook_function(NOTEBOOK, "fans")}
    for name in (
        "xavier_normal_",
        "xavier_uniform_",
        "he_normal_",
        "he_uniform_",
    ):
        theirs = notebook_function(NOTEBOOK, name, namespace)
        for shape, gain in [((30, 70), 1.0), ((70, 30), 5 / 3)]:
            a = theirs(
                torch.empty(shape), gain, torch.Generator().manual_seed(7)
            )
            b = getattr(d2l, name)(
                torch.empty(shape), gain, torch.Generator().manual_seed(7)
            )
            torch.testing.assert_close(a, b, rtol=0, atol=0)
