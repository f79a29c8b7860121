"""Form definitions: every shipped one loads; the loader is strict and its errors say file, line and fix."""

from __future__ import annotations

import json
import textwrap

import pytest
from helpers import invoke

from cmtk.forms import definitions

REQUIRED_FORMS = (
    "identification",
    "child-assessment",
    "child-assent",
    "caregiver-consent",
    "family-assessment",
    "family-group-discussion",
    "case-plan",
    "placement-approval",
    "child-preparation",
    "family-preparation",
    "placement",
    "monitoring",
    "case-review",
    "case-review-young-person",
    "referral",
    "case-notes",
    "transfer",
    "closure",
    "caregiver-feedback",
    "child-feedback",
    "disability-assessment",
    "tracing",
    "child-profile",
    "case-file-checklist",
    "conference-presentation",
    "conference-case-preparation",
    "conference-preparation",
    "conference-checklist",
    "conference-agenda",
    "confidentiality-agreement",
    "conference-attendance",
    "conference-minutes",
    "conference-report",
)


def test_every_shipped_definition_loads():
    loaded = {form.id: form for form in definitions.load_all()}
    assert loaded
    for form in loaded.values():
        assert form.sections and all(s.fields for s in form.sections)


def test_the_full_kenyan_set_is_shipped():
    assert set(REQUIRED_FORMS) <= set(definitions.form_ids())


def test_identification_has_the_names_other_tools_rely_on():
    form = definitions.load_form("identification")
    bio = form.section("biographical")
    assert form.sections[0].id == "biographical" and bio.required_at_step == 1
    for name in ("first_name", "other_names", "surname", "nickname", "sex", "date_of_birth", "estimated_age"):
        assert bio.field(name) is not None, name


def _write(tmp_path, text, name="demo-form"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(textwrap.dedent(text))
    return path


GOOD = """\
    id: demo-form
    title: {en: Demo}
    sections:
      - id: first
        title: First
        fields:
          - name: colour
            type: select_one
            label: {en: Colour, sw: Rangi}
            choices:
              - {value: red, label: Red}
"""


def test_good_definition_loads(tmp_path):
    form = definitions.load_file(_write(tmp_path, GOOD))
    field = form.section("first").field("colour")
    assert field.label.get("sw") == "Rangi" and field.choices[0].label.get("sw") == "Red"


@pytest.mark.parametrize(
    "old, new, expected",
    [
        (
            "            label: {en: Colour, sw: Rangi}",
            "            lable: {en: Colour}",
            "line 9: field 'colour': key 'lable' is not allowed for type select_one; did you mean 'label'?",
        ),
        (
            "            type: select_one",
            "            type: select_on",
            "line 8: field 'colour': unknown type 'select_on'; did you mean 'select_one'?",
        ),
        (
            "    title: {en: Demo}",
            "    titel: {en: Demo}",
            "line 2: unknown key 'titel' in the form; did you mean 'title'?",
        ),
        (
            "            choices:\n              - {value: red, label: Red}",
            "",
            "field 'colour': a select_one field needs a list of choices",
        ),
        ("          - name: colour", "          - name: Colour", "field name 'Colour' must be snake_case"),
        ("    id: demo-form", "    id: other-form", "id 'other-form' differs from the file name"),
        (
            "            label: {en: Colour, sw: Rangi}",
            "            label: {en: Colour, fr: Couleur}",
            "unknown language 'fr'",
        ),
        (
            "            type: select_one",
            "            type: text\n            digits: 3",
            "key 'digits' is not allowed for type text; 'digits' belongs to type integer",
        ),
    ],
)
def test_definition_errors_name_file_line_and_fix(tmp_path, old, new, expected):
    text = GOOD.replace(old, new)
    path = _write(tmp_path, text)
    with pytest.raises(definitions.DefinitionError) as caught:
        definitions.load_file(path)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path.name}/demo-form.yaml")
    assert expected in message


def test_duplicate_field_names_are_refused(tmp_path):
    text = GOOD + textwrap.indent(
        textwrap.dedent("""\
          - name: colour
            type: text
            label: Again
    """),
        "          ",
    )
    with pytest.raises(definitions.DefinitionError, match="line 12: field name 'colour' is used twice"):
        definitions.load_file(_write(tmp_path, text))


def test_store_can_replace_a_form_by_id(tmp_path):
    root = tmp_path / "store"
    (root / ".cmtk" / "forms").mkdir(parents=True)
    _write(root / ".cmtk" / "forms", GOOD.replace("demo-form", "case-notes"), name="case-notes")
    assert definitions.load_form("case-notes", root).title.en == "Demo"


def test_unknown_form_suggests():
    with pytest.raises(Exception, match="did you mean 'identification'"):
        definitions.load_form("identificaton")


def test_form_show_json_contract():
    result = invoke(["form", "show", "identification", "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert set(data) >= {"id", "title", "step", "sections"}
    first = data["sections"][0]
    assert first["id"] == "biographical"
    types = {f["type"] for s in data["sections"] for f in s["fields"]}
    assert types <= set(definitions.FIELD_TYPES)
    sex = next(f for f in first["fields"] if f["name"] == "sex")
    assert {"name", "type", "required", "label", "choices"} <= set(sex)


def test_form_list_and_translations():
    listing = invoke(["form", "list"])
    assert listing.exit_code == 0 and "identification" in listing.output
    missing = invoke(["form", "translations"])
    assert missing.exit_code == 0
