"""`cmtk case import-sheet`: open many cases from a spreadsheet, all checked before any is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from cmtk import dates
from cmtk.cli.common import open_session, store_root
from cmtk.cli.options import argument, as_of_option, switch, value_option
from cmtk.forms import definitions
from cmtk.index import sheet_import
from cmtk.output import userfiles


def import_sheet(
    ctx: typer.Context,
    sheet_file: Path = argument("The register: a .csv or .xlsx file.", "FILE"),
    column_map: Path | None = value_option(
        "--map", "Which field each column fills (default: guessed from headings).", "MAP.yaml"
    ),
    write_map: Path | None = value_option(
        "--write-map", "Write a starting map from the sheet's headings, then stop.", "MAP.yaml"
    ),
    dry_run: bool = switch("--dry-run", "Check every row and say what would happen; write nothing."),
    keep_duplicates: bool = switch(
        "--keep-duplicates", "Also import rows that look like a child already in the store."
    ),
    as_of: str | None = as_of_option("Today's date for the checks."),
) -> None:
    """Open a case for each row of a spreadsheet: every row is checked first, then all are written in one commit."""
    sheet = sheet_import.read_sheet(sheet_file)
    form = definitions.load_form("identification", store_root(ctx))
    if write_map is not None:
        text = sheet_import.map_text(sheet_import.guess_map(sheet.headings, form), form)
        written = userfiles.write_new(write_map, text.encode("utf-8"), store_root(ctx), "--write-map")
        typer.echo(f"Wrote {written}: check each line (fields are listed at its end), then run with --map {written}.")
        return
    chosen = sheet_import.map_for(sheet, form, column_map)
    session = open_session(ctx)
    today = dates.today(as_of, order=session.store.date_order)
    with _progress(len(sheet.rows)) as advance:
        plan = sheet_import.plan_import(
            session, sheet, chosen, today=today, keep_duplicates=keep_duplicates, progress=advance
        )
    for row, resembles in plan.duplicates:
        typer.echo(f"row {row}: skipped, may be the same child as {resembles} (--keep-duplicates to import it)")
    if plan.empty_rows:
        typer.echo(f"{plan.empty_rows} empty row(s) skipped.")
    if dry_run:
        typer.echo(f"Every row passed: {len(plan.cases)} case(s) would be opened. Nothing was written (--dry-run).")
        return
    commit = sheet_import.write(session, plan)
    shown = f" in one commit ({commit[:10]})" if commit else ""
    typer.echo(f"Opened {len(plan.cases)} case(s){shown}. See them with `cmtk case list`.")
    typer.echo(f"{sheet_file} still holds the children's details unencrypted: delete it, or lock it away.")


class _progress:
    """A progress bar on a terminal; nothing when output is redirected."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.bar: Any = None

    def __enter__(self):
        import sys

        if sys.stderr.isatty() and self.total > 20:
            from rich.progress import Progress  # only for a terminal

            bar = self.bar = Progress(transient=True)
            bar.start()
            task = bar.add_task("Checking rows", total=self.total)
            return lambda done, total: bar.update(task, completed=done)
        return None

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


def register_case(case_app: typer.Typer) -> None:
    case_app.command("import-sheet")(import_sheet)
