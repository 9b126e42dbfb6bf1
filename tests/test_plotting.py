"""Plot helpers draw on an Axes, return it, and reject bad input clearly."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

import d2lutils as d2l
from d2lutils.plotting import Animator
from d2lutils.training import History


def test_plot_forms():
    x = torch.arange(5.0)
    ax = d2l.plot(x, [x, x**2], "x", "y", legend=["x", "x^2"], yscale="log")
    assert len(ax.lines) == 2 and ax.get_yscale() == "log"
    assert ax.get_xlabel() == "x" and ax.get_legend() is not None
    ax = d2l.plot([1.0, 4.0, 9.0])  # y against its index
    assert list(ax.lines[0].get_ydata()) == [1.0, 4.0, 9.0]


def test_plot_draws_on_given_axes():
    fig, ax = plt.subplots()
    assert d2l.plot(np.arange(3), np.arange(3), axes=ax) is ax
    assert len(fig.axes) == 1


def test_plot_length_mismatch():
    with pytest.raises(ValueError, match="x has 3 points but y has 4"):
        d2l.plot(np.arange(3), np.arange(4))


def test_show_images_accepts_channel_first_and_titles():
    imgs = torch.rand(5, 1, 28, 28)
    axes = d2l.show_images(imgs, 2, 3, titles=list("abcde"))
    assert len(axes) == 6 and axes[4].get_title() == "e"
    assert not axes[5].axison  # the unused slot is blank
    with pytest.raises(ValueError, match="2-d"):
        d2l.show_images(torch.rand(2, 3, 4, 4), 1, 2)
    with pytest.raises(ValueError, match="titles"):
        d2l.show_images(torch.rand(2, 4, 4), 1, 2, titles=["a"])
    with pytest.raises(ValueError, match="positive"):
        d2l.show_images(torch.rand(2, 4, 4), 0, 2)


def test_animator_keeps_all_points_and_checks_arity():
    anim = Animator(legend=["a", "b"], display=False)
    anim.add(1, (0.5, 0.7))
    anim.add(2, (0.4, 0.8))
    assert anim.X == [[1.0, 2.0], [1.0, 2.0]]
    assert len(anim.ax.lines) == 2
    with pytest.raises(ValueError, match="draws 2 curves, got 3"):
        anim.add(3, (1, 2, 3))


def test_animator_accepts_tensors_and_arrays():
    anim = Animator(display=False)
    anim.add(torch.tensor(1), torch.tensor(0.5))  # 0-d tensors
    anim.add(np.int64(2), torch.tensor([0.25]))
    assert anim.X == [[1.0, 2.0]] and anim.Y == [[0.5, 0.25]]


def test_animator_updates_one_display_in_a_notebook(monkeypatch):
    """In a kernel the figure is shown once and then updated in place."""
    shown = []

    class Handle:
        def update(self, fig):
            shown.append(("update", fig))

    def fake_display(obj, display_id=False):
        shown.append(("display", obj))
        return Handle()

    import IPython.display

    monkeypatch.setattr(IPython.display, "display", fake_display)
    anim = Animator(display=True)
    for i in range(3):
        anim.add(i, i * i)
    assert [kind for kind, _ in shown] == ["display", "update", "update"]
    assert all(obj is anim.fig for _, obj in shown)
    assert anim.fig.number not in plt.get_fignums()  # no second inline copy


def test_plot_history_draws_the_chosen_records():
    hist = History()
    hist.log_epoch(train_loss=1.0, train_acc=0.6, test_acc=0.55)
    hist.log_epoch(train_loss=0.5, train_acc=0.8, test_acc=0.75)
    ax = d2l.plot_history(hist)
    assert len(ax.lines) == 3 and ax.get_xlabel() == "epoch"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "train loss",
        "train acc",
        "test acc",
    ]
    ax = d2l.plot_history(hist, ["test_acc"], yscale="log")
    assert list(ax.lines[0].get_ydata()) == [0.55, 0.75]
    with pytest.raises(KeyError, match="no per-epoch record 'valid_acc'"):
        d2l.plot_history(hist, ["valid_acc"])


def test_draw_network_errors():
    with pytest.raises(ValueError, match="at least two layers"):
        d2l.draw_network([3])
    with pytest.raises(ValueError, match="layer_names has 1 entries"):
        d2l.draw_network([2, 1], ["x"])
    with pytest.raises(ValueError, match="layer 1 has 1 units but 2 labels"):
        d2l.draw_network([2, 1], node_labels=[["a", "b"], ["c", "d"]])


def test_predict_ch3_titles_true_and_predicted_in_eval_mode():
    X = torch.zeros(8, 1, 28, 28)
    y = torch.arange(8)

    class AlwaysNine(torch.nn.Module):
        def forward(self, X):
            assert not self.training, "predict in evaluation mode"
            return torch.eye(10)[[9] * len(X)]

    net = AlwaysNine()
    axes = d2l.predict_ch3(net, [(X, y)], n=4)
    assert [ax.get_title() for ax in axes] == [
        "t-shirt\nankle boot",
        "trouser\nankle boot",
        "pullover\nankle boot",
        "dress\nankle boot",
    ]
    assert net.training  # back in the mode it was in
    assert len(d2l.predict_ch3(net, [(X[:3], y[:3])], n=6)) == 3
    with pytest.raises(ValueError, match="n must be >= 1"):
        d2l.predict_ch3(net, [(X, y)], n=0)
    with pytest.raises(ValueError, match="num_rows must be >= 1"):
        d2l.predict_ch3(net, [(X, y)], num_rows=0)


@pytest.mark.parametrize(
    "n, num_rows, grid",
    [(6, None, (1, 6)), (8, None, (2, 4)), (3, None, (1, 3)), (8, 1, (1, 8))],
)
def test_predict_ch3_lays_out_rows_at_most_the_books_width(n, num_rows, grid):
    X, y = torch.zeros(8, 1, 28, 28), torch.arange(8)
    axes = d2l.predict_ch3(
        lambda X: torch.zeros(len(X), 10), [(X, y)], n, num_rows
    )
    fig = axes[0].figure
    assert axes[0].get_subplotspec().get_gridspec().get_geometry() == grid
    assert fig.get_figwidth() <= 4.2  # d2l.use_book_style's width
    assert fig.get_figwidth() / grid[1] <= 1.5  # no image drawn larger
