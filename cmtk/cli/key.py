"""`cmtk key`: your own age identity."""

from __future__ import annotations

import typer

from cmtk.cli.common import open_store, options
from cmtk.cli.options import argument, switch
from cmtk.cli.store import _new_identity
from cmtk.store import identity, paths, signing
from cmtk.store.paths import find_store

app = typer.Typer(help="Your own key (age identity): make one or show its public half.", no_args_is_help=True)


@app.command("new")
def key_new(
    ctx: typer.Context,
    passphrase: bool = switch("--passphrase", "Protect the identity with a passphrase (age's own format)."),
    weak_passphrase: bool = switch("--weak-passphrase", "Accept a passphrase that is easy to guess (not recommended)."),
) -> None:
    """Make a new identity in your config folder (or at --identity) and print its public key."""

    path = paths.identity_path(options(ctx).get("identity"))
    pair = _new_identity(path, passphrase, weak_passphrase)
    typer.echo(f"Public key (give this to your case manager): {pair.public}")


@app.command("show")
def key_show(ctx: typer.Context) -> None:
    """Show where your identity is, its public key and whether it has a passphrase."""

    store_root = None
    try:
        store_root = find_store(options(ctx).get("store"))
    except Exception:  # noqa: BLE001 - outside a store is fine here
        store_root = None
    path = paths.identity_path(options(ctx).get("identity"), store_root)
    protected = path.exists() and identity.is_protected(path)
    pair = identity.load(path)
    typer.echo(f"Identity:   {path}")
    typer.echo(f"Passphrase: {'yes' if protected else 'no'}")
    typer.echo(f"Public key: {pair.public}")
    typer.echo(f"Signing key: {signing.signing_public(pair)}  (receivers of your shares accept it once)")


@app.command("accept")
def key_accept(
    ctx: typer.Context,
    name: str = argument("Who the key belongs to, as imports will name them."),
    signing_key: str = argument(
        "Their signing key (cmtk-sign-...), from `cmtk key show` on their laptop.", "SIGNING-KEY"
    ),
) -> None:
    """Accept a sender's signing key: shares they sign are then imported as theirs (check it with them first)."""
    store = open_store(ctx)
    signing.accept_sender(store.root, name, signing_key)
    typer.echo(f"Accepted {signing_key.strip()} as {name.strip()} for shares imported into this store.")
