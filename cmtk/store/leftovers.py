"""Removing plaintext that a killed `cmtk case edit` left in its private folder.

Each edit folder holds a lock file that its `cmtk case edit` keeps locked while
it runs; the operating system lets go of it when that process ends, however it
ends. A folder whose lock can be taken is a leftover. (Asking whether a process
id is alive, with os.kill(pid, 0), is no test at all on Windows: there that
call ends the process.)

Kept apart from editing.py so that every command can run it at start without
importing the record and form machinery.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

from cmtk import system

PREFIX = "cmtk-edit-"
ALIVE = ".alive"  # the lock file inside each edit folder
YOUNG_SECONDS = 120  # a folder without its lock file yet may be an edit starting this moment


def hold(folder: Path):
    """Lock an edit folder's liveness file for as long as the returned lock is held."""
    lock = system.lock_file(folder / ALIVE)
    lock.acquire(timeout=0)
    return lock


def is_abandoned(folder: Path) -> bool:
    """True when no running cmtk holds the folder's lock (its edit was killed), or an edit folder
    without a lock file (made by an older cmtk) has been there a while."""
    marker = folder / ALIVE
    if not marker.exists():
        try:
            return time.time() - folder.stat().st_mtime > YOUNG_SECONDS
        except OSError:
            return False
    import filelock  # only when an edit folder exists

    lock = system.lock_file(marker)
    try:
        lock.acquire(timeout=0)
    except (filelock.Timeout, OSError):
        return False
    lock.release()  # Windows cannot delete a file this process holds open
    return True


def remove_leftovers(base: Path) -> None:
    """Folders left by an edit whose process was killed (kill -9 or a closed window skip `finally`)."""
    for folder in base.glob(f"{PREFIX}*"):
        if folder.is_dir() and _mine(folder) and is_abandoned(folder):
            remove(folder)


def remove(folder: Path) -> bool:
    """Delete an edit folder (retrying while an antivirus scanner holds a file); if it cannot be
    deleted, say so naming it: it holds a decrypted form."""
    if system.remove_tree(folder):
        return True
    print(
        f"Warning: {folder} holds a decrypted form and could not be deleted (another program has a file in it "
        "open); delete that folder yourself, or run any cmtk command later to try again",
        file=sys.stderr,
    )
    return False


def remove_leftovers_everywhere() -> None:
    """At every cmtk start: plaintext left by an edit whose process was killed does not wait for the next edit."""
    for candidate in system.private_temp_folders():
        with contextlib.suppress(OSError):
            remove_leftovers(candidate)


def _mine(folder: Path) -> bool:
    """On Linux and macOS a shared folder such as /dev/shm holds other users' edits too. Windows' and
    macOS's temporary folders are per user (and Windows cannot name a file's owner simply)."""
    if system.windows():
        return True
    try:
        return folder.stat().st_uid == os.getuid()
    except (OSError, AttributeError):
        return False
