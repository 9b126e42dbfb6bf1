"""d2lutils: the helpers behind the interactive deep-learning basics book.

The names follow *Dive into Deep Learning* so its readers feel at home::

    import d2lutils as d2l
    train_iter, test_iter = d2l.load_data_fashion_mnist(256)

``d2l.*`` (``__all__``) holds what the notebooks and their readers use;
the README's layout table says who uses each name and which module, each
with one job and readable in one sitting, holds it.
"""

from importlib.metadata import PackageNotFoundError as _NotInstalled
from importlib.metadata import version as _version

from .callbacks import (
    Animate,
    Callback,
    EarlyStopping,
    LayerStats,
    LRSchedule,
    Record,
    cosine_schedule,
)
from .core import set_seed
from .data import (
    ArrayLoader,
    data_iter,
    load_array,
    load_data_fashion_mnist,
    synthetic_data,
)
from .fashion_mnist import (
    FASHION_MNIST_CLASSES,
    FASHION_MNIST_CLASSES_ZH,
    find_fashion_mnist,
    get_fashion_mnist_labels,
    load_fashion_mnist,
)
from .gradcheck import GradReport, grad_check, relative_error
from .graph import LiveMemory, draw_graph, saved_tensors
from .init import (
    he_normal_,
    he_uniform_,
    init_linear,
    xavier_normal_,
    xavier_uniform_,
)
from .model_selection import k_fold, polynomial_features
from .plotting import (
    draw_network,
    plot,
    plot_history,
    predict_ch3,
    show_images,
    use_book_style,
)
from .scratch import (
    Accumulator,
    SGDUpdater,
    accuracy,
    linreg,
    sgd,
    squared_loss,
)
from .training import (
    History,
    evaluate,
    evaluate_accuracy,
    train,
    train_ch3,
    train_epoch_ch3,
)
from .twins import Twin, train_twins
from .widgets import slider

try:  # the one place the version is written is pyproject.toml
    __version__ = _version("d2lutils")
except _NotInstalled:  # imported from a source tree, not installed
    __version__ = "unknown"

__all__ = [
    "FASHION_MNIST_CLASSES",
    "FASHION_MNIST_CLASSES_ZH",
    "Accumulator",
    "Animate",
    "ArrayLoader",
    "Callback",
    "EarlyStopping",
    "GradReport",
    "History",
    "LiveMemory",
    "LRSchedule",
    "LayerStats",
    "Record",
    "SGDUpdater",
    "Twin",
    "accuracy",
    "cosine_schedule",
    "data_iter",
    "draw_graph",
    "draw_network",
    "evaluate",
    "evaluate_accuracy",
    "find_fashion_mnist",
    "get_fashion_mnist_labels",
    "grad_check",
    "he_normal_",
    "he_uniform_",
    "init_linear",
    "k_fold",
    "linreg",
    "load_array",
    "load_data_fashion_mnist",
    "load_fashion_mnist",
    "plot",
    "plot_history",
    "polynomial_features",
    "predict_ch3",
    "relative_error",
    "saved_tensors",
    "set_seed",
    "sgd",
    "show_images",
    "slider",
    "squared_loss",
    "synthetic_data",
    "train",
    "train_ch3",
    "train_epoch_ch3",
    "train_twins",
    "use_book_style",
    "xavier_normal_",
    "xavier_uniform_",
]


# --- old names, removed once the notebooks use the new ones -----------------
# Not in __all__. They keep today's notebooks running and printing the same
# numbers; tests/test_packaging.py shows what to write instead and checks
# that old and new give the same tensors.
from functools import wraps as _wraps  # noqa: E402
from time import perf_counter as _perf_counter  # noqa: E402

from torch.nn import init as _nn_init  # noqa: E402
from torch.optim import Optimizer as _Optimizer  # noqa: E402

from .core import normalize_generator as normalize_generator  # noqa: E402
from .gradcheck import _autograd_grads as autograd_grads  # noqa: E402, F401
from .training import train as _train  # noqa: E402
from .widgets import SliderError as SliderError  # noqa: E402


def he_normal(gain=1.4142135623730951, *, generator=None):  # gain sqrt(2)
    return init_linear(he_normal_, gain=gain, generator=generator)


def xavier_normal(gain=1.0, *, generator=None):
    return init_linear(xavier_normal_, gain=gain, generator=generator)


def init_normal(std, *, generator=None):
    return init_linear(_nn_init.normal_, std=std, generator=generator)


def init_constant(value):
    return init_linear(_nn_init.constant_, val=value)


@_wraps(_train)  # the new train, which also takes the old order
def train(net, train_iter, loss, num_epochs, updater, **kwargs):  # noqa: F811
    if callable(num_epochs) or isinstance(num_epochs, _Optimizer):
        num_epochs, updater = updater, num_epochs
    return _train(net, train_iter, loss, num_epochs, updater, **kwargs)


class Timer:  # the book prints no timings
    def __init__(self):
        self.times = []
        self.start()

    def start(self):
        self.tik = _perf_counter()

    def stop(self):
        self.times.append(_perf_counter() - self.tik)
        return self.times[-1]


_OLD_NAMES = (
    "SliderError",
    "Timer",
    "autograd_grads",
    "he_normal",
    "init_constant",
    "init_normal",
    "normalize_generator",
    "train",
    "xavier_normal",
)
