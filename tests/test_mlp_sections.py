"""The MLP sections: the notebooks' own code, checked.

The scratch section writes ``uniform``, ``relu`` and ``net`` in the open;
the concise section writes ``init_weights``. These tests take the
definitions out of the committed notebooks (so they test what the reader
sees) and check that

* ``relu`` agrees with ``torch.relu`` in value and gradient, also at 0;
* ``net`` computes ``ReLU(X W1 + b1) W2 + b2`` and ``uniform`` and
  ``init_weights`` draw from ``U(-1/sqrt(d_in), 1/sqrt(d_in))``;
* the scratch MLP (summed per-example loss, ``d2l.sgd``) and the concise
  one (``nn.Sequential``, mean loss, ``torch.optim.SGD``), started from the
  same weights and fed the same minibatches (``d2l.train_twins``), have the
  same minibatch loss at every step and end one epoch with the same
  parameters (1e-5), and that this comparison does fail when the batch
  order or the gradient scaling differs;
* the model-selection section's batched helpers (``batch_features``,
  ``errors_by_degree``, ``cubic_data``), which measure its claims over
  1,000 data sets, agree with the one-data-set fits, and its
  ``one_se_rule`` picks the simplest candidate within one standard error
  (not one standard deviation) of the lowest mean.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from notebook_tools import notebook_function
from torch import nn

import d2lutils as d2l

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "chapters" / "multilayer-perceptrons"
SCRATCH = CHAPTER / "mlp-scratch.ipynb"
CONCISE = CHAPTER / "mlp-concise.ipynb"


LR = 0.5  # the learning rate both sections train with


@pytest.fixture(scope="module")
def relu():
    return notebook_function(SCRATCH, "relu")


def scratch_net(relu, W1, b1, W2, b2):
    """The notebook's ``net`` bound to the given parameters."""
    return notebook_function(
        SCRATCH,
        "net",
        {
            "relu": relu,
            "W1": W1,
            "b1": b1,
            "W2": W2,
            "b2": b2,
            "num_inputs": 784,
        },
    )


@pytest.fixture(scope="module")
def fashion_subset():
    """The first 20000 training images (78 full batches of 256 and one of
    32, so the partial last batch is exercised)."""
    train_iter, _ = d2l.load_data_fashion_mnist(256)
    features, labels = train_iter.tensors
    return features[:20000], labels[:20000]


# -- the pieces -------------------------------------------------------------


def test_relu_matches_torch_values_and_gradients(relu, generator):
    X = torch.randn(500, generator=generator, dtype=torch.float64)
    X[::7] = 0.0  # exact zeros: the convention ReLU'(0) = 0
    X1 = X.clone().requires_grad_(True)
    X2 = X.clone().requires_grad_(True)
    torch.testing.assert_close(relu(X1), torch.relu(X2))
    (g1,) = torch.autograd.grad(relu(X1).sum(), X1)
    (g2,) = torch.autograd.grad(torch.relu(X2).sum(), X2)
    torch.testing.assert_close(g1, g2)
    assert g1[0].item() == 0.0  # X[0] == 0


def test_net_is_relu_mlp(relu, generator):
    def rand(*shape):
        return torch.randn(*shape, generator=generator, dtype=torch.float64)

    W1, b1, W2, b2 = rand(784, 256), rand(256), rand(256, 10), rand(10)
    net = scratch_net(relu, W1, b1, W2, b2)
    X = torch.rand(6, 1, 28, 28, generator=generator, dtype=torch.float64)
    expected = torch.relu(X.reshape(6, 784) @ W1 + b1) @ W2 + b2
    torch.testing.assert_close(net(X), expected)


def test_scratch_init_is_uniform_with_bound_one_over_sqrt_d_in():
    uniform = notebook_function(SCRATCH, "uniform")
    torch.manual_seed(0)
    W = uniform((784, 256), 784)
    bound = 1 / math.sqrt(784)
    assert W.shape == (784, 256) and W.requires_grad
    assert W.abs().max() <= bound < 1.01 * W.abs().max()
    assert W.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.01)


def test_concise_init_weights_matches_nn_linear_bound():
    init_weights = notebook_function(CONCISE, "init_weights")
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)
    )
    with torch.no_grad():
        for p in net.parameters():
            p.fill_(7.0)  # so that we see every parameter redrawn
    net.apply(init_weights)
    for layer in (net[1], net[3]):
        bound = 1 / math.sqrt(layer.in_features)
        for p in (layer.weight, layer.bias):
            assert p.abs().max() <= bound
        assert layer.weight.std().item() == pytest.approx(
            bound / math.sqrt(3), rel=0.05
        )


# -- scratch and concise agree ----------------------------------------------
#
# The two implementations do the same arithmetic in a different order
# (summed loss / batch size vs mean loss), so float32 rounding differs in
# the last bits. At the sections' learning rate 0.5 one epoch of training
# amplifies those bits to about 1e-2; in float64 the runs agree to about
# 1e-12. So the check at lr 0.5 runs in float64, and a float32 check runs
# at lr 0.1, where the amplification is mild.


@pytest.fixture(scope="module")
def init_params():
    g = torch.Generator().manual_seed(0)

    def draw(shape, d_in):
        return (torch.rand(shape, generator=g) * 2 - 1) / math.sqrt(d_in)

    return (
        draw((784, 256), 784),
        draw(256, 784),
        draw((256, 10), 256),
        draw(10, 256),
    )


def one_epoch_each(
    relu,
    data,
    init_params,
    *,
    second_seed=None,
    lr=LR,
    dtype=torch.float64,
    scratch_divides_by=None,
):
    """One epoch of the scratch and of the concise MLP, both started at
    ``init_params``, on the same batches (seed 3; the concise twin's batches
    from ``second_seed`` if given).

    ``scratch_divides_by`` overrides the batch size the scratch updater
    divides by (to check that a wrong gradient scale is caught).
    """
    params = [p.to(dtype).clone().requires_grad_(True) for p in init_params]

    def updater(batch_size):
        d2l.sgd(params, lr, scratch_divides_by or batch_size)

    scratch = d2l.Twin(
        scratch_net(relu, *params),
        nn.CrossEntropyLoss(reduction="none"),
        updater,
        lambda: params,
    )
    net = nn.Sequential(
        nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)
    ).to(dtype)
    W1, b1, W2, b2 = init_params
    with torch.no_grad():
        net[1].weight.copy_(W1.T)
        net[1].bias.copy_(b1)
        net[3].weight.copy_(W2.T)
        net[3].bias.copy_(b2)
    concise = d2l.Twin(
        net,
        nn.CrossEntropyLoss(),
        torch.optim.SGD(net.parameters(), lr=lr),
        lambda: [net[1].weight.T, net[1].bias, net[3].weight.T, net[3].bias],
    )
    features, labels = data
    return d2l.train_twins(
        scratch,
        concise,
        (features.to(dtype), labels),
        batch_size=256,
        seed=3,
        second_seed=second_seed,
    )


@pytest.mark.parametrize(
    "lr, dtype", [(LR, torch.float64), (0.1, torch.float32)]
)
def test_scratch_and_concise_agree_after_one_epoch(
    relu, fashion_subset, init_params, lr, dtype
):
    run = one_epoch_each(relu, fashion_subset, init_params, lr=lr, dtype=dtype)
    assert min(run.moved) > 0.005, f"training left a parameter: {run}"
    # the repr gives the largest difference of each parameter
    assert max(run.max_diff) < 1e-5, f"scratch and concise differ: {run}"
    gap = run.max_step_loss_diff
    assert gap < 1e-5, f"minibatch losses differ by up to {gap:.2g}"


def test_agreement_check_fails_for_another_batch_order(
    relu, fashion_subset, init_params
):
    run = one_epoch_each(relu, fashion_subset, init_params, second_seed=4)
    assert max(run.max_diff) > 1e-3, f"another batch order unnoticed: {run}"


def test_agreement_check_fails_for_a_wrong_gradient_scale(
    relu, fashion_subset, init_params
):
    run = one_epoch_each(
        relu, fashion_subset, init_params, scratch_divides_by=128
    )
    assert max(run.max_diff) > 1e-3, f"a wrong gradient scale unnoticed: {run}"


# -- model selection: the helpers of the many-data-sets experiments ---------
#
# The model-selection section measures its claims over 1,000 data sets at
# once with batched least squares. These helpers must agree with the
# one-data-set versions the section starts from (``lstsq_fit``, ``mse``,
# ``d2l.polynomial_features``), and the one-standard-error rule must pick
# the simplest candidate within one standard error of the lowest mean.

MODEL_SELECTION = CHAPTER / "model-selection.ipynb"


@pytest.fixture(scope="module")
def ms():
    """The section's functions, each bound to the ones it calls."""
    fns = {"d2l": d2l}
    for name in ("lstsq_fit", "mse", "batch_features"):
        fns[name] = notebook_function(MODEL_SELECTION, name, fns)
    fns["errors_by_degree"] = notebook_function(
        MODEL_SELECTION, "errors_by_degree", fns
    )
    fns["one_se_rule"] = notebook_function(MODEL_SELECTION, "one_se_rule")
    fns["cubic_data"] = notebook_function(
        MODEL_SELECTION,
        "cubic_data",
        {"true_c": torch.tensor([5.0, 1.2, -3.4, 5.6])},
    )
    return fns


def test_batch_features_are_polynomial_features_of_each_row(ms, generator):
    x = torch.randn(3, 7, generator=generator, dtype=torch.float64)
    F = ms["batch_features"](x, 4)
    assert F.shape == (3, 7, 5)
    for row, F_row in zip(x, F):
        torch.testing.assert_close(F_row, d2l.polynomial_features(row, 4))


def test_errors_by_degree_matches_one_fit_per_data_set(ms, generator):
    x = torch.randn(4, 30, generator=generator, dtype=torch.float64)
    y = (
        x**3
        - x
        + 0.1 * torch.randn(4, 30, generator=generator, dtype=torch.float64)
    )
    train_err, test_err = ms["errors_by_degree"](
        x, y[:, :12], y[:, 12:], 12, [1, 3, 5]
    )
    assert train_err.shape == test_err.shape == (3, 4)
    for j, d in enumerate([1, 3, 5]):
        for s in range(4):
            F = d2l.polynomial_features(x[s], d)
            w = ms["lstsq_fit"](F[:12], y[s, :12])
            assert train_err[j, s].item() == pytest.approx(
                ms["mse"](F[:12], y[s, :12], w), rel=1e-8
            )
            assert test_err[j, s].item() == pytest.approx(
                ms["mse"](F[12:], y[s, 12:], w), rel=1e-8
            )


@pytest.mark.parametrize(
    "means, stds, expected",
    [
        ([5.0, 1.0, 1.05, 0.9], [1.0, 0.1, 0.1, 0.4], 1),  # 1 within 1 SE
        ([5.0, 1.0, 1.05, 0.9], [1.0, 0.1, 0.1, 0.1], 3),  # none is
        ([0.5, 1.0, 2.0], [0.1, 0.1, 0.1], 0),  # the lowest is the first
    ],
)
def test_one_se_rule_takes_the_simplest_within_one_standard_error(
    ms, means, stds, expected
):
    # K = 4 folds: SE = std / 2; candidate 3 has mean 0.9, SE 0.2 or 0.05
    pick = ms["one_se_rule"](torch.tensor(means), torch.tensor(stds), 4)
    assert pick == expected


def test_cubic_data_follows_the_cubic_with_the_given_noise(ms):
    torch.manual_seed(0)
    x, y = ms["cubic_data"]((2, 50_000), noise=0.1)
    assert x.dtype == y.dtype == torch.float64 and x.shape == (2, 50_000)
    f = 5 + 1.2 * x - 3.4 * x**2 + 5.6 * x**3
    assert (y - f).std().item() == pytest.approx(0.1, rel=0.02)
    _, y_clean = ms["cubic_data"](7, noise=0.0)
    assert y_clean.shape == (7,)
