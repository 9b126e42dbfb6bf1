"""numerical-stability-and-init: the functions the section defines in view.

The section reproduces UDL's Fig. 7.7 with a batch of inputs and 50 weight
matrices. Eqs. (4) and (5) assume the inputs independent of the weights,
so the inputs must not come from the weights' random stream: a generator
seeded like the weights' repeats their numbers (X = W_1 / sigma exactly),
and nn.Linear's default initialization, seeded through torch.manual_seed
with the same number, draws uniform numbers from that same stream
(correlation about -0.36 with standard normals taken from it). The tests
take the functions out of the committed notebook and check the inputs
that actually reach the forward and backward pass.
"""

from __future__ import annotations

import math

import pytest
import torch
from notebook_tools import notebook_function

import d2lutils as d2l

NOTEBOOK = (
    "chapters/gradients-and-initialization/numerical-stability-and-init.ipynb"
)
D, K, BATCH = 100, 50, 100
SEEDS = [0, 7, 11, 2024, 100, 129]
# |corr| of two independent samples of 10 000 values: sd 0.01; 0.05 is 5 sd
LIMIT = 0.05


def _namespace(seed: int) -> dict:
    ns = {"d2l": d2l, "D": D, "K": K, "batch_size": BATCH, "seed": seed}
    for name in ("normal_weights", "udl_inputs", "default_network"):
        ns[name] = notebook_function(NOTEBOOK, name, ns)
    return ns


def _inputs_reaching_the_network(ns: dict, Ws) -> torch.Tensor:
    """Run the notebook's layer_variances with a spy for forward_backward."""
    seen = []

    def spy(Ws, bs, X, Ws_back=None):
        seen.append(X)
        zeros = [torch.zeros(BATCH, D, dtype=torch.float64)] * len(Ws)
        return zeros, zeros

    ns = {**ns, "forward_backward": spy}
    layer_variances = notebook_function(NOTEBOOK, "layer_variances", ns)
    layer_variances(Ws)
    assert len(seen) == 1, "layer_variances runs the network once"
    return seen[0]


def _largest_correlation(X: torch.Tensor, matrices) -> float:
    """Largest |correlation| between the entries of X and of any matrix."""
    x = X.flatten().double()
    return max(
        abs(
            float(torch.corrcoef(torch.stack([x, M.flatten().double()]))[0, 1])
        )
        for M in matrices
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_fig77_inputs_are_independent_of_the_weights(seed):
    ns = _namespace(seed)
    standard = ns["normal_weights"](1.0, torch.Generator().manual_seed(seed))
    Ws = [math.sqrt(0.02) * Z for Z in standard]
    X = _inputs_reaching_the_network(ns, Ws)
    assert X.shape == (BATCH, D)
    r = _largest_correlation(X, standard)
    assert r < LIMIT, f"inputs correlated with the weights' draws: {r:.3f}"
    defaults = [layer.weight.detach() for layer in ns["default_network"](seed)]
    r = _largest_correlation(X, defaults)
    assert r < LIMIT, f"inputs correlated with nn.Linear's default: {r:.3f}"


def test_the_check_catches_a_shared_stream():
    """Inputs drawn from the weights' seed (the mistake) fail the check."""
    seed = 0
    ns = _namespace(seed)
    shared = torch.randn(
        BATCH,
        D,
        dtype=torch.float64,
        generator=torch.Generator().manual_seed(seed),
    )
    standard = ns["normal_weights"](1.0, torch.Generator().manual_seed(seed))
    assert _largest_correlation(shared, standard) > 0.99  # X = Z_1
    defaults = [layer.weight.detach() for layer in ns["default_network"](seed)]
    assert _largest_correlation(shared, defaults) > 5 * LIMIT


def test_forward_backward_matches_autograd_also_with_other_backward_weights():
    fb = notebook_function(NOTEBOOK, "forward_backward")
    g = torch.Generator().manual_seed(3)
    Ws = [
        0.2 * torch.randn(8, 8, generator=g, dtype=torch.float64)
        for _ in range(4)
    ]
    bs = [0.0] + [
        0.1 * torch.randn(8, generator=g, dtype=torch.float64)
        for _ in range(3)
    ]
    X = torch.randn(5, 8, generator=g, dtype=torch.float64)
    fs, grads = fb(Ws, bs, X)
    leaves, H, outs = [W.clone().requires_grad_() for W in Ws], X, []
    for W, b in zip(leaves, bs):
        f = H @ W.T + b
        f.retain_grad()
        outs.append(f)
        H = torch.relu(f)
    (outs[-1] ** 2).sum().backward()
    for mine, f in zip(grads, outs):
        torch.testing.assert_close(mine, f.grad)
    # with the backward weights all zero, only the top gradient survives
    _, grads0 = fb(Ws, bs, X, Ws_back=[torch.zeros_like(W) for W in Ws])
    assert all(not g.any() for g in grads0[:-1])
    torch.testing.assert_close(grads0[-1], 2 * fs[-1])


@pytest.mark.parametrize("relu", [False, True])
def test_input_jacobian_matches_autograd(relu):
    jac = notebook_function(NOTEBOOK, "input_jacobian")
    g = torch.Generator().manual_seed(5)
    Ws = [
        0.4 * torch.randn(6, 6, generator=g, dtype=torch.float64)
        for _ in range(5)
    ]
    x = torch.randn(6, generator=g, dtype=torch.float64)

    def net(x):
        for W in Ws[:-1]:
            x = torch.relu(W @ x) if relu else W @ x
        return Ws[-1] @ x

    torch.testing.assert_close(
        jac(Ws, x, relu), torch.autograd.functional.jacobian(net, x)
    )


def test_scaled_sigmoids_have_the_slope_and_value_the_text_gives():
    scaled = notebook_function(NOTEBOOK, "scaled_sigmoid")
    at_zero = notebook_function(NOTEBOOK, "at_zero")
    for (scale, shift), (value, slope) in {
        (1, 0.0): (0.5, 0.25),
        (1, 0.5): (0.0, 0.25),
        (4, 1.5): (0.5, 1.0),
        (4, 2.0): (0.0, 1.0),
    }.items():
        assert at_zero(scaled(scale, shift)) == pytest.approx((value, slope))
    x = torch.linspace(-3, 3, 13, dtype=torch.float64)
    torch.testing.assert_close(scaled(4, 2)(x), 2 * torch.tanh(x / 2))
