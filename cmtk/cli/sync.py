"""`cmtk remote`, `sync`, `clone`, `conflicts`, `resolve`: working as a team through git remotes."""

from __future__ import annotations

import typer


def register(root: typer.Typer) -> None:
    """Attach this module's commands to the top-level app."""
