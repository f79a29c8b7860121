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
from cmtk.casework import cases, schedule
from cmtk.casework import policy as policy_module
from cmtk.errors import CmtkError
from cmtk.forms import definitions
from cmtk.smart import checker
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


GOAL_KEYS = ("goal_id", "domain", "goal", "need_or_gap", "indicators")
ACTION_KEYS = ("action_id", "goal_id", "action", "responsible", "deadline", "output", "status", "completed_date")
PLAN_COLUMNS = ["phase", "goal_id", "domain", "goal", *ACTION_KEYS[:1], *ACTION_KEYS[2:]]


@dataclass(frozen=True)
class PlanView:
    """A case's pre- and post-placement plans, as `cmtk plan show` prints them."""

    case: str
    plans: dict[str, Plan]

    def actions_of(self, plan: Plan, goal: dict) -> list[dict]:
        return [a for a in plan.actions if str(a.get("goal_id")) == str(goal.get("goal_id"))]

    def to_json(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "plans": [
                {
                    "phase": phase,
                    "plan_date": plan.body.get("plan_date"),
                    "planned_placement_date": plan.body.get("planned_placement_date"),
                    "goals": [{k: goal.get(k) for k in GOAL_KEYS} for goal in plan.goals],
                    "actions": [
                        {k: action.get(k, "open" if k == "status" else None) for k in ACTION_KEYS}
                        for action in plan.actions
                    ],
                }
                for phase, plan in self.plans.items()
                if plan.record is not None
            ],
        }

    def to_rows(self) -> tuple[list[str], list[list[Any]]]:
        rows = []
        for phase, plan in self.plans.items():
            for goal in plan.goals:
                head = [phase, goal.get("goal_id"), goal.get("domain"), goal.get("goal")]
                actions = self.actions_of(plan, goal)
                for action in actions or [{}]:
                    row = [
                        action.get(k, "open" if k == "status" and action else None)
                        for k in ACTION_KEYS
                        if k != "goal_id"
                    ]
                    rows.append(head + row)
        return PLAN_COLUMNS, rows


def show(session: Session, case_id: str) -> PlanView:
    case = cases.read_case(session, case_id)
    return PlanView(case.id, plans(case))


# -- SMART ---------------------------------------------------------------------------------------


def planned_closure(case: cases.Case, policy: dict) -> _dt.date | None:
    """Closure comes no sooner than the minimum monitoring after the (planned) placement."""

    start = schedule.placement_date(case) or plans(case)["pre_placement"].body.get("planned_placement_date")
    if not isinstance(start, _dt.date):
        return None
    return dates.add_duration(start, policy["monitoring"]["minimum_before_closure"])


SMART_COLUMNS = ["case", "goal", "action", "letter", "message"]


@dataclass(frozen=True)
class SmartCheck:
    """Every way the plans of the checked cases miss a SMART letter, in case and plan order."""

    findings: list[tuple[str, checker.SmartFinding]]

    def to_json(self) -> list[dict[str, Any]]:
        return [finding.to_json(case_id) for case_id, finding in self.findings]

    def to_rows(self) -> tuple[list[str], list[list[Any]]]:
        return SMART_COLUMNS, [[c, f.goal, f.action, f.letter, f.message] for c, f in self.findings]


def check_smart(session: Session, case_id: str | None, today: _dt.date) -> SmartCheck:
    """One case's plans against SMART, or (no case) the plans of every open case."""

    current_policy = policy_module.load(session.store.root)
    found = []
    for each in [case_id] if case_id else session.store.case_ids():
        case = cases.read_case(session, each)
        if not case_id and case.status != "open":
            continue
        closure = planned_closure(case, current_policy)
        for current in plans(case).values():
            if current.record is None:
                continue
            for finding in checker.check_plan(
                current.goals, current.actions, today=today, planned_closure=closure, order=session.store.date_order
            ):
                found.append((case.id, finding))
    return SmartCheck(found)


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


def _find_goal(case: cases.Case, goal_id: str) -> Plan:
    for plan in plans(case).values():
        if any(str(g.get("goal_id")) == goal_id for g in plan.goals):
            return plan
    raise CmtkError(f"case {case.id} has no goal {goal_id}; see `cmtk plan show {case.id}`")


def add_action(
    session: Session,
    case_id: str,
    goal_id: str,
    *,
    action: str,
    responsible: str,
    deadline: _dt.date,
    output: str,
    today: _dt.date,
) -> str:
    case = cases.read_case(session, case_id)
    plan = _find_goal(case, goal_id)
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


def mark_done(session: Session, case_id: str, action_id: str, *, day: _dt.date, today: _dt.date) -> None:
    case = cases.read_case(session, case_id)
    if day > today:
        raise CmtkError(f"--date: {day.isoformat()} is in the future")
    for plan in plans(case).values():
        actions = plan.actions
        for index, row in enumerate(actions):
            if str(row.get("action_id")) == action_id:
                if row.get("status") == "done":
                    raise CmtkError(f"action {action_id} of case {case.id} is already done")
                actions[index] = {**row, "status": "done", "completed_date": day}
                _save(session, case, plan, {"actions": actions}, today)
                return
    raise CmtkError(f"case {case.id} has no action {action_id}; see `cmtk plan show {case.id}`")


def set_placement_date(session: Session, case_id: str, day: _dt.date, today: _dt.date) -> None:
    case = cases.read_case(session, case_id)
    plan = plans(case)["pre_placement"]
    if plan.record is None:
        raise CmtkError(f"case {case.id} has no pre-placement plan yet; add a goal first with `cmtk plan goal`")
    _save(session, case, plan, {"planned_placement_date": day}, today)
