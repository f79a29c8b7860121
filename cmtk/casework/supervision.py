"""What a case's record shows about the work done on it, for supervision: each visit, review, plan and
referral with the date it was due, so a reflection session can read how often work was on time.

A pure function of the case and the policy; the summary index keeps its result per case, so the
supervision dashboard reads 10,000 cases without decrypting them.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from cmtk.casework import policy as policy_module
from cmtk.casework.cases import Case
from cmtk.casework.schedule import next_visit_due, placement_date, seen_visits
from cmtk.casework.scoring import REVIEW_FORMS
from cmtk.dates import add_duration
from cmtk.smart import checker
from cmtk.smart import rules as smart_rules


def _iso(day: Any) -> str | None:
    return day.isoformat() if isinstance(day, _dt.date) else None


def activity(case: Case, policy: dict) -> dict[str, list]:
    """{"visits": [[done, due]], "reviews": [[done, due]], "plans": [[recorded, all goals SMART]],
    "referrals": [[sent, followed up or None, due]]}: dates as ISO text (JSON-able)."""
    out: dict[str, list] = {"visits": [], "reviews": [], "plans": [], "referrals": []}
    rules = smart_rules.build(policy.get("smart"))  # the store's word lists, as `smart check` reads them
    placed = placement_date(case)
    if placed:
        last = None
        for day in (d for d in seen_visits(case) if d >= placed):
            out["visits"].append([day.isoformat(), next_visit_due(placed, last, policy).isoformat()])
            last = day
        previous = placed
        every = policy_module.get(policy, "case_review.every")
        for review in (r for r in case.records if r.form in REVIEW_FORMS):
            done = (review.body.get("review") or {}).get("review_date") or review.date
            if isinstance(done, _dt.date):
                out["reviews"].append([done.isoformat(), add_duration(previous, every).isoformat()])
                previous = done
    for plan_record in (r for r in case.records if r.form == "case-plan"):
        plan = plan_record.body.get("plan") or {}
        goals, actions = plan.get("goals") or [], plan.get("actions") or []
        if goals and isinstance(plan_record.date, _dt.date):
            problems = checker.check_plan(goals, actions, today=plan_record.date, rules=rules)
            smart = not [f for f in problems if f.letter in ("S", "M", "R", "T")]
            out["plans"].append([plan_record.date.isoformat(), smart])
    follow_up = policy_module.get(policy, "referrals.follow_up_within")
    for referral in (r for r in case.records if r.form == "referral"):
        sent = (referral.body.get("referral") or {}).get("referral_date")
        if isinstance(sent, _dt.date):
            answered = (referral.body.get("follow_up") or {}).get("feedback_date")
            out["referrals"].append([sent.isoformat(), _iso(answered), add_duration(sent, follow_up).isoformat()])
    return out
