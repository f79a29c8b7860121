"""The eight steps and their gates: what a case needs before it may move on.

The steps and gates are data (cmtk/defaults/workflow.yaml, overridable in the
store's policy). This module only knows the rule kinds. Each check is a pure
function of the case's records, the policy and a date, and returns a
requirement that is met or says what to do.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cmtk import dates
from cmtk.casework import policy as policy_module
from cmtk.casework import scoring
from cmtk.casework.cases import CASE_FILE, Case
from cmtk.errors import CmtkError
from cmtk.forms import definitions
from cmtk.smart import checker
from cmtk.smart import rules as smart_rules
from cmtk.store.records import Record

LAST_STEP = 8


@dataclass(frozen=True)
class Requirement:
    id: str
    label: str
    met: bool
    detail: str
    todo: str = ""
    back_to: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "met": self.met,
            "label": self.label,
            "detail": self.detail,
            **({"todo": self.todo} if not self.met and self.todo else {}),
        }


@dataclass
class Context:
    case: Case
    policy: dict
    today: _dt.date
    form: Callable[[str], definitions.FormDef]


def _value(record: Record, path: str) -> Any:
    section, _, field = path.partition(".")
    return (record.body.get(section) or {}).get(field)


def _matches(record: Record, where: dict) -> bool:
    for path, wanted in (where or {}).items():
        value = _value(record, path)
        if isinstance(wanted, list):
            if value not in wanted:
                return False
        elif value != wanted:
            return False
    return True


def _records(ctx: Context, form_id: str) -> list[Record]:
    return [r for r in ctx.case.records if r.form == form_id]


def _latest(ctx: Context, form_id: str) -> Record | None:
    found = _records(ctx, form_id)
    return found[-1] if found else None


def _show(day: Any) -> str:
    return day.isoformat() if isinstance(day, _dt.date) else str(day)


# -- rule kinds ------------------------------------------------------------------------------


def section_complete(ctx: Context, rule: dict) -> tuple[bool, str]:
    record = _latest(ctx, rule["form"])
    if record is None:
        return False, f"no {rule['form']} recorded"
    definition = ctx.form(rule["form"])
    section = definition.section(rule["section"])
    values = record.body.get(rule["section"]) or {}
    answers = {name: value for part in record.body.values() if isinstance(part, dict) for name, value in part.items()}
    missing = [
        f.label.en
        for f in (section.fields if section else ())
        if f.required and f.answers and values.get(f.name) in (None, "", []) and definitions.shown(f, answers)
    ]
    for group in rule.get("one_of", []):
        if not any(values.get(name) not in (None, "", []) for name in group):
            missing.append(" or ".join(group))
    if missing:
        return False, "missing: " + "; ".join(missing)
    return True, f"{rule['form']} of {_show(record.date)}"


def recorded(ctx: Context, rule: dict) -> tuple[bool, str]:
    found = [r for r in _records(ctx, rule["form"]) if _matches(r, rule.get("where", {}))]
    need = int(rule.get("min_count", 1))
    if len(found) >= need:
        return True, f"{rule['form']} of {_show(found[-1].date)}" + (
            f" ({len(found)} recorded)" if len(found) > 1 else ""
        )
    others = len(_records(ctx, rule["form"]))
    if others:
        return False, f"{others} {rule['form']} record(s), none with the needed answer"
    return False, f"no {rule['form']} recorded"


def decision_if_several(ctx: Context, rule: dict) -> tuple[bool, str]:
    count = len(_records(ctx, rule["form"]))
    if count <= int(rule.get("more_than", 1)):
        return True, f"{count} household(s) assessed: no conference choice needed"
    met, detail = recorded(ctx, {"form": rule["decision_form"], "where": rule.get("where", {})})
    return met, (
        f"{count} households assessed; "
        + ("a conference chose: " + detail if met else "no conference recommendation recorded")
    )


def plan_smart(ctx: Context, rule: dict) -> tuple[bool, str]:
    plans = [r for r in _records(ctx, "case-plan") if _value(r, "plan.phase") == rule.get("phase", "pre_placement")]
    if not plans:
        return False, f"no {rule.get('phase', 'pre_placement').replace('_', '-')} case plan recorded"
    plan = plans[-1].body.get("plan") or {}
    goals, actions = plan.get("goals") or [], plan.get("actions") or []
    if not goals:
        return False, "the plan has no goals"

    rules = smart_rules.Rules(smart_rules.merged(ctx.policy.get("smart")), ctx.form)
    found = checker.check_plan(goals, actions, today=ctx.today, rules=rules)
    problems = [f for f in found if f.letter in ("S", "M", "R", "T")]
    if problems:
        return False, f"{len(problems)} SMART problem(s), first: {problems[0]}"
    return True, f"{len(goals)} goal(s), {len(actions)} action(s), all specific, measurable, relevant and dated"


def approval(ctx: Context, rule: dict) -> tuple[bool, str]:
    record = _latest(ctx, rule["form"])
    if record is None:
        return False, "no decision recorded"
    decision = _value(record, rule["field"])
    section = rule["field"].split(".")[0]
    values = record.body.get(section) or {}
    who = ", ".join(
        str(values[k])
        for k in ("approver_name", "approver_role", "approval_date", "approval_reference")
        if values.get(k)
    )
    if decision == rule["approved"]:
        return True, f"approved ({who})"
    if decision == rule.get("refused"):
        return False, f"REFUSED ({who})"
    return False, "the decision is not filled in"


def date_set(ctx: Context, rule: dict) -> tuple[bool, str]:
    record = _latest(ctx, rule["form"])
    value = _value(record, rule["field"]) if record else None
    if isinstance(value, _dt.date):
        return True, f"set to {value.isoformat()}"
    return False, "not set"


def date_reached(ctx: Context, rule: dict) -> tuple[bool, str]:
    record = _latest(ctx, rule["form"])
    value = _value(record, rule["field"]) if record else None
    if not isinstance(value, _dt.date):
        return False, "not recorded"
    if value > ctx.today:
        return False, f"recorded as {value.isoformat()}, which is after today"
    return True, f"on {value.isoformat()}"


def time_since(ctx: Context, rule: dict) -> tuple[bool, str]:
    record = _latest(ctx, rule["form"])
    start = _value(record, rule["field"]) if record else None
    duration = policy_module.get(ctx.policy, rule["policy"])
    if not isinstance(start, _dt.date):
        return False, "no start date recorded"
    possible = dates.add_duration(start, duration)
    words = dates.describe_duration(duration)
    if possible <= ctx.today:
        return True, f"{words} since {start.isoformat()} (reached {possible.isoformat()})"
    return False, f"{words} since {start.isoformat()}: not before {possible.isoformat()}"


def review_passes(ctx: Context, rule: dict) -> tuple[bool, str]:
    reviews = [r for r in ctx.case.records if r.form in scoring.REVIEW_FORMS]
    if not reviews:
        return False, "no case review recorded"
    review = reviews[-1]
    bio = ctx.case.biographical
    review_date = _value(review, "review.review_date") or review.date
    if not isinstance(review_date, _dt.date):  # a record from another copy may lack both dates
        return False, "the latest case review has no review date"
    scored = scoring.score(
        ctx.form(review.form),
        review.body,
        age=scoring.age_on(bio.get("date_of_birth"), review_date),
        sex=bio.get("sex"),
    )
    closure = ctx.policy.get("closure", {})
    rule_name, hard_stop = closure.get("rule", "all-domains"), closure.get("school_travel_hard_stop", True)
    if not scored.closure_ready(rule_name, hard_stop):
        return False, f"review of {_show(review_date)}: {scored.verdict(rule_name, hard_stop)}"
    closure_record = _latest(ctx, "closure")
    closure_day = _value(closure_record, "closure.closure_date") if closure_record else None
    closure_day = closure_day if isinstance(closure_day, _dt.date) else ctx.today
    gap = policy_module.get(ctx.policy, rule["policy"])
    earliest = dates.add_duration(review_date, gap)
    if closure_day < earliest:
        return (
            False,
            f"review of {_show(review_date)} passes, but closure must wait until {earliest.isoformat()} "
            f"({dates.describe_duration(gap)} after it)",
        )
    return (
        True,
        f"review of {_show(review_date)} passes; closure on {closure_day.isoformat()} is at least "
        f"{dates.describe_duration(gap)} later",
    )


def all_yes(ctx: Context, rule: dict) -> tuple[bool, str]:
    record = _latest(ctx, rule["form"])
    if record is None:
        return False, f"no {rule['form']} recorded"
    section = ctx.form(rule["form"]).section(rule["section"])
    values = record.body.get(rule["section"]) or {}
    open_items = [
        f.label.en
        for f in (section.fields if section else ())
        if (f.type == "yes_no" and values.get(f.name) != "yes")
        or (f.type == "yes_no_na" and values.get(f.name) not in ("yes", "na"))
    ]
    if open_items:
        return False, "not yet: " + "; ".join(open_items)
    return True, "every item done"


RULES: dict[str, Callable[[Context, dict], tuple[bool, str]]] = {
    "section_complete": section_complete,
    "recorded": recorded,
    "decision_if_several": decision_if_several,
    "plan_smart": plan_smart,
    "approval": approval,
    "date_set": date_set,
    "date_reached": date_reached,
    "time_since": time_since,
    "review_passes": review_passes,
    "all_yes": all_yes,
}


# -- steps of a case --------------------------------------------------------------------------


def step_of(case: Case) -> int:
    step = case.case_file.get("step", 1)
    return step if isinstance(step, int) and 1 <= step <= LAST_STEP else 1


def step_info(flow: dict, number: int) -> dict:
    for step in flow["steps"]:
        if step["number"] == number:
            return step
    raise CmtkError(f"step {number} is not in the workflow; steps are 1 to {LAST_STEP}")


@dataclass(frozen=True)
class StepGuide:
    """The steps in plain words (all eight, or one), each with the gates before the next step."""

    steps: list[dict[str, Any]]
    gates: dict[int, list[dict[str, Any]]]

    def gates_after(self, step: dict[str, Any]) -> list[dict[str, Any]]:
        return list(self.gates.get(step["number"] + 1, []))

    def to_json(self) -> list[dict[str, Any]]:
        return [
            {
                "number": step["number"],
                "name": step["name"],
                "sops": list(step.get("sops", [])),
                "purpose": step.get("purpose", ""),
                "record": step.get("record", ""),
                "achieve": step.get("achieve", ""),
                "before_next": [{"id": g["id"], "label": g.get("label", g["id"])} for g in self.gates_after(step)],
            }
            for step in self.steps
        ]

    def to_rows(self) -> tuple[list[str], list[list[Any]]]:
        headers = ["number", "name", "sops", "purpose", "record", "achieve", "before_next"]
        rows = [
            [
                s["number"],
                s["name"],
                ", ".join(str(n) for n in s["sops"]),
                s["purpose"],
                s["record"],
                s["achieve"],
                "; ".join(g["label"] for g in s["before_next"]),
            ]
            for s in self.to_json()
        ]
        return headers, rows


def guide(policy: dict, number: int | None = None) -> StepGuide:
    """Every step of the workflow, or step `number` only."""
    flow = policy_module.workflow(policy)
    return StepGuide([step_info(flow, number)] if number else list(flow["steps"]), dict(flow["gates"]))


def requirements(case: Case, to_step: int, *, policy: dict, today: _dt.date, form_loader) -> list[Requirement]:
    flow = policy_module.workflow(policy)
    ctx = Context(case=case, policy=policy, today=today, form=form_loader)
    found = []
    for gate in flow["gates"].get(to_step, []):
        check = RULES.get(gate.get("rule"))
        if check is None:
            raise CmtkError(
                f"workflow gate '{gate.get('id')}': unknown rule "
                f"'{gate.get('rule')}'{definitions.suggest(gate.get('rule'), RULES)}"
            )
        met, detail = check(ctx, gate)
        refused = not met and gate.get("rule") == "approval" and detail.startswith("REFUSED")
        todo = str(gate.get("todo", "")).replace("{case}", case.id)
        found.append(
            Requirement(
                gate["id"], gate.get("label", gate["id"]), met, detail, todo, gate.get("back_to") if refused else None
            )
        )
    return found


@dataclass(frozen=True)
class Status:
    case: str
    step: int
    step_name: str
    next: int | None
    requirements: tuple[Requirement, ...]

    @property
    def can_advance(self) -> bool:
        return self.next is not None and all(r.met for r in self.requirements)

    @property
    def sent_back_to(self) -> int | None:
        return next((r.back_to for r in self.requirements if r.back_to), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "step": self.step,
            "step_name": self.step_name,
            "next": self.next,
            "requirements": [r.to_json() for r in self.requirements],
            "can_advance": self.can_advance,
        }

    def to_rows(self) -> tuple[list[str], list[list[Any]]]:
        headers = ["case", "step", "next", "requirement", "met", "label", "detail", "todo"]
        return headers, [
            [self.case, self.step, self.next, r.id, r.met, r.label, r.detail, "" if r.met else r.todo]
            for r in self.requirements
        ]


def status(case: Case, *, policy: dict, today: _dt.date, form_loader) -> Status:
    flow = policy_module.workflow(policy)
    step = step_of(case)
    following = step + 1 if step < LAST_STEP and case.status == "open" else None
    found = requirements(case, following, policy=policy, today=today, form_loader=form_loader) if following else []
    return Status(case.id, step, step_info(flow, step)["name"], following, tuple(found))


def moved(case: Case, to_step: int, *, day: _dt.date, by: str, what: str, status_value: str | None = None) -> Record:
    """The case file record after a move (advance, back, re-open, transfer): history kept as events."""
    current = next((r for r in reversed(case.records) if r.form == CASE_FILE), None)
    if current is None:
        raise CmtkError(f"case {case.id} has no case file record; run `cmtk doctor`")
    body = dict(current.body)
    info = dict(body.get("case") or {})
    events = list(body.get("events") or [])
    events.append({"date": day, "from": step_of(case), "to": to_step, "by": by, "what": what})
    info["step"] = to_step
    if status_value:
        info["status"] = status_value
    body["case"], body["events"] = info, events
    return dataclasses.replace(current, body=body, updated=dates.now_utc().isoformat(), updated_by=by)
