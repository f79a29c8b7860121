"""Store commands: init, demo, doctor, and git's hidden textconv."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import typer

from cmtk import dates
from cmtk.cli.common import open_session, options, warn
from cmtk.cli.options import argument, as_of_option, switch, value_option
from cmtk.cli.output import Format, OutputFormat, emit, json_keys
from cmtk.dev import demo as demo_module
from cmtk.errors import CmtkError, DecryptError, UsageError
from cmtk.store import create, crypto, identity, paths
from cmtk.store import doctor as doctor_module
from cmtk.store.session import Store
from cmtk.team import remotes, transport


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("demo")(demo)
    app.command("doctor")(doctor)
    app.command("textconv", hidden=True)(textconv)


def init(
    ctx: typer.Context,
    path: Path = typer.Argument(Path("."), help="Folder for the new store (new or empty)."),
    org: str = value_option("--org", "Name of the organisation (CCI) that keeps the store.", "NAME", required=True),
    name: str | None = value_option("--name", "Your name as the team will see it.", "WORKER"),
    role: str = typer.Option("case manager", "--role", help="Your role in the team."),
    county: str | None = value_option("--county", "County of the organisation."),
    passphrase: bool = switch("--passphrase", "If cmtk makes you a new identity, protect it with a passphrase."),
    weak_passphrase: bool = switch("--weak-passphrase", "Accept a passphrase that is easy to guess (not recommended)."),
) -> None:
    """Create a new store: git repository, settings, policy, team and store key."""

    worker = name or getpass.getuser()
    path = paths.expand(path)
    create.check_target(path.resolve(), org, worker)
    identity_file = paths.identity_path(options(ctx).get("identity"))
    if identity_file.exists():
        me = identity.load(identity_file)
    else:
        me = _new_identity(identity_file, passphrase, weak_passphrase, (worker, org))
    create.create_store(path.resolve(), organisation=org, me=me, worker=worker, role=role, county=county)
    typer.echo(f"Created a cmtk store in {path.resolve()}")
    typer.echo(f"Team: {worker} ({role}), key {me.public}")
    typer.echo("Next: add colleagues with `cmtk team add NAME THEIR-PUBLIC-KEY`; open a case with `cmtk case new`.")


def _new_identity(path: Path, protect: bool, allow_weak: bool = False, about_user: tuple[str, ...] = ()):

    secret = None
    if protect:
        secret = identity.read_passphrase("New passphrase: ")
        if not secret:
            raise UsageError.of("passphrase-empty")
        import os

        if identity.PASSPHRASE_ENV not in os.environ and identity.read_passphrase("Repeat it: ") != secret:
            raise UsageError.of("passphrase-mismatch")
        problem = identity.passphrase_problem(secret, about_user)
        if problem and not allow_weak:
            raise CmtkError.of("passphrase-weak", problem=problem)
        if problem:
            warn(problem)
    pair = identity.create(path, secret)
    typer.echo(f"Created your identity {path} (readable by you only).")
    typer.echo("Keep a backup of it somewhere safe and offline: without it you cannot open the store.")
    return pair


def demo(
    path: Path = typer.Argument(Path("cmtk-demo"), help="Folder to create the training store in."),
    as_of: str | None = as_of_option("Build the cases around this date instead of today."),
) -> None:
    """Make a TRAINING store of fictional children and families, with its own throwaway key."""

    path = paths.expand(path)
    built = demo_module.build(path.resolve(), today=dates.today(as_of))
    typer.echo(f"TRAINING store created in {built.store} with {built.cases} fictional cases.")
    typer.echo(f"Its throwaway identity is {built.identity}; commands run inside {path} find both by themselves.")


@json_keys({"repaired": ["text"], "findings": [{"where": "text", "code": "text", "message": "text"}]})
def doctor(
    ctx: typer.Context,
    repair: bool = switch("--repair", "Finish what an interrupted command left behind."),
    full: bool = switch("--full", "Check every record again, not only those changed since the last clean check."),
    remote: str | None = value_option(
        "--remote",
        "Check a remote (shared folder or stick) instead of this store; with --repair, put back what it lost.",
        "NAME",
    ),
    output_format: OutputFormat = Format.table,
) -> None:
    """Check that every file decrypts, nothing is plaintext, keys match the team, and git is sound; exit 1 if not."""

    def progress(done: int, total: int) -> None:
        end = "\n" if done == total else ""
        typer.echo(f"\rChecked {done} of {total} record(s)", err=True, nl=False)
        if end:
            typer.echo("", err=True)

    shown = progress if sys.stderr.isatty() else None
    session = open_session(ctx)
    if remote is not None:
        where = remotes.find_remote(session.store, remote)
        repaired = transport.repair_remote(session, where) if repair else []
        result = doctor_module.Checkup(repaired, transport.check_remote(session, where))
    else:
        result = doctor_module.checkup(session, repair_first=repair, full=full, progress=shown)
    emit(result, output_format, _doctor_table)
    if result.findings:
        typer.echo(f"{len(result.findings)} problem(s) found.", err=True)
        raise typer.Exit(1)


def _doctor_table(result: doctor_module.Checkup) -> list[str]:
    lines = [f"Repaired: {line}" for line in result.repaired] + [str(finding) for finding in result.findings]
    return lines if result.findings else [*lines, "No problems found."]


def textconv(ctx: typer.Context, file: Path = argument("File git asks to show.")) -> None:
    """Show an encrypted file as text for `git diff` and `git log -p` (decrypted in memory only)."""

    session = Store.open(options(ctx).get("store")).unlock(options(ctx).get("identity"))
    data = file.read_bytes()
    if not data:
        return
    try:
        crypto.decrypt(data, [session.me.identity], "key file")
    except CmtkError:
        pass
    else:  # only store key files are encrypted to members directly: never show their secret
        typer.echo("(store key file: the secret is not shown)")
        return
    try:
        plaintext = session.decrypt_file(file).decode("utf-8", errors="replace")
    except DecryptError:  # an attached file: encrypted to its own key, which only its record holds
        typer.echo("(an attached file or a file cmtk cannot open: its content is not shown)")
        return
    lines = plaintext.rstrip("\n").split("\n")
    while lines and lines[-1].startswith("#") and not lines[-1][1:].strip():
        lines.pop()
    typer.echo("\n".join(lines))
