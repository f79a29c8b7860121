"""Ask for a form field by field at the terminal, validating each answer as it is typed.

Free text about a child stays out of shell history and the process list: it
is typed here, not passed as an argument. An empty answer skips an optional
field; a wrong answer is explained and asked again.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import Any

from cmtk.errors import ValidationError
from cmtk.forms import definitions, validate

Ask = Callable[[str], str]
Say = Callable[[str], None]


def _hint(field: definitions.Field, order: str) -> str:
    if field.type == "date":
        return "DD-MM-YYYY" if order == "DMY" else "MM/DD/YYYY"
    if field.type == "yes_no":
        return "yes/no"
    if field.type == "yes_no_na":
        return "yes/no/na"
    if field.type in ("integer", "number"):
        return field.unit or "number"
    if field.type == "select_many":
        return "numbers or values, separated by commas"
    if field.type == "select_one":
        return "number or value"
    return ""


def ask_field(field: definitions.Field, ask: Ask, say: Say, *, today: _dt.date, order: str, lang: str = "en") -> Any:
    """One answer, asked until it is valid; None when an optional field is skipped."""
    if field.choices:
        for number, choice in enumerate(field.choices, start=1):
            say(f"    {number}. {choice.label.get(lang)} ({choice.value})")
    hint = _hint(field, order)
    marker = "" if field.required else " (optional, Enter to skip)"
    prompt = f"  {field.label.get(lang)}" + (f" [{hint}]" if hint else "") + marker
    while True:
        raw = ask(prompt).strip()
        if not raw:
            if field.required:
                say("    This field is required.")
                continue
            return None
        if field.choices:
            picked = (
                [_by_number(part.strip(), field) for part in raw.split(",")]
                if field.type == "select_many"
                else [_by_number(raw, field)]
            )
            raw_value: Any = picked if field.type == "select_many" else picked[0]
        else:
            raw_value = raw
        try:
            return validate.coerce(field, raw_value, today=today, order=order)
        except ValidationError as error:
            say(f"    {error.message}")


def _by_number(text: str, field: definitions.Field) -> str:
    if text.isdigit() and 1 <= int(text) <= len(field.choices):
        return field.choices[int(text) - 1].value
    return text


def ask_table(
    field: definitions.Field, ask: Ask, say: Say, confirm: Callable[[str], bool], *, today, order, lang="en"
) -> list:
    rows = []
    while confirm(f"  Add a row to '{field.label.get(lang)}'?"):
        row: dict[str, Any] = {}
        for column in field.columns:
            if not definitions.shown(column, row):
                continue  # skipped by an earlier answer in this row
            value = ask_field(column, ask, say, today=today, order=order, lang=lang)
            if value is not None:
                row[column.name] = value
        if row:
            rows.append(row)
    return rows


def ask_form(
    form: definitions.FormDef,
    ask: Ask,
    say: Say,
    confirm: Callable[[str], bool],
    *,
    today: _dt.date,
    order: str,
    sections: tuple[str, ...] | None = None,
    lang: str = "en",
) -> dict[str, Any]:
    """A whole body. `sections` are always asked; the others only when the user says yes.

    A field whose `show_if` does not hold, given the answers so far, is not asked.
    """
    body: dict[str, Any] = {}
    answers: dict[str, Any] = {}
    for section in form.sections:
        must = sections is not None and section.id in sections
        if not must and not confirm(f"Fill in section '{section.title.get(lang)}' now?"):
            continue
        say(f"\n{section.title.get(lang)}")
        if section.instructions:
            say(f"  {section.instructions.get(lang)}")
        values: dict[str, Any] = {}
        for field in section.fields:
            if not definitions.shown(field, answers):
                continue
            if field.type == "note":
                say(f"  {field.label.get(lang)}")
                continue
            if field.type == "signature":
                continue  # signatures and thumbprints are taken on paper
            if field.type == "table":
                rows = ask_table(field, ask, say, confirm, today=today, order=order, lang=lang)
                if rows:
                    values[field.name] = rows
                continue
            value = ask_field(field, ask, say, today=today, order=order, lang=lang)
            if value is not None:
                values[field.name] = value
                answers[field.name] = value
                if value == "other" and field.other:
                    values[f"{field.name}{validate.OTHER_SUFFIX}"] = ask(
                        f"  {field.label.get(lang)}: other, please specify"
                    ).strip()
        if values:
            body[section.id] = values
    return body
