"""d2lutils.download: progress, a stall timeout, no partial file left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import d2lutils
from d2lutils import download as dl
from d2lutils.filecache import clean_stale

DATA = bytes(range(256)) * 400  # 100 KiB


def _left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_download_shows_progress_and_renames(tmp_path, http_files, capfd):
    http_files.files["x.gz"] = DATA
    out = dl.download(http_files.url + "x.gz", tmp_path / "x.gz")
    assert out == tmp_path / "x.gz" and out.read_bytes() == DATA
    assert "downloading x.gz" in capfd.readouterr().err  # tqdm's bar
    assert _left(tmp_path) == ["x.gz"]


def test_stalled_connection_times_out(tmp_path, http_files, monkeypatch):
    http_files.files["x.gz"] = DATA
    monkeypatch.setattr(dl, "DOWNLOAD_TIMEOUT", 0.5)
    url = http_files.url + "stall/x.gz"
    start = time.perf_counter()
    with pytest.raises(TimeoutError, match=r"stall/x.gz: no data for 0.5 s"):
        dl.download(url, tmp_path / "x.gz")
    assert time.perf_counter() - start < 20
    assert _left(tmp_path) == []


def test_broken_transfer_leaves_nothing(tmp_path, http_files):
    http_files.files["x.gz"] = DATA
    with pytest.raises(OSError, match="short/x.gz: the transfer broke off"):
        dl.download(http_files.url + "short/x.gz", tmp_path / "x.gz")
    assert _left(tmp_path) == []


def test_rejected_download_is_not_kept(tmp_path, http_files):
    http_files.files["x.gz"] = DATA

    def check(path):
        assert path.parent == tmp_path and path.read_bytes() == DATA
        raise ValueError("not the real thing")

    with pytest.raises(ValueError, match="not the real thing"):
        dl.download(http_files.url + "x.gz", tmp_path / "x.gz", check=check)
    assert _left(tmp_path) == []


def test_missing_url_raises_and_leaves_nothing(tmp_path, http_files):
    with pytest.raises(OSError, match="404"):
        dl.download(http_files.url + "nothing.gz", tmp_path / "n.gz")
    assert _left(tmp_path) == []


def test_killed_download_is_cleaned_up_afterwards(tmp_path, http_files):
    http_files.files["x.gz"] = DATA
    code = (
        "import sys; from d2lutils.download import download; "
        "download(sys.argv[1], sys.argv[2], timeout=60)"
    )
    env = dict(os.environ, PYTHONPATH=str(Path(d2lutils.__file__).parents[1]))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            http_files.url + "stall/x.gz",
            str(tmp_path / "x.gz"),
        ],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert http_files.stalled.wait(120), "the download never started"
        time.sleep(0.5)  # the first kilobyte is on its way to the file
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    left = list(tmp_path.glob("*.part"))
    assert len(left) == 1, "the killed download left no temporary file"
    assert clean_stale(tmp_path) == left  # its writer is dead: removed
    assert _left(tmp_path) == []
