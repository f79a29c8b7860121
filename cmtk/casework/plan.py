"""Case plans: goals and actions kept in case-plan records (pre- and post-placement).

Each phase has its own plan record; adding a goal or an action, or marking an
action done, updates the latest plan of that phase in place (one commit), so
`cmtk case history` shows every change.

Goals and actions carry a number people use (goal 2, action 2.1), given once and
never changed, and a ref that never changes either and that merges go by
(cmtk.store.rows); commands take either (cmtk.casework.references).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from cmtk import dates
from cmtk.casework import cases, references, schedule
from cmtk.casework import policy as policy_module
from cmtk.errors import CmtkError
from cmtk.forms import definitions
from cmtk.smart import checker
from cmtk.smart import rules as smart_rules
from cmtk.store import rows
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
        raise CmtkError.of("phase-option", text=text) from None


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
    ambiguous: set[str] = field(default_factory=set)  # labels that name more than one row (shown with refs)

    def actions_of(self, plan: Plan, goal: dict) -> list[dict]:
        return actions_of(plan, goal)

    def label(self, row: dict, label_key: str) -> str:
        label = str(row.get(label_key))
        return f"{label} (ref {row.get(rows.REF)})" if label in self.ambiguous else label

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
    return PlanView(case.id, plans(case), ambiguous_labels(case))


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
    rules = smart_rules.build(current_policy.get("smart"), store_root=session.store.root)
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
                current.goals,
                current.actions,
                today=today,
                planned_closure=closure,
                order=session.store.date_order,
                rules=rules,
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


def goal_candidates(case: cases.Case) -> list[references.Candidate[tuple[Plan, dict]]]:
    return [
        references.Candidate(str(g.get("goal_id", "")), str(g.get(rows.REF, "")), (p, g))
        for p in plans(case).values()
        for g in p.goals
    ]


def action_candidates(case: cases.Case) -> list[references.Candidate[tuple[Plan, dict]]]:
    return [
        references.Candidate(str(a.get("action_id", "")), str(a.get(rows.REF, "")), (p, a))
        for p in plans(case).values()
        for a in p.actions
    ]


def actions_of(plan: Plan, goal: dict) -> list[dict]:
    """The actions that work towards `goal` (matched by the goal's ref, which labels cannot confuse)."""
    return [a for a in plan.actions if a.get(rows.GOAL_REF) == goal.get(rows.REF)]


def ambiguous_labels(case: cases.Case) -> set[str]:
    """Goal and action labels that name more than one row of the case (shown with their refs)."""
    seen: dict[str, int] = {}
    for candidate in goal_candidates(case) + action_candidates(case):
        seen[candidate.label] = seen.get(candidate.label, 0) + 1
    return {label for label, count in seen.items() if count > 1}


def new_goal_row(case: cases.Case, domain: str, goal: str) -> dict:
    """A goal row with the next number of the case (one series over both phases, so a number names one goal)
    and a fresh ref."""
    labels = [c.label for c in goal_candidates(case)]
    taken = {c.ref for c in goal_candidates(case)}
    return {"goal_id": references.next_label(labels), rows.REF: rows.new_ref(taken), "domain": domain, "goal": goal}


def new_action_row(case: cases.Case, goal: dict, **values: Any) -> dict:
    """An action row numbered after its goal's label (2.1, 2.2...), pointing at the goal by its ref."""
    label = str(goal.get("goal_id", ""))
    taken = [c.label for c in action_candidates(case)]
    refs = {c.ref for c in action_candidates(case)}
    return {
        "action_id": references.next_label(taken, f"{label}."),
        rows.REF: rows.new_ref(refs),
        "goal_id": label,
        rows.GOAL_REF: goal.get(rows.REF),
        **values,
    }


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
    row = new_goal_row(case, domain, goal)
    if need:
        row["need_or_gap"] = need
    if indicators:
        row["indicators"] = indicators
    _save(session, case, plan, {"goals": [*plan.goals, row]}, today)
    return row["goal_id"]


PREFIXES = {"pre_placement": "pre", "post_placement": "post"}


def reference_of(phase: str, number: str) -> str:
    """A goal or action named with its plan, as commands also accept it: `post:2`, `pre:1.1`."""
    return f"{PREFIXES.get(phase, phase)}:{number}"


def _split(ref: str, phase: str | None) -> tuple[str | None, str]:
    """`post:2` -> (post_placement, "2"); a bare `2` keeps `phase` (from --phase), if any."""
    text = str(ref).strip()
    if ":" in text:
        named, _, number = text.partition(":")
        chosen = phase_of(named.strip().lower())
        if phase is not None and phase_of(phase) != chosen:
            raise CmtkError.of("phase-mismatch", text=text, named=named, phase=phase)
        return chosen, number.strip()
    return (phase_of(phase) if phase else None), text


def _pick(
    case: cases.Case,
    kind: str,
    reference: str,
    phase: str | None,
    candidates: list[references.Candidate[tuple[Plan, dict]]],
) -> tuple[Plan, dict]:
    """The row `reference` names (see find_goal). A bare number that one row of each plan carries (plans
    numbered per phase by older versions) is refused with the two qualified names to choose from."""
    chosen, wanted = _split(reference, phase)
    if chosen is None:
        same = [c for c in candidates if c.label == wanted]
        if len(same) == 2 and {c.item[0].phase for c in same} == set(PREFIXES):
            raise CmtkError.of(
                "plan-ref-ambiguous",
                kind=kind,
                wanted=wanted,
                id=case.id,
                reference_of=reference_of("pre_placement", wanted),
                reference_of2=reference_of("post_placement", wanted),
            )
    where = f"case {case.id}" + (f" ({chosen.replace('_', '-')} plan)" if chosen else "")
    mine = [c for c in candidates if chosen is None or c.item[0].phase == chosen]
    return references.pick(kind, where, wanted, mine, f"`cmtk plan show {case.id}`")


def find_goal(case: cases.Case, reference: str, phase: str | None = None) -> tuple[Plan, dict]:
    """The goal `reference` names: its number (one series over both plans), its ref, or either qualified by
    its plan (`post:2`, or a number with `phase`)."""
    return _pick(case, "goal", reference, phase, goal_candidates(case))


def find_action(case: cases.Case, reference: str, phase: str | None = None) -> tuple[Plan, dict]:
    """The action `reference` names: its number (2.1), its ref, or either qualified (`post:2.1`)."""
    return _pick(case, "action", reference, phase, action_candidates(case))


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
    """Add an action to the goal `goal_ref` names (its number or its ref, `post:2`, or a number with `phase`);
    returns the action's number."""
    case = cases.read_case(session, case_id)
    plan, goal = find_goal(case, goal_ref, phase)
    row = new_action_row(
        case, goal, action=action, responsible=responsible, deadline=deadline, output=output, status="open"
    )
    _save(session, case, plan, {"actions": [*plan.actions, row]}, today)
    return row["action_id"]


def mark_done(
    session: Session, case_id: str, action_ref: str, *, day: _dt.date, today: _dt.date, phase: str | None = None
) -> str:
    """Mark done the action `action_ref` names (its number or its ref, `post:2.1`); returns its number."""
    case = cases.read_case(session, case_id)
    if day > today:
        raise CmtkError.of("date-future", day=day.isoformat())
    plan, row = find_action(case, action_ref, phase)
    if row.get("status") == "done":
        raise CmtkError.of("action-already-done", action=row.get("action_id"), id=case.id)
    actions = [
        {**a, "status": "done", "completed_date": day} if a.get(rows.REF) == row.get(rows.REF) else a
        for a in plan.actions
    ]
    _save(session, case, plan, {"actions": actions}, today)
    return str(row.get("action_id"))


def set_placement_date(session: Session, case_id: str, day: _dt.date, today: _dt.date) -> None:
    case = cases.read_case(session, case_id)
    plan = plans(case)["pre_placement"]
    if plan.record is None:
        raise CmtkError.of("plan-missing", id=case.id)
    _save(session, case, plan, {"planned_placement_date": day}, today)
