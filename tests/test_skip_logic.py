"""`show_if` (XLSForm's "relevant") and preset table rows: loader, validation, prompts and printing."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest
from helpers import invoke, use_store

from cmtk.casework import cases
from cmtk.forms import definitions, prompts, validate
from cmtk.output import render

TODAY = dt.date(2026, 1, 5)
FORM = """\
    id: skip-form
    title: Skip
    sections:
      - id: child
        title: Child
        fields:
          - {name: has_disability, type: yes_no, label: "Does the child have a disability?"}
          - name: disability_type
            type: select_many
            show_if: {has_disability: "yes"}
            label: Type of disability
            required: true
            choices: [{value: seeing, label: Seeing}, {value: hearing, label: Hearing}]
          - name: severity
            type: select_one
            show_if: {has_disability: "yes"}
            label: How severe
            choices: [{value: mild, label: Mild}, {value: severe, label: Severe}]
          - name: school
            type: select_one
            label: School
            choices: [{value: none, label: None}, {value: primary, label: Primary}]
      - id: later
        title: Later
        fields:
          - name: aids
            type: text
            show_if: {has_disability: "yes", severity: [severe]}
            label: Aids the child uses
          - name: rows
            type: table
            label: Rows
            columns:
              - {name: done, type: yes_no, label: Done}
              - {name: when, type: date, label: When, show_if: {done: "yes"}, required: true}
"""


def _form(tmp_path, text=FORM, name="skip-form") -> definitions.FormDef:
    path = tmp_path / f"{name}.yaml"
    path.write_text(textwrap.dedent(text))
    return definitions.load_file(path)


def check(form, body):
    return validate.validate_body(form, body, today=TODAY)


# -- the loader ---------------------------------------------------------------------------------


def test_condition_is_loaded(tmp_path):
    form = _form(tmp_path)
    assert form.field("disability_type").show_if == (("has_disability", ("yes",)),)
    assert form.field("aids").show_if == (("has_disability", ("yes",)), ("severity", ("severe",)))
    assert form.to_json()["sections"][0]["fields"][1]["show_if"] == {"has_disability": ["yes"]}


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'show_if: {has_disability: "yes"}\n        label: Type',
            'show_if: {has_disabilty: "yes"}\n        label: Type',
            "show_if refers to 'has_disabilty', which is not a field of this form before it; "
            "did you mean 'has_disability'?",
        ),
        (
            'show_if: {has_disability: "yes"}\n        label: Type',
            'show_if: {has_disability: "maybe"}\n        label: Type',
            "'maybe' is not an answer of 'has_disability'; use one of yes, no",
        ),
        (
            'show_if: {has_disability: "yes", severity: [severe]}',
            'show_if: {has_disability: "yes", severity: [huge]}',
            "'huge' is not an answer of 'severity'; use one of mild, severe",
        ),
        (
            'show_if: {has_disability: "yes", severity: [severe]}',
            'show_if: {later_field: "yes"}',
            "show_if refers to 'later_field', which is not a field of this form before it",
        ),
        (
            'show_if: {done: "yes"}',
            'show_if: {has_disability: "yes"}',
            "show_if refers to 'has_disability', which is not an earlier column of the same table",
        ),
    ],
)
def test_bad_conditions_name_the_line_and_fix(tmp_path, old, new, message):
    text = textwrap.dedent(FORM)
    assert old in text
    path = tmp_path / "skip-form.yaml"
    path.write_text(text.replace(old, new))
    with pytest.raises(definitions.DefinitionError) as error:
        definitions.load_file(path)
    assert message in str(error.value) and " line " in str(error.value)


def test_a_condition_cannot_test_free_text(tmp_path):
    text = textwrap.dedent(FORM).replace(
        "      - name: school\n", "      - {name: notes, type: text, label: Notes}\n      - name: school\n"
    )
    text = text.replace('show_if: {has_disability: "yes", severity: [severe]}', 'show_if: {notes: "x"}')
    path = tmp_path / "skip-form.yaml"
    path.write_text(text)
    with pytest.raises(definitions.DefinitionError, match="can test a yes/no or choice field, not 'notes'"):
        definitions.load_file(path)


# -- validation ---------------------------------------------------------------------------------


def test_a_skipped_question_is_not_required(tmp_path):
    form = _form(tmp_path)
    clean, findings = check(form, {"child": {"has_disability": "no"}})
    assert findings == [] and clean == {"child": {"has_disability": "no"}}


def test_a_shown_required_question_is_required(tmp_path):
    form = _form(tmp_path)
    _clean, findings = check(form, {"child": {"has_disability": "yes"}})
    assert [(f.where, f.code) for f in findings] == [("skip-form: child.disability_type", "required")]


def test_an_answer_to_a_skipped_question_is_refused(tmp_path):
    form = _form(tmp_path)
    _clean, findings = check(form, {"child": {"has_disability": "no", "severity": "mild"}})
    assert [(f.where, f.code) for f in findings] == [("skip-form: child.severity", "skipped")]
    assert "'Does the child have a disability?' is Yes" in findings[0].message


def test_conditions_across_sections_and_all_of_them(tmp_path):
    form = _form(tmp_path)
    body = {
        "child": {"has_disability": "yes", "disability_type": ["seeing"], "severity": "mild"},
        "later": {"aids": "x"},
    }
    _clean, findings = check(form, body)
    assert [f.code for f in findings] == ["skipped"]
    body["child"]["severity"] = "severe"
    assert check(form, body)[1] == []


def test_a_column_condition_is_judged_row_by_row(tmp_path):
    form = _form(tmp_path)
    rows = [{"done": "no"}, {"done": "yes"}, {"done": "no", "when": "2026-01-01"}]
    _clean, findings = check(form, {"later": {"rows": rows}})
    assert [(f.where, f.code) for f in findings] == [
        ("skip-form: later.rows[2].when", "required"),
        ("skip-form: later.rows[3].when", "skipped"),
    ]


# -- prompts ------------------------------------------------------------------------------------


def _ask_with(answers):
    asked = []
    queue = list(answers)

    def ask(prompt):
        asked.append(prompt)
        return queue.pop(0) if queue else ""

    return ask, asked


def test_prompts_skip_questions_whose_condition_does_not_hold(tmp_path):
    form = _form(tmp_path)
    ask, asked = _ask_with(["no", "2"])
    body = prompts.ask_form(form, ask, lambda _t: None, lambda _t: False, today=TODAY, order="DMY", sections=("child",))
    assert body == {"child": {"has_disability": "no", "school": "primary"}}
    assert not any("Type of disability" in p or "How severe" in p for p in asked)


def test_prompts_ask_them_when_it_holds(tmp_path):
    form = _form(tmp_path)
    ask, asked = _ask_with(["yes", "1", "2", "1"])
    body = prompts.ask_form(form, ask, lambda _t: None, lambda _t: False, today=TODAY, order="DMY", sections=("child",))
    assert body["child"] == {
        "has_disability": "yes",
        "disability_type": ["seeing"],
        "severity": "severe",
        "school": "none",
    }


def test_case_new_does_not_ask_disability_type_after_no(tmp_path, monkeypatch):
    """Issue 17 item 7: the interactive intake asked type and severity after the disability question was skipped."""
    store = use_store(tmp_path, monkeypatch, None)
    form = definitions.load_form("identification")
    bio = form.section("biographical")
    answers = {
        "first_name": "Neema",
        "surname": "Kamau",
        "sex": "1",
        "date_of_birth": "30-05-2015",
        "has_disability": "",
    }
    lines = [answers.get(f.name, "") for f in bio.fields if f.answers and f.type not in ("signature", "table")]
    result = invoke(["case", "new", "-i"], input="\n".join(lines) + "\n" + "n\n" * 12)
    assert result.exit_code == 0, result.output
    assert "Does the child have a disability?" in result.output
    assert "Type of disability" not in result.output and "How severe" not in result.output
    case_id = result.output.strip().splitlines()[-1]
    assert cases.read_case(store, case_id).biographical["first_name"] == "Neema"


# -- printing -----------------------------------------------------------------------------------


def test_printed_as_if_yes_once_for_a_run_of_dependent_questions(tmp_path):
    form = _form(tmp_path)
    html = render.render_html(form)
    assert html.count('<p class="cond">If yes:</p>') == 1
    assert "If “How severe” is Severe" in html.replace("&#34;", '"')
    markdown = render.render_markdown(form)
    assert "_If yes:_" in markdown


def test_identification_prints_if_yes_in_both_languages():
    form = definitions.load_form("identification")
    assert '<p class="cond">If yes:</p>' in render.render_html(form)
    assert '<p class="cond">Kama ndiyo:</p>' in render.render_html(form, lang="sw")


# -- preset rows ----------------------------------------------------------------------------------

PRESET = """\
    id: preset-form
    title: Preset
    sections:
      - id: a
        title: A
        fields:
          - name: items
            type: table
            label: Items
            columns:
              - {name: no, type: text, label: "No."}
              - {name: item, type: text, label: Item}
              - {name: status, type: yes_no, label: Done}
            preset:
              - {no: "1", item: {en: First task, sw: Kazi ya kwanza}}
              - {no: "2", item: Second task}
"""


def test_preset_rows_print_on_a_blank_form_and_merge_with_a_record(tmp_path):
    form = _form(tmp_path, PRESET, "preset-form")
    assert "First task" in render.render_html(form) and "Kazi ya kwanza" in render.render_html(form, lang="sw")
    rows = render.table_rows(form.field("items"), [{"no": "2", "status": "yes"}, {"no": "1.1", "item": "Extra"}])
    assert [(r["no"] if isinstance(r["no"], str) else r["no"].en) for r in rows] == ["1", "1.1", "2"]
    assert rows[2]["status"] == "yes" and rows[2]["item"].en == "Second task"
    assert "| 2 | Second task | Yes |" in render.render_markdown(
        form, values={"a": {"items": [{"no": "2", "status": "yes"}]}}
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            '{no: "2", item: Second task}',
            '{no: "2", itm: Second task}',
            "preset row has no column 'itm'; did you mean 'item'?",
        ),
        (
            '{no: "2", item: Second task}',
            '{no: "1", item: Second task}',
            "every preset row needs its own value in the first column",
        ),
        ('{no: "2", item: Second task}', '{no: "2", status: "yes"}', "a preset can fill text and integer columns only"),
    ],
)
def test_bad_preset_rows(tmp_path, old, new, message):
    text = textwrap.dedent(PRESET).replace(old, new)
    path = tmp_path / "preset-form.yaml"
    path.write_text(text)
    with pytest.raises(definitions.DefinitionError, match=message.replace("(", r"\(").replace("?", r"\?")):
        definitions.load_file(path)
