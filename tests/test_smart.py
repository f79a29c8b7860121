"""SMART checks: case-plan goals and actions, and one free-text goal (cmtk.smart.checker)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from cmtk.smart import checker
from cmtk.smart.checker import SmartFinding, check_plan, check_text

TODAY = dt.date(2026, 1, 5)  # a Monday
HANDBOOK = (
    "The child's father, John Otieno, will open a savings account at Equity Bank to save "
    "for the child's school fees for semester 2 by 10-02-2021."
)


def goal(**changes) -> dict:
    row = {
        "goal_id": "1",
        "domain": "economic",
        "goal": "The family saves for the child's school fees",
        "need_or_gap": "No savings for fees",
        "indicators": "B12.2, B1.2",
    }
    row.update(changes)
    return row


def action(**changes) -> dict:
    row = {
        "action_id": "1.1",
        "goal_id": "1",
        "action": "Open a savings account at the bank",
        "responsible": "Father",
        "deadline": dt.date(2026, 2, 10),
        "output": "Account book with first deposit",
        "status": "open",
        "completed_date": None,
    }
    row.update(changes)
    return row


def letters(findings) -> list[str]:
    return [f.letter for f in findings]


# --------------------------------------------------------------------------
# Case plans: one good row, then one row failing each letter
# --------------------------------------------------------------------------


def test_good_goal_and_action_pass():
    assert check_plan([goal()], [action()], today=TODAY) == []


@pytest.mark.parametrize(
    "goal_changes, action_changes, letter, where, fragment",
    [
        # S: who
        ({}, {"responsible": ""}, "S", "action", "nobody is named to do it"),
        ({}, {"responsible": None}, "S", "action", "a named person or a role"),
        ({}, {"responsible": "someone"}, "S", "action", "'someone' does not say who does it"),
        ({}, {"responsible": "relevant stakeholders"}, "S", "action", "does not say who does it"),
        # S: what
        ({}, {"action": "Improve savings"}, "S", "action", "'improve' does not say what will be done"),
        ({}, {"action": "Savings account at Equity Bank"}, "S", "action", "no action verb"),
        ({}, {"action": ""}, "S", "action", "no step is written"),
        # M
        ({}, {"output": ""}, "M", "action", "no output says how we will know it is done; add one"),
        ({}, {"output": "done"}, "M", "action", "'done' does not show it is done"),
        ({}, {"output": "-"}, "M", "action", "no output says how we will know it is done"),
        # A
        ({}, {"deadline": dt.date(2026, 1, 2)}, "A", "action", "has already passed"),
        # R
        (
            {"domain": "", "indicators": ""},
            {},
            "R",
            "goal",
            "not linked to a wellbeing domain or a benchmark indicator",
        ),
        ({"domain": None, "indicators": None}, {}, "R", "goal", "its words suggest"),
        ({"domain": "sports"}, {}, "R", "goal", "is not one of the six wellbeing domains"),
        ({"indicators": "B1-3"}, {}, "R", "goal", "'B1-3' is not a benchmark indicator; write indicators like B1.3"),
        ({"indicators": "B1.9"}, {}, "R", "goal", "there is no indicator B1.9; benchmark B1 has B1.1 to B1.7"),
        ({"indicators": "B13.1"}, {}, "R", "goal", "there is no benchmark B13"),
        # T
        ({}, {"deadline": ""}, "T", "action", "there is no deadline"),
        ({}, {"deadline": None}, "T", "action", "like 10-02-2026"),
        ({}, {"deadline": "soon"}, "T", "action", "'soon' is not a calendar date"),
        ({}, {"deadline": "next month"}, "T", "action", "'next month' is not a calendar date"),
        ({}, {"deadline": "end of term"}, "T", "action", "'end of term' is not a calendar date"),
        ({}, {"deadline": "31-02-2026"}, "T", "action", "'31-02-2026' is not a real date"),
        ({}, {"deadline": "10-02-26"}, "T", "action", "4-digit year"),
        ({}, {"deadline": "February 2026"}, "T", "action", "does not say which day"),
    ],
)
def test_each_letter_fails_alone(goal_changes, action_changes, letter, where, fragment):
    findings = check_plan([goal(**goal_changes)], [action(**action_changes)], today=TODAY)
    assert letters(findings) == [letter], [str(f) for f in findings]
    found = findings[0]
    assert fragment in found.message
    assert found.goal == "1"
    assert found.action == ("1.1" if where == "action" else None)


@pytest.mark.parametrize(
    "goal_changes, action_changes",
    [
        ({}, {"responsible": "", "action": "Father to open a savings account"}),  # who inside the action
        ({}, {"responsible": "CCI staff"}),
        ({}, {"responsible": "Mama Wanjiru"}),
        ({}, {"action": "Payment of school fees"}),  # a concrete step written as a noun
        ({}, {"action": "Baba atafungua akaunti ya benki"}),  # Kiswahili
        ({"domain": "", "indicators": "B1.3"}, {}),  # indicators alone are enough for R
        ({"domain": "Economic stability", "indicators": ""}, {}),  # the label, not only the id
        ({"indicators": "b12.2 and 1.2"}, {}),
        ({}, {"deadline": "10-02-2026"}),  # day first, as Kenyan dates are written
        ({}, {"deadline": "10/02/2026"}),
        ({}, {"deadline": "2026-02-10"}),  # ISO
        ({}, {"deadline": "10 February 2026"}),
        ({}, {"deadline": "by 10th Feb 2026"}),
        ({}, {"deadline": dt.datetime(2026, 2, 10, 9, 0)}),
    ],
)
def test_accepted_variants(goal_changes, action_changes):
    findings = check_plan([goal(**goal_changes)], [action(**action_changes)], today=TODAY)
    assert findings == [], [str(f) for f in findings]


def test_goal_without_actions_fails_s_m_t_at_goal_level():
    findings = check_plan([goal(), goal(goal_id="2", domain="education")], [action()], today=TODAY)
    assert letters(findings) == ["S", "M", "T"]
    for found in findings:
        assert (found.goal, found.action) == ("2", None)
        assert "add at least one action" in found.message


def test_passed_deadline_flags_open_actions_only():
    past = dt.date(2025, 12, 1)
    rows = [
        action(action_id="1.1", deadline=past, status="open"),
        action(action_id="1.2", deadline=past, status="done", completed_date=dt.date(2025, 11, 30)),
        action(action_id="1.3", deadline=past, status="dropped"),
        action(action_id="1.4", deadline=past, status=None),  # no status yet: still open
        action(action_id="1.5", deadline=TODAY, status="open"),  # due today has not passed
    ]
    findings = check_plan([goal()], rows, today=TODAY)
    assert [(f.action, f.letter) for f in findings] == [("1.1", "A"), ("1.4", "A")]
    assert "01-12-2025 has already passed" in findings[0].message


def test_deadline_after_planned_closure():
    closure = dt.date(2026, 3, 1)
    rows = [
        action(action_id="1.1", deadline=dt.date(2026, 3, 2)),
        action(action_id="1.2", deadline=closure),
        action(action_id="1.3", deadline=dt.date(2026, 4, 1), status="dropped"),
    ]
    findings = check_plan([goal()], rows, today=TODAY, planned_closure=closure)
    assert [(f.action, f.letter) for f in findings] == [("1.1", "A")]
    assert "02-03-2026 is after the planned closure on 01-03-2026" in findings[0].message
    assert check_plan([goal()], rows, today=TODAY) == []  # no closure date known: nothing to compare


def _week(n_open: int, who=("Caregiver", "the caregiver", "CAREGIVER", "caregiver")) -> list[dict]:
    # Monday 9 to Friday 13 February 2026: one ISO week.
    days = [dt.date(2026, 2, 9), dt.date(2026, 2, 10), dt.date(2026, 2, 12), dt.date(2026, 2, 13)]
    return [
        action(action_id=f"1.{n + 1}", responsible=who[n % len(who)], deadline=days[n % len(days)])
        for n in range(n_open)
    ]


def test_busy_week_flags_every_action_of_that_person():
    findings = check_plan([goal()], _week(4), today=TODAY)
    assert [(f.action, f.letter) for f in findings] == [("1.1", "A"), ("1.2", "A"), ("1.3", "A"), ("1.4", "A")]
    message = findings[0].message
    assert "4 open actions due in the week of 09-02-2026" in message
    assert "(actions 1.1, 1.2, 1.3, 1.4)" in message
    assert "caregiver" not in message.lower()  # who is named by the action ids, not repeated


def test_busy_week_limit_and_what_counts():
    assert check_plan([goal()], _week(3), today=TODAY) == []
    assert letters(check_plan([goal()], _week(3), today=TODAY, busy_week_limit=3)) == ["A"] * 3
    rows = _week(4)
    rows[0]["status"] = "done"
    assert check_plan([goal()], rows, today=TODAY) == []
    rows = _week(4)
    rows[3]["deadline"] = dt.date(2026, 2, 16)  # the next Monday: another ISO week
    assert check_plan([goal()], rows, today=TODAY) == []
    rows = _week(4, who=("Caregiver", "Caseworker"))
    assert check_plan([goal()], rows, today=TODAY) == []


def test_busy_week_message_does_not_repeat_a_name():
    rows = _week(4, who=("Achieng Odhiambo",))
    findings = check_plan([goal()], rows, today=TODAY)
    assert len(findings) == 4
    assert all("Achieng" not in f.message and "Achieng" not in str(f) for f in findings)


def test_dropped_action_still_checked_for_s_m_t():
    row = action(status="dropped", deadline=dt.date(2025, 1, 1), output="", responsible="")
    assert letters(check_plan([goal()], [row], today=TODAY)) == ["S", "M"]


def test_action_for_a_goal_not_in_the_plan():
    rows = [action(), action(action_id="9.1", goal_id="9")]
    findings = check_plan([goal()], rows, today=TODAY)
    assert [(f.goal, f.action, f.letter) for f in findings] == [("9", "9.1", "R")]
    assert "not in the plan" in findings[0].message


def test_findings_in_plan_order_and_smart_order():
    goals = [goal(goal_id="1"), goal(goal_id="2", domain="", indicators="")]
    rows = [
        action(action_id="2.1", goal_id="2", deadline="soon", output="", responsible=""),
        action(action_id="1.1", goal_id="1", deadline=dt.date(2025, 12, 1)),
    ]
    findings = check_plan(goals, rows, today=TODAY)
    assert [(f.goal, f.action, f.letter) for f in findings] == [
        ("1", "1.1", "A"),
        ("2", None, "R"),
        ("2", "2.1", "S"),
        ("2", "2.1", "M"),
        ("2", "2.1", "T"),
    ]


def test_month_first_store():
    findings = check_plan([goal()], [action(deadline="02/10/2026")], today=TODAY, order="MDY")
    assert findings == []
    findings = check_plan([goal()], [action(deadline="soon")], today=TODAY, order="MDY")
    assert "02/10/2026" in findings[0].message


def test_empty_plan():
    assert check_plan([], [], today=TODAY) == []


# --------------------------------------------------------------------------
# The finding itself: JSON contract (cli.md) and one readable line
# --------------------------------------------------------------------------


def test_json_contract():
    found = check_plan([goal()], [action(output="")], today=TODAY)[0]
    data = found.to_json("K7Q2MX")
    assert list(data) == ["case", "goal", "action", "letter", "message"]
    assert data["case"] == "K7Q2MX"
    assert (data["goal"], data["action"], data["letter"]) == ("1", "1.1", "M")
    assert data["letter"] in checker.LETTERS
    assert json.loads(json.dumps(data)) == data


def test_readable_line():
    found = SmartFinding(
        "1", "1.2", "M", 'no output says how we will know it is done; add one (e.g. "account book with first deposit")'
    )
    assert str(found) == (
        "goal 1 / action 1.2: M: no output says how we will know it is done; "
        'add one (e.g. "account book with first deposit")'
    )
    assert str(SmartFinding("G2", None, "R", "x")) == "goal G2: R: x"
    assert str(SmartFinding(None, None, "T", "x")) == "T: x"


def test_finding_is_frozen():
    found = SmartFinding("1", None, "S", "x")
    with pytest.raises(AttributeError):
        found.letter = "M"  # type: ignore[misc]


# --------------------------------------------------------------------------
# One free-text goal, for trainers
# --------------------------------------------------------------------------


def test_handbook_example_passes():
    assert check_text(HANDBOOK) == []
    assert check_text(HANDBOOK, today=dt.date(2021, 1, 15)) == []


def test_handbook_example_date_in_the_past_is_not_attainable():
    findings = check_text(HANDBOOK, today=TODAY)
    assert letters(findings) == ["A"]
    assert "this date has already passed" in findings[0].message


def test_vague_goal_fails_exactly_s_m_t():
    findings = check_text("improve the child's education")
    assert letters(findings) == ["S", "M", "T"]  # R passes: education is a wellbeing domain
    s, m, t = findings
    assert "nobody is named" in s.message and "'improve'" in s.message
    assert "can be checked" in m.message
    assert "10-02-2026" in t.message
    assert all(f.goal is None and f.action is None for f in findings)


@pytest.mark.parametrize(
    "when",
    [
        "by 10-02-2026",  # day first
        "by 10/02/2026",
        "by 10.02.2026",
        "by 2026-02-10",  # ISO
        "by 10 February 2026",
        "by 10th Feb 2026",
        "by February 10, 2026",
        "kufikia tarehe 10 Februari 2026",
    ],
)
def test_dates_in_text(when):
    sentence = f"The caregiver will pay the child's school fees {when}."
    assert check_text(sentence, today=TODAY) == []


@pytest.mark.parametrize("when", ["soon", "next month", "by the end of term", "as soon as possible"])
def test_vague_time_fails_t(when):
    findings = check_text(f"The caregiver will pay the child's school fees {when}.")
    assert letters(findings) == ["T"]
    assert "is not a calendar date" in findings[0].message
    assert "like 10-02-2026" in findings[0].message


def test_impossible_date_is_not_a_real_date():
    findings = check_text("The aunt will buy a school uniform by 31-02-2026.")
    assert letters(findings) == ["T"]
    assert "'31-02-2026' is not a real date" in findings[0].message


def test_impossible_month_name_date():
    findings = check_text("The aunt will buy a school uniform by 30 February 2026.")
    assert letters(findings) == ["T"]
    assert "not a real date" in findings[0].message


def test_month_without_day_fails_t():
    findings = check_text("The aunt will buy a school uniform by February 2026.")
    assert letters(findings) == ["T"]
    assert "does not say which day" in findings[0].message


def test_future_date_is_attainable():
    assert check_text("The aunt will buy a school uniform by 10-02-2026.", today=TODAY) == []


@pytest.mark.parametrize(
    "sentence, missing",
    [
        # Nobody does it: the child is who the fees are for, the bank is where.
        ("Pay fees for the child to attend school by 10-02-2026.", ["S"]),
        ("Open a savings account at Equity Bank by 10-02-2026.", ["S"]),
        ("The father will do it by 10-02-2026.", ["M", "R"]),
        ("The caseworker will visit by 10-02-2026.", ["M", "R"]),
    ],
)
def test_text_letters_missing(sentence, missing):
    assert letters(check_text(sentence)) == missing


@pytest.mark.parametrize(
    "sentence",
    [
        "School fees for semester 2 will be paid by the father by 10-02-2026.",  # the doer after "by"
        "Baraka will be enrolled in Molo Primary School by 10-02-2026.",  # a named child
        "Mama Wanjiru and the caseworker will attend 3 parenting sessions by 2026-03-01.",
        "The mother will take the child to the clinic for immunisation by 10-02-2026.",
        "Baba atafungua akaunti ya benki kwa ajili ya karo ya shule kufikia 10-02-2026.",
    ],
)
def test_text_smart_sentences_pass(sentence):
    findings = check_text(sentence, today=TODAY)
    assert findings == [], [str(f) for f in findings]


def test_empty_text_fails_everything_but_a():
    assert letters(check_text("")) == ["S", "M", "R", "T"]


def test_domains_in():
    assert checker.domains_in(HANDBOOK) == ("education", "economic")
    assert checker.domains_in("take the child to the clinic") == ("health",)
    assert checker.domains_in("the weather is fine") == ()


def test_word_lists_are_module_data():
    assert isinstance(checker.ROLES, tuple) and "caregiver" in checker.ROLES
    assert isinstance(checker.DOMAIN_KEYWORDS, dict) and set(checker.DOMAIN_KEYWORDS) == set(checker.DOMAINS)
    assert "soon" in checker.VAGUE_TIMES


def test_library_imports_nothing_heavy():
    code = (
        "import sys, cmtk.smart.checker\n"
        "heavy = {'typer', 'rich', 'ruamel', 'git', 'jinja2', 'pyrage', 'pydantic', 'weasyprint'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
