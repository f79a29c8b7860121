"""Shared helpers for tests: make stores, run the CLI in-process and as a real subprocess."""

from __future__ import annotations

import dataclasses
import errno
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
from cmtk.team import remotes, rotation, sync

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


def store_with_peter(tmp_path: Path, cases_before: int = 3):
    """A store with `cases_before` canary cases and a second member, Peter (to remove again):
    (session, your key file, Peter's identity)."""
    session, key_path = make_store(tmp_path)
    for _ in range(cases_before):
        add_canary_case(session)
    peter = make_identity(tmp_path / "peter.key")
    rotation.add_member(session, "Peter", peter.public)
    return session, key_path, peter


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


def record_on(session: Session, case_id: str, form_id: str, day, today, body: dict | None = None) -> str:
    """Record `form_id` for the case, dated `day` (a date): `body`, else the smallest valid body of that day."""
    if body is None:
        body = minimal_body(form_id, day=day.isoformat())
    return cases.record_form(session, case_id, form_id, body, date=day, today=today)


# -- a team of laptops that sync (test_sync, test_sync_remotes and the tests that reuse them) -----------------


@dataclasses.dataclass
class Laptop:
    name: str
    key: Path
    root: Path

    def session(self):
        return Store(self.root).unlock(self.key)

    def sync(self, remote: str | None = None) -> sync.Outcome:
        return sync.sync(self.session(), remote)


def make_team(
    tmp_path: Path, kind: str = "repository", names=("Amina", "Baraka", "Chebet"), remote: str = "office"
) -> tuple[list[Laptop], str]:
    """One store made on the first laptop, every other member added, synced to a remote and cloned from it.

    `kind`: "bundle" for an encrypted bundle file on a USB stick, else a bare git repository."""
    keys = {n: tmp_path / f"{n.lower()}.key" for n in names}
    pairs = {n: identity.create(keys[n]) for n in names}
    first = tmp_path / f"{names[0].lower()}-laptop"
    create.create_store(first, organisation="Test CCI", me=pairs[names[0]], worker=names[0])
    session = Store(first).unlock(keys[names[0]])
    for other in names[1:]:
        rotation.add_member(session, other, pairs[other].public)
    if kind == "bundle":
        (tmp_path / "usb").mkdir()
        url = str(tmp_path / "usb" / "cci.age")
    else:
        url = str(tmp_path / "office.git")
    remotes.add_remote(session.store, remote, url)
    sync.sync(session)
    laptops = [Laptop(names[0], keys[names[0]], first)]
    for other in names[1:]:
        root = tmp_path / f"{other.lower()}-laptop"
        remotes.clone(url, root, pairs[other])
        laptops.append(Laptop(other, keys[other], root))
    return laptops, url


def laptop_case(laptop: Laptop, first_name: str) -> str:
    """A case opened on `laptop` for a fictional girl called `first_name`."""
    return cases.create_case(
        laptop.session(),
        "identification",
        {"biographical": {"first_name": first_name, "surname": "Testing", "sex": "female"}},
    )


class FullFile:
    """A file handle on a full disk: every write fails with ENOSPC."""

    def __init__(self, handle):
        self.handle = handle

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()

    def write(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")


def fill_the_disk(monkeypatch, module) -> None:
    """From now on, files `module` opens with os.fdopen are on a full disk (undo: monkeypatch.undo())."""
    real_fdopen = os.fdopen
    monkeypatch.setattr(module.os, "fdopen", lambda fd, mode: FullFile(real_fdopen(fd, mode)))
