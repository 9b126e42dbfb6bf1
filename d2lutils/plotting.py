"""Plotting: small helpers that draw on a matplotlib ``Axes`` and return it.

:func:`plot` draws curves, d2l style; :func:`plot_history` the curves of a
training run; :class:`Animator` curves that grow while a model trains;
:func:`show_images` a grid of images, :func:`predict_ch3` Fashion-MNIST
images titled with their true and predicted labels; :func:`draw_network`
a fully connected network. None of them changes matplotlib's global
settings, except :func:`use_book_style`, whose job it is.

The live plot: in Jupyter and Colab it is shown once and then updated
through a display handle, so an executed notebook (and the book) keeps one
figure, the last; in a script nothing is shown while training, and the
figure is left open for ``plt.show()`` or ``savefig``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional

import matplotlib.pyplot as plt
import numpy as np
import torch

from .core import check_int, eval_mode, in_notebook
from .fashion_mnist import get_fashion_mnist_labels

__all__ = [
    "BOOK_STYLE",
    "Animator",
    "draw_network",
    "plot",
    "plot_history",
    "predict_ch3",
    "show_images",
    "use_book_style",
]

_FMTS = ("-", "m--", "g-.", "r:", "c-", "y--")

# The book's figures: 4.2 in wide (about 400 CSS px: full size in the
# 688 px text column at 1280 px, 85 % on a 390 px phone), every text at
# 10 pt (13 px on a laptop, 11 px on a phone), one column of panels, SVG
# with text kept as text, no date and fixed ids (the same bytes each build).
BOOK_STYLE = {
    "figure.figsize": (4.2, 2.8),
    "figure.constrained_layout.use": True,
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "figure.titlesize": 10,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.title_fontsize": 10,
    "svg.fonttype": "none",
    "svg.hashsalt": "d2lutils",
}


def use_book_style() -> None:
    """Draw every later figure in the book's style (changes rcParams).

    Sets :data:`BOOK_STYLE` and, in Jupyter or Colab, shows figures as SVG.
    Call it once, after the imports; ``plt.rcdefaults()`` undoes it.
    Several panels are stacked (``plt.subplots(2, 1)``), 4.2 in wide.

    >>> use_book_style()
    >>> plt.rcParams["figure.figsize"], plt.rcParams["svg.fonttype"]
    ([4.2, 2.8], 'none')
    >>> plt.rcdefaults()
    """
    plt.rcParams.update(BOOK_STYLE)
    if in_notebook():
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        # no creation date in the SVG: the same figure, the same bytes
        set_matplotlib_formats("svg", metadata={"Date": None})


def _as_numpy(a: Any) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        return a.detach().cpu().numpy()
    return np.asarray(a)


def _set_axes(ax, legend=None, xscale="linear", yscale="linear", **kw):
    """Scales, then labels and limits (``xlabel=...``), and the legend."""
    ax.set(xscale=xscale, yscale=yscale)
    ax.set(**{k: v for k, v in kw.items() if v is not None})
    if legend:
        ax.legend(legend)
    ax.grid(True)


def plot(
    X,
    Y=None,
    xlabel: Optional[str] = None,
    ylabel: Optional[str] = None,
    legend: Optional[Sequence[str]] = None,
    xlim=None,
    ylim=None,
    xscale: str = "linear",
    yscale: str = "linear",
    fmts: Sequence[str] = _FMTS,
    figsize: Optional[tuple[float, float]] = None,
    axes=None,
):
    """Plot one or several curves and return the ``Axes``.

    ``X`` and ``Y`` follow d2l: ``plot(x, y)`` draws one curve,
    ``plot(x, [y1, y2])`` two curves over the same ``x``, and ``plot(y)``
    draws ``y`` against its index. Tensors are accepted.

    >>> ax = plot(np.arange(3), [np.arange(3), np.arange(3) ** 2],
    ...           legend=["x", "x^2"])
    >>> len(ax.lines)
    2
    >>> plt.close("all")
    """

    def one_curve(a) -> bool:  # a list of numbers or a 1-d array
        if isinstance(a, list):
            return len(a) > 0 and not hasattr(a[0], "__len__")
        return _as_numpy(a).ndim == 1

    if Y is None:
        X, Y = [[]] * (1 if one_curve(X) else len(X)), X
    X, Y = ([X] if one_curve(X) else X), ([Y] if one_curve(Y) else Y)
    if len(X) != len(Y):
        X = X * len(Y)
    if axes is None:
        _, axes = plt.subplots(figsize=figsize)
    for x, y, fmt in zip(X, Y, list(fmts) * len(Y)):
        x, y = _as_numpy(x), _as_numpy(y)
        if len(x):
            if x.shape[0] != y.shape[0]:
                raise ValueError(
                    f"x has {x.shape[0]} points but y has {y.shape[0]}"
                )
            axes.plot(x, y, fmt)
        else:
            axes.plot(y, fmt)
    labels = {"xlabel": xlabel, "ylabel": ylabel, "xlim": xlim, "ylim": ylim}
    _set_axes(axes, legend, xscale, yscale, **labels)
    return axes


def show_images(
    imgs,
    num_rows: int,
    num_cols: int,
    titles: Optional[Sequence[str]] = None,
    scale: float = 1.5,
):
    """Show images in a ``num_rows x num_cols`` grid, each ``scale`` inches
    wide; return the flat array of axes.

    ``imgs`` is a tensor or array of shape ``(n, h, w)`` or ``(n, 1, h, w)``
    (or a list of 2-d images); at most ``num_rows * num_cols`` are shown.

    >>> axes = show_images(torch.zeros(4, 1, 28, 28), 1, 4,
    ...                    titles=list("abcd"))
    >>> axes.shape, axes[0].get_title()
    ((4,), 'a')
    >>> plt.close("all")
    """
    if num_rows <= 0 or num_cols <= 0:
        raise ValueError(
            f"num_rows and num_cols must be positive, got {num_rows}, "
            f"{num_cols}"
        )
    imgs = [_as_numpy(img) for img in list(imgs)[: num_rows * num_cols]]
    imgs = [img[0] if img.ndim == 3 and len(img) == 1 else img for img in imgs]
    shapes = [img.shape for img in imgs if img.ndim != 2]
    if shapes:
        raise ValueError(
            f"each image must be 2-d, (h, w) or (1, h, w), not {shapes[0]}"
        )
    if titles is not None and len(titles) < len(imgs):
        raise ValueError(f"got {len(titles)} titles for {len(imgs)} images")
    figsize = (num_cols * scale, num_rows * scale)
    _, axes = plt.subplots(num_rows, num_cols, figsize=figsize, squeeze=False)
    axes = axes.flatten()
    for i, ax in enumerate(axes):
        ax.get_xaxis().set_visible(False)
        ax.get_yaxis().set_visible(False)
        if i >= len(imgs):
            ax.set_axis_off()
            continue
        ax.imshow(imgs[i], cmap="gray_r")
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    return axes


def predict_ch3(net, test_iter, n: int = 6, num_rows: Optional[int] = None):
    """Show the first ``n`` test images titled with true and predicted labels.

    ``net`` is run in evaluation mode on the first minibatch of
    ``test_iter``. The images fill ``num_rows`` rows (default: as few as
    hold at most 6 a row, where the labels still fit), in a figure at most
    4.2 in wide, the book's width. Returns the axes of the grid.

    >>> net = lambda X: torch.eye(10)[[9] * len(X)]   # always "ankle boot"
    >>> data = [(torch.zeros(8, 1, 28, 28), torch.arange(8))]
    >>> axes = predict_ch3(net, data, n=8)   # two rows of four
    >>> axes[5].get_title().splitlines(), float(axes[0].figure.get_figwidth())
    (['sandal', 'ankle boot'], 4.2)
    >>> plt.close("all")
    """
    n = check_int(n, "n", min_value=1)
    if num_rows is not None:
        num_rows = check_int(num_rows, "num_rows", min_value=1)
    X, y = next(iter(test_iter))
    X, y = X[:n], y[:n]
    with eval_mode(net):
        preds = net(X).argmax(dim=1)
    trues, preds = get_fashion_mnist_labels(y), get_fashion_mnist_labels(preds)
    titles = [f"{t}\n{p}" for t, p in zip(trues, preds)]
    num_rows = num_rows or -(-len(X) // 6)
    num_cols = -(-len(X) // num_rows)
    scale = min(1.5, 4.2 / num_cols)
    axes = show_images(X, num_rows, num_cols, titles=titles, scale=scale)
    fig = axes[0].figure  # each row with room for its two-line titles
    fig.set_size_inches(num_cols * scale, num_rows * (scale + 0.4))
    fig.set_layout_engine("constrained")
    return axes


def _as_list(v) -> list:
    """A number, a 0-d or 1-d tensor/array, or a sequence, as a list."""
    if isinstance(v, (torch.Tensor, np.ndarray)):
        return v.reshape(-1).tolist()
    return list(v) if hasattr(v, "__len__") else [v]


class Animator:
    """Curves that grow point by point, redrawn in place in notebooks
    (``display``, default: in Jupyter and Colab); keyword arguments as for
    :func:`plot` (``xlabel``, ``legend``, ``yscale``, ...).

    >>> anim = Animator(xlabel="epoch", legend=["loss"])
    >>> for epoch in range(1, 4):
    ...     anim.add(epoch, 1 / epoch)
    >>> anim.Y[0]
    [1.0, 0.5, 0.3333333333333333]
    >>> plt.close("all")
    """

    def __init__(
        self,
        *,
        fmts: Sequence[str] = _FMTS,
        figsize: Optional[tuple[float, float]] = None,
        display: Optional[bool] = None,
        **axes: Any,
    ) -> None:
        self.fig, self.ax = plt.subplots(figsize=figsize)
        self._axes = axes  # xlabel, ylabel, legend, xlim, ylim, x/yscale
        _set_axes(self.ax, **axes)  # a misspelt keyword fails here
        self.fmts = list(fmts)
        self.X = self.Y = None  # one list of points per curve
        self.display = in_notebook() if display is None else display
        self._handle = None
        if self.display:
            # The figure is shown through a display handle only; closing it
            # stops the inline backend from showing a second copy.
            plt.close(self.fig)

    def add(self, x, y) -> None:
        """Append one point per curve (``y`` a number or a sequence)."""
        x, y = _as_list(x), _as_list(y)
        n, x = len(y), x * len(y) if len(x) == 1 else x
        if self.X is None:
            self.X, self.Y = [[] for _ in y], [[] for _ in y]
        if n != len(self.Y):
            raise ValueError(
                f"this Animator draws {len(self.Y)} curves, got {n} values"
            )
        for i, (a, b) in enumerate(zip(x, y)):
            if a is not None and b is not None:
                self.X[i].append(float(a))
                self.Y[i].append(float(b))
        self.ax.cla()
        for xs, ys, fmt in zip(self.X, self.Y, self.fmts * n):
            self.ax.plot(xs, ys, fmt)
        _set_axes(self.ax, **self._axes)
        if self.display:
            from IPython.display import display

            if self._handle is None:
                self._handle = display(self.fig, display_id=True)
            else:
                self._handle.update(self.fig)


def plot_history(history, keys=None, axes=None, *, figsize=None, **kwargs):
    """Plot the per-epoch records ``keys`` (default: all) of a
    :class:`~d2lutils.training.History`; keyword arguments go to :func:`plot`.

    >>> from d2lutils.training import History
    >>> h = History()
    >>> h.log_epoch(train_loss=1.0); h.log_epoch(train_loss=0.5)
    >>> len(plot_history(h).lines)
    1
    >>> plt.close("all")
    """
    keys = list(history.epochs) if keys is None else list(keys)
    epochs = list(range(1, history.num_epochs + 1))
    kwargs.setdefault("xlim", (1, max(len(epochs), 2)))
    kwargs.setdefault("legend", [k.replace("_", " ") for k in keys])
    curves = [history[k] for k in keys]
    return plot(epochs, curves, "epoch", figsize=figsize, axes=axes, **kwargs)


def draw_network(
    layer_sizes: Sequence[int],
    layer_names: Optional[Sequence[str]] = None,
    node_labels: Optional[Sequence[Sequence[str]]] = None,
    axes=None,
    *,
    figsize: tuple[float, float] = (4.0, 2.5),
):
    """Draw a fully connected network, inputs at the bottom; return the Axes.

    ``layer_sizes`` lists how many units each layer has, inputs first.
    ``node_labels[i][j]`` (maths allowed, e.g. ``"$x_1$"``) labels unit j of
    layer i; ``layer_names[i]`` is written beside layer i.

    >>> ax = draw_network([2, 1], ["input layer", "output layer"],
    ...                   [["$x_1$", "$x_2$"], ["$o_1$"]])
    >>> len(ax.patches), len(ax.lines)   # 3 units, 2 connections
    (3, 2)
    >>> plt.close("all")
    """
    sizes = list(layer_sizes)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(
            f"layer_sizes needs at least two layers of >= 1 unit, got {sizes}"
        )
    named = {"layer_names": layer_names, "node_labels": node_labels}
    for name, seq in named.items():
        if seq is not None and len(seq) != len(sizes):
            raise ValueError(
                f"{name} has {len(seq)} entries for {len(sizes)} layers"
            )
    for i, (labels, n) in enumerate(zip(node_labels or [], sizes)):
        if len(labels) != n:
            raise ValueError(
                f"layer {i} has {n} units but {len(labels)} labels"
            )
    if axes is None:
        _, axes = plt.subplots(figsize=figsize)
    width = max(sizes)
    radius = 0.28

    def positions(i: int) -> list[tuple[float, float]]:
        n = sizes[i]
        return [((width - n) / 2 + j + 0.5, 1.4 * i) for j in range(n)]

    edge = {"color": "0.55", "lw": 0.8, "zorder": 1}
    unit = {"facecolor": "white", "edgecolor": "C0", "lw": 1.5, "zorder": 2}
    for i in range(len(sizes) - 1):
        for x0, y0 in positions(i):
            for x1, y1 in positions(i + 1):
                axes.plot([x0, x1], [y0 + radius, y1 - radius], **edge)
    for i in range(len(sizes)):
        for j, (x, y) in enumerate(positions(i)):
            axes.add_patch(plt.Circle((x, y), radius, **unit))
            if node_labels is not None:
                label = node_labels[i][j]
                axes.text(x, y, label, ha="center", va="center", zorder=3)
        if layer_names is not None:
            axes.text(width + 0.2, 1.4 * i, layer_names[i], va="center")
    axes.set_xlim(-0.2, width + 2.2)
    axes.set_ylim(-0.5, 1.4 * (len(sizes) - 1) + 0.5)
    axes.set_aspect("equal")
    axes.set_axis_off()
    return axes
