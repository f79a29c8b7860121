"""Checks report findings as data: where, what kind, and a message saying what to do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    source: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"
