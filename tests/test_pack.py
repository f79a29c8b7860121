"""`cmtk form pack`: many blank forms in one document, a contents page, progress; the print glitches of issue 17."""

from __future__ import annotations

import io
import re

import pytest
from helpers import invoke, make_store
from test_render import needs_weasyprint, squeezed

from cmtk.forms import definitions
from cmtk.output import pack, pagecheck, render, report_pages

SMALL = ["child-assent", "conference-checklist"]


def test_pack_html_has_a_contents_page_and_every_form_from_a_new_page():
    forms = pack.choose(definitions.load_all(), SMALL)
    built = pack.build(forms, ("en", "sw"))
    html = built.html
    assert html.count('class="pack-form"') == 4 and html.count('class="pack-contents"') == 1
    assert "Case management forms · Fomu za usimamizi wa kesi" in html
    for anchor in ("form-1", "form-2", "form-3", "form-4"):
        assert f'id="{anchor}"' in html and f'data-target="#{anchor}"' in html and f"@page {anchor}" in html
    assert "Child assent" in html and "Ridhaa ya mtoto" in html  # each form in its own language
    assert html.index("Child assent") < html.index("Ridhaa ya mtoto")
    render.check_self_contained(html)
    assert "<script" not in html and "url(" not in html


def test_forms_come_in_the_order_of_the_steps_conference_forms_last():
    forms = pack.choose(definitions.load_all(), [])
    steps = [f.step or 99 for f in forms]
    assert steps == sorted(steps)
    assert forms[-1].subject == "conference" and forms[0].id == "identification"
    assert len(forms) == len(definitions.form_ids())


def test_unknown_form_and_language_are_usage_errors():
    with pytest.raises(Exception) as error:
        pack.choose(definitions.load_all(), ["conference-minutez"])
    assert "did you mean 'conference-minutes'" in str(error.value) and error.value.exit_code == 2
    with pytest.raises(Exception) as error:
        pack.choose(definitions.load_all(), ["CC-7"])
    assert "'CC-7' is the code of conference-minutes" in str(error.value)
    with pytest.raises(Exception) as error:
        pack.languages("fr")
    assert error.value.exit_code == 2


def test_cli_writes_an_html_pack(tmp_path):
    out = tmp_path / "pack.html"
    result = invoke(["form", "pack", "--forms", "child-assent,conference-checklist", "--lang", "both", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Wrote {out}: 2 form(s) in en and sw.\n"
    written = out.read_text("utf-8")
    assert written.count('class="pack-form"') == 4
    assert out.stat().st_mode & 0o077 == 0
    # like every printed page: the security policy first in <head>, and the page check passes it unchanged
    assert written.index(pagecheck.POLICY_TAG) < written.index("<meta charset")
    assert pagecheck.check_self_contained(written) == written


def test_the_whole_pack_passes_the_page_check():
    """Every form, both languages: no element or attribute outside the page check's allow-list (no <a> links)."""
    html = pack.build(pack.choose(definitions.load_all(), []), ("en", "sw")).html
    assert pagecheck.check_self_contained(html) == html
    assert "<a " not in html and "href=" not in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "pack.docx"], "must end in .pdf or .html"),
        (["--lang", "fr", "-o", "pack.html"], "--lang: 'fr' is not one of en, sw, both"),
        (["--forms", "nope", "-o", "pack.html"], "--forms: no form 'nope'"),
    ],
)
def test_cli_bad_input_is_one_line_and_writes_nothing(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = invoke(["form", "pack", *args])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and message in result.stderr and result.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_cli_uses_the_store_organisation_and_refuses_to_write_inside_it(tmp_path):
    session, _key = make_store(tmp_path)
    root = session.store.root
    out = tmp_path / "pack.html"
    result = invoke(["--store", str(root), "form", "pack", "--forms", "child-assent", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Test CCI" in out.read_text("utf-8")
    inside = invoke(["--store", str(root), "form", "pack", "--forms", "child-assent", "-o", str(root / "p.html")])
    assert inside.exit_code != 0 and not (root / "p.html").exists()


@pytest.mark.slow
@needs_weasyprint
def test_pdf_pack_in_one_weasyprint_run_with_progress_and_page_numbers(tmp_path):
    from pypdf import PdfReader

    forms = pack.choose(definitions.load_all(), SMALL)
    built = pack.build(forms, ("en", "sw"))
    seen = []
    data = pack.pdf(built, progress=lambda stage, number, total: seen.append((stage, number)))
    reader = PdfReader(io.BytesIO(data))
    pages = len(reader.pages)
    assert ("write", 0) in seen and max(n for s, n in seen if s == "page") == pages
    contents = reader.pages[0].extract_text()
    numbers = [int(n) for n in re.findall(r"(?:English|Kiswahili) (\d+)", contents)]
    assert numbers == sorted(numbers) and numbers[0] == 2  # the first form starts on page 2
    titles = ["Child assent", "Case conference: checklist", "Ridhaa ya mtoto", "Mkutano wa kesi: orodha ya ukaguzi"]
    for title, number in zip(titles, numbers, strict=True):  # the contents page says where each form starts
        assert squeezed(title) in squeezed(reader.pages[number - 1].extract_text()), (title, number)
    text = squeezed(" ".join(p.extract_text() for p in reader.pages))
    assert squeezed("Ridhaa ya mtoto") in text and squeezed("Orodha ya ukaguzi ya mkutano wa kesi") in text


@needs_weasyprint
def test_cli_pdf_pack_prints_plain_progress_lines_when_not_on_a_terminal(tmp_path):
    out = tmp_path / "pack.pdf"
    result = invoke(["form", "pack", "--forms", "child-assent", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    assert result.stderr.splitlines() == [
        "1 form(s) ready.",
        "Laying out the pages (one WeasyPrint run)...",
        "Writing the PDF...",
    ]
    assert re.fullmatch(rf"Wrote {re.escape(str(out))}: 1 form\(s\) in en, \d+ pages\.\n", result.stdout)


# -- the glitches of issue 17 item 6 ------------------------------------------------------------


def test_case_plan_has_a_goal_row_for_each_domain():
    plan = definitions.load_form("case-plan")
    goals = plan.field("goals")
    domains = next(c for c in goals.columns if c.name == "domain")
    assert goals.rows >= len(domains.choices) == 6
    assert render.render_html(plan).count('<tr style="height') >= 6


def test_header_without_running_elements_shows_boxes_not_a_line():
    """Chrome prints the margin string, not the running element: the case id must be boxes to fill in."""
    html = render.render_html(definitions.load_form("identification"))
    assert "__________" not in html
    assert "\\25a1 \\25a1 \\25a1 \\25a1 \\25a1 \\25a1 \\25a1 \\25a1 " in html  # □ x 8, escaped in the CSS string


def test_thumbprint_label_fits_its_box():
    """The Kiswahili label wraps to two lines; the box leaves room for them and keeps its size."""
    css = (render.templates_dir() / "print.css").read_text()
    rule = re.search(r"\.thumb \{([^}]*)\}", css).group(1)
    height = float(re.search(r"height: ([\d.]+)mm", rule).group(1))
    top = float(re.search(r"padding: ([\d.]+)mm", rule).group(1))
    lines = 2 * 7 * 1.15 * 0.3528  # two lines of 7 pt at line-height 1.15, in mm
    assert top + lines <= height - 1
    assert "overflow-wrap: break-word" in rule


def test_star_chart_labels_are_not_cut():
    class Domain:
        def __init__(self, name, score, maximum, mark):
            self.domain, self.score, self.max, self.pass_mark = name, score, maximum, mark

    names = ["education", "protection", "psychosocial", "health", "relationship", "economic"]
    svg = report_pages.star_svg([Domain(n, 5, 7, 6) for n in names])
    box = [float(v) for v in re.search(r'viewBox="([^"]+)"', svg).group(1).split()]
    left, right = box[0], box[0] + box[2]
    for x, anchor, word in re.findall(
        r'<text x="([\d.-]+)" y="[\d.-]+" font-size="7" text-anchor="(\w+)">([^<]+)</text>', svg
    ):
        width = len(word) * 7 * 0.6  # a generous estimate of the text's width
        start = {"start": float(x), "end": float(x) - width, "middle": float(x) - width / 2}[anchor]
        assert left <= start and start + width <= right, (word, start, width, left, right)
    assert "economic" in svg and "relationship" in svg
