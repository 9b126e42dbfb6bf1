"""The package builds cleanly and carries one version."""

from __future__ import annotations

import inspect
import math
import re
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest
import torch
from torch import nn

import d2lutils

ROOT = Path(__file__).resolve().parents[1]


def test_one_version():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (declared,) = re.findall(r'^version = "([^"]+)"', text, re.M)
    assert d2lutils.__version__ == version("d2lutils") == declared
    for path in (ROOT / "d2lutils").rglob("*.py"):
        assert declared not in path.read_text(encoding="utf-8"), (
            f"{path.name} repeats the version: read it with "
            "importlib.metadata.version('d2lutils')"
        )


@pytest.mark.slow
def test_wheel_builds_without_warnings(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Warning" not in out.stdout + out.stderr, out.stderr[-3000:]
    (wheel,) = tmp_path.glob("d2lutils-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    modules = {p.name for p in (ROOT / "d2lutils").glob("*.py")}
    packed = {Path(n).name for n in names if n.count("/") == 1}
    assert modules <= packed, f"missing from the wheel: {modules - packed}"


# -- d2l.* is what the notebooks and their readers use -----------------------

# grouped by what they are for; the README's table says who uses each
PUBLIC = set(
    """
    set_seed synthetic_data data_iter load_array ArrayLoader
    load_data_fashion_mnist load_fashion_mnist find_fashion_mnist
    get_fashion_mnist_labels FASHION_MNIST_CLASSES FASHION_MNIST_CLASSES_ZH
    linreg squared_loss sgd SGDUpdater accuracy Accumulator
    train train_ch3 train_epoch_ch3 evaluate evaluate_accuracy History
    Callback LRSchedule cosine_schedule EarlyStopping LayerStats Record Animate
    Twin train_twins k_fold polynomial_features grad_check GradReport
    relative_error
    init_linear he_normal_ xavier_normal_ he_uniform_ xavier_uniform_
    plot plot_history show_images predict_ch3 draw_network use_book_style
    slider
    """.split()
)
INTERNAL = [
    "check_int",
    "normalize_generator",
    "TrainState",
    "SliderRecord",
    "set_lr",
    "Animator",
    "try_gpu",
]


def test_d2l_exports_exactly_the_public_names():
    assert set(d2lutils.__all__) == PUBLIC
    assert len(d2lutils.__all__) == len(PUBLIC), "a name listed twice"


@pytest.mark.parametrize("name", INTERNAL)
def test_internal_names_stay_out_of_all(name):
    assert name not in d2lutils.__all__


def test_nothing_else_is_public():
    """Besides __all__, only the submodules and the block of old names."""
    old = set(getattr(d2lutils, "_OLD_NAMES", ()))
    extra = {
        name
        for name, value in vars(d2lutils).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and name not in d2lutils.__all__
    }
    assert extra <= old, f"public but not in __all__: {sorted(extra - old)}"


def test_no_module_is_named_like_a_public_name():
    """``d2lutils/plot.py`` beside ``d2l.plot``: whoever imports the module
    by its path (pytest's doctests do) makes ``d2lutils.plot`` the module."""
    modules = {p.stem for p in (ROOT / "d2lutils").glob("*.py")}
    modules |= {p.name for p in (ROOT / "d2lutils").iterdir() if p.is_dir()}
    assert not modules & set(d2lutils.__all__)


def test_readme_lists_every_public_name():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[
        readme.index("| `d2l.") : readme.index("\n\n", readme.index("| `d2l."))
    ]
    listed = re.findall(r"^\| `d2l\.(\w+)`", table, re.M)
    assert sorted(listed) == sorted(PUBLIC)


# -- the old names give what the new code gives ------------------------------
# Each test takes one call pattern of today's notebooks, writes out what the
# old code did (from d2lutils before the old names moved into the block) and
# checks that the old name and the new code both give exactly that.


def _net():
    return nn.Sequential(
        nn.Linear(30, 20), nn.ReLU(), nn.Linear(20, 20), nn.Linear(20, 5)
    )


def _old_fill(std_of, seed):
    """The old factories: one generator, layer after layer, bias zero."""
    g = torch.Generator().manual_seed(seed)
    net = _net()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.Linear):
                m.weight.normal_(0.0, std_of(*m.weight.shape), generator=g)
                m.bias.zero_()
    return net


def _applied(init):
    return _net().apply(init)


@pytest.mark.parametrize(
    "old, new, std_of",
    [
        (
            lambda: d2lutils.he_normal(generator=3),
            lambda: d2lutils.init_linear(d2lutils.he_normal_, generator=3),
            lambda fan_out, fan_in: math.sqrt(2.0) / math.sqrt(fan_in),
        ),
        (
            lambda: d2lutils.xavier_normal(generator=3),
            lambda: d2lutils.init_linear(d2lutils.xavier_normal_, generator=3),
            lambda fan_out, fan_in: math.sqrt(2.0 / (fan_in + fan_out)),
        ),
        (
            lambda: d2lutils.init_normal(0.01, generator=3),
            lambda: d2lutils.init_linear(
                nn.init.normal_, std=0.01, generator=3
            ),
            lambda fan_out, fan_in: 0.01,
        ),
    ],
    ids=["he_normal", "xavier_normal", "init_normal"],
)
def test_old_initializers_and_init_linear_draw_the_same(old, new, std_of):
    expected = _old_fill(std_of, 3)
    for net in (_applied(old()), _applied(new())):
        for p, q in zip(net.parameters(), expected.parameters()):
            assert torch.equal(p, q)


def test_init_constant_and_init_linear_constant_agree():
    for value in (0.0, 0.01):
        old = _applied(d2lutils.init_constant(value))
        new = _applied(d2lutils.init_linear(nn.init.constant_, val=value))
        for m, n in zip(old.modules(), new.modules()):
            if isinstance(m, nn.Linear):
                assert torch.all(m.weight == value) and torch.all(m.bias == 0)
                assert torch.equal(m.weight, n.weight)
                assert torch.equal(m.bias, n.bias)


@pytest.mark.parametrize("seed", [0, 7, 2024])
def test_normalize_generator_is_a_seeded_generator(seed):
    old = torch.randn(5, generator=d2lutils.normalize_generator(seed))
    new = torch.randn(5, generator=torch.Generator().manual_seed(seed))
    assert torch.equal(old, new)


def test_autograd_grads_is_torch_autograd_grad():
    g = torch.Generator().manual_seed(0)
    params = [torch.randn(3, 2, generator=g, dtype=torch.float64)] * 2

    def J(ps):
        return torch.log10(torch.sigmoid(ps[0] @ ps[1].T)).mean()

    old = d2lutils.autograd_grads(J, params)
    ps = [p.detach().requires_grad_() for p in params]
    new = torch.autograd.grad(J(ps), ps)
    assert all(torch.equal(a, b) for a, b in zip(old, new))


@pytest.mark.parametrize("scratch", [False, True])
def test_train_in_the_old_and_the_new_order(scratch):
    runs = []
    for old_order in (True, False):
        torch.manual_seed(0)
        net = nn.Linear(3, 1)
        X = torch.randn(40, 3)
        data = d2lutils.load_array((X, X.sum(1, keepdim=True)), 8, generator=1)
        updater = (
            d2lutils.SGDUpdater(net.parameters(), 0.1)
            if scratch
            else torch.optim.SGD(net.parameters(), 0.1)
        )
        args = (updater, 3) if old_order else (3, updater)
        h = d2lutils.train(net, data, nn.MSELoss(), *args)
        runs.append((h.steps["loss"], [p.detach() for p in net.parameters()]))
    (loss_old, params_old), (loss_new, params_new) = runs
    assert loss_old == loss_new and len(loss_new) == 15
    assert all(torch.equal(p, q) for p, q in zip(params_old, params_new))


def test_old_timer_still_runs():
    timer = d2lutils.Timer()
    assert timer.stop() >= 0 and len(timer.times) == 1
