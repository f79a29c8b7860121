"""Cases and their records: intake, recording a form, reading a case back.

Every case has one internal `case-file` record (who the caseworker is, when
the case was opened, its status) beside the form records, and one internal
`attachment` record per attached file. They are encrypted like every other record.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import unicodedata
from dataclasses import dataclass
from typing import Any

from cmtk import dates, messages
from cmtk.casework import scoring
from cmtk.errors import CmtkError, ValidationError
from cmtk.findings import Finding
from cmtk.forms import definitions, validate
from cmtk.store import ids
from cmtk.store.records import Record
from cmtk.store.session import Session

CASE_FILE = "case-file"
ATTACHMENT = "attachment"  # the record of an attached scan or photo (cmtk.casework.attachments)
INTERNAL_FORMS = (CASE_FILE, ATTACHMENT)  # records cmtk keeps itself, not forms a caseworker fills in
VOID_LOG = "void_log"  # envelope key: [{what: void|restore, date, by, reason}], newest last
INTAKE_FORM = "identification"
NAME_FIELDS = ("first_name", "other_names", "surname", "nickname")


class InvalidRecord(ValidationError):
    """A record failed validation; `findings` lists every problem (one line each), each with its own code."""

    code = "invalid-record"

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        self.lines = [str(f) for f in findings]
        super().__init__("; ".join(str(f) for f in findings[:3]) + (" ..." if len(findings) > 3 else ""))


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
    """Open a case with one record, without validation (tests, imports); one commit."""
    case_id = session.new_case_id()
    session.save(case_id, [new_record(session, case_id, form, body, date or dates.today())], "create")
    return case_id


def add_record(session: Session, case_id: str, form: str, body: dict[str, Any], date: _dt.date | None = None) -> Record:
    """Add one record to an existing case, without validation; one commit."""
    case_id = ids.normalise_case_id(case_id)
    session.case_records(case_id)  # refuses an unknown case
    record = new_record(session, case_id, form, body, date or dates.today())
    session.save(case_id, [record], "update")
    return record


def _record_date(session: Session, date: _dt.date | None, today: _dt.date) -> _dt.date:
    when = date or today
    if when > today:
        raise ValidationError.of("record-date-future", when=when.isoformat())
    return when


def check_body(
    session: Session, form: definitions.FormDef, body: Any, today: _dt.date, require: tuple[str, ...] = ()
) -> dict:
    clean, findings = validate.validate_body(
        form, body, today=today, order=session.store.date_order, require_sections=require
    )
    if findings:
        raise InvalidRecord(findings)
    return clean


def case_findings(case: Case, form: definitions.FormDef, body: dict, day: _dt.date | None) -> list[Finding]:
    """What a valid form still cannot say about this case: a date before the child was born or before the case
    was opened (the record's own date or any date in it), or N/A where the form does not allow it."""
    findings: list[Finding] = []
    born, opened = case.born, case.opened
    if form.id != INTAKE_FORM:
        dated: list[tuple[str, Any]] = [("--date", day)] if day else []
        for section, field in form.all_fields():
            value = (body.get(section.id) or {}).get(field.name)
            if field.type == "date":
                dated.append((f"{section.id}.{field.name}", value))
            for row in value if field.type == "table" and isinstance(value, list) else []:
                dated += [
                    (f"{section.id}.{field.name}.{c.name}", row.get(c.name)) for c in field.columns if c.type == "date"
                ]
        for where, value in dated:
            if not isinstance(value, _dt.date):
                continue
            if born is not None and value < born:
                findings.append(messages.finding(f"{form.id}: {where}", "before-birth"))
            elif opened is not None and value < opened:
                findings.append(
                    messages.finding(
                        f"{form.id}: {where}",
                        "before-opening",
                        typed=value.isoformat(),
                        case=case.id,
                        opened=opened.isoformat(),
                    )
                )
    if any(f.type == "yes_no_na" and f.indicator for _, f in form.all_fields()):
        bio = case.biographical
        on = (body.get("review") or {}).get("review_date") or day or dates.today()
        age = scoring.age_on(born, on) if born else None
        for where, indicator in scoring.na_refused(form, body, age=age, sex=bio.get("sex")):
            findings.append(messages.finding(f"{form.id}: {where}", "na-not-allowed", label=indicator))
    return findings


def check_for_case(
    session: Session,
    case: Case,
    form: definitions.FormDef,
    body: Any,
    today: _dt.date,
    day: _dt.date | None = None,
    require: tuple[str, ...] = (),
) -> dict:
    """check_body, then the checks that need the case (dates against birth and opening, N/A)."""
    clean = check_body(session, form, body, today, require)
    findings = case_findings(case, form, clean, day)
    if findings:
        raise InvalidRecord(findings)
    return clean


def intake_sections(form: definitions.FormDef) -> tuple[str, ...]:
    """Sections the identification form needs on the day a case is opened (step 1)."""
    return tuple(s.id for s in form.sections if s.required_at_step == 1)


def open_case(
    session: Session,
    body: Any,
    *,
    worker: str | None = None,
    date: _dt.date | None = None,
    today: _dt.date | None = None,
    dry_run: bool = False,
) -> str:
    """Intake: validate the identification form, then write it and the case file in one commit."""
    records = intake_records(session, body, worker=worker, date=date, today=today or dates.today())
    session.save(records[0].case, records, "create", dry_run=dry_run)
    return records[0].case


def intake_records(
    session: Session,
    body: Any,
    *,
    worker: str | None = None,
    date: Any = None,
    today: _dt.date,
    taken: set[str] | None = None,
) -> list[Record]:
    """The case file and identification record of a new case, validated but not written. `taken` collects
    the ids handed out in one batch, so two new cases never share one."""
    form = definitions.load_form(INTAKE_FORM, session.store.root)
    clean = check_body(session, form, body, today, intake_sections(form))
    if date is not None and not isinstance(date, _dt.date):
        date = session.store.parse_date(date, field="date opened")
    opened = _record_date(session, date, today)
    worker_name = _team_member(session, worker) if worker else session.author
    taken = taken if taken is not None else set()
    case_id = ids.new_case_id(lambda candidate: candidate in taken or session.store.has_case(candidate))
    taken.add(case_id)
    case_file = new_record(
        session, case_id, CASE_FILE, {"case": {"worker": worker_name, "status": "open", "opened": opened}}, opened
    )
    return [case_file, new_record(session, case_id, INTAKE_FORM, clean, opened)]


def name_key(bio: dict[str, Any]) -> str:
    """First name and surname, folded and in either order: what two entries for one child share."""
    return " ".join(sorted(fold(str(bio.get(k) or "")) for k in ("first_name", "surname") if bio.get(k)))


def _team_member(session: Session, name: str) -> str:
    members = session.store.members()
    for member in members:
        if member.name.casefold() == name.strip().casefold():
            return member.name
    known = ", ".join(m.name for m in members)
    raise CmtkError.of("worker-not-in-team", name=name, known=known)


def record_form(
    session: Session,
    case_id: str,
    form_id: str,
    body: Any,
    *,
    date: _dt.date | None = None,
    today: _dt.date | None = None,
    dry_run: bool = False,
    extra: dict[str, Any] | None = None,
) -> Record:
    """Validate and add a completed form to a case; one commit. `extra`: envelope keys beside the body."""
    today = today or dates.today()
    form = definitions.load_form(form_id, session.store.root)
    if form.subject != "case":
        raise CmtkError.of("form-for-conference", form_id=form_id)
    case = from_records(case_id, session.case_records(case_id))
    if not form.repeatable and any(r.form == form_id for r in case.records):
        raise CmtkError.of("record-exists", case_id=case_id, form_id=form_id)
    when = _record_date(session, date, today)
    clean = check_for_case(session, case, form, body, today, when)
    record = new_record(session, case_id, form_id, clean, when)
    if extra:
        record = dataclasses.replace(record, extra=dict(extra))
    session.save(case_id, [record], "update", dry_run=dry_run)
    return record


def set_void(session: Session, case_id: str, record_id: str, *, void: bool, reason: str, today: _dt.date) -> Record:
    """Void a record (it stops counting everywhere) or restore it; the record keeps who, when and why."""
    case = read_case(session, case_id)
    wanted = record_id.strip().upper()
    found = next((r for r in (*case.records, *case.voided) if r.record == wanted), None)
    if found is None:
        raise CmtkError.of("no-such-record", id=case.id, wanted=wanted)
    if found.form == CASE_FILE:
        raise CmtkError.of("void-case-file", wanted=wanted, id=case.id)
    if found.form == ATTACHMENT:
        raise CmtkError.of("void-attachment-record", wanted=wanted, id=case.id)
    if void and is_void(found):
        raise CmtkError.of("record-already-void", wanted=wanted, form=found.form)
    if not void and not is_void(found):
        raise CmtkError.of("record-not-void", wanted=wanted, form=found.form)
    why = " ".join(str(reason or "").split())
    if not why:
        raise ValidationError.of("reason-empty")
    if len(why) > 300 or validate.has_control_characters(why):
        raise ValidationError.of("reason-too-long")
    stamp = dates.now_utc().isoformat()
    entry = {"what": "void" if void else "restore", "date": today, "by": session.author, "reason": why, "at": stamp}
    log = [*(found.extra.get(VOID_LOG) or []), entry]
    changed = dataclasses.replace(found, extra={**found.extra, VOID_LOG: log}, updated=stamp, updated_by=session.author)
    session.save(case.id, [changed], "update")
    return changed


def void_entry(record: Record) -> dict:
    """The latest void or restore entry of a record (empty if it never had one)."""
    log = record.extra.get(VOID_LOG) or []
    return dict(log[-1]) if log and isinstance(log[-1], dict) else {}


# -- reading a case ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A case as read from its records. Voided records are kept apart: they count nowhere."""

    id: str
    records: tuple[Record, ...]
    voided: tuple[Record, ...] = ()

    @property
    def case_file(self) -> dict[str, Any]:
        found = [r for r in self.records if r.form == CASE_FILE]
        return found[-1].body.get("case", {}) if found else {}

    @property
    def events(self) -> list[dict[str, Any]]:
        """Moves between steps (advance, sent back, re-opened, transferred), oldest first."""
        found = [r for r in self.records if r.form == CASE_FILE]
        return list(found[-1].body.get("events") or []) if found else []

    @property
    def worker(self) -> str:
        return str(self.case_file.get("worker") or (self.records[0].created_by if self.records else ""))

    @property
    def status(self) -> str:
        return str(self.case_file.get("status") or "open")

    @property
    def opened(self) -> _dt.date | None:
        opened = self.case_file.get("opened")
        if isinstance(opened, _dt.date):
            return opened
        dated = [r.date for r in self.records if r.date]
        return min(dated) if dated else None

    def latest(self, form_id: str) -> Record | None:
        found = [r for r in self.records if r.form == form_id]
        return found[-1] if found else None

    def forms(self) -> list[Record]:
        """The forms recorded for the case (not the internal case file and attachment records)."""
        return [r for r in self.records if r.form not in INTERNAL_FORMS]

    @property
    def biographical(self) -> dict[str, Any]:
        record = self.latest(INTAKE_FORM)
        return dict(record.body.get("biographical", {})) if record else {}

    @property
    def born(self) -> _dt.date | None:
        """The date of birth, or one estimated from the age given at intake (the day the case was opened)."""
        bio = self.biographical
        if isinstance(bio.get("date_of_birth"), _dt.date):
            return bio["date_of_birth"]
        age, opened = bio.get("estimated_age"), self.opened
        if isinstance(age, int) and opened is not None:
            day = min(opened.day, 28) if opened.month == 2 else opened.day
            return _dt.date(opened.year - age, opened.month, day)
        return None

    @property
    def name(self) -> str:
        bio = self.biographical
        parts = [str(bio.get(k)) for k in ("first_name", "other_names", "surname") if bio.get(k)]
        return " ".join(parts)


SHOWN_DETAILS = ("nickname", "sex", "date_of_birth", "estimated_age")


@dataclass(frozen=True)
class CaseOverview:
    """What `cmtk case show` prints: the child, the caseworker, every form recorded (bodies with `full`)."""

    case: Case
    at: _dt.date | None = None  # the day the case is shown as it stood, from history
    full: bool = False

    @property
    def unresolved(self) -> int:
        return sum(len(r.extra.get("conflicts") or []) for r in self.case.records)

    def to_json(self) -> dict[str, Any]:
        bio = self.case.biographical
        return {
            "case": self.case.id,
            "name": self.case.name,
            **{key: bio.get(key) for key in SHOWN_DETAILS},
            "worker": self.case.worker,
            "opened": self.case.opened,
            "status": self.case.status,
            "as_of": self.at,
            "forms": [
                {
                    "date": rec.date,
                    "form": rec.form,
                    "record": rec.record,
                    "by": rec.created_by,
                    **({"body": rec.body} if self.full else {}),
                }
                for rec in self.case.forms()
            ],
            "voided": [
                {"date": rec.date, "form": rec.form, "record": rec.record, **_void_fields(rec)}
                for rec in self.case.voided
            ],
            "conflicts": self.unresolved,
        }

    def to_rows(self) -> tuple[list[str], list[list[Any]]]:
        return ["date", "form", "record", "by"], [[r.date, r.form, r.record, r.created_by] for r in self.case.forms()]


def _void_fields(record: Record) -> dict[str, Any]:
    entry = void_entry(record)
    return {"voided_on": entry.get("date"), "voided_by": entry.get("by"), "reason": entry.get("reason")}


def is_void(record: Record) -> bool:
    """Whether a record was voided (and not restored since): its last void-log entry says so."""
    log = record.extra.get(VOID_LOG)
    return bool(log) and isinstance(log, list) and isinstance(log[-1], dict) and log[-1].get("what") == "void"


def from_records(case_id: str, found) -> Case:
    """The one place a case is put together from its records: voided records stop counting here."""
    found = tuple(found)
    return Case(case_id, tuple(r for r in found if not is_void(r)), tuple(r for r in found if is_void(r)))


def read_case(session: Session, case_id: str) -> Case:
    case_id = ids.normalise_case_id(case_id)
    return from_records(case_id, session.case_records(case_id))


@dataclass(frozen=True)
class Listed:
    """A case as the summary index holds it (for lists and search, without decrypting its records)."""

    id: str
    row: dict[str, Any]

    name = property(lambda self: self.row["name"])
    worker = property(lambda self: self.row["worker"])
    status = property(lambda self: self.row["status"])
    step = property(lambda self: self.row["step"])
    opened = property(lambda self: _dt.date.fromisoformat(self.row["opened"]) if self.row["opened"] else None)


def fold(text: str) -> str:
    """Lower case without accents, for forgiving name search."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
