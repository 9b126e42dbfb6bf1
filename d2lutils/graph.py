"""Look inside autograd: what a graph keeps, and how much memory it holds.

A drawing and two instruments for the backpropagation section:

* :func:`draw_graph` draws a computational graph: values in boxes,
  operations in circles, an arrow from each input to what uses it;
* :func:`saved_tensors` walks the graph autograd recorded for a result,
  from the result back to the parameters, and lists the tensors each node
  saved for its backward step, named after tensors you know;
* :class:`LiveMemory` counts the bytes of the tensors that operations
  allocate while it is active, those of the backward pass included:
  ``now`` is what is still alive, ``peak`` the most that was alive at once.

::

    for node, saved in d2l.saved_tensors(loss, {"X": X, "W": W}):
        print(node, saved)
    with d2l.LiveMemory() as meter:
        net(X).square().mean().backward()
    print(meter.peak, "bytes")

The two instruments identify a tensor by the memory it lives in (its
storage), so a view of a tensor counts as that tensor.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

__all__ = ["LiveMemory", "draw_graph", "saved_tensors"]


def draw_graph(
    nodes: Mapping[str, tuple],
    edges: Sequence[tuple],
    axes=None,
    *,
    figsize: tuple[float, float] = (4.8, 2.0),
    fontsize: float = 10,
):
    """Draw a computational graph and return the ``Axes``.

    ``nodes`` maps a name to ``(x, y, label, kind)``: where to draw it, its
    text (maths allowed) and its kind, ``"var"`` for a value (a box) or
    ``"op"`` for an operation (a circle). ``edges`` lists ``(start, end)``
    pairs, an arrow from an input to the operation that uses it or from an
    operation to its result; ``(start, end, bend)`` curves the arrow (a
    bend of 0.4 or -0.4 tells two arrows between the same nodes apart).

    Examples
    --------
    >>> nodes = {"a": (0, 0, "$a$", "var"), "add": (1, 0, "$+$", "op"),
    ...          "b": (2, 0, "$b$", "var")}
    >>> ax = draw_graph(nodes, [("a", "add", 0.4), ("a", "add", -0.4),
    ...                         ("add", "b")])
    >>> [t.get_text() for t in ax.texts if t.get_text()]   # the nodes
    ['$a$', '$+$', '$b$']
    >>> sum(getattr(t, "arrow_patch", None) is not None for t in ax.texts)
    3
    >>> draw_graph(nodes, [("a", "c")])
    Traceback (most recent call last):
    ...
    ValueError: edge ('a', 'c') names a node that is not in nodes: c
    >>> plt.close("all")
    """
    for name, node in nodes.items():
        if len(node) != 4 or node[3] not in ("var", "op"):
            raise ValueError(
                f"node {name!r} must be (x, y, label, 'var' or 'op'), "
                f"got {node!r}"
            )
    for edge in edges:
        missing = [n for n in edge[:2] if n not in nodes]
        if len(edge) not in (2, 3) or missing:
            raise ValueError(
                f"edge {tuple(edge)!r} names a node that is not in nodes: "
                f"{', '.join(map(str, missing))}"
                if missing
                else f"an edge is (start, end) or (start, end, bend), "
                f"got {tuple(edge)!r}"
            )
    if axes is None:
        _, axes = plt.subplots(figsize=figsize)
    boxes = {}
    for name, (x, y, label, kind) in nodes.items():
        # The text's own box frames it; texts are drawn before the arrows
        # (zorder), so each arrow is clipped at boxes already in place.
        frame = dict(
            boxstyle="circle,pad=0.2" if kind == "op" else "square,pad=0.3",
            fc="white",
            ec="C1" if kind == "op" else "C0",
            lw=1.5,
        )
        text = axes.text(
            x,
            y,
            label,
            ha="center",
            va="center",
            fontsize=fontsize,
            bbox=frame,
            zorder=1,
        )
        boxes[name] = text.get_bbox_patch()
    for start, end, *bend in edges:
        axes.annotate(
            "",
            xy=nodes[end][:2],
            xytext=nodes[start][:2],
            zorder=2,
            arrowprops=dict(
                arrowstyle="-|>",
                color="0.35",
                lw=1,
                shrinkA=0,
                shrinkB=0,
                patchA=boxes[start],
                patchB=boxes[end],
                connectionstyle=f"arc3,rad={bend[0] if bend else 0}",
            ),
        )
    xs = [node[0] for node in nodes.values()]
    ys = [node[1] for node in nodes.values()]
    axes.set_xlim(min(xs) - 0.4, max(xs) + 0.4)
    axes.set_ylim(min(ys) - 0.4, max(ys) + 0.4)
    axes.set_aspect("equal")
    axes.set_axis_off()
    return axes


def _address(t: torch.Tensor) -> int:
    return t.untyped_storage().data_ptr()


def saved_tensors(
    output: torch.Tensor, names: Mapping[str, torch.Tensor]
) -> list[tuple[str, list[str]]]:
    """The nodes of ``output``'s graph that saved tensors, and what they saved.

    Walks from ``output.grad_fn`` towards the leaves. For each node that
    saved a tensor of more than one element (scalars are left out), returns
    ``(node name, [saved tensors])``. A saved tensor gets the name of the
    tensor in ``names`` whose memory it shares; any other is called ``new
    RxC #k``, with the same ``k`` wherever the same memory is saved again.
    Call it before ``backward()``, which frees what the nodes saved.

    Examples
    --------
    >>> x = torch.ones(3, requires_grad=True)
    >>> h = torch.tanh(x)    # tanh' = 1 - h^2: the node keeps h
    >>> y = torch.exp(h)     # exp' = exp: the node keeps y, unnamed here
    >>> saved_tensors(y.sum(), {"x": x, "h": h})
    [('ExpBackward0', ['new 3 #1']), ('TanhBackward0', ['h'])]
    >>> saved_tensors(x, {"x": x})
    Traceback (most recent call last):
    ...
    ValueError: output has no graph (grad_fn is None): compute it from \
tensors that require gradients
    """
    if not isinstance(output, torch.Tensor):
        raise TypeError(f"output must be a tensor, got {type(output)}")
    if output.grad_fn is None:
        raise ValueError(
            "output has no graph (grad_fn is None): compute it from "
            "tensors that require gradients"
        )
    known = {_address(t): name for name, t in names.items()}
    new: dict[int, int] = {}  # address -> k of "new ... #k"
    found, seen, todo = [], set(), [output.grad_fn]
    while todo:
        node = todo.pop(0)  # breadth first: nearest the output first
        if node is None or node in seen:
            continue
        seen.add(node)
        saved = []
        for attr in sorted(dir(node)):
            if not attr.startswith("_saved_"):
                continue
            value = getattr(node, attr)
            if not isinstance(value, torch.Tensor) or value.numel() < 2:
                continue
            address = _address(value)
            if address not in known:
                k = new.setdefault(address, len(new) + 1)
                shape = "x".join(map(str, value.shape))
                known_name = f"new {shape} #{k}"
            else:
                known_name = known[address]
            saved.append(known_name)
        if saved:
            found.append((type(node).__name__, saved))
        todo += [child for child, _ in node.next_functions]
    return found


class LiveMemory(TorchDispatchMode):
    """Count the bytes of the tensors operations allocate while active.

    Every operation PyTorch runs inside ``with LiveMemory() as meter:``,
    the backward pass included, passes through the meter. For each new
    tensor an operation returns, ``meter.now`` grows by its bytes; when the
    tensor's memory is freed (even after the block), it shrinks again.
    ``meter.peak`` is the largest ``now`` seen. Not counted: tensors made
    before the block, views and in-place results (no new memory), and
    scratch memory an operation uses only inside itself.

    Examples
    --------
    >>> with LiveMemory() as meter:
    ...     u = torch.ones(1000)   # 4000 bytes of float32
    ...     v = u * 2              # 4000 more
    ...     w = v.view(10, 100)    # a view: no new memory
    ...     del u                  # frees 4000
    >>> meter.now, meter.peak
    (4000, 8000)
    """

    def __init__(self) -> None:
        super().__init__()
        self.sizes: dict[int, int] = {}  # address -> bytes, live only
        self.now = self.peak = 0

    def _free(self, address: int) -> None:
        self.now -= self.sizes.pop(address)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        inputs = {
            _address(t)
            for t in tree_flatten((args, kwargs))[0]
            if isinstance(t, torch.Tensor)
        }
        for t in tree_flatten(out)[0]:
            if not isinstance(t, torch.Tensor):
                continue
            storage = t.untyped_storage()
            address, size = storage.data_ptr(), storage.nbytes()
            if size == 0 or address in inputs or address in self.sizes:
                continue  # a view or an in-place result: no new memory
            self.sizes[address] = size
            self.now += size
            self.peak = max(self.peak, self.now)
            weakref.finalize(storage, self._free, address)
        return out
