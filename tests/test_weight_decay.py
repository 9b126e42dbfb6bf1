"""The weight-decay section's from-scratch pieces, checked against torch.

The functions are taken from the notebook itself (only their ``def``), so
the code the reader sees is the code tested here.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import torch

import d2lutils as d2l

NOTEBOOK = (
    Path(__file__).resolve().parents[1]
    / "chapters"
    / "multilayer-perceptrons"
    / "weight-decay.ipynb"
)


def _defs() -> dict[str, str]:
    """Source of every top-level ``def`` in the notebook's code cells."""
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    found = {}
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"])
        if "%pip" in src:  # the Colab cell: IPython syntax, no defs
            continue
        tree = ast.parse(src)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                found[node.name] = ast.get_source_segment(src, node)
    return found


@pytest.fixture(scope="module")
def nb():
    namespace = {"torch": torch, "d2l": d2l}
    defs = _defs()
    for name in ("l2_penalty", "l1_penalty", "decayed_update"):
        exec(defs[name], namespace)  # noqa: S102
    return namespace


@pytest.fixture
def g():
    return torch.Generator().manual_seed(0)


def test_l2_penalty_is_half_the_squared_norm(nb, g):
    w = torch.randn(7, 1, generator=g, dtype=torch.float64, requires_grad=True)
    value = nb["l2_penalty"](w)
    torch.testing.assert_close(value, torch.linalg.vector_norm(w) ** 2 / 2)
    value.backward()
    torch.testing.assert_close(w.grad, w.detach())  # d/dw ||w||^2/2 = w


def test_l1_penalty_is_the_l1_norm(nb, g):
    w = torch.randn(7, 1, generator=g, dtype=torch.float64, requires_grad=True)
    value = nb["l1_penalty"](w)
    torch.testing.assert_close(value, torch.linalg.vector_norm(w, ord=1))
    value.backward()
    torch.testing.assert_close(w.grad, w.detach().sign())


@pytest.mark.parametrize("batch, d", [(1, 1), (5, 4), (8, 200)])
@pytest.mark.parametrize("lr, lambd", [(0.1, 3.0), (0.003, 0.5), (0.5, 0)])
def test_decayed_update_is_an_sgd_step_on_the_penalized_loss(
    nb, g, batch, d, lr, lambd
):
    def rand(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64)

    X, y, w, b = rand(batch, d), rand(batch, 1), rand(d, 1), rand(1)
    w_new, b_new = nb["decayed_update"](w, b, X, y, lr, lambd)
    wg, bg = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    loss = d2l.squared_loss(d2l.linreg(X, wg, bg), y).mean()
    (loss + lambd / 2 * (wg**2).sum()).backward()  # eq. (3)
    torch.testing.assert_close(w_new, w - lr * wg.grad)
    torch.testing.assert_close(b_new, b - lr * bg.grad)


def test_decayed_update_without_data_is_pure_decay(nb, g):
    w = torch.randn(3, 1, generator=g, dtype=torch.float64)
    X, y = torch.zeros(2, 3, dtype=torch.float64), torch.zeros(2, 1)
    w_new, _ = nb["decayed_update"](w, torch.zeros(1), X, y.double(), 0.1, 2.0)
    torch.testing.assert_close(w_new, (1 - 0.1 * 2.0) * w)
