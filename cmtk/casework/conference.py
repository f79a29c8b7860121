"""Case conferences (SOP 14): prepare, hold and report, with case ids only in minutes and reports.

A conference is a folder `conferences/<ID>/` of encrypted records: its file
(date, kind, chair, venue, cases, participants with invitation and
confirmation dates), confidentiality agreements, minutes and report. Closing
it writes its action points into each case plan and records, with each case,
the decisions a step needs (which family; whether the case may close), all in
one commit.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import re
from dataclasses import dataclass
from typing import Any

from cmtk import dates, messages
from cmtk.casework import cases, plan, references, workflow
from cmtk.casework import policy as policy_module
from cmtk.casework.history import flatten
from cmtk.casework.schedule import DueItem
from cmtk.errors import CmtkError, ValidationError
from cmtk.findings import Finding
from cmtk.forms import definitions
from cmtk.store import ids, rows
from cmtk.store.records import Record
from cmtk.store.session import Session

KINDS = ("internal", "external", "aac")
FILE_FORM = "conference-file"
SUBJECT = {"subject": "conference"}
OUTCOME_DECISIONS = {
    "family_recommended": {"kind": "family_choice"},
    "closure_approved": {"kind": "closure_approval", "approved": "yes"},
    "closure_not_approved": {"kind": "closure_approval", "approved": "no"},
}


@dataclass(frozen=True)
class Conference:
    id: str
    records: tuple[Record, ...]

    @property
    def file_record(self) -> Record:
        found = [r for r in self.records if r.form == FILE_FORM]
        if not found:
            raise CmtkError.of("conference-file-missing", id=self.id)
        return found[-1]

    @property
    def info(self) -> dict[str, Any]:
        return dict(self.file_record.body.get("conference") or {})

    @property
    def date(self) -> _dt.date:
        return self.info["date"]

    @property
    def cases(self) -> list[dict]:
        return list(self.file_record.body.get("cases") or [])

    @property
    def participants(self) -> list[dict]:
        return list(self.file_record.body.get("participants") or [])

    def latest(self, form_id: str) -> Record | None:
        found = [r for r in self.records if r.form == form_id]
        return found[-1] if found else None


def read(session: Session, conference_id: str) -> Conference:
    conference_id = ids.normalise_case_id(conference_id)
    return Conference(conference_id, tuple(session.conference_records(conference_id)))


LIST_COLUMNS = ["conference", "date", "kind", "chair", "cases", "status", "recorded_by_hand", "case", "decision"]


@dataclass(frozen=True)
class HandDecision:
    """A conference decision recorded by hand on a case (form conference-decision) that names no conference
    record of this store: the conference was held on paper, or before cmtk."""

    case: str
    date: _dt.date | None
    kind: str  # what was decided: family_choice, closure_approval or other


@dataclass(frozen=True)
class ConferenceList:
    """Every conference of the store, as `cmtk conference list` shows them, then the decisions recorded by
    hand on cases without a conference record (oldest first).

    One row per item in every format: a conference record has `recorded_by_hand` false and no `case` or
    `decision`; a hand-recorded decision has `recorded_by_hand` true, its case in `case`, what was decided in
    `decision`, one case, and no conference id, kind, chair or status (none is known to cmtk).
    """

    conferences: list[Conference]
    by_hand: list[HandDecision] = dataclasses.field(default_factory=list)

    def to_json(self) -> list[dict[str, Any]]:
        return [dict(zip(LIST_COLUMNS, row, strict=True)) for row in self.to_rows()[1]]

    def to_rows(self) -> tuple[list[str], list[list[Any]]]:
        held = [
            [c.id, c.info["date"], c.info["kind"], c.info.get("chair", ""), len(c.cases), c.info.get("status")]
            + [False, None, None]
            for c in self.conferences
        ]
        return LIST_COLUMNS, held + [[None, d.date, None, None, 1, None, True, d.case, d.kind] for d in self.by_hand]


def listing(session: Session) -> ConferenceList:
    return ConferenceList([read(session, conference_id) for conference_id in session.store.conference_ids()])


def _record(session: Session, conference_id: str, form_id: str, body: dict, day: _dt.date) -> Record:
    return dataclasses.replace(cases.new_record(session, conference_id, form_id, body, day), extra=dict(SUBJECT))


def _update(session: Session, conference: Conference, body: dict) -> Record:
    return dataclasses.replace(
        conference.file_record, body=body, updated=dates.now_utc().isoformat(), updated_by=session.author
    )


def create(session: Session, *, day: _dt.date, kind: str, chair: str, venue: str = "") -> str:
    if kind not in KINDS:
        raise CmtkError.of(
            "conference-kind", kind=kind, kinds=", ".join(KINDS), suggest=definitions.suggest(kind, KINDS)
        )
    taken = set(session.store.conference_ids()) | set(session.store.case_ids())
    conference_id = ids.new_case_id(taken.__contains__)
    body = {
        "conference": {"date": day, "kind": kind, "chair": chair, "venue": venue, "status": "open"},
        "cases": [],
        "participants": [],
    }
    session.save(conference_id, [_record(session, conference_id, FILE_FORM, body, day)], "create")
    return conference_id


def add_case(session: Session, conference_id: str, case_id: str, presenter: str = "") -> list[str]:
    """Add a case; returns warnings. Over the policy's limit: refused or warned, as the policy says."""
    conference = read(session, conference_id)
    case = cases.read_case(session, case_id)
    if any(c["case"] == case.id for c in conference.cases):
        raise CmtkError.of("case-already-on-conference", id=case.id, id2=conference.id)
    limits = policy_module.load(session.store.root)["conferences"][conference.info["kind"]]
    warnings = []
    if len(conference.cases) + 1 > int(limits["max_cases"]):
        if limits.get("over_max", "refuse") == "refuse":
            raise CmtkError.of(
                "conference-full", conference_kind=conference.info["kind"], max_cases=limits["max_cases"]
            )
        warnings.append(
            f"a {conference.info['kind']} conference takes at most {limits['max_cases']} cases; "
            "consider a second conference"
        )
    body = dict(conference.file_record.body)
    body["cases"] = [*conference.cases, {"case": case.id, "presenter": presenter or case.worker}]
    session.save(conference.id, [_update(session, conference, body)], "update")
    return warnings


def _person(name: str) -> str:
    return " ".join(name.split()).casefold()


PARTICIPANT_KINDS = ("staff", "child", "family")  # staff: staff and partners; child and family: of a case on it
_KIND_WORDS = {"child": "Child", "family": "Family member"}


def kind_of(person: dict) -> str:
    return str(person.get("kind") or "staff")


def staff(people: list[dict]) -> list[dict]:
    """The members of the conference (staff and partners): the 5-to-10 rule and the once-only agreement are
    theirs. A child or a family member takes part for their own case only."""
    return [p for p in people if kind_of(p) == "staff"]


def add_participant(
    session: Session,
    conference_id: str,
    name: str | None,
    organisation: str = "",
    role: str = "",
    invited: _dt.date | None = None,
    *,
    kind: str = "staff",
    case_id: str | None = None,
) -> tuple[str, list[str]]:
    """Add a participant; returns the name they are listed under and warnings.

    A child or a family member (SOP 14: where it is in the child's best interests) is listed by the case they
    come for, never by name, so attendance sheets and minutes identify no child.
    """
    conference = read(session, conference_id)
    if kind not in PARTICIPANT_KINDS:
        raise CmtkError.of("participant-kind", kind=kind, participant_kinds=", ".join(PARTICIPANT_KINDS))
    entry: dict[str, Any] = {"organisation": organisation, "role": role, "kind": kind}
    if kind == "staff":
        if not name or not name.strip():
            raise ValidationError.of("participant-name-empty")
        entry["name"] = name.strip()
    else:
        if name:
            raise CmtkError.of("participant-child-named", kind=kind)
        if not case_id:
            raise CmtkError.of("participant-case-needed", kind=kind)
        case_id = ids.normalise_case_id(case_id)
        if not any(c["case"] == case_id for c in conference.cases):
            raise CmtkError.of("case-not-on-conference", case_id=case_id, id=conference.id)
        same = [p for p in conference.participants if kind_of(p) == kind and p.get("case") == case_id]
        number = f" {len(same) + 1}" if same else ""
        entry.update({"name": f"{_KIND_WORDS[kind]}{number} of case {case_id}", "case": case_id})
    if any(_person(p["name"]) == _person(entry["name"]) for p in conference.participants):
        raise CmtkError.of("participant-exists", name=entry["name"], id=conference.id)
    if invited:
        entry["invited"] = invited
    body = dict(conference.file_record.body)
    body["participants"] = [*conference.participants, entry]
    session.save(conference.id, [_update(session, conference, body)], "update")
    limits = policy_module.load(session.store.root)["conferences"]["participants"]
    count = len(staff(body["participants"]))
    warnings = (
        [f"{count} participants so far; the procedure asks for {limits['min']} to {limits['max']}"]
        if count > limits["max"]
        else []
    )
    return entry["name"], warnings


def _set_participant(session: Session, conference: Conference, name: str, **values: Any) -> None:
    participants = conference.participants
    for index, person in enumerate(participants):
        if _person(person["name"]) == _person(name):
            participants[index] = {**person, **values}
            body = dict(conference.file_record.body)
            body["participants"] = participants
            session.save(conference.id, [_update(session, conference, body)], "update")
            return
    names = ", ".join(p["name"] for p in participants) or "none yet"
    raise CmtkError.of("no-such-participant", name=name, id=conference.id, names=names)


def invite(session: Session, conference_id: str, name: str, day: _dt.date) -> None:
    _set_participant(session, read(session, conference_id), name, invited=day)


def confirm(session: Session, conference_id: str, name: str, day: _dt.date) -> None:
    _set_participant(session, read(session, conference_id), name, confirmed=day)


def agreements(session: Session) -> dict[str, Record]:
    """Confidentiality agreements by person, across every conference: each member signs once."""
    found: dict[str, Record] = {}
    for conference_id in session.store.conference_ids():
        for record in session.conference_records(conference_id):
            if record.form == "confidentiality-agreement":
                found[_person(str((record.body.get("participant") or {}).get("participant_name", "")))] = record
    return found


def agreement_kind(session: Session, verbal: bool) -> str:
    """The agreement_form choice of Form 5 for a signed (or a verbal) agreement."""
    form = definitions.load_form("confidentiality-agreement", session.store.root)
    section = form.section("participant")
    field = section.field("agreement_form") if section else None
    choices = [c.value for c in field.choices] if field else []
    if not choices:
        raise CmtkError.of("agreement-form-invalid", source=form.source)
    return next((c for c in choices if ("verbal" in c) == verbal), choices[0])


def _agreed_here(conference: Conference) -> set[str]:
    return {
        _person(str((r.body.get("participant") or {}).get("participant_name", "")))
        for r in conference.records
        if r.form == "confidentiality-agreement"
    }


def without_agreement(session: Session, conference: Conference) -> list[str]:
    """Participants with no confidentiality agreement that holds for this conference: a member's holds for
    every conference; a child's or family member's (often verbal, an assent) for this conference only."""
    everywhere, here = agreements(session), _agreed_here(conference)
    return [
        p["name"]
        for p in conference.participants
        if _person(p["name"]) not in (everywhere if kind_of(p) == "staff" else here)
    ]


def record_agreement(
    session: Session, conference_id: str, name: str, how: str, day: _dt.date, today: _dt.date
) -> Record:
    conference = read(session, conference_id)
    if not any(_person(p["name"]) == _person(name) for p in conference.participants):
        raise CmtkError.of("participant-not-added", name=name, id=conference.id)
    person = next(p for p in conference.participants if _person(p["name"]) == _person(name))
    if kind_of(person) != "staff":
        if _person(name) in _agreed_here(conference):
            raise CmtkError.of("participant-already-agreed", name=person["name"])
    elif _person(name) in agreements(session):
        raise CmtkError.of("agreement-already-given", name=name)
    form = definitions.load_form("confidentiality-agreement", session.store.root)
    body = {
        "participant": {
            "participant_name": person["name"],
            "organisation": person.get("organisation") or None,
            "participant_role": person.get("role") or None,
            "agreement_form": how,
            "date": day,
        }
    }
    clean = cases.check_body(session, form, body, today)
    record = _record(session, conference.id, "confidentiality-agreement", clean, day)
    session.save(conference.id, [record], "update")
    return record


@dataclass(frozen=True)
class CheckItem(Finding):
    """One line of form 3's checklist: `where` is the item, `code` names it, `message` says how it stands."""

    met: bool = False

    @property
    def label(self) -> str:
        return self.where

    @property
    def detail(self) -> str:
        return self.message


def _item(key: str, met: bool, detail_key: str, /, **params: Any) -> CheckItem:
    """A checklist item worded by the catalogue: the label's entry KEY, and the entry DETAIL_KEY saying how it stands.

    PARAMS fill both; each template takes only the ones it names."""
    label = messages.text(key, **{k: v for k, v in params.items() if k in messages.placeholders_of(key)})
    detail = messages.text(detail_key, **{k: v for k, v in params.items() if k in messages.placeholders_of(detail_key)})
    return CheckItem(label, messages.code_of(key), detail, met)


def checklist(session: Session, conference: Conference, today: _dt.date) -> list[CheckItem]:
    """Form 3, with dates: what is done and what is still missing."""
    policy = policy_module.load(session.store.root)["conferences"]
    day = conference.date
    invite_by = dates.add_duration(day, policy["invitations_before"], sign=-1)
    confirm_by = dates.add_duration(day, policy["confirmations_before"], sign=-1)
    people = conference.participants
    late_invites = [p["name"] for p in people if not isinstance(p.get("invited"), _dt.date) or p["invited"] > invite_by]
    late_confirms = [
        p["name"] for p in people if not isinstance(p.get("confirmed"), _dt.date) or p["confirmed"] > confirm_by
    ]
    unsigned = without_agreement(session, conference)
    members = staff(people)
    low, high = policy["participants"]["min"], policy["participants"]["max"]
    report = conference.latest("conference-report")
    report_due = dates.add_duration(day, policy["report_within"])
    venue = conference.info.get("venue")
    others = len(people) - len(members)
    status = conference.info.get("status", "open")
    items = [
        _item("check-cases", bool(conference.cases), "check-cases:count", count=len(conference.cases)),
        _item("check-venue", bool(venue), "check-venue:booked" if venue else "check-venue:none", venue=venue),
        _item(
            "check-participants",
            low <= len(members) <= high,
            "check-participants:with-family" if others > 0 else "check-participants:count",
            low=low,
            high=high,
            count=len(members),
            others=others,
        ),
        _everyone(
            "check-invitations",
            people,
            late_invites,
            "check-invitations:on-time",
            "check-invitations:late",
            due=invite_by.isoformat(),
        ),
        _everyone(
            "check-confirmations",
            people,
            late_confirms,
            "check-confirmations:all",
            "check-confirmations:missing",
            due=confirm_by.isoformat(),
        ),
        _everyone("check-agreements", people, unsigned, "check-agreements:all", "check-agreements:missing"),
        _item(
            "check-report",
            report is not None,
            "check-report:recorded"
            if report
            else ("check-report:overdue" if today > report_due else "check-report:not-yet"),
            due=report_due.isoformat(),
            recorded=str(report.date) if report else "",
        ),
        _item("check-closed", status == "closed", "check-closed:status", state=status),
    ]
    return items


def _everyone(key: str, people: list, missing: list[str], all_done: str, lacking: str, **params: Any) -> CheckItem:
    """A checklist line met when there are participants and none of them is `missing` (worded by `_item`)."""
    met = bool(people) and not missing
    participants = ", ".join(missing) or "no participants"
    return _item(key, met, all_done if met else lacking, participants=participants, **params)


# -- minutes and names -------------------------------------------------------------------------


def _names(session: Session, conference: Conference) -> dict[str, list[str]]:
    """The recorded names and nicknames of the children on the conference, by case id."""
    found = {}
    for entry in conference.cases:
        bio = cases.read_case(session, entry["case"]).biographical
        words = []
        for key in cases.NAME_FIELDS:
            words += [w for w in re.split(r"[\s,]+", str(bio.get(key) or "")) if len(w) >= 3]
        found[entry["case"]] = words
    return found


def find_names(session: Session, conference: Conference, body: Any) -> list[str]:
    """Where a child's name appears in minutes or a report: `section.field` paths, never the name itself."""

    names = _names(session, conference)
    hits = []
    for path, value in flatten(body).items():
        if not isinstance(value, str):
            continue
        folded = cases.fold(value)
        for case_id, words in names.items():
            if any(re.search(rf"(?<!\w){re.escape(cases.fold(w))}(?!\w)", folded) for w in words):
                hits.append(f"{path} (case {case_id})")
    return hits


def _check_names(session, conference, body, what: str, allow_names: bool) -> list[str]:
    hits = find_names(session, conference, body)
    if hits and not allow_names:
        raise ValidationError.of("child-name-in-text", what=what, hits="; ".join(hits))
    return [f"a child's name appears in {hit}" for hit in hits]


def record_minutes(
    session: Session, conference_id: str, body: Any, *, today: _dt.date, allow_names: bool = False
) -> list[str]:
    conference = read(session, conference_id)
    missing = without_agreement(session, conference)
    if missing:
        raise CmtkError.of(
            "minutes-agreements-missing", count=len(missing), missing=", ".join(missing), id=conference.id
        )
    form = definitions.load_form("conference-minutes", session.store.root)
    meeting = dict((body or {}).get("meeting") or {}) if isinstance(body, dict) else {}
    meeting.setdefault("conference_date", conference.date)
    body = {**body, "meeting": meeting} if isinstance(body, dict) else body
    clean = cases.check_body(session, form, body, today)
    on_conference = {c["case"] for c in conference.cases}
    for row in [
        *(clean.get("discussions") or {}).get("case_discussions", []),
        *(clean.get("action_points") or {}).get("action_points", []),
    ]:
        case_id = str(row.get("case_id", "")).upper()
        if case_id and case_id not in on_conference:
            raise CmtkError.of("minutes-case-not-listed", case_id=case_id, id=conference.id)
    warnings = _check_names(session, conference, clean, "minutes", allow_names)
    existing = conference.latest("conference-minutes")
    record = (
        dataclasses.replace(existing, body=clean, updated=dates.now_utc().isoformat(), updated_by=session.author)
        if existing
        else _record(session, conference.id, "conference-minutes", clean, conference.date)
    )
    session.save(conference.id, [record], "update")
    return warnings


def record_report(
    session: Session, conference_id: str, body: Any, *, today: _dt.date, allow_names: bool = False
) -> list[str]:
    conference = read(session, conference_id)
    form = definitions.load_form("conference-report", session.store.root)
    report = dict((body or {}).get("report") or {}) if isinstance(body, dict) else {}
    report.setdefault("conference_date", conference.date)
    report.setdefault("report_date", today)
    body = {**body, "report": report} if isinstance(body, dict) else body
    clean = cases.check_body(session, form, body, today)
    warnings = _check_names(session, conference, clean, "report", allow_names)
    day = clean["report"]["report_date"]
    session.save(conference.id, [_record(session, conference.id, "conference-report", clean, day)], "update")
    return warnings


def close(session: Session, conference_id: str, *, today: _dt.date) -> dict[str, int]:
    """Action points into each case plan, decisions recorded with each case, conference closed: one commit."""
    conference = read(session, conference_id)
    if conference.info.get("status") == "closed":
        raise CmtkError.of("conference-already-closed", id=conference.id)
    minutes = conference.latest("conference-minutes")
    if minutes is None:
        raise CmtkError.of("minutes-not-recorded", id=conference.id)
    plan_form = definitions.load_form(plan.PLAN_FORM, session.store.root)
    decision_form = definitions.load_form("conference-decision", session.store.root)
    points = (minutes.body.get("action_points") or {}).get("action_points") or []
    discussions = (minutes.body.get("discussions") or {}).get("case_discussions") or []
    new_records: list[Record] = []
    counts = {"actions": 0, "decisions": 0}
    for entry in conference.cases:
        case = cases.read_case(session, entry["case"])
        mine = [p for p in points if str(p.get("case_id", "")).upper() == case.id]
        if mine:
            phase = "post_placement" if workflow.step_of(case) >= 6 else "pre_placement"
            current = plan.plans(case)[phase]
            goals, actions = current.goals, current.actions
            labels = [c.label for c in plan.goal_candidates(case)]
            for domain in dict.fromkeys(p.get("domain") or "psychosocial" for p in mine):
                goal_row = plan.new_goal_row(
                    case,
                    domain,
                    f"Action points of the case conference {conference.id} of {conference.date.isoformat()}",
                )
                goal_id = goal_row["goal_id"] = references.next_label(labels)
                labels.append(goal_id)
                goals.append(goal_row)
                for number, point in enumerate(
                    (p for p in mine if (p.get("domain") or "psychosocial") == domain), start=1
                ):
                    actions.append(
                        {
                            "action_id": f"{goal_id}.{number}",
                            "goal_id": goal_id,
                            rows.GOAL_REF: goal_row[rows.REF],
                            "action": point.get("action", ""),
                            "responsible": point.get("responsible", ""),
                            "deadline": point.get("deadline"),
                            "output": point.get("output", ""),
                            "status": "open",
                        }
                    )
                    counts["actions"] += 1
            values = {"goals": goals, "actions": [{k: v for k, v in a.items() if v not in (None, "")} for a in actions]}
            if current.record is None:
                body = {"plan": {"phase": phase, "plan_date": today, **values}}
                new_records.append(
                    cases.new_record(
                        session, case.id, plan.PLAN_FORM, cases.check_body(session, plan_form, body, today), today
                    )
                )
            else:
                body = {**current.record.body, "plan": {**current.body, **values}}
                new_records.append(
                    dataclasses.replace(
                        current.record,
                        body=cases.check_body(session, plan_form, body, today),
                        updated=dates.now_utc().isoformat(),
                        updated_by=session.author,
                    )
                )
        for row in discussions:
            decision = OUTCOME_DECISIONS.get(row.get("outcome"))
            if str(row.get("case_id", "")).upper() != case.id or decision is None:
                continue
            people = {_person(p["name"]): p for p in conference.participants}
            roles = " ".join(str(p.get("role", "")).casefold() for p in people.values())
            body = {
                "decision": {
                    "conference_date": conference.date,
                    "conference_id": conference.id,
                    **decision,
                    **(
                        {"recommended_household": row["recommended_household"]}
                        if row.get("recommended_household") and decision["kind"] == "family_choice"
                        else {}
                    ),
                    "case_manager_present": "yes" if "case manager" in roles else "no",
                    "scco_present": "yes" if "scco" in roles or "children's officer" in roles else "no",
                }
            }
            new_records.append(
                cases.new_record(
                    session,
                    case.id,
                    "conference-decision",
                    cases.check_body(session, decision_form, body, today),
                    conference.date,
                )
            )
            counts["decisions"] += 1
    body = dict(conference.file_record.body)
    body["conference"] = {**conference.info, "status": "closed", "closed": today}
    new_records.append(_update(session, conference, body))
    session.save(conference.id, new_records, "close")
    return counts


def overdue_reports(session: Session, as_of: _dt.date) -> list:
    """Conference reports not recorded within the policy's time (default 24 hours)."""

    conference_ids = session.store.conference_ids()
    if not conference_ids:
        return []
    within = policy_module.load(session.store.root)["conferences"]["report_within"]
    items = []
    for conference_id in conference_ids:
        conference = read(session, conference_id)
        if conference.latest("conference-report") is None and conference.date <= as_of:
            items.append(
                DueItem(
                    conference.id,
                    str(conference.info.get("chair", "")),
                    "conference-report",
                    dates.add_duration(conference.date, within),
                    f"report of the {conference.info.get('kind')} conference of {conference.date.isoformat()}",
                )
            )
    return items


def report_timeliness(session: Session) -> list[tuple[str, str | None, str]]:
    """(held, report recorded or None, due) for every conference, as ISO dates: read by supervision."""
    within = policy_module.load(session.store.root)["conferences"]["report_within"]
    out = []
    for conference_id in session.store.conference_ids():
        conference = read(session, conference_id)
        report = conference.latest("conference-report")
        reported = report.created[:10] if report is not None and report.created else None
        out.append((conference.date.isoformat(), reported, dates.add_duration(conference.date, within).isoformat()))
    return out
