"""One exception hierarchy; the CLI turns each into an `Error: ...` line and an exit code.

Messages are written by cmtk itself and must never contain decrypted data:
name the case id, form, field or file and say what to do. Raise them by code, worded by the catalogue
(cmtk/messages.py, `ERRORS`): `raise ValidationError.of("date-format", field=..., typed=...)`. The error keeps
its code (`error.code`) for tests and JSON output; its class keeps the exit status.
"""

from __future__ import annotations

from typing import Any, TypeVar

from cmtk import messages

_E = TypeVar("_E", bound="CmtkError")


class CmtkError(Exception):
    """A refused or invalid request: nothing was changed. Exit status 1."""

    exit_code = 1
    code = ""  # the catalogue code it was raised with (`of`); empty for a message composed elsewhere

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @classmethod
    def of(cls: type[_E], code: str, /, **params: Any) -> _E:
        """The error worded by catalogue entry CODE (cmtk/messages.py); a missing or extra parameter is a bug."""
        error = cls(messages.error_text(code, **params))
        error.code = code
        return error

    @classmethod
    def like(cls: type[_E], other: CmtkError) -> _E:
        """OTHER's message and code as this class (another exit status): a bad date given as an option."""
        error = cls(other.message)
        error.code = other.code
        return error

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
