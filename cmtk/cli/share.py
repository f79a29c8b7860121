"""`cmtk share` and `cmtk export`: records for another agency, aggregate figures for the national system."""

from __future__ import annotations

from pathlib import Path

import typer

from cmtk import dates
from cmtk.cli.common import open_session
from cmtk.cli.options import as_of_option, case_argument, output_option, value_option
from cmtk.errors import UsageError
from cmtk.output import export as export_module
from cmtk.output import sharing, userfiles
from cmtk.store import ids


def share(
    ctx: typer.Context,
    case: str = case_argument("Case id, e.g. K7Q2MX4P."),
    to: str = value_option(
        "--to",
        "The receiver's public key (age1...), as `cmtk key show` prints it on their laptop.",
        "AGE_PUBLIC_KEY",
        required=True,
    ),
    forms: str | None = value_option(
        "--forms",
        "Only these forms, separated by commas (default: every record of the case). "
        "The case file, which says the step, always goes with them.",
        "FORM[,FORM...]",
    ),
    attachments: str | None = value_option(
        "--attachments", "Attached files to send too, by id separated by commas, or all (default: none).", "ID[,ID...]"
    ),
    output: Path | None = output_option(
        "Where to write it (default: share-CASE-DATE.age in this folder). "
        "Never inside the store, never over an existing file."
    ),
) -> None:
    """Put a case's records in one encrypted file that only the receiving caseworker can open.

    Use it to send a case to a receiving agency or a case conference partner
    instead of a password-protected zip. Ask them for their public key first
    (`cmtk key show` on their laptop). They take it in with `cmtk case import
    FILE`; without cmtk, `age -d -i THEIR-IDENTITY FILE` opens it. Your store
    is not changed.
    """

    case_id = ids.normalise_case_id(case)
    sharing.recipient(to)  # a wrong key is refused before the identity is unlocked
    session = open_session(ctx)
    done = sharing.share_case(
        session, case_id, to, forms=forms, output=output, today=dates.today(), attachments=attachments
    )
    listed = ", ".join(done.forms) if done.forms else "no forms"
    files = f" and {done.attachments} attached file(s)" if done.attachments else ""
    typer.echo(f"Wrote {done.path}: {done.records} record(s) of case {done.case} (the case file and {listed}){files}.")
    typer.echo(f"It is encrypted to {done.recipient} only: nobody else can open it, not even you.")
    typer.echo(
        "It holds the child's personal data: send it to that person only, and ask them to delete it once imported."
    )


def export(
    ctx: typer.Context,
    as_of: str | None = as_of_option("Figures as at the end of this day (default: CMTK_TODAY, else today)."),
    output: Path | None = output_option(
        "Write to FILE (readable by you only) instead of the screen. "
        "Never inside the store, never over an existing file."
    ),
    output_format: str = typer.Option("csv", "--format", metavar="csv|json", help="csv (default) or json."),
) -> None:
    """Counts for the national system (CPIMS) or the sub-county children's officer, with no child identifiable.

    Open cases per step and status, overdue work by kind and benchmark
    achievement per domain. No names, case ids, birth dates or places below
    the county; the only date is the as-of date. See docs/sharing.md.
    """

    if output_format not in export_module.FORMATS:
        raise UsageError.of("format-option", output_format=output_format, formats=", ".join(export_module.FORMATS))
    session = open_session(ctx)
    store = session.store
    day = dates.today(as_of, order=store.date_order)
    if output is not None:
        userfiles.check_new(output, store.root, "--output")
    found = export_module.figures(session, day)
    text = export_module.render(found, day, store.settings, output_format)
    if output is None:
        typer.echo(text, nl=False)
        typer.echo(f"Aggregate figures as of {day.isoformat()} only: no names, case ids or birth dates.", err=True)
        return
    path = userfiles.write_new(output, text.encode("utf-8"), store.root, "--output")
    typer.echo(
        f"Wrote {path}: aggregate figures as of {day.isoformat()} only (counts; no names, case ids or birth dates).",
        err=True,
    )


def register(root: typer.Typer) -> None:
    """Attach this module's commands to the top-level app."""
    root.command("share")(share)
    root.command("export")(export)
