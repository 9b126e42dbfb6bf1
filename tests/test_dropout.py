"""The dropout section's scratch layer and MLP against ``nn.Dropout``.

The definitions are taken from the notebook itself (only the ``def`` and
``class`` statements), so the code the reader sees is the code tested.
``nn.Dropout`` draws its masks from PyTorch's own generator; to give the
scratch layer *the same* masks, the tests record the masks ``nn.Dropout``
used (forward hooks) and replay them through the ``torch.rand`` call of
the notebook's ``dropout_layer``. With equal masks the two networks must
compute the same outputs and gradients, and train along the same
trajectory; a layer that scales the kept units wrongly must fail.

The exercises are tested the same way: the fixed hand-written network of
exercise 5 must match autograd, each of its bugs put back alone must fail
that check, the fixed loader must keep its batch size and labels, and the
stopping rule the page replays must stop where ``d2l.EarlyStopping`` does.
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
from d2lutils.callbacks import TrainState

NOTEBOOK = ROOT / "chapters" / "multilayer-perceptrons" / "dropout.ipynb"
NAMES = ("dropout_layer", "init_layer", "MLPScratch", "mlp_concise",
         "copy_to_concise")  # fmt: skip
EXERCISE = ("batches", "batches_fixed", "DropoutMLPByHand",
            "DropoutMLPFixed", "masked_loss", "check_grads",
            "stopping_point")  # fmt: skip
SIZES = (12, 8, 6, 3)  # inputs, two hidden layers, outputs


def notebook_sources(names=NAMES) -> dict[str, str]:
    """Source of each top-level def/class in `names`, from the notebook."""
    found: dict[str, str] = {}
    for cell in json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]:
        src = "".join(cell["source"])
        magic = any(line.lstrip().startswith(("%", "!"))
                    for line in src.splitlines())  # fmt: skip
        if cell["cell_type"] != "code" or magic:
            continue
        for node in ast.parse(src).body:
            defs = (ast.FunctionDef, ast.ClassDef)
            if isinstance(node, defs) and node.name in names:
                assert node.name not in found, f"{node.name} defined twice"
                found[node.name] = ast.get_source_segment(src, node)
    missing = set(names) - set(found)
    assert not missing, f"the notebook no longer defines {sorted(missing)}"
    return found


SOURCES = notebook_sources()
EXERCISE_SOURCES = notebook_sources(EXERCISE)
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


# -- exercise 5: the hand-written network with dropout -----------------------

FIXED = EXERCISE_SOURCES["DropoutMLPFixed"]
# Each of the slides' bugs put back alone into the fixed network.
BUGS = {
    "logits dropped": (
        "else:\n                H = Z\n",
        "else:\n                H = self.dropout(Z, self.p)\n",
    ),
    "input mask unused": (
        "H = self.dropout(X, self.p_in)  # fix 2: use the dropped input",
        "self.dropout(X, self.p_in)\n        H = X",
    ),
    "no mask in backward": (
        "G = G * self.masks[l] / (1 - self.p) * (self.Z[l - 1] > 0)",
        "G = G * (self.Z[l - 1] > 0)",
    ),
    "mask without its scaling": (  # what the slides' backward amounts to
        "G = G * self.masks[l] / (1 - self.p) * (self.Z[l - 1] > 0)",
        "G = G * self.masks[l] * (self.Z[l - 1] > 0)",
    ),
}
for _old, _ in BUGS.values():
    assert _old in FIXED, "update BUGS: the fixed network changed"


def exercise_env(fixed_source: str = FIXED, labels=None) -> dict:
    """The exercise's definitions, executed; `labels` is the global the
    buggy loader reads."""
    env = {"torch": torch, "nn": nn, "F": torch.nn.functional, "d2l": d2l,
           "math": math, "labels": labels}  # fmt: skip
    exec(SOURCES["init_layer"], env)  # noqa: S102
    for name in EXERCISE:
        source = (
            fixed_source
            if name == "DropoutMLPFixed"
            else (EXERCISE_SOURCES[name])
        )
        exec(source, env)  # noqa: S102
    return env


def worst_error(cls_name, p_in, p, env=None, seed=0):
    env = env or exercise_env()
    torch.manual_seed(seed)
    net = env[cls_name]([20, 16, 12, 5], p_in, p)
    X = torch.randn(24, 20, dtype=torch.float64)
    y = torch.randint(0, 5, (24,))
    return env["check_grads"](net, X, y).worst


@pytest.mark.parametrize("p_in, p", [(0.2, 0.5), (0.5, 0.2), (0.0, 0.8)])
def test_fixed_network_matches_autograd(p_in, p):
    assert worst_error("DropoutMLPFixed", p_in, p) < 1e-12


def test_buggy_network_fails_the_check():
    assert worst_error("DropoutMLPByHand", 0.2, 0.5) > 1e-3


def test_without_dropout_the_bugs_are_invisible():
    """At p_in = p = 0 every mask is 1: the buggy network is right, so
    the check above fails because of dropout, not of the backprop."""
    assert worst_error("DropoutMLPByHand", 0.0, 0.0) < 1e-12


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_each_bug_alone_is_caught(bug):
    old, new = BUGS[bug]
    env = exercise_env(FIXED.replace(old, new))
    assert worst_error("DropoutMLPFixed", 0.2, 0.5, env) > 1e-3, bug


def test_fixed_loader_keeps_batch_size_and_labels():
    X = torch.arange(70.0).reshape(35, 2)
    y = torch.arange(35) % 7
    env = exercise_env(labels=torch.zeros(35, dtype=torch.long))
    got = list(env["batches_fixed"](X, y, 8))
    assert [len(y_b) for _, y_b in got] == [8, 8, 8, 8, 3]
    rows = torch.cat([X_b[:, 0] for X_b, _ in got]).long() // 2
    assert sorted(rows.tolist()) == list(range(35)), "each example once"
    assert torch.equal(torch.cat([y_b for _, y_b in got]), y[rows])
    buggy = list(env["batches"](X, y, 8))
    assert [len(y_b) for _, y_b in buggy] != [8, 8, 8, 8, 3], (
        "the buggy loader ignores batch_size"
    )
    assert not torch.equal(
        torch.cat([y_b for _, y_b in buggy]),
        y[torch.cat([X_b[:, 0] for X_b, _ in buggy]).long() // 2],
    ), "it reads the global labels"


# -- the stopping rule replayed on a validation curve -------------------------


@pytest.mark.parametrize("patience", [1, 2, 3, 5, 10])
def test_replayed_rule_stops_where_early_stopping_does(patience):
    stopping_point = exercise_env()["stopping_point"]
    g = torch.Generator().manual_seed(patience)
    for _ in range(50):
        # noisy curves with ties: values on a coarse grid
        curve = (torch.rand(30, generator=g) * 8).round().tolist()
        es = d2l.EarlyStopping("valid_loss", patience=patience)
        state = TrainState(nn.Linear(1, 1), None, None, d2l.History(),
                               len(curve))  # fmt: skip
        es.on_train_begin(state)
        for epoch, value in enumerate(curve, 1):
            state.epoch = epoch
            state.history.log_epoch(valid_loss=value)
            es.on_epoch_end(state)
            if state.stop:
                break
        assert stopping_point(curve, patience=patience) == (
            es.best_epoch,
            es.stopped_epoch,
        ), curve


def test_gl_rule_stops_when_loss_exceeds_minimum_by_alpha_percent():
    stopping_point = exercise_env()["stopping_point"]
    curve = [2.0, 1.0, 1.04, 0.9, 0.94, 0.95, 0.8]
    # 0.95 > 0.9 * 1.05 = 0.945: epoch 6; the best so far is epoch 4
    assert stopping_point(curve, gl_alpha=5) == (4, 6)
    assert stopping_point(curve, gl_alpha=10) == (7, None)
