"""The schedule engine against hand-computed dates, and policy overrides."""

from __future__ import annotations

import datetime as dt

import pytest

from cmtk.casework import policy as policy_module
from cmtk.casework import schedule
from cmtk.casework.cases import CASE_FILE, Case
from cmtk.store.records import Record

D = dt.date
POLICY = policy_module.load(None)
OPENED = D(2026, 1, 5)


def rec(form: str, body: dict, day: dt.date, n: int = 0) -> Record:
    return Record(case="K7Q2MX4P", record=f"R{n:09d}", form=form, body=body, date=day, created=f"{day}T{n:02d}")


def case(*records: Record, status: str = "open", opened: dt.date = OPENED) -> Case:
    file = rec(CASE_FILE, {"case": {"worker": "Amina", "status": status, "opened": opened}}, opened)
    return Case("K7Q2MX4P", (file, *records))


def placed(day: dt.date) -> Record:
    return rec("placement", {"placement": {"placement_date": day, "care_type": "kinship"}}, day, 1)


def visit(day: dt.date, seen: str = "yes", n: int = 2) -> Record:
    return rec(
        "monitoring",
        {"visit": {"visit_date": day, "mode": "home" if seen == "yes" else "phone", "child_seen": seen}},
        day,
        n,
    )


def due(items, kind):
    found = [i.due for i in items if i.kind == kind]
    return found[0] if len(found) == 1 else found


def assessed(day: dt.date) -> Record:
    return rec("child-assessment", {"conclusion": {"assessment_completed_date": day}}, day, 5)


@pytest.mark.parametrize(
    "records, expected",
    [
        # identified 5 Jan: initial assessment within 48 hours, comprehensive within a week
        ((), {"initial-assessment": D(2026, 1, 7), "comprehensive-assessment": D(2026, 1, 12)}),
        # assessed 20 Jan: case plan within 2 weeks
        ((assessed(D(2026, 1, 20)),), {"case-plan": D(2026, 2, 3)}),
    ],
)
def test_assessment_and_plan_deadlines(records, expected):
    items = schedule.due_items(case(*records), POLICY)
    for kind, day in expected.items():
        assert due(items, kind) == day


@pytest.mark.parametrize(
    "placement, visits, expected",
    [
        (D(2026, 3, 1), [], D(2026, 3, 15)),  # 2 weeks after placement
        (D(2026, 3, 1), [D(2026, 3, 14)], D(2026, 3, 28)),  # fortnightly in the first 2 months
        (D(2026, 3, 1), [D(2026, 4, 30)], D(2026, 5, 14)),  # still inside the first 2 months (ends 1 May)
        (D(2026, 3, 1), [D(2026, 5, 1)], D(2026, 6, 1)),  # from 1 May: monthly
        (D(2026, 1, 31), [D(2026, 3, 31)], D(2026, 4, 30)),  # month end: 31 Mar + 1 month = 30 Apr
        (D(2027, 12, 31), [D(2028, 2, 28), D(2028, 1, 31)], D(2028, 3, 13)),  # leap year: the first 2 months end 29 Feb
        (D(2027, 12, 31), [D(2028, 2, 29)], D(2028, 3, 29)),  # a visit on 29 Feb is in the monthly phase
        (D(2028, 1, 15), [D(2028, 3, 15), D(2028, 3, 20)], D(2028, 4, 20)),  # monthly after 15 Mar
    ],
)
def test_monitoring_visits(placement, visits, expected):
    records = (placed(placement), *(visit(d, n=10 + i) for i, d in enumerate(visits)))
    assert due(schedule.due_items(case(*records), POLICY), "monitoring-visit") == expected


def test_phone_contact_does_not_reset_the_visit_clock():
    records = (placed(D(2026, 3, 1)), visit(D(2026, 3, 10), seen="no"))
    assert due(schedule.due_items(case(*records), POLICY), "monitoring-visit") == D(2026, 3, 15)


def test_case_review_every_six_months_and_after_the_last():
    items = schedule.due_items(case(placed(D(2026, 3, 31))), POLICY)
    assert due(items, "case-review") == D(2026, 9, 30)
    review = rec("case-review", {"review": {"review_date": D(2026, 9, 20)}}, D(2026, 9, 20), 7)
    assert due(schedule.due_items(case(placed(D(2026, 3, 31)), review), POLICY), "case-review") == D(2027, 3, 20)


def test_post_closure_visit_and_closed_cases():
    closure = rec("closure", {"closure": {"closure_date": D(2027, 4, 2)}}, D(2027, 4, 2), 8)
    items = schedule.due_items(case(placed(D(2026, 3, 1)), closure, status="closed"), POLICY)
    assert [i.kind for i in items] == ["post-closure-visit"] and items[0].due == D(2027, 7, 2)
    after = visit(D(2027, 5, 1), n=20)
    assert schedule.due_items(case(placed(D(2026, 3, 1)), closure, after, status="closed"), POLICY) == []


def test_plan_actions_and_referrals():
    plan = rec(
        "case-plan",
        {
            "plan": {
                "phase": "pre_placement",
                "actions": [
                    {"action_id": "1.1", "deadline": D(2026, 2, 10), "status": "open", "responsible": "Father"},
                    {"action_id": "1.2", "deadline": D(2026, 2, 1), "status": "done"},
                ],
            }
        },
        D(2026, 1, 25),
        3,
    )
    referral = rec(
        "referral", {"referral": {"referral_date": D(2026, 2, 1), "receiving_organisation": "Clinic"}}, D(2026, 2, 1), 4
    )
    items = schedule.due_items(case(assessed(D(2026, 1, 20)), plan, referral), POLICY)
    assert due(items, "plan-action") == D(2026, 2, 10)
    assert due(items, "referral-follow-up") == D(2026, 3, 3)
    closed_referral = rec(
        "referral",
        {"referral": {"referral_date": D(2026, 2, 1)}, "follow_up": {"feedback_date": D(2026, 2, 20)}},
        D(2026, 2, 1),
        4,
    )
    assert due(schedule.due_items(case(closed_referral), POLICY), "referral-follow-up") == []


def test_policy_overrides_change_the_results():
    custom = policy_module.merge(
        POLICY, {"monitoring": {"visits": [{"every": {"weeks": 1}}]}, "case_review": {"every": {"months": 3}}}
    )
    items = schedule.due_items(case(placed(D(2026, 3, 1))), custom)
    assert due(items, "monitoring-visit") == D(2026, 3, 8)
    assert due(items, "case-review") == D(2026, 6, 1)


def presented(day: dt.date) -> Record:
    return rec("conference-decision", {"decision": {"kind": "recommendation", "conference_date": day}}, day, 6)


def test_no_assessment_items_once_the_child_is_placed():
    kinds = {i.kind for i in schedule.due_items(case(placed(D(2026, 3, 1))), POLICY)}
    # a case never presented at a case conference stays due for presentation (issue 16, item 11)
    assert kinds == {"monitoring-visit", "case-review", "conference-presentation"}
    kinds = {i.kind for i in schedule.due_items(case(presented(D(2026, 1, 20)), placed(D(2026, 3, 1))), POLICY)}
    assert kinds == {"monitoring-visit", "case-review"}


def test_overdue_sorts_most_overdue_first_and_upcoming_window():
    items = schedule.due_items(case(presented(D(2026, 1, 20)), placed(D(2026, 3, 1))), POLICY)
    late = schedule.overdue(items, D(2026, 10, 1))
    assert [i.kind for i in late] == ["monitoring-visit", "case-review"]
    assert late[0].days_overdue(D(2026, 10, 1)) == 200
    soon = schedule.upcoming(items, D(2026, 3, 10))
    assert [i.kind for i in soon] == ["monitoring-visit"]
