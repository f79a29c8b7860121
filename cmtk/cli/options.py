"""Options and arguments that many commands take, declared once.

Each factory returns a fresh typer parameter, so a command writes
`date: str | None = date_option("Date of the visit (default: today).")`
instead of repeating the flag, the metavar and the default. The help text
stays the command's own where the meaning differs a little from one command
to the next; where it is the same everywhere, the factory holds it.
"""

from __future__ import annotations

from typing import Any

import typer

CASE_HELP = "Case id."
ALLOW_NAMES_HELP = "Record even if a child's name appears (a warning instead of a refusal)."


def case_argument(help: str = CASE_HELP) -> Any:
    """The CASE argument most case commands start with."""
    return argument(help)


def argument(help: str, metavar: str | None = None) -> Any:
    """A positional argument that must be given."""
    return typer.Argument(..., metavar=metavar, help=help)


def value_option(flag: str, help: str, metavar: str | None = None, *, required: bool = False, short: str = "") -> Any:
    """An option that takes a value: `None` when left out, unless `required`."""
    names = (short, flag) if short else (flag,)
    return typer.Option(... if required else None, *names, metavar=metavar, help=help)


def switch(flag: str, help: str, *names: str) -> Any:
    """An on/off option, off unless given (`names`: other spellings, e.g. "-y")."""
    return typer.Option(False, flag, *names, help=help)


def date_option(help: str, *, required: bool = False) -> Any:
    """`--date DATE`: the day something happened (the command says its default)."""
    return value_option("--date", help, "DATE", required=required)


def as_of_option(help: str) -> Any:
    """`--as-of DATE`: act or judge as if today were that day."""
    return value_option("--as-of", help, "DATE")


def from_option(help: str, *, required: bool = False) -> Any:
    """`--from FILE`: read a form or texts from a YAML file, or - for standard input."""
    return value_option("--from", help, "FILE", required=required)


def output_option(help: str, *, required: bool = False) -> Any:
    """`-o/--output FILE`: a file written for the user (never inside the store)."""
    return value_option("--output", help, "FILE", required=required, short="-o")


def lang_option(help: str) -> Any:
    """`--lang en|sw`: the language of printed labels."""
    return typer.Option("en", "--lang", metavar="en|sw", help=help)


def allow_names_option() -> Any:
    """`--allow-names`: record a text that names a child, with a warning instead of a refusal."""
    return switch("--allow-names", ALLOW_NAMES_HELP)
