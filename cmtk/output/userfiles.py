"""Files a user asks cmtk to write: printed forms, report pages, shares and exports.

They are the only plaintext cmtk writes on request (and shares, the only
ciphertext meant for someone outside the team). Each is owner-only (0600),
never written through a symbolic link, and never inside the store folder,
where a single `git add` would put it into the history and every copy.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from cmtk.errors import CmtkError


def refuse_inside_store(path: Path, store_root: Path | None, option: str) -> Path:
    """The absolute path to write; an error when it falls inside the store folder."""
    target = Path(os.path.expanduser(str(path)))
    folder = target.parent.resolve()
    if store_root is not None:
        root = Path(store_root).resolve()
        if folder == root or folder.is_relative_to(root):
            raise CmtkError(
                f"{option}: {path} is inside the store folder {root}; write it outside the store, "
                f"e.g. {option} {Path.home() / target.name}"
            )
    return folder / target.name


def check_new(path: Path, store_root: Path | None, option: str) -> Path:
    """Refuse an existing file or link, a folder that does not exist, and a place inside the store."""
    given = Path(os.path.expanduser(str(path)))
    if given.exists() or given.is_symlink():
        raise CmtkError(f"{option}: {path} already exists; cmtk never overwrites a file: choose another name")
    if not given.parent.resolve().is_dir():
        raise CmtkError(f"{option}: {given.parent} is not a folder; create it first or choose another place")
    return refuse_inside_store(given, store_root, option)


def write_new(path: Path, data: bytes, store_root: Path | None, option: str) -> Path:
    """Create the file (never replacing one): for shares and exports that leave the building."""
    target = check_new(path, store_root, option)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:
        raise CmtkError(f"{option}: {path} already exists; cmtk never overwrites a file: choose another name") from None
    except OSError as error:
        raise CmtkError(f"{option}: {path}: cannot create it ({error.strerror})") from None
    _fill(fd, target, data, path, option, remove_on_error=True)
    return target


def write_replacing(path: Path, data: bytes, store_root: Path | None = None, option: str = "--output") -> Path:
    """Write the file, replacing an older one of the same name (a report or printout made again)."""
    target = refuse_inside_store(path, store_root, option)
    if target.is_symlink():
        raise CmtkError(f"{path}: is a symbolic link; write the file somewhere else")
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError as error:
        raise CmtkError(f"{path}: cannot write ({error.strerror})") from None
    _fill(fd, target, data, path, option, remove_on_error=False)
    return target


def _fill(fd: int, target: Path, data: bytes, shown: Path, option: str, *, remove_on_error: bool) -> None:
    try:
        os.fchmod(fd, 0o600)  # an older file of the same name may have had looser permissions
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as error:
        if remove_on_error:
            target.unlink(missing_ok=True)
        if error.errno == errno.ENOSPC:
            raise CmtkError(f"{option}: the disk is full; {shown} was not written") from None
        raise CmtkError(f"{option}: {shown}: cannot write it ({error.strerror})") from None
