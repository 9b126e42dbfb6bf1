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
