"""`cmtk form render`: a printable form, blank or filled in from a case's latest record."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from cmtk.casework import attachments, cases
from cmtk.cli.common import open_session, options, store_root, warn
from cmtk.cli.options import argument, lang_option, output_option, value_option
from cmtk.errors import CmtkError, StoreNotFound, UsageError
from cmtk.forms import definitions
from cmtk.output import render
from cmtk.output.userfiles import write_replacing
from cmtk.store import ids
from cmtk.store.session import Store

FORMATS = ("html", "pdf", "md")
PHOTO_PIXELS = 600  # the longest side of a photo in the photo box: sharp at 35 x 45 mm
_SUFFIXES = {".html": "html", ".htm": "html", ".pdf": "pdf", ".md": "md"}


def register(app: typer.Typer) -> None:
    """Add `render` to the `form` command group."""
    app.command("render")(form_render)


def form_render(
    ctx: typer.Context,
    form_id: str = argument("Form id, e.g. identification (see `cmtk form list`).", "FORM"),
    case: str | None = value_option(
        "--case", "Fill the form in from this case's most recent record of it (needs your identity).", "CASE"
    ),
    output_format: str | None = value_option(
        "--format",
        "html (one self-contained page to print from a browser), pdf (needs the pdf extra: "
        "cmtk-reintegration[pdf]) or md. Default: from the -o file's extension, else html.",
        "html|pdf|md",
    ),
    output: Path | None = output_option("Write to FILE instead of standard output (required for pdf)."),
    lang: str = lang_option("Language of the labels: en or sw (English where a text has no Kiswahili)."),
) -> None:
    """Print a form on A4: blank to fill in by hand, or filled in from a case with --case.

    A filled form holds personal data in plain text: it is written to a file
    (or a pipe), never to the screen, and cmtk reminds you to keep it safe.
    """

    chosen = _format(output_format, output)
    if lang not in definitions.LANGUAGES:
        raise UsageError.of("lang-option", lang=lang, languages=", ".join(definitions.LANGUAGES))
    if chosen == "pdf" and output is None:
        raise UsageError.of("pdf-needs-output")
    if output is None and chosen == "html" and sys.stdout.isatty():
        raise UsageError.of("html-needs-output", form_id=form_id)
    if case is not None:
        page = _filled(ctx, form_id, case, output)
    else:
        page = _blank(ctx, form_id)
    if chosen == "md":
        page.pop("photo", None)  # a text file has no photo box
        text = render.render_markdown(page.pop("form"), lang=lang, **page)
        data = text.encode("utf-8")
    else:
        html = render.render_html(page.pop("form"), lang=lang, **page)
        data = render.render_pdf(html) if chosen == "pdf" else html.encode("utf-8")
    _emit(ctx, data, output)
    if case is not None:
        where = str(output) if output else "the output"
        warn(
            f"{where} holds a child's personal data in plain text, not encrypted: "
            "keep it where paper case files are locked away, and delete or shred it when done."
        )


def _format(given: str | None, output: Path | None) -> str:
    """--format if given, else the output file's extension, else HTML."""
    if given is not None:
        if given not in FORMATS:
            raise UsageError.of("print-format-option", given=given, formats=", ".join(FORMATS))
        return given
    if output is not None:
        return _SUFFIXES.get(output.suffix.lower(), "html")
    return "html"


def _blank(ctx: typer.Context, form_id: str) -> dict:
    """A blank form: the organisation's name and TRAINING mark come from the store, if there is one."""

    root = store_root(ctx)
    settings = Store(root).settings if root is not None else {}
    return {
        "form": definitions.load_form(form_id, root),
        "organisation": str(settings.get("organisation") or ""),
        "training": bool(settings.get("training", False)),
        "templates": render.override_dir(root),
    }


def _filled(ctx: typer.Context, form_id: str, case: str, output: Path | None) -> dict:
    """The case's most recent record of the form, ready to print."""

    case_id = ids.normalise_case_id(case)
    if output is None and sys.stdout.isatty():
        raise UsageError.of("filled-form-needs-output")
    session = open_session(ctx)
    store = session.store
    form = definitions.load_form(form_id, store.root)
    if form.subject != "case":
        raise UsageError.of("conference-form-no-case", id=form.id)
    found_case = cases.read_case(session, case_id)
    records = [r for r in found_case.records if r.form == form.id]  # voided ones left out
    if not records:
        raise CmtkError.of("filled-form-not-recorded", case_id=case_id, id=form.id)
    latest = records[-1]  # records are sorted by date, then creation
    photo = None
    if form.photo:
        found = attachments.profile_photo(found_case)
        if found is not None:
            photo = render.image_uri(attachments.content(session, found), found.media_type, PHOTO_PIXELS)
    return {
        "photo": photo,
        "form": form,
        "values": latest.body,
        "case_id": case_id,
        "record_date": latest.date,
        "organisation": str(store.settings.get("organisation") or ""),
        "training": store.training,
        "templates": render.override_dir(store.root),
    }


def _emit(ctx: typer.Context, data: bytes, output: Path | None) -> None:
    """Write to the file (readable by its owner only, never inside a store) or to standard output."""
    if output is None:
        typer.echo(data.decode("utf-8"), nl=False)
        return

    try:
        store_root = Store.open(options(ctx).get("store")).root
    except StoreNotFound:  # a blank form printed where there is no store
        store_root = None
    write_replacing(output, data, store_root, "-o")
