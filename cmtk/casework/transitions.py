"""Moving a case through the steps: advance, send back, re-open, transfer. One commit each."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from cmtk.casework import cases, workflow
from cmtk.casework import policy as policy_module
from cmtk.errors import CmtkError
from cmtk.forms import definitions
from cmtk.store.session import Session


class NotReady(CmtkError):
    """`advance` refused: lists every missing requirement, one line each."""

    def __init__(self, state: workflow.Status) -> None:
        missing = [r for r in state.requirements if not r.met]
        self.state = state
        self.lines = [f"case {state.case} cannot move to step {state.next}: {len(missing)} requirement(s) missing"] + [
            f"  - {r.label} ({r.detail}); {r.todo}" for r in missing
        ]
        super().__init__(self.lines[0])


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
        raise CmtkError(f"--date: {day.isoformat()} is in the future; record moves on the day they happen")
    return day


def advance(
    session: Session, case_id: str, *, today: _dt.date, day: _dt.date | None = None, dry_run: bool = False
) -> Outcome:
    case = cases.read_case(session, case_id)
    policy = policy_module.load(session.store.root)
    state = workflow.status(case, policy=policy, today=today, form_loader=_loader(session))
    when = _event_day(day, today)
    if state.next is None:
        raise CmtkError(
            f"case {case.id} is {case.status} at step {state.step}; nothing to advance (re-open it first if needed)"
        )
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
        raise NotReady(state)
    closing = state.next == workflow.LAST_STEP
    record = workflow.moved(
        case, state.next, day=when, by=session.author, what="advance", status_value="closed" if closing else None
    )
    commit = session.save(case.id, [record], "update", dry_run=dry_run)
    name = workflow.step_info(policy_module.workflow(policy), state.next)["name"]
    verb = "would move" if dry_run else "moved"
    message = f"Case {case.id} {verb} to step {state.next}: {name}." + (" The case is closed." if closing else "")
    return Outcome(case.id, state.next, message, commit)


def reopen(session: Session, case_id: str, *, to_step: int, today: _dt.date, day: _dt.date | None = None) -> Outcome:
    case = cases.read_case(session, case_id)
    if case.status == "open":
        raise CmtkError(f"case {case.id} is already open (step {workflow.step_of(case)})")
    if not 1 <= to_step <= workflow.LAST_STEP - 1:
        raise CmtkError(f"--step: {to_step} is not a step a case can re-open at (1 to {workflow.LAST_STEP - 1})")
    record = workflow.moved(
        case,
        to_step,
        day=_event_day(day, today),
        by=session.author,
        what=f"re-opened ({case.status} before)",
        status_value="open",
    )
    commit = session.save(case.id, [record], "update")
    return Outcome(case.id, to_step, f"Case {case.id} is open again at step {to_step}; its history is kept.", commit)


def transfer(session: Session, case_id: str, body, *, today: _dt.date, day: _dt.date | None = None) -> Outcome:
    """Record the transfer form and mark the case transferred, in one commit."""
    case = cases.read_case(session, case_id)
    if case.status != "open":
        raise CmtkError(f"case {case.id} is {case.status}; only an open case can be transferred")
    form = definitions.load_form("transfer", session.store.root)
    clean = cases.check_body(
        session, form, body, today, tuple(s.id for s in form.sections if any(f.required for f in s.fields))
    )
    when = _event_day(day, today)
    transfer_record = cases.new_record(session, case.id, "transfer", clean, when)
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
