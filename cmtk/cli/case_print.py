"""`cmtk case print`: the whole case file as one document (PDF, or HTML to print from a browser)."""

from __future__ import annotations

from pathlib import Path

import typer

from cmtk import dates
from cmtk.cli.common import open_session, warn
from cmtk.cli.options import case_argument, lang_option, output_option, switch, value_option
from cmtk.output import case_print
from cmtk.output.userfiles import refuse_inside_store, write_replacing
from cmtk.store import ids


def print_case(
    ctx: typer.Context,
    case: str = case_argument("Case id, e.g. K7Q2MX4P."),
    output: Path = output_option(
        "The file to write: FILE.pdf or FILE.html (readable by you only, never inside the store).", required=True
    ),
    output_format: str | None = value_option(
        "--format", "pdf (needs cmtk[pdf]) or html. Default: from the -o file's extension.", "pdf|html"
    ),
    redact: bool = switch(
        "--redact",
        "Names as initials; contact details, photos and scans left out: for presenting at a case conference.",
    ),
    since: str | None = value_option(
        "--since", "Only records and attached files dated on or after DATE (the cover is whole).", "DATE"
    ),
    lang: str = lang_option("Language of the forms' labels: en or sw."),
    full: bool = switch("--full", "Print every question of each form, the unanswered ones too (a much longer file)."),
) -> None:
    """Print the whole case file as one document: a cover with the Case File Checklist (SOP 6), a
    timeline, every record as its filled form, and the attached scans and photos.

    The case id and the page number are on every page. The file holds the
    child's personal data in plain text (unless --redact): keep it where paper
    case files are locked away.
    """

    case_id = ids.normalise_case_id(case)
    chosen = case_print.default_format(output_format, output)
    session = open_session(ctx)
    refuse_inside_store(output, session.store.root, "-o")  # before any work
    day = session.store.optional_date(since, "--since")
    done = case_print.print_case(
        session, case_id, output_format=chosen, redact=redact, since=day, lang=lang, today=dates.today(), full=full
    )
    write_replacing(output, done.data, session.store.root, "-o")
    path = output  # as the user wrote it
    pages = f", {done.pages} pages" if done.pages else ""
    typer.echo(
        f"Wrote {path}: the case file of {case_id} ({done.records} record(s), {done.attached} attached file(s) "
        f"printed{pages})."
    )
    if done.left_out:
        typer.echo(f"{done.left_out} attached file(s) are listed but not printed in it (see the file).")
    if redact:
        warn(
            f"{path} shows names as initials and leaves contact details out; a name written only in free text "
            "cannot be recognised: read it before you present it."
        )
    else:
        warn(
            f"{path} holds a child's personal data in plain text, not encrypted: keep it where paper case "
            "files are locked away, and delete or shred it when done."
        )


def register_case(case_app: typer.Typer) -> None:
    """Add `print` to the `case` command group."""
    case_app.command("print")(print_case)
