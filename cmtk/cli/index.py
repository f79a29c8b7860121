"""`cmtk index`: the encrypted summary index that makes reports fast."""

from __future__ import annotations

import typer

from cmtk.cli.common import open_session
from cmtk.index import summary

app = typer.Typer(
    help="The encrypted summary index reports read (kept up to date by itself; rebuild it if in doubt).",
    no_args_is_help=True,
)


@app.command("rebuild")
def index_rebuild(
    ctx: typer.Context,
    processes: int | None = typer.Option(None, "--processes", "-j", help="Worker processes (default: one per core)."),
) -> None:
    """Read every case again and rewrite the summary index, on all cores, with a progress bar."""
    from rich.progress import Progress

    session = open_session(ctx)
    with Progress(transient=True) as bar:
        task = bar.add_task("Reading cases", total=None)
        count = summary.rebuild(
            session, processes=processes, progress=lambda done, total: bar.update(task, completed=done, total=total)
        )
    typer.echo(f"Summary index rebuilt from {count} case(s).")
