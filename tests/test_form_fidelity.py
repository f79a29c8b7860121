"""The forms as the package has them: the conference Forms 1-8 against the SOP, provenance, complete Kiswahili."""

from __future__ import annotations

import re

import pytest
from helpers import invoke

from cmtk.forms import definitions
from cmtk.output import render

# Headings, short field names and column names of the case conferencing SOP's Forms 1-8
# (Standard Operating Procedures for Case Conferencing, CTWWC 2020, section 9), written as on
# the paper forms. "texts" may appear anywhere on the form, so their order here is not the form's;
# "columns" name each column with its place in the paper form's table (listed alphabetically,
# checked in the paper's order). cmtk may add fields and columns around them.
SOP_FORMS = {
    1: {
        "form": "conference-presentation",
        "texts": [
            "Actions taken to date",
            "Brief description of the case",
            "Date the case was opened (as in the case plan)",
            "Gaps and challenges identified",
            "Introduction of self",
            "Recommended actions",
            "Resources needed",
            "The core problem or primary vulnerability",
        ],
    },
    2: {
        "form": "conference-case-preparation",
        "texts": [
            "Actions taken / challenges",
            "Actions to be taken",
            "Background child information / family composition",
            "Care arrangement",
            "Child's age",
            "Child's nationality",
            "Child's sex",
            "Current residence / location",
            "Current situation / protection concerns",
            "Date case opened",
            "Good practices / learning points",
            "Identify next steps",
            "Notes from discussion",
            "Open discussion",
            "Referral date",
            "Referral source",
            "Social worker supervisor / case manager",
        ],
        "numbered": 26,
    },
    3: {
        "form": "conference-checklist",
        "columns": {
            "Comments": 5,
            "Item": 2,
            "No.": 1,
            "Responsibility": 3,
            "Status (✓ if accomplished or X if not)": 4,
        },
        "items": 8,
        "texts": [
            "Case manager, caseworkers, other service providers",
            "Caseworkers, case manager",
            "external partners or service providers",
            "Social workers' supervisor, case manager",
        ],
    },
    4: {
        "form": "conference-agenda",
        "texts": [
            "Challenges with services, and other gaps",
            "Date for next meeting",
            "Debrief on action item progress",
            "external case conferencing with partners / service providers",
            "Identify trends and patterns",
            "internal case conferencing",
            "Key issues affecting children and families",
            "Opportunities for cross-sectoral engagement",
            "Opportunities for strengthening existing referrals",
            "Planned actions for follow-up",
            "Presentation and discussion of individual cases",
            "Updates on relevant issues",
            "Welcome and introductions",
        ],
        "times": {
            "1": ("10 min", "15 min"),
            "2": ("15-20 min", "15-20 min"),
            "3": ("15-20 min", "20-30 min"),
            "4": ("90 min", "45-60 min"),
            "5": ("15-20 min", "20-30 min"),
        },
    },
    5: {
        "form": "confidentiality-agreement",
        "texts": [
            "Acknowledgement of confidentiality of family and client information",
            "Date",
            "Name of member",
            "not a member of the case conference",
            "Position / designation",
            "Signature of member",
        ],
    },
    6: {
        "form": "conference-attendance",
        "texts": [
            "Date",
            "Name of chairperson",
            "Number of participants",
            "Venue",
        ],
        "columns": {
            "Contact information": 4,
            "Institution / organization": 1,
            "Name": 2,
            "Position": 3,
        },
    },
    7: {
        "form": "conference-minutes",
        "texts": [
            "Chairperson / facilitator: name and title",
            "Challenges and service gaps",
            "Date",
            "Discussion notes",
            "Key issues",
            "Opportunities for referral pathway strengthening",
            "Planned actions for follow-up",
            "Opportunities for cross-sectoral engagement",
        ],
        "columns": {
            "Agreed-upon planned actions": 4,
            "Case summary": 3,
            "Nature of risks / needs": 2,
            "Responsible person": 5,
            "Timeline": 6,
            "Unique ID": 1,
        },
    },
    8: {
        "form": "conference-report",
        "texts": [
            "Case information",
            "Name of chairperson / facilitator and title",
            "Part I: Preparations",
            "Part II: Case conference notes",
        ],
        "columns": {
            "Basic information": 5,
            "Bottlenecks / challenges / primary vulnerabilities": 6,
            "Date case opened": 3,
            "Location of case (district, ward, village)": 4,
            "Name of caseworker": 2,
            "Progress / actions to date": 7,
            "Successes / challenges to date": 8,
            "Unique identifier and date": 1,
        },
        "columns_2": {
            "Ongoing issues or assessment of current situation": 2,
            "Recommended actions": 3,
            "Resources needed": 6,
            "Responsible person": 5,
            "Summary notes, if needed": 7,
            "Timeline for actions": 4,
            "Unique identifier or reference code / date": 1,
        },
    },
}


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("’", "'")).strip().casefold()


def _all_english(form: definitions.FormDef) -> str:
    return "\n".join(_squash(text.en) for _where, text in form._texts())


def _tables(form: definitions.FormDef) -> list[list[str]]:
    return [[c.label.en for c in f.columns] for _s, f in form.all_fields() if f.type == "table"]


def _in_order(wanted: list[str], found: list[str]) -> bool:
    rest = iter(found)
    return all(any(w == f for f in rest) for w in wanted)


@pytest.mark.parametrize("number", sorted(SOP_FORMS))
def test_conference_form_has_the_sop_headings_and_columns(number):
    spec = SOP_FORMS[number]
    form = definitions.load_form(spec["form"])
    assert form.code == f"CC-{number}", "conference forms are numbered as the SOP numbers them"
    assert any(p.document == "conference-sop" and f"Form {number}" in p.part for p in form.provenance)
    everything = _all_english(form)
    missing = [t for t in spec.get("texts", []) if _squash(t) not in everything]
    assert not missing, f"Form {number} lacks {missing}"
    tables = _tables(form)
    for key in ("columns", "columns_2"):
        if key in spec:
            wanted = sorted(spec[key], key=spec[key].get)  # in the paper form's order
            assert any(_in_order(wanted, table) for table in tables), f"Form {number}: {wanted} not in {tables}"
    if "numbered" in spec:
        numbers = {int(m) for m in re.findall(r"^(\d+)\. ", everything, re.MULTILINE)}
        assert numbers == set(range(1, spec["numbered"] + 1))
    if "items" in spec:
        table = next(f for _s, f in form.all_fields() if f.preset)
        assert [row["item_no"] for row in table.preset] == list(range(1, spec["items"] + 1))
    for item, (internal, external) in spec.get("times", {}).items():
        table = next(f for _s, f in form.all_fields() if f.preset)
        row = next(r for r in table.preset if definitions.preset_key(table, r) == item)
        assert (row["time_internal"].en, row["time_external"].en) == (internal, external)


def test_every_sop_form_is_shipped_and_local_codes_are_not_numbers():
    codes = {f.code: f.id for f in definitions.load_all()}
    assert all(f"CC-{n}" in codes for n in range(1, 9))
    assert codes["CC-P"] == "conference-preparation" and codes["CC-D"] == "conference-decision"


def test_confidentiality_promise_has_the_sops_scope():
    """Form 5 binds the member towards everyone outside the conference, not only those who do not need it."""
    form = definitions.load_form("confidentiality-agreement")
    text = _all_english(form)
    assert "not a member of the case conference" in text
    assert "does not need it" not in text


def test_records_the_handbook_names_are_shipped_and_wired_into_their_steps():
    from cmtk.casework import policy

    flow = policy.workflow(policy.load(None))
    steps = {s["number"]: s["forms"] for s in flow["steps"]}
    assert "tracing" in steps[3] and "child-profile" in steps[3]
    assert "case-file-checklist" in steps[4]
    gates = {g["id"]: (step, g) for step, items in flow["gates"].items() for g in items}
    assert gates["child-profile"][0] == 4 and gates["case-file-checklist"][0] == 5
    for form_id, sop in (("tracing", "SOP 3"), ("child-profile", "SOP 4"), ("case-file-checklist", "SOP 6")):
        form = definitions.load_form(form_id)
        assert any(p.document == "handbook" and sop in p.part for p in form.provenance), form_id


def test_every_form_names_its_source():
    for form in definitions.load_all():
        assert form.provenance, f"{form.id} has no provenance"
        assert all(p.document in definitions.DOCUMENTS for p in form.provenance)
    review = definitions.load_form("case-review")
    assert any(p.document == "cpims" and "7A" in p.part for p in review.provenance)


def test_provenance_is_shown_and_checked(tmp_path):
    result = invoke(["form", "show", "tracing"])
    assert result.exit_code == 0 and "Source: Handbook SOP 3" in result.output
    path = tmp_path / "demo-form.yaml"
    path.write_text(
        "id: demo-form\ntitle: Demo\nprovenance:\n  - {document: handbok, part: SOP 1}\n"
        "sections:\n  - id: a\n    title: A\n    fields:\n      - {name: x, type: text, label: X}\n"
    )
    with pytest.raises(
        definitions.DefinitionError, match="line 4: unknown document 'handbok'; did you mean 'handbook'"
    ):
        definitions.load_file(path)


# -- Kiswahili ----------------------------------------------------------------------------------


def test_every_form_text_has_kiswahili():
    gaps = [f"{form.id}: {where}" for form in definitions.load_all() for where, text in form.texts() if not text.sw]
    assert gaps == []


def test_translation_report_says_zero():
    result = invoke(["form", "translations", "--lang", "sw"])
    assert result.exit_code == 0
    assert result.stdout == "" and "0 text(s) without a 'sw' translation." in result.stderr


def test_a_missing_translation_is_reported(tmp_path, monkeypatch):
    store = tmp_path / "store" / ".cmtk" / "forms"
    store.mkdir(parents=True)
    (store / "extra.yaml").write_text(
        "id: extra\ntitle: {en: Extra, sw: Ziada}\nprovenance: [{document: cmtk}]\n"
        "sections:\n  - id: a\n    title: {en: A, sw: A}\n"
        "    fields:\n      - {name: x, type: text, label: Untranslated}\n"
    )
    found = definitions.load_file(store / "extra.yaml")
    assert [where for where, text in found.texts() if not text.sw] == ["a.x"]


def test_texts_without_words_need_no_translation():
    agenda = definitions.load_form("conference-agenda")
    checked = [where for where, _text in agenda.texts()]
    assert not any(where.endswith("].item_no") for where in checked)  # "5a" reads the same in Kiswahili
    assert any(where.endswith("[6].item") for where in checked)


@pytest.mark.parametrize(
    ("form_id", "value", "wrong"),
    [
        ("disability-assessment", "complete", "4 Kamili"),  # "perfect", not "complete problem"
        ("family-assessment", "occasional", "Mara chache"),  # "rarely", not "now and then"
        ("identification", "occasional", "Mara chache"),
    ],
)
def test_the_three_kiswahili_slips_are_mended(form_id, value, wrong):
    form = definitions.load_form(form_id)
    labels = [c.label.sw for _s, f in form.all_fields() for c in f.choices if c.value == value]
    assert labels and wrong not in labels


def test_acceptance_is_not_readiness():
    form = definitions.load_form("conference-presentation")
    column = next(c for c in form.field("households").columns if c.name == "acceptance")
    assert column.label.sw != "Utayari" and "kubali" in column.label.sw


def test_kiswahili_print_has_no_english_words_of_the_template():
    html = render.render_html(definitions.load_form("conference-checklist"), lang="sw")
    assert "Mkutano wa kesi: orodha ya ukaguzi" in html and "Msimamizi wa wafanyakazi wa kijamii" in html
    for english in ("Caseworkers, case manager", "Status (", "Responsibility"):
        assert english not in html
