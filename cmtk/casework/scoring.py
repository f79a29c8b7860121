"""Scoring a case review against the reintegration benchmarks (forms 7A and 8A).

Yes and N/A score 1, No scores 0. An indicator that does not apply to the
child's age or sex (its `applies` rule in the form) scores 1 whatever was
answered. A domain is achieved when its total reaches the pass mark of its
section. The closure rule comes from the store's policy: `all-domains`
(every domain passes, the Handbook's rule) or `cpims` (at least three domains
pass, including education, protection and relationship, as CPIMS codes it).
Whatever the totals, a child who cannot travel to school safely (B1.1 = No)
blocks closure when the policy's hard stop is on.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from cmtk.forms import definitions

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

    @property
    def achieved(self) -> bool:
        return self.score >= self.pass_mark

    def to_json(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "score": self.score,
            "pass_mark": self.pass_mark,
            "max": self.max,
            "achieved": self.achieved,
        }


@dataclass(frozen=True)
class ReviewScore:
    form: str
    domains: tuple[DomainScore, ...]
    zeros: tuple[str, ...]  # indicators scored 0
    unanswered: tuple[str, ...]  # indicators left blank (scored 0)
    school_travel_safe: bool

    def domain(self, name: str) -> DomainScore | None:
        return next((d for d in self.domains if d.domain == name), None)

    def closure_ready(self, rule: str = "all-domains", hard_stop: bool = True) -> bool:
        if hard_stop and not self.school_travel_safe:
            return False
        if rule == "cpims":
            passed = [d for d in self.domains if d.achieved]
            return len(passed) >= 3 and all(self.domain(n) is None or self.domain(n).achieved for n in CPIMS_REQUIRED)
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


def score(
    form: definitions.FormDef, body: dict[str, Any], *, age: int | None = None, sex: str | None = None
) -> ReviewScore:
    """Score one review body; only fields with an `indicator` count."""
    domains: list[DomainScore] = []
    zeros: list[str] = []
    unanswered: list[str] = []
    school_safe = True
    for section in form.sections:
        if not section.domain:
            continue
        answers = body.get(section.id) or {}
        total = maximum = 0
        for field in section.fields:
            if field.type != "yes_no_na" or not field.indicator:
                continue
            maximum += 1
            answer = answers.get(field.name)
            if not _applies(field.applies, age, sex):
                total += 1
                continue
            if answer in ("yes", "na"):
                total += 1
            else:
                (zeros if answer == "no" else unanswered).append(field.indicator)
            if field.indicator == SCHOOL_TRAVEL and answer == "no":
                school_safe = False
        domains.append(DomainScore(section.domain, total, section.pass_mark or maximum, maximum))
    return ReviewScore(form.id, tuple(domains), tuple(zeros), tuple(unanswered), school_safe)


def age_on(date_of_birth: Any, day: _dt.date) -> int | None:
    if not isinstance(date_of_birth, _dt.date):
        return None
    years = day.year - date_of_birth.year
    if (day.month, day.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years
