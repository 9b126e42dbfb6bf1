"""Backpropagation from scratch: the section's own code, checked.

``backprop-scratch.ipynb`` writes the activations, the forward pass, BP1 to
BP4 and two custom autograd functions in the open. These tests execute
those definitions as the committed notebook has them and check that

* the activations, softmax and cross-entropy agree with PyTorch;
* ``mlp_grads`` equals autograd's gradients to float64 rounding and
  centered differences to 1e-7, for one to four layers, every activation,
  with and without the l2 term;
* ``HandMLP`` and ``HandCrossEntropy`` leave ``mlp_grads`` in ``.grad``,
  and ``torch.autograd.gradcheck`` accepts ``HandMLP``;
* one epoch on Fashion-MNIST, hand-written against autograd twin
  (``d2l.train_twins``), ends with the same parameters in float64;
* and that these checks do catch mistakes: each test of the last group
  rewrites one line of the notebook's code (a transposed weight, a missing
  activation derivative, a loss averaged differently, ...) and asserts
  that the check fails.
"""

from __future__ import annotations

import ast
import json
import math
from typing import Optional

import pytest
import torch
from notebook_tools import ROOT
from torch import nn

import d2lutils as d2l

NOTEBOOK = (
    ROOT
    / "chapters"
    / "gradients-and-initialization"
    / "backprop-scratch.ipynb"
)
DEFINITIONS = {
    "relu",
    "d_relu",
    "sigmoid",
    "d_sigmoid",
    "tanh",
    "d_tanh",
    "ACTIVATIONS",
    "init_params",
    "mlp_forward",
    "softmax",
    "cross_entropy",
    "objective",
    "output_error",
    "mlp_backward",
    "mlp_grads",
    "HandCrossEntropy",
    "HandMLP",
    "make_twin",
}
Mutation = Optional[tuple[str, str, str]]


def _definitions() -> dict[str, str]:
    """Source of each wanted top-level definition, in notebook order."""
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    found: dict[str, str] = {}
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        if source.lstrip().startswith(("%", "#")):
            continue
        for node in ast.parse(source).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                name = node.name
            elif isinstance(node, ast.Assign) and isinstance(
                node.targets[0], ast.Name
            ):
                name = node.targets[0].id
            else:
                continue
            if name in DEFINITIONS:
                assert name not in found, f"{name} is defined twice"
                found[name] = ast.get_source_segment(source, node)
    missing = DEFINITIONS - set(found)
    assert not missing, f"the notebook no longer defines {sorted(missing)}"
    return found


SOURCES = _definitions()


def load(mutation: Mutation = None) -> dict:
    """The notebook's definitions, executed in a fresh namespace.

    ``mutation = (name, old, new)`` first replaces ``old`` by ``new`` in
    the definition of ``name``; ``old`` must occur there exactly once.
    """
    sources = dict(SOURCES)
    if mutation is not None:
        name, old, new = mutation
        count = sources[name].count(old)
        assert count == 1, (
            f"{old!r} occurs {count} times in the notebook's {name}: update "
            "the mutation to the notebook's code"
        )
        sources[name] = sources[name].replace(old, new)
    env = {"torch": torch, "nn": nn, "math": math, "d2l": d2l}
    for source in sources.values():
        exec(compile(source, str(NOTEBOOK.name), "exec"), env)
    return env


@pytest.fixture(scope="module")
def nb():
    return load()


def network(nb, sizes, generator, n=8):
    """float64 parameters for widths ``sizes``, and a random minibatch."""
    params = nb["init_params"](sizes, torch.float64, generator)
    X = torch.randn(n, sizes[0], dtype=torch.float64, generator=generator)
    y = torch.randint(sizes[-1], (n,), generator=generator)
    return params, X, y


def check(nb, sizes, activation, lambd, generator, method="autograd"):
    """The GradReport of the notebook's mlp_grads on a random network."""
    params, X, y = network(nb, sizes, generator)
    phi = nb["ACTIVATIONS"][activation][0]
    manual = nb["mlp_grads"](params, X, y, activation, lambd)
    return d2l.grad_check(
        manual,
        params,
        lambda ps: nb["objective"](ps, X, y, phi, lambd),
        method=method,
    )


ACTIVATIONS = ["relu", "sigmoid", "tanh"]


# -- the pieces against PyTorch -----------------------------------------------


@pytest.mark.parametrize(
    "name, reference",
    [("relu", torch.relu), ("sigmoid", torch.sigmoid), ("tanh", torch.tanh)],
)
def test_activation_and_derivative_match_torch(nb, name, reference):
    grid, ends = torch.linspace(-6, 6, 121), torch.tensor([0.0, -800.0, 800.0])
    Z = torch.cat([grid, ends])
    Z = Z.double()
    phi, dphi = nb["ACTIVATIONS"][name]
    Zg = Z.clone().requires_grad_(True)
    A = reference(Zg)
    (g,) = torch.autograd.grad(A.sum(), Zg)
    torch.testing.assert_close(phi(Z), A.detach())
    torch.testing.assert_close(dphi(Z, phi(Z)), g)


@pytest.mark.parametrize("scale", [1.0, 1000.0])
def test_softmax_and_cross_entropy_match_torch(nb, generator, scale):
    O = scale * torch.randn(20, 7, dtype=torch.float64, generator=generator)
    y = torch.randint(7, (20,), generator=generator)
    torch.testing.assert_close(nb["softmax"](O), torch.softmax(O, dim=1))
    torch.testing.assert_close(
        nb["cross_entropy"](O, y),
        nn.functional.cross_entropy(O, y, reduction="none"),
    )


def test_forward_matches_sequential(nb, generator):
    params, X, _ = network(nb, [6, 5, 4, 3], generator)
    seq = nn.Sequential(
        nn.Linear(6, 5), nn.Sigmoid(), nn.Linear(5, 4), nn.Sigmoid()
    )
    seq.append(nn.Linear(4, 3))
    seq = seq.double()
    with torch.no_grad():
        for layer, W, b in zip(seq[0::2], params[0::2], params[1::2]):
            layer.weight.copy_(W.T)
            layer.bias.copy_(b)
        O, (As, Zs) = nb["mlp_forward"](params, X, nb["sigmoid"])
        torch.testing.assert_close(O, seq(X))
    assert [tuple(A.shape) for A in As] == [(8, 6), (8, 5), (8, 4)]
    assert Zs[0] is None and Zs[-1] is O


def test_init_params_like_nn_linear(nb, generator):
    W, b = nb["init_params"]([784, 256], generator=generator)
    bound = 1 / math.sqrt(784)
    assert W.shape == (784, 256) and b.shape == (256,)
    assert W.abs().max() <= bound and b.abs().max() <= bound
    assert W.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)


# -- gradients --------------------------------------------------------------


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("num_layers", [1, 2, 3, 4])
@pytest.mark.parametrize("lambd", [0.0, 0.3])
def test_grads_equal_autograd(nb, generator, activation, num_layers, lambd):
    sizes = [6] + [5] * (num_layers - 1) + [3]
    check(nb, sizes, activation, lambd, generator).assert_below(1e-13)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_grads_agree_with_finite_differences(nb, generator, activation):
    report = check(
        nb, [6, 5, 4, 3], activation, 0.1, generator, "finite differences"
    )
    report.assert_below(1e-7)


def test_grads_record_no_graph(nb, generator):
    params, X, y = network(nb, [6, 5, 3], generator)
    grads = nb["mlp_grads"](params, X, y, "relu")
    assert all(g.grad_fn is None for g in grads)


def test_autograd_functions_leave_mlp_grads_in_grad(nb, generator):
    params, X, y = network(nb, [6, 5, 4, 3], generator)
    ps = [p.clone().requires_grad_(True) for p in params]
    O = nb["HandMLP"].apply(X, "tanh", *ps)
    nb["HandCrossEntropy"].apply(O, y).mean().backward()
    for p, g in zip(ps, nb["mlp_grads"](params, X, y, "tanh")):
        torch.testing.assert_close(p.grad, g)


def test_torch_gradcheck_accepts_hand_mlp(nb, generator):
    params, X, _ = network(nb, [6, 5, 4, 3], generator)
    ps = [p.clone().requires_grad_(True) for p in params]
    assert torch.autograd.gradcheck(
        lambda *ps: nb["HandMLP"].apply(X, "sigmoid", *ps), ps
    )


# -- twins on Fashion-MNIST ---------------------------------------------------


@pytest.fixture(scope="module")
def fashion_small():
    """The first 2560 training images (10 batches of 256), float64."""
    train_iter, _ = d2l.load_data_fashion_mnist(256)
    features, labels = train_iter.tensors
    return features[:2560].double(), labels[:2560]


def run_twins(env, data, second_seed=None):
    make_twin = env["make_twin"]
    start = env["init_params"](
        [784, 256, 10], torch.float64, torch.Generator().manual_seed(0)
    )
    env["seed"] = 0

    def twin(kind):
        net, loss, params = make_twin(kind, start)
        return d2l.Twin(net, loss, d2l.SGDUpdater(params, 0.5), lambda: params)

    return d2l.train_twins(
        twin("hand"),
        twin("autograd"),
        data,
        batch_size=256,
        seed=0,
        second_seed=second_seed,
    )


def test_twins_end_an_epoch_together_in_float64(nb, fashion_small):
    run = run_twins(nb, fashion_small)
    assert max(run.max_diff) < 1e-9 * max(run.moved), run


def test_twin_comparison_notices_another_batch_order(nb, fashion_small):
    run = run_twins(nb, fashion_small, second_seed=1)
    assert max(run.max_diff) > 1e-3 * max(run.moved), run


def test_twin_comparison_notices_a_loss_averaged_twice(fashion_small):
    env = load(
        (
            "HandCrossEntropy",
            "g.reshape(-1, 1) * output_error(O, y)",
            "g.reshape(-1, 1) * output_error(O, y) / len(y)",
        )
    )
    run = run_twins(env, fashion_small)
    assert max(run.max_diff) > 1e-3 * max(run.moved), run


# -- the checks catch mistakes ------------------------------------------------

# (description, (definition, old, new), activation, lambd): the networks
# are square ([5, 5, 5, 5]) so that a transposed product still has the
# right shape and only the numbers are wrong.
MISTAKES = [
    (
        "BP2 without the transpose",
        ("mlp_backward", "Delta @ W.T", "Delta @ W"),
        "tanh",
        0.0,
    ),
    (
        "BP4 transposed",
        ("mlp_backward", "As[l - 1].T @ Delta", "(Delta.T @ As[l - 1])"),
        "tanh",
        0.0,
    ),
    (
        "missing activation derivative (relu)",
        ("mlp_backward", " * dphi(Zs[l - 1], As[l - 1])", ""),
        "relu",
        0.0,
    ),
    (
        "missing activation derivative (sigmoid)",
        ("mlp_backward", " * dphi(Zs[l - 1], As[l - 1])", ""),
        "sigmoid",
        0.0,
    ),
    (
        "loss summed, not averaged",
        ("mlp_grads", "output_error(O, y) / len(y)", "output_error(O, y)"),
        "relu",
        0.0,
    ),
    (
        "loss averaged over classes too",
        ("mlp_grads", "/ len(y)", "/ O.numel()"),
        "relu",
        0.0,
    ),
    (
        "BP3 averages instead of sums",
        ("mlp_backward", "Delta.sum(dim=0)", "Delta.mean(dim=0)"),
        "tanh",
        0.0,
    ),
    (
        "penalty gradient halved",
        ("mlp_backward", "lambd * W", "lambd / 2 * W"),
        "tanh",
        0.5,
    ),
    (
        "BP1 with the wrong sign",
        ("output_error", "return softmax(O) - Y", "return Y - softmax(O)"),
        "tanh",
        0.0,
    ),
    (
        "sigmoid derivative with the wrong sign",
        ("d_sigmoid", "A * (1 - A)", "A * (A - 1)"),
        "sigmoid",
        0.0,
    ),
    (
        "tanh derivative from Z instead of A",
        ("d_tanh", "1 - A**2", "1 - Z**2"),
        "tanh",
        0.0,
    ),
]
IDS = [m[0] for m in MISTAKES]


def mistake_case(mutation, activation, lambd, method="autograd"):
    """The GradReports of the unbroken and of the broken code, on one and
    the same square network and minibatch (seeded by the mutation), so
    that the mutation is the only difference between the two."""
    name, old, _ = mutation
    seed = sum(map(ord, old))  # a fixed network per mistake
    reports = []
    for env in (load(), load(mutation)):
        reports.append(
            check(
                env,
                [5, 5, 5, 5],
                activation,
                lambd,
                torch.Generator().manual_seed(seed),
                method,
            )
        )
    return reports


@pytest.mark.parametrize(
    "description, mutation, activation, lambd", MISTAKES, ids=IDS
)
def test_unbroken_code_passes_the_check(
    description, mutation, activation, lambd
):
    """The baseline of every mistake: the code the mutation rewrites holds
    the text it replaces, and the unbroken code passes the very check, on
    the very network, that the broken code fails below."""
    name, old, new = mutation
    assert SOURCES[name].count(old) == 1, f"{description}: {old!r}"
    assert old != new, f"{description} changes nothing"
    unbroken, _ = mistake_case(mutation, activation, lambd)
    unbroken.assert_below(1e-13)


@pytest.mark.parametrize(
    "description, mutation, activation, lambd", MISTAKES, ids=IDS
)
@pytest.mark.parametrize("method", ["autograd", "finite differences"])
def test_check_catches_mistake(
    description, mutation, activation, lambd, method
):
    unbroken, broken = mistake_case(mutation, activation, lambd, method)
    unbroken.assert_below(1e-7)
    assert broken.worst > 1e-3, f"{description} went unnoticed: {broken}"
    with pytest.raises(AssertionError, match="by more than"):
        broken.assert_below(1e-7)


def test_transposed_bp4_with_rectangular_weights_fails_at_once(generator):
    """With W2 not square, a transposed BP4 cannot even be computed."""
    broken = load(
        ("mlp_backward", "As[l - 1].T @ Delta", "(Delta.T @ As[l - 1])")
    )
    with pytest.raises(RuntimeError, match="must match the size"):
        check(broken, [6, 5, 3], "tanh", 0.0, generator)


def test_autograd_function_mistake_is_caught(generator):
    """HandCrossEntropy ignoring the gradient from above: with a mean loss
    (g = 1/n) the parameters' .grad is n times too large."""
    broken = load(
        (
            "HandCrossEntropy",
            "g.reshape(-1, 1) * output_error(O, y)",
            "output_error(O, y)",
        )
    )
    params, X, y = network(broken, [6, 5, 3], generator)
    ps = [p.clone().requires_grad_(True) for p in params]
    O = broken["HandMLP"].apply(X, "relu", *ps)
    broken["HandCrossEntropy"].apply(O, y).mean().backward()

    def J(qs):
        return broken["objective"](qs, X, y, broken["relu"])

    report = d2l.grad_check([p.grad for p in ps], params, J)
    assert report.worst > 0.5, report
