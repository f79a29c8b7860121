"""The eight steps: every gate met and unmet with fixed dates, refusals change nothing, a full journey."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from helpers import git, invoke, minimal_body, use_store

from cmtk import dates
from cmtk.casework import cases, schedule, scoring, workflow
from cmtk.casework import policy as policy_module
from cmtk.casework.cases import Case
from cmtk.forms import definitions
from cmtk.store.records import Record


@pytest.fixture
def store(tmp_path, monkeypatch):
    return use_store(tmp_path, monkeypatch, None)


def clock(monkeypatch, day: str) -> dt.date:
    monkeypatch.setenv("CMTK_TODAY", day)
    return dt.date.fromisoformat(day)


def record(session, case_id, form_id, day, **overrides):
    body = minimal_body(form_id, {k.replace("__", "."): v for k, v in overrides.items()}, day=day)
    return cases.record_form(
        session, case_id, form_id, body, date=dt.date.fromisoformat(day), today=dt.date.fromisoformat(day)
    )


def step_json(case_id):
    result = invoke(["step", case_id, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def missing(case_id):
    return [r["id"] for r in step_json(case_id)["requirements"] if not r["met"]]


def test_step_json_contract(store, monkeypatch):
    clock(monkeypatch, "2026-01-05")
    case_id = cases.open_case(
        store, minimal_body("identification", {"biographical.date_of_birth": dt.date(2015, 1, 1)})
    )
    data = step_json(case_id)
    assert set(data) == {"case", "step", "step_name", "next", "requirements", "can_advance"}
    assert (data["case"], data["step"], data["next"], data["can_advance"]) == (case_id, 1, 2, True)
    assert {"id", "met", "detail"} <= set(data["requirements"][0])


def test_gate_2_needs_birth_date_or_estimated_age(store, monkeypatch):
    clock(monkeypatch, "2026-01-05")
    case_id = cases.open_case(store, minimal_body("identification"))
    assert missing(case_id) == ["biographical-complete"]
    head = git(store.store.root, "rev-parse", "HEAD")
    refused = invoke(["advance", case_id])
    assert refused.exit_code == 1
    assert "cannot move to step 2" in refused.output and "date_of_birth or estimated_age" in refused.output
    assert git(store.store.root, "rev-parse", "HEAD") == head  # a refused advance changes nothing


@pytest.mark.slow
def test_full_journey_from_intake_to_closure(store, monkeypatch, tmp_path):
    # Step 1 -> 2
    clock(monkeypatch, "2026-01-05")
    intake = tmp_path / "intake.yaml"
    intake.write_text(
        "biographical:\n  first_name: Amani\n  surname: Journey\n  sex: male\n  date_of_birth: 12-04-2014\n"
    )
    case_id = invoke(["case", "new", "--from", str(intake)]).output.strip()
    assert invoke(["advance", case_id]).exit_code == 0

    # Step 2 -> 3: assessment and assent
    clock(monkeypatch, "2026-01-12")
    assert missing(case_id) == ["child-assessment", "child-assent"]
    record(store, case_id, "child-assessment", "2026-01-12")
    assert missing(case_id) == ["child-assent"]
    record(store, case_id, "child-assent", "2026-01-12")
    assert invoke(["advance", case_id]).exit_code == 0

    # Step 3 -> 4: each household's consent; two households need a conference's choice of one of them;
    # the child profile is written
    clock(monkeypatch, "2026-02-02")
    grandmother, uncle, aunt = "Grandmother Achieng", "Uncle Otieno", "Aunt Wanjiru"
    record(store, case_id, "family-assessment", "2026-02-01", household__household_head=grandmother)
    assert missing(case_id) == ["family-consent", "child-profile"]
    record(
        store, case_id, "caregiver-consent", "2026-02-01", consent__consent_given="no", caregiver__household=grandmother
    )
    assert missing(case_id) == ["family-consent", "child-profile"]
    record(store, case_id, "child-profile", "2026-02-02")
    record(store, case_id, "caregiver-consent", "2026-02-02", caregiver__household=grandmother)
    record(store, case_id, "family-assessment", "2026-02-02", household__household_head=uncle)
    assert missing(case_id) == ["family-consent", "conference-choice"]  # the uncle's household has no consent
    record(store, case_id, "caregiver-consent", "2026-02-02", caregiver__household=uncle)

    def family_choice(household: str) -> None:
        decided = {"decision__kind": "family_choice", "decision__recommended_household": household}
        record(store, case_id, "conference-decision", "2026-02-02", **decided)

    family_choice("Cousin Kamau")
    assert missing(case_id) == ["conference-choice"]  # not a household that was assessed
    family_choice("grandmother  achieng")
    assert invoke(["advance", case_id]).exit_code == 0

    # Step 4 -> 5: a SMART plan and the SCCO's approval; a refusal sends the case back to step 3
    clock(monkeypatch, "2026-02-10")
    assert missing(case_id) == ["case-plan", "case-file-checklist", "placement-approval"]
    goal = tmp_path / "goal.yaml"
    goal.write_text("goal: Amani attends school every day\nneed: fees unpaid since term 1\n")
    assert (
        invoke(
            ["plan", "goal", case_id, "--domain", "education", "--indicators", "B1.3", "--from", str(goal)]
        ).exit_code
        == 0
    )
    action = tmp_path / "action.yaml"
    action.write_text(
        "action: Open a savings account at the bank for school fees\nresponsible: Father, John Journey\noutput: "
        "Savings account book\n"
    )
    assert invoke(["plan", "action", case_id, "1", "--by", "10-03-2026", "--from", str(action)]).exit_code == 0
    record(store, case_id, "case-file-checklist", "2026-02-10", documents__doc_disability="no")
    assert missing(case_id) == ["case-file-checklist", "placement-approval"]  # a document is missing
    record(store, case_id, "case-file-checklist", "2026-02-10", documents__doc_disability="na")
    assert missing(case_id) == ["placement-approval"]  # N/A: the case does not need it
    record(store, case_id, "placement-approval", "2026-02-10", approval__decision="not_approved")
    sent_back = invoke(["advance", case_id])
    assert sent_back.exit_code == 0 and "goes back to step 3" in sent_back.output
    assert step_json(case_id)["step"] == 3
    # What was recorded before the refusal no longer counts: another household is assessed, with its consent.
    assert missing(case_id) == ["family-assessment", "family-consent"]
    clock(monkeypatch, "2026-02-12")
    record(store, case_id, "family-assessment", "2026-02-12", household__household_head=aunt)
    record(store, case_id, "caregiver-consent", "2026-02-12", caregiver__household=aunt)
    assert invoke(["advance", case_id]).exit_code == 0  # one household since: no conference needed
    # The plan must be revised for that family, and the case file checked again.
    assert missing(case_id) == ["case-plan", "case-file-checklist", "placement-approval"]
    assert invoke(["plan", "action", case_id, "1", "--by", "15-03-2026", "--from", str(action)]).exit_code == 0
    record(store, case_id, "case-file-checklist", "2026-02-12", documents__doc_disability="na")
    clock(monkeypatch, "2026-02-20")
    record(store, case_id, "placement-approval", "2026-02-20", approval__decision="approved")
    assert invoke(["advance", case_id]).exit_code == 0
    assert step_json(case_id)["step"] == 5

    # Step 5 -> 6: preparation and a planned date
    clock(monkeypatch, "2026-03-01")
    assert missing(case_id) == ["child-preparation", "family-preparation", "placement-date-set"]
    record(store, case_id, "child-preparation", "2026-03-01")
    record(store, case_id, "family-preparation", "2026-03-01")
    assert invoke(["plan", "placement-date", case_id, "15-03-2026"]).exit_code == 0
    moved = invoke(["advance", case_id])
    assert moved.exit_code == 0, moved.output

    # Step 6 -> 7: the placement really happened
    assert missing(case_id) == ["placement-happened"]
    clock(monkeypatch, "2026-03-15")
    record(store, case_id, "placement", "2026-03-15", placement__placement_date=dt.date(2026, 3, 15))
    assert invoke(["advance", case_id]).exit_code == 0

    # Step 7 -> 8: 12 months, the visits, a passing review a month before, conference approval, closure form
    policy = {**policy_module.load(store.store.root)}
    last = None
    while (due := schedule.next_visit_due(dt.date(2026, 3, 15), last, policy)) <= dt.date(2027, 3, 1):
        record(store, case_id, "monitoring", due.isoformat(), visit__visit_date=due, visit__child_seen="yes")
        last = due
    clock(monkeypatch, "2027-03-01")
    left = missing(case_id)
    assert left[0] == "monitoring-period" and "review-passes" in left and "monitoring-visits" not in left
    review = {
        s.id: {f.name: "yes" for f in s.fields if f.type == "yes_no_na" and f.indicator}
        for s in definitions.load_form("case-review").sections
        if s.domain
    }
    review["review"] = {"review_date": dt.date(2027, 3, 1)}
    cases.record_form(
        store,
        case_id,
        "case-review",
        {**minimal_body("case-review", day="2027-03-01"), **review},
        today=dt.date(2027, 3, 1),
    )
    clock(monkeypatch, "2027-03-20")
    record(
        store,
        case_id,
        "conference-decision",
        "2027-03-20",
        decision__kind="closure_approval",
        decision__approved="yes",
        decision__case_manager_present="yes",
        decision__scco_present="yes",
    )
    record(store, case_id, "closure", "2027-03-20", closure__closure_date=dt.date(2027, 3, 20))
    early = [r for r in step_json(case_id)["requirements"] if not r["met"]]
    assert [r["id"] for r in early] == ["review-passes"] and "must wait until 2027-04-01" in early[0]["detail"]
    assert early[0]["todo"].startswith("wait until 2027-04-01")  # the remedy is to wait, not another review
    clock(monkeypatch, "2027-04-02")
    cases_now = cases.read_case(store, case_id)
    closure = cases_now.latest("closure")
    import dataclasses

    store.save(
        case_id,
        [
            dataclasses.replace(
                closure,
                body={**closure.body, "closure": {**closure.body["closure"], "closure_date": dt.date(2027, 4, 2)}},
            )
        ],
        "update",
    )
    done = invoke(["advance", case_id])
    assert done.exit_code == 0, done.output
    assert "The case is closed" in done.output
    final = cases.read_case(store, case_id)
    assert final.status == "closed"
    assert [e["to"] for e in final.events] == [2, 3, 4, 3, 4, 5, 6, 7, 8]
    assert final.events[3]["what"].startswith("sent back")
    assert invoke(["advance", case_id]).exit_code == 1
    # Re-opening keeps the history.
    assert invoke(["case", "reopen", case_id, "--step", "7"]).exit_code == 0
    assert cases.read_case(store, case_id).status == "open"


def test_review_below_pass_mark_and_hard_stop_block_closure():
    form = definitions.load_form("case-review")
    body = {s.id: {f.name: "yes" for f in s.fields if f.indicator} for s in form.sections if s.domain}
    scored = scoring.score(form, body, age=12, sex="male")
    assert scored.closure_ready() and all(d.score == d.max for d in scored.domains)
    body["education"]["b1_1"] = "no"
    scored = scoring.score(form, body, age=12, sex="male")
    assert not scored.closure_ready("cpims") and "travel to school safely" in scored.verdict()
    assert scored.closure_ready("cpims", hard_stop=False) is False  # education 10/11 fails its pass mark


@pytest.mark.parametrize(
    "domain, answers_no, achieved",
    [
        ("psychosocial", 2, True),
        ("psychosocial", 3, False),
        ("health", 1, True),
        ("health", 2, False),
        ("economic", 1, True),
        ("economic", 2, False),
        ("relationship", 1, False),
        ("protection", 0, True),
    ],
)
def test_domain_pass_marks_at_above_and_below(domain, answers_no, achieved):
    form = definitions.load_form("case-review")
    body = {s.id: {f.name: "yes" for f in s.fields if f.indicator} for s in form.sections if s.domain}
    section = form.section(domain)
    for field in [f for f in section.fields if f.indicator and not f.applies][:answers_no]:
        body[domain][field.name] = "no"
    result = scoring.score(form, body, age=12, sex="female").domain(domain)
    assert result.achieved is achieved
    assert result.score == result.max - answers_no


def test_na_scores_one_only_where_the_form_allows_it_and_non_applicable_indicators_score_one():
    form = definitions.load_form("case-review")
    body = {s.id: {f.name: "na" for f in s.fields if f.indicator} for s in form.sections if s.domain}
    everything_na = scoring.score(form, body, age=12, sex="female")
    assert not everything_na.closure_ready() and not any(d.achieved for d in everything_na.domains)
    allowed = {f.indicator for s in form.sections for f in s.fields if f.na_if}
    assert set(everything_na.na) == allowed and "B5.3" in allowed  # "N/A if no referral was made"
    body = {
        s.id: {f.name: "na" if f.na_if else "yes" for f in s.fields if f.indicator} for s in form.sections if s.domain
    }
    assert scoring.score(form, body, age=12, sex="female").closure_ready()
    girls_only = next(f for s in form.sections for f in s.fields if f.applies.get("sex") == "female")
    body = {s.id: {f.name: "yes" for f in s.fields if f.indicator} for s in form.sections if s.domain}
    section = next(s for s in form.sections if girls_only in s.fields)
    body[section.id][girls_only.name] = "no"
    assert (
        scoring.score(form, body, sex="male").domain(section.domain).score
        == scoring.score(form, body, sex="male").domain(section.domain).max
    )
    assert girls_only.indicator in scoring.score(form, body, sex="female").zeros


def test_add_duration_month_ends_and_leap_years():
    assert dates.add_duration(dt.date(2026, 1, 31), {"months": 1}) == dt.date(2026, 2, 28)
    assert dates.add_duration(dt.date(2028, 1, 31), {"months": 1}) == dt.date(2028, 2, 29)
    assert dates.add_duration(dt.date(2027, 2, 28), {"months": 12}) == dt.date(2028, 2, 28)
    assert dates.add_duration(dt.date(2028, 2, 29), {"years": 1}) == dt.date(2029, 2, 28)
    assert dates.add_duration(dt.date(2026, 12, 15), {"weeks": 2}) == dt.date(2026, 12, 29)
    assert dates.add_duration(dt.date(2026, 1, 1), {"hours": 48}) == dt.date(2026, 1, 3)


def test_policy_can_override_a_gate(store, monkeypatch):
    clock(monkeypatch, "2026-01-05")
    case_id = cases.open_case(store, minimal_body("identification"))
    assert missing(case_id) == ["biographical-complete"]
    policy_path = store.store.root / ".cmtk" / "policy.yaml"
    policy_path.write_text(policy_path.read_text() + "\nworkflow:\n  gates:\n    2: []\n")
    assert missing(case_id) == []


def test_steps_command_explains_every_step():
    result = invoke(["steps"])
    assert result.exit_code == 0
    for number in range(1, 9):
        assert f"Step {number}:" in result.output
    one = invoke(["steps", "4"])
    assert "Step 4:" in one.output and "Step 5:" not in one.output and "Before step 5:" in one.output


def test_a_review_without_any_date_fails_its_gate_instead_of_crashing():
    form = definitions.load_form("case-review")
    body = {s.id: {f.name: "yes" for f in s.fields if f.indicator} for s in form.sections if s.domain}
    review = Record(case="K7Q2MX4P", record="R000000001", form="case-review", body=body, date=None)
    ctx = workflow.Context(
        Case("K7Q2MX4P", (review,)), policy_module.load(None), dt.date(2026, 6, 1), definitions.load_form
    )
    found = workflow.review_passes(ctx, {"policy": "case_review.closure_not_before"})
    assert (found.met, found.code, found.detail) == (
        False,
        "gate-review-undated",
        "the latest case review has no review date",
    )
