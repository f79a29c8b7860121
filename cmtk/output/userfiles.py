"""Files a user asks cmtk to write: printed forms, report pages, shares and exports.

They are the only plaintext cmtk writes on request (and shares, the only
ciphertext meant for someone outside the team). Each is owner-only (0600 on
Linux and macOS, an access list naming the user alone on Windows, or a warning
that it could not be made so), never written through a symbolic link, and never
inside the store folder, where a single `git add` would put it into the
history and every copy.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

from cmtk import system
from cmtk.errors import CmtkError
from cmtk.store import paths

# O_BINARY: Windows opens descriptors in text mode otherwise and would turn every \n of a PDF or a share into \r\n.
_CREATE = os.O_WRONLY | os.O_CREAT


def _flags(*extra: int) -> int:
    return _CREATE | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0) | sum(extra)


def refuse_inside_store(path: Path, store_root: Path | None, option: str) -> Path:
    """The absolute path to write; an error when it falls inside the store folder."""
    target = paths.expand(path)
    folder = target.parent.resolve()
    if store_root is not None:
        root = Path(store_root).resolve()
        if paths.is_inside(folder, root):
            raise CmtkError.of(
                "output-inside-store", option=option, path=path, root=root, home=Path.home() / target.name
            )
    return folder / target.name


def check_new(path: Path, store_root: Path | None, option: str) -> Path:
    """Refuse an existing file or link, a folder that does not exist, and a place inside the store."""
    given = paths.expand(path)
    if given.exists() or given.is_symlink():
        raise CmtkError.of("output-exists", option=option, path=path)
    if not given.parent.resolve().is_dir():
        raise CmtkError.of("output-folder-missing", option=option, parent=given.parent)
    return refuse_inside_store(given, store_root, option)


def write_new(path: Path, data: bytes, store_root: Path | None, option: str) -> Path:
    """Create the file (never replacing one): for shares and exports that leave the building."""
    target = check_new(path, store_root, option)
    try:
        fd = os.open(target, _flags(os.O_EXCL), 0o600)
    except FileExistsError:
        raise CmtkError.of("output-exists", option=option, path=path) from None
    except OSError as error:
        raise CmtkError.of("output-create-failed", option=option, path=path, strerror=error.strerror) from None
    _fill(fd, target, data, path, option, remove_on_error=True)
    return target


def write_replacing(path: Path, data: bytes, store_root: Path | None = None, option: str = "--output") -> Path:
    """Write the file, replacing an older one of the same name (a report or printout made again)."""
    target = refuse_inside_store(path, store_root, option)
    if target.is_symlink():
        raise CmtkError.of("output-is-link", path=path)
    try:
        fd = os.open(target, _flags(os.O_TRUNC), 0o600)
    except OSError as error:
        raise CmtkError.of("output-open-failed", path=path, strerror=error.strerror) from None
    _fill(fd, target, data, path, option, remove_on_error=False)
    return target


def _fill(fd: int, target: Path, data: bytes, shown: Path, option: str, *, remove_on_error: bool) -> None:
    try:
        if not system.windows() and hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # an older file of the same name may have had looser permissions
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as error:
        if remove_on_error:
            target.unlink(missing_ok=True)
        if error.errno == errno.ENOSPC:
            raise CmtkError.of("output-disk-full", option=option, shown=shown) from None
        raise CmtkError.of("output-write-failed", option=option, shown=shown, strerror=error.strerror) from None
    if system.windows():
        _private_on_windows(target, shown)


def _private_on_windows(target: Path, shown: Path) -> None:
    """Windows ignores 0600: the file gets an access list naming its owner alone, or the user is told it has not."""
    if not system.make_private(target):
        print(
            f"Warning: {shown}: Windows would not make this file private to you (icacls failed), so other "
            "accounts on this computer may be able to read it; keep it in your own folders and delete it when done",
            file=sys.stderr,
        )
