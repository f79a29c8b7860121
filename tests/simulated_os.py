"""Windows and macOS as far as they can be stood in for on Linux (issue 20: no such machine is available here).

`install(kind, patch, folder)` changes the running interpreter; `patch` is a
pytest MonkeyPatch, undone after a test (in-process) or never (a subprocess).
Run as a script, `python simulated_os.py KIND ARGS...` is `cmtk ARGS...` on
that system, for tests that need a real process (redirected output, spawn).

What is simulated, and how far:

- both: `sys.platform` is "win32" or "darwin" (cmtk reads nothing else: see
  cmtk/system.py). `os.name` stays "posix": the standard library decides its
  path rules and process spawning from it, and they must keep working here.
  Third-party libraries are imported first, so they set themselves up for the
  Linux they really run on. /dev/shm and $XDG_RUNTIME_DIR are hidden.
  multiprocessing's "fork" is refused (absent on Windows, unsafe on macOS).
- windows: no fcntl module, no os.fchmod, no signal.SIGHUP (SIGBREAK instead,
  borrowing SIGUSR2's number), no os.fork, no os.getuid, no Path.owner;
  redirected stdout and stderr are cp1252 with \\n written as \\r\\n; text files
  are written with \\r\\n; `os.open` of a file for writing by cmtk must say
  O_BINARY (Windows would otherwise translate its newlines); programs on PATH
  need an extension from PATHEXT (a `git.exe` link to the real git is put on
  PATH); `icacls.exe` is a stand-in that logs its arguments (CMTK_SIM_ICACLS_LOG)
  and exits with CMTK_SIM_ICACLS_EXIT. Windows' own lock (LockFileEx) cannot
  run here: filelock's WindowsFileLock is replaced by a stand-in on Linux's
  lock that records that cmtk chose it (`windows_locks_taken`).
- macos: `case_insensitive(folder)` makes a folder behave like macOS's
  default disk format, where names differ only in case name the same file.
"""

from __future__ import annotations

import builtins
import io
import os
import pathlib
import shutil
import sys
from pathlib import Path

KINDS = ("windows", "macos")
REAL_PLATFORM = sys.platform
ENV = "CMTK_SIMULATED_OS"
windows_locks_taken: list[str] = []
_case_insensitive_roots: list[str] = []


def _preload() -> None:
    """Third-party libraries set themselves up for the real system at import: import them before pretending."""
    import multiprocessing.pool  # noqa: F401
    import multiprocessing.popen_spawn_posix  # noqa: F401
    import multiprocessing.resource_tracker  # noqa: F401
    import multiprocessing.spawn  # noqa: F401
    import subprocess  # noqa: F401
    import tempfile  # noqa: F401

    import filelock  # noqa: F401
    import jinja2  # noqa: F401
    import platformdirs  # noqa: F401
    import pyrage  # noqa: F401
    import rich.console  # noqa: F401
    import rich.progress  # noqa: F401
    import ruamel.yaml  # noqa: F401
    import typer  # noqa: F401
    from babel import support  # noqa: F401
    from babel.messages import mofile, pofile  # noqa: F401
    from cryptography.hazmat.primitives.asymmetric import ed25519, x25519  # noqa: F401


_TEST_FOLDERS = ""  # the tests' own temporary folders stay visible when pytest keeps them in /dev/shm (Makefile)


def _hidden(path) -> bool:
    try:
        text = os.fspath(path)
    except TypeError:
        return False
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    if _TEST_FOLDERS and (text == _TEST_FOLDERS or text.startswith(_TEST_FOLDERS + "/")):
        return False
    return text == "/dev/shm" or text.startswith("/dev/shm/")


def install(kind: str, patch, folder: Path) -> None:
    """Pretend to be `kind`; `folder` receives the stand-in programs (git.exe, icacls.exe)."""
    if kind not in KINDS:
        raise ValueError(kind)
    _preload()
    global _TEST_FOLDERS
    parts = Path(folder).resolve().parts
    _TEST_FOLDERS = str(Path(*parts[:4])) if parts[1:3] == ("dev", "shm") else ""
    import multiprocessing
    import signal

    import filelock

    real_git = shutil.which("git", path="/usr/local/bin:/usr/bin:/bin")  # before sys.platform changes
    patch.setenv(ENV, kind)
    patch.setattr(sys, "platform", "win32" if kind == "windows" else "darwin")
    patch.delenv("XDG_RUNTIME_DIR", raising=False)

    real_isdir, real_access, real_exists = os.path.isdir, os.access, os.path.exists
    patch.setattr(os.path, "isdir", lambda p: False if _hidden(p) else real_isdir(p))
    patch.setattr(os.path, "exists", lambda p: False if _hidden(p) else real_exists(p))
    patch.setattr(os, "access", lambda p, mode, **kw: False if _hidden(p) else real_access(p, mode, **kw))

    real_get_context = multiprocessing.get_context

    def get_context(method=None):
        if method in ("fork", "forkserver"):
            if kind == "windows":
                raise ValueError(f"cannot find context for {method!r}")
            raise AssertionError("fork is unsafe on macOS (system libraries are not fork-safe)")
        return real_get_context(method)

    patch.setattr(multiprocessing, "get_context", get_context)

    # Starting a spawned worker runs Python's POSIX process code, which reads sys.platform as it goes (and so do
    # its semaphores): those steps see the real platform, and so do the workers, fresh interpreters that import
    # cmtk again (what spawn means; Python's own start-up code for them cannot be simulated).
    from multiprocessing import context, synchronize

    patch.setattr(context.SpawnProcess, "_Popen", staticmethod(_on_real_platform(context.SpawnProcess._Popen)))
    patch.setattr(synchronize.SemLock, "__init__", _on_real_platform(synchronize.SemLock.__init__))

    if kind == "windows":
        _install_windows(patch, folder, signal, filelock, real_git)


def _on_real_platform(function):
    def call(*args, **kwargs):
        pretended = sys.platform
        sys.platform = REAL_PLATFORM
        try:
            return function(*args, **kwargs)
        finally:
            sys.platform = pretended

    return call


def _install_windows(patch, folder: Path, signal, filelock, real_git: str | None) -> None:
    patch.setitem(sys.modules, "fcntl", None)  # `import fcntl` now fails, as on Windows
    for name in ("fchmod", "fork", "getuid", "geteuid"):
        patch.delattr(os, name, raising=False)
    patch.delattr(signal, "SIGHUP", raising=False)
    patch.setattr(signal, "SIGBREAK", signal.SIGUSR2, raising=False)
    patch.setattr(pathlib.Path, "owner", _no_owner)
    patch.setattr(os, "O_BINARY", 0x8000, raising=False)  # the same bit as Linux's harmless O_LARGEFILE
    patch.setattr(filelock, "WindowsFileLock", _StandInWindowsLock)

    real_open = os.open

    def os_open(path, flags, mode=0o777, *, dir_fd=None):
        caller = sys._getframe(1).f_globals.get("__name__", "")
        writing = flags & (os.O_WRONLY | os.O_RDWR)
        if caller.startswith("cmtk") and writing and not flags & 0x8000:
            raise AssertionError(f"{caller} opened {path} for writing without O_BINARY: Windows would translate \\n")
        return real_open(path, flags, mode, dir_fd=dir_fd)

    patch.setattr(os, "open", os_open)

    real_io_open = io.open

    def text_open(file, mode="r", buffering=-1, encoding=None, errors=None, newline=None, closefd=True, opener=None):
        if "b" not in mode and any(c in mode for c in "wax+") and newline is None:
            newline = "\r\n"  # Windows' text files
        return real_io_open(file, mode, buffering, encoding, errors, newline, closefd, opener)

    patch.setattr(io, "open", text_open)
    patch.setattr(builtins, "open", text_open)

    bin_dir = folder / "Windows-PATH"
    bin_dir.mkdir(exist_ok=True)
    if real_git and not (bin_dir / "git.exe").exists():
        (bin_dir / "git.exe").symlink_to(real_git)
    patch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    patch.setenv("PATHEXT", ".COM;.EXE;.BAT;.CMD")

    system32 = folder / "SystemRoot" / "System32"
    system32.mkdir(parents=True, exist_ok=True)
    icacls = system32 / "icacls.exe"
    if not icacls.exists():
        icacls.write_bytes(
            (
                f"#!{sys.executable}\n"
                "import os, sys\n"
                "log = os.environ.get('CMTK_SIM_ICACLS_LOG')\n"
                "if log:\n"
                "    with open(log, 'a', encoding='utf-8', newline='\\n') as f:\n"
                "        f.write('\\t'.join(sys.argv[1:]) + '\\n')\n"
                "sys.exit(int(os.environ.get('CMTK_SIM_ICACLS_EXIT', '0')))\n"
            ).encode()
        )
        icacls.chmod(0o755)
    patch.setenv("SystemRoot", str(folder / "SystemRoot"))
    patch.setenv("USERNAME", "amina")
    patch.setenv("USERDOMAIN", "CCI-LAPTOP")
    for name in ("OneDrive", "OneDriveConsumer", "OneDriveCommercial"):
        patch.delenv(name, raising=False)

    import cmtk.system

    cmtk.system.git_program.cache_clear()
    patch.setattr(cmtk.system.git_program, "cache_clear", cmtk.system.git_program.cache_clear)


def _no_owner(self):
    raise NotImplementedError("Path.owner() is unsupported on this system")


def _stand_in_lock_class():
    import filelock

    class StandInWindowsLock(filelock.UnixFileLock):
        """Windows' LockFileEx cannot run on Linux: Linux's lock behind the Windows class cmtk must choose."""

        def __init__(self, *args, **kwargs):
            windows_locks_taken.append(str(args[0]))
            kwargs.pop("mode", None)  # filelock sets an explicit mode with os.fchmod, which Windows lacks
            super().__init__(*args, **kwargs)

    return StandInWindowsLock


class _LazyLock:
    def __init__(self) -> None:
        self._class = None

    def __call__(self, *args, **kwargs):
        if self._class is None:
            self._class = _stand_in_lock_class()
        return self._class(*args, **kwargs)


_StandInWindowsLock = _LazyLock()


# -- macOS: a case-insensitive folder ------------------------------------------------------------


def case_insensitive(folder: Path, patch) -> None:
    """Names under `folder` that differ only in case reach the same file (macOS's default disk format),
    for os.stat and os.lstat, which samefile, exists and resolve use."""
    root = str(folder)
    _case_insensitive_roots.append(root)
    real_stat, real_lstat = os.stat, os.lstat

    def fold(path):
        if isinstance(path, int):
            return path
        text = os.fspath(path)
        if isinstance(text, bytes) or not any(text.startswith(r + os.sep) for r in _case_insensitive_roots):
            return path
        base = next(r for r in _case_insensitive_roots if text.startswith(r + os.sep))
        current = base
        for part in text[len(base) + 1 :].split(os.sep):
            candidate = os.path.join(current, part)
            if part and not _there(candidate):
                try:
                    match = [n for n in os.listdir(current) if n.lower() == part.lower()]
                except OSError:
                    match = []
                candidate = os.path.join(current, match[0]) if match else candidate
            current = candidate
        return current

    def _there(path) -> bool:
        try:
            real_lstat(path)
            return True
        except OSError:
            return False

    patch.setattr(os, "stat", lambda p, *a, **k: real_stat(fold(p), *a, **k))
    patch.setattr(os, "lstat", lambda p, *a, **k: real_lstat(fold(p), *a, **k))


def subprocess_command(kind: str) -> list[str]:
    """The command line that runs cmtk as if on `kind` (see the module's docstring)."""
    return [sys.executable, "-X", "warn_default_encoding", __file__, kind]


def _main() -> None:
    import pytest

    kind, args = sys.argv[1], sys.argv[2:]
    folder = Path(os.environ.get("CMTK_SIM_FOLDER") or os.getcwd())
    install(kind, pytest.MonkeyPatch(), folder)
    if kind == "windows":
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            if not stream.isatty():
                errors = "strict" if name == "stdout" else "backslashreplace"
                stream.flush()
                setattr(sys, name, io.TextIOWrapper(stream.buffer, encoding="cp1252", errors=errors, newline="\r\n"))
    from cmtk.cli.main import main

    try:
        main(args)
    finally:
        sys.stdout.flush()


if __name__ == "__main__":  # (the index rebuild's workers import this file again as __mp_main__: nothing runs)
    _main()
