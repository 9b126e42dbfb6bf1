"""d2lutils.graph: the graph walker and the memory meter of the backprop
section, on cases whose answer is known by hand."""

from __future__ import annotations

import gc

import pytest
import torch
import torch.nn.functional as F

import d2lutils as d2l


def one_hidden_layer(x_requires_grad=False):
    """The page's network: z = W1 x, h = tanh z, o = W2 h, cross-entropy."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 1, dtype=torch.float64, generator=g)
    W1 = torch.randn(3, 4, dtype=torch.float64, generator=g)
    W2 = torch.randn(2, 3, dtype=torch.float64, generator=g)
    x, W1, W2 = (t.requires_grad_(True) for t in (x, W1, W2))
    x.requires_grad_(x_requires_grad)
    z = W1 @ x
    h = torch.tanh(z)
    o = W2 @ h
    L = F.cross_entropy(o.T, torch.tensor([1]))
    return L, {"x": x, "W1": W1, "W2": W2, "z": z, "h": h, "o": o}


def test_saved_tensors_of_a_small_network():
    L, names = one_hidden_layer()
    found = dict(d2l.saved_tensors(L, names))
    # the first product keeps only x: W1 would serve only dL/dx
    assert d2l.saved_tensors(L, names)[-1] == ("MmBackward0", ["x"])
    assert found["TanhBackward0"] == ["h"]  # tanh' from its output
    # log-softmax and the NLL loss keep one and the same new tensor
    assert found["LogSoftmaxBackward0"] == ["new 1x2 #1"]
    assert found["NllLossBackward0"] == ["new 1x2 #1"]


def test_asking_for_dx_makes_the_product_keep_W1():
    L, names = one_hidden_layer(x_requires_grad=True)
    assert d2l.saved_tensors(L, names)[-1] == ("MmBackward0", ["x", "W1"])


def test_distinct_new_tensors_get_distinct_numbers():
    x = torch.ones(2, 3, requires_grad=True)
    y = torch.exp(x)
    z = torch.exp(y)  # keeps z, y is kept by the first exp
    found = d2l.saved_tensors(z.sum(), {"x": x})
    assert found == [
        ("ExpBackward0", ["new 2x3 #1"]),
        ("ExpBackward0", ["new 2x3 #2"]),
    ]


def test_a_view_is_named_after_its_tensor():
    x = torch.ones(6, requires_grad=True)
    h = torch.tanh(x)
    y = torch.tanh(h.view(2, 3))  # saves its own new output
    found = d2l.saved_tensors((y * h.view(2, 3)).sum(), {"h": h, "x": x})
    assert ("MulBackward0", ["h", "new 2x3 #1"]) in found


def test_saved_tensors_refuses_what_has_no_graph():
    with pytest.raises(ValueError, match="no graph"):
        d2l.saved_tensors(torch.ones(3), {})
    with pytest.raises(TypeError, match="must be a tensor"):
        d2l.saved_tensors([1.0], {})


def test_saved_tensors_after_backward_fails_loudly():
    L, names = one_hidden_layer()
    L.backward()
    with pytest.raises(RuntimeError, match="freed"):
        d2l.saved_tensors(L, names)


def test_live_memory_counts_allocations_and_frees():
    before = torch.ones(1000)  # made before: not counted
    with d2l.LiveMemory() as meter:
        u = before * 2  # 4000 bytes
        v = u + 1  # 4000 more: 8000
        u.mul_(3)  # in place: nothing new
        w = v[:10]  # a view: nothing new
        del u  # 4000 freed
        gc.collect()
    assert (meter.now, meter.peak) == (4000, 8000)
    del v, w  # freed after the block: still counted down
    assert meter.now == 0


def test_live_memory_sees_the_backward_pass():
    """y = sum(W x): the product W x (n floats) is not kept, since the sum
    needs no input for its backward step; backward makes W.grad (n * n
    floats) and x.grad (n floats), which stay alive after the block."""
    n = 100
    W = torch.randn(n, n, requires_grad=True)
    x = torch.randn(n, requires_grad=True)
    with d2l.LiveMemory() as meter:
        y = (W @ x).sum()
        assert (meter.now, meter.peak) == (4, 4 * n + 4), "y, and W x once"
        y.backward()
    assert meter.now == 4 + 4 * (n * n + n), "y and the two gradients"
    assert meter.peak == meter.now + 4, "plus the 4-byte seed dy/dy = 1"


# -- draw_graph --------------------------------------------------------------


def test_draw_graph_clips_arrows_at_the_boxes():
    """A horizontal arrow runs from the right edge of its start box to the
    left edge of its end box, whatever the sizes of the labels."""
    import matplotlib.pyplot as plt

    nodes = {
        "W": (0, 0, r"$\mathbf{W}^{(1)}$", "var"),
        "mm": (1.5, 0, r"$\times$", "op"),
    }
    ax = d2l.draw_graph(nodes, [("W", "mm")])
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    labels = [t for t in ax.texts if t.get_text()]
    (arrow,) = [t for t in ax.texts if not t.get_text()]
    box_w, box_mm = (
        t.get_bbox_patch().get_window_extent(renderer) for t in labels
    )
    span = arrow.arrow_patch.get_window_extent(renderer)
    assert abs(span.x0 - box_w.x1) < 3, "the arrow starts at W's box"
    assert abs(span.x1 - box_mm.x0) < 3, "the arrow ends at the circle"
    plt.close("all")


@pytest.mark.parametrize(
    "nodes, edges, message",
    [
        ({"a": (0, 0, "a", "box")}, [], "must be"),
        ({"a": (0, 0, "a")}, [], "must be"),
        ({"a": (0, 0, "a", "var")}, [("a", "b")], "not in nodes: b"),
        ({"a": (0, 0, "a", "var")}, [("a", "a", 0.1, 2)], "an edge is"),
    ],
)
def test_draw_graph_refuses_bad_input(nodes, edges, message):
    with pytest.raises(ValueError, match=message):
        d2l.draw_graph(nodes, edges)
