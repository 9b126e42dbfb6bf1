"""Model selection: K-fold splits and polynomial features.

The model-selection section fits polynomials of several degrees to the
same data and asks which degree to keep. :func:`k_fold` cuts the examples
into ``k`` folds, each validated once while the others train;
:func:`polynomial_features` makes the columns ``x**i / i!`` (dividing by
``i!`` keeps high powers from swamping the gradient). The polynomials are
trained with the book's one loop, :func:`d2lutils.training.train`.
"""

from __future__ import annotations

import math

import torch

from .core import GeneratorLike, check_int, normalize_generator

__all__ = ["k_fold", "polynomial_features"]


def k_fold(
    num_examples: int,
    k: int,
    *,
    shuffle: bool = True,
    generator: GeneratorLike = None,
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Split ``range(num_examples)`` into ``k`` folds for cross-validation:
    a list of ``k`` pairs ``(train_idx, valid_idx)`` of int64 tensors.

    Fold ``i`` is the ``i``-th validation set, the other ``k - 1`` its
    training set; the first ``num_examples % k`` folds get one example
    more. With ``shuffle`` (and ``generator``) the indices are permuted
    first; without, fold ``i`` is a contiguous block.

    >>> folds = k_fold(5, 2, shuffle=False)
    >>> [(t.tolist(), v.tolist()) for t, v in folds]
    [([3, 4], [0, 1, 2]), ([0, 1, 2], [3, 4])]
    """
    num_examples = check_int(num_examples, "num_examples", min_value=1)
    k = check_int(k, "k")
    if k < 2:
        raise ValueError(
            f"k-fold cross-validation needs k >= 2 folds, got k={k}; "
            "with one fold there is nothing left to train on"
        )
    if k > num_examples:
        raise ValueError(
            f"k={k} folds cannot be cut from {num_examples} examples: "
            f"choose k <= {num_examples}"
        )
    if shuffle:
        order = torch.randperm(
            num_examples, generator=normalize_generator(generator)
        )
    else:
        order = torch.arange(num_examples)
    folds = order.tensor_split(k)  # the first num_examples % k one longer
    return [
        (torch.cat(folds[:i] + folds[i + 1 :]), valid)
        for i, valid in enumerate(folds)
    ]


def polynomial_features(x: torch.Tensor, degree: int) -> torch.Tensor:
    """The columns ``x**i / i!`` for ``i = 0, 1, ..., degree``: a tensor of
    shape ``(n, degree + 1)`` from ``x`` of shape ``(n,)`` or ``(n, 1)``.

    >>> polynomial_features(torch.tensor([2.0]), 3)
    tensor([[1.0000, 2.0000, 2.0000, 1.3333]])
    """
    degree = check_int(degree, "degree", min_value=0)
    x = torch.as_tensor(x)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x.reshape(-1)
    if x.ndim != 1:
        raise ValueError(
            "x must hold one input per example, shape (n,) or (n, 1); got "
            f"{tuple(x.shape)}"
        )
    if not x.is_floating_point():
        x = x.float()
    powers = torch.arange(degree + 1, dtype=x.dtype)
    factorials = torch.tensor(
        [math.factorial(i) for i in range(degree + 1)], dtype=x.dtype
    )
    return x.reshape(-1, 1) ** powers / factorials
