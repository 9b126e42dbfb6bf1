"""Loading Fashion-MNIST from several processes at once, some killed.

Each child process loads the data into one shared, empty cache and prints
the SHA-256 of the four arrays it got. A child can be told (``PAUSE_AT``)
to stop itself with SIGSTOP once it has written that fraction of its first
``np.save`` (the cache writer's), so that the test decides exactly where
every process is: resume it (SIGCONT) or kill it (SIGKILL) mid-write.
Only the public API is used, so the test also runs against older versions
of the loader (on which it fails: they shared one temporary file).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import d2lutils

pytestmark = pytest.mark.slow

CHILD = """
import hashlib, io, os, signal, warnings
import numpy as np

pause = float(os.environ.get("PAUSE_AT", "0"))
real_save, paused = np.save, []


def save(file, arr, *args, **kwargs):
    if not pause or paused:
        return real_save(file, arr, *args, **kwargs)
    paused.append(True)
    buf = io.BytesIO()
    real_save(buf, arr, *args, **kwargs)
    data = buf.getvalue()
    cut = int(len(data) * pause)
    file.write(data[:cut])
    file.flush()
    os.kill(os.getpid(), signal.SIGSTOP)  # the test resumes or kills us
    file.write(data[cut:])


np.save = save
warnings.simplefilter("always")
import d2lutils as d2l

for t in d2l.load_fashion_mnist():
    print(hashlib.sha256(t.numpy().tobytes()).hexdigest())
"""


def _expected(system_data: Path) -> list[str]:
    """SHA-256 of the arrays, computed from the source files directly."""
    out = []
    for name in ("train-images", "train-labels", "t10k-images", "t10k-labels"):
        kind = "idx3" if "images" in name else "idx1"
        with gzip.open(system_data / f"{name}-{kind}-ubyte.gz") as f:
            raw = f.read()
        data = np.frombuffer(raw, np.uint8, offset=16 if kind == "idx3" else 8)
        if kind == "idx1":
            data = data.astype(np.int64)
        out.append(hashlib.sha256(data.tobytes()).hexdigest())
    return out


class Loader:
    """One child process loading Fashion-MNIST."""

    def __init__(self, env: dict, pause: float = 0.0) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD],
            env=dict(env, PAUSE_AT=str(pause)),
            cwd=env["HOME"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait_stopped(self) -> None:
        _, status = os.waitpid(self.proc.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(status), (
            "the child ended before pausing in its cache write: "
            + self.proc.stderr.read()
        )

    def resume(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def result(self) -> tuple[list[str], str]:
        out, err = self.proc.communicate(timeout=600)
        assert self.proc.returncode == 0, err
        return out.split(), err


def test_concurrent_and_killed_writers_never_corrupt_the_cache(
    system_data, tmp_path
):
    cache = tmp_path / "cache"
    env = dict(
        os.environ,
        HOME=str(tmp_path),
        XDG_CACHE_HOME=str(cache),
        PYTHONPATH=str(Path(d2lutils.__file__).parents[1]),
    )
    env.pop("D2LUTILS_DATA_DIR", None)
    expected = _expected(system_data)

    slow = Loader(env, pause=0.75)  # stops with 3/4 of its file written
    slow.wait_stopped()
    victim = Loader(env, pause=0.25)  # starts writing the same array
    victim.wait_stopped()
    slow.resume()  # finishes and renames its file, writes the stamp
    got, err = slow.result()
    assert got == expected, "the writer that finished got wrong data"
    assert "Warning" not in err, err
    racers = [Loader(env), Loader(env)]  # while the victim is still stopped
    for racer in racers:
        got, err = racer.result()
        assert got == expected, "a load during the race got wrong data"
        assert "Warning" not in err, f"warned while writers raced: {err}"
    victim.kill()  # SIGKILL in the middle of its write

    got, err = Loader(env).result()
    assert got == expected, "the load after the kill got wrong data"
    assert "Warning" not in err, err
    left = [p for p in cache.rglob("*") if ".part" in p.name]
    assert left == [], f"temporary files of the killed writer remain: {left}"
