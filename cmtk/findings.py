"""Checks report findings as data: where, what kind (a stable code), and a message saying what to do.

Build them with `cmtk.messages.finding(where, code, **params)`: the message templates live in
cmtk/messages.py, one catalogue for every check (issue 14, item 5).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    where: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"
