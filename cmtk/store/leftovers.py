"""Removing plaintext that a killed `cmtk case edit` left in its private folder.

Kept apart from editing.py so that every command can run it at start without
importing the record and form machinery.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

PREFIX = "cmtk-edit-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_leftovers(base: Path) -> None:
    """Folders left by an edit whose process was killed (kill -9 skips `finally`)."""
    for folder in base.glob(f"{PREFIX}*"):
        parts = folder.name[len(PREFIX) :].split("-", 1)
        if parts and parts[0].isdigit() and not _alive(int(parts[0])) and folder.owner() == _me():
            shutil.rmtree(folder, ignore_errors=True)


def remove_leftovers_everywhere() -> None:
    """At every cmtk start: plaintext left by an edit whose process was killed does not wait for the next edit."""
    for candidate in ("/dev/shm", os.environ.get("XDG_RUNTIME_DIR"), tempfile.gettempdir()):
        if candidate and os.path.isdir(candidate):
            try:
                remove_leftovers(Path(candidate))
            except OSError:
                pass


def _me() -> str:
    import getpass

    return getpass.getuser()
