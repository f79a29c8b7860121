"""A case as one file for an approval or a conference: its key facts, the Case File Checklist (SOP 6),
a timeline, and the redaction a conference presentation needs.

The checklist and the redaction rules are policy (`case_file:` in `.cmtk/policy.yaml`). Redaction
prints names as initials and leaves contact details out, field by field by the fields' ids and
labels; the names it finds are then replaced by initials in free text too. A name written only in
free text (never in a name field) cannot be recognised: the printed file says so.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import Any

from cmtk.casework import attachments
from cmtk.casework.cases import CASE_FILE, INTERNAL_FORMS, Case
from cmtk.errors import CmtkError
from cmtk.forms.definitions import Field, FormDef, Text

LEFT_OUT = "(left out)"


# -- key facts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyDates:
    opened: _dt.date | None
    placed: _dt.date | None
    closed: _dt.date | None


def key_dates(case: Case) -> KeyDates:
    """When the case was opened, the child placed (the placement record) and the case closed."""
    placement = case.latest("placement")
    closed = None
    if case.status == "closed":
        moves = [e for e in case.events if e.get("to") == 8 and isinstance(e.get("date"), _dt.date)]
        closed = moves[-1]["date"] if moves else None
    return KeyDates(case.opened, placement.date if placement else None, closed)


# -- the Case File Checklist (SOP 6) --------------------------------------------------------------


CHECKLIST_FORM = "case-file-checklist"  # the form a case manager fills in before the pre-placement review


@dataclass(frozen=True)
class ChecklistItem:
    label: Text
    done: bool
    evidence: tuple[str, ...]  # what ticked it: "caregiver-consent of 2027-01-20", "consent attached 2027-01-20"
    recorded: str  # the latest case-file-checklist's answer: "yes", "no", "na", or "" when none


def _text(value: Any, where: str) -> Text | None:
    if value is None:
        return None
    if isinstance(value, dict) and isinstance(value.get("en"), str):
        return Text(value["en"], value.get("sw") if isinstance(value.get("sw"), str) else None)
    if isinstance(value, str):
        return Text(value)
    raise CmtkError.of("checklist-label-missing", where=where)


def checklist(case: Case, policy: dict, checklist_form: FormDef | None = None) -> list[ChecklistItem]:
    """Each item of the store's checklist (policy `case_file.checklist`), ticked from the case's records and
    attached files, and beside it what the latest case-file-checklist record answers for it."""
    items = ((policy.get("case_file") or {}).get("checklist")) or []
    if not isinstance(items, list):
        raise CmtkError.of("checklist-not-a-list")
    attached = [a for a in attachments.of_case(case) if not a.voided]
    latest = case.latest(CHECKLIST_FORM)
    answers: dict[str, Any] = {}
    if latest is not None:
        for values in latest.body.values():
            if isinstance(values, dict):
                answers.update(values)
    found = []
    for number, item in enumerate(items, start=1):
        where = f"case_file.checklist item {number}"
        if not isinstance(item, dict):
            raise CmtkError.of("checklist-item-format", where=where)
        forms, kinds, field_name = item.get("forms") or [], item.get("kinds") or [], item.get("field")
        if not isinstance(forms, list) or not isinstance(kinds, list):
            raise CmtkError.of("checklist-ids-not-lists", where=where)
        field = None
        if checklist_form is not None and isinstance(field_name, str):
            field = next((f for _, f in checklist_form.all_fields() if f.name == field_name), None)
        label = _text(item.get("label"), where) or (field.label if field else None)
        if label is None:
            raise CmtkError.of("checklist-label-or-field", where=where, checklist_form=CHECKLIST_FORM)
        evidence = [
            f"{r.form} of {r.date.isoformat() if r.date else 'no date'}" for r in case.forms() if r.form in forms
        ]
        evidence += [
            f"{a.kind} attached {a.date.isoformat() if a.date else ''}".strip() for a in attached if a.kind in kinds
        ]
        recorded = str(answers.get(field_name) or "").lower() if isinstance(field_name, str) else ""
        done = bool(evidence) or recorded in ("yes", "na")
        if recorded and latest is not None:
            day = latest.date.isoformat() if latest.date else "no date"
            evidence.append(f"{_ANSWER.get(recorded, recorded)} on the case file checklist of {day}")
        found.append(ChecklistItem(label, done, tuple(evidence), recorded))
    return found


_ANSWER = {"yes": "Yes", "no": "No", "na": "N/A"}


# -- the timeline --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    date: _dt.date | None
    what: str


def timeline(
    case: Case, step_names: dict[int, str], form_titles: dict[str, str], kind_labels: dict[str, str]
) -> list[Event]:
    """What happened to the case, oldest first: opening, every record, every move between steps, every
    attached file."""
    found: list[Event] = []
    if case.opened:
        found.append(Event(case.opened, "case opened at step 1"))
    for event in case.events:
        to = event.get("to")
        what = str(event.get("what") or "moved")
        name = step_names.get(to, "") if isinstance(to, int) else ""
        if what == "advance":
            text = f"moved to step {to}: {name}"
        else:
            text = f"{what}: step {event.get('from')} to step {to}" + (f" ({name})" if name else "")
        found.append(Event(event.get("date") if isinstance(event.get("date"), _dt.date) else None, text))
    for record in case.forms():
        found.append(Event(record.date, f"{form_titles.get(record.form, record.form)} recorded ({record.record})"))
    for item in attachments.of_case(case):
        if not item.voided:
            found.append(Event(item.date, f"{kind_labels.get(item.kind, item.kind)} attached ({item.id})"))
    far = _dt.date(1900, 1, 1)
    return sorted(found, key=lambda e: e.date or far)


# -- redaction -----------------------------------------------------------------------------------

_WORDS = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)


def initials(text: Any) -> str:
    """'Pendo Wanjala Simiyu' -> 'P. W. S.'"""
    return " ".join(f"{word[0].upper()}." for word in _WORDS.findall(str(text or "")))


class Redactor:
    """Names as initials, contact details left out, for a presentation to people outside the team."""

    def __init__(self, policy: dict, forms: dict[str, FormDef], case: Case) -> None:
        rules = ((policy.get("case_file") or {}).get("redact")) or {}
        self.initial_words = {str(w).lower() for w in rules.get("initials") or []}
        self.leave_out_words = {str(w).lower() for w in rules.get("leave_out") or []}
        self.forms = forms
        names: set[str] = set()
        for record in case.records:
            names.update(_words_of(record.created_by, record.updated_by))
            form = forms.get(record.form)
            if form is None:
                continue
            for section in form.sections:
                values = record.body.get(section.id)
                if isinstance(values, dict):
                    for fld in section.fields:
                        names.update(self._names_in(fld, values.get(fld.name)))
        names.update(_words_of(case.case_file.get("worker")))
        for event in case.events:
            names.update(_words_of(event.get("by")))
        # Longest first, so that "Wanjala-Simiyu" goes before "Wanjala"; whole words only, any case.
        self.names = sorted((n for n in names if len(n) >= 2), key=len, reverse=True)
        self._pattern = (
            re.compile(r"(?<![\w])(" + "|".join(re.escape(n) for n in self.names) + r")(?![\w])", re.IGNORECASE)
            if self.names
            else None
        )

    def kind(self, fld: Field) -> str:
        """'initials', 'leave_out', 'signature' or 'text' (free text searched for names) or 'keep'."""
        words = set(fld.name.lower().split("_"))
        if words & self.leave_out_words:
            return "leave_out"
        if fld.type == "signature":
            return "signature"
        if words & self.initial_words or re.search(r"\bnames?\b", fld.label.en, re.IGNORECASE):
            return "initials"
        if fld.type in ("text", "long_text") or fld.other:
            return "text"
        return "keep"

    def _names_in(self, fld: Field, value: Any) -> set[str]:
        kind = self.kind(fld)
        if kind == "initials":
            return set(_words_of(value))
        if kind == "signature":
            return set(_words_of(value.get("name") if isinstance(value, dict) else value))
        if fld.type == "table" and isinstance(value, list):
            found: set[str] = set()
            for row in value:
                if isinstance(row, dict):
                    for column in fld.columns:
                        found |= self._names_in(column, row.get(column.name))
            return found
        return set()

    def text(self, value: Any) -> Any:
        """Every known name in a piece of free text replaced by its initial."""
        if not isinstance(value, str) or self._pattern is None:
            return value
        return self._pattern.sub(lambda m: f"{m.group(0)[0].upper()}.", value)

    def value(self, fld: Field, value: Any) -> Any:
        if value is None or value == "" or value == []:
            return value
        kind = self.kind(fld)
        if kind == "leave_out":
            return LEFT_OUT
        if kind == "initials":
            return initials(value) if isinstance(value, str) else LEFT_OUT
        if kind == "signature":
            if isinstance(value, dict):
                return {**value, "name": initials(value.get("name"))}
            return initials(value)
        if fld.type == "table" and isinstance(value, list):
            return [
                {c.name: self.value(c, row.get(c.name)) for c in fld.columns} if isinstance(row, dict) else row
                for row in value
            ]
        if kind == "text":
            if isinstance(value, list):
                return [self.text(v) for v in value]
            return self.text(value)
        return value

    def body(self, form: FormDef, body: dict) -> dict:
        """A redacted copy of a record's body (sections the form does not define are left out)."""
        redacted: dict[str, Any] = {}
        for section in form.sections:
            values = body.get(section.id)
            if isinstance(values, dict):
                redacted[section.id] = {f.name: self.value(f, values.get(f.name)) for f in section.fields}
        return redacted


def _words_of(*values: Any) -> list[str]:
    """The words of names, whole and split at hyphens ('Simiyu-Demo', 'Simiyu', 'Demo')."""
    found = []
    for value in values:
        if isinstance(value, str):
            for word in _WORDS.findall(value):
                found.append(word)
                found += [part for part in re.split(r"[-'’]", word) if part and part != word]
    return found


def printable_records(case: Case, since: _dt.date | None = None) -> list:
    """The records printed as forms, in date order: every form (not the internal records), since a date."""
    return [
        r
        for r in case.records
        if r.form not in INTERNAL_FORMS and r.form != CASE_FILE and (since is None or (r.date and r.date >= since))
    ]
