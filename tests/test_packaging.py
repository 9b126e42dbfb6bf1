"""The package builds cleanly and carries one version."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

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
    slider draw_graph saved_tensors LiveMemory
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
    """Besides __all__, only the submodules."""
    extra = {
        name
        for name, value in vars(d2lutils).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and name not in d2lutils.__all__
    }
    assert not extra, f"public but not in __all__: {sorted(extra)}"


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
