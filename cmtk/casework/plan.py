"""Case plans: goals and actions kept in case-plan records (pre- and post-placement).

Each phase has its own plan record; adding a goal or an action, or marking an
action done, updates the latest plan of that phase in place (one commit), so
`cmtk case history` shows every change.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from dataclasses import dataclass
from typing import Any

from cmtk import dates
from cmtk.casework import cases
from cmtk.errors import CmtkError
from cmtk.forms import definitions
from cmtk.store.records import Record
from cmtk.store.session import Session

PLAN_FORM = "case-plan"
PHASES = {
    "pre": "pre_placement",
    "post": "post_placement",
    "pre_placement": "pre_placement",
    "post_placement": "post_placement",
}


def phase_of(text: str) -> str:
    try:
        return PHASES[text]
    except KeyError:
        raise CmtkError(f"--phase: '{text}' is not one of pre, post") from None


@dataclass(frozen=True)
class Plan:
    case: str
    phase: str
    record: Record | None

    @property
    def body(self) -> dict[str, Any]:
        return (self.record.body.get("plan") or {}) if self.record else {}

    @property
    def goals(self) -> list[dict]:
        return list(self.body.get("goals") or [])

    @property
    def actions(self) -> list[dict]:
        return list(self.body.get("actions") or [])


def plans(case: cases.Case) -> dict[str, Plan]:
    found = {phase: Plan(case.id, phase, None) for phase in ("pre_placement", "post_placement")}
    for record in case.records:
        if record.form == PLAN_FORM:
            phase = (record.body.get("plan") or {}).get("phase")
            if phase in found:
                found[phase] = Plan(case.id, phase, record)
    return found


def _save(session: Session, case: cases.Case, plan: Plan, new_plan: dict, today: _dt.date) -> Record:
    form = definitions.load_form(PLAN_FORM, session.store.root)
    if plan.record is None:
        body = {"plan": {"phase": plan.phase, "plan_date": today, **new_plan}}
        clean = cases.check_body(session, form, body, today)
        record = cases.new_record(session, case.id, PLAN_FORM, clean, today)
    else:
        body = dict(plan.record.body)
        body["plan"] = {**plan.body, **new_plan}
        clean = cases.check_body(session, form, body, today)
        record = dataclasses.replace(
            plan.record, body=clean, updated=dates.now_utc().isoformat(), updated_by=session.author
        )
    session.save(case.id, [record], "update")
    return record


def add_goal(
    session: Session,
    case_id: str,
    *,
    phase: str,
    domain: str,
    goal: str,
    need: str = "",
    indicators: str = "",
    today: _dt.date,
) -> str:
    case = cases.read_case(session, case_id)
    plan = plans(case)[phase_of(phase)]
    goals = plan.goals
    goal_id = str(1 + max((int(g["goal_id"]) for g in goals if str(g.get("goal_id", "")).isdigit()), default=0))
    row = {"goal_id": goal_id, "domain": domain, "goal": goal}
    if need:
        row["need_or_gap"] = need
    if indicators:
        row["indicators"] = indicators
    _save(session, case, plan, {"goals": [*goals, row]}, today)
    return goal_id


PREFIXES = {"pre_placement": "pre", "post_placement": "post"}


def reference(phase: str, number: str) -> str:
    """How a goal or action is named on the command line: `post:2`, `pre:1.1`."""
    return f"{PREFIXES.get(phase, phase)}:{number}"


def _split(ref: str, phase: str | None) -> tuple[str | None, str]:
    text = str(ref).strip()
    if ":" in text:
        named, _, number = text.partition(":")
        chosen = phase_of(named.strip().lower())
        if phase is not None and phase_of(phase) != chosen:
            raise CmtkError(f"'{text}' names the {named} plan but --phase says {phase}; give one of them")
        return chosen, number.strip()
    return (phase_of(phase) if phase else None), text


def _resolve(case: cases.Case, ref: str, phase: str | None, key: str, what: str) -> tuple[Plan, str]:
    """The plan holding goal (or action) `ref`: `post:1`, or `1` with --phase, or a bare `1` found in one plan
    only. A bare number that both plans use is refused: it would attach work to the wrong plan."""
    chosen, number = _split(ref, phase)
    found = [
        plan
        for name, plan in plans(case).items()
        if (chosen is None or name == chosen) and any(str(row.get(key)) == number for row in getattr(plan, what))
    ]
    if not found:
        where = f" in the {chosen.replace('_', '-')} plan" if chosen else ""
        raise CmtkError(
            f"case {case.id} has no {key.removesuffix('_id')} {number}{where}; see `cmtk plan show {case.id}`"
        )
    if len(found) > 1:
        raise CmtkError(
            f"{key.removesuffix('_id')} {number} is in both the pre- and post-placement plans of case {case.id}; "
            f"say which: {reference('pre_placement', number)} or {reference('post_placement', number)}"
        )
    return found[0], number


def _find_goal(case: cases.Case, goal_ref: str, phase: str | None = None) -> tuple[Plan, str]:
    return _resolve(case, goal_ref, phase, "goal_id", "goals")


def shown(case: cases.Case, phase: str, number: str, key: str = "goal_id") -> str:
    """A goal or action as a command should name it: the bare number unless the other plan has one too
    (and always qualified in the post-placement plan, which every case has alongside the pre-placement one)."""
    other = "pre_placement" if phase == "post_placement" else "post_placement"
    rows = plans(case)[other].goals if key == "goal_id" else plans(case)[other].actions
    clash = any(str(row.get(key)) == number for row in rows)
    return reference(phase, number) if clash or phase == "post_placement" else number


def add_action(
    session: Session,
    case_id: str,
    goal_ref: str,
    *,
    action: str,
    responsible: str,
    deadline: _dt.date,
    output: str,
    today: _dt.date,
    phase: str | None = None,
) -> str:
    """Add an action under goal `goal_ref` (`1`, `post:1`, or `1` with `phase`); returns the action's number."""
    case = cases.read_case(session, case_id)
    plan, goal_id = _find_goal(case, goal_ref, phase)
    actions = plan.actions
    numbers = [
        a["action_id"].split(".")[-1]
        for a in actions
        if str(a.get("goal_id")) == goal_id and "." in str(a.get("action_id", ""))
    ]
    action_id = f"{goal_id}.{1 + max((int(n) for n in numbers if n.isdigit()), default=0)}"
    row = {
        "action_id": action_id,
        "goal_id": goal_id,
        "action": action,
        "responsible": responsible,
        "deadline": deadline,
        "output": output,
        "status": "open",
    }
    _save(session, case, plan, {"actions": [*actions, row]}, today)
    return action_id


def mark_done(
    session: Session, case_id: str, action_ref: str, *, day: _dt.date, today: _dt.date, phase: str | None = None
) -> str:
    """Mark action `action_ref` (`1.2`, `post:1.2`) done; returns the action's number."""
    case = cases.read_case(session, case_id)
    if day > today:
        raise CmtkError(f"--date: {day.isoformat()} is in the future")
    plan, action_id = _resolve(case, action_ref, phase, "action_id", "actions")
    actions = plan.actions
    index = next(n for n, row in enumerate(actions) if str(row.get("action_id")) == action_id)
    if actions[index].get("status") == "done":
        raise CmtkError(f"action {action_ref} of case {case.id} is already done")
    actions[index] = {**actions[index], "status": "done", "completed_date": day}
    _save(session, case, plan, {"actions": actions}, today)
    return action_id


def set_placement_date(session: Session, case_id: str, day: _dt.date, today: _dt.date) -> None:
    case = cases.read_case(session, case_id)
    plan = plans(case)["pre_placement"]
    if plan.record is None:
        raise CmtkError(f"case {case.id} has no pre-placement plan yet; add a goal first with `cmtk plan goal`")
    _save(session, case, plan, {"planned_placement_date": day}, today)
