"""Fields a sync could not merge: listing them (`cmtk conflicts`) and choosing a value (`cmtk resolve`).

A merged record keeps the value saved last to each field and lists every
other value written to it in its envelope under `conflicts` (cmtk.team.merge).
A listed conflict pairs the field's current value, read from the record
itself (so it is always what the field holds), with one other value.
Resolving sets the chosen value and drops that entry, in one commit; other
values listed for the same field stay listed against the new current value.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from dataclasses import dataclass
from typing import Any

from cmtk import dates
from cmtk.errors import CmtkError, UsageError
from cmtk.index import summary
from cmtk.store import ids, records
from cmtk.store.session import Session
from cmtk.team import merge

CHOICES = ("kept", "other")


@dataclass(frozen=True)
class Conflict:
    number: int
    subject: str  # a case id or a conference id
    record: str
    form: str
    date: _dt.date | None
    field: str
    kept: Any  # the value the field holds now
    other: Any  # a value written on another copy, waiting for a choice
    kept_by: str = ""  # who saved each value to this field, and when (empty when cmtk did not record it)
    other_by: str = ""
    entry: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)


CONFLICT_COLUMNS = ["subject", "number", "form", "date", "record", "field", "kept", "kept_by", "other", "other_by"]


@dataclass(frozen=True)
class ConflictList:
    """Fields two laptops changed differently before a sync, in one case or conference (`subject`) or all."""

    subject: str | None
    conflicts: list[Conflict]

    def to_json(self) -> list[dict[str, Any]]:
        return [{key: getattr(c, key) for key in CONFLICT_COLUMNS} for c in self.conflicts]

    def to_rows(self) -> tuple[list[str], list[list[Any]]]:
        return CONFLICT_COLUMNS, [[getattr(c, key) for key in CONFLICT_COLUMNS] for c in self.conflicts]


def listing(session: Session, subject: str | None = None) -> ConflictList:
    """The conflicts of one case or conference, or of the whole store."""
    if subject is None:
        return ConflictList(None, everywhere(session))
    subject = ids.normalise_case_id(subject)
    return ConflictList(subject, of_case(session, subject))


def in_records(subject: str, found: list[records.Record]) -> list[Conflict]:
    listed: list[Conflict] = []
    for record in found:
        content: dict[str, Any] | None = None
        for entry in record.extra.get(merge.CONFLICTS) or []:
            if isinstance(entry, dict):
                content = content if content is not None else records.envelope(record)
                where = str(entry.get("field", ""))
                current = merge.field_value(content, where)
                stamp, known = merge.stamp_at(content, where)
                listed.append(
                    Conflict(
                        len(listed) + 1,
                        subject,
                        record.record,
                        record.form,
                        record.date,
                        where,
                        None if current is merge.MISSING else current,
                        entry.get("other"),
                        merge.label(stamp) if known and current is not merge.MISSING else "",
                        str(entry.get("other_by") or ""),
                        entry,
                    )
                )
    return listed


def of_case(session: Session, subject: str) -> list[Conflict]:
    subject = ids.normalise_case_id(subject)
    if session.store.has_case(subject):
        return in_records(subject, session.case_records(subject))
    if session.store.conference_dir(subject).is_dir():
        return in_records(subject, session.conference_records(subject))
    raise CmtkError.of("no-such-subject", subject=subject)


def everywhere(session: Session) -> list[Conflict]:
    """Every listed conflict: cases found through the summary index, conferences read directly (they are few)."""

    rows = summary.load(session)
    listed: list[Conflict] = []
    for case_id in sorted(rows):
        if rows[case_id].get("conflicts"):
            listed.extend(in_records(case_id, session.case_records(case_id)))
    for conference_id in session.store.conference_ids():
        listed.extend(in_records(conference_id, session.conference_records(conference_id)))
    return listed


def resolve(session: Session, subject: str, number: int, take: str) -> tuple[Conflict, Any]:
    """Keep the field's current value (`kept`) or put the other one in (`other`); the entry goes either way.
    Returns the conflict and the value the field holds once saved (read back from the saved record)."""
    if take not in CHOICES:
        raise UsageError.of("take-option", take=take)
    listed = of_case(session, subject)
    if not listed:
        raise CmtkError.of("no-conflicts", subject=subject)
    if not 1 <= number <= len(listed):
        count = "only conflict 1" if len(listed) == 1 else f"conflicts 1 to {len(listed)}"
        raise UsageError.of("conflict-number-range", subject=subject, count=count)
    chosen = listed[number - 1]
    record = next(r for r in _records_of(session, chosen.subject) if r.record == chosen.record)
    content = records.envelope(record)
    if take == "other" and not merge.set_field(content, chosen.field, chosen.other):
        raise CmtkError.of("conflict-field-gone", field=chosen.field)
    entries = list(content.get(merge.CONFLICTS) or [])
    if chosen.entry in entries:
        entries.remove(chosen.entry)
    if entries:
        content[merge.CONFLICTS] = entries
    else:
        content.pop(merge.CONFLICTS, None)
    updated = records.from_envelope(content, chosen.record)

    updated = dataclasses.replace(updated, updated=dates.now_utc().isoformat(), updated_by=session.author)
    session.save(chosen.subject, [updated], "update")  # not "resolve": a thief would see conflicts (review 4)
    saved = next(r for r in _records_of(session, chosen.subject) if r.record == chosen.record)
    now = merge.field_value(records.envelope(saved), chosen.field)
    return chosen, None if now is merge.MISSING else now


def _records_of(session: Session, subject: str) -> list[records.Record]:
    if session.store.conference_dir(subject).is_dir():
        return session.conference_records(subject)
    return session.case_records(subject)
