"""The softmax-regression sections: the notebooks' own code, checked.

The scratch section writes ``softmax``, ``cross_entropy``, ``net``,
``accuracy`` and ``evaluate_accuracy`` in the open. These tests take those
definitions out of the committed notebook (so they test what the reader
sees, not a copy) and check that

* they agree with PyTorch and with the library copies in ``d2lutils``;
* the copies of ``softmax``/``cross_entropy`` in the concise section have
  not drifted from the scratch ones;
* scratch and concise softmax regression, started from the same weights and
  fed the same minibatches (``d2l.train_twins``), have the same minibatch
  loss at every step and end one epoch with the same parameters (1e-5),
  and that this comparison does fail when the batch order or the loss
  differs.

The section's training loop (``train_epoch_ch3``, ``train_ch3``) is checked
against ``d2l.train_ch3`` in ``test_notebook_copies.py``, with the other
from-scratch functions that have a copy in the package.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from notebook_tools import notebook_function
from torch import nn
from torch.nn import functional as F

import d2lutils as d2l

CHAPTER = Path(__file__).resolve().parents[1] / "chapters" / "linear-networks"
SCRATCH = CHAPTER / "softmax-regression-scratch.ipynb"
CONCISE = CHAPTER / "softmax-regression-concise.ipynb"


def notebook_defs(nb_path: Path, names: list[str], **globals_) -> dict:
    """The notebook's definitions of ``names``, in that order.

    Each ``def`` is run by ``notebook_function`` in a namespace holding
    ``F``, ``d2l``, ``globals_`` and the functions extracted before it, so
    list a function after those it calls (``softmax`` before ``net``).
    """
    ns = {"F": F, "d2l": d2l, **globals_}
    for name in names:
        ns[name] = notebook_function(nb_path, name, ns)
    return ns


@pytest.fixture(scope="module")
def scratch():
    return notebook_defs(
        SCRATCH,
        [
            "softmax_naive",
            "softmax",
            "net",
            "cross_entropy",
            "accuracy",
            "evaluate_accuracy",
        ],
    )


@pytest.fixture(scope="module")
def concise():
    return notebook_defs(CONCISE, ["softmax", "cross_entropy"])


@pytest.fixture(scope="module")
def fashion_subset():
    """The first 20000 training images (78 full batches of 256 and one of
    32, so the partial last batch is exercised), as the loaders give them."""
    train_iter, _ = d2l.load_data_fashion_mnist(256)
    features, labels = train_iter.tensors
    return features[:20000], labels[:20000]


# -- the pieces -------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_softmax_matches_torch(scratch, generator, dtype):
    X = 5 * torch.randn(64, 10, generator=generator, dtype=dtype)
    torch.testing.assert_close(scratch["softmax"](X), torch.softmax(X, dim=1))


def test_softmax_is_stable_where_the_naive_one_fails(scratch):
    X = torch.tensor([[1000.0, 0.0], [-1000.0, -1000.0]])
    assert torch.isnan(scratch["softmax_naive"](X)).any()
    out = scratch["softmax"](X)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out, torch.softmax(X, dim=1))


def test_cross_entropy_matches_torch(scratch, generator):
    O = torch.randn(32, 10, generator=generator, dtype=torch.float64)
    y = torch.randint(0, 10, (32,), generator=generator)
    got = scratch["cross_entropy"](scratch["softmax"](O), y)
    torch.testing.assert_close(got, F.cross_entropy(O, y, reduction="none"))


def test_net_is_softmax_of_affine_map(generator):
    W = torch.randn(784, 10, generator=generator, dtype=torch.float64)
    b = torch.randn(10, generator=generator, dtype=torch.float64)
    ns = notebook_defs(SCRATCH, ["softmax", "net"], W=W, b=b)
    X = torch.rand(5, 1, 28, 28, generator=generator, dtype=torch.float64)
    expected = torch.softmax(X.reshape(5, 784) @ W + b, dim=1)
    torch.testing.assert_close(ns["net"](X), expected)


@pytest.mark.parametrize(
    "y_hat, y",
    [
        (
            torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]),
            torch.tensor([1, 1, 1]),
        ),
        (torch.tensor([2, 0, 1, 1]), torch.tensor([2, 1, 1, 0])),
        (torch.eye(10)[torch.arange(10) % 3], torch.arange(10)),
        (
            torch.tensor([[0.2, 0.5, 0.3]]),
            torch.tensor([1], dtype=torch.int32),
        ),
    ],
)
def test_accuracy_matches_library_copy(scratch, y_hat, y):
    assert scratch["accuracy"](y_hat, y) == d2l.accuracy(y_hat, y)


def test_evaluate_accuracy_matches_library_copy(scratch, generator):
    X = torch.randn(300, 4, generator=generator)
    y = torch.randint(0, 3, (300,), generator=generator)
    lin = nn.Linear(4, 3)
    loader = d2l.load_array((X, y), 64, is_train=False)
    got = scratch["evaluate_accuracy"](lin, loader)
    assert got == d2l.evaluate_accuracy(lin, loader)
    assert 0.0 <= got <= 1.0


@pytest.mark.parametrize("name", ["softmax", "cross_entropy"])
def test_concise_copy_has_not_drifted(scratch, concise, generator, name):
    O = 30 * torch.randn(50, 10, generator=generator)
    y = torch.randint(0, 10, (50,), generator=generator)
    if name == "softmax":
        args = (O,)
    else:
        args = (scratch["softmax"](O).clamp_min(1e-30), y)
    torch.testing.assert_close(concise[name](*args), scratch[name](*args))


# -- scratch and concise agree ----------------------------------------------


def one_epoch_each(data, W0, *, scratch_loss, second_seed=None):
    """One epoch of the scratch and of the concise model from ``W0`` on the
    same batches (seed 3; the concise twin's from ``second_seed`` if given).
    """
    W = W0.clone().requires_grad_(True)
    b = torch.zeros(10, requires_grad=True)
    ns = notebook_defs(SCRATCH, ["softmax", "net"], W=W, b=b)
    scratch = d2l.Twin(
        ns["net"],
        scratch_loss,
        lambda n: d2l.sgd([W, b], 0.1, n),
        lambda: [W, b],
    )
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    with torch.no_grad():
        net[1].weight.copy_(W0.T)
        net[1].bias.zero_()
    concise = d2l.Twin(
        net,
        nn.CrossEntropyLoss(),
        torch.optim.SGD(net.parameters(), lr=0.1),
        lambda: [net[1].weight.T, net[1].bias],
    )
    return d2l.train_twins(
        scratch, concise, data, batch_size=256, seed=3, second_seed=second_seed
    )


@pytest.fixture(scope="module")
def W0():
    g = torch.Generator().manual_seed(0)
    return torch.normal(0.0, 0.01, size=(784, 10), generator=g)


def test_scratch_and_concise_agree_after_one_epoch(
    scratch, fashion_subset, W0
):
    run = one_epoch_each(
        fashion_subset, W0, scratch_loss=scratch["cross_entropy"]
    )
    assert run.moved[0] > 0.05, f"training hardly moved W: {run}"
    # the repr gives the largest difference of each parameter
    assert max(run.max_diff) < 1e-5, f"scratch and concise differ: {run}"
    gap = run.max_step_loss_diff
    assert gap < 1e-5, f"minibatch losses differ by up to {gap:.2g}"


def test_agreement_check_fails_for_another_batch_order(
    scratch, fashion_subset, W0
):
    run = one_epoch_each(
        fashion_subset,
        W0,
        scratch_loss=scratch["cross_entropy"],
        second_seed=4,
    )
    assert run.max_diff[0] > 1e-3, f"another batch order unnoticed: {run}"


def test_agreement_check_fails_for_a_log10_loss(fashion_subset, W0):
    def cross_entropy_log10(y_hat, y):
        return -torch.log10(y_hat[range(len(y_hat)), y])

    run = one_epoch_each(fashion_subset, W0, scratch_loss=cross_entropy_log10)
    assert run.max_diff[0] > 1e-3, f"a log10 loss unnoticed: {run}"
