"""set_seed, the generator convention, check_int and eval_mode."""

import random

import numpy as np
import pytest
import torch
from torch import nn

import d2lutils as d2l
from d2lutils.core import check_int, eval_mode, normalize_generator


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
    assert normalize_generator(None) is None
    g = torch.Generator()
    assert normalize_generator(g) is g
    a = torch.rand(3, generator=normalize_generator(5))
    b = torch.rand(3, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a, b)  # an int seeds a fresh generator
    with pytest.raises(TypeError, match="generator must be None, an int"):
        normalize_generator("seed")
    with pytest.raises(ValueError, match="seed must be >= 0"):
        normalize_generator(-3)


@pytest.mark.parametrize(
    "value", [3, np.int64(3), np.int32(3), torch.tensor(3)]
)
def test_check_int_takes_every_integer_type(value):
    out = check_int(value, "n", min_value=1)
    assert out == 3 and type(out) is int


@pytest.mark.parametrize(
    "value",
    [True, np.bool_(True), torch.tensor(True), 2.0, torch.tensor(2.0), "2"],
)
def test_check_int_refuses_what_is_not_an_integer(value):
    with pytest.raises(TypeError, match="num_epochs must be an int"):
        check_int(value, "num_epochs")


def test_check_int_minimum():
    assert check_int(0, "k", min_value=0) == 0
    with pytest.raises(ValueError, match="k must be >= 2, got 1"):
        check_int(1, "k", min_value=2)


@pytest.mark.parametrize("mode", [True, False])
def test_eval_mode_restores_the_mode_even_after_an_error(mode):
    net = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5)).train(mode)
    with eval_mode(net):
        assert not net.training and not net[1].training
        assert not torch.is_grad_enabled()
    assert net.training == net[1].training == mode
    with pytest.raises(RuntimeError, match="inside"), eval_mode(net):
        raise RuntimeError("inside")
    assert net.training == mode


def test_eval_mode_of_a_plain_function_turns_off_gradients():
    w = torch.ones(2, requires_grad=True)
    with eval_mode(lambda X: X @ w) as net:
        assert not net(torch.ones(3, 2)).requires_grad
