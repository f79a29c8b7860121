"""The caseworker's own age identity: create, load, show.

It lives outside the store (config folder, `--identity` or CMTK_IDENTITY), is
readable by its owner only, and may be protected by a passphrase in age's own
format so that the `age` CLI can use it as well.
"""

from __future__ import annotations

import getpass
import os
import stat
import sys
from pathlib import Path

from cmtk import system
from cmtk.errors import IdentityError
from cmtk.store import crypto, paths

PASSPHRASE_ENV = "CMTK_PASSPHRASE"
_remembered: list[str] = []
MIN_PASSPHRASE = 12


def check_permissions(path: Path) -> None:
    """Refuse an identity others can read or change, as ssh does with private keys."""
    if system.windows():
        check_place_on_windows(path)
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise IdentityError.of("identity-readable-by-others", path=path, mode=mode)
    folder = path.absolute().parent
    folder_mode = stat.S_IMODE(folder.stat().st_mode)
    if folder_mode & 0o022 and not folder_mode & stat.S_ISVTX:
        raise IdentityError.of("identity-folder-writable", folder=folder)


# Folders that Microsoft's OneDrive copies to the internet (set by OneDrive itself).
ONEDRIVE_VARIABLES = ("OneDrive", "OneDriveConsumer", "OneDriveCommercial")


def check_place_on_windows(path: Path) -> None:
    """Windows: the identity must be in the user's own profile folder, whose access list admits only them
    (and administrators), and not in a folder OneDrive copies to the internet.

    Permission bits mean nothing on Windows; reading an access list needs Windows' security API, so cmtk
    relies on the profile's and sets an owner-only list on the identities it makes (`write_private`).
    A USB stick, a shared or network folder, or another user's folder is refused.
    """
    home = Path.home()
    if not paths.is_inside(path, home):
        raise IdentityError.of(
            "identity-outside-home", path=path, home=home, default_identity_path=paths.default_identity_path()
        )
    for variable in ONEDRIVE_VARIABLES:
        cloud = os.environ.get(variable)
        if cloud and Path(cloud).is_dir() and paths.is_inside(path, Path(cloud)):
            raise IdentityError.of(
                "identity-in-onedrive", path=path, default_identity_path=paths.default_identity_path()
            )


def read_passphrase(prompt: str) -> str:
    """From CMTK_PASSPHRASE (scripts, tests) or a prompt on the terminal; never an argument."""
    value = os.environ.pop(PASSPHRASE_ENV, None)  # not passed on to git or any other child process
    if value is not None:
        _remembered.append(value)
        return value
    if _remembered:
        return _remembered[-1]
    if not sys.stdin.isatty():
        raise IdentityError.of("passphrase-no-terminal", passphrase_env=PASSPHRASE_ENV)
    return getpass.getpass(prompt)


def load(path: Path, *, throwaway: bool = False) -> crypto.KeyPair:
    """Load and, when it is passphrase-protected, unlock an identity in memory."""
    if not path.exists():
        raise IdentityError.of("identity-not-found", path=path)
    if not path.is_file():
        raise IdentityError.of("identity-not-a-file", path=path)
    if not (throwaway and system.windows()):  # a training store's own key may travel with it on a stick
        check_permissions(path)
    data = path.read_bytes()
    if len(data) > 64 * 1024:
        raise IdentityError.of("identity-too-large", path=path)
    if crypto.is_passphrase_file(data):
        passphrase = read_passphrase(f"Passphrase for {path}: ")
        text = crypto.unwrap_with_passphrase(data, passphrase, str(path))
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise IdentityError.of("identity-binary", path=path) from None
    return crypto.parse_identity_text(text, str(path))


# About ten thousand years of guessing at one guess a second (age's scrypt costs about that on a laptop); a
# rented pool of graphics cards guesses faster, so this is a floor, not a target. Four unrelated words pass.
MIN_GUESSES = 10**10


def passphrase_problem(passphrase: str, about_user: tuple[str, ...] = ()) -> str | None:
    """Why a passphrase is too easy to guess, or None: zxcvbn's estimate of the guesses an attacker with
    dictionaries, common patterns and `about_user` (name, organisation) needs (security review round 4)."""
    if len(passphrase) < MIN_PASSPHRASE:
        return (
            f"this passphrase is short ({len(passphrase)} characters); use {MIN_PASSPHRASE} or more, for example "
            "four unrelated words"
        )
    from zxcvbn import zxcvbn  # loads its word lists: only when a passphrase is being set

    estimate = zxcvbn(passphrase[:100], user_inputs=[word for word in about_user if word])
    if float(estimate["guesses"]) < MIN_GUESSES:
        return (
            "this passphrase is easy to guess with a dictionary (about "
            f"{estimate['crack_times_display']['offline_slow_hashing_1e4_per_second']} for a determined attacker); "
            "use four or more unrelated words"
        )
    return None


def passphrase_hint(passphrase: str) -> str | None:
    """A plain-language warning for a weak passphrase, or None (kept for callers that only warn)."""
    return passphrase_problem(passphrase)


def write_private(path: Path, data: bytes) -> None:
    """Create a file readable by its owner only (0600; on Windows an access list naming the owner alone),
    refusing to overwrite."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise IdentityError.of("identity-exists", path=path) from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    if not system.make_private(path):
        print(
            f"Warning: {path}: Windows would not limit this file to your account (icacls failed); it is in your "
            "user folder, which other accounts cannot open, but check its Security tab",
            file=sys.stderr,
        )


def create(path: Path, passphrase: str | None = None) -> crypto.KeyPair:
    """Make a new X25519 identity at `path` (age-keygen layout, or passphrase-wrapped)."""
    pair = crypto.generate()
    text = crypto.identity_text(pair)
    data = crypto.wrap_with_passphrase(text, passphrase) if passphrase else text.encode("utf-8")
    write_private(path, data)
    return pair


def is_protected(path: Path) -> bool:
    return crypto.is_passphrase_file(path.read_bytes())
