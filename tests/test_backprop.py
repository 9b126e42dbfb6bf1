"""The hand-written backward passes of the backprop section, tested.

Each ``def`` is taken out of the committed notebook (so the notebook and
the test cannot drift apart) and compared with autograd in float64 on
random inputs. Each test also breaks the function on purpose -- a missing
activation derivative, a dropped penalty, a chain term swapped, a gradient
assigned instead of added -- and checks that the same comparison fails.
"""

from __future__ import annotations

import ast
import json
import math

import pytest
import torch
import torch.nn.functional as F
from notebook_tools import ROOT

NOTEBOOK = (
    ROOT / "chapters" / "gradients-and-initialization" / "backprop.ipynb"
)


def definition(name: str) -> str:
    """Source of the top-level ``def``/``class`` ``name`` in the notebook."""
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    found = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        try:
            tree = ast.parse(source)
        except SyntaxError:  # the Colab cell's %pip is not Python
            continue
        for node in tree.body:
            is_def = isinstance(node, (ast.FunctionDef, ast.ClassDef))
            if is_def and node.name == name:
                found.append(ast.get_source_segment(source, node))
    assert len(found) == 1, f"expected one definition of {name}"
    return found[0]


def load(name: str, *, mutate: tuple[str, str] | None = None, env=None):
    """Execute the notebook's definition of ``name``, optionally with one
    text replacement (which must apply), and return the object."""
    source = definition(name)
    if mutate is not None:
        old, new = mutate
        assert old in source, f"mutation {old!r} does not apply to {name}"
        source = source.replace(old, new)
    namespace = {"torch": torch, "F": F, "math": math, **(env or {})}
    exec(compile(source, f"{NOTEBOOK.name}:{name}", "exec"), namespace)
    return namespace[name]


# -- eqs. (5)-(10): the one-hidden-layer network with an l2 penalty -------


def mlp_case(seed, d=5, num_hiddens=3, q=3, lambd=0.3):
    # q == num_hiddens: a missing transpose keeps the shapes and must be
    # caught by the numbers
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(d, 1, dtype=torch.float64, generator=g)
    y = torch.randint(q, (), generator=g)
    W1 = torch.randn(num_hiddens, d, dtype=torch.float64, generator=g)
    W2 = torch.randn(q, num_hiddens, dtype=torch.float64, generator=g)
    return x, y, W1, W2, lambd


def check_mlp_backward(backward, seed):
    forward = load("forward")
    x, y, W1, W2, lambd = mlp_case(seed)
    W1_ = W1.clone().requires_grad_(True)
    W2_ = W2.clone().requires_grad_(True)
    fwd = forward(x, y, W1_, W2_, lambd)
    for name in ("z", "h", "o"):
        fwd[name].retain_grad()
    fwd["J"].backward()
    auto = {"o": fwd["o"].grad, "W2": W2_.grad, "h": fwd["h"].grad,
            "z": fwd["z"].grad, "W1": W1_.grad}  # fmt: skip
    z, h, o = (fwd[k].detach() for k in ("z", "h", "o"))
    grads = backward(x, y, W1, W2, lambd, z, h, o)
    for name, value in auto.items():
        torch.testing.assert_close(grads[name], value, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_mlp_backward_matches_autograd(seed):
    check_mlp_backward(load("backward"), seed)


MLP_MISTAKES = {
    "missing activation derivative": (" * (1 - torch.tanh(z) ** 2)", ""),
    "penalty dropped from dJ/dW1": (
        "dJ_dz @ x.T + lambd * W1",
        "dJ_dz @ x.T",
    ),
    "softmax gradient with the wrong sign": (
        "torch.softmax(o, dim=0) - e_y",
        "e_y - torch.softmax(o, dim=0)",
    ),
    "W2 not transposed": ("W2.T @ dJ_do", "W2 @ dJ_do"),
}


@pytest.mark.parametrize("mistake", MLP_MISTAKES)
def test_mlp_backward_check_catches(mistake):
    broken = load("backward", mutate=MLP_MISTAKES[mistake])
    with pytest.raises((AssertionError, RuntimeError)):
        check_mlp_backward(broken, seed=0)


# -- eqs. (12)-(14): UDL's toy model ---------------------------------------


def check_toy_backward(toy_backward, seed):
    toy_forward, toy_loss = load("toy_forward"), load("toy_loss")
    g = torch.Generator().manual_seed(seed)
    values = torch.randn(10, dtype=torch.float64, generator=g)
    beta, omega = values[:4].tolist(), values[4:8].tolist()
    x, y = float(values[8]), float(values[9])
    stored = toy_forward(beta, omega, x, y)
    dl_dbeta, dl_domega = toy_backward(beta, omega, y, stored)
    params = values[:8].clone().requires_grad_(True)
    toy_loss(params, x, y).backward()
    by_hand = torch.tensor(dl_dbeta + dl_domega, dtype=torch.float64)
    torch.testing.assert_close(by_hand, params.grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_toy_backward_matches_autograd(seed):
    check_toy_backward(load("toy_backward"), seed)


TOY_MISTAKES = {
    "derivative of sin taken as sin": ("math.cos(f[0])", "math.sin(f[0])"),
    "exp' evaluated at the wrong variable": ("h[2] * dl_dh2", "f[1] * dl_dh2"),
    "cos' with the wrong sign": ("-math.sin(f[2])", "math.sin(f[2])"),
    "omega gradient without the stored input": (
        "h[k] * dl_df[k]",
        "dl_df[k]",
    ),
}


@pytest.mark.parametrize("mistake", TOY_MISTAKES)
def test_toy_backward_check_catches(mistake):
    broken = load("toy_backward", mutate=TOY_MISTAKES[mistake])
    with pytest.raises(AssertionError):
        check_toy_backward(broken, seed=0)


# -- a value used twice: gradients add up ----------------------------------


def doublings(node_class, n):
    a = node_class(1.5)
    c = a
    for _ in range(n):
        c = c + c
    return a, c


@pytest.mark.parametrize("n", [1, 3, 6])
def test_backprop_adds_gradients_and_visits_each_node_once(n):
    Node = load("Node")
    backprop = load(
        "backprop", env={"topological_order": load("topological_order")}
    )
    a, c = doublings(Node, n)
    assert backprop(c) == n + 1
    assert a.grad == 2.0**n


def test_path_sum_is_right_but_exponential():
    Node = load("Node")
    a, c = doublings(Node, 6)
    assert load("backward_paths")(c) == 2**7 - 1
    assert a.grad == 2.0**6


def test_backprop_check_catches_assigning():
    Node = load("Node")
    broken = load(
        "backprop",
        mutate=("child.grad += node.grad", "child.grad = node.grad"),
        env={"topological_order": load("topological_order")},
    )
    a, c = doublings(Node, 2)
    broken(c)
    assert a.grad != 4.0


def test_assigning_gradients_is_wrong():
    """The notebook's naive backward gives 1 where dc/da = 4."""
    Node = load("Node")
    a, c = doublings(Node, 2)
    load("backward_assign")(c)
    assert a.grad == 1.0 != 4.0


# -- exercise 4: leaky ReLU backward pass ----------------------------------


def check_leaky(backward_leaky, seed):
    g = torch.Generator().manual_seed(seed)
    # square layers after the first: a missing transpose keeps the shapes
    sizes, n, alpha = [3, 4, 4, 4, 4], 6, 0.1
    X = torch.randn(sizes[0], n, dtype=torch.float64, generator=g)
    Y = torch.randn(sizes[-1], n, dtype=torch.float64, generator=g)
    betas = [
        torch.randn(d, 1, dtype=torch.float64, generator=g) for d in sizes[1:]
    ]
    Omegas = [
        torch.randn(o, i, dtype=torch.float64, generator=g)
        for i, o in zip(sizes, sizes[1:])
    ]
    params = [t.clone().requires_grad_(True) for t in betas + Omegas]
    h = X
    for k in range(len(betas)):
        f = params[k] + params[len(betas) + k] @ h
        h = F.leaky_relu(f, negative_slope=alpha)
    ((f - Y) ** 2).sum().backward()
    dbetas, dOmegas = backward_leaky(X, Y, betas, Omegas, alpha)
    for mine, p in zip(dbetas + dOmegas, params):
        torch.testing.assert_close(mine, p.grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_leaky_backward_matches_autograd(seed):
    check_leaky(load("backward_leaky"), seed)


LEAKY_MISTAKES = {
    "ReLU's derivative (slope 0) for negative inputs": (
        "torch.full_like(fs[k - 1], alpha)",
        "torch.zeros_like(fs[k - 1])",
    ),
    "weights not transposed going back": (
        "Omegas[k].T @ dl_df",
        "Omegas[k] @ dl_df",
    ),
    "loss averaged instead of summed": (
        "2 * (fs[-1] - Y)",
        "2 * (fs[-1] - Y) / Y.shape[1]",
    ),
}


@pytest.mark.parametrize("mistake", LEAKY_MISTAKES)
def test_leaky_backward_check_catches(mistake):
    broken = load("backward_leaky", mutate=LEAKY_MISTAKES[mistake])
    with pytest.raises((AssertionError, RuntimeError)):
        check_leaky(broken, seed=0)


# -- exercise 2 (UDL 7.2): the final terms of the chains ----------------------


def check_final_terms(final_terms, seed):
    """The five final terms are the derivatives of single steps, each at
    the values the forward pass stored, at random parameters."""
    toy_forward = load("toy_forward")
    g = torch.Generator().manual_seed(seed)
    values = torch.randn(10, dtype=torch.float64, generator=g).tolist()
    beta, omega, x, y = values[:4], values[4:8], values[8], values[9]
    stored = toy_forward(beta, omega, x, y)
    f, h = stored["f"], stored["h"]
    expected = [
        -math.sin(f[2]),  # dh3/df2
        omega[2],  # df2/dh2
        math.exp(f[1]),  # dh2/df1
        omega[1],  # df1/dh1
        math.cos(f[0]),  # dh1/df0
    ]
    for got, want in zip(final_terms(omega, stored), expected, strict=True):
        assert math.isclose(got, want, rel_tol=1e-12)
    assert math.isclose(h[2], math.exp(f[1]), rel_tol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_final_terms(seed):
    check_final_terms(load("final_terms"), seed)


@pytest.mark.parametrize(
    "mistake",
    [
        ("-math.sin(f[2])", "math.sin(f[2])"),  # cos' with the wrong sign
        ("h[2],", "f[1],"),  # exp' evaluated at the input
        ("omega[2],", "omega[1],"),  # the wrong layer's weight
    ],
)
def test_final_terms_check_catches(mistake):
    with pytest.raises(AssertionError):
        check_final_terms(load("final_terms", mutate=mistake), seed=0)


# -- exercise 3 (UDL 7.3): the sizes of the terms of eq. (23) ---------------


def test_term_shapes_multiply_to_a_column_of_D1():
    term_shapes = load("term_shapes")
    shapes = term_shapes(4, 5, 6, 2)
    assert shapes == [(4, 4), (4, 5), (5, 5), (5, 6), (6, 6), (6, 2), (2, 1)]
    for (_, cols), (rows, _) in zip(shapes, shapes[1:]):
        assert cols == rows, "neighbouring terms must be multipliable"
    assert (shapes[0][0], shapes[-1][1]) == (4, 1), "dl/df0 is D1 x 1"


# -- exercise 6 (UDL 7.8): the parameters in the order the text gives ------


def check_fd_grad(fd_grad):
    """With a smooth activation, fd_grad must equal autograd's gradient of
    y_hat = omega1 a(beta0 + omega0 x) + beta1 with respect to
    (beta0, omega0, beta1, omega1), the order the exercise states."""
    g = torch.Generator().manual_seed(0)
    x = torch.linspace(-2, 2, 9, dtype=torch.float64)
    y = torch.sin(2 * x)
    params = torch.randn(4, dtype=torch.float64, generator=g)
    p = params.clone().requires_grad_(True)
    beta0, omega0, beta1, omega1 = p
    y_hat = omega1 * torch.tanh(beta0 + omega0 * x) + beta1
    ((y_hat - y) ** 2).mean().backward()
    torch.testing.assert_close(
        fd_grad(torch.tanh, params, x, y), p.grad, rtol=1e-7, atol=1e-9
    )


def test_fd_grad_orders_the_parameters_as_the_text_does():
    check_fd_grad(load("fd_grad"))


def test_fd_grad_check_catches_the_old_order():
    """The order (beta0, beta1, omega0, omega1) of the code the exercise
    had before fails the check."""
    old_order = (
        "p[3] * a(p[0] + p[1] * x) + p[2]",
        "p[3] * a(p[0] + p[2] * x) + p[1]",
    )
    with pytest.raises(AssertionError):
        check_fd_grad(load("fd_grad", mutate=old_order))


# -- the text's account of the FLOP counts of jacfwd -------------------------


def test_jacfwd_spends_one_product_on_a_zero_tangent():
    """The page says jacfwd's n + 2 products are n for the directions, one
    for the value X w and one that multiplies X's tangent, all zeros, by
    w. Log the products jacfwd runs and check exactly that."""
    from torch.func import jacfwd
    from torch.utils._python_dispatch import TorchDispatchMode

    g = torch.Generator().manual_seed(0)
    X = torch.randn(16, 4, dtype=torch.float64, generator=g)
    w = torch.randn(4, 1, dtype=torch.float64, generator=g)
    products = []

    class Log(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            if func.overloadpacket in (torch.ops.aten.mm, torch.ops.aten.bmm):
                products.append((func.overloadpacket, args[0].clone()))
            return func(*args, **(kwargs or {}))

    with Log():
        jacfwd(lambda w: ((torch.tanh(X @ w)) ** 2).mean())(w)
    mms = [a for op, a in products if op is torch.ops.aten.mm]
    bmms = [a for op, a in products if op is torch.ops.aten.bmm]
    assert len(mms) == 2 and len(bmms) == 1
    assert sum(torch.equal(a, X) for a in mms) == 1, "one X w: the value"
    assert sum(bool((a == 0).all()) for a in mms) == 1, "one zero tangent"
    assert bmms[0].shape == (4, 16, 4), "the n directions in one bmm"
