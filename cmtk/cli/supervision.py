"""`cmtk report supervision`: the page for a quarterly supervision and reflection session."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import typer

from cmtk import dates
from cmtk.cli.common import open_session
from cmtk.cli.output import emit_json, emit_rows
from cmtk.errors import UsageError
from cmtk.index import supervision
from cmtk.output import supervision_page

FORMATS = ("html", "json", "csv")


def report_supervision(
    ctx: typer.Context,
    start: str | None = typer.Option(None, "--from", metavar="DATE", help="First day (default: 3 months back)."),
    end: str | None = typer.Option(
        None, "--to", "--as-of", metavar="DATE", help="Last day (default: CMTK_TODAY, else today)."
    ),
    names: bool = typer.Option(False, "--names", help="Show children's names on the board (default: initials)."),
    output: Path | None = typer.Option(
        None, "-o", "--output", metavar="FILE", help="page.html or page.pdf to write (needed for the page)."
    ),
    output_format: str = typer.Option("html", "--format", help="html (the page, with -o), json or csv."),
) -> None:
    """Caseload, a board of cases by step, time in step, overdue work and monthly indicators, on one page."""
    if output_format not in FORMATS:
        raise UsageError(f"--format: '{output_format}' is not one of {', '.join(FORMATS)}")
    if output_format == "html" and output is None:
        raise UsageError("the supervision page is a file: add -o page.html or -o page.pdf (or --format json|csv)")
    session = open_session(ctx)
    last = dates.today(end, order=session.store.date_order)
    first = session.store.optional_date(start, "--from") or _three_months_before(last)
    if first > last:
        raise UsageError(f"--from {first.isoformat()} is after --to {last.isoformat()}")
    board = supervision.dashboard(session, first, last, names=names)
    if output_format == "json":
        emit_json(board.to_json())
    elif output_format == "csv":
        emit_rows(["indicator", "month", "done", "of", "percent"], board.rows(), "csv")
    else:
        assert output is not None
        supervision_page.write(
            board,
            output,
            organisation=str(session.store.settings.get("organisation", "")),
            training=session.store.training,
            store_root=session.store.root,
        )
        shown = "names" if names else "initials"
        typer.echo(f"Wrote {output}: it shows case ids and {shown}; keep it as you keep the case files.")


def _three_months_before(day: _dt.date) -> _dt.date:
    return dates.add_duration(day, {"months": 3}, sign=-1) + _dt.timedelta(days=1)


def register(report_app: typer.Typer) -> None:
    report_app.command("supervision")(report_supervision)
