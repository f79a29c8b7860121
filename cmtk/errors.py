"""One exception hierarchy; the CLI turns each into an `Error: ...` line and an exit code.

Messages are written by cmtk itself and must never contain decrypted data:
name the case id, form, field or file and say what to do.
"""

from __future__ import annotations


class CmtkError(Exception):
    """A refused or invalid request: nothing was changed. Exit status 1."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(CmtkError):
    """The command line itself is wrong. Exit status 2."""

    exit_code = 2


class StoreNotFound(CmtkError):
    pass


class IdentityError(CmtkError):
    pass


class DecryptError(CmtkError):
    pass


class DamagedError(DecryptError):
    """Ciphertext whose header opened with the key but whose content is corrupt (not a missing key)."""


class RecordError(CmtkError):
    """A record is damaged, misplaced or does not parse."""


class ValidationError(CmtkError):
    pass


class LockError(CmtkError):
    pass


class GitError(CmtkError):
    """A git command failed; `detail` holds everything git printed (for callers that pick its reason)."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail
