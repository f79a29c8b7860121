"""`cmtk attach` and `cmtk attachment ...`: scans and photos kept encrypted with a case."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from cmtk import dates
from cmtk.casework import attachments, cases
from cmtk.casework import policy as policy_module
from cmtk.cli.common import open_session, store_root, warn
from cmtk.cli.options import argument, case_argument, date_option, output_option, switch, value_option
from cmtk.errors import UsageError
from cmtk.output import userfiles
from cmtk.store import ids

app = typer.Typer(
    help="A case's attached scans and photos: list them, get one back, void one, choose the profile photo.",
    no_args_is_help=True,
)


def _attachment_argument(help: str):
    return typer.Argument(..., metavar="ATTACHMENT", help=help)


def attach(
    ctx: typer.Context,
    case: str = case_argument("Case id, e.g. K7Q2MX4P."),
    file: Path = argument("The scan or photo: PDF, JPEG or PNG (any file for other).", "FILE"),
    kind: str = value_option(
        "--kind",
        "What it is: consent, approval-letter, birth-certificate, school-report, photo, medical or other "
        "(the store's policy may add kinds).",
        "KIND",
        required=True,
    ),
    about: str | None = value_option(
        "--about", "The record it belongs to: a record id, or a form id for its latest record.", "RECORD"
    ),
    note: str | None = value_option(
        "--note", "A short note; leave names out of it (the shell keeps its history).", "TEXT"
    ),
    date: str | None = date_option("Date of the document, e.g. when it was signed (default: today)."),
    profile: bool = switch(
        "--profile", "This photo is the child's profile photo (printed on the identification form)."
    ),
) -> None:
    """Keep a scan or photo with a case, encrypted like its records (the original file is left where it is).

    JPEG, PNG and PDF files are checked to be what their names say; a PDF
    that carries script or launches programs is refused. Location, device and
    other metadata are taken out of images first. The file is padded, so its
    size says little, and committed under an opaque name.
    """

    case_id = ids.normalise_case_id(case)
    session = open_session(ctx)
    when = session.store.optional_date(date, "--date")
    done = attachments.attach(
        session, case_id, file, kind, about=about, note=note, date=when, profile=profile, today=dates.today()
    )
    found = done.attachment
    typer.echo(f"Attached {found.kind} to case {case_id} as attachment {found.id} ({found.describe()}).")
    if done.checked.removed:
        typer.echo(f"Removed from the image before it was stored: {', '.join(done.checked.removed)}.")
    if found.profile:
        typer.echo("It is the child's profile photo: filled identification forms print it in the photo box.")
    warn(
        f"{file} is still on this computer, readable by anyone who opens it: once you have checked the "
        f"attachment (`cmtk attachment get {case_id} {found.id} -o FILE`), delete it or keep the paper locked away."
    )


@app.command("list")
def attachment_list(
    ctx: typer.Context,
    case: str = case_argument(),
    output_format: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """The case's attachments, with what each is; voided ones are marked."""

    if output_format not in ("table", "json"):
        raise UsageError.of("attach-format-option", output_format=output_format)
    case_id = ids.normalise_case_id(case)
    session = open_session(ctx)
    found = attachments.of_case(cases.read_case(session, case_id))
    if output_format == "json":
        typer.echo(json.dumps([_json(a) for a in found], ensure_ascii=False, indent=2))
        return
    if not found:
        typer.echo(f"Case {case_id} has no attachments. Add one with `cmtk attach {case_id} FILE --kind KIND`.")
        return
    for line in table(found):
        typer.echo(line)


def table(found: list[attachments.Attachment]) -> list[str]:
    """Aligned lines, one per attachment (also `cmtk case show`)."""
    lines = [f"{'DATE':<12}{'KIND':<19}{'ATTACHMENT':<12}WHAT"]
    for item in found:
        when = item.date.isoformat() if item.date else "-"
        what = item.describe()
        if item.profile:
            what += "; profile photo"
        if item.about:
            what += f"; about record {item.about}"
        if item.note:
            what += f"; {item.note}"
        if item.voided:
            what = f"VOID ({item.voided.get('reason', '')}): {what}"
        lines.append(f"{when:<12}{item.kind:<19}{item.id:<12}{what}")
    return lines


def _json(item: attachments.Attachment) -> dict:
    info = item.info
    return {
        "attachment": item.id,
        "date": item.date.isoformat() if item.date else None,
        "kind": item.kind,
        "type": item.type,
        "media_type": item.media_type,
        "size": item.size,
        "pages": info.get("pages"),
        "about": item.about,
        "note": item.note or None,
        "profile": item.profile,
        "metadata_removed": info.get("metadata_removed") or [],
        "void": {k: str(v) for k, v in item.voided.items()} if item.voided else None,
        "by": item.record.created_by,
    }


@app.command("get")
def attachment_get(
    ctx: typer.Context,
    case: str = case_argument(),
    attachment_id: str = _attachment_argument("Attachment id (see `cmtk attachment list`)."),
    output: Path = output_option(
        "Where to write the file (readable by you only). Never inside the store, never over an existing file.",
        required=True,
    ),
) -> None:
    """Write an attached file back out, decrypted, to look at or print it."""

    case_id = ids.normalise_case_id(case)
    session = open_session(ctx)
    found = attachments.find(cases.read_case(session, case_id), attachment_id)
    userfiles.check_new(output, session.store.root, "--output")  # before decrypting anything
    data = attachments.content(session, found)
    path = userfiles.write_new(output, data, session.store.root, "--output")
    typer.echo(f"Wrote {path}: the {found.kind} of case {case_id} ({found.describe()}).")
    if found.voided:
        warn(f"attachment {found.id} is void: {found.voided.get('reason', '')}")
    warn(f"{path} is not encrypted: delete it when you are done, or keep it where paper case files are locked away.")


@app.command("void")
def attachment_void(
    ctx: typer.Context,
    case: str = case_argument(),
    attachment_id: str = _attachment_argument("Attachment id."),
    reason: str = value_option(
        "--reason", "Why it is void, e.g. 'wrong child' or 'unreadable'.", "TEXT", required=True
    ),
) -> None:
    """Mark an attachment void: it stays in the history, but leaves the case file and its printouts."""

    case_id = ids.normalise_case_id(case)
    session = open_session(ctx)
    found = attachments.void(session, case_id, attachment_id, reason, today=dates.today())
    typer.echo(f"Attachment {found.id} of case {case_id} is void; it stays in the store's history.")


@app.command("profile")
def attachment_profile(
    ctx: typer.Context,
    case: str = case_argument(),
    attachment_id: str = _attachment_argument("Attachment id of a photo."),
) -> None:
    """Make a photo the child's profile photo, printed in the photo box of the identification form."""

    case_id = ids.normalise_case_id(case)
    session = open_session(ctx)
    found = attachments.mark_profile(session, case_id, attachment_id)
    typer.echo(f"Attachment {found.id} is now the profile photo of case {case_id}.")


@app.command("kinds")
def attachment_kinds(ctx: typer.Context) -> None:
    """The kinds of attachment this store knows, and which files each may be."""

    for kind in attachments.kinds(policy_module.load(store_root(ctx))).values():
        typer.echo(f"{kind.id:<19}{', '.join(kind.types):<16}{kind.label.en}")


def register(root: typer.Typer) -> None:
    root.command("attach")(attach)
    root.add_typer(app, name="attachment")
