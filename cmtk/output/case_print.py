"""`cmtk case print`: the whole case file as one document, in HTML (to print from a browser) or PDF.

A cover (the child, the caseworker, the step, the dates opened, placed and closed, the profile photo)
with the Case File Checklist (SOP 6) ticked from the records; a timeline; every record as its filled
form, in date order; and the attached files: images placed on pages, PDFs on pages of their own. The
case id and the page number are on every page.

PDFs are placed after WeasyPrint has laid out the document: it leaves one empty page for each page of
each attached PDF (found again by its anchor), and pypdf draws the attached page, scaled to fit, inside
that page's margins, so the running header, the case id and "Page n of N" are printed around it.
Each attached PDF is checked again first (no script, no launch action) and its annotations are not
copied: only what is printed on the page is.

`--redact` prints names as initials, leaves contact details and every attached file out (scans carry
names that cannot be found in an image), for presenting a case at a conference.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cmtk import dates
from cmtk.casework import attachments, case_file, cases, file_checks, workflow
from cmtk.casework import policy as policy_module
from cmtk.errors import CmtkError, UsageError
from cmtk.forms import definitions
from cmtk.output import render
from cmtk.store.session import Session

FORMATS = ("html", "pdf")
PHOTO_PIXELS = 600
SCAN_PIXELS = 3600  # an A4 page scanned at 300 dpi (3508 pixels high) goes in as it is, not encoded again
BODY_INSET = 6.0  # points between the page's margins and an attached PDF page drawn inside them


@dataclass(frozen=True)
class Printed:
    data: bytes
    records: int
    attached: int  # attached files printed (images placed, PDF pages appended)
    left_out: int  # attached files listed but not printed (redacted, or PDFs in HTML)
    pages: int | None  # PDF only


def print_case(
    session: Session,
    case_id: str,
    *,
    output_format: str = "pdf",
    redact: bool = False,
    since: _dt.date | None = None,
    lang: str = "en",
    today: _dt.date | None = None,
    full: bool = False,
) -> Printed:
    """The case file as HTML or PDF bytes (nothing is written: the caller writes the user's file)."""
    if output_format not in FORMATS:
        raise UsageError.of("format-option", output_format=output_format, formats=", ".join(FORMATS))
    if lang not in definitions.LANGUAGES:
        raise UsageError.of("lang-option", lang=lang, languages=", ".join(definitions.LANGUAGES))
    store = session.store
    today = today or dates.today()
    case = cases.read_case(session, case_id)
    policy = policy_module.load(store.root)
    flow = policy_module.workflow(policy)
    chosen = case_file.printable_records(case, since)
    forms = {f: definitions.load_form(f, store.root) for f in dict.fromkeys(r.form for r in case.forms())}
    redactor = case_file.Redactor(policy, forms, case) if redact else None
    kinds = attachments.kinds(policy)
    name = (lambda text: case_file.initials(text)) if redactor else (lambda text: str(text or ""))

    profile = None if redact else attachments.profile_photo(case)
    photo = (
        render.image_uri(attachments.content(session, profile), profile.media_type, PHOTO_PIXELS) if profile else None
    )
    bio = case.biographical
    details = []
    if bio.get("nickname"):
        details.append(("Nickname", name(bio["nickname"])))
    for key, label in (("sex", "Sex"), ("date_of_birth", "Date of birth"), ("estimated_age", "Estimated age")):
        if bio.get(key):
            details.append((label, render.plain(bio[key])))
    dates_of = case_file.key_dates(case)
    step = workflow.step_of(case)
    cover = {
        "name": name(case.name) if case.name else "",
        "details": details,
        "worker": name(case.worker),
        "step": step,
        "step_name": workflow.step_info(flow, step)["name"],
        "status": case.status,
        "opened": dates_of.opened,
        "placed": dates_of.placed,
        "closed": dates_of.closed,
        "photo": photo,
    }
    step_names = {s["number"]: s["name"] for s in flow["steps"]}
    events = case_file.timeline(
        case, step_names, {f: form.title.en for f, form in forms.items()}, {k: v.label.en for k, v in kinds.items()}
    )
    if since is not None:
        events = [e for e in events if e.date is None or e.date >= since]
    if redactor:
        events = [case_file.Event(e.date, redactor.text(e.what)) for e in events]

    records = []
    for record in chosen:
        form = forms[record.form]
        body = redactor.body(form, record.body) if redactor else record.body
        parts = render.parts(form, body)
        records.append(
            {
                "form": form,
                "parts": parts if full else answered_only(parts),
                "record": record.record,
                "date": record.date,
                "by": name(record.created_by),
                "updated": (record.updated or "")[:10],
                "updated_by": name(record.updated_by),
            }
        )

    attached, appended, left_out = [], [], 0
    for item in attachments.of_case(case):
        if item.voided or (since is not None and item.date and item.date < since):
            continue
        kind = kinds.get(item.kind)
        entry: dict[str, Any] = {
            "id": item.id,
            "kind": kind.label.get(lang) if kind else item.kind,
            "date": item.date,
            "describe": item.describe(),
            "note": redactor.text(item.note) if redactor else item.note,
            "about": item.about,
            "image": None,
            "pages": None,
            "left_out": "",
        }
        if redact:
            entry["left_out"] = (
                "Not printed in a redacted file: a scan or photo carries names that cannot be found in it."
            )
            left_out += 1
        elif item.is_image:
            entry["image"] = render.image_uri(attachments.content(session, item), item.media_type, SCAN_PIXELS)
        elif item.type == file_checks.PDF and output_format == "pdf":
            data = attachments.content(session, item)
            count = file_checks.check_pdf(data, f"attachment {item.id}").pages or 0  # again: it may have come by sync
            entry["pages"] = [f"appended-{item.id}-{n}" for n in range(count)]
            appended.append((item.id, data))
        else:
            what = "a PDF" if item.type == file_checks.PDF else f"a .{item.extension} file"
            how = " (or print the case file as PDF, which includes it)" if item.type == file_checks.PDF else ""
            entry["left_out"] = (
                f"This is {what}; it is not shown here. Print it from the file that "
                f"`cmtk attachment get {case.id} {item.id} -o FILE` writes{how}."
            )
            left_out += 1
        attached.append(entry)

    templates = render.override_dir(store.root)
    html = render.render_page(
        "case_file.html.j2",
        {
            "case_id": case.id,
            "organisation": str(store.settings.get("organisation") or ""),
            "training": store.training,
            "redacted": redact,
            "printed": today,
            "full": full,
            "since": since,
            "cover": cover,
            "checklist": case_file.checklist(case, policy, _checklist_form(store.root)),
            "timeline": events,
            "records": records,
            "attached": attached,
            "css": render.template_text(templates, "print.css"),
            "case_css": render.template_text(templates, "case_file.css"),
        },
        lang=lang,
        templates=templates,
    )
    printed = len(attached) - left_out
    if output_format == "html":
        return Printed(html.encode("utf-8"), len(records), printed, left_out, None)
    document = render.pdf_document(html)
    data = _place_pdfs(document, appended)
    return Printed(data, len(records), printed, left_out, len(document.pages))


def answered(value: Any) -> bool:
    """A value someone wrote: No (False), 0 and a date are answers; empty text, lists and mappings are not."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, dict):
        return any(answered(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(answered(v) for v in value)
    return True


def answered_only(parts: list[render.Part]) -> list[render.Part]:
    """A filled form without its unanswered questions (and without sections left empty): the case file is
    read, not filled in by hand, and the blank lines of every form would make it several times longer."""
    kept = []
    for part in parts:
        found = []
        for block in part.blocks:
            if block.kind == "indicator_grid":
                rows = tuple((f, v) for f, v in block.rows if answered(v))
                if rows:
                    found.append(dataclasses.replace(block, rows=rows))
            elif block.kind != "note" and answered(block.value):
                found.append(block)
        for index, block in enumerate(found):  # a group under "If yes:" opens and closes around what is left
            if block.condition:
                before = found[index - 1].condition if index else ()
                after = found[index + 1].condition if index + 1 < len(found) else ()
                found[index] = dataclasses.replace(
                    block, opens=block.condition != before, closes=block.condition != after
                )
        if found:
            kept.append(dataclasses.replace(part, blocks=tuple(found)))
    return kept


def _checklist_form(root: Path) -> definitions.FormDef | None:
    """The case-file-checklist form, whose questions name the checklist's items (None if a store has none)."""
    try:
        return definitions.load_form(case_file.CHECKLIST_FORM, root)
    except CmtkError:
        return None


def _place_pdfs(document, appended: list[tuple[str, bytes]]) -> bytes:
    """The laid-out document as PDF, with each attached PDF's pages drawn on the pages left for them."""
    main = document.write_pdf()
    if not appended:
        return main
    from pypdf import PdfReader, PdfWriter, Transformation  # only a case file with attached PDFs needs it
    from pypdf.generic import NameObject

    where = {name: number for number, page in enumerate(document.pages) for name in page.anchors}
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(main)))
    for attachment_id, data in appended:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            reader.decrypt("")
        source = PdfWriter(clone_from=reader)  # pages attached to a writer can be transformed
        for number, page in enumerate(source.pages):
            index = where.get(f"appended-{attachment_id}-{number}")
            if index is None:
                raise CmtkError.of("print-page-unplaced", attachment_id=attachment_id, number=number + 1)
            if "/Annots" in page:
                del page[NameObject("/Annots")]  # links and form fields: only what is printed goes in
            page.transfer_rotation_to_content()
            target = writer.pages[index]
            box, area = page.cropbox, _body_area(target)
            width, height = float(box.width), float(box.height)
            if width <= 0 or height <= 0:
                continue
            scale = min((area[2] - area[0]) / width, (area[3] - area[1]) / height)
            x = area[0] + ((area[2] - area[0]) - width * scale) / 2 - float(box.left) * scale
            y = area[1] + ((area[3] - area[1]) - height * scale) / 2 - float(box.bottom) * scale
            target.merge_transformed_page(page, Transformation().scale(scale).translate(x, y), over=False)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


_MM = 72 / 25.4


def _body_area(page) -> tuple[float, float, float, float]:
    """The part of an A4 page inside print.css's margins (20 mm top, 14 mm sides, 17 mm bottom), in points."""
    box = page.mediabox
    left, bottom = float(box.left), float(box.bottom)
    right, top = float(box.right), float(box.top)
    return (
        left + 14 * _MM + BODY_INSET,
        bottom + 17 * _MM + BODY_INSET,
        right - 14 * _MM - BODY_INSET,
        top - 20 * _MM - BODY_INSET,
    )


def default_format(given: str | None, output: Path) -> str:
    if given is not None:
        if given not in FORMATS:
            raise UsageError.of("print-format-option", given=given, formats=", ".join(FORMATS))
        return given
    suffix = output.suffix.lower()
    if suffix in (".html", ".htm"):
        return "html"
    if suffix == ".pdf":
        return "pdf"
    raise UsageError.of("output-suffix-unknown", output=output)
