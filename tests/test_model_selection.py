"""Tests for d2lutils.model_selection: k_fold and polynomial features."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import d2lutils as d2l
from d2lutils.model_selection import k_fold, polynomial_features

# -- k_fold ------------------------------------------------------------------


@pytest.mark.parametrize(
    "n, k", [(10, 2), (10, 3), (10, 10), (7, 5), (100, 7), (2, 2)]
)
@pytest.mark.parametrize("shuffle", [True, False])
def test_every_example_validated_exactly_once(n, k, shuffle):
    folds = k_fold(n, k, shuffle=shuffle, generator=0)
    assert len(folds) == k
    valid = torch.cat([v for _, v in folds])
    assert sorted(valid.tolist()) == list(range(n))


@pytest.mark.parametrize("n, k", [(10, 3), (7, 5), (100, 7), (9, 3)])
def test_fold_sizes_differ_by_at_most_one(n, k):
    sizes = [len(v) for _, v in k_fold(n, k, generator=0)]
    assert max(sizes) - min(sizes) <= 1
    assert sum(sizes) == n


@pytest.mark.parametrize("n, k", [(10, 3), (7, 5), (12, 4)])
def test_train_and_valid_partition_the_examples(n, k):
    for train_idx, valid_idx in k_fold(n, k, generator=0):
        both = torch.cat([train_idx, valid_idx]).tolist()
        assert sorted(both) == list(range(n))  # disjoint and complete


def test_indices_are_int64():
    train_idx, valid_idx = k_fold(6, 3, generator=0)[0]
    assert train_idx.dtype == valid_idx.dtype == torch.int64


def test_without_shuffle_folds_are_contiguous_blocks():
    folds = k_fold(7, 3, shuffle=False)
    assert [v.tolist() for _, v in folds] == [[0, 1, 2], [3, 4], [5, 6]]
    assert folds[1][0].tolist() == [0, 1, 2, 5, 6]


def test_same_seed_same_folds_and_different_seeds_differ():
    a = k_fold(20, 4, generator=3)
    b = k_fold(20, 4, generator=3)
    c = k_fold(20, 4, generator=4)
    assert all(torch.equal(v1, v2) for (_, v1), (_, v2) in zip(a, b))
    assert not all(torch.equal(v1, v2) for (_, v1), (_, v2) in zip(a, c))


def test_shuffle_uses_the_global_generator_after_set_seed():
    d2l.set_seed(1)
    a = k_fold(20, 4)
    d2l.set_seed(1)
    b = k_fold(20, 4)
    assert all(torch.equal(v1, v2) for (_, v1), (_, v2) in zip(a, b))


def test_shuffle_accepts_a_torch_generator(generator):
    folds = k_fold(10, 2, generator=generator)
    assert sorted(torch.cat([v for _, v in folds]).tolist()) == list(range(10))


@pytest.mark.parametrize("k", [1, 0, -3])
def test_k_below_two_raises(k):
    with pytest.raises(ValueError, match="needs k >= 2"):
        k_fold(10, k)


def test_k_above_n_raises():
    with pytest.raises(ValueError, match="choose k <= 3"):
        k_fold(3, 4)


@pytest.mark.parametrize("n", [0, -5])
def test_non_positive_num_examples_raises(n):
    with pytest.raises(ValueError, match="num_examples must be >= 1"):
        k_fold(n, 2)


@pytest.mark.parametrize("bad", [2.0, "5", True, None])
def test_non_int_k_raises(bad):
    with pytest.raises(TypeError, match="k must be an int"):
        k_fold(10, bad)


@pytest.mark.parametrize("bad", [10.0, "10", False, torch.tensor(10.0)])
def test_non_int_num_examples_raises(bad):
    with pytest.raises(TypeError, match="num_examples must be an int"):
        k_fold(bad, 2)


@pytest.mark.parametrize("n", [np.int64(10), torch.tensor(10)])
def test_integer_like_num_examples_accepted(n):
    assert len(k_fold(n, 2)) == 2


def test_bad_generator_raises():
    with pytest.raises(TypeError, match="generator must be"):
        k_fold(10, 2, generator="seed")


# -- polynomial_features -----------------------------------------------------


def test_polynomial_features_columns_are_scaled_powers():
    x = torch.tensor([-1.5, 0.0, 2.0], dtype=torch.float64)
    F = polynomial_features(x, 4)
    expected = torch.stack([x**i / math.factorial(i) for i in range(5)], dim=1)
    assert F.shape == (3, 5)
    torch.testing.assert_close(F, expected)


def test_polynomial_features_accepts_a_column_and_ints():
    F = polynomial_features(torch.tensor([[1], [2]]), 2)
    assert F.dtype == torch.float32
    torch.testing.assert_close(F, torch.tensor([[1.0, 1, 0.5], [1, 2, 2]]))


def test_polynomial_features_degree_zero_is_a_column_of_ones():
    F = polynomial_features(torch.randn(4), 0)
    torch.testing.assert_close(F, torch.ones(4, 1))


def test_polynomial_features_negative_degree_raises():
    with pytest.raises(ValueError, match="degree must be >= 0"):
        polynomial_features(torch.zeros(3), -1)


def test_polynomial_features_non_int_degree_raises():
    with pytest.raises(TypeError, match="degree must be an int"):
        polynomial_features(torch.zeros(3), 2.0)


def test_polynomial_features_wrong_shape_raises():
    with pytest.raises(ValueError, match=r"shape \(n,\) or \(n, 1\)"):
        polynomial_features(torch.zeros(3, 2), 2)
