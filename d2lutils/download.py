"""Downloads that show progress, give up on a stalled connection and never
leave a partial file behind.

:func:`download` streams a URL into a temporary file next to the target
(:func:`d2lutils.filecache.atomic_writer`), lets the caller check it, and
only then renames it into place. Whatever goes wrong, the temporary file
is removed (if the process is killed, by the next
:func:`~d2lutils.filecache.clean_stale` of that folder).
"""

from __future__ import annotations

import http.client
import os
import socket
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Optional

from .filecache import atomic_writer

__all__ = ["DOWNLOAD_TIMEOUT", "download"]

#: Seconds without a byte after which a download is abandoned.
DOWNLOAD_TIMEOUT = 30.0


def download(
    url: str,
    target: os.PathLike,
    *,
    check: Optional[Callable[[Path], object]] = None,
    timeout: Optional[float] = None,
) -> Path:
    """Download ``url`` to ``target``; keep it only if ``check`` passes.

    ``url`` is ``http(s)://`` or ``file://``; ``target``'s folder must
    exist. ``check`` is called with the complete temporary file's path; if
    it raises, ``target`` is not created. After ``timeout`` seconds without
    data (default :data:`DOWNLOAD_TIMEOUT`), a ``TimeoutError`` names the URL.

    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory(); src = Path(tmp.name) / "a"
    >>> _ = src.write_text("hi")
    >>> download(src.as_uri(), src.with_name("b")).read_text()
    'hi'
    >>> tmp.cleanup()
    """
    from tqdm.auto import tqdm

    timeout = DOWNLOAD_TIMEOUT if timeout is None else timeout
    target = Path(target)
    try:
        with atomic_writer(target) as out:
            with urllib.request.urlopen(url, timeout=timeout) as resp:
                total, got = int(resp.headers.get("Content-Length") or 0), 0
                with tqdm(
                    total=total or None,
                    unit="B",
                    unit_scale=True,
                    desc=f"downloading {target.name}",
                    leave=False,
                ) as bar:
                    while chunk := resp.read1(1 << 16):  # what came
                        out.write(chunk)
                        got += len(chunk)
                        bar.update(len(chunk))
            if total and got != total:
                raise OSError(
                    f"{url}: the transfer broke off after {got} of {total} "
                    "bytes; nothing was kept, try again"
                )
            out.flush()
            if check is not None:
                check(Path(out.name))
    except (socket.timeout, TimeoutError, urllib.error.URLError) as err:
        if not isinstance(err, urllib.error.URLError) or isinstance(
            err.reason, (socket.timeout, TimeoutError)
        ):
            raise TimeoutError(
                f"{url}: no data for {timeout:g} s, the connection stalled; "
                "nothing was kept, try again later"
            ) from err
        raise
    except http.client.HTTPException as err:  # e.g. IncompleteRead
        raise OSError(f"{url}: the transfer broke off ({err!r})") from err
    return target
