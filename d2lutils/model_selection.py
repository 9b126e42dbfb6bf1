"""Model selection: K-fold splits and polynomial features.

The model-selection section fits polynomials of several degrees to the same
data and asks which degree to keep. Two small pieces do the
work:

* :func:`k_fold` splits ``num_examples`` indices into ``k`` folds and returns,
  for each fold, the indices to train on and the indices to validate on.
  Every example is validated exactly once and fold sizes differ by at most
  one, also when ``k`` does not divide ``num_examples``.
* :func:`polynomial_features` turns inputs ``x`` into the columns
  ``x**i / i!`` for ``i = 0, ..., degree``; dividing by ``i!`` keeps high
  powers from swamping the gradient.

The section trains its polynomials with the book's one loop,
:func:`d2lutils.training.train`, measuring the whole training and test sets
after every epoch (``eval_iters={"train": ..., "test": ...}``).
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
    """Split ``range(num_examples)`` into ``k`` folds for cross-validation.

    Fold ``i`` is the ``i``-th validation set; the other ``k - 1`` folds
    form its training set. When ``k`` does not divide ``num_examples``, the
    first ``num_examples % k`` folds get one example more, so fold sizes
    differ by at most one.

    Parameters
    ----------
    num_examples : how many examples there are (``n >= k``).
    k : number of folds, ``2 <= k <= num_examples``.
    shuffle : permute the indices before cutting them into folds; without
        it fold ``i`` is a contiguous block.
    generator : ``None``, an int seed or a ``torch.Generator``.

    Returns
    -------
    A list of ``k`` pairs ``(train_idx, valid_idx)`` of int64 tensors.

    Examples
    --------
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
    fold_size, extra = divmod(num_examples, k)
    folds, start = [], 0
    for i in range(k):
        stop = start + fold_size + (1 if i < extra else 0)
        valid_idx = order[start:stop]
        train_idx = torch.cat([order[:start], order[stop:]])
        folds.append((train_idx, valid_idx))
        start = stop
    return folds


def polynomial_features(x: torch.Tensor, degree: int) -> torch.Tensor:
    """The columns ``x**i / i!`` for ``i = 0, 1, ..., degree``.

    Parameters
    ----------
    x : tensor of shape ``(n,)`` or ``(n, 1)``.
    degree : the highest power, ``>= 0``.

    Returns
    -------
    Tensor of shape ``(n, degree + 1)``; column 0 is all ones.

    Examples
    --------
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
