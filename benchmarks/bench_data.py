"""Time Fashion-MNIST loading and one epoch of softmax regression.

Run with ``make bench``. Prints, in one run:

* the cold load (decoding the four IDX files, in an empty cache folder) and
  the warm load (decoded ``.npy`` cache, every array checked against its
  recorded size and checksum) of :func:`d2lutils.load_fashion_mnist`; the
  warm load must stay within ``WARM_BUDGET`` (0.3 s), else the run exits
  with status 1 (this replaces the old wall-clock unit test);
* the time per epoch of softmax regression (batch 256, SGD lr 0.1) fed by
  :func:`d2lutils.load_data_fashion_mnist` (slices of in-memory tensors) and
  by ``DataLoader(TensorDataset(...))`` over the very same tensors, in the
  same order, from the same initial weights; the test accuracy each
  reaches; the time of a pass that only reads the batches; and the ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

import torch
from torch import nn
from torch.utils.data import DataLoader, Sampler, TensorDataset

import d2lutils as d2l

#: Seconds a warm load of Fashion-MNIST may take (best of five).
WARM_BUDGET = 0.3


def time_loads() -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        old = os.environ.get("XDG_CACHE_HOME")
        os.environ["XDG_CACHE_HOME"] = tmp
        try:
            t0 = time.perf_counter()
            d2l.load_fashion_mnist()
            cold = time.perf_counter() - t0
            warm = min(_timed(d2l.load_fashion_mnist) for _ in range(5))
        finally:
            if old is None:
                del os.environ["XDG_CACHE_HOME"]
            else:
                os.environ["XDG_CACHE_HOME"] = old
    return cold, warm


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


class SamePermutations(Sampler):
    """Yield the per-epoch permutations ArrayLoader draws from the same seed.

    Both readers then see identical minibatches, so any difference in the
    result would come from the reader itself, not from the batch order.
    """

    def __init__(self, n: int, seed: int) -> None:
        self.n = n
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return self.n

    def __iter__(self):
        return iter(torch.randperm(self.n, generator=self.generator).tolist())


def make_net(init_state):
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    net.load_state_dict(init_state)
    return net, torch.optim.SGD(net.parameters(), lr=0.1)


def read_only(loader) -> float:
    """Seconds for one pass over ``loader`` doing nothing with the batches."""
    t0 = time.perf_counter()
    for _ in loader:
        pass
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=7)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")

    cold, warm = time_loads()
    verdict = "ok" if warm <= WARM_BUDGET else "OVER BUDGET"
    print(
        f"load_fashion_mnist: cold {cold:.3f} s, warm {warm:.3f} s "
        f"(budget {WARM_BUDGET} s: {verdict})"
    )

    d2l.set_seed(0)
    init = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    nn.init.normal_(init[1].weight, std=0.01)
    nn.init.zeros_(init[1].bias)
    state = {k: v.clone() for k, v in init.state_dict().items()}

    train_iter, test_iter = d2l.load_data_fashion_mnist(256, generator=0)
    X_train, y_train = train_iter.tensors
    dl_train = DataLoader(
        TensorDataset(X_train, y_train),
        batch_size=256,
        sampler=SamePermutations(len(y_train), seed=0),
    )
    readers = {
        "load_data_fashion_mnist": train_iter,
        "DataLoader(TensorDataset(...))": dl_train,
    }
    nets = {name: make_net(state) for name in readers}
    loss = nn.CrossEntropyLoss(reduction="none")
    times = {name: [] for name in readers}
    # Alternate the two readers epoch by epoch so that drifts in machine
    # speed affect both alike; report the median epoch.
    for _ in range(args.epochs):
        for name, loader in readers.items():
            net, opt = nets[name]
            t0 = time.perf_counter()
            d2l.train_epoch_ch3(net, loader, loss, opt)
            times[name].append(time.perf_counter() - t0)
    reads = {
        name: statistics.median(read_only(r) for _ in range(3))
        for name, r in readers.items()
    }

    print(f"softmax regression, batch 256, median of {args.epochs} epochs:")
    med = {}
    for name in readers:
        med[name] = statistics.median(times[name])
        acc = d2l.evaluate_accuracy(nets[name][0], test_iter)
        print(
            f"  {name:31s} {med[name]:.3f} s/epoch "
            f"(reading alone {reads[name]:.3f} s), test acc {acc:.4f}"
        )
    fast, slow = med.values()
    read_fast, read_slow = reads.values()
    print(
        f"  ratio: {slow / fast:.1f}x faster per epoch, "
        f"{read_slow / read_fast:.1f}x faster reading"
    )
    if warm > WARM_BUDGET:
        sys.exit(
            f"warm load took {warm:.3f} s, over the {WARM_BUDGET} s budget"
        )


if __name__ == "__main__":
    main()
