"""Moving a case through the steps: advance, send back, re-open, transfer. One commit each."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from cmtk import messages
from cmtk.casework import cases, schedule, workflow
from cmtk.casework import policy as policy_module
from cmtk.errors import CmtkError
from cmtk.forms import definitions
from cmtk.store.session import Session


class NotReady(CmtkError):
    """`advance` or `case close` refused: lists every missing requirement, one line each."""

    def __init__(self, case_id: str, goal: str, requirements, also: str = "") -> None:
        missing = [r for r in requirements if not r.met]
        self.lines = [messages.error_text("not-ready", case_id=case_id, goal=goal, count=len(missing))] + [
            f"  - {r.label} ({r.detail}); {r.todo}" for r in missing
        ]
        if also:
            self.lines.append(f"  {also}")
        super().__init__(self.lines[0])
        self.code = "not-ready"


@dataclass(frozen=True)
class Outcome:
    case: str
    step: int
    message: str
    commit: str | None


def _loader(session: Session):
    cache: dict[str, definitions.FormDef] = {}

    def load(form_id: str) -> definitions.FormDef:
        if form_id not in cache:
            cache[form_id] = definitions.load_form(form_id, session.store.root)
        return cache[form_id]

    return load


def status(session: Session, case_id: str, today: _dt.date) -> workflow.Status:
    case = cases.read_case(session, case_id)
    return workflow.status(
        case, policy=policy_module.load(session.store.root), today=today, form_loader=_loader(session)
    )


def _event_day(day: _dt.date | None, today: _dt.date) -> _dt.date:
    day = day or today
    if day > today:
        raise CmtkError.of("move-date-future", day=day.isoformat())
    return day


def advance(
    session: Session, case_id: str, *, today: _dt.date, day: _dt.date | None = None, dry_run: bool = False
) -> Outcome:
    case = cases.read_case(session, case_id)
    policy = policy_module.load(session.store.root)
    state = workflow.status(case, policy=policy, today=today, form_loader=_loader(session))
    when = _event_day(day, today)
    if state.next is None:
        raise CmtkError.of("advance-case-not-open", id=case.id, status=case.status, step=state.step)
    if state.sent_back_to:
        back = state.sent_back_to
        record = workflow.moved(
            case, back, day=when, by=session.author, what="sent back: pre-placement approval refused"
        )
        commit = session.save(case.id, [record], "update", dry_run=dry_run)
        return Outcome(
            case.id,
            back,
            f"The pre-placement approval was refused: case {case.id} goes back to step {back} to assess more families.",
            commit,
        )
    if not state.can_advance:
        also = ""
        if state.closing is not None and not state.closing.success:
            also = (
                f"The closure form gives another reason ({state.closing.reason}): "
                f"`cmtk case close {case.id}` closes the case by that route."
            )
        raise NotReady(case.id, f"move to step {state.next}", state.requirements, also)
    closing = state.next == workflow.LAST_STEP
    record = workflow.moved(
        case, state.next, day=when, by=session.author, what="advance", status_value="closed" if closing else None
    )
    commit = session.save(case.id, [record], "update", dry_run=dry_run)
    name = workflow.step_info(policy_module.workflow(policy), state.next)["name"]
    verb = "would move" if dry_run else "moved"
    message = f"Case {case.id} {verb} to step {state.next}: {name}." + (" The case is closed." if closing else "")
    return Outcome(case.id, state.next, message, commit)


def reopen(
    session: Session, case_id: str, *, to_step: int | None, today: _dt.date, day: _dt.date | None = None
) -> Outcome:
    """Open a closed or transferred case again. Evidence recorded before the re-opening stops counting for the
    steps above `to_step` (default: the step it was at, or 7 for a case closed at the last step)."""
    case = cases.read_case(session, case_id)
    if case.status == "open":
        raise CmtkError.of("case-already-open", id=case.id, step_of=workflow.step_of(case))
    if to_step is None:
        to_step = min(workflow.step_of(case), workflow.LAST_STEP - 1)
    if not 1 <= to_step <= workflow.LAST_STEP - 1:
        raise CmtkError.of("reopen-step-range", to_step=to_step, last_step=workflow.LAST_STEP - 1)
    record = workflow.moved(
        case,
        to_step,
        day=_event_day(day, today),
        by=session.author,
        what=f"re-opened ({case.status} before)",
        status_value="open",
    )
    commit = session.save(case.id, [record], "update")
    return Outcome(
        case.id,
        to_step,
        f"Case {case.id} is open again at step {to_step}; its history is kept, and what was recorded before "
        "today no longer counts for the steps ahead.",
        commit,
    )


def close(
    session: Session, case_id: str, *, today: _dt.date, day: _dt.date | None = None, dry_run: bool = False
) -> Outcome:
    """Close the case by the route its closure form names, if that route's requirements are met; one commit."""
    case = cases.read_case(session, case_id)
    policy = policy_module.load(session.store.root)
    if case.status != "open":
        raise CmtkError.of("close-case-not-open", id=case.id, status=case.status)
    ending = workflow.closing(case, policy=policy, today=today, form_loader=_loader(session))
    if ending is None:
        raise CmtkError.of("closure-form-missing", id=case.id)
    step = workflow.step_of(case)
    if ending.command == "transfer":
        raise CmtkError.of("closure-is-transfer", id=case.id)
    if not ending.allowed:
        allowed = ", ".join(str(s) for s in ending.from_steps)
        raise CmtkError.of("closure-wrong-step", id=case.id, step=step, reason=ending.reason, allowed=allowed)
    if not ending.ready:
        raise NotReady(case.id, f"close ({ending.label})", ending.requirements)
    if ending.success:
        return advance(session, case.id, today=today, day=day, dry_run=dry_run)
    when = _event_day(day, today)
    record = workflow.moved(
        case, step, day=when, by=session.author, what=f"closed: {ending.reason}", status_value="closed"
    )
    commit = session.save(case.id, [record], "update", dry_run=dry_run)
    verb = "would be closed" if dry_run else "is closed"
    return Outcome(case.id, step, f"Case {case.id} {verb} at step {step}: {ending.label}.", commit)


def breakdown(
    session: Session, case_id: str, body, *, today: _dt.date, day: _dt.date | None = None, dry_run: bool = False
) -> Outcome:
    """A placement broke down: record why (the breakdown form) and send the case back to the step the workflow
    names for that reason, in one commit. The monitoring clock starts again with the next placement."""
    case = cases.read_case(session, case_id)
    policy = policy_module.load(session.store.root)
    spec = policy_module.workflow(policy).get("breakdown") or {}
    if case.status != "open":
        raise CmtkError.of("breakdown-case-not-open", id=case.id, status=case.status)
    step = workflow.step_of(case)
    allowed = [int(s) for s in spec.get("from_steps") or (6, 7)]
    if step not in allowed:
        raise CmtkError.of("breakdown-too-early", id=case.id, step=step, steps=" or ".join(str(s) for s in allowed))
    if schedule.placement_date(case, policy) is None:
        raise CmtkError.of("placement-missing", id=case.id)
    form_id = spec.get("form", "breakdown")
    form = definitions.load_form(form_id, session.store.root)
    clean = cases.check_body(
        session, form, body, today, tuple(s.id for s in form.sections if any(f.required for f in s.fields))
    )
    section, _, field = str(spec.get("reason", "breakdown.reason")).partition(".")
    reason = str((clean.get(section) or {}).get(field) or "")
    back_to = int((spec.get("back_to_by_reason") or {}).get(reason, spec.get("back_to", 3)))
    when = _event_day(day, today)
    record = cases.new_record(session, case.id, form_id, clean, when)
    move = workflow.moved(case, back_to, day=when, by=session.author, what=f"breakdown: {reason}")
    commit = session.save(case.id, [move, record], "update", dry_run=dry_run)
    name = workflow.step_info(policy_module.workflow(policy), back_to)["name"]
    verb = "would go" if dry_run else "goes"
    return Outcome(
        case.id,
        back_to,
        f"The placement of case {case.id} broke down: the case {verb} back to step {back_to} ({name}). "
        "Monitoring starts again from the next placement.",
        commit,
    )


def transfer(session: Session, case_id: str, body, *, today: _dt.date, day: _dt.date | None = None) -> Outcome:
    """Record the transfer form and mark the case transferred, in one commit."""
    case = cases.read_case(session, case_id)
    if case.status != "open":
        raise CmtkError.of("transfer-case-not-open", id=case.id, status=case.status)
    form = definitions.load_form("transfer", session.store.root)
    clean = cases.check_body(
        session, form, body, today, tuple(s.id for s in form.sections if any(f.required for f in s.fields))
    )
    when = _event_day(day, today)
    transfer_record = cases.new_record(session, case.id, "transfer", clean, when)
    policy = policy_module.load(session.store.root)
    route = next((r for r in workflow.routes(policy_module.workflow(policy)) if r.get("command") == "transfer"), None)
    if route is not None:
        # The transfer route's own requirements (workflow data), judged with the transfer form in place.
        with_form = cases.Case(case.id, (*case.records, transfer_record), case.voided)
        ending = workflow.closing(
            with_form, policy=policy, today=today, form_loader=_loader(session), reason=str(route["reason"])
        )
        if ending is not None and not ending.allowed:
            steps = ", ".join(str(s) for s in ending.from_steps)
            raise CmtkError.of("transfer-wrong-step", id=case.id, step_of=workflow.step_of(case), steps=steps)
        if ending is not None and not all(r.met for r in ending.requirements):
            raise NotReady(case.id, "be transferred", ending.requirements)
    moved = workflow.moved(
        case, workflow.step_of(case), day=when, by=session.author, what="transferred", status_value="transferred"
    )
    commit = session.save(case.id, [moved, transfer_record], "update")
    receiving = (clean.get("transfer") or {}).get("receiving_organisation", "")
    return Outcome(
        case.id,
        workflow.step_of(case),
        f"Case {case.id} is transferred{' to ' + receiving if receiving else ''}; its history is kept.",
        commit,
    )
