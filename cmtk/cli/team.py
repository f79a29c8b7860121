"""`cmtk team`: who can open the store."""

from __future__ import annotations

import typer

from cmtk.cli.common import is_terminal, open_session, open_store
from cmtk.cli.options import argument, switch
from cmtk.cli.output import Format, OutputFormat, emit, json_keys
from cmtk.errors import UsageError
from cmtk.team import roster, rotation

app = typer.Typer(help="The team: the people whose keys open this store.", no_args_is_help=True)


@app.command("list")
@json_keys([{"name": "text", "role": "text", "public_key": "text"}])
def team_list(ctx: typer.Context, output_format: OutputFormat = Format.table) -> None:
    """List the members, their roles and public keys."""
    emit(roster.Team(open_store(ctx).members()), output_format, _list_table)


def _list_table(team: roster.Team) -> list[str]:
    return [f"{m.name}{f' ({m.role})' if m.role else ''}\t{m.public}" for m in team.members]


@app.command("fingerprint")
def team_fingerprint(ctx: typer.Context) -> None:
    """Show this store's fingerprint, for a new colleague to give to `cmtk clone --expect` (it changes when a
    member is removed)."""

    session = open_session(ctx)
    typer.echo(roster.fingerprint(session))


@app.command("add")
def team_add(
    ctx: typer.Context,
    name: str = argument("The new member's name."),
    public_key: str = argument("Their public key (age1...), from `cmtk key show`.", "AGE_PUBLIC_KEY"),
    role: str = typer.Option("caseworker", "--role", help="Their role, e.g. caseworker, case manager, recovery key."),
) -> None:
    """Give a new member access: re-encrypts only the store key files, in one commit."""

    session = open_session(ctx)
    rotation.add_member(session, name, public_key, role)
    typer.echo(f"Added {name.strip()}; they can open the store once they have a copy of it.")


@app.command("remove")
def team_remove(
    ctx: typer.Context,
    name: str = argument("The member to remove."),
    yes: bool = switch("--yes", "Do not ask for confirmation.", "-y"),
) -> None:
    """Remove a member: a new store key, and every current record re-encrypted to it, in one commit."""

    session = open_session(ctx)
    if not yes:
        if not is_terminal():
            raise UsageError.of("team-remove-needs-yes")
        typer.confirm(f"Remove {name} and re-encrypt every record to a new store key?", abort=True)
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("Re-encrypting records", total=None)
        rotation.remove_member(
            session, name, progress=lambda done, total: bar.update(task, completed=done, total=total)
        )
    typer.echo(f"Removed {name}. New records and changes are closed to them from now on.")
    typer.echo("They could read everything written before, and old copies of the store still open with their key.")


@app.command("trust")
def team_trust(
    ctx: typer.Context,
    yes: bool = switch("--yes", "Accept without asking (after checking the list).", "-y"),
) -> None:
    """Check and accept a team list that changed on another laptop (a sync or a copy) before cmtk uses it."""
    store = open_store(ctx)
    session = store.unlock(__import__("cmtk.cli.common", fromlist=["options"]).options(ctx).get("identity"))
    added, removed = store.team_changes()
    if not added and not removed:
        typer.echo("The team list is the one this laptop already accepted.")
        return
    names = {m.public: m.name for m in store.members()}
    for key in added:
        typer.echo(f"  NEW      {names.get(key, '?')}\t{key}")
    former = __import__("cmtk.team.roster", fromlist=["former_names"]).former_names(store) if removed else {}
    for key in removed:
        typer.echo(f"  REMOVED  {former.get(key, '?')}\t{key}")
    typer.echo("Check every NEW key with its owner (`cmtk key show` on their laptop) before accepting.")
    if not yes:
        if not is_terminal():
            raise UsageError.of("team-accept-needs-yes")
        typer.confirm("Accept this team list?", abort=True)
    store.accept_team()
    typer.echo("Accepted.")
    del session
