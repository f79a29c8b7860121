"""Writing files so that a crash leaves either the old content or the new, never half of either."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import stat
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
            raise CmtkError.of("disk-full") from None
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
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode) or info.st_nlink > 1 or os.path.islink(root / ".cmtk"):
        read_inside(root, SETTINGS)  # refuses it, naming the link
    stamp = [info.st_mtime_ns, info.st_size]
    cache = root / ".git" / "cmtk" / "settings.json"
    try:
        cached = json.loads(cache.read_text("utf-8"))
        if cached.get("stamp") == stamp:
            return cached["settings"]
    except (OSError, ValueError, AttributeError):
        pass
    data = yamlio.loads(read_inside_text(root, SETTINGS) or "", SETTINGS)
    if not isinstance(data, dict):
        raise RecordError.of("settings-not-a-mapping", settings=SETTINGS)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(cache, json.dumps({"stamp": stamp, "settings": data}, default=str).encode("utf-8"))
    except OSError:
        pass
    return data


MAX_STORE_FILE = 1024 * 1024  # no settings, policy, form or template file comes near this


def read_inside(root: Path, relative: str, limit: int = MAX_STORE_FILE) -> bytes | None:
    """A file of the store, read only if it really is a regular file inside the store; None when absent.

    Every folder on the way and the file itself are opened without following links, and a file with
    other names (a hard link) is refused: a store copied from elsewhere must not make cmtk read, print or
    obey a file outside it, such as the user's identity (security review round 4, H2).
    """
    parts = relative.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise CmtkError.of("store-path-not-plain", relative=relative)
    if os.open not in os.supports_dir_fd or not hasattr(os, "O_NOFOLLOW"):  # not POSIX: check, then read
        return _read_checked(root, parts, relative, limit)
    nofollow = os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        for number, part in enumerate(parts):
            last = number == len(parts) - 1
            flags = os.O_RDONLY | nofollow | (os.O_NONBLOCK if last else os.O_DIRECTORY)
            try:
                child = os.open(part, flags, dir_fd=fd)
            except FileNotFoundError:
                return None
            except OSError as error:
                if error.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                    _refuse_link("/".join(parts[: number + 1]), relative)
                raise CmtkError.of("store-file-unreadable", relative=relative, strerror=error.strerror) from None
            os.close(fd)
            fd = child
        _check_regular(os.fstat(fd), relative, limit)
        chunks, size = [], 0
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise CmtkError.of("store-file-too-large", relative=relative, limit=limit // 1024)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_inside_text(root: Path, relative: str) -> str | None:
    """`read_inside` as text: UTF-8 with no control or direction characters (security review round 4, M5)."""
    data = read_inside(root, relative)
    if data is None:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CmtkError.of("store-file-not-utf8", relative=relative) from None
    check_plain_text(text, relative)
    return text


# Control characters other than tab and line ends, and the characters that reorder text on screen: in a
# settings, policy or form file they serve only to make what a screen or a diff shows differ from what
# cmtk reads (review 4, M5: carriage returns hid a change that removed every gate).
_HIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]|\r(?!\n)"
)


def check_plain_text(text: str, source: str) -> None:
    found = _HIDDEN.search(text.removeprefix("\ufeff"))
    if found:
        line = text.count("\n", 0, found.start()) + 1
        raise CmtkError.of("store-file-control-char", source=source, line=line, ord=ord(found.group(0)[0]))


_SHOWN_ESCAPED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]")


def visible(text: str) -> str:
    """Text for a screen with every control and direction character shown as an escape (`\\x0d`, `\\u202e`):
    what is shown is what the file says (security review round 4, M5)."""
    return _SHOWN_ESCAPED.sub(
        lambda m: f"\\x{ord(m.group(0)):02x}" if ord(m.group(0)) < 0x100 else f"\\u{ord(m.group(0)):04x}", text
    )


def _refuse_link(where: str, relative: str) -> None:
    raise CmtkError.of("store-path-is-link", relative=relative, where=where)


def _check_regular(info: os.stat_result, relative: str, limit: int) -> None:
    if stat.S_ISLNK(info.st_mode):
        _refuse_link(relative, relative)
    if not stat.S_ISREG(info.st_mode):
        raise CmtkError.of("store-file-not-plain", relative=relative)
    if info.st_nlink > 1:
        raise CmtkError.of("store-file-hard-link", relative=relative)
    if info.st_size > limit:
        raise CmtkError.of("store-file-too-large", relative=relative, limit=limit // 1024)


def _read_checked(root: Path, parts: list[str], relative: str, limit: int) -> bytes | None:
    path = root
    for number, part in enumerate(parts):
        path = path / part
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return None
        if stat.S_ISLNK(info.st_mode) or (number < len(parts) - 1 and not stat.S_ISDIR(info.st_mode)):
            _refuse_link("/".join(parts[: number + 1]), relative)
    _check_regular(info, relative, limit)
    return path.read_bytes()
