"""Data: synthetic regression data and minibatches from in-memory tensors.

Everything the book trains on fits in memory, so :class:`ArrayLoader`
(what :func:`load_array` and :func:`load_data_fashion_mnist` return) draws
one permutation per epoch and slices the tensors with it: the batches of
``DataLoader(TensorDataset(...))``, several times faster, as that collates
them one example at a time (``make bench`` measures it).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch

from .core import GeneratorLike, check_int, normalize_generator
from .fashion_mnist import load_fashion_mnist

__all__ = [
    "ArrayLoader",
    "data_iter",
    "load_array",
    "load_data_fashion_mnist",
    "synthetic_data",
]


def _check_same_length(tensors: Sequence[torch.Tensor]) -> int:
    if len(tensors) == 0:
        raise ValueError("need at least one tensor to make minibatches from")
    for t in tensors:
        if not isinstance(t, torch.Tensor):
            raise TypeError(
                "expected torch tensors, got "
                f"{type(t).__name__}; convert with torch.as_tensor(...)"
            )
        if t.ndim == 0:
            raise ValueError(
                "cannot make minibatches from a 0-d tensor: "
                "the first dimension must index the examples"
            )
    lengths = {len(t) for t in tensors}
    if len(lengths) != 1:
        shapes = ", ".join(str(tuple(t.shape)) for t in tensors)
        raise ValueError(
            "all tensors must have the same number of examples "
            f"(first dimension); got shapes {shapes}"
        )
    (n,) = lengths
    if n == 0:
        raise ValueError("the tensors hold no examples (length 0)")
    return n


def synthetic_data(
    w: torch.Tensor,
    b: float,
    num_examples: int,
    *,
    noise: float = 0.01,
    generator: GeneratorLike = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``X ~ N(0, 1)`` of shape ``(num_examples, len(w))`` and
    ``y = Xw + b + noise`` of shape ``(num_examples, 1)``, the noise of
    standard deviation ``noise``.

    >>> X, y = synthetic_data(torch.tensor([2.0, -3.4]), 4.2, 5, generator=0)
    >>> X.shape, y.shape
    (torch.Size([5, 2]), torch.Size([5, 1]))
    """
    w = torch.as_tensor(w)
    if w.ndim != 1:
        raise ValueError(
            f"w must be a 1-d tensor of weights, got shape {tuple(w.shape)}; "
            "pass e.g. torch.tensor([2.0, -3.4])"
        )
    if not w.is_floating_point():
        w = w.float()
    num_examples = check_int(num_examples, "num_examples", min_value=1)
    if noise < 0:
        raise ValueError(f"noise is a standard deviation, got {noise} < 0")
    g = normalize_generator(generator)
    X = torch.normal(
        0.0, 1.0, (num_examples, len(w)), generator=g, dtype=w.dtype
    )
    y = X @ w + b
    y = y + noise * torch.randn(y.shape, generator=g, dtype=w.dtype)
    return X, y.reshape(-1, 1)


def data_iter(
    batch_size: int,
    features: torch.Tensor,
    labels: torch.Tensor,
    *,
    generator: GeneratorLike = None,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yield shuffled minibatches ``(X, y)``; the last one may be smaller.

    The linear-regression section's reader: one random permutation of the
    example indices, then slices of it.

    >>> X, y = torch.arange(10.0).reshape(5, 2), torch.arange(5.0)
    >>> [len(yb) for _, yb in data_iter(2, X, y, generator=0)]
    [2, 2, 1]
    """
    # check the arguments now, at the call, not at the first next()
    batch_size = check_int(batch_size, "batch_size", min_value=1)
    num_examples = _check_same_length([features, labels])
    g = normalize_generator(generator)
    indices = torch.randperm(num_examples, generator=g)
    return ((features[i], labels[i]) for i in indices.split(batch_size))


class ArrayLoader:
    """Minibatches from in-memory tensors, re-iterable once per epoch.

    Each ``iter()`` draws a fresh permutation (if ``shuffle``) and yields
    tuples of slices, one per tensor; ``len()`` is the number of batches.

    >>> loader = ArrayLoader([torch.arange(5)], 2, shuffle=False)
    >>> [b.tolist() for (b,) in loader], len(loader)
    ([[0, 1], [2, 3], [4]], 3)
    """

    def __init__(
        self,
        tensors: Sequence[torch.Tensor],
        batch_size: int,
        *,
        shuffle: bool = True,
        generator: GeneratorLike = None,
    ) -> None:
        self.tensors = tuple(tensors)
        self.num_examples = _check_same_length(self.tensors)
        self.batch_size = check_int(batch_size, "batch_size", min_value=1)
        self.shuffle = shuffle
        self.generator = normalize_generator(generator)

    def __len__(self) -> int:
        return -(-self.num_examples // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        n, bs = self.num_examples, self.batch_size
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator)
            for idx in order.split(bs):
                # index_select copies whole rows; it is about 3x faster
                # than the equivalent t[idx] for image batches
                yield tuple(t.index_select(0, idx) for t in self.tensors)
        else:
            for i in range(0, n, bs):
                yield tuple(t[i : i + bs] for t in self.tensors)

    def __repr__(self) -> str:
        shapes = ", ".join(str(tuple(t.shape)) for t in self.tensors)
        return (
            f"ArrayLoader({shapes}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, batches={len(self)})"
        )


def load_array(
    data_arrays: Sequence[torch.Tensor],
    batch_size: int,
    is_train: bool = True,
    *,
    generator: GeneratorLike = None,
) -> ArrayLoader:
    """d2l's ``load_array``: an :class:`ArrayLoader` over ``data_arrays``,
    shuffled when ``is_train``.

    >>> X, y = torch.zeros(10, 2), torch.zeros(10, 1)
    >>> Xb, yb = next(iter(load_array((X, y), 4)))
    >>> Xb.shape, yb.shape
    (torch.Size([4, 2]), torch.Size([4, 1]))
    """
    if isinstance(data_arrays, torch.Tensor):
        raise TypeError(
            "data_arrays must be a tuple of tensors, e.g. (features, labels)"
        )
    return ArrayLoader(
        data_arrays, batch_size, shuffle=is_train, generator=generator
    )


def load_data_fashion_mnist(
    batch_size: int, *, root=None, generator: GeneratorLike = None
) -> tuple[ArrayLoader, ArrayLoader]:
    """Fashion-MNIST as ``(train_iter, test_iter)`` minibatch loaders.

    Images come as ``float32`` in ``[0, 1]`` of shape ``(n, 1, 28, 28)``,
    labels as ``int64``; the test loader keeps the file order. See
    :func:`~d2lutils.fashion_mnist.load_fashion_mnist` for where the data
    is found.
    """
    check_int(batch_size, "batch_size", min_value=1)  # before loading
    X_train, y_train, X_test, y_test = load_fashion_mnist(root)
    X_train, X_test = (
        X.unsqueeze(1).float().div_(255) for X in (X_train, X_test)
    )
    train_iter = ArrayLoader(
        (X_train, y_train), batch_size, generator=generator
    )
    return train_iter, ArrayLoader((X_test, y_test), batch_size, shuffle=False)
