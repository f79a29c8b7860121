"""`cmtk report supervision`: the page for a quarterly supervision and reflection session."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import typer

from cmtk import dates
from cmtk.cli.common import open_session
from cmtk.cli.options import output_option, switch, value_option
from cmtk.cli.output import Format, OutputFormat, emit, json_keys
from cmtk.errors import UsageError
from cmtk.index import supervision
from cmtk.output import supervision_page

RATIO = {"done": "int", "of": "int", "percent": "int|null"}


@json_keys(
    {
        "from": "date",
        "to": "date",
        "commit": "text|null",
        "caseload_limit": "int",
        "caseload": {"<worker>": "int"},
        "board": {
            "<step>": [
                {"case": "id", "label": "text", "worker": "text", "days_in_step": "int", "expected_days": "int|null"}
            ]
        },
        "overdue": {"<worker>": "int"},
        "indicators": {"<indicator>": {"<month>": RATIO}},
    }
)
def report_supervision(
    ctx: typer.Context,
    start: str | None = value_option("--from", "First day (default: 3 months back).", "DATE"),
    end: str | None = typer.Option(
        None, "--to", "--as-of", metavar="DATE", help="Last day (default: CMTK_TODAY, else today)."
    ),
    names: bool = switch("--names", "Show children's names on the board (default: initials)."),
    output: Path | None = output_option("Write the page: page.html (for a browser) or page.pdf."),
    output_format: OutputFormat = Format.table,
) -> None:
    """Caseload, a board of cases by step, time in step, overdue work and monthly indicators, on one page."""
    session = open_session(ctx)
    today = dates.today(None, order=session.store.date_order)
    last = session.store.option_date(end, "--to (--as-of)") if end else today
    first = session.store.option_date(start, "--from") if start else _three_months_before(last)
    if first > last:
        raise UsageError.of("from-after-to", first=first.isoformat(), last=last.isoformat())
    board = supervision.dashboard(session, first, last, names=names)
    if output is None:
        emit(board, output_format, _table)
        return
    supervision_page.write(
        board,
        output,
        organisation=str(session.store.settings.get("organisation", "")),
        training=session.store.training,
        store_root=session.store.root,
    )
    shown = "names" if names else "initials"
    typer.echo(f"Wrote {output}: it shows case ids and {shown}; keep it as you keep the case files.")


def _table(board: supervision.Dashboard) -> list[str]:
    lines = [f"Supervision {board.start.isoformat()} to {board.end.isoformat()} (at most {board.limit} per worker)"]
    for worker, count in board.caseload.items():
        lines.append(f"  {worker:<24} {count:>3} open  {board.overdue.get(worker, 0):>3} overdue")
    lines.append("Indicators (% by month): " + "  ".join(m[5:] for m in board.months))
    for name, by_month in board.indicators.items():
        cells = "  ".join(f"{r.percent:>3}" if r.percent is not None else "  -" for r in by_month.values())
        lines.append(f"  {supervision.INDICATORS[name]:<52} {cells}")
    lines.append("The page with the board and charts: add -o page.html (or page.pdf).")
    return lines


def _three_months_before(day: _dt.date) -> _dt.date:
    return dates.add_duration(day, {"months": 3}, sign=-1) + _dt.timedelta(days=1)


def register(report_app: typer.Typer) -> None:
    report_app.command("supervision")(report_supervision)
