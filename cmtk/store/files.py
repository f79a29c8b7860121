"""Writing files so that a crash leaves either the old content or the new, never half of either."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from pathlib import Path

from cmtk import system
from cmtk.errors import CmtkError, RecordError
from cmtk.store import yamlio

TEMP_PREFIX = ".tmp-"
SETTINGS = ".cmtk/settings.yaml"


def write_temp(folder: Path, data: bytes) -> Path:
    fd, name = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
        if error.errno == errno.ENOSPC:
            raise CmtkError("the disk is full; free some space and try again (nothing was changed)") from None
        raise
    return Path(name)


def write_atomic(path: Path, data: bytes) -> None:
    temp = write_temp(path.parent, data)
    try:
        system.replace(temp, path)  # retried while an antivirus scanner holds the file
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def read_settings(root: Path) -> dict:
    """settings.yaml, through a JSON copy in .git/cmtk/ while the file is unchanged (it holds no
    personal data), so that commands that need nothing else from YAML skip loading the YAML library."""
    path = root / SETTINGS
    stat = path.stat()
    stamp = [stat.st_mtime_ns, stat.st_size]
    cache = root / ".git" / "cmtk" / "settings.json"
    try:
        cached = json.loads(cache.read_text("utf-8"))
        if cached.get("stamp") == stamp:
            return cached["settings"]
    except (OSError, ValueError, AttributeError):
        pass
    data = yamlio.loads(path.read_text("utf-8"), SETTINGS)
    if not isinstance(data, dict):
        raise RecordError(f"{SETTINGS}: not a mapping of settings")
    try:
        cache.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(cache, json.dumps({"stamp": stamp, "settings": data}, default=str).encode("utf-8"))
    except OSError:
        pass
    return data
