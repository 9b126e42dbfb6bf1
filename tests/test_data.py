"""synthetic_data, data_iter, load_array, load_data_fashion_mnist."""

import numpy as np
import pytest
import torch

import d2lutils as d2l


def test_synthetic_data_shapes_and_model(generator):
    w = torch.tensor([2.0, -3.4])
    X, y = d2l.synthetic_data(w, 4.2, 1000, generator=generator)
    assert X.shape == (1000, 2) and y.shape == (1000, 1)
    resid = y.reshape(-1) - (X @ w + 4.2)
    assert 0.008 < resid.std().item() < 0.012  # the noise level, 0.01
    Xn, yn = d2l.synthetic_data(w, 4.2, 5, noise=0.0, generator=1)
    torch.testing.assert_close(yn.reshape(-1), Xn @ w + 4.2)


def test_synthetic_data_is_repeatable():
    w = torch.tensor([1.0])
    a = d2l.synthetic_data(w, 0.0, 4, generator=3)
    b = d2l.synthetic_data(w, 0.0, 4, generator=3)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_synthetic_data_keeps_float64():
    w = torch.tensor([1.0, 2.0], dtype=torch.float64)
    X, y = d2l.synthetic_data(w, 1.0, 3, generator=0)
    assert X.dtype == y.dtype == torch.float64


@pytest.mark.parametrize(
    "w, n, noise, err, match",
    [
        (torch.ones(2, 1), 10, 0.01, ValueError, "1-d tensor"),
        (torch.ones(2), 0, 0.01, ValueError, "num_examples must be >= 1"),
        (torch.ones(2), 2.5, 0.01, TypeError, "num_examples must be an int"),
        (torch.ones(2), 10, -1.0, ValueError, "standard deviation"),
    ],
)
def test_synthetic_data_errors(w, n, noise, err, match):
    with pytest.raises(err, match=match):
        d2l.synthetic_data(w, 0.0, n, noise=noise)


def test_data_iter_covers_every_example_once(generator):
    X = torch.arange(23.0).reshape(-1, 1)
    y = torch.arange(23)
    batches = list(d2l.data_iter(5, X, y, generator=generator))
    assert [len(b[1]) for b in batches] == [5, 5, 5, 5, 3]
    seen = torch.cat([b[1] for b in batches])
    assert sorted(seen.tolist()) == list(range(23))
    assert seen.tolist() != list(range(23))  # shuffled
    for Xb, yb in batches:  # features stay with their labels
        assert torch.equal(Xb.reshape(-1), yb.float())


def test_data_iter_same_generator_same_order():
    X, y = torch.zeros(10, 1), torch.arange(10)
    a = [b[1].tolist() for b in d2l.data_iter(3, X, y, generator=4)]
    b = [b[1].tolist() for b in d2l.data_iter(3, X, y, generator=4)]
    assert a == b


@pytest.mark.parametrize(
    "bs, err",
    [(0, ValueError), (-2, ValueError), (2.0, TypeError), (True, TypeError)],
)
def test_data_iter_rejects_bad_batch_size(bs, err):
    with pytest.raises(err, match="batch_size"):
        d2l.data_iter(bs, torch.zeros(4, 1), torch.zeros(4))  # at the call


def test_data_iter_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="same number of examples"):
        d2l.data_iter(2, torch.zeros(4, 1), torch.zeros(5))  # at the call


def test_array_loader_reshuffles_each_epoch(generator):
    loader = d2l.load_array((torch.arange(100),), 10, generator=generator)
    assert len(loader) == 10
    e1 = torch.cat([b for (b,) in loader]).tolist()
    e2 = torch.cat([b for (b,) in loader]).tolist()
    assert sorted(e1) == sorted(e2) == list(range(100))
    assert e1 != e2


def test_array_loader_matches_dataloader_batches():
    X = torch.randn(50, 3)
    y = torch.arange(50)
    ours = list(d2l.load_array((X, y), 16, is_train=False))
    ref = list(
        torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(X, y), batch_size=16, shuffle=False
        )
    )
    assert len(ours) == len(ref) == 4
    for (a, b), (c, d) in zip(ours, ref):
        assert torch.equal(a, c) and torch.equal(b, d)


def test_load_array_errors():
    with pytest.raises(TypeError, match="tuple of tensors"):
        d2l.load_array(torch.zeros(3), 2)
    with pytest.raises(ValueError, match="batch_size"):
        d2l.load_array((torch.zeros(3),), 0)
    with pytest.raises(ValueError, match="same number of examples"):
        d2l.load_array((torch.zeros(3), torch.zeros(4)), 2)
    with pytest.raises(TypeError, match="torch.as_tensor"):
        d2l.load_array(([1, 2, 3],), 2)
    with pytest.raises(ValueError, match="no examples"):
        d2l.load_array((torch.zeros(0, 2),), 2)
    with pytest.raises(ValueError, match="0-d"):
        d2l.load_array((torch.tensor(1.0),), 2)
    with pytest.raises(ValueError, match="at least one tensor"):
        d2l.load_array((), 2)


def test_load_data_fashion_mnist(system_data, cache_home):
    train_iter, test_iter = d2l.load_data_fashion_mnist(1000, generator=0)
    X, y = next(iter(train_iter))
    assert X.shape == (1000, 1, 28, 28) and X.dtype == torch.float32
    assert y.shape == (1000,) and y.dtype == torch.int64
    assert 0.0 <= X.min() and X.max() <= 1.0 and X.max() > 0.99
    assert len(train_iter) == 60 and len(test_iter) == 10
    Xt, yt = next(iter(test_iter))  # the test set keeps the file order
    Xt2, yt2 = next(iter(test_iter))
    assert torch.equal(yt, yt2)
    with pytest.raises(ValueError, match="batch_size"):
        d2l.load_data_fashion_mnist(0)


@pytest.mark.parametrize(
    "size", [np.int64(4), torch.tensor(4)], ids=["numpy", "tensor"]
)
def test_sizes_may_be_any_integer_type(size):
    """An int of NumPy or torch is an int (sizes often come out of arrays)."""
    X, y = torch.zeros(10, 2), torch.zeros(10)
    loader = d2l.load_array((X, y), size, is_train=False)
    assert [len(yb) for _, yb in loader] == [4, 4, 2]
    assert [len(yb) for _, yb in d2l.data_iter(size, X, y)] == [4, 4, 2]
    assert d2l.synthetic_data(torch.ones(2), 0.0, size)[0].shape == (4, 2)
