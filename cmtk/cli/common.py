"""Helpers shared by the command modules: opening the store, printing."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from cmtk import dates
from cmtk.errors import StoreNotFound
from cmtk.store.paths import find_store
from cmtk.store.session import Store

_training_said = False
_faked_said = False


def options(ctx: typer.Context) -> dict:
    root = ctx.find_root()
    return root.obj or {}


def open_store(ctx: typer.Context):

    store = Store.open(options(ctx).get("store"))
    say_training(store)
    say_faked_today(store)
    return store


def open_session(ctx: typer.Context):
    store = open_store(ctx)
    session = store.unlock(options(ctx).get("identity"))
    if store.sync_interrupted():
        warn("a sync was interrupted half-way and some files may be out of date; run `cmtk sync` to finish it")
    added, removed = store.team_changes()
    if added or removed:
        warn(
            f"the team list changed since this laptop accepted it ({len(added)} key(s) added, {len(removed)} removed); "
            "check it with `cmtk team trust`"
        )
    return session


def say_training(store) -> None:
    global _training_said
    if store.training and not _training_said:
        _training_said = True
        typer.echo("TRAINING store: every child and family in it is fictional.", err=True)


def say_faked_today(store, as_of: str | None = None) -> None:
    """In a real store, a faked today (CMTK_TODAY, or --as-of on a command that writes) is said every time."""
    global _faked_said
    fake = dates.faked()
    if store.training or _faked_said or not (fake or as_of):
        return
    _faked_said = True
    real = dates.real_today().isoformat()
    if as_of:
        warn(f"--as-of {as_of}: this command acts as if today were that date (the computer's date is {real})")
    else:
        warn(
            f"CMTK_TODAY={fake} is set: cmtk acts as if today were that date (the computer's date is {real}); "
            "run `unset CMTK_TODAY` for real work"
        )


def warn(message: str) -> None:
    typer.echo(f"Warning: {message}", err=True)


def is_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def store_root(ctx: typer.Context) -> Path | None:
    """The current store's folder, if there is one: its `.cmtk/forms/` and policy may override cmtk's own."""
    try:
        return find_store(options(ctx).get("store"))
    except StoreNotFound:
        return None
