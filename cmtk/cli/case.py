"""`cmtk case`: list and show cases."""

from __future__ import annotations

import typer

from cmtk.cli.common import open_session

app = typer.Typer(help="Cases: one per child.", no_args_is_help=True)


@app.command("list")
def case_list(ctx: typer.Context) -> None:
    """List the cases of the store with when they were opened."""
    from cmtk import cases

    session = open_session(ctx)
    ids = session.store.case_ids()
    if not ids:
        typer.echo("No cases yet. Open one with `cmtk case new`.")
        return
    typer.echo(f"{'CASE':<10}{'OPENED':<12}{'RECORDS':>8}  LAST")
    for case_id in ids:
        summary = cases.summarise(session, case_id)
        opened = summary.opened.isoformat() if summary.opened else "-"
        last = summary.last_date.isoformat() if summary.last_date else "-"
        typer.echo(f"{case_id:<10}{opened:<12}{summary.records:>8}  {last}")
    typer.echo(f"{len(ids)} case(s).")


@app.command("show")
def case_show(ctx: typer.Context, case: str = typer.Argument(..., help="Case id, e.g. K7Q2MX4P.")) -> None:
    """Show a case's records, decrypted in memory."""
    from cmtk import ids, yamlio

    case_id = ids.normalise_case_id(case)
    session = open_session(ctx)
    found = session.case_records(case_id)
    typer.echo(f"Case {case_id}: {len(found)} record(s)")
    for record in found:
        when = record.date.isoformat() if record.date else "-"
        typer.echo(f"\n== {record.form} ({when}, by {record.created_by}, record {record.record})")
        typer.echo(yamlio.dumps(record.body).rstrip())
