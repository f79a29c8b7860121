"""Check a record body against its form definition and normalise its values.

A body is a mapping of section id to a mapping of field name to value (tables:
a list of mappings of column name to value). Every problem becomes one
finding naming the form, section and field and saying what to write instead;
nothing is written while there is any.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

from cmtk import dates, messages
from cmtk.errors import ValidationError
from cmtk.findings import Finding
from cmtk.forms import definitions
from cmtk.messages import finding
from cmtk.store import rows as row_refs

YES = {"yes", "y", "true", "ndiyo"}
NO = {"no", "n", "false", "hapana"}
NA = {"na", "n/a", "n-a", "not applicable", "not_applicable", "haihusiki"}
OTHER_SUFFIX = "_other"


class _Problem(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def has_control_characters(text: str) -> bool:
    return bool(_CONTROL.search(text))


def _text(value: Any) -> str:
    if isinstance(value, bool) or isinstance(value, (dict, list)):
        raise _Problem(messages.error_text("expects-text"))
    text = str(value)
    if _CONTROL.search(text):
        raise _Problem(messages.error_text("value-control-char"))
    return text


def _yes_no(value: Any, allow_na: bool) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    word = str(value).strip().lower()
    if word in YES:
        return "yes"
    if word in NO:
        return "no"
    if allow_na and word in NA:
        return "na"
    return _raise("write yes, no" + (" or na" if allow_na else ""), value)


def _raise(expected: str, value: Any):
    shown = str(value)
    shown = shown if len(shown) <= 30 else shown[:27] + "..."
    raise _Problem(messages.error_text("value-not-valid", shown=shown, expected=expected))


def _number(value: Any, field: definitions.Field, integer: bool):
    if isinstance(value, bool):
        _raise("write a number", value)
    if isinstance(value, str):
        cleaned = value.strip().replace(",", "")
        try:
            value = int(cleaned) if integer else float(cleaned)
        except ValueError:
            _raise("write a whole number" if integer else "write a number", value)
    if integer and isinstance(value, float):
        if not value.is_integer():
            _raise("write a whole number", value)
        value = int(value)
    if not isinstance(value, (int, float)):
        _raise("write a number", value)
    if field.min is not None and value < field.min:
        raise _Problem(messages.error_text("value-below-min", typed=value, min=field.min))
    if field.max is not None and value > field.max:
        raise _Problem(messages.error_text("value-above-max", typed=value, max=field.max))
    return value


def _choice(value: Any, field: definitions.Field) -> str:
    word = str(value).strip()
    for choice in field.choices:
        if word.lower() in (choice.value, choice.label.en.lower()) or (
            choice.label.sw and word.lower() == choice.label.sw.lower()
        ):
            return choice.value
    if field.other and word.lower() == "other":
        return "other"
    options = ", ".join(c.value for c in field.choices) + (", other" if field.other else "")
    hint = definitions.suggest(word, [c.value for c in field.choices])
    raise _Problem(messages.error_text("value-not-a-choice", word=word[:30], options=options, hint=hint))


def coerce(field: definitions.Field, value: Any, *, today: _dt.date, order: str = "DMY") -> Any:
    """One field's value in its stored form; raises ValidationError with a fix (no field name)."""
    try:
        return _coerce(field, value, today=today, order=order)
    except _Problem as problem:
        raise ValidationError(problem.message) from None


def _coerce(field: definitions.Field, value: Any, *, today: _dt.date, order: str) -> Any:
    kind = field.type
    if kind in ("text", "long_text"):
        return _text(value)
    if kind == "date":
        try:
            parsed = dates.parse_date(value, field="date", order=order)
        except ValidationError as error:
            raise _Problem(error.message.removeprefix("date: ")) from None
        if field.past_only and parsed > today:
            raise _Problem(messages.error_text("value-date-future", parsed=parsed.isoformat(), today=today.isoformat()))
        return parsed
    if kind == "integer":
        return _number(value, field, integer=True)
    if kind == "number":
        return _number(value, field, integer=False)
    if kind == "yes_no":
        return _yes_no(value, allow_na=False)
    if kind == "yes_no_na":
        return _yes_no(value, allow_na=True)
    if kind == "select_one":
        return _choice(value, field)
    if kind == "select_many":
        items = value if isinstance(value, list) else [v for v in str(value).split(",") if v.strip()]
        chosen = []
        for item in items:
            picked = _choice(item, field)
            if picked not in chosen:
                chosen.append(picked)
        return chosen
    if kind == "signature":
        if isinstance(value, bool):
            return "yes" if value else "no"
        return _text(value)
    if kind == "note":
        raise _Problem(messages.error_text("note-takes-no-answer"))
    raise _Problem(
        messages.error_text("unknown-type", kind=kind)
    )  # pragma: no cover - the loader refuses unknown types


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def validate_body(
    form: definitions.FormDef,
    body: Any,
    *,
    today: _dt.date,
    order: str = "DMY",
    require_sections: tuple[str, ...] = (),
) -> tuple[dict[str, Any], list[Finding]]:
    """Return the normalised body and the findings; the body is usable only when there are none."""
    findings: list[Finding] = []

    def problem(where: str, key: str, /, **params: Any) -> None:
        findings.append(finding(f"{form.id}: {where}" if where else form.id, key, **params))

    if not isinstance(body, dict) or not body:
        problem("", "shape:body", form=form.id)
        return {}, findings
    clean: dict[str, Any] = {}
    refused: set[str] = set()  # fields whose value was refused: not reported again as missing
    section_ids = [s.id for s in form.sections]
    for section_id, values in body.items():
        section = form.section(str(section_id))
        if section is None:
            problem(
                str(section_id),
                "unknown-section",
                form=form.id,
                hint=definitions.suggest(section_id, section_ids),
                sections=", ".join(section_ids),
            )
            continue
        if values is None:
            continue
        if not isinstance(values, dict):
            problem(section.id, "shape:section")
            continue
        clean[section.id] = _section(form, section, values, today, order, problem, refused)
    answers = {name: value for values in clean.values() for name, value in values.items()}
    for section in form.sections:
        if section.id in clean:
            _completeness(form, section, clean[section.id], answers, refused, problem)
    for section_id in require_sections:
        if section_id not in clean:
            section = form.section(section_id)
            title = section.title.en if section else section_id
            problem(section_id, "missing-section", title=title)
    return clean, findings


def _section(
    form, section: definitions.Section, values: dict, today, order, problem, wrong: set[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    names = [f.name for f in section.fields if f.answers]
    other_names = {f"{f.name}{OTHER_SUFFIX}": f for f in section.fields if f.other}
    for name, value in values.items():
        where = f"{section.id}.{name}"
        field = section.field(str(name))
        if field is None and str(name) in other_names:
            if not is_blank(value):
                out[str(name)] = str(value)
            continue
        if field is None:
            elsewhere = next((s.id for s in form.sections if s.field(str(name))), None)
            hint = f"; it belongs to section {elsewhere}" if elsewhere else definitions.suggest(name, names)
            problem(where, "unknown-field", section=section.id, hint=hint)
            continue
        if field.type == "note":
            if not is_blank(value):
                problem(where, "note")
            continue
        if is_blank(value):
            continue
        if field.type == "table":
            rows = _table(field, value, where, today, order, problem)
            if rows:
                out[field.name] = rows
            continue
        try:
            out[field.name] = _coerce(field, value, today=today, order=order)
        except _Problem as error:
            wrong.add(field.name)
            problem(where, "value", detail=error.message)
    return out


def describe_condition(form: definitions.FormDef, field: definitions.Field) -> str:
    """A field's `show_if` in English words: "'Does the child have a disability?' is Yes"."""
    parts = []
    for name, wanted in field.show_if:
        other = form.field(name)
        if other is None:
            parts.append(f"{name} is {' or '.join(wanted)}")
            continue
        words = [_choice_label(other, w) for w in wanted]
        parts.append(f"'{other.label.en}' is {' or '.join(words)}")
    return " and ".join(parts)


def _completeness(form, section: definitions.Section, out: dict, answers: dict, wrong: set[str], problem) -> None:
    """Required fields that are missing, and answers to questions that the other answers skip."""
    for field in section.fields:
        where = f"{section.id}.{field.name}"
        if not definitions.shown(field, answers):
            if field.name in out:
                problem(where, "skipped", condition=describe_condition(form, field))
            continue
        if field.required and field.answers and field.name not in out and field.name not in wrong:
            problem(where, "required", label=field.label.en)
        if field.other and out.get(field.name) in ("other", ["other"]) and f"{field.name}{OTHER_SUFFIX}" not in out:
            problem(f"{where}{OTHER_SUFFIX}", "required:other")


def _table(field: definitions.Field, value: Any, where: str, today, order, problem) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        problem(where, "shape:table")
        return []
    rows = []
    columns = {c.name: c for c in field.columns}
    for index, row in enumerate(value, start=1):
        at = f"{where}[{index}]"
        if not isinstance(row, dict):
            problem(at, "shape:row")
            continue
        clean_row: dict[str, Any] = {}
        for name, cell in row.items():
            column = columns.get(str(name))
            if str(name) in row_refs.ROW_KEYS:  # the row's own stable reference (cmtk.store.rows), not a column
                if row_refs.is_ref(cell):
                    clean_row[str(name)] = cell
                elif not is_blank(cell):
                    problem(f"{at}.{name}", "value:row-ref")
                continue
            if column is None:
                problem(
                    f"{at}.{name}",
                    "unknown-field:column",
                    hint=definitions.suggest(name, columns),
                    columns=", ".join(columns),
                )
                continue
            if is_blank(cell):
                continue
            try:
                clean_row[column.name] = _coerce(column, cell, today=today, order=order)
            except _Problem as error:
                problem(f"{at}.{name}", "value", detail=error.message)
        for column in field.columns:
            if not definitions.shown(column, clean_row):
                if column.name in clean_row:
                    asked = " and ".join(f"'{name}' is {' or '.join(wanted)}" for name, wanted in column.show_if)
                    problem(f"{at}.{column.name}", "skipped:column", condition=asked)
                continue
            if column.required and column.name not in clean_row:
                problem(f"{at}.{column.name}", "required:column", label=column.label.en)
        if clean_row:
            rows.append(clean_row)
    return rows


def _choice_label(field: definitions.Field, value: str) -> str:
    choice = field.choice(value)
    return choice.label.en if choice is not None else value.replace("na", "N/A").capitalize()
