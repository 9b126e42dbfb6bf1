"""set_seed, try_gpu and the generator convention."""

import random

import numpy as np
import pytest
import torch

import d2lutils as d2l


def test_set_seed_repeats_all_three_generators():
    d2l.set_seed(7)
    a = (random.random(), np.random.rand(), torch.rand(1).item())
    d2l.set_seed(7)
    b = (random.random(), np.random.rand(), torch.rand(1).item())
    assert a == b
    d2l.set_seed(8)
    assert torch.rand(1).item() != a[2]


@pytest.mark.parametrize(
    "bad, err",
    [(1.5, TypeError), ("3", TypeError), (True, TypeError), (-1, ValueError)],
)
def test_set_seed_rejects_bad_seeds(bad, err):
    with pytest.raises(err, match="seed"):
        d2l.set_seed(bad)


def test_normalize_generator():
    assert d2l.normalize_generator(None) is None
    g = torch.Generator()
    assert d2l.normalize_generator(g) is g
    a = torch.rand(3, generator=d2l.normalize_generator(5))
    b = torch.rand(3, generator=d2l.normalize_generator(5))
    assert torch.equal(a, b)
    with pytest.raises(TypeError, match="generator must be None, an int"):
        d2l.normalize_generator("seed")
    with pytest.raises(ValueError, match="non-negative"):
        d2l.normalize_generator(-3)


def test_try_gpu_falls_back_to_cpu():
    dev = d2l.try_gpu(10_000)
    assert dev == torch.device("cpu")
    assert isinstance(d2l.try_gpu(), torch.device)
    with pytest.raises(ValueError, match=">= 0"):
        d2l.try_gpu(-1)
