"""The one place that writes files atomically.

Every file Sketchpad writes (exports, models, checkpoints, datasets, settings
and sessions) goes through here: a hidden temporary file in the destination's
folder, flushed and fsynced, then renamed over the destination. A failure at
any point (disk full, a crash, Ctrl+C) leaves the destination as it was and
no temporary file behind. Errors are raised as the OSError that occurred.
"""

from __future__ import annotations

import errno
import os
import secrets
from pathlib import Path
from typing import BinaryIO, Callable


def atomic_write(path, write: Callable[[BinaryIO], None]) -> Path:
    """Call ``write(file)`` on a temporary file, then move it to ``path``."""
    path = Path(path)
    folder = path.parent
    temp = None
    try:
        # O_EXCL with a random name rather than tempfile.mkstemp, whose mode
        # 0600 would ignore the user's umask on the final file.
        for _ in range(100):
            candidate = folder / f".{path.name}.{secrets.token_hex(4)}.part"
            try:
                fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                             | getattr(os, "O_BINARY", 0), 0o666)
            except FileExistsError:
                continue
            temp = candidate
            break
        else:
            raise FileExistsError(errno.EEXIST, "could not create a temporary file", str(folder))
        with os.fdopen(fd, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
        temp = None
    finally:
        if temp is not None:
            try:
                os.unlink(temp)
            except OSError:
                pass
    _fsync_folder(folder)
    return path


def atomic_write_bytes(path, data: bytes) -> Path:
    return atomic_write(path, lambda out: out.write(data))


def atomic_write_text(path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable; best effort (not possible everywhere)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
