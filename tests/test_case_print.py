"""`cmtk case print` (issue 18, item 4) and the photo box (item 3): the whole case file as one document.

A cover with the checklist ticked from the records, a timeline, every record as its filled form, the
attached files (images placed, PDFs appended on pages of their own), the case id and page numbers on
every page; --redact leaves no name, contact detail or photo; HTML is self-contained.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from helpers import invoke, make_store, minimal_body, record_on
from test_attachments import jpeg_with_gps, png
from test_bad_input import fingerprint
from test_render import needs_weasyprint, squeezed

from cmtk.casework import attachments, case_file, cases
from cmtk.casework import policy as policy_module
from cmtk.forms import definitions
from cmtk.output import render

TODAY = dt.date(2026, 11, 24)
CHILD = ("Wambuikanyagi", "Zelenyongoro", "Kipepeo7Q")
MOTHER = "Nyokabirengo Achiengilla"
PHONE = "0722987654"
AUNT = "Chepkoechiwa"


@pytest.fixture
def world(tmp_path):
    session, key_path = make_store(tmp_path)
    body = minimal_body(
        "identification",
        {
            "biographical.first_name": CHILD[0],
            "biographical.surname": CHILD[1],
            "biographical.nickname": CHILD[2],
            "family_status.mother_name": MOTHER,
            "family_status.mother_phone": PHONE,
        },
    )
    case_id = cases.open_case(session, body, date=dt.date(2026, 10, 1), today=TODAY)
    cases.record_form(
        session,
        case_id,
        "case-notes",
        {
            "note": {
                "date": "2026-10-02",
                "text": f"{CHILD[0]} asked about her mother {MOTHER.split()[0]}; aunt {AUNT} called",
                "people_contacted": f"{AUNT} and the village elder",
            }
        },
        date=dt.date(2026, 10, 2),
        today=TODAY,
    )
    record_on(session, case_id, "child-assent", dt.date(2026, 10, 3), TODAY)
    files = tmp_path / "scans"
    files.mkdir()
    attachments.attach(session, case_id, jpeg_with_gps(files / "photo.jpg"), "photo", profile=True, today=TODAY)
    attachments.attach(
        session, case_id, _text_pdf(files / "consent.pdf", ["CONSENTPAGEONE", "CONSENTPAGETWO"]), "consent", today=TODAY
    )
    voided = attachments.attach(session, case_id, png(files / "wrong.png"), "other", today=TODAY)
    attachments.void(session, case_id, voided.attachment.id, "wrong child", today=TODAY)
    env = {"CMTK_STORE": str(session.store.root), "CMTK_IDENTITY": str(key_path), "CMTK_TODAY": TODAY.isoformat()}
    out = tmp_path / "out"
    out.mkdir()
    return session, case_id, env, out, voided.attachment.id


def _text_pdf(path, texts: list[str]):
    """A PDF whose pages carry words that can be found again in the printed file (letter size, not A4)."""
    import weasyprint

    pages = "".join(
        f'<p style="font-size:30pt;{"break-before:page" if n else ""}">{t}</p>' for n, t in enumerate(texts)
    )
    weasyprint.HTML(string=f"<style>@page {{ size: letter }}</style>{pages}").write_pdf(str(path))
    return path


def _pages(path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(str(path)).pages]


@needs_weasyprint
def test_the_whole_file_as_one_pdf_with_the_case_id_and_page_numbers_on_every_page(world):
    session, case_id, env, out, voided_id = world
    result = invoke(["case", "print", case_id, "-o", str(out / "file.pdf")], env=env)
    assert result.exit_code == 0, result.output
    assert "3 record(s), 2 attached file(s) printed" in result.output
    assert "personal data in plain text" in result.output
    pages = _pages(out / "file.pdf")
    total = len(pages)
    for number, text in enumerate(pages, start=1):
        flat = squeezed(text)
        assert squeezed(f"Case id: {case_id}") in flat, number
        assert squeezed(f"Page {number} of {total}") in flat, number
    whole = squeezed(" ".join(pages))
    for expected in ("Case file checklist (SOP 6)", "Timeline", "Child identification", "Case notes", CHILD[1]):
        assert squeezed(expected) in whole, expected
    # The attached PDF's two pages, each on a page of its own, inside the running header and footer.
    consent = [n for n, text in enumerate(pages) if "CONSENTPAGE" in text]
    assert len(consent) == 2 and consent[1] == consent[0] + 1
    assert "CONSENTPAGEONE" in pages[consent[0]] and "CONSENTPAGETWO" in pages[consent[1]]
    assert voided_id not in " ".join(pages)  # a void attachment is not part of the file
    from pypdf import PdfReader

    reader = PdfReader(str(out / "file.pdf"))
    for page in reader.pages:
        assert round(float(page.mediabox.width)) == 595 and round(float(page.mediabox.height)) == 842
    images = sum(len(page.images) for page in reader.pages)
    assert images >= 2  # the profile photo on the cover and the identification form, and the photo itself
    assert oct((out / "file.pdf").stat().st_mode & 0o777) == "0o600"


@needs_weasyprint
def test_the_checklist_is_ticked_from_the_records_and_attachments(world):
    session, case_id, env, out, _ = world
    form = definitions.load_form(case_file.CHECKLIST_FORM)
    case = cases.read_case(session, case_id)
    items = {i.label.en: i for i in case_file.checklist(case, policy_module.load(session.store.root), form)}
    assert items["Child identification form (1A)"].done and items["Child assent (3B)"].done
    assert items["Recent photograph of the child"].done
    assert items["Family consent (3A)"].evidence == ("consent attached 2026-11-24",)
    assert not items["Case plan with pre-placement goals (4A)"].done
    legal = "Court order, committal or police papers"
    assert not items[legal].done and not items[legal].evidence
    # What the case manager recorded on the case-file-checklist form counts too, and is shown.
    answers = {f.name: "no" for _, f in form.all_fields() if f.type == "yes_no_na"}
    answers.update(doc_legal="na", doc_identification="no")
    answers["checklist_date"] = dt.date(2026, 11, 20)
    cases.add_record(session, case_id, case_file.CHECKLIST_FORM, {"documents": answers}, dt.date(2026, 11, 20))
    case = cases.read_case(session, case_id)
    items = {i.label.en: i for i in case_file.checklist(case, policy_module.load(session.store.root), form)}
    assert items[legal].done and items[legal].evidence == ("N/A on the case file checklist of 2026-11-20",)
    assert items["Child identification form (1A)"].done  # the record is there, whatever the paper file lacks
    assert items["Child identification form (1A)"].evidence[-1] == "No on the case file checklist of 2026-11-20"
    assert not items["Case plan with pre-placement goals (4A)"].done


def test_html_is_self_contained_with_images_inline_and_pdfs_pointed_to(world):
    session, case_id, env, out, _ = world
    result = invoke(["case", "print", case_id, "-o", str(out / "file.html")], env=env)
    assert result.exit_code == 0, result.output
    html = (out / "file.html").read_text()
    assert render.check_self_contained(html)
    assert html.count("data:image/jpeg;base64,") >= 2  # cover photo, photo box, the photo's own page
    assert "<script" not in html and "http://" not in html and "https://" not in html
    assert "it is not shown here" in html and "cmtk attachment get" in html  # the consent PDF
    assert "1 attached file(s) are listed but not printed" in result.output


@needs_weasyprint
def test_redacted_file_holds_no_name_contact_detail_or_photo(world):
    session, case_id, env, out, _ = world
    for suffix in ("pdf", "html"):
        result = invoke(["case", "print", case_id, "--redact", "-o", str(out / f"r.{suffix}")], env=env)
        assert result.exit_code == 0, result.output
        assert "read it before you present it" in result.output
    text = " ".join(_pages(out / "r.pdf"))
    html = (out / "r.html").read_text()
    for shown in (text, html, squeezed(text)):
        for secret in (*CHILD, *MOTHER.split(), AUNT, PHONE, "Amina", "Otieno"):
            assert secret.lower() not in shown.lower(), secret
    assert "CONSENTPAGE" not in text  # scans carry names: none is printed
    assert "data:image" not in html
    assert "W. Z." in text and "REDACTED" in text
    assert "(left out)" in html


def test_since_prints_only_later_records_and_files(world):
    session, case_id, env, out, _ = world
    result = invoke(["case", "print", case_id, "--since", "03-10-2026", "-o", str(out / "s.html")], env=env)
    assert result.exit_code == 0, result.output
    assert "1 record(s)" in result.output
    html = (out / "s.html").read_text()
    assert "Child assent" in html and "Case notes</h1>" not in html
    assert "records and files since 03/10/2026" in html


def test_bad_input_is_one_line_and_writes_nothing(world):
    session, case_id, env, out, _ = world
    root = session.store.root
    before = fingerprint(root)
    cases_ = [
        (["case", "print", case_id, "-o", str(root / "x.pdf")], 1, "inside the store folder"),
        (["case", "print", case_id, "-o", str(out / "x.doc")], 2, "ends neither in .pdf nor in .html"),
        (["case", "print", case_id, "-o", str(out / "x.pdf"), "--format", "docx"], 2, "--format"),
        (["case", "print", "K7Q2MX4P", "-o", str(out / "x.pdf")], 1, "no case K7Q2MX4P"),
        (["case", "print", case_id, "-o", str(out / "x.pdf"), "--since", "31-02-2026"], 2, "--since"),
        (["case", "print", case_id, "-o", str(out / "x.html"), "--lang", "fr"], 2, "--lang"),
    ]
    for args, code, expected in cases_:
        result = invoke(args, env=env)
        assert result.exit_code == code, (args, result.output)
        errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and expected in errors[0], (args, result.output)
    assert fingerprint(root) == before
    assert sorted(p.name for p in out.iterdir()) == []


def test_redaction_rules():
    forms = {f: definitions.load_form(f) for f in ("identification", "case-notes")}
    body = minimal_body(
        "identification",
        {
            "biographical.first_name": "Pendo",
            "biographical.surname": "Wanjala-Simiyu",
            "family_status.mother_name": "Rehema Auma",
            "family_status.mother_phone": "0711000111",
            "family_status.relatives": [
                {"relative_name": "Baraka Odhiambo", "relative_phone": "0700", "relative_relationship": "uncle"}
            ],
        },
    )
    note = {"note": {"text": "Pendo met Rehema and Odhiambo; simiyu's friend too", "people_contacted": "Grace Njeri"}}
    from cmtk.store.records import Record

    case = cases.Case(
        "K7Q2MX4P",
        (
            Record("K7Q2MX4P", "A" * 10, "identification", body, TODAY, created_by="Amina Otieno"),
            Record("K7Q2MX4P", "B" * 10, "case-notes", note, TODAY, created_by="Amina Otieno"),
        ),
    )
    redactor = case_file.Redactor(policy_module.load(None), forms, case)
    bio = redactor.body(forms["identification"], body)
    assert bio["biographical"]["first_name"] == "P." and bio["biographical"]["surname"] == "W."
    assert bio["family_status"]["mother_name"] == "R. A." and bio["family_status"]["mother_phone"] == "(left out)"
    assert bio["family_status"]["relatives"][0] == {
        "relative_name": "B. O.",
        "relative_relationship": "uncle",
        "relative_location": None,
        "relative_phone": "(left out)",
    }
    text = redactor.body(forms["case-notes"], note)["note"]
    assert text["text"] == "P. met R. and O.; S.'s friend too"
    assert text["people_contacted"] == "G. N."
    assert case_file.initials("Pendo Wanjala Simiyu") == "P. W. S."


def test_photo_box_is_filled_from_the_profile_photo_and_empty_on_a_blank_form(world):
    session, case_id, env, out, _ = world
    filled = invoke(["form", "render", "identification", "--case", case_id, "-o", str(out / "f.html")], env=env)
    assert filled.exit_code == 0, filled.output
    html = (out / "f.html").read_text()
    photo = re.search(r'<div class="photo filled"><img src="(data:image/jpeg;base64,[^"]+)"', html)
    assert photo
    import base64

    from PIL import Image

    shown = Image.open(io.BytesIO(base64.b64decode(photo.group(1).split(",", 1)[1])))
    assert max(shown.size) <= 600 and shown.size[0] > shown.size[1]  # smaller, and turned as its orientation says
    blank = invoke(["form", "render", "identification", "-o", str(out / "b.html")], env=env)
    assert blank.exit_code == 0
    assert '<div class="photo">Photo</div>' in (out / "b.html").read_text()
    other = invoke(["form", "render", "child-assent", "--case", case_id, "-o", str(out / "c.html")], env=env)
    assert 'class="photo' not in (out / "c.html").read_text()
    assert other.exit_code == 0


def test_forms_show_their_answered_questions_and_full_prints_every_one(world):
    session, case_id, env, out, _ = world
    unanswered = "Birth certificate number"  # a question of the identification form this case left blank
    short = invoke(["case", "print", case_id, "-o", str(out / "short.html")], env=env)
    full = invoke(["case", "print", case_id, "--full", "-o", str(out / "full.html")], env=env)
    assert short.exit_code == 0 and full.exit_code == 0
    short_html, full_html = (out / "short.html").read_text(), (out / "full.html").read_text()
    assert unanswered not in short_html and unanswered in full_html
    assert "only the questions that were answered" in short_html and "only the questions" not in full_html
    assert CHILD[1] in short_html and len(short_html) < len(full_html)


def test_answered_only_keeps_no_and_zero_and_drops_blanks():
    from cmtk.output import case_print

    form = definitions.load_form("identification")
    body = {
        "biographical": {"first_name": "Pendo", "surname": "  ", "sex": "female"},
        "medical_history": {"medical_check_done": False},
    }
    parts = case_print.answered_only(render.parts(form, body))
    shown = {(p.section.id, b.field.name) for p in parts for b in p.blocks if b.field}
    assert ("biographical", "first_name") in shown and ("biographical", "sex") in shown
    assert ("biographical", "surname") not in shown
    assert all(p.blocks for p in parts)
    assert {p.section.id for p in parts} == {"biographical", "medical_history"}
    assert case_print.answered(False) and case_print.answered(0) and not case_print.answered({"name": ""})


def test_the_self_contained_check_sees_past_inline_images():
    import base64
    import os

    from cmtk.errors import CmtkError

    image = f'<img src="data:image/jpeg;base64,{base64.b64encode(os.urandom(300_000)).decode()}">'

    def page(body: str) -> str:
        return f"<html><head><title>x</title></head><body>{body}</body></html>"

    assert render.check_self_contained(page(image + "<p>fine</p>"))
    hostile_parts = (
        '<img src="https://example.org/x.png">',
        '<link rel="attachment" href="x">',
        '<p style="background: url(http://x)">x</p>',
    )
    for hostile in hostile_parts:
        with pytest.raises(CmtkError, match="outside itself"):
            render.check_self_contained(page(image + hostile))
