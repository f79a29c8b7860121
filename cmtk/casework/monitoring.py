"""Monitoring visits, case reviews and referrals: recording them and what follows from them."""

from __future__ import annotations

import dataclasses
import datetime as _dt
from typing import Any

from cmtk import dates
from cmtk.casework import cases, references, schedule, scoring, workflow
from cmtk.casework import policy as policy_module
from cmtk.errors import CmtkError
from cmtk.forms import definitions
from cmtk.store.records import Record
from cmtk.store.session import Session

MODES = ("home", "phone", "school", "other")
YOUNG_PERSON_CARE = ("supported_independent_living", "child_headed_household")


def visit_body(extra: Any, *, day: _dt.date, seen: bool | None, mode: str) -> dict:
    """The monitoring form from the flags plus any sections read from a file; a phone call never counts as seen."""
    if extra is not None and not isinstance(extra, dict):
        raise CmtkError.of("visit-from-shape")
    if mode not in MODES:
        raise CmtkError.of("visit-mode", mode=mode, modes=", ".join(MODES), suggest=definitions.suggest(mode, MODES))
    if mode == "phone" and seen:
        raise CmtkError.of("visit-phone-seen")
    body = dict(extra or {})
    visit = dict(body.get("visit") or {})
    visit.update(
        {
            "visit_date": day,
            "mode": mode,
            "child_seen": "yes" if (seen if seen is not None else mode != "phone") else "no",
        }
    )
    body["visit"] = visit
    return body


def needed_sections(form: definitions.FormDef) -> tuple[str, ...]:
    """The sections of the monitoring form a contact must fill in: those with a required field."""
    return tuple(s.id for s in form.sections if any(f.required for f in s.fields))


def record_visit(session: Session, case_id: str, body: dict, *, today: _dt.date) -> tuple[Record, str]:
    """Record a contact; returns the record and whether (and why not) it counts as a monitoring visit."""
    day = body["visit"]["visit_date"]
    form = definitions.load_form("monitoring", session.store.root)
    missing = [s for s in needed_sections(form) if not isinstance(body.get(s), dict) or not body.get(s)]
    if missing:
        names = ", ".join(str(getattr(form.section(s), "title", s)) for s in missing)
        raise CmtkError.of("visit-contact-missing", names=names.lower(), missing=", ".join(missing))
    record = cases.record_form(session, case_id, "monitoring", body, date=day, today=today)
    return record, counts_as(cases.read_case(session, case_id), day, body["visit"]["child_seen"] == "yes", session)


def counts_as(case: cases.Case, day: _dt.date, seen: bool, session: Session) -> str:
    """Plain words on whether a contact counts, and if not, why (the child not seen, or the case's step)."""
    policy = policy_module.load(session.store.root)
    if not seen:
        return "is recorded but does not count as a visit (child not seen)"
    if case.status == "transferred":
        return f"is recorded but does not count: case {case.id} is transferred to another organisation"
    if case.status == "closed":
        closed = schedule.closed_on(case, policy)
        if closed and day > closed:
            return "counts as the follow-up visit after closure"
        return f"is recorded but does not count: case {case.id} is closed"
    start = schedule.monitoring_start(case, policy)
    step = workflow.step_of(case)
    if start is None:
        return (
            f"is recorded but does not count as a monitoring visit: case {case.id} is at step {step} and the child "
            "is not placed yet (visits count from the placement)"
        )
    if day < start:
        return (
            "is recorded but does not count as a monitoring visit: it is before monitoring started on "
            f"{start.isoformat()}"
        )
    return "counts as a visit"


def review_form_for(case: cases.Case, young_person: bool | None) -> str:
    if young_person is None:
        placement = case.latest("placement")
        care = (placement.body.get("placement") or {}).get("care_type") if placement else None
        young_person = care in YOUNG_PERSON_CARE
    return "case-review-young-person" if young_person else "case-review"


def record_review(session: Session, case_id: str, form_id: str, body: dict, *, day: _dt.date | None, today: _dt.date):
    """Save a case review and score it; returns the record and its benchmark result."""
    if not isinstance(body, dict):
        raise CmtkError.of("indicators-from-shape", form_id=form_id)
    review = dict(body)
    section = dict(review.get("review") or {})
    section.setdefault("review_date", day or today)
    review["review"] = section
    record = cases.record_form(session, case_id, form_id, review, date=day or today, today=today)
    case = cases.read_case(session, case_id)
    result = scoring.case_benchmarks(session, case, policy_module.load(session.store.root))
    return record, result


REFERRAL_NUMBER = "number"  # envelope key: the referral's number in its case, given when it is made


def referral_candidates(case: cases.Case) -> list[references.Candidate[Record]]:
    """Each referral with its number: the one it was given, or (older referrals, made before numbers were
    kept) its place among them, which no longer changes since new referrals are numbered when made."""
    found = [r for r in case.records if r.form == "referral"]
    older = [r for r in found if r.extra.get(REFERRAL_NUMBER) is None]
    return [
        references.Candidate(
            str(r.extra[REFERRAL_NUMBER]) if r.extra.get(REFERRAL_NUMBER) is not None else str(older.index(r) + 1),
            r.record,
            r,
        )
        for r in found
    ]


def refer(session: Session, case_id: str, body: Any, *, day: _dt.date, today: _dt.date) -> tuple[Record, str]:
    """Record a referral, numbered after the case's referrals; returns it and its number."""
    number = references.next_label([c.label for c in referral_candidates(cases.read_case(session, case_id))])
    record = cases.record_form(
        session, case_id, "referral", body, date=day, today=today, extra={REFERRAL_NUMBER: int(number)}
    )
    return record, number


def referral_done(
    session: Session, case_id: str, reference: str, *, day: _dt.date, benefit: bool | None, today: _dt.date
) -> Record:
    """Close a referral's follow-up: date checked and whether the family confirmed the benefit."""
    case = cases.read_case(session, case_id)
    candidates = referral_candidates(case)
    listed = ", ".join(f"{c.label} ({c.ref})" for c in candidates) or "none"
    match = [references.pick("referral", f"case {case.id}", reference, candidates, f"the referrals: {listed}")]
    if day > today:
        raise CmtkError.of("date-future", day=day.isoformat())
    original = match[0]
    body = dict(original.body)
    follow = dict(body.get("follow_up") or {})
    follow["feedback_date"] = day
    if benefit is not None:
        follow["benefit_confirmed"] = "yes" if benefit else "no"
    body["follow_up"] = follow
    clean = cases.check_body(session, definitions.load_form("referral", session.store.root), body, today)
    updated = dataclasses.replace(original, body=clean, updated=dates.now_utc().isoformat(), updated_by=session.author)
    session.save(case.id, [updated], "update")
    return updated
