"""Shared helpers for tests: make stores, run the CLI in-process and as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import typer.main
import typer.testing
from typer.testing import CliRunner

from cmtk.casework import cases
from cmtk.cli.main import register
from cmtk.store import create, identity
from cmtk.store.session import Session, Store

# Distinctive fictional names: tests search every byte of a store for them.
CANARY_FIRST = "Wambuikanyagi"
CANARY_SURNAME = "Zelenyongoro"
CANARY_NICK = "Kipepeo7Q"
CANARY_NOTE = "Muthoniyambirira lives near the Ndovutaka river"
CANARIES = (CANARY_FIRST, CANARY_SURNAME, CANARY_NICK, "Ndovutaka")


def make_identity(path: Path, passphrase: str | None = None):
    return identity.create(path, passphrase)


def make_store(tmp_path: Path, name: str = "Amina Otieno") -> tuple[Session, Path]:
    key_path = tmp_path / f"{name.split()[0].lower()}.key"
    me = make_identity(key_path)
    root = tmp_path / "store"
    create.create_store(root, organisation="Test CCI", me=me, worker=name)
    return Store(root).unlock(key_path), key_path


def use_store(tmp_path: Path, monkeypatch, today: str | None = None) -> Session:
    """A store that CLI commands find through CMTK_STORE / CMTK_IDENTITY, with today fixed if given."""
    session, key_path = make_store(tmp_path)
    monkeypatch.setenv("CMTK_STORE", str(session.store.root))
    monkeypatch.setenv("CMTK_IDENTITY", str(key_path))
    if today:
        monkeypatch.setenv("CMTK_TODAY", today)
    return session


def canary_body() -> dict:
    return {
        "biographical": {
            "first_name": CANARY_FIRST,
            "surname": CANARY_SURNAME,
            "nickname": CANARY_NICK,
            "sex": "female",
            "date_of_birth": "2014-02-03",
        },
        "notes": {"text": CANARY_NOTE + "\nsecond line: ünïcödé and عربى"},
    }


def add_canary_case(session: Session) -> str:
    return cases.create_case(session, "identification", canary_body())


_BUILT_COMMANDS: dict[tuple[int, int, int], object] = {}


def _built_command(app):
    """typer builds the whole click command tree (every option of every command) on each `CliRunner.invoke`:
    about 0.1 s, a fifth of a typical CLI test. The tree depends only on what is registered, so it is built once
    per registration state and reused; a real `cmtk` process builds only the group it runs (cmtk/cli/main.py)."""
    key = (id(app), len(app.registered_groups), len(app.registered_commands))
    if key not in _BUILT_COMMANDS:
        _BUILT_COMMANDS[key] = typer.main.get_command(app)
    return _BUILT_COMMANDS[key]


typer.testing._get_command = _built_command  # type: ignore[attr-defined]


def invoke(args: list[str], env: dict | None = None, input: str | None = None):
    """Run the CLI in-process through typer's runner; returns the result."""
    return CliRunner().invoke(register(), args, env=env, input=input, catch_exceptions=False)


def run_in_process(args: list[str], env: dict | None = None, input: str | None = None):
    """The CLI through typer's runner, with a result shaped like run_cmtk's (returncode, stdout, stderr):
    the same exit code and messages as a real process, without starting an interpreter."""
    result = CliRunner().invoke(register(), args, env=env, input=input, catch_exceptions=False)
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def run_cmtk(
    args: list[str],
    cwd: Path | None = None,
    env: dict | None = None,
    input: str | None = None,
    clock_warning: bool = False,
):
    """Run cmtk as a real subprocess (`python -m cmtk`).

    Tests fix today with CMTK_TODAY on purpose, and cmtk warns about that in a real store on every command;
    that one warning line is left out of stderr unless `clock_warning` (tests/test_procedure.py checks it).
    """
    full_env = dict(os.environ)
    full_env.update(env or {})
    result = subprocess.run(
        [sys.executable, "-m", "cmtk", *args],
        cwd=cwd,
        env=full_env,
        input=input,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if not clock_warning and result.stderr:
        kept = [line for line in result.stderr.splitlines(keepends=True) if not line.startswith(CLOCK_WARNING)]
        result.stderr = "".join(kept)
    return result


CLOCK_WARNING = "Warning: CMTK_TODAY="


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


def all_bytes_of_store(root: Path) -> bytes:
    """Every byte of every file in the store folder (working tree and .git) plus every git object, decompressed."""
    chunks = [p.read_bytes() for p in root.rglob("*") if p.is_file()]
    chunks.append(
        subprocess.run(
            ["git", "-C", str(root), "cat-file", "--batch-all-objects", "--batch", "--unordered"],
            capture_output=True,
            check=True,
        ).stdout
    )
    chunks.append(git(root, "log", "--all", "--format=%an%n%ae%n%B").encode())
    chunks.append(git(root, "ls-tree", "-r", "--name-only", "HEAD").encode())
    return b"\n".join(chunks)


def minimal_body(form_id: str, overrides: dict | None = None, day: str = "2026-01-05") -> dict:
    """A valid body for a form: every required field of every section that has one, filled plainly.

    `overrides` is {"section.field": value}; it may also add optional fields.
    """
    import datetime as dt

    from cmtk.dev.demo import plain_value
    from cmtk.forms import definitions

    form = definitions.load_form(form_id)
    when = dt.date.fromisoformat(day)

    def value(field):
        return plain_value(field, when, "Recorded for the test")

    body: dict = {}
    answers: dict = {}
    for path, new in (overrides or {}).items():
        section, name = path.split(".", 1)
        body.setdefault(section, {})[name] = answers[name] = new
    for section in form.sections:
        for field in section.fields:
            given = body.get(section.id, {})
            if field.required and field.answers and field.name not in given and definitions.shown(field, answers):
                body.setdefault(section.id, {})[field.name] = answers[field.name] = value(field)
    return body
