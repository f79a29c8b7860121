"""`cmtk share` and `cmtk export`: records for another agency, aggregate figures for the national system."""

from __future__ import annotations

import typer


def register(root: typer.Typer) -> None:
    """Attach this module's commands to the top-level app."""
