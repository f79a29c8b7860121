"""What differs between Linux, macOS and Windows, decided in one place.

Every check reads `sys.platform` when it is called (never `os.name`, never
once at import), so that the test suite's "windows" and "macos" modes
(tests/simulated_os.py) can stand in for those systems on a Linux machine.
"""

from __future__ import annotations

import contextlib
import functools
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from cmtk.errors import CmtkError

T = TypeVar("T")


def windows() -> bool:
    return sys.platform == "win32"


def macos() -> bool:
    return sys.platform == "darwin"


def linux() -> bool:
    return sys.platform.startswith("linux")


def kill_this_process() -> None:
    """End this process at once, as a power cut would: nothing flushed, no handler run (fault tests).
    SIGKILL on Linux and macOS; on Windows os.kill with any signal is TerminateProcess."""
    import signal

    os.kill(os.getpid(), signal.SIGTERM if windows() else signal.SIGKILL)


def disk_encryption() -> str:
    """What the user should have switched on to protect what touches the disk."""
    if windows():
        return "BitLocker (or Device Encryption)"
    if macos():
        return "FileVault"
    return "full-disk encryption"


# -- programs ---------------------------------------------------------------------------------


def find_program(name: str) -> str | None:
    """The full path of a program on PATH, never one in the current folder.

    Windows looks in the current folder before PATH when a program is started by
    its bare name (and Python's shutil.which does the same there): the current
    folder is often the store, and a store copied from elsewhere could carry a
    `git.exe`. Only absolute PATH entries are searched, with PATHEXT on Windows.
    """
    if os.path.dirname(name):
        return name if os.path.isfile(name) else None
    if windows():
        extensions = [e for e in os.environ.get("PATHEXT", ".COM;.EXE;.BAT;.CMD").split(";") if e]
        has_extension = any(name.lower().endswith(e.lower()) for e in extensions)
        candidates = [name] if has_extension else [name + e.lower() for e in extensions]
    else:
        candidates = [name]
    for entry in os.environ.get("PATH", os.defpath).split(os.pathsep):
        entry = entry.strip().strip('"')
        if not entry or not os.path.isabs(entry):  # "", "." or relative: the current folder
            continue
        for candidate in candidates:
            full = os.path.join(entry, candidate)
            if os.path.isfile(full) and os.access(full, os.X_OK):
                return full
    return None


@functools.cache
def git_program() -> str:
    """git's full path, found once per command and used for every git call."""
    found = find_program("git")
    if found is None:
        if windows():
            hint = "install Git for Windows (it puts git on PATH) and open a new PowerShell window"
        elif macos():
            hint = "run `xcode-select --install` (or `brew install git`)"
        else:
            hint = "install it with your package manager (Debian/Ubuntu: apt-get install git)"
        raise CmtkError.of("git-missing", hint=hint)
    return found


def split_command(text: str) -> list[str]:
    """An EDITOR/VISUAL value as a program and its arguments.

    On Windows backslashes are path separators, not escapes, and paths are quoted with double quotes:
    `"C:\\Program Files\\Notepad++\\notepad++.exe" -multiInst`.
    """
    import shlex

    if not windows():
        return shlex.split(text)
    parts = shlex.split(text, posix=False)
    return [p[1:-1] if len(p) >= 2 and p[0] == p[-1] == '"' else p for p in parts]


def default_editor() -> str:
    return "notepad" if windows() else "nano"


# -- privacy of files and folders ------------------------------------------------------------


def make_private(path: Path) -> bool:
    """Make a file or folder readable by its owner only; False when that could not be done.

    POSIX (Linux, macOS): mode 0600 / 0700. Windows: permission bits mean nothing
    there, so an access list granting the current user alone, set with Windows'
    own icacls (inherited entries removed).
    """
    if not windows():
        os.chmod(path, 0o700 if os.path.isdir(path) else 0o600)
        return True
    icacls = os.path.join(os.environ.get("SystemRoot") or r"C:\Windows", "System32", "icacls.exe")
    user = os.environ.get("USERNAME")
    if not user or not os.path.isfile(icacls):
        return False
    domain = os.environ.get("USERDOMAIN")
    account = f"{domain}\\{user}" if domain else user
    try:
        result = subprocess.run(
            [icacls, str(path), "/inheritance:r", "/grant:r", f"{account}:(F)"],
            capture_output=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0


# -- a private folder to decrypt into while editing -----------------------------------------------


def memory_folder() -> Path | None:
    """A folder in memory, never written to the disk: Linux's /dev/shm (or the user's runtime folder).

    macOS and Windows have none that an ordinary program can use.
    """
    if not linux():
        return None
    for candidate in ("/dev/shm", os.environ.get("XDG_RUNTIME_DIR")):
        if candidate and os.path.isdir(candidate) and os.access(candidate, os.W_OK):
            return Path(candidate)
    return None


def private_temp_folders() -> list[Path]:
    """Where an edit folder may be: the memory folders, then the user's temporary folder
    (per-user and private on macOS and Windows)."""
    import tempfile

    found = []
    if linux():
        found += [Path(c) for c in ("/dev/shm", os.environ.get("XDG_RUNTIME_DIR")) if c and os.path.isdir(c)]
    found.append(Path(tempfile.gettempdir()))
    return found


def editor_signals() -> list[int]:
    """The signals that end a waiting `case edit`: SIGTERM everywhere, SIGHUP (terminal closed) on POSIX,
    SIGBREAK (Ctrl+Break, console closed) on Windows."""
    import signal

    return [getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGBREAK") if hasattr(signal, name)]


# -- the store lock ---------------------------------------------------------------------------


def lock_file(path: Path):
    """An operating-system lock on `path` (released when the process ends, even killed):
    fcntl's flock on Linux and macOS, LockFileEx on Windows, through filelock."""
    import filelock  # imported by commands that write or edit only

    kind = filelock.WindowsFileLock if windows() else filelock.UnixFileLock
    return kind(str(path), mode=0o600)


# -- files that antivirus or an indexer may hold open ----------------------------------------------

RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6)  # about 3 s in all


def retrying(action: Callable[[], T], delays: tuple[float, ...] = RETRY_DELAYS) -> T:
    """Run `action`, again after a pause when the system says a file is in use.

    On Windows an antivirus scanner, the search indexer or a backup program
    opens a new file for a moment: renaming or deleting it then fails with
    "access denied" or "in use" until they let go.
    """
    for delay in delays:
        try:
            return action()
        except PermissionError:
            time.sleep(delay)
    return action()


def replace(source: Path | str, target: Path | str) -> None:
    """os.replace, retried while another program holds either file."""
    retrying(lambda: os.replace(source, target))


def remove_tree(folder: Path) -> bool:
    """Delete a folder and everything in it, retrying while files are held; False if it is still there."""
    import shutil

    def attempt() -> None:
        shutil.rmtree(folder, ignore_errors=True)
        if folder.exists():
            raise PermissionError(folder)

    with contextlib.suppress(PermissionError):
        retrying(attempt)
    return not folder.exists()


@contextlib.contextmanager
def handled_signals(handler, numbers: list[int]) -> Iterator[None]:
    import signal

    previous = {}
    for number in numbers:
        with contextlib.suppress(ValueError, OSError):  # not in the main thread, or not settable here
            previous[number] = signal.signal(number, handler)
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)
