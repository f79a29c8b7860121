"""What is due for a case, and when: a pure function of its records, the policy and a date.

Every number comes from the store's policy (defaults: domain.md). Items:
initial and comprehensive assessment after identification, the case plan
after the assessment, monitoring visits from the placement date (only visits
where the child was seen count), case reviews, the visit after closure, plan
action deadlines and referral follow-ups.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cmtk.casework import evidence
from cmtk.casework import policy as policy_module
from cmtk.casework.scoring import REVIEW_FORMS
from cmtk.dates import add_duration

if TYPE_CHECKING:  # the overdue report reads summaries and needs none of these at run time
    from cmtk.casework.cases import Case
    from cmtk.store.records import Record

KINDS = (
    "initial-assessment",
    "comprehensive-assessment",
    "case-plan",
    "monitoring-visit",
    "case-review",
    "post-closure-visit",
    "plan-action",
    "referral-follow-up",
    "conference-presentation",
    "conference",
    "conference-report",
)


@dataclass(frozen=True)
class DueItem:
    case: str
    worker: str
    kind: str
    due: _dt.date
    detail: str
    ref: str = ""  # which plan action or referral, when a case can have several of this kind (never a name)

    def days_overdue(self, as_of: _dt.date) -> int:
        return (as_of - self.due).days

    def to_json(self, as_of: _dt.date) -> dict[str, Any]:
        return {
            "case": self.case,
            "worker": self.worker,
            "kind": self.kind,
            "due": self.due.isoformat(),
            "days_overdue": self.days_overdue(as_of),
            "detail": self.detail,
        }


def _value(record: Record | None, path: str) -> Any:
    if record is None:
        return None
    section, _, field = path.partition(".")
    return (record.body.get(section) or {}).get(field)


def _date(record: Record | None, path: str) -> _dt.date | None:
    value = _value(record, path)
    return value if isinstance(value, _dt.date) else None


def _of(case: Case, form: str) -> list[Record]:
    return [r for r in case.records if r.form == form]


def _restarts(policy: dict | None) -> dict:
    return {"evidence": policy_module.workflow_part(policy or {}, "evidence")}


def placement_date(case: Case, policy: dict | None = None) -> _dt.date | None:
    """The date of the placement that still stands: one recorded since the case last went back (a breakdown,
    a re-opening below step 7, a refused approval), if any."""
    window = evidence.window(case, _restarts(policy), 7)
    placements = evidence.within(_of(case, "placement"), window)
    return _date(placements[-1], "placement.placement_date") if placements else None


def monitoring_start(case: Case, policy: dict | None = None) -> _dt.date | None:
    """Where the monitoring clock starts: the standing placement, or a later re-opening of the case."""
    placed = placement_date(case, policy)
    return None if placed is None else evidence.later_of(placed, evidence.window(case, _restarts(policy)))


def seen_visits(case: Case) -> list[_dt.date]:
    """Dates of monitoring visits where the child was seen in person (phone calls do not count)."""
    found = [_date(r, "visit.visit_date") for r in _of(case, "monitoring") if _value(r, "visit.child_seen") == "yes"]
    return sorted(d for d in found if d)


def next_visit_due(placed: _dt.date, last_seen: _dt.date | None, policy: dict) -> _dt.date:
    """The next visit under the policy's phases (default: every 2 weeks for 2 months, then monthly).

    The interval is the one of the phase the last visit (or the placement) falls in.
    """
    base = last_seen or placed
    phases = policy_module.get(policy, "monitoring.visits")
    start = placed
    for phase in phases:
        end = add_duration(start, phase["for"]) if "for" in phase else None
        if end is None or base < end:
            return add_duration(base, phase["every"])
        start = end
    return add_duration(base, phases[-1]["every"])


def visits_against_schedule(
    start: _dt.date, seen: list[_dt.date], end: _dt.date, policy: dict, grace: dict
) -> tuple[list[_dt.date], list[_dt.date]]:
    """The visits made and the scheduled visits missed between `start` and `end`.

    The schedule moves on as the overdue report's does: each visit is due one interval after the last visit
    where the child was seen. A visit made within `grace` of its due date keeps it; when none was, that due
    date is missed and the next one falls an interval later.
    """
    made: list[_dt.date] = []
    missed: list[_dt.date] = []
    last: _dt.date | None = None
    pending = sorted(d for d in seen if d >= start)
    while True:
        due = next_visit_due(start, last, policy)
        if add_duration(due, grace) >= end and not any(d <= end for d in pending):
            break
        if pending and pending[0] <= add_duration(due, grace):
            last = pending.pop(0)
            made.append(last)
            continue
        if add_duration(due, grace) >= end:
            break
        missed.append(due)
        last = due
    return made, missed


def due_items(case: Case, policy: dict) -> list[DueItem]:
    """Everything the case still needs, with its due date (overdue or not)."""
    items: list[DueItem] = []
    worker = case.worker

    def add(kind: str, due: _dt.date, detail: str, ref: str = "") -> None:
        items.append(DueItem(case.id, worker, kind, due, detail, ref))

    opened = case.opened
    status = case.status
    if status == "transferred":
        return items
    placed = placement_date(case, policy)
    step = case.case_file.get("step", 1)
    within = (policy.get("conferences") or {}).get("new_case_within")
    if status == "open" and opened and within and not _of(case, "conference-decision"):
        # Every newly admitted case is presented at a case conference (Case Conferencing SOP 5.3); a case put on
        # a conference recorded in this store counts too (the overdue report checks the conferences).
        add(
            "conference-presentation",
            add_duration(opened, within),
            "not yet presented at a case conference",
        )
    if status == "open" and opened and not placed:
        assessments = _of(case, "child-assessment")
        if not assessments and step <= 2:
            add(
                "initial-assessment",
                add_duration(opened, policy_module.get(policy, "assessment.initial_at_most")),
                "no child assessment recorded since identification",
            )
        completed = _date(assessments[-1], "conclusion.assessment_completed_date") if assessments else None
        if not completed and step <= 2:
            add(
                "comprehensive-assessment",
                add_duration(opened, policy_module.get(policy, "assessment.comprehensive_within")),
                "the child assessment is not completed",
            )
        elif completed and step <= 4 and not _of(case, "case-plan"):
            add(
                "case-plan",
                add_duration(completed, policy_module.get(policy, "case_plan.within")),
                f"no case plan since the assessment of {completed.isoformat()}",
            )
    if status == "open" and placed:
        start = monitoring_start(case, policy) or placed
        visits = [d for d in seen_visits(case) if d >= start]
        last = visits[-1] if visits else None
        due = next_visit_due(start, last, policy)
        since = f"last seen {last.isoformat()}" if last else f"placed {placed.isoformat()}, not seen since"
        if start != placed and not last:
            since = f"re-opened {start.isoformat()}, not seen since"
        add("monitoring-visit", due, since)

        window = evidence.window(case, _restarts(policy))
        reviews = evidence.within([r for r in case.records if r.form in REVIEW_FORMS], window)
        last_review = _date(reviews[-1], "review.review_date") if reviews else None
        add(
            "case-review",
            add_duration(last_review or start, policy_module.get(policy, "case_review.every")),
            f"last review {last_review.isoformat()}" if last_review else "no review since placement",
        )
    if status == "closed":
        closed = closed_on(case, policy)
        if closed and _follows_up(case, policy) and not any(d > closed for d in seen_visits(case)):
            add(
                "post-closure-visit",
                add_duration(closed, policy_module.get(policy, "closure.post_closure_visit_within")),
                f"closed {closed.isoformat()}, no visit since",
            )
    if status == "open":
        for plan_record in _of(case, "case-plan"):
            for action in (plan_record.body.get("plan") or {}).get("actions") or []:
                deadline = action.get("deadline")
                if action.get("status", "open") == "open" and isinstance(deadline, _dt.date):
                    add(
                        "plan-action",
                        deadline,
                        f"action {action.get('action_id')}: {action.get('responsible', '?')}",
                        f"action {action.get('action_id')}",
                    )
        for referral in _of(case, "referral"):
            sent = _date(referral, "referral.referral_date")
            if sent and not _date(referral, "follow_up.feedback_date"):
                add(
                    "referral-follow-up",
                    add_duration(sent, policy_module.get(policy, "referrals.follow_up_within")),
                    f"referral {referral.record} to {_value(referral, 'referral.receiving_organisation')}",
                    f"referral {referral.record}",
                )
    return items


def _closing_event(case: Case) -> dict | None:
    for event in reversed(case.events):
        what = str(event.get("what", ""))
        if what.startswith("closed: ") or (what == "advance" and event.get("to") == evidence.LAST_STEP):
            return event
    return None


def closed_on(case: Case, policy: dict | None = None) -> _dt.date | None:
    """The day the case last closed: the date on its closure form (one made since any re-opening), else the
    day of its closing move."""
    closures = evidence.within(_of(case, "closure"), evidence.window(case, _restarts(policy)))
    day = _date(closures[-1], "closure.closure_date") if closures else None
    event = _closing_event(case)
    return day or (event["date"] if event and isinstance(event.get("date"), _dt.date) else None)


def _follows_up(case: Case, policy: dict) -> bool:
    """Only some closure routes ask for a visit after closure (workflow data: `follow_up_visit`)."""
    event = _closing_event(case)
    what = str(event.get("what", "")) if event else ""
    if not what.startswith("closed: "):
        return True
    reason = what.removeprefix("closed: ")
    routes = policy_module.workflow_part(policy, "closure").get("routes") or []
    route = next((r for r in routes if r.get("reason") == reason), None)
    return bool(route and route.get("follow_up_visit"))


def overdue(items: list[DueItem], as_of: _dt.date) -> list[DueItem]:
    """Items due before `as_of`, most overdue first."""
    return sorted((i for i in items if i.due < as_of), key=lambda i: (i.due, i.case, i.kind))


def upcoming(items: list[DueItem], as_of: _dt.date, days: int = 14) -> list[DueItem]:
    horizon = as_of + _dt.timedelta(days=days)
    return sorted((i for i in items if as_of <= i.due <= horizon), key=lambda i: (i.due, i.case, i.kind))
