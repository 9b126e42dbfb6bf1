"""The package builds cleanly and carries one version."""

from __future__ import annotations

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
