"""`cmtk remote`, `sync`, `clone`, `conflicts`, `resolve`: working as a team through git remotes."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from cmtk.cli.common import is_terminal, open_session, open_store, options
from cmtk.cli.options import argument, switch, value_option
from cmtk.cli.output import Format, OutputFormat, emit, json_keys
from cmtk.errors import CmtkError, IdentityError
from cmtk.store import identity, paths
from cmtk.store.session import Store
from cmtk.team import conflicts as conflicts_module
from cmtk.team import merge_driver as merge_driver_module
from cmtk.team import remotes as remotes_module
from cmtk.team import roster as team_module
from cmtk.team import sync as sync_module

remote_app = typer.Typer(
    help="Where this store syncs to: an office server, a shared folder or a USB stick.", no_args_is_help=True
)


def register(root: typer.Typer) -> None:
    root.add_typer(remote_app, name="remote")
    root.command("sync")(sync)
    root.command("clone")(clone)
    root.command("conflicts")(conflicts)
    root.command("resolve")(resolve)
    root.command("merge-driver", hidden=True)(merge_driver)


@remote_app.command("add")
def remote_add(
    ctx: typer.Context,
    name: str = argument("A short name for it, e.g. office or usb."),
    url: str = argument("A folder (shared drive), user@server:path (ssh), or a FILE.age on a USB stick."),
    bundle: bool | None = typer.Option(
        None,
        "--bundle/--repository",
        help="Force an encrypted bundle file or a git repository (default: a .age name means a bundle).",
    ),
) -> None:
    """Add a place to sync with. A .age file name makes an encrypted bundle: it shows nothing to whoever
    finds the stick."""

    store = open_store(ctx)
    remote, note = remotes_module.add_remote(store, name, url, bundle)
    kind = "encrypted bundle" if remote.bundle else "git repository"
    typer.echo(f"Added remote {remote.name}: {kind} at {remote.url}")
    if note:
        typer.echo(f"  ({note})")
    if not remote.bundle:
        typer.echo(
            "  A shared repository shows file names, sizes, dates and team names (never case content); "
            "on a USB stick prefer a .age bundle."
        )
    typer.echo(f"Next: `cmtk sync {remote.name}`.")


@remote_app.command("list")
def remote_list(ctx: typer.Context) -> None:
    """List the remotes of this store."""

    store = open_store(ctx)
    found = remotes_module.remotes(store)
    if not found:
        typer.echo("No remotes yet; add one with `cmtk remote add NAME URL`.")
    for remote in found:
        typer.echo(f"{remote.name}\t{'bundle' if remote.bundle else 'repository'}\t{remote.url}")


@remote_app.command("remove")
def remote_remove(ctx: typer.Context, name: str = argument("The remote to forget.")) -> None:
    """Forget a remote (nothing is deleted there)."""

    store = open_store(ctx)
    remotes_module.remove_remote(store, name)
    typer.echo(f"Removed remote {name}; nothing was deleted at its location.")


def sync(
    ctx: typer.Context,
    name: str | None = typer.Argument(None, help="The remote (default: the only one)."),
    accept_team: bool = switch(
        "--accept-team", "Accept team members the other copy added (check their keys with them first)."
    ),
    new_bundle: bool = switch(
        "--new-bundle", "Start a new bundle file on an empty USB stick for a remote used before."
    ),
    accept_settings: bool = switch(
        "--accept-settings", "Accept changed settings, policy or forms from the other copy (check them first)."
    ),
) -> None:
    """Exchange changes with a remote: fetch, merge record by record, send back. Safe to run again after a failure."""

    def confirm(members) -> bool:
        for member in members:
            typer.echo(f"  NEW team member from the other copy: {member.name}\t{member.public}")
        if accept_team:
            return True
        return is_terminal() and typer.confirm("Encrypt this store's keys to them too?", default=False)

    def confirm_settings(paths, diff) -> bool:
        typer.echo(f"The other copy changed {', '.join(paths)}:")
        typer.echo(diff.rstrip())
        if accept_settings:
            return True
        return is_terminal() and typer.confirm("Use these settings on this laptop too?", default=False)

    session = open_session(ctx)
    outcome = sync_module.sync(
        session,
        name,
        say=lambda text: typer.echo(text, err=True),
        confirm_team=confirm,
        new_bundle=new_bundle,
        confirm_settings=confirm_settings,
    )
    if outcome.finished_interrupted:
        typer.echo("Finished a sync that had been interrupted.")
    if outcome.finished_git_merge:
        typer.echo("Finished a `git merge` or `git pull` that had stopped, with cmtk's own merge.")
    if outcome.redone_merges:
        typer.echo(f"Merged again {outcome.redone_merges} merge(s) made with git by hand, with cmtk's own merge.")
    typer.echo(f"Synced with {outcome.remote}: received {outcome.received} change(s), sent {outcome.sent}.")
    if outcome.merged_records:
        typer.echo(f"  {outcome.merged_records} record(s) changed on both sides were merged field by field.")
    if outcome.new_generation:
        typer.echo(
            f"  Both copies had removed team members: made store key generation {outcome.new_generation} "
            "for the merged team."
        )
    if outcome.reencrypted:
        typer.echo(f"  {outcome.reencrypted} record(s) re-encrypted to the team's newest store key.")
    if outcome.conflicts:
        typer.echo(
            f"  {len(outcome.conflicts)} field(s) were changed differently on both sides: the newer value was kept."
        )
    if outcome.open_conflicts:
        typer.echo(
            f"  {outcome.open_conflicts} field(s) in what this sync brought wait for a choice between two "
            "values: `cmtk conflicts`, then `cmtk resolve`."
        )
    # A removal that arrives is always said, also when new members were accepted during the sync (review 4, M4).
    if outcome.team_removed or (outcome.team_added and not outcome.team_confirmed):
        for member in outcome.team_added if not outcome.team_confirmed else []:
            typer.echo(f"  The team list changed: NEW member {member}.")
        former = team_module.former_names(session.store) if outcome.team_removed else {}
        for key in outcome.team_removed:
            typer.echo(f"  The team list changed: REMOVED {former.get(key, 'a member')} (key {key[:20]}...)")
        check = "Check the new keys with their owners, then accept" if outcome.team_added else "Accept the change"
        if not outcome.team_confirmed:
            typer.echo(f"  {check} with `cmtk team trust`.")


def clone(
    ctx: typer.Context,
    url: str = argument("Where the team's store is: a folder, user@server:path, or a FILE.age bundle."),
    path: Path = argument("New folder for your copy."),
    expect: str | None = value_option(
        "--expect",
        "The store's fingerprint from `cmtk team fingerprint` on a laptop you trust; "
        "the copy is refused if it differs.",
        "FINGERPRINT",
    ),
) -> None:
    """Make your own copy of the team's store, ready for `cmtk sync`."""

    identity_file = paths.identity_path(options(ctx).get("identity"))
    if not identity_file.exists():
        raise IdentityError.of("clone-no-identity", identity_file=identity_file)
    me = identity.load(identity_file)
    copy = remotes_module.clone(url, paths.expand(path).resolve(), me, expect=expect)
    typer.echo(f"Copied the store into {copy.store.root}; it syncs with `cmtk sync` (remote: origin).")
    typer.echo(f"You are {copy.member} in this team. Store fingerprint: {copy.fingerprint}")
    if expect is None:
        typer.echo("Check it matches `cmtk team fingerprint` on your case manager's laptop before you record anything.")


@json_keys(
    [
        {
            "subject": "id",
            "number": "int",
            "form": "text",
            "date": "date|null",
            "record": "id",
            "field": "text",
            "kept": "any",
            "kept_by": "text",
            "other": "any",
            "other_by": "text",
        }
    ]
)
def conflicts(
    ctx: typer.Context,
    case_id: str | None = typer.Argument(None, metavar="[CASE]", help="One case or conference (default: all)."),
    output_format: OutputFormat = Format.table,
) -> None:
    """List fields that two people changed differently before a sync: the value kept and the other one."""

    emit(conflicts_module.listing(open_session(ctx), case_id), output_format, _conflicts_table)


def _conflicts_table(found: conflicts_module.ConflictList) -> list[str]:
    if not found.conflicts:
        return ["No conflicts." if found.subject is None else f"No conflicts in {found.subject}."]
    lines = []
    for item in found.conflicts:
        when = item.date.isoformat() if item.date else "-"
        lines.append(f"{item.subject} #{item.number}  {item.form} {when} (record {item.record})  {item.field}")
        lines.append(f"    kept:  {_show(item.kept)}{_who(item.kept_by)}")
        lines.append(f"    other: {_show(item.other)}{_who(item.other_by)}")
    return [
        *lines,
        "kept: the value saved last to that field (each field goes by its own last save); "
        "other: saved on another copy, listed until you choose.",
        "Choose with `cmtk resolve CASE NUMBER --take kept|other`.",
    ]


def _who(by: str) -> str:
    return f"   ({by})" if by else ""


def _show(value) -> str:
    if value is None:
        return "(empty)"
    text = str(value).replace("\n", " / ")
    return text if len(text) <= 200 else text[:197] + "..."


def resolve(
    ctx: typer.Context,
    case_id: str = argument("The case or conference.", "CASE"),
    number: int = argument("The conflict's number from `cmtk conflicts CASE`."),
    take: str = value_option("--take", "Keep the merged value, or use the other one.", "kept|other", required=True),
) -> None:
    """Settle one conflict: keep the value the sync kept, or take the other one (one commit)."""

    session = open_session(ctx)
    chosen, value = conflicts_module.resolve(session, case_id, number, take)
    typer.echo(f"Resolved {chosen.subject} #{number}: {chosen.field} is now {_show(value)}.")


def merge_driver(
    base: Path = typer.Argument(...),
    ours: Path = typer.Argument(...),
    theirs: Path = typer.Argument(...),
    path: str = typer.Argument("record"),
) -> None:
    """Git's merge driver for .age records (set up by init and clone; `cmtk sync` does not need it)."""

    store = Store.open(".")
    try:
        session = store.unlock()

        fields = merge_driver_module.merge_driver(session, base, ours, theirs, path)
    except Exception as error:  # noqa: BLE001 - git treats a non-zero exit as a conflict and keeps our ciphertext
        reason = error.message if isinstance(error, CmtkError) else type(error).__name__
        print(f"cmtk merge-driver: {path}: {reason}; kept this laptop's version", file=sys.stderr)
        raise typer.Exit(1) from None
    if fields:
        print(f"cmtk: {path}: {len(fields)} field(s) changed on both sides; see `cmtk conflicts`", file=sys.stderr)
