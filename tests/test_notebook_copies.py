"""The chapters' from-scratch functions and their d2lutils copies agree.

A from-scratch section defines its pieces (``linreg``, ``squared_loss``,
``sgd``, ``data_iter``, ...) in the open, where the reader sees them; later
sections import the same pieces from ``d2lutils``. So the two copies cannot
drift apart, the tests here take each ``def`` out of the notebook, execute
it alone, and check that it behaves exactly like the library version on
several inputs. The classifier's training loop, written out in
softmax-regression-scratch, is checked the same way against
``d2l.train_ch3``: trained from the same start on the same minibatches,
both give the same history and parameters.

The extraction helpers of :mod:`notebook_tools` (``notebook_definitions``,
``notebook_namespace``, ``notebook_function``) are shared with the section
tests; their own tests are here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from notebook_tools import (
    ROOT,
    notebook_definitions,
    notebook_function,
    notebook_namespace,
)

import d2lutils as d2l

SCRATCH = ROOT / "chapters/linear-networks/linear-regression-scratch.ipynb"


# -- the helper itself ----------------------------------------------------


def _write_notebook(path: Path, sources: list[str]) -> Path:
    cells = [
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": src,
        }
        for src in sources
    ]
    path.write_text(
        json.dumps(
            {
                "cells": cells,
                "metadata": {},
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        )
    )
    return path


def test_notebook_function_runs_only_the_def(tmp_path):
    nb = _write_notebook(
        tmp_path / "x.ipynb",
        [
            "%pip install nothing\n"
            "def double(x):\n    return 2 * x\n"
            "raise RuntimeError('the rest of the cell must not run')\n",
        ],
    )
    assert notebook_function(nb, "double")(torch.tensor(3)).item() == 6


def test_notebook_function_extra_namespace(tmp_path):
    nb = _write_notebook(
        tmp_path / "x.ipynb",
        [
            "def f(x):\n    return helper(x) + 1\n",
        ],
    )
    f = notebook_function(nb, "f", {"helper": lambda x: 10 * x})
    assert f(2) == 21


def test_notebook_function_missing_name(tmp_path):
    nb = _write_notebook(tmp_path / "x.ipynb", ["x = 1\n"])
    with pytest.raises(LookupError, match="defines 'nope' at its top level"):
        notebook_function(nb, "nope")


def test_notebook_function_two_definitions(tmp_path):
    nb = _write_notebook(
        tmp_path / "x.ipynb",
        [
            "def f():\n    return 1\n",
            "def f():\n    return 2\n",
        ],
    )
    with pytest.raises(ValueError, match=r"more than once \(cells 0, 1\)"):
        notebook_function(nb, "f")


def test_notebook_function_missing_notebook(tmp_path):
    with pytest.raises(FileNotFoundError, match="no notebook at"):
        notebook_function(tmp_path / "absent.ipynb", "f")


def test_definitions_of_functions_classes_and_tables(tmp_path):
    """A cell that opens with a comment is read like any other."""
    nb = _write_notebook(
        tmp_path / "x.ipynb",
        [
            "# the activations and their derivatives\n"
            "ACTIVATIONS = {'id': lambda z: z}\nprint(ACTIVATIONS)\n",
            "class Net:\n    pass\n\n\ndef f(x):\n    return x\n",
        ],
    )
    sources = notebook_definitions(nb, ["f", "ACTIVATIONS", "Net"])
    assert list(sources) == ["f", "ACTIVATIONS", "Net"]
    assert sources["ACTIVATIONS"] == "ACTIVATIONS = {'id': lambda z: z}"
    assert sources["Net"] == "class Net:\n    pass"


def test_namespace_with_a_deliberate_mistake(tmp_path):
    nb = _write_notebook(
        tmp_path / "x.ipynb",
        ["def half(x):\n    return x / 2\n", "def quarter(x):\n"
         "    return half(half(x))\n"],
    )  # fmt: skip
    ns = notebook_namespace(nb, ["half", "quarter"], {"unused": 0})
    assert ns["quarter"](8) == 2 and ns["unused"] == 0
    broken = notebook_namespace(
        nb, ["half", "quarter"], replace={"half": ("/ 2", "/ 3")}
    )
    assert broken["quarter"](9) == 1
    with pytest.raises(ValueError, match="'/ 4' occurs 0 times"):
        notebook_namespace(nb, ["half"], replace={"half": ("/ 4", "/ 5")})


# -- behaviour checks, one per function -----------------------------------


def check_same_linreg(nb_fn: Callable, lib_fn: Callable) -> None:
    g = torch.Generator().manual_seed(0)
    for n, d, dtype in [
        (1, 1, torch.float32),
        (7, 3, torch.float64),
        (50, 2, torch.float32),
    ]:
        X = torch.randn(n, d, generator=g, dtype=dtype)
        w = torch.randn(d, 1, generator=g, dtype=dtype)
        for b in (
            torch.randn(1, generator=g, dtype=dtype),
            torch.tensor(0.5, dtype=dtype),
        ):
            torch.testing.assert_close(
                nb_fn(X, w, b), lib_fn(X, w, b), rtol=0, atol=0
            )


def check_same_squared_loss(nb_fn: Callable, lib_fn: Callable) -> None:
    g = torch.Generator().manual_seed(1)
    for n in (1, 5, 64):
        y_hat = torch.randn(n, 1, generator=g, dtype=torch.float64)
        y = torch.randn(n, generator=g, dtype=torch.float64)
        for labels in (y, y.reshape(-1, 1)):
            out = nb_fn(y_hat, labels)
            assert out.shape == (n, 1)
            torch.testing.assert_close(
                out, lib_fn(y_hat, labels), rtol=0, atol=0
            )


def check_same_sgd(nb_fn: Callable, lib_fn: Callable) -> None:
    g = torch.Generator().manual_seed(2)
    for lr, batch_size in [(0.03, 10), (0.5, 1), (1.0, 7)]:
        params = [
            torch.randn(3, 1, generator=g, dtype=torch.float64),
            torch.randn(1, generator=g, dtype=torch.float64),
        ]
        grads = [torch.randn_like(p) for p in params]
        copies = []
        for _ in range(2):
            ps = [p.clone().requires_grad_(True) for p in params]
            for p, gr in zip(ps, grads):
                p.grad = gr.clone()
            copies.append(ps)
        nb_fn(copies[0], lr, batch_size)
        lib_fn(copies[1], lr, batch_size)
        for p_nb, p_lib, p0, gr in zip(*copies, params, grads):
            torch.testing.assert_close(p_nb, p_lib, rtol=0, atol=0)
            torch.testing.assert_close(
                p_nb.detach(), p0 - lr * gr / batch_size
            )
            assert p_nb.grad.abs().max() == 0 == p_lib.grad.abs().max()


def check_same_data_iter(nb_fn: Callable, lib_fn: Callable) -> None:
    features = torch.arange(46.0).reshape(23, 2)
    labels = torch.arange(23.0).reshape(23, 1)
    for batch_size in (1, 5, 10, 23, 100):
        for seed in (0, 3):
            ours = list(
                nb_fn(
                    batch_size,
                    features,
                    labels,
                    generator=torch.Generator().manual_seed(seed),
                )
            )
            theirs = list(
                lib_fn(
                    batch_size,
                    features,
                    labels,
                    generator=torch.Generator().manual_seed(seed),
                )
            )
            assert len(ours) == len(theirs) == math.ceil(23 / batch_size)
            for (X1, y1), (X2, y2) in zip(ours, theirs):
                assert torch.equal(X1, X2) and torch.equal(y1, y2)
            seen = torch.cat([y for _, y in ours])[:, 0]
            assert torch.equal(seen.sort().values, labels[:, 0])


def check_same_synthetic_data(nb_fn: Callable, lib_fn: Callable) -> None:
    w = torch.tensor([2.0, -3.4])
    for num_examples, noise in [(1, 0.01), (100, 0.01), (10, 0.0)]:
        X1, y1 = nb_fn(
            w,
            4.2,
            num_examples,
            noise=noise,
            generator=torch.Generator().manual_seed(5),
        )
        X2, y2 = lib_fn(
            w,
            4.2,
            num_examples,
            noise=noise,
            generator=torch.Generator().manual_seed(5),
        )
        assert X1.shape == (num_examples, 2) and y1.shape == (num_examples, 1)
        assert torch.equal(X1, X2) and torch.equal(y1, y2)


COPIES = [
    ("linreg", d2l.linreg, check_same_linreg),
    ("squared_loss", d2l.squared_loss, check_same_squared_loss),
    ("sgd", d2l.sgd, check_same_sgd),
    ("data_iter", d2l.data_iter, check_same_data_iter),
    ("synthetic_data", d2l.synthetic_data, check_same_synthetic_data),
]


@pytest.mark.parametrize(
    ("name", "lib_fn", "check"), COPIES, ids=[c[0] for c in COPIES]
)
def test_scratch_notebook_matches_d2lutils(name, lib_fn, check):
    check(notebook_function(SCRATCH, name), lib_fn)


# A check that cannot fail proves nothing: each one must catch a copy that
# has drifted. These are plausible slips, each a one-line change.
DRIFTED = [
    (
        "linreg",
        "def linreg(X, w, b):\n    return X @ w - b\n",
        check_same_linreg,
    ),
    (
        "squared_loss",
        "def squared_loss(y_hat, y):\n"
        "    return (y_hat - y.reshape(y_hat.shape)) ** 2\n",
        check_same_squared_loss,
    ),
    (
        "sgd",
        "def sgd(params, lr, batch_size):\n"
        "    with torch.no_grad():\n"
        "        for param in params:\n"
        "            param -= lr * param.grad\n"
        "            param.grad.zero_()\n",
        check_same_sgd,
    ),
    (
        "data_iter",
        "def data_iter(batch_size, features, labels, *, generator=None):\n"
        "    n = len(features)\n"
        "    indices = torch.randperm(n, generator=generator)\n"
        "    for i in range(0, n - batch_size + 1, batch_size):\n"
        "        batch = indices[i : i + batch_size]\n"
        "        yield features[batch], labels[batch]\n",
        check_same_data_iter,
    ),
    (
        "synthetic_data",
        "def synthetic_data(w, b, num_examples, *, noise=0.01,"
        " generator=None):\n"
        "    X = torch.normal(0.0, 1.0, (num_examples, len(w)),\n"
        "                     generator=generator)\n"
        "    y = X @ w + b + noise * torch.rand(num_examples,\n"
        "                                       generator=generator)\n"
        "    return X, y.reshape(-1, 1)\n",
        check_same_synthetic_data,
    ),
]


@pytest.mark.parametrize(
    ("name", "source", "check"), DRIFTED, ids=[c[0] for c in DRIFTED]
)
def test_drifted_copy_is_caught(tmp_path, name, source, check):
    lib_fn = {c[0]: c[1] for c in COPIES}[name]
    nb = _write_notebook(tmp_path / "drifted.ipynb", [source])
    with pytest.raises(AssertionError):
        check(notebook_function(nb, name), lib_fn)


# -- the classifier's training loop ---------------------------------------
#
# softmax-regression-scratch writes its training epoch and loop in the open
# (``train_epoch_ch3``, ``train_ch3``) and says that ``d2l.train_ch3`` is
# that loop kept in the package. Trained from the same start on the same
# minibatches, the two must give the same history and parameters.

SOFTMAX_SCRATCH = (
    ROOT / "chapters/linear-networks/softmax-regression-scratch.ipynb"
)
LOOP_NAMES = [
    "softmax",
    "cross_entropy",
    "accuracy",
    "evaluate_accuracy",
    "train_epoch_ch3",
    "train_ch3",
]


def _loop_functions(
    tmp_path: Path, overrides: dict[str, str] | None = None
) -> dict:
    """The scratch section's loop and what it calls, each ``def`` taken
    from the notebook (or from ``overrides[name]``, a drifted source),
    listed after the functions it calls so that it sees them."""
    ns: dict = {"d2l": d2l}
    for name in LOOP_NAMES:
        source = (overrides or {}).get(name)
        if source is None:
            path = SOFTMAX_SCRATCH
        else:
            path = _write_notebook(
                tmp_path / f"drifted-{name}.ipynb", [source]
            )
        ns[name] = notebook_function(path, name, ns)
    return ns


def _train_both(ns: dict, num_epochs: int = 3):
    """Train the page's loop and ``d2l.train_ch3`` from the same W0 on the
    same minibatches (300 examples in batches of 64: the last one holds 44);
    return both histories and final parameters."""
    g = torch.Generator().manual_seed(0)
    X = torch.rand(300, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (300,), generator=g)
    X_test = torch.rand(100, 1, 28, 28, generator=g)
    y_test = torch.randint(0, 10, (100,), generator=g)
    W0 = torch.normal(0.0, 0.01, (784, 10), generator=g)
    runs = []
    for train_ch3 in (ns["train_ch3"], d2l.train_ch3):
        W = W0.clone().requires_grad_(True)
        b = torch.zeros(10, requires_grad=True)

        def net(X, W=W, b=b):
            return ns["softmax"](X.reshape(-1, 784) @ W + b)

        kwargs = {} if train_ch3 is ns["train_ch3"] else {"animate": False}
        history = train_ch3(
            net,
            d2l.ArrayLoader((X, y), 64, generator=7),
            d2l.ArrayLoader((X_test, y_test), 64, shuffle=False),
            ns["cross_entropy"],
            num_epochs,
            lambda n, W=W, b=b: d2l.sgd([W, b], 0.1, n),
            **kwargs,
        )
        runs.append((history, W.detach(), b.detach()))
    return runs


def check_same_training_loop(ns: dict) -> None:
    (h_page, W_page, b_page), (h_lib, W_lib, b_lib) = _train_both(ns)
    assert all(math.isfinite(v) for v in h_lib["train_loss"]), (
        f"the reference run diverged: {h_lib}"
    )
    for key in ("train_loss", "train_acc", "test_acc"):
        assert h_page[key] == h_lib[key], (
            f"{key} differs: page {h_page[key]}, d2l.train_ch3 {h_lib[key]}"
        )
    assert torch.equal(W_page, W_lib) and torch.equal(b_page, b_lib), (
        "the parameters differ after training"
    )


def test_scratch_training_loop_matches_train_ch3(tmp_path, capsys):
    ns = _loop_functions(tmp_path)
    check_same_training_loop(ns)
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 3 and printed[0].startswith("epoch  1:"), (
        f"the page's loop prints one line per epoch, got {printed}"
    )


def test_scratch_training_epoch_matches_train_epoch_ch3(tmp_path):
    ns = _loop_functions(tmp_path)
    g = torch.Generator().manual_seed(1)
    X = torch.rand(150, 784, generator=g)
    y = torch.randint(0, 10, (150,), generator=g)
    results = []
    for epoch_fn in (ns["train_epoch_ch3"], d2l.train_epoch_ch3):
        W = torch.zeros(784, 10, requires_grad=True)
        b = torch.zeros(10, requires_grad=True)
        results.append(
            epoch_fn(
                lambda X, W=W, b=b: ns["softmax"](X @ W + b),
                d2l.ArrayLoader((X, y), 32, generator=3),
                ns["cross_entropy"],
                lambda n, W=W, b=b: d2l.sgd([W, b], 0.1, n),
            )
        )
    assert math.isfinite(results[1][0]), f"diverged: {results}"
    assert results[0] == results[1], f"(loss, acc) differ: {results}"


# Plausible slips in the page's loop, each a small change; the check must
# catch every one.
DRIFTED_LOOPS = {
    "accuracy after the step": (
        "train_epoch_ch3",
        "def train_epoch_ch3(net, train_iter, loss, updater):\n"
        "    metric = d2l.Accumulator(3)\n"
        "    for X, y in train_iter:\n"
        "        l = loss(net(X), y).sum()\n"
        "        l.backward()\n"
        "        updater(len(y))\n"
        "        metric.add(float(l.detach()), accuracy(net(X), y), len(y))\n"
        "    return metric[0] / metric[2], metric[1] / metric[2]\n",
    ),
    "mean loss, then sgd divides again": (
        "train_epoch_ch3",
        "def train_epoch_ch3(net, train_iter, loss, updater):\n"
        "    metric = d2l.Accumulator(3)\n"
        "    for X, y in train_iter:\n"
        "        y_hat = net(X)\n"
        "        l = loss(y_hat, y).mean()\n"
        "        l.backward()\n"
        "        updater(len(y))\n"
        "        metric.add(float(l.detach()) * len(y),\n"
        "                   accuracy(y_hat, y), len(y))\n"
        "    return metric[0] / metric[2], metric[1] / metric[2]\n",
    ),
    "a fixed batch size for the partial last batch": (
        "train_epoch_ch3",
        "def train_epoch_ch3(net, train_iter, loss, updater):\n"
        "    metric = d2l.Accumulator(3)\n"
        "    for X, y in train_iter:\n"
        "        y_hat = net(X)\n"
        "        l = loss(y_hat, y).sum()\n"
        "        l.backward()\n"
        "        updater(64)\n"
        "        metric.add(float(l.detach()), accuracy(y_hat, y), len(y))\n"
        "    return metric[0] / metric[2], metric[1] / metric[2]\n",
    ),
    "test accuracy before the epoch": (
        "train_ch3",
        "def train_ch3(net, train_iter, test_iter, loss, num_epochs,"
        " updater):\n"
        "    history = d2l.History()\n"
        "    for epoch in range(num_epochs):\n"
        "        test_acc = evaluate_accuracy(net, test_iter)\n"
        "        train_loss, train_acc = train_epoch_ch3(\n"
        "            net, train_iter, loss, updater)\n"
        "        history.log_epoch(train_loss=train_loss,"
        " train_acc=train_acc,\n"
        "                          test_acc=test_acc)\n"
        "    return history\n",
    ),
}


@pytest.mark.parametrize("slip", list(DRIFTED_LOOPS))
def test_drifted_training_loop_is_caught(tmp_path, slip):
    name, source = DRIFTED_LOOPS[slip]
    ns = _loop_functions(tmp_path, {name: source})
    with pytest.raises(AssertionError):
        check_same_training_loop(ns)
