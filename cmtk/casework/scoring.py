"""Scoring a case review against the reintegration benchmarks (forms 7A and 8A).

Yes and N/A score 1, No scores 0. An indicator that does not apply to the
child's age or sex (its `applies` rule in the form) scores 1 whatever was
answered. N/A is allowed only where the form says when an indicator does not
apply: its `applies` rule (age, sex) or its `na_if` condition ("if a
referral was made"); anywhere else N/A is refused when a review is recorded,
and scores 0 in a review that holds one anyway (recorded before, or arriving
by sync). A domain is achieved when its total reaches the pass mark of its
section. The closure rule comes from the store's policy: `all-domains`
(every domain passes, the Handbook's rule) or `cpims` (at least three domains
pass, including education, protection and relationship, as CPIMS codes it).
Whatever the totals, a child who cannot travel to school safely (B1.1 = No)
blocks closure when the policy's hard stop is on.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cmtk.forms import definitions

if TYPE_CHECKING:
    from cmtk.casework.cases import Case
    from cmtk.store.session import Session

REVIEW_FORMS = ("case-review", "case-review-young-person")
CLOSURE_RULES = ("all-domains", "cpims")
CPIMS_REQUIRED = ("education", "protection", "relationship")
SCHOOL_TRAVEL = "B1.1"


@dataclass(frozen=True)
class DomainScore:
    domain: str
    score: int
    pass_mark: int
    max: int
    na: int = 0  # indicators answered N/A where the form allows it

    @property
    def achieved(self) -> bool:
        return self.score >= self.pass_mark

    def to_json(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in ("domain", "score", "pass_mark", "max", "achieved", "na")}


@dataclass(frozen=True)
class ReviewScore:
    form: str
    domains: tuple[DomainScore, ...]
    zeros: tuple[str, ...]  # indicators scored 0
    unanswered: tuple[str, ...]  # indicators left blank, or N/A where the form does not allow it (scored 0)
    school_travel_safe: bool
    na: tuple[str, ...] = ()  # indicators answered N/A where the form allows it (scored 1)

    def domain(self, name: str) -> DomainScore | None:
        return next((d for d in self.domains if d.domain == name), None)

    def closure_ready(self, rule: str = "all-domains", hard_stop: bool = True) -> bool:
        if hard_stop and not self.school_travel_safe:
            return False
        if rule == "cpims":
            passed = [d for d in self.domains if d.achieved]
            required = [found for name in CPIMS_REQUIRED if (found := self.domain(name)) is not None]
            return len(passed) >= 3 and all(d.achieved for d in required)
        return all(d.achieved for d in self.domains)

    def verdict(self, rule: str = "all-domains", hard_stop: bool = True) -> str:
        if hard_stop and not self.school_travel_safe:
            return (
                "not ready: the child cannot travel to school safely (B1.1), which blocks closure whatever the totals"
            )
        if self.closure_ready(rule, hard_stop):
            return "ready for closure under the store's rule" + (
                " (CPIMS)" if rule == "cpims" else " (every domain passes)"
            )
        failing = ", ".join(d.domain for d in self.domains if not d.achieved)
        return f"not ready: below the pass mark in {failing}"


def _applies(rule: dict[str, Any], age: int | None, sex: str | None) -> bool:
    if not rule:
        return True
    if "min_age" in rule and age is not None and age < rule["min_age"]:
        return False
    if "max_age" in rule and age is not None and age > rule["max_age"]:
        return False
    if "sex" in rule and sex is not None and sex != rule["sex"]:
        return False
    return True


def na_allowed(section: definitions.Section, field: definitions.Field, age: int | None, sex: str | None) -> bool:
    """Whether "not applicable" may be answered: the form says when (na_if), or the indicator's age or sex rule
    leaves this child out (or the child's age or sex is not known, so nobody can tell)."""
    if field.na_if or section.na_if:
        return True
    rule = field.applies
    if not rule:
        return False
    if not _applies(rule, age, sex):
        return True
    return (("min_age" in rule or "max_age" in rule) and age is None) or ("sex" in rule and sex is None)


def na_refused(
    form: definitions.FormDef, body: dict[str, Any], *, age: int | None = None, sex: str | None = None
) -> list[tuple[str, str]]:
    """The indicators answered N/A where the form does not allow it: (section.field, indicator)."""
    found = []
    for section in form.sections:
        answers = body.get(section.id) or {}
        for field in section.fields:
            if (
                field.type == "yes_no_na"
                and field.indicator  # a benchmark indicator: N/A elsewhere (a checklist) is an ordinary answer
                and answers.get(field.name) == "na"
                and not na_allowed(section, field, age, sex)
            ):
                found.append((f"{section.id}.{field.name}", field.indicator))
    return found


def score(
    form: definitions.FormDef, body: dict[str, Any], *, age: int | None = None, sex: str | None = None
) -> ReviewScore:
    """Score one review body; only fields with an `indicator` count."""
    domains: list[DomainScore] = []
    zeros: list[str] = []
    unanswered: list[str] = []
    not_applicable: list[str] = []
    school_safe = True
    for section in form.sections:
        if not section.domain:
            continue
        answers = body.get(section.id) or {}
        total = maximum = na = 0
        for field in section.fields:
            if field.type != "yes_no_na" or not field.indicator:
                continue
            maximum += 1
            answer = answers.get(field.name)
            if not _applies(field.applies, age, sex):
                total += 1
                continue
            if answer == "na" and na_allowed(section, field, age, sex):
                total += 1
                na += 1
                not_applicable.append(field.indicator)
            elif answer == "yes":
                total += 1
            else:
                (zeros if answer == "no" else unanswered).append(field.indicator)
            if field.indicator == SCHOOL_TRAVEL and answer == "no":
                school_safe = False
        domains.append(DomainScore(section.domain, total, section.pass_mark or maximum, maximum, na))
    return ReviewScore(form.id, tuple(domains), tuple(zeros), tuple(unanswered), school_safe, tuple(not_applicable))


def age_on(date_of_birth: Any, day: _dt.date) -> int | None:
    if not isinstance(date_of_birth, _dt.date):
        return None
    years = day.year - date_of_birth.year
    if (day.month, day.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


@dataclass(frozen=True)
class CaseBenchmarks:
    case: str
    reviews: tuple[tuple[_dt.date | None, ReviewScore], ...]  # oldest first; None: a review without a date
    zero_without_action: tuple[str, ...]
    closure_ready: bool
    verdict: str


def _planned_indicators(case: Case) -> set[str]:
    """Indicators that a plan goal works on and that have at least one action."""
    covered: set[str] = set()
    for record in case.records:
        if record.form != "case-plan":
            continue
        plan = record.body.get("plan") or {}
        with_actions = {a.get("goal_ref") for a in plan.get("actions") or []}  # goals by ref (cmtk.store.rows)
        for goal in plan.get("goals") or []:
            if goal.get("ref") in with_actions:
                covered |= {
                    part.strip().upper()
                    for part in str(goal.get("indicators") or "").replace(";", ",").split(",")
                    if part.strip()
                }
    return covered


def case_benchmarks(session: Session, case: Case, policy: dict) -> CaseBenchmarks | None:

    reviews = [r for r in case.records if r.form in REVIEW_FORMS]
    if not reviews:
        return None
    bio = case.biographical
    scored: list[tuple[_dt.date | None, ReviewScore]] = []
    for review in reviews:
        day = review.body.get("review", {}).get("review_date") or review.date
        age = age_on(bio.get("date_of_birth"), day) if isinstance(day, _dt.date) else None
        scored.append(
            (
                day,
                score(definitions.load_form(review.form, session.store.root), review.body, age=age, sex=bio.get("sex")),
            )
        )
    latest = scored[-1][1]
    closure = policy.get("closure", {})
    rule, hard_stop = closure.get("rule", "all-domains"), closure.get("school_travel_hard_stop", True)
    planned = _planned_indicators(case)
    missing = tuple(i for i in latest.zeros if i.upper() not in planned)
    if case.status != "open":  # a closed or transferred case is not waiting for closure
        return CaseBenchmarks(case.id, tuple(scored), missing, False, f"the case is {case.status}")
    return CaseBenchmarks(
        case.id, tuple(scored), missing, latest.closure_ready(rule, hard_stop), latest.verdict(rule, hard_stop)
    )


def case_benchmarks_json(result: CaseBenchmarks) -> dict[str, Any]:
    day, latest = result.reviews[-1]
    return {
        "case": result.case,
        "review_date": day.isoformat() if isinstance(day, _dt.date) else None,
        "domains": [d.to_json() for d in latest.domains],
        "closure_ready": result.closure_ready,
        "zero_without_action": list(result.zero_without_action),
        "trend": [
            {
                "review_date": d.isoformat() if isinstance(d, _dt.date) else None,
                "domains": {x.domain: x.score for x in s.domains},
            }
            for d, s in result.reviews
        ],
    }


def bench_to_json(result: CaseBenchmarks | None) -> dict | None:
    """What the summary index keeps of a case's reviews (JSON-able)."""
    if result is None:
        return None
    return {
        "reviews": [
            [
                d.isoformat() if isinstance(d, _dt.date) else None,
                s.form,
                [[x.domain, x.score, x.pass_mark, x.max, x.na] for x in s.domains],
                list(s.zeros),
                s.school_travel_safe,
            ]
            for d, s in result.reviews
        ],
        "zero_without_action": list(result.zero_without_action),
        "closure_ready": result.closure_ready,
        "verdict": result.verdict,
    }


def bench_from_json(case_id: str, data: dict) -> CaseBenchmarks:

    reviews = tuple(
        (
            _dt.date.fromisoformat(day) if day else None,
            ReviewScore(form, tuple(DomainScore(*d) for d in domains), tuple(zeros), (), safe),
        )
        for day, form, domains, zeros, safe in data["reviews"]
    )
    return CaseBenchmarks(case_id, reviews, tuple(data["zero_without_action"]), data["closure_ready"], data["verdict"])
