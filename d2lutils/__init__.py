"""d2lutils: the helpers behind the interactive deep-learning basics book.

The names follow *Dive into Deep Learning* so its readers feel at home::

    import d2lutils as d2l
    train_iter, test_iter = d2l.load_data_fashion_mnist(256)

Modules, each with one job and readable in one sitting:

* :mod:`d2lutils.core` -- ``set_seed``, ``try_gpu``, the one randomness
  convention (``generator=None | int | torch.Generator``), ``check_int``
  and ``in_notebook``;
* :mod:`d2lutils.data` -- synthetic data and minibatches;
* :mod:`d2lutils.fashion_mnist` -- the Fashion-MNIST files, found,
  fetched, checked and cached (``find_fashion_mnist`` says where), on
  :mod:`d2lutils.idx` (the IDX format), :mod:`d2lutils.download` and
  :mod:`d2lutils.filecache` (writes safe under concurrency and kills);
* :mod:`d2lutils.scratch` -- the from-scratch pieces of the first sections
  (``linreg``, ``squared_loss``, ``sgd``, ``accuracy``, ``SGDUpdater``);
* :mod:`d2lutils.train` -- the one training loop ``train`` and its
  ``History``; ``train_ch3`` and ``evaluate_accuracy`` under d2l's names;
* :mod:`d2lutils.callbacks` -- hooks for the loop: ``LRSchedule``,
  ``EarlyStopping``, ``Record``, ``Animate``;
* :mod:`d2lutils.twins` -- ``train_twins``: scratch and concise trained on
  the same batches from the same start, compared;
* :mod:`d2lutils.plot` -- plots on a matplotlib ``Axes`` and a live plot;
* :mod:`d2lutils.widgets` -- ``slider``: a hyperparameter slider for
  Jupyter, Colab, the rendered book and scripts;
* :mod:`d2lutils.model_selection` -- ``k_fold`` splits and polynomial
  features;
* :mod:`d2lutils.init` -- Xavier and He initializers by hand (for
  ``net.apply``) and ``LayerStats``, a per-layer statistics hook;
* :mod:`d2lutils.gradcheck` -- ``grad_check``: hand-written gradients
  against autograd or finite differences, worst error per parameter.
"""

from importlib.metadata import PackageNotFoundError, version

from .callbacks import (
    Animate,
    Callback,
    EarlyStopping,
    LRSchedule,
    Record,
    TrainState,
    cosine_schedule,
    set_lr,
)
from .core import check_int, normalize_generator, set_seed, try_gpu
from .data import (
    FASHION_MNIST_CLASSES,
    FASHION_MNIST_CLASSES_ZH,
    ArrayLoader,
    data_iter,
    get_fashion_mnist_labels,
    load_array,
    load_data_fashion_mnist,
    load_fashion_mnist,
    synthetic_data,
)
from .fashion_mnist import FashionMNISTError, find_fashion_mnist
from .gradcheck import (
    GradReport,
    autograd_grads,
    compare_grads,
    grad_check,
    numerical_grads,
    relative_error,
)
from .graph import LiveMemory, draw_graph, saved_tensors
from .init import (
    LayerStats,
    fans,
    he_normal,
    he_normal_,
    he_uniform,
    he_uniform_,
    init_constant,
    init_normal,
    xavier_normal,
    xavier_normal_,
    xavier_uniform,
    xavier_uniform_,
)
from .model_selection import k_fold, polynomial_features
from .plot import (
    Animator,
    draw_network,
    plot,
    plot_history,
    set_figsize,
    show_images,
)
from .scratch import SGDUpdater, accuracy, linreg, sgd, squared_loss
from .train import (
    Accumulator,
    History,
    Timer,
    evaluate,
    evaluate_accuracy,
    predict_ch3,
    train,
    train_ch3,
    train_epoch_ch3,
)
from .twins import Twin, TwinRun, train_twins
from .widgets import SliderError, SliderRecord, slider, slider_mode

try:  # the one place the version is written is pyproject.toml
    __version__ = version("d2lutils")
except PackageNotFoundError:  # imported from a source tree, not installed
    __version__ = "unknown"

__all__ = [
    "FASHION_MNIST_CLASSES",
    "FASHION_MNIST_CLASSES_ZH",
    "Accumulator",
    "Animate",
    "Animator",
    "ArrayLoader",
    "Callback",
    "EarlyStopping",
    "FashionMNISTError",
    "GradReport",
    "History",
    "LayerStats",
    "LiveMemory",
    "LRSchedule",
    "Record",
    "SGDUpdater",
    "SliderError",
    "SliderRecord",
    "Timer",
    "TrainState",
    "Twin",
    "TwinRun",
    "accuracy",
    "autograd_grads",
    "check_int",
    "compare_grads",
    "cosine_schedule",
    "data_iter",
    "draw_graph",
    "draw_network",
    "evaluate",
    "evaluate_accuracy",
    "fans",
    "find_fashion_mnist",
    "get_fashion_mnist_labels",
    "grad_check",
    "he_normal",
    "he_normal_",
    "he_uniform",
    "he_uniform_",
    "init_constant",
    "init_normal",
    "k_fold",
    "linreg",
    "load_array",
    "load_data_fashion_mnist",
    "load_fashion_mnist",
    "normalize_generator",
    "numerical_grads",
    "plot",
    "plot_history",
    "polynomial_features",
    "predict_ch3",
    "relative_error",
    "saved_tensors",
    "set_figsize",
    "set_lr",
    "set_seed",
    "sgd",
    "show_images",
    "slider",
    "slider_mode",
    "squared_loss",
    "synthetic_data",
    "train",
    "train_ch3",
    "train_epoch_ch3",
    "train_twins",
    "try_gpu",
    "xavier_normal",
    "xavier_normal_",
    "xavier_uniform",
    "xavier_uniform_",
]
