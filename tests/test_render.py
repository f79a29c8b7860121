"""Printable forms: HTML (golden files, every label, escaping, self-contained), Markdown, PDF, CLI.

Regenerate the golden files after a deliberate change to the templates, the CSS
or a form they use: `CMTK_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_render.py`,
then read the diff before committing it.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import CANARY_FIRST, CANARY_SURNAME, add_canary_case, invoke, make_store, run_cmtk
from markupsafe import escape

from cmtk.casework import cases
from cmtk.errors import CmtkError
from cmtk.forms import definitions
from cmtk.output import render

GOLDEN = Path(__file__).parent / "golden"
REPO = Path(__file__).parent.parent
ALL_FORMS = definitions.load_all()
FORM_IDS = [f.id for f in ALL_FORMS]
# Pages a blank English form may take on A4; the case reviews hold 65 indicators.
PAGE_BUDGET = {"case-review": 10, "case-review-young-person": 10}
DEFAULT_BUDGET = 8


def widgets_form() -> definitions.FormDef:
    return definitions.load_file(GOLDEN / "widgets.yaml")


WIDGET_VALUES = {
    "basics": {
        "full_name": "Achieng Otieno",
        "address": "Kibera, Nairobi",
        "story": "She came with her aunt.\nShe asked to go home.",
        "born": "2014-02-03",
        "age": 11,
        "weight": 31.5,
        "in_school": True,
        "immunised": "na",
        "sex": "female",
        "languages": ["kiswahili", "Dholuo"],
        "siblings": [
            {
                "sibling_name": "Baraka",
                "sibling_born": _dt.date(2010, 5, 6),
                "sibling_age": 15,
                "sibling_sex": "male",
                "sibling_school": "secondary",
                "sibling_in_care": False,
            },
        ],
    },
    "education": {"e1": "yes", "e2": "no", "e3": "na"},
    "sign_off": {"worker_signature": {"name": "Amina Otieno", "date": "2025-01-10"}},
}
# One tick per answer above: in_school, immunised, sex, 2 languages (one "other"),
# the sibling's sex and "in care", three indicators; and "entered in cmtk".
WIDGET_TICKS = 11


def labels(form: definitions.FormDef, lang: str) -> list[str]:
    """Every field, column and choice label of a form, in one language."""
    found = []
    for _section, field in form.all_fields():
        for item in (field, *field.columns):
            found.append(item.label.get(lang))
            found += [c.label.get(lang) for c in item.choices]
    return found


def normalised(html: str) -> str:
    """Golden comparison ignores indentation and blank lines."""
    return "\n".join(line.strip() for line in html.splitlines() if line.strip()) + "\n"


# -- HTML --------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "sw"])
def test_every_shipped_form_renders_with_every_label(lang):
    for form in ALL_FORMS:
        html = render.render_html(form, lang=lang)
        missing = [text for text in labels(form, lang) if str(escape(text)) not in html]
        assert not missing, f"{form.id} ({lang}): {missing[:3]}"
        assert str(escape(form.title.get(lang))) in html


@pytest.mark.parametrize(
    ("name", "form_id", "lang", "filled"),
    [
        ("child-assent.en.html", "child-assent", "en", False),
        ("identification.sw.html", "identification", "sw", False),
        ("widgets.en.html", "widgets", "en", False),
        ("widgets.filled.en.html", "widgets", "en", True),
    ],
)
def test_golden_html(name, form_id, lang, filled):
    form = widgets_form() if form_id == "widgets" else definitions.load_form(form_id)
    options = {}
    if filled:
        options = dict(
            values=WIDGET_VALUES,
            case_id="K7Q2MX4P",
            organisation="Tumaini CCI",
            training=True,
            record_date=_dt.date(2025, 1, 10),
        )
    html = normalised(render.render_html(form, lang=lang, **options))
    path = GOLDEN / name
    if os.environ.get("CMTK_UPDATE_GOLDEN") == "1":
        path.write_text(html, "utf-8")
    assert path.exists(), f"{name} is missing; create it with CMTK_UPDATE_GOLDEN=1"
    assert html == path.read_text("utf-8"), f"{name} differs; if intended, regenerate with CMTK_UPDATE_GOLDEN=1"


def test_labels_and_values_are_escaped(tmp_path):
    source = tmp_path / "hostile.yaml"
    source.write_text(
        'id: hostile\ncode: "X</style><script>"\ntitle: "Title </style><script>alert(1)</script>"\n'
        'sections:\n  - id: one\n    title: "<i>Section</i>"\n    fields:\n'
        '      - {name: who, type: text, label: "<b>Name</b>"}\n'
        '      - {name: sure, type: select_many, label: "Pick", other: true, choices: [{value: a, label: "A & B"}]}\n',
        "utf-8",
    )
    form = definitions.load_file(source)
    html = render.render_html(
        form, values={"one": {"who": "<script>alert('x')</script>", "sure": ["<img>"]}}, case_id="K7Q2MX4P"
    )
    assert "<b>Name</b>" not in html and "&lt;b&gt;Name&lt;/b&gt;" in html
    assert "<script" not in html and "&lt;script&gt;alert(&#39;x&#39;)" in html
    assert "<img>" not in html and "&lt;img&gt;" in html
    assert "A &amp; B" in html
    assert html.count("</style>") == 1  # the title inside the CSS header cannot close the style element
    markdown = render.render_markdown(form, values={"one": {"who": "<script>"}})
    assert "<script>" not in markdown and "\\<script\\>" in markdown


@pytest.mark.parametrize("form_id", ["identification", "case-review", "conference-attendance"])
def test_html_is_self_contained_a4(form_id):
    html = render.render_html(definitions.load_form(form_id))
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert not re.search(r"(src|href)\s*=", html)
    assert not re.search(r"url\(", html)
    assert "@page" in html and re.search(r"size:\s*A4", html)
    assert "display: table-header-group" in html
    assert "counter(pages)" in html


def test_filled_form_shows_every_value():
    html = render.render_html(widgets_form(), values=WIDGET_VALUES, case_id="K7Q2MX4P")
    for text in (
        "Achieng Otieno",
        "Kibera, Nairobi",
        "She asked to go home.",
        "31.5",
        "Dholuo",
        "Baraka",
        "06/05/2010",
        "Secondary school",
        "Amina Otieno",
    ):
        assert text in html, text
    assert html.count("✓") == WIDGET_TICKS
    digits = re.findall(r'<span class="box filled(?: gap)?">(\d)</span>', html)
    assert "".join(digits).startswith("03022014")  # date of birth, day first
    assert '<span class="box">K</span>' in html  # case id in the page header boxes


def test_blank_form_has_empty_rows_and_no_ticks():
    html = render.render_html(widgets_form())
    assert "✓" not in html
    assert html.count("<tr style=") == 2  # the siblings table's two blank rows


def test_consecutive_indicators_make_one_grid_with_a_domain_score():
    form = widgets_form()
    education = form.section("education")
    blocks = render.blocks(education, {})
    assert [b.kind for b in blocks] == ["indicator_grid"]
    assert len(blocks[0].rows) == 3
    assert render.score(education, {}, filled=False) == render.Score(None, 3, 2)
    # Yes and N/A score 1, No scores 0.
    assert render.score(education, WIDGET_VALUES["education"], filled=True).total == 2
    html = render.render_html(form, values=WIDGET_VALUES)
    assert "pass mark 2" in html and "Only for girls aged 10 and over" in html


def test_case_review_prints_each_domain_as_a_grid():
    form = definitions.load_form("case-review")
    html = render.render_html(form)
    domains = [s for s in form.sections if s.domain]
    assert html.count('class="score"') == len(domains)
    for section in domains:
        assert f"pass mark {section.pass_mark}" in html


def test_kiswahili_words_come_from_the_catalogue():
    html = render.render_html(definitions.load_form("child-assent"), lang="sw")
    assert "Ridhaa ya mtoto" in html
    for word in ("Sahihi", "Jina", "Tarehe", "Alama ya kidole gumba", "Siri", "Ndiyo", "Hapana"):
        assert word in html, word
    assert '"Ukurasa " counter(page) " wa " counter(pages)' in html.replace("\\20 ", " ")


def test_catalogue_has_every_template_word():
    """Every word the templates and render.py translate has an entry in locale/sw.po."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    method_map = [("**.j2", "jinja2")]
    options = {"**.j2": {"extensions": "jinja2.ext.i18n"}}
    used = {m[2] for m in extract_from_dir(str(render.templates_dir()), method_map, options)}
    source = (REPO / "cmtk" / "output" / "render.py").read_text("utf-8")
    used |= set(re.findall(r"""(?:gettext|word)\(['"]([^'"]+)['"]""", source))
    with (render.templates_dir() / "locale" / "sw.po").open("rb") as handle:
        catalogue = {m.id for m in read_po(handle) if m.id}
    assert sorted(used - catalogue) == []


def test_unknown_language_is_a_usage_error():
    with pytest.raises(CmtkError) as error:
        render.render_html(widgets_form(), lang="fr")
    assert error.value.exit_code == 2


def test_a_store_template_replaces_the_bundled_one(tmp_path):
    (tmp_path / "widgets").mkdir()
    (tmp_path / "widgets" / "note.html.j2").write_text(
        '{% macro render(field, value) %}<p class="our-note">{{ field.label|t }}</p>{% endmacro %}\n', "utf-8"
    )
    html = render.render_html(widgets_form(), templates=tmp_path)
    assert '<p class="our-note">Read the consent statement aloud first.</p>' in html


def test_a_broken_store_template_is_one_error_line(tmp_path):
    (tmp_path / "widgets").mkdir()
    (tmp_path / "widgets" / "note.html.j2").write_text("{% macro render(field, value) %}{{ oops }\n", "utf-8")
    with pytest.raises(CmtkError) as error:
        render.render_html(widgets_form(), templates=tmp_path)
    assert "note.html.j2:1: template error" in str(error.value)


def test_version_does_not_import_the_printing_libraries():
    script = (
        "import sys\nfrom cmtk.cli.main import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "import json; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'jinja2', 'babel', 'weasyprint'})))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []


# -- Markdown ----------------------------------------------------------------------------


def test_markdown_blank_and_filled():
    form = widgets_form()
    blank = render.render_markdown(form)
    assert blank.startswith("_Confidential_")
    assert "# Form T1: Every widget" in blank
    assert "**Full name**: ____" in blank
    assert "- [ ] Female" in blank and "(tick one)" in blank
    assert "| Name | Born | Age | Sex | School level | In care |" in blank
    filled = render.render_markdown(form, values=WIDGET_VALUES, case_id="K7Q2MX4P")
    assert "**Full name**: Achieng Otieno" in filled
    assert "- [x] Female" in filled and "- [x] Other (specify): Dholuo" in filled
    assert "| B1.2 | Enrolled | [ ] | [x] | [ ] |" in filled
    assert "Domain score: 2 / 3, pass mark 2" in filled


@pytest.mark.parametrize("lang", ["en", "sw"])
def test_every_shipped_form_renders_to_markdown(lang):
    for form in ALL_FORMS:
        text = render.render_markdown(form, lang=lang)
        missing = [label for label in labels(form, lang) if render._md(label) not in text]
        assert not missing, f"{form.id} ({lang}): {missing[:3]}"


# -- PDF ---------------------------------------------------------------------------------


def _weasyprint_missing() -> str:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as error:
        return f"WeasyPrint cannot be imported ({type(error).__name__}); pip install 'cmtk-reintegration[pdf]'"
    return ""


needs_weasyprint = pytest.mark.skipif(bool(_weasyprint_missing()), reason=_weasyprint_missing() or "ok")


def squeezed(text: str) -> str:
    """Text compared without whitespace, hyphens or case: PDF extraction wraps and hyphenates."""
    return re.sub(r"[\s\-\u00ad\u2010]+", "", text).lower()


@pytest.mark.slow
@needs_weasyprint
@pytest.mark.parametrize("form_id", FORM_IDS)
def test_pdf_is_a4_within_budget_and_has_every_label(form_id):
    from pypdf import PdfReader

    form = definitions.load_form(form_id)
    reader = PdfReader(io.BytesIO(render.render_pdf(render.render_html(form))))
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - 595.3) < 1 and abs(height - 841.9) < 1
    assert len(reader.pages) <= PAGE_BUDGET.get(form_id, DEFAULT_BUDGET)
    text = squeezed(" ".join(page.extract_text() for page in reader.pages))
    missing = [label for label in labels(form, "en") if squeezed(label) not in text]
    assert not missing, missing[:3]
    assert squeezed(f"Page 1 of {len(reader.pages)}") in text


@needs_weasyprint
@pytest.mark.parametrize(
    "tag",
    [
        '<img src="http://192.0.2.1/logo.png">',
        "<img src='//192.0.2.1/x'>",
        '<link rel="attachment" href="data:,x">',
        '<a href="file:///etc/passwd">x</a>',
        "<style>@import 'x.css';</style>",
        "<div style=\"background:url('https://x/y')\"></div>",
    ],
)
def test_pdf_and_html_never_reach_outside_the_page(tag):
    """A tampered template could send recorded values away or attach local files (security review H1)."""
    html = render.render_html(widgets_form()).replace("<body>", f"<body>{tag}")
    with pytest.raises(CmtkError, match="outside itself"):
        render.render_pdf(html)
    with pytest.raises(CmtkError, match="outside itself"):
        render.check_self_contained(html)


def test_store_templates_are_sandboxed(tmp_path):
    """A store's own template cannot run code (security review H1)."""
    override = tmp_path / "templates"
    override.mkdir()
    original = (render.templates_dir() / "form.html.j2").read_text()
    marker = tmp_path / "pwned"
    (override / "form.html.j2").write_text(
        "{{ cycler.__init__.__globals__.os.system('touch " + str(marker) + "') }}" + original
    )
    with pytest.raises(CmtkError, match="tried something templates may not do"):
        render.render_html(widgets_form(), templates=override)
    assert not marker.exists()


def test_missing_weasyprint_is_one_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    with pytest.raises(CmtkError) as error:
        render.render_pdf("<p>x</p>")
    message = str(error.value)
    assert "pip install 'cmtk-reintegration[pdf]'" in message and "HTML" in message and "\n" not in message


# -- the command line --------------------------------------------------------------------


def test_cli_renders_blank_html_to_stdout():
    result = invoke(["form", "render", "child-assent"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<!DOCTYPE html>")
    assert result.stderr == ""


def test_cli_writes_file_and_takes_format_from_extension(tmp_path):
    result = invoke(["form", "render", "identification", "--lang", "sw", "-o", str(tmp_path / "id.md")])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "id.md").read_text("utf-8")
    assert text.startswith("_Siri_") and "Utambulisho wa mtoto" in text
    assert result.stdout == ""


@needs_weasyprint
def test_cli_writes_pdf(tmp_path):
    result = invoke(["form", "render", "child-assent", "-o", str(tmp_path / "assent.pdf")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "assent.pdf").read_bytes().startswith(b"%PDF")


def test_cli_pdf_needs_an_output_file():
    result = invoke(["form", "render", "child-assent", "--format", "pdf"])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and "-o" in result.stderr and result.stderr.count("\n") == 1


def test_cli_unknown_form_is_one_error_line():
    result = invoke(["form", "render", "identificaton"])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("Error: no form 'identificaton'") and "identification" in result.stderr


@pytest.mark.parametrize("args", [["--lang", "fr"], ["--format", "docx"]])
def test_cli_bad_options_are_usage_errors(args):
    result = invoke(["form", "render", "child-assent", *args])
    assert result.exit_code == 2 and result.stderr.startswith("Error: ")


def test_cli_blank_form_names_the_store_organisation(tmp_path):
    session, _key = make_store(tmp_path)
    result = invoke(["--store", str(session.store.root), "form", "render", "child-assent", "--format", "md"])
    assert result.exit_code == 0, result.output
    assert "Organisation: Test CCI" in result.stdout


def test_cli_fills_a_form_from_a_case_and_warns(tmp_path):
    session, key = make_store(tmp_path)
    case_id = add_canary_case(session)
    out = tmp_path / "filled.html"
    base = ["--store", str(session.store.root), "--identity", str(key), "form", "render", "identification"]
    result = invoke([*base, "--case", case_id.lower(), "-o", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text("utf-8")
    assert CANARY_FIRST in html and CANARY_SURNAME in html
    assert f'<span class="box">{case_id[0]}</span>' in html
    assert "Test CCI" in html
    assert "plain text" in result.stderr and str(out) in result.stderr
    assert out.stat().st_mode & 0o077 == 0
    assert CANARY_FIRST not in result.stderr


def test_cli_fills_from_the_latest_record(tmp_path):
    session, key = make_store(tmp_path)
    case_id = add_canary_case(session)
    cases.add_record(session, case_id, "child-assent", {"assent": {"language_used": "Dholuo"}}, _dt.date(2025, 1, 5))
    cases.add_record(session, case_id, "child-assent", {"assent": {"language_used": "Kikuyu"}}, _dt.date(2025, 3, 5))
    base = ["--store", str(session.store.root), "--identity", str(key)]
    result = invoke([*base, "form", "render", "child-assent", "--case", case_id, "--format", "md"])
    assert result.exit_code == 0, result.output
    assert "Kikuyu" in result.stdout and "Dholuo" not in result.stdout
    assert "plain text" in result.stderr


def test_cli_case_without_that_form_is_an_error(tmp_path):
    session, key = make_store(tmp_path)
    case_id = add_canary_case(session)
    base = ["--store", str(session.store.root), "--identity", str(key)]
    result = invoke([*base, "form", "render", "case-review", "--case", case_id, "-o", str(tmp_path / "x.html")])
    assert result.exit_code == 1
    assert "has no 'case-review' record" in result.stderr
    assert not (tmp_path / "x.html").exists()


def test_cli_as_a_real_process():
    result = run_cmtk(["form", "render", "child-assent", "--lang", "sw"])
    assert result.returncode == 0, result.stderr
    assert "Ridhaa ya mtoto" in result.stdout and result.stdout.rstrip().endswith("</html>")


def test_photo_box_floats_beside_the_office_box_and_the_record_date_stays_under_its_label():
    """Identification has a photo box: a fixed-width float like the office box (no flex), the title column
    narrowed for both; the record date in that narrow column is printed under its label, not squeezed beside it."""
    form = definitions.load_form("identification")
    html = render.render_html(form, record_date=_dt.date(2025, 1, 10))
    assert '<header class="titleblock with-photo">' in html
    head = html[html.index('<header class="titleblock') : html.index("</header>")]
    assert head.index('class="office"') < head.index('class="photo"') < head.index('class="main"')  # floats first
    main = head[head.index('class="main"') :]
    assert main.index("Date of this record") < main.index('<span class="date">')
    css = (render.templates_dir() / "print.css").read_text()
    assert re.search(r"\.titleblock \.photo \{[^}]*float: right", css)
    assert '<header class="titleblock">' in render.render_html(definitions.load_form("child-assent"))
