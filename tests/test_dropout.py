"""The dropout section's scratch layer and MLP against ``nn.Dropout``.

The definitions are taken from the notebook itself (only the ``def`` and
``class`` statements), so the code the reader sees is the code tested.
``nn.Dropout`` draws its masks from PyTorch's own generator; to give the
scratch layer *the same* masks, the tests record the masks ``nn.Dropout``
used (forward hooks) and replay them through the ``torch.rand`` call of
the notebook's ``dropout_layer``. With equal masks the two networks must
compute the same outputs and gradients, and train along the same
trajectory; a layer that scales the kept units wrongly must fail.
"""

from __future__ import annotations

import ast
import json
import math

import pytest
import torch
from notebook_tools import ROOT
from torch import nn

import d2lutils as d2l

NOTEBOOK = ROOT / "chapters" / "multilayer-perceptrons" / "dropout.ipynb"
NAMES = ("dropout_layer", "init_layer", "MLPScratch", "mlp_concise",
         "copy_to_concise")  # fmt: skip
SIZES = (12, 8, 6, 3)  # inputs, two hidden layers, outputs


def notebook_sources() -> dict[str, str]:
    """Source of each top-level def/class in NAMES, from the notebook."""
    found: dict[str, str] = {}
    for cell in json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] != "code" or src.lstrip().startswith("#"):
            continue
        for node in ast.parse(src).body:
            defs = (ast.FunctionDef, ast.ClassDef)
            if isinstance(node, defs) and node.name in NAMES:
                assert node.name not in found, f"{node.name} defined twice"
                found[node.name] = ast.get_source_segment(src, node)
    missing = set(NAMES) - set(found)
    assert not missing, f"the notebook no longer defines {sorted(missing)}"
    return found


SOURCES = notebook_sources()
# Two ways to get the scaling wrong, made from the notebook's own line.
SCALED = "xi * X / (1 - p)"
assert SCALED in SOURCES["dropout_layer"], "update the mutations below"
WRONG = {
    "times 1 - p": SOURCES["dropout_layer"].replace(
        SCALED, "xi * X * (1 - p)"
    ),
    "unscaled": SOURCES["dropout_layer"].replace(SCALED, "xi * X"),
}


class MaskFeed:
    """Stands in for ``torch`` in the scratch code: ``rand`` returns the
    recorded masks (1.0 keep, 0.0 drop) in order; all else is torch."""

    def __init__(self) -> None:
        self.masks: list[torch.Tensor] = []

    def rand(self, shape):
        mask = self.masks.pop(0)
        assert tuple(mask.shape) == tuple(shape), "masks out of order"
        return mask.to(torch.float64)

    def __getattr__(self, name):
        return getattr(torch, name)


def build(layer_source: str = SOURCES["dropout_layer"], feed=None) -> dict:
    """Execute the notebook's definitions; ``feed`` replaces torch.rand."""
    env = {"torch": feed if feed is not None else torch, "nn": nn}
    env["math"] = math
    exec(layer_source, env)  # noqa: S102
    for name in NAMES[1:]:
        exec(SOURCES[name], env)  # noqa: S102
    return env


def record_masks(net: nn.Sequential, feed: MaskFeed) -> None:
    """Append the keep-mask of every nn.Dropout call to ``feed.masks``."""

    def hook(module, inputs, output):
        x = inputs[0]
        # where x == 0 the mask does not matter; call those kept
        feed.masks.append(((output != 0) | (x == 0)).to(torch.float64))

    for m in net:
        if isinstance(m, nn.Dropout):
            m.register_forward_hook(hook)


def twins(p: float, layer_source: str = SOURCES["dropout_layer"]):
    """A scratch and a concise net with the same float64 parameters, and
    the feed that carries the concise net's masks to the scratch one."""
    feed = MaskFeed()
    env = build(layer_source, feed)
    torch.manual_seed(0)
    scratch = env["MLPScratch"](*SIZES, p, p).double()
    concise = env["mlp_concise"](*SIZES, p, p).double()
    env["copy_to_concise"](scratch, concise)
    record_masks(concise, feed)
    return scratch, concise, feed


def scratch_params(net):
    return [net.W1, net.b1, net.W2, net.b2, net.W3, net.b3]


def concise_params(net):
    return [
        t
        for layer in net[::3]
        for t in (layer.weight.T, layer.bias)  # shared layout: W as in X W
    ]


def outputs_and_grads(net, X, y):
    """Output and gradients, in the shared layout (W as in X W)."""
    net.zero_grad()
    out = net(X)
    nn.functional.cross_entropy(out, y).backward()
    return [out.detach()] + [
        p.grad.T if p.ndim == 2 and isinstance(net, nn.Sequential) else p.grad
        for p in net.parameters()
    ]


def compare_same_masks(p, layer_source=SOURCES["dropout_layer"]):
    """Concise forward/backward first (masks recorded), then scratch."""
    scratch, concise, feed = twins(p, layer_source)
    g = torch.Generator().manual_seed(1)
    X = torch.randn(32, SIZES[0], generator=g, dtype=torch.float64)
    y = torch.randint(0, SIZES[-1], (32,), generator=g)
    got_c = outputs_and_grads(concise, X, y)
    assert len(feed.masks) == 2, "one mask per hidden layer"
    got_s = outputs_and_grads(scratch, X, y)
    for a, b in zip(got_s, got_c):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


# -- the layer on its own ---------------------------------------------------


@pytest.fixture
def dropout_layer():
    return build()["dropout_layer"]


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan")])
def test_bad_probability_is_refused(dropout_layer, p):
    with pytest.raises(ValueError, match=r"must be in \[0, 1\]"):
        dropout_layer(torch.ones(3), p)


def test_edge_cases_match_nn_dropout(dropout_layer):
    X = torch.randn(5, 7)
    torch.testing.assert_close(dropout_layer(X, 0), X)
    torch.testing.assert_close(nn.Dropout(0)(X), X)
    assert torch.equal(dropout_layer(X, 1), torch.zeros_like(X))
    assert torch.equal(nn.Dropout(1)(X), torch.zeros_like(X))


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_mean_and_variance(dropout_layer, p):
    torch.manual_seed(0)
    h = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64)
    n = 200_000
    H = dropout_layer(h.expand(n, -1), p)
    var = p / (1 - p) * h**2
    assert ((H.mean(0) - h).abs() < 4 * (var / n).sqrt()).all()
    torch.testing.assert_close(H.var(0), var, rtol=0.03, atol=0)


# -- scratch network versus nn.Dropout --------------------------------------


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_same_masks_same_outputs_and_gradients(p):
    compare_same_masks(p)


@pytest.mark.parametrize("wrong", sorted(WRONG))
def test_wrong_scaling_is_caught(wrong):
    with pytest.raises(AssertionError):
        compare_same_masks(0.5, WRONG[wrong])


def test_eval_mode_is_the_same_network_without_dropout():
    scratch, concise, feed = twins(0.5)
    scratch.eval()
    concise.eval()
    X = torch.randn(16, SIZES[0], dtype=torch.float64)
    torch.testing.assert_close(scratch(X), concise(X))
    assert all(bool(m.all()) for m in feed.masks), "eval mode dropped"


@pytest.mark.parametrize("p", [0.0, 0.5])
def test_same_training_trajectory(p):
    """Trained on the same batches with the same masks (p = 0.5) or with
    dropout off (p = 0), both end with the same parameters."""
    scratch, concise, feed = twins(p)
    g = torch.Generator().manual_seed(2)
    X = torch.randn(60, SIZES[0], generator=g, dtype=torch.float64)
    y = torch.randint(0, SIZES[-1], (60,), generator=g)

    def twin(net, params):
        updater = torch.optim.SGD(net.parameters(), lr=0.5)
        return d2l.Twin(net, nn.CrossEntropyLoss(), updater,
                        lambda: params(net))  # fmt: skip

    run = d2l.train_twins(
        twin(concise, concise_params),  # first: records the masks
        twin(scratch, scratch_params),
        (X, y),
        batch_size=10,
        num_epochs=3,
    )
    assert min(run.moved) > 1e-3, "training should move every parameter"
    assert max(run.max_diff) < 1e-10, run
    assert feed.masks == [], "every recorded mask was replayed"
