"""Cases and their records: create a case, add a record, summarise a case."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from cmtk import dates, ids
from cmtk.records import Record
from cmtk.store import Session


def new_record(session: Session, case_id: str, form: str, body: dict[str, Any], date: _dt.date | None) -> Record:
    return Record(
        case=case_id,
        record=ids.new_record_id(),
        form=form,
        body=body,
        date=date,
        created=dates.now_utc().isoformat(),
        created_by=session.author,
    )


def create_case(session: Session, form: str, body: dict[str, Any], date: _dt.date | None = None) -> str:
    """Open a case with its first record (normally the identification form); one commit."""
    case_id = session.new_case_id()
    session.save(case_id, [new_record(session, case_id, form, body, date or dates.today())], "create")
    return case_id


def add_record(session: Session, case_id: str, form: str, body: dict[str, Any], date: _dt.date | None = None) -> Record:
    case_id = ids.normalise_case_id(case_id)
    session.case_records(case_id)  # refuses an unknown case
    record = new_record(session, case_id, form, body, date or dates.today())
    session.save(case_id, [record], "update")
    return record


@dataclass(frozen=True)
class CaseSummary:
    case: str
    opened: _dt.date | None
    records: int
    last_date: _dt.date | None
    forms: tuple[str, ...]


def summarise(session: Session, case_id: str) -> CaseSummary:
    found = session.case_records(case_id)
    dated = [r.date for r in found if r.date]
    return CaseSummary(
        case=case_id,
        opened=min(dated) if dated else None,
        records=len(found),
        last_date=max(dated) if dated else None,
        forms=tuple(r.form for r in found),
    )
