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

from cmtk import dates, messages
from cmtk.casework import evidence, schedule, scoring
from cmtk.casework import policy as policy_module
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
    code: str = ""  # the catalogue code of `detail` (cmtk/messages.py), for tests and scripts

    def to_json(self) -> dict[str, Any]:
        found = {key: getattr(self, key) for key in ("id", "met", "label", "detail")}
        return found | ({"todo": self.todo} if not self.met and self.todo else {})


@dataclass(frozen=True)
class Check:
    """What a rule found. `wait_until`: the only remedy is to wait until that day."""

    met: bool
    detail: str
    wait_until: _dt.date | None = None
    code: str = ""  # the catalogue code of the detail (cmtk/messages.py)


def _check(met: bool, key: str, /, wait_until: _dt.date | None = None, **params: Any) -> Check:
    """A rule's finding worded by catalogue entry KEY."""
    return Check(met, messages.text(key, **params), wait_until, messages.code_of(key))


@dataclass
class Context:
    case: Case
    policy: dict
    today: _dt.date
    form: Callable[[str], definitions.FormDef]
    window: evidence.Window | None = None
    flow: dict | None = None


def _value(record: Record, path: str) -> Any:
    section, _, field = path.partition(".")
    return (record.body.get(section) or {}).get(field)


def _matches(record: Record, where: dict) -> bool:
    return not _unmet(record, where)


def _unmet(record: Record, where: dict) -> list[str]:
    """The conditions of `where` the record does not meet (their `section.field` paths)."""
    unmet = []
    for path, wanted in (where or {}).items():
        value = _value(record, path)
        if value not in (wanted if isinstance(wanted, list) else [wanted]):
            unmet.append(path)
    return unmet


def _all_records(ctx: Context, form_id: str) -> list[Record]:
    return [r for r in ctx.case.records if r.form == form_id]


# Records revised in place rather than recorded anew: a revision after the case went back counts.
REVISED_IN_PLACE = frozenset({"case-plan"})


def _records(ctx: Context, form_id: str) -> list[Record]:
    """The form's records that count: those made since the case last went back below this gate's step."""
    return evidence.within(_all_records(ctx, form_id), ctx.window, revised=form_id in REVISED_IN_PLACE)


def _latest(ctx: Context, form_id: str, where: dict | None = None) -> Record | None:
    found = [r for r in _records(ctx, form_id) if _matches(r, where or {})]
    return found[-1] if found else None


def _missing(ctx: Context, form_id: str, what: str | None = None) -> Check:
    """Not met: 'no X recorded', saying so when earlier records exist but no longer count."""
    what = what or form_id
    if ctx.window is None:
        return _check(False, "gate-recorded", record_kind=what)
    earlier = len(_all_records(ctx, form_id)) - len(_records(ctx, form_id))
    if earlier:
        return _check(False, "gate-none-since:earlier", record_kind=what, since=ctx.window.since(), count=earlier)
    return _check(False, "gate-none-since", record_kind=what, since=ctx.window.since())


def _show(day: Any) -> str:
    return day.isoformat() if isinstance(day, _dt.date) else str(day)


def _field_label(ctx: Context, form_id: str, path: str) -> str:
    section_id, _, name = path.partition(".")
    section = ctx.form(form_id).section(section_id)
    found = section.field(name) if section else None
    return found.label.en if found else path


def _household(text: Any) -> str:
    return " ".join(str(text or "").split()).casefold()


# -- rule kinds ------------------------------------------------------------------------------


def section_complete(ctx: Context, rule: dict) -> Check:
    record = _latest(ctx, rule["form"])
    if record is None:
        return _missing(ctx, rule["form"])
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
        return _check(False, "gate-conditions-missing", missing="; ".join(missing))
    return _check(True, "gate-form-of", form=rule["form"], date=_show(record.date))


def recorded(ctx: Context, rule: dict) -> Check:
    candidates = _records(ctx, rule["form"])
    where = rule.get("where", {})
    found = [r for r in candidates if _matches(r, where)]
    need = int(rule.get("min_count", 1))
    if len(found) >= need:
        how_many = f" ({len(found)} recorded)" if len(found) > 1 else ""
        return _check(True, "gate-form-of:count", form=rule["form"], date=_show(found[-1].date), how_many=how_many)
    if found:
        return _check(False, "gate-needed", count=len(found), need=need)
    if candidates:
        # Say what the closest record lacks, in the form's own words.
        closest = min(reversed(candidates), key=lambda r: len(_unmet(r, where)))
        lacking = "; ".join(
            f"{_field_label(ctx, rule['form'], path)}: {_show(_value(closest, path) or 'not filled in')}"
            for path in _unmet(closest, where)
        )
        return _check(False, "gate-says", form=rule["form"], date=_show(closest.date), lacking=lacking)
    return _missing(ctx, rule["form"])


def answered(ctx: Context, rule: dict) -> Check:
    record = _latest(ctx, rule["form"])
    if record is None:
        return _missing(ctx, rule["form"])
    empty = [
        _field_label(ctx, rule["form"], path)
        for path in rule.get("fields", [])
        if _value(record, path) in (None, "", [])
    ]
    if empty:
        return _check(False, "gate-not-filled", empty="; ".join(empty))
    return _check(True, "gate-form-of", form=rule["form"], date=_show(record.date))


def _households(ctx: Context, spec: dict) -> dict[str, str]:
    """The households assessed (in the window): folded name -> name as written."""
    found: dict[str, str] = {}
    for record in _records(ctx, spec["form"]):
        name = _value(record, spec["field"])
        if name:
            found.setdefault(_household(name), " ".join(str(name).split()))
    return found


def each_household(ctx: Context, rule: dict) -> Check:
    households = _households(ctx, rule["households"])
    if not households:
        return _missing(ctx, rule["households"]["form"], "household assessment")
    records = [r for r in _records(ctx, rule["form"]) if _matches(r, rule.get("where", {}))]
    named = {_household(_value(r, rule["field"])) for r in records if _value(r, rule["field"])}
    unnamed = [r for r in records if not _value(r, rule["field"])]
    lacking = [name for key, name in households.items() if key not in named]
    if len(lacking) == 1 and len(households) == 1 and unnamed:
        lacking = []  # one household: a record that names none is about it
    if lacking:
        extra = f"; {len(unnamed)} {rule['form']} record(s) name no household" if unnamed else ""
        return _check(False, "gate-households-not-assessed", lacking=", ".join(lacking), extra=extra)
    return _check(True, "gate-households-each-assessed", count=len(households), form=rule["form"])


def decision_if_several(ctx: Context, rule: dict) -> Check:
    spec = rule.get("households") or {"form": rule["form"], "field": None}
    households = _households(ctx, spec) if spec.get("field") else {}
    count = len(households) if spec.get("field") else len(_records(ctx, spec["form"]))
    if count <= int(rule.get("more_than", 1)):
        return _check(True, "gate-households-single", count=count)
    decisions = [r for r in _records(ctx, rule["decision_form"]) if _matches(r, rule.get("where", {}))]
    if not decisions:
        return _check(False, "gate-households-no-recommendation", count=count)
    latest = decisions[-1]
    if not rule.get("field"):
        return _check(
            True,
            "gate-households-chosen",
            count=count,
            decision_form=rule["decision_form"],
            date=_show(latest.date),
        )
    chosen = _value(latest, rule["field"])
    if _household(chosen) not in households:
        named = f"'{chosen}'" if chosen else "no household"
        return _check(
            False,
            "gate-households-named-not-assessed",
            count=count,
            date=_show(latest.date),
            named_household=named,
            assessed_households=", ".join(households.values()),
        )
    return _check(
        True,
        "gate-households-recommended",
        count=count,
        date=_show(latest.date),
        households=households[_household(chosen)],
    )


def plan_smart(ctx: Context, rule: dict) -> Check:
    phase = rule.get("phase", "pre_placement")
    plans = [r for r in _records(ctx, "case-plan") if _value(r, "plan.phase") == phase]
    if not plans:
        what = f"{phase.replace('_', '-')} case plan"
        if ctx.window is not None and any(_value(r, "plan.phase") == phase for r in _all_records(ctx, "case-plan")):
            return _check(False, "gate-revised", record_kind=what, since=ctx.window.since())
        return _check(False, "gate-recorded", record_kind=what)
    plan = plans[-1].body.get("plan") or {}
    goals, actions = plan.get("goals") or [], plan.get("actions") or []
    if not goals:
        return _check(False, "gate-plan-goals")

    rules = smart_rules.Rules(smart_rules.merged(ctx.policy.get("smart")), ctx.form)
    found = checker.check_plan(goals, actions, today=ctx.today, rules=rules)
    problems = [f for f in found if f.letter in ("S", "M", "R", "T")]
    if problems:
        return _check(False, "gate-plan-not-smart", count=len(problems), smart_problem=problems[0])
    return _check(True, "gate-plan-smart", count=len(goals), count2=len(actions))


def approval(ctx: Context, rule: dict) -> Check:
    record = _latest(ctx, rule["form"])
    if record is None:
        return _missing(ctx, rule["form"], "decision")
    decision = _value(record, rule["field"])
    section = rule["field"].split(".")[0]
    values = record.body.get(section) or {}
    who = ", ".join(
        str(values[k])
        for k in ("approver_name", "approver_role", "approval_date", "approval_reference")
        if values.get(k)
    )
    if decision == rule["approved"]:
        return _check(True, "gate-approved", who=who)
    if decision == rule.get("refused"):
        return _check(False, "gate-refused", who=who)
    return _check(False, "gate-decision-empty")


def date_set(ctx: Context, rule: dict) -> Check:
    record = _latest(ctx, rule["form"], rule.get("where"))
    value = _value(record, rule["field"]) if record else None
    if not isinstance(value, _dt.date):
        return _check(False, "gate-set")
    if ctx.window is not None and value < ctx.window.day:
        return _check(
            False,
            "gate-set-before",
            record_date=value.isoformat(),
            label=ctx.window.label,
            on_day=ctx.window.day.isoformat(),
        )
    return _check(True, "gate-set:to", record_date=value.isoformat())


def date_reached(ctx: Context, rule: dict) -> Check:
    record = _latest(ctx, rule["form"], rule.get("where"))
    value = _value(record, rule["field"]) if record else None
    if not isinstance(value, _dt.date):
        return _check(False, "gate-not-recorded") if ctx.window is None else _missing(ctx, rule["form"])
    if value > ctx.today:
        return _check(False, "gate-date-after-today", wait_until=value, record_date=value.isoformat())
    return _check(True, "gate-on", record_date=value.isoformat())


def _standing(ctx: Context, rule: dict) -> Record | None:
    """The record a clock starts from: one still standing for the step it was needed at (`needed_at`; a
    re-opening at step 7 leaves the placement standing, a breakdown does not)."""
    if "needed_at" not in rule or ctx.flow is None:
        return _latest(ctx, rule["form"])
    window = evidence.window(ctx.case, ctx.flow, int(rule["needed_at"]))
    found = evidence.within(_all_records(ctx, rule["form"]), window)
    return found[-1] if found else None


def time_since(ctx: Context, rule: dict) -> Check:
    record = _standing(ctx, rule)
    recorded_start = _value(record, rule["field"]) if record else None
    duration = policy_module.get(ctx.policy, rule["policy"])
    if not isinstance(recorded_start, _dt.date):
        return _check(False, "gate-no-start-date") if ctx.window is None else _missing(ctx, rule["form"])
    start = evidence.later_of(recorded_start, ctx.window)
    since = f"since {start.isoformat()}" + (f" ({ctx.window.label})" if start != recorded_start and ctx.window else "")
    possible = dates.add_duration(start, duration)
    words = dates.describe_duration(duration)
    if possible <= ctx.today:
        return _check(True, "gate-reached", words=words, since=since, possible=possible.isoformat())
    return _check(False, "gate-before", wait_until=possible, words=words, since=since, possible=possible.isoformat())


def _closure_day(ctx: Context) -> _dt.date:
    """The day the case would close: the closure form's date if one counts, else today."""
    closure_record = _latest(ctx, "closure")
    closure_day = _value(closure_record, "closure.closure_date") if closure_record else None
    return closure_day if isinstance(closure_day, _dt.date) else ctx.today


def visits_kept(ctx: Context, rule: dict) -> Check:
    placed = schedule.placement_date(ctx.case, ctx.policy)  # the placement still standing
    if placed is None:
        return _check(False, "gate-no-placement", since_text=f" {ctx.window.since()}" if ctx.window else "")
    start = evidence.later_of(placed, ctx.window)
    settings = policy_module.get(ctx.policy, rule["policy"])
    grace = settings.get("grace") or {"days": 0}
    allowed = int(settings.get("missed_allowed", 0))
    end = min(_closure_day(ctx), ctx.today)
    seen = [d for d in schedule.seen_visits(ctx.case) if start <= d <= end]
    made, missed = schedule.visits_against_schedule(start, seen, end, ctx.policy, grace)
    kept = messages.text("gate-visits-seen", count=len(made), start=start.isoformat())
    if len(missed) > allowed:
        shown = ", ".join(d.isoformat() for d in missed[:6]) + (" ..." if len(missed) > 6 else "")
        return _check(False, "gate-visits-missed", kept=kept, count=len(missed), allowed=allowed, due_dates=shown)
    if missed:
        due = ", ".join(d.isoformat() for d in missed)
        return _check(True, "gate-visits:some-missed", kept=kept, count=len(missed), due=due, allowed=allowed)
    return _check(True, "gate-visits:none-missed", kept=kept)


def _reviews(ctx: Context) -> list[Record]:
    return evidence.within([r for r in ctx.case.records if r.form in scoring.REVIEW_FORMS], ctx.window)


def _review_date(review: Record) -> Any:
    return _value(review, "review.review_date") or review.date


def review_passes(ctx: Context, rule: dict) -> Check:
    reviews = _reviews(ctx)
    if not reviews:
        return _missing(ctx, "case-review", "case review")
    review = reviews[-1]
    bio = ctx.case.biographical
    review_date = _review_date(review)
    if not isinstance(review_date, _dt.date):  # a record from another copy may lack both dates
        return _check(False, "gate-review-undated")
    scored = scoring.score(
        ctx.form(review.form),
        review.body,
        age=scoring.age_on(bio.get("date_of_birth"), review_date),
        sex=bio.get("sex"),
    )
    closure = ctx.policy.get("closure", {})
    rule_name, hard_stop = closure.get("rule", "all-domains"), closure.get("school_travel_hard_stop", True)
    if not scored.closure_ready(rule_name, hard_stop):
        return _check(
            False, "gate-review", review_date=_show(review_date), verdict=scored.verdict(rule_name, hard_stop)
        )
    closure_day = _closure_day(ctx)
    gap = policy_module.get(ctx.policy, rule["policy"])
    earliest = dates.add_duration(review_date, gap)
    if closure_day < earliest:
        return _check(
            False,
            "gate-review-passes-closure-waits",
            wait_until=earliest,
            review_date=_show(review_date),
            earliest=earliest.isoformat(),
            describe_duration=dates.describe_duration(gap),
        )
    return _check(
        True,
        "gate-review-passes-closure-later",
        review_date=_show(review_date),
        closure_day=closure_day.isoformat(),
        describe_duration=dates.describe_duration(gap),
    )


def review_current(ctx: Context, rule: dict) -> Check:
    reviews = _reviews(ctx)
    if not reviews:
        return _missing(ctx, "case-review", "case review")
    review_date = _review_date(reviews[-1])
    if not isinstance(review_date, _dt.date):
        return _check(False, "gate-review-no-date")
    every = policy_module.get(ctx.policy, rule["policy"])
    due = dates.add_duration(review_date, every)
    closure_day = _closure_day(ctx)
    if closure_day > due:
        return _check(False, "gate-review-overdue", review_date=review_date.isoformat(), due=due.isoformat())
    return _check(True, "gate-review-next-due", review_date=review_date.isoformat(), due=due.isoformat())


def all_yes(ctx: Context, rule: dict) -> Check:
    record = _latest(ctx, rule["form"])
    if record is None:
        return _missing(ctx, rule["form"])
    section = ctx.form(rule["form"]).section(rule["section"])
    values = record.body.get(rule["section"]) or {}
    open_items = [
        f.label.en
        for f in (section.fields if section else ())
        if (f.type == "yes_no" and values.get(f.name) != "yes")
        or (f.type == "yes_no_na" and values.get(f.name) not in ("yes", "na"))
    ]
    if open_items:
        return _check(False, "gate-not-yet", open_items="; ".join(open_items))
    return _check(True, "gate-every-item-done")


def age_at_least(ctx: Context, rule: dict) -> Check:
    years = int(policy_module.get(ctx.policy, rule["policy"]))
    record = _latest(ctx, rule["form"]) if rule.get("form") else None
    value = _value(record, rule["field"]) if record and rule.get("field") else None
    day = value if isinstance(value, _dt.date) else ctx.today
    born = ctx.case.born
    if born is None:
        return _check(False, "gate-no-birth-date")
    adult_on = dates.add_duration(born, {"years": years})
    if day < adult_on:
        return _check(
            False,
            "gate-not-of-age",
            wait_until=adult_on,
            years=years,
            adult_on=adult_on.isoformat(),
            on_day=day.isoformat(),
        )
    return _check(True, "gate-of-age", years=years, adult_on=adult_on.isoformat())


RULES: dict[str, Callable[[Context, dict], Check]] = {
    "section_complete": section_complete,
    "recorded": recorded,
    "answered": answered,
    "each_household": each_household,
    "decision_if_several": decision_if_several,
    "plan_smart": plan_smart,
    "approval": approval,
    "date_set": date_set,
    "date_reached": date_reached,
    "time_since": time_since,
    "visits_kept": visits_kept,
    "review_passes": review_passes,
    "review_current": review_current,
    "all_yes": all_yes,
    "age_at_least": age_at_least,
}


# -- steps of a case --------------------------------------------------------------------------


def step_of(case: Case) -> int:
    step = case.case_file.get("step", 1)
    return step if isinstance(step, int) and 1 <= step <= LAST_STEP else 1


def step_info(flow: dict, number: int) -> dict:
    for step in flow["steps"]:
        if step["number"] == number:
            return step
    raise CmtkError.of("no-such-step", number=number, last_step=LAST_STEP)


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


def _applies(ctx: Context, gate: dict) -> tuple[bool, str]:
    """A gate with `when` applies only when the latest record of that form matches; else (False, that form)."""
    when = gate.get("when")
    if not when:
        return True, ""
    record = _latest(ctx, when["form"])
    if record is not None and _matches(record, when.get("where", {})):
        return True, ""
    return False, when["form"]


def check_gates(
    case: Case, gates: list[dict], *, gate_step: int, flow: dict, policy: dict, today: _dt.date, form_loader
) -> list[Requirement]:
    """Each gate as met or missing, with evidence counted since the case last went back below `gate_step`."""
    found = []
    window = evidence.window(case, flow, gate_step)
    for gate in gates:
        check = RULES.get(str(gate.get("rule")))
        if check is None:
            raise CmtkError.of(
                "workflow-rule-unknown",
                gate=gate.get("id"),
                rule=gate.get("rule"),
                suggest=definitions.suggest(str(gate.get("rule")), RULES),
            )
        ctx = Context(
            case=case,
            policy=policy,
            today=today,
            form=form_loader,
            window=None if gate.get("window") is False else window,
            flow=flow,
        )
        applies, why_not = _applies(ctx, gate)
        result = check(ctx, gate) if applies else _check(True, "gate-not-needed", form=why_not)
        refused = not result.met and gate.get("rule") == "approval" and result.detail.startswith("REFUSED")
        if result.wait_until is not None and gate.get("wait"):
            todo = str(gate["wait"]).replace("{date}", result.wait_until.isoformat())
        elif result.wait_until is not None:
            todo = f"wait until {result.wait_until.isoformat()}: nothing else can be done before then"
        else:
            todo = str(gate.get("todo", ""))
        found.append(
            Requirement(
                gate["id"],
                gate.get("label", gate["id"]),
                result.met,
                result.detail,
                todo.replace("{case}", case.id),
                gate.get("back_to") if refused else None,
                result.code,
            )
        )
    return found


def requirements(case: Case, to_step: int, *, policy: dict, today: _dt.date, form_loader) -> list[Requirement]:
    flow = policy_module.workflow(policy)
    return check_gates(
        case,
        flow["gates"].get(to_step, []),
        gate_step=to_step,
        flow=flow,
        policy=policy,
        today=today,
        form_loader=form_loader,
    )


# -- closure routes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Closing:
    """Closing a case by the route its closure form names."""

    reason: str
    label: str
    allowed: bool  # the route may be taken from the case's current step
    from_steps: tuple[int, ...]
    requirements: tuple[Requirement, ...]
    command: str | None = None  # another command records this route (e.g. transfer)
    success: bool = False  # the route of the last step's gates (also `cmtk advance`)

    @property
    def ready(self) -> bool:
        return self.allowed and self.command is None and all(r.met for r in self.requirements)

    def to_json(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "label": self.label,
            "allowed_at_this_step": self.allowed,
            "requirements": [r.to_json() for r in self.requirements],
            "ready": self.ready,
            **({"command": self.command} if self.command else {}),
        }


def routes(flow: dict) -> list[dict]:
    return list((flow.get("closure") or {}).get("routes") or [])


def route_for(flow: dict, reason: str) -> dict | None:
    return next((r for r in routes(flow) if r.get("reason") == reason), None)


def closure_reason(case: Case, flow: dict) -> str | None:
    """The reason on the closure form that counts now (made since the case last went back), if any."""
    spec = flow.get("closure") or {}
    form_id = spec.get("form", "closure")
    found = evidence.within([r for r in case.records if r.form == form_id], evidence.window(case, flow))
    if not found:
        return None
    reason = _value(found[-1], spec.get("reason", "closure.reason"))
    return str(reason) if reason else None


def closing(case: Case, *, policy: dict, today: _dt.date, form_loader, reason: str | None = None) -> Closing | None:
    """The closure route the case's closure form names (or `reason`), with its requirements; None without one."""
    flow = policy_module.workflow(policy)
    reason = reason or closure_reason(case, flow)
    if reason is None:
        return None
    route = route_for(flow, reason)
    if route is None:
        known = ", ".join(str(r.get("reason")) for r in routes(flow))
        raise CmtkError.of("closure-reason-unknown", reason=reason, known=known)
    gates = route.get("gates") or []
    success = gates == "step"
    if success:
        gates = flow["gates"].get(LAST_STEP, [])
    steps = tuple(int(s) for s in route.get("from_steps") or range(1, LAST_STEP))
    found = check_gates(
        case, gates, gate_step=LAST_STEP, flow=flow, policy=policy, today=today, form_loader=form_loader
    )
    return Closing(
        reason,
        str(route.get("label", reason)),
        case.status == "open" and step_of(case) in steps,
        steps,
        tuple(found),
        route.get("command"),
        success,
    )


@dataclass(frozen=True)
class Status:
    case: str
    step: int
    step_name: str
    next: int | None
    requirements: tuple[Requirement, ...]
    closing: Closing | None = None

    @property
    def can_advance(self) -> bool:
        return self.next is not None and all(r.met for r in self.requirements)

    @property
    def sent_back_to(self) -> int | None:
        return next((r.back_to for r in self.requirements if r.back_to), None)

    def to_json(self) -> dict[str, Any]:
        found = {key: getattr(self, key) for key in ("case", "step", "step_name", "next")}
        found |= {"requirements": [r.to_json() for r in self.requirements], "can_advance": self.can_advance}
        return found | ({"closing": self.closing.to_json()} if self.closing else {})

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
    ending = None
    if case.status == "open":
        ending = closing(case, policy=policy, today=today, form_loader=form_loader)
        if ending is not None and ending.success and following == LAST_STEP:
            ending = None  # the same gates as the next step: nothing more to show
    return Status(case.id, step, step_info(flow, step)["name"], following, tuple(found), ending)


def moved(case: Case, to_step: int, *, day: _dt.date, by: str, what: str, status_value: str | None = None) -> Record:
    """The case file record after a move (advance, back, re-open, transfer, close): history kept as events."""
    current = next((r for r in reversed(case.records) if r.form == CASE_FILE), None)
    if current is None:
        raise CmtkError.of("case-file-missing", id=case.id)
    body = dict(current.body)
    info = dict(body.get("case") or {})
    events = list(body.get("events") or [])
    stamp = dates.now_utc()
    events.append({"date": day, "from": step_of(case), "to": to_step, "by": by, "what": what, "at": stamp.isoformat()})
    info["step"] = to_step
    if status_value:
        info["status"] = status_value
    body["case"], body["events"] = info, events
    return dataclasses.replace(current, body=body, updated=stamp.isoformat(), updated_by=by)
