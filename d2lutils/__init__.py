"""d2lutils: the helpers behind the interactive deep-learning basics book.

The names follow *Dive into Deep Learning* so its readers feel at home::

    import d2lutils as d2l
    train_iter, test_iter = d2l.load_data_fashion_mnist(256)

Modules, each readable in one sitting:

* :mod:`d2lutils.core` -- ``set_seed``, ``try_gpu`` and the one randomness
  convention (``generator=None | int | torch.Generator``);
* :mod:`d2lutils.data` -- synthetic data, minibatches, Fashion-MNIST;
* :mod:`d2lutils.train` -- the chapter-3 model pieces and ``train_ch3``;
* :mod:`d2lutils.plot` -- plots on a matplotlib ``Axes`` and a live plot;
* :mod:`d2lutils.widgets` -- ``slider``: a hyperparameter slider for
  Jupyter, Colab, the rendered book and scripts;
* :mod:`d2lutils.model_selection` -- ``k_fold`` splits, polynomial
  features and ``train_regression``, a loop that records train/test loss.
"""

from .core import normalize_generator, set_seed, try_gpu
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
from .fashion_mnist import FashionMNISTError
from .model_selection import (
    RegressionHistory,
    k_fold,
    polynomial_features,
    train_regression,
)
from .plot import (
    Animator,
    draw_network,
    plot,
    plot_history,
    set_figsize,
    show_images,
)
from .train import (
    Accumulator,
    Timer,
    TrainHistory,
    accuracy,
    evaluate_accuracy,
    linreg,
    predict_ch3,
    sgd,
    squared_loss,
    train_ch3,
    train_epoch_ch3,
)
from .widgets import SliderError, SliderRecord, slider, slider_mode

__version__ = "0.1.0"

__all__ = [
    "FASHION_MNIST_CLASSES",
    "FASHION_MNIST_CLASSES_ZH",
    "Accumulator",
    "Animator",
    "ArrayLoader",
    "FashionMNISTError",
    "RegressionHistory",
    "SliderError",
    "SliderRecord",
    "Timer",
    "TrainHistory",
    "accuracy",
    "data_iter",
    "draw_network",
    "evaluate_accuracy",
    "get_fashion_mnist_labels",
    "k_fold",
    "linreg",
    "load_array",
    "load_data_fashion_mnist",
    "load_fashion_mnist",
    "normalize_generator",
    "plot",
    "plot_history",
    "polynomial_features",
    "predict_ch3",
    "set_figsize",
    "set_seed",
    "sgd",
    "show_images",
    "slider",
    "slider_mode",
    "squared_loss",
    "synthetic_data",
    "train_ch3",
    "train_epoch_ch3",
    "train_regression",
    "try_gpu",
]
