"""The procedure as real cases live it (issue 16): every way a case can close, go back or restart, with gates
that check what their labels say. One test (or a few) per item of the issue, with fixed dates."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from helpers import invoke, minimal_body, run_cmtk, use_store

from cmtk import dates
from cmtk.casework import cases, schedule, workflow
from cmtk.casework import policy as policy_module
from cmtk.forms import definitions
from cmtk.store import yamlio

OPENED = dt.date(2025, 12, 1)
PLACED = dt.date(2026, 1, 15)


@pytest.fixture
def store(tmp_path, monkeypatch):
    return use_store(tmp_path, monkeypatch, None)


def clock(monkeypatch, day: str | dt.date) -> dt.date:
    day = day if isinstance(day, dt.date) else dt.date.fromisoformat(day)
    monkeypatch.setenv("CMTK_TODAY", day.isoformat())
    return day


def record(session, case_id, form_id, day, **overrides):
    day = day if isinstance(day, dt.date) else dt.date.fromisoformat(day)
    body = minimal_body(form_id, {k.replace("__", "."): v for k, v in overrides.items()}, day=day.isoformat())
    return cases.record_form(session, case_id, form_id, body, date=day, today=day)


def move(session, case_id, to_step, day, what="advance", status=None):
    case = cases.read_case(session, case_id)
    session.save(case_id, [workflow.moved(case, to_step, day=day, by="t", what=what, status_value=status)], "update")


def new_case(session, *, born=dt.date(2014, 4, 12), sex="male", opened=OPENED, step=1) -> str:
    body = minimal_body(
        "identification",
        {"biographical.date_of_birth": born, "biographical.sex": sex, "biographical.first_name": "Juma"},
    )
    case_id = cases.open_case(session, body, date=opened, today=opened)
    if step > 1:
        move(session, case_id, step, opened)
    return case_id


def step_json(case_id, *args):
    result = invoke(["step", case_id, "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def requirement(case_id, gate, *args) -> dict:
    data = step_json(case_id, *args)
    found = [r for r in data["requirements"] if r["id"] == gate]
    found += [r for r in (data.get("closing") or {}).get("requirements", []) if r["id"] == gate]
    return found[0]


def passing_review(session, case_id, day):
    form = definitions.load_form("case-review")
    body = {s.id: {f.name: "yes" for f in s.fields if f.indicator} for s in form.sections if s.domain}
    body["review"] = {"review_date": day}
    return cases.record_form(session, case_id, "case-review", body, date=day, today=day)


def visits(session, case_id, start, end, *, policy=None, skip=()):
    """Visits on the dates the schedule asks for, from `start` to `end` (leaving out the ones in `skip`)."""
    policy = policy or policy_module.load(session.store.root)
    last = None
    while (due := schedule.next_visit_due(start, last, policy)) <= end:
        if due not in skip:
            record(session, case_id, "monitoring", due, visit__visit_date=due, visit__child_seen="yes")
        last = due


def ready_to_close(session, case_id, *, end=dt.date(2027, 2, 1)):
    """Placed on PLACED, visited on schedule, reviewed, approved by a conference, with a closure form."""
    record(session, case_id, "placement", PLACED, placement__placement_date=PLACED)
    move(session, case_id, 7, PLACED)
    visits(session, case_id, PLACED, end - dt.timedelta(days=2))
    passing_review(session, case_id, end - dt.timedelta(days=40))
    record(
        session,
        case_id,
        "conference-decision",
        end - dt.timedelta(days=10),
        decision__kind="closure_approval",
        decision__approved="yes",
        decision__case_manager_present="yes",
        decision__scco_present="yes",
    )
    record(session, case_id, "closure", end, closure__closure_date=end)


# -- 1. closure routes -------------------------------------------------------------------------


def test_a_child_who_died_closes_by_its_own_route_at_any_step(store, monkeypatch):
    clock(monkeypatch, "2026-01-10")
    case_id = new_case(store, step=3)
    record(store, case_id, "closure", "2026-01-10", closure__reason="death", checklist__scco_final_approval="no")
    refused = invoke(["case", "close", case_id])
    assert refused.exit_code == 1
    assert "reason-explained" not in refused.output and "says when and how the child died" in refused.output
    assert "Sub-County Children's Officer was informed" in refused.output
    assert "benchmark" not in refused.output and "12 months" not in refused.output  # not the success route's gates
    shown = invoke(["step", case_id]).output
    assert "The closure form gives the reason: The child died." in shown and "To close the case that way:" in shown
    closure = cases.read_case(store, case_id).latest("closure")
    body = {
        **closure.body,
        "closure": {**closure.body["closure"], "reason_details": "Died in hospital of malaria on 2026-01-08."},
        "checklist": {**closure.body["checklist"], "scco_final_approval": "yes"},
    }
    store.save(case_id, [dataclasses.replace(closure, body=body)], "update")
    done = invoke(["case", "close", case_id])
    assert done.exit_code == 0, done.output
    assert f"Case {case_id} is closed at step 3: The child died." in done.output
    closed = cases.read_case(store, case_id)
    assert (closed.status, workflow.step_of(closed), closed.events[-1]["what"]) == ("closed", 3, "closed: death")
    # No visit after closure is due for this route; the caseload report counts the closure.
    clock(monkeypatch, "2026-06-01")
    kinds = [i["kind"] for i in json.loads(invoke(["report", "overdue", "--format", "json"]).output)["items"]]
    assert "post-closure-visit" not in kinds
    quarters = json.loads(invoke(["report", "caseload", "--format", "json"]).output)["quarters"]
    assert quarters["2026-Q1"]["closed"] == 1
    # Re-opening goes back to the step it closed at.
    assert "open again at step 3" in invoke(["case", "reopen", case_id]).output


def _close(store, step: int, reason: str):
    """A case at `step` with a closure form of 2026-01-10 giving `reason`: (case id, `cmtk case close` result)."""
    case_id = new_case(store, step=step)
    record(store, case_id, "closure", "2026-01-10", closure__reason=reason)
    return case_id, invoke(["case", "close", case_id])


def test_routes_have_their_own_steps_and_the_transfer_route_uses_its_command(store, monkeypatch):
    clock(monkeypatch, "2026-01-10")
    case_id, wrong_step = _close(store, 7, "no_family_traced")
    assert wrong_step.exit_code == 1 and "only at step(s) 2, 3" in wrong_step.output
    other, transfer = _close(store, 2, "transferred")
    assert transfer.exit_code == 1 and f"cmtk case transfer {other}" in transfer.output
    nothing = new_case(store, step=2)
    assert "record it first: cmtk record" in invoke(["case", "close", nothing]).output


def test_a_young_person_closes_as_an_adult_only_from_the_policy_age(store, monkeypatch):
    clock(monkeypatch, "2026-03-01")
    case_id = new_case(store, born=dt.date(2008, 3, 20), step=5)
    record(
        store, case_id, "closure", "2026-03-01", closure__reason="aged_out", closure__closure_date=dt.date(2026, 3, 1)
    )
    adult = requirement(case_id, "adult")
    assert not adult["met"] and adult["todo"] == "the young person is not yet an adult: wait until 2026-03-20"
    clock(monkeypatch, "2026-03-20")
    record(
        store, case_id, "closure", "2026-03-20", closure__reason="aged_out", closure__closure_date=dt.date(2026, 3, 20)
    )
    assert requirement(case_id, "adult")["met"]
    assert not requirement(case_id, "case-manager-approval")["met"]


def test_closure_routes_are_workflow_data_a_store_can_change(store, monkeypatch):
    clock(monkeypatch, "2026-01-10")
    policy_path = store.store.root / ".cmtk" / "policy.yaml"
    policy_path.write_text(
        policy_path.read_text()
        + "\nworkflow:\n  closure:\n    routes:\n      - reason: death\n        label: Death (county rule)\n"
        "        from_steps: [3]\n        gates: []\n"
    )
    case_id, done = _close(store, 3, "death")
    assert done.exit_code == 0 and "Death (county rule)" in done.output
    later, unknown = _close(store, 4, "not_willing")
    assert unknown.exit_code == 1 and "no closure route" in unknown.output


def test_advance_at_step_7_points_to_the_route_the_closure_form_names(store, monkeypatch):
    clock(monkeypatch, "2026-02-01")
    case_id = new_case(store, step=7)
    record(store, case_id, "closure", "2026-02-01", closure__reason="not_willing")
    refused = invoke(["advance", case_id])
    assert refused.exit_code == 1 and f"`cmtk case close {case_id}` closes the case by that route" in refused.output


# -- 2. a re-opened case needs new evidence -----------------------------------------------------


def _closed_then_reopened(store, monkeypatch, reopen_on: str):
    """A case closed on 2027-02-01 (ready to close at step 6), re-opened on `reopen_on`: (case id, result)."""
    clock(monkeypatch, "2027-02-01")
    case_id = new_case(store, step=6)
    ready_to_close(store, case_id)
    assert invoke(["advance", case_id]).exit_code == 0
    clock(monkeypatch, reopen_on)
    return case_id, invoke(["case", "reopen", case_id])


def test_a_reopened_case_does_not_close_again_on_its_old_evidence(store, monkeypatch):
    case_id, reopened = _closed_then_reopened(store, monkeypatch, "2027-03-10")
    assert reopened.exit_code == 0 and "open again at step 7" in reopened.output
    data = step_json(case_id)
    missing = {r["id"]: r for r in data["requirements"] if not r["met"]}
    assert {"review-passes", "conference-closure", "closure-form", "closure-checklist"} <= set(missing)
    assert "since the case was re-opened on 2027-03-10" in missing["closure-form"]["detail"]
    assert "earlier record(s) no longer count" in missing["closure-form"]["detail"]
    assert "not before 2028-03-10" in missing["monitoring-period"]["detail"]  # the clock restarts
    assert invoke(["advance", case_id]).exit_code == 1
    # Monitoring restarts from the re-opening: a visit is due two weeks later, not months ago.
    items = json.loads(invoke(["report", "overdue", "--format", "json", "--upcoming"]).output)
    visit = [i for i in items["upcoming"] + items["items"] if i["kind"] == "monitoring-visit"]
    assert [i["due"] for i in visit] == ["2027-03-24"]


def test_the_visit_after_closure_counts_from_the_last_closure_only(store, monkeypatch):
    case_id, reopened = _closed_then_reopened(store, monkeypatch, "2027-03-01")
    assert reopened.exit_code == 0
    record(store, case_id, "monitoring", "2027-03-05", visit__visit_date=dt.date(2027, 3, 5), visit__child_seen="yes")
    case = cases.read_case(store, case_id)
    # Closed again later (moved by hand here): the visit of 5 March came before that closure, so it is not the
    # visit after closure.
    move(store, case_id, 8, dt.date(2028, 4, 1), status="closed")
    record(store, case_id, "closure", "2028-04-01", closure__closure_date=dt.date(2028, 4, 1))
    case = cases.read_case(store, case_id)
    due = [i for i in schedule.due_items(case, policy_module.load(store.store.root)) if i.kind == "post-closure-visit"]
    assert [i.due for i in due] == [dt.date(2028, 7, 1)]


# -- 3. a placement that breaks down -------------------------------------------------------------


def test_a_breakdown_sends_the_case_back_and_restarts_the_monitoring_clock(store, monkeypatch, tmp_path):
    clock(monkeypatch, "2026-04-01")
    case_id = new_case(store, step=6)
    record(store, case_id, "placement", PLACED, placement__placement_date=PLACED)
    move(store, case_id, 7, PLACED)
    form = tmp_path / "breakdown.yaml"
    form.write_text(
        yamlio.dumps(
            {
                "breakdown": {
                    "breakdown_date": "28-03-2026",
                    "reason": "returned_to_care",
                    "what_happened": "The aunt fell ill and brought the child back.",
                },
                "response": {"child_safe_now": "yes", "case_manager_informed": "yes"},
            }
        )
    )
    done = invoke(["case", "breakdown", case_id, "--from", str(form)])
    assert done.exit_code == 0, done.output
    assert "goes back to step 3 (Family tracing and assessment)" in done.output
    case = cases.read_case(store, case_id)
    assert workflow.step_of(case) == 3 and case.events[-1]["what"] == "breakdown: returned_to_care"
    assert case.latest("breakdown") is not None
    items = json.loads(invoke(["report", "overdue", "--format", "json"]).output)["items"]
    assert not [i for i in items if i["kind"] in ("monitoring-visit", "case-review")]  # the child is not placed
    assert (
        "no family-assessment recorded since the placement broke down"
        in requirement(case_id, "family-assessment")["detail"]
    )
    # A new placement starts the clock again.
    move(store, case_id, 6, dt.date(2026, 5, 1))
    clock(monkeypatch, "2026-05-10")
    record(store, case_id, "placement", "2026-05-10", placement__placement_date=dt.date(2026, 5, 10))
    move(store, case_id, 7, dt.date(2026, 5, 10))
    items = json.loads(invoke(["report", "overdue", "--format", "json", "--upcoming"]).output)["upcoming"]
    assert [i["due"] for i in items if i["kind"] == "monitoring-visit"] == ["2026-05-24"]
    assert "not before 2027-05-10" in requirement(case_id, "monitoring-period")["detail"]


def test_a_breakdown_is_refused_before_placement_and_its_target_step_is_data(store, monkeypatch, tmp_path):
    clock(monkeypatch, "2026-04-01")
    early = new_case(store, step=4)
    form = tmp_path / "breakdown.yaml"
    body = minimal_body("breakdown", {"breakdown.reason": "moved_household"}, day="2026-03-28")
    form.write_text(yamlio.dumps(body))
    refused = invoke(["case", "breakdown", early, "--from", str(form)])
    assert refused.exit_code == 1 and "only once the child has moved" in refused.output
    policy_path = store.store.root / ".cmtk" / "policy.yaml"
    policy_path.write_text(
        policy_path.read_text() + "\nworkflow:\n  breakdown:\n    back_to_by_reason: {moved_household: 4}\n"
    )
    case_id = new_case(store, step=6)
    record(store, case_id, "placement", PLACED, placement__placement_date=PLACED)
    move(store, case_id, 7, PLACED)
    done = invoke(["case", "breakdown", case_id, "--from", str(form)])
    assert done.exit_code == 0 and "back to step 4" in done.output


# -- 4. gates about a household are met by that household ---------------------------------------


def test_after_a_refusal_the_old_household_does_not_pass_the_new_households_gates(store, monkeypatch):
    clock(monkeypatch, "2026-02-01")
    case_id = new_case(store, step=3)
    record(store, case_id, "family-assessment", "2026-01-20", household__household_head="Mother Faith")
    record(store, case_id, "caregiver-consent", "2026-01-20", caregiver__household="Mother Faith")
    record(store, case_id, "child-profile", "2026-01-20")
    assert invoke(["advance", case_id]).exit_code == 0
    record(store, case_id, "placement-approval", "2026-02-01", approval__decision="not_approved")
    assert "goes back to step 3" in invoke(["advance", case_id]).output
    clock(monkeypatch, "2026-02-10")
    record(store, case_id, "family-assessment", "2026-02-10", household__household_head="Uncle Peter")
    consent = requirement(case_id, "family-consent")
    assert not consent["met"] and "none for Uncle Peter" in consent["detail"]
    record(store, case_id, "caregiver-consent", "2026-02-10", caregiver__household="Mother Faith")
    assert not requirement(case_id, "family-consent")["met"]  # consent from the other household
    record(store, case_id, "caregiver-consent", "2026-02-10", caregiver__household="uncle  peter")
    assert requirement(case_id, "family-consent")["met"]


def test_each_household_assessed_needs_its_own_consent_and_the_choice_must_be_one_of_them(store, monkeypatch):
    clock(monkeypatch, "2026-02-01")
    case_id = new_case(store, step=3)
    for household in ("Aunt Rose", "Grandmother Mary"):
        record(store, case_id, "family-assessment", "2026-01-20", household__household_head=household)
    record(store, case_id, "caregiver-consent", "2026-01-20", caregiver__household="Aunt Rose")
    assert "none for Grandmother Mary" in requirement(case_id, "family-consent")["detail"]
    record(
        store,
        case_id,
        "conference-decision",
        "2026-01-25",
        decision__kind="family_choice",
        decision__recommended_household="Uncle Tom",
    )
    choice = requirement(case_id, "conference-choice")
    assert not choice["met"] and "names 'Uncle Tom', not one of those assessed" in choice["detail"]


# -- 5. the closure approval is what its label says ---------------------------------------------


def test_closure_approval_needs_the_case_manager_and_the_scco(store, monkeypatch):
    clock(monkeypatch, "2027-02-01")
    case_id = new_case(store, step=7)
    record(
        store, case_id, "conference-decision", "2027-01-20", decision__kind="closure_approval", decision__approved="yes"
    )
    gate = requirement(case_id, "conference-closure")
    assert not gate["met"]
    assert "The case manager took part: not filled in" in gate["detail"]
    assert "The Sub-County Children's Officer took part: not filled in" in gate["detail"]
    record(
        store,
        case_id,
        "conference-decision",
        "2027-01-21",
        decision__kind="closure_approval",
        decision__approved="yes",
        decision__case_manager_present="yes",
        decision__scco_present="yes",
    )
    assert requirement(case_id, "conference-closure")["met"]


# -- 6. monitoring done, and the latest review not overdue ---------------------------------------


def test_a_case_with_no_monitoring_visits_cannot_close_and_the_missing_visits_are_named(store, monkeypatch):
    clock(monkeypatch, "2027-02-01")
    case_id = new_case(store, step=6)
    ready_to_close(store, case_id)
    assert requirement(case_id, "monitoring-visits")["met"]
    for visit in [r for r in cases.read_case(store, case_id).records if r.form == "monitoring"]:
        assert invoke(["record", "void", case_id, visit.record, "--reason", "test: no visit"]).exit_code == 0
    gate = requirement(case_id, "monitoring-visits")
    assert not gate["met"] and "0 visit(s) with the child seen since 2026-01-15" in gate["detail"]
    assert "due 2026-01-29, 2026-02-12" in gate["detail"] and "(at most 1 allowed)" in gate["detail"]
    assert invoke(["advance", case_id]).exit_code == 1


def test_one_missed_visit_is_tolerated_by_default_and_two_are_not(store, monkeypatch):
    policy = policy_module.load(None)
    grace = policy["monitoring"]["closure_visits"]["grace"]
    # every two weeks for two months (to 2026-03-15), then monthly; the visit due 2026-03-12 was not made
    seen = [
        dt.date(2026, 1, 29),
        dt.date(2026, 2, 12),
        dt.date(2026, 2, 26),
        dt.date(2026, 3, 26),
        dt.date(2026, 4, 26),
    ]
    made, missed = schedule.visits_against_schedule(PLACED, seen, dt.date(2026, 5, 1), policy, grace)
    assert made == seen and missed == [dt.date(2026, 3, 12)]
    made, missed = schedule.visits_against_schedule(PLACED, seen[:2], dt.date(2026, 5, 1), policy, grace)
    assert missed == [dt.date(2026, 2, 26), dt.date(2026, 3, 12), dt.date(2026, 3, 26)]
    # a visit a few days late (within the grace) keeps its date
    made, missed = schedule.visits_against_schedule(PLACED, [dt.date(2026, 2, 3)], dt.date(2026, 2, 10), policy, grace)
    assert made == [dt.date(2026, 2, 3)] and missed == []


def test_an_overdue_latest_review_blocks_closure(store, monkeypatch):
    clock(monkeypatch, "2027-02-01")
    case_id = new_case(store, step=6)
    ready_to_close(store, case_id)
    review = next(r for r in cases.read_case(store, case_id).records if r.form == "case-review")
    assert invoke(["record", "void", case_id, review.record, "--reason", "test"]).exit_code == 0
    passing_review(store, case_id, dt.date(2026, 7, 1))
    gate = requirement(case_id, "review-current")
    assert not gate["met"] and "the next was due 2027-01-01" in gate["detail"]
    passing_review(store, case_id, dt.date(2027, 1, 15))  # a review held since: met, and the next is ahead
    gate = requirement(case_id, "review-current")
    assert gate["met"] and gate["detail"] == "review of 2027-01-15; the next is due 2027-07-15", gate


# -- 7. N/A only where the form says when ------------------------------------------------------


def test_na_is_refused_where_the_indicator_always_applies(store, monkeypatch, tmp_path):
    clock(monkeypatch, "2026-07-15")
    case_id = new_case(store, step=7)
    form = definitions.load_form("case-review")
    body = {s.id: {f.name: "yes" for f in s.fields if f.indicator} for s in form.sections if s.domain}
    body["education"]["b1_2"] = "na"
    path = tmp_path / "review.yaml"
    path.write_text(yamlio.dumps(body))
    refused = invoke(["review", case_id, "--from", str(path)])
    assert refused.exit_code == 1
    assert refused.output.strip().splitlines() == [
        "Error: case-review: education.b1_2: N/A is not allowed for B1.2: it applies to this child, and the form "
        "gives no case where it does not; answer yes or no"
    ]
    body["education"]["b1_2"] = "yes"
    body["psychosocial"]["b5_3"] = "na"  # "N/A if no referral was made"
    body["education"]["b1_7"] = "na"  # for girls only; this child is a boy
    path.write_text(yamlio.dumps(body))
    done = invoke(["review", case_id, "--from", str(path)])
    assert done.exit_code == 0, done.output
    assert "Not applicable (N/A, as the form allows): 1 indicator(s): B5.3" in done.output
    shown = invoke(["report", "benchmarks", case_id]).output
    assert "N/A on 1 indicator(s)" in shown
    rows = invoke(["report", "benchmarks", "--format", "csv"]).output.splitlines()
    assert rows[0].endswith(",na") and any(
        r.startswith(f"{case_id},2026-07-15,psychosocial,") and r.endswith(",1") for r in rows
    )


def test_a_girls_only_indicator_takes_na_for_a_boy_and_not_for_a_girl(store, monkeypatch):
    clock(monkeypatch, "2026-07-15")
    girl = new_case(store, sex="female", step=7)
    form = definitions.load_form("case-review")
    body = {s.id: {f.name: "yes" for f in s.fields if f.indicator} for s in form.sections if s.domain}
    body["education"]["b1_7"] = "na"
    with pytest.raises(cases.InvalidRecord, match="N/A is not allowed for B1.7"):
        cases.record_form(store, girl, "case-review", body, today=dt.date(2026, 7, 15))


# -- 8. the disability assessment when the child assessment asks for one -----------------------


def test_a_disability_assessment_is_required_when_the_child_assessment_flags_it(store, monkeypatch):
    clock(monkeypatch, "2026-01-10")
    case_id = new_case(store, step=2)
    record(store, case_id, "child-assessment", "2026-01-10", health_development__disability_assessment_needed="no")
    assert requirement(case_id, "disability-assessment")["detail"].startswith("not needed")
    assessment = cases.read_case(store, case_id).latest("child-assessment")
    flagged = {**assessment.body, "health_development": {"disability_assessment_needed": "yes"}}
    store.save(case_id, [dataclasses.replace(assessment, body=flagged)], "update")
    gate = requirement(case_id, "disability-assessment")
    assert not gate["met"] and gate["todo"] == f"record it: cmtk record {case_id} disability-assessment"
    record(store, case_id, "disability-assessment", "2026-01-10")
    assert requirement(case_id, "disability-assessment")["met"]


# -- 9. plan references are unambiguous across phases -------------------------------------------


def test_goal_numbers_name_one_goal_across_both_plans(store, monkeypatch, tmp_path):
    """Goals are numbered in one series over both plans (row refs), so a number names one goal; `post:N`
    and `--phase` name the plan too, and are checked against it."""
    clock(monkeypatch, "2026-03-01")
    case_id = new_case(store, step=7)
    goal = tmp_path / "goal.yaml"
    goal.write_text("goal: Juma attends school every day\n")
    action = tmp_path / "action.yaml"
    action.write_text("action: Pay the fees at the bank\nresponsible: Father, John Juma\noutput: Fee receipt\n")
    assert invoke(["plan", "goal", case_id, "--domain", "education", "--from", str(goal)]).exit_code == 0
    post = invoke(["plan", "goal", case_id, "--domain", "education", "--phase", "post", "--from", str(goal)])
    assert f"Added goal 2 to case {case_id} (post-placement plan)" in post.output
    assert f"`cmtk plan action {case_id} 2 --by DATE`" in post.output
    assert invoke(["plan", "action", case_id, "2", "--by", "01-04-2026", "--from", str(action)]).exit_code == 0
    wrong = invoke(["plan", "action", case_id, "pre:2", "--by", "01-04-2026", "--from", str(action)])
    assert wrong.exit_code == 1 and "has no goal 2" in wrong.output and "pre-placement plan" in wrong.output
    clash = invoke(["plan", "action", case_id, "post:2", "--phase", "pre", "--by", "01-04-2026", "--from", str(action)])
    assert clash.exit_code == 1 and "--phase says pre" in clash.output
    assert (
        invoke(
            ["plan", "action", case_id, "1", "--phase", "pre", "--by", "02-04-2026", "--from", str(action)]
        ).exit_code
        == 0
    )
    from cmtk.casework import plan

    found = plan.plans(cases.read_case(store, case_id))
    assert [a["deadline"] for a in found["post_placement"].actions] == [dt.date(2026, 4, 1)]
    assert [a["deadline"] for a in found["pre_placement"].actions] == [dt.date(2026, 4, 2)]
    assert invoke(["plan", "done", case_id, "pre:2.1"]).exit_code == 1
    assert invoke(["plan", "done", case_id, "post:2.1"]).exit_code == 0
    assert plan.plans(cases.read_case(store, case_id))["post_placement"].actions[0]["status"] == "done"
    assert "Goal 2 [education]" in invoke(["plan", "show", case_id]).output


def test_a_goal_number_both_older_plans_carry_must_name_its_plan(store, monkeypatch, tmp_path):
    """Plans written by versions that numbered goals per plan both have a goal 1: a bare 1 is refused with
    the two qualified names, and `post:1` attaches the action to the post-placement plan's goal."""
    clock(monkeypatch, "2026-03-01")
    case_id = new_case(store, step=7)
    for phase, text in (("pre_placement", "Juma is ready to go home"), ("post_placement", "Juma attends school")):
        body = {"plan": {"phase": phase, "plan_date": dt.date(2026, 3, 1)}}
        body["plan"]["goals"] = [{"goal_id": "1", "domain": "education", "goal": text}]
        store.save(case_id, [cases.new_record(store, case_id, "case-plan", body, dt.date(2026, 3, 1))], "update")
    action = tmp_path / "action.yaml"
    action.write_text("action: Pay the fees at the bank\nresponsible: Father, John Juma\noutput: Fee receipt\n")
    ambiguous = invoke(["plan", "action", case_id, "1", "--by", "01-04-2026", "--from", str(action)])
    assert ambiguous.exit_code == 1
    assert (
        "goal 1 is in both the pre- and post-placement plans" in ambiguous.output
        and "pre:1 or post:1" in ambiguous.output
    )
    assert invoke(["plan", "action", case_id, "post:1", "--by", "01-04-2026", "--from", str(action)]).exit_code == 0
    from cmtk.casework import plan

    found = plan.plans(cases.read_case(store, case_id))
    assert [a["deadline"] for a in found["post_placement"].actions] == [dt.date(2026, 4, 1)]
    assert found["pre_placement"].actions == []
    assert invoke(["plan", "done", case_id, "1.1"]).exit_code == 0  # the only action 1.1: no doubt


# -- 10. closed cases are not "ready for closure" ----------------------------------------------


def ready_for_closure() -> int:
    out = invoke(["export", "--format", "json"]).output
    figures = json.loads(out[: out.rindex("}") + 1])["figures"]
    return next(f["value"] for f in figures if f["measure"] == "cases_ready_for_closure")


def test_closed_cases_are_not_counted_ready_for_closure(store, monkeypatch):
    clock(monkeypatch, "2027-02-01")
    case_id = new_case(store, step=6)
    ready_to_close(store, case_id)
    assert ready_for_closure() == 1
    assert invoke(["advance", case_id]).exit_code == 0
    assert ready_for_closure() == 0
    bench = json.loads(invoke(["report", "benchmarks", case_id, "--format", "json"]).output)
    assert bench["closure_ready"] is False
    assert "closure: the case is closed" in invoke(["report", "benchmarks", case_id]).output


# -- 11. conferences -----------------------------------------------------------------------------


def _conference(day="2026-03-10", kind="internal"):
    result = invoke(["conference", "new", "--date", day, "--kind", kind, "--chair", "Mary Case-Manager"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_conference_list_shows_decisions_recorded_without_a_conference(store, monkeypatch):
    clock(monkeypatch, "2026-02-01")
    case_id = new_case(store, step=3)
    record(store, case_id, "conference-decision", "2026-01-28", decision__kind="family_choice")
    shown = invoke(["conference", "list"]).output
    assert "No conferences yet" not in shown
    assert f"2026-01-28  case {case_id}  family_choice" in shown


def test_new_cases_and_conferences_are_tracked_in_the_overdue_report(store, monkeypatch):
    clock(monkeypatch, "2026-01-20")
    case_id = new_case(store)
    upcoming = json.loads(invoke(["report", "overdue", "--format", "json", "--upcoming"]).output)["upcoming"]
    assert any(i["kind"] == "conference-presentation" and i["due"] == "2026-01-01" for i in upcoming) is False
    clock(monkeypatch, "2026-01-05")
    clock(monkeypatch, "2026-02-05")
    items = json.loads(invoke(["report", "overdue", "--format", "json"]).output)["items"]
    presentation = [i for i in items if i["kind"] == "conference-presentation"]
    assert [(i["case"], i["due"]) for i in presentation] == [(case_id, "2026-01-01")]
    conf = _conference("2026-02-10")
    assert invoke(["conference", "add-case", conf, case_id]).exit_code == 0
    clock(monkeypatch, "2026-03-15")
    items = json.loads(invoke(["report", "overdue", "--format", "json"]).output)["items"]
    assert not [i for i in items if i["kind"] == "conference-presentation"]
    due = [i for i in items if i["kind"] == "conference"]
    assert [(i["case"], i["due"], i["worker"]) for i in due] == [(conf, "2026-03-10", "Mary Case-Manager")]
    assert "the next internal case conference" in due[0]["detail"]


def test_children_and_families_take_part_by_case_id_and_agreements_come_before_minutes(store, monkeypatch, tmp_path):
    clock(monkeypatch, "2026-03-01")
    case_id = new_case(store, step=3)
    conf = _conference()
    assert invoke(["conference", "add-case", conf, case_id]).exit_code == 0
    named = invoke(["conference", "add-participant", conf, "Juma", "--as", "child", "--case", case_id])
    assert named.exit_code == 1 and "listed by their case" in named.output
    child = invoke(["conference", "add-participant", conf, "--as", "child", "--case", case_id])
    assert child.exit_code == 0 and f"Child of case {case_id} added" in child.output
    family = invoke(["conference", "add-participant", conf, "--as", "family", "--case", case_id])
    assert f"Family member of case {case_id} added" in family.output
    assert invoke(["conference", "add-participant", conf, "Ruth Caseworker", "--role", "caseworker"]).exit_code == 0
    minutes = tmp_path / "minutes.yaml"
    minutes.write_text(
        yamlio.dumps({"discussions": {"case_discussions": [{"case_id": case_id, "summary": "Going well."}]}})
    )
    refused = invoke(["conference", "minutes", conf, "--from", str(minutes)])
    assert refused.exit_code == 1 and "3 participant(s) have no confidentiality agreement" in refused.output
    for name in (f"Child of case {case_id}", f"Family member of case {case_id}"):
        assert invoke(["conference", "agree", conf, name, "--verbal"]).exit_code == 0
    assert invoke(["conference", "agree", conf, "Ruth Caseworker"]).exit_code == 0
    shown = invoke(["conference", "show", conf]).output
    assert "1 participant(s), and 2 child or family participant(s)" in shown
    assert "[met    ] Confidentiality agreements" in shown
    assert invoke(["conference", "minutes", conf, "--from", str(minutes)]).exit_code == 0
    # A child's agreement holds for that conference only; a member's for every conference.
    second = _conference("2026-04-10")
    assert invoke(["conference", "add-case", second, case_id]).exit_code == 0
    invoke(["conference", "add-participant", second, "--as", "child", "--case", case_id])
    invoke(["conference", "add-participant", second, "Ruth Caseworker"])
    refused = invoke(["conference", "minutes", second, "--from", str(minutes)])
    assert f"1 participant(s) have no confidentiality agreement (Child of case {case_id})" in refused.output


# -- 12. a leftover CMTK_TODAY in a real store ---------------------------------------------------


def test_a_faked_today_is_said_and_a_write_after_the_real_date_is_refused(store, monkeypatch, tmp_path):
    from cmtk.cli import common

    monkeypatch.setattr(dates, "real_today", lambda: dt.date(2026, 1, 20))
    monkeypatch.setattr(common, "_faked_said", False)
    clock(monkeypatch, "2026-01-10")
    case_id = new_case(store, step=2)
    shown = invoke(["step", case_id])
    assert "Warning: CMTK_TODAY=2026-01-10 is set: cmtk acts as if today were that date" in shown.output
    assert "the computer's date is 2026-01-20" in shown.output and "unset CMTK_TODAY" in shown.output
    head = store.store.head_commit()
    clock(monkeypatch, "2026-03-01")
    with pytest.raises(Exception, match="after the computer's date \\(2026-01-20\\): CMTK_TODAY=2026-03-01 is set"):
        record(store, case_id, "child-assent", "2026-03-01")
    assert store.store.head_commit() == head
    monkeypatch.setattr(common, "_faked_said", False)
    monkeypatch.delenv("CMTK_TODAY")
    refused = invoke(["advance", case_id, "--as-of", "2026-03-01"])
    assert "Warning: --as-of 2026-03-01" in refused.output


def test_the_warning_goes_to_standard_error_on_every_command_of_a_real_store(tmp_path):
    from helpers import make_store

    session, key = make_store(tmp_path)
    env = {"CMTK_STORE": str(session.store.root), "CMTK_IDENTITY": str(key), "CMTK_TODAY": "2020-01-01"}
    result = run_cmtk(["case", "list"], env=env, clock_warning=True)
    assert result.returncode == 0 and "Warning: CMTK_TODAY=2020-01-01 is set" in result.stderr
    assert "Warning" not in result.stdout
    demo = run_cmtk(["demo", str(tmp_path / "demo"), "--as-of", "2030-01-01"])
    assert demo.returncode == 0, demo.stderr
    training = run_cmtk(["case", "list"], cwd=tmp_path / "demo", env={"CMTK_TODAY": "2030-01-01"}, clock_warning=True)
    assert training.returncode == 0 and "CMTK_TODAY" not in training.stderr  # a TRAINING store may fake today


# -- 13. impossible dates -------------------------------------------------------------------------


def test_dates_before_birth_or_before_the_case_opened_are_refused(store, monkeypatch, tmp_path):
    clock(monkeypatch, "2026-03-01")
    case_id = new_case(store, step=7)
    visit = tmp_path / "visit.yaml"
    visit.write_text("changes:\n  plan_progress: Fine.\nfollow_up:\n  risk_found: no\n")
    head = store.store.head_commit()
    old = invoke(["visit", case_id, "--date", "01-03-1999", "--from", str(visit)])
    assert old.exit_code == 1
    assert "visit.visit_date: this date is before the child's date of birth; check the year" in old.output
    assert "2014-04-12" not in old.output  # the child's date of birth is never printed (issue 14, item 5)
    before = invoke(["visit", case_id, "--date", "20-11-2025", "--from", str(visit)])
    assert f"2025-11-20 is before case {case_id} was opened (2025-12-01)" in before.output
    assert store.store.head_commit() == head


# -- 14. void and restore ------------------------------------------------------------------------


def test_a_voided_record_stops_counting_everywhere_and_can_be_restored(store, monkeypatch):
    clock(monkeypatch, "2026-03-01")
    case_id = new_case(store, step=6)
    placement = record(store, case_id, "placement", PLACED, placement__placement_date=PLACED)
    assert requirement(case_id, "placement-happened")["met"]
    needs_reason = invoke(["record", "void", case_id, placement.record])
    assert needs_reason.exit_code == 2 and "--reason" in needs_reason.output
    done = invoke(["record", "void", case_id, placement.record, "--reason", "entered on the wrong case"])
    assert done.exit_code == 0 and "no longer counts anywhere" in done.output
    assert not requirement(case_id, "placement-happened")["met"]
    items = json.loads(invoke(["report", "overdue", "--format", "json"]).output)["items"]
    assert not [i for i in items if i["kind"] == "monitoring-visit"]
    shown = invoke(["case", "show", case_id]).output
    assert "Void (kept in the history, counted nowhere):" in shown and "entered on the wrong case" in shown
    history = invoke(["case", "history", case_id, "placement"]).output
    assert "voided: entered on the wrong case" in history
    assert invoke(["record", "void", case_id, placement.record, "--reason", "again"]).exit_code == 1
    case_file = next(r for r in cases.read_case(store, case_id).records if r.form == cases.CASE_FILE)
    assert "cannot be voided" in invoke(["record", "void", case_id, case_file.record, "--reason", "x"]).output
    back = invoke(["record", "restore", case_id, placement.record, "--reason", "it was the right case after all"])
    assert back.exit_code == 0 and requirement(case_id, "placement-happened")["met"]
    entry = cases.void_entry(cases.read_case(store, case_id).latest("placement"))
    assert (entry["what"], entry["by"], entry["reason"]) == (
        "restore",
        "Amina Otieno",
        "it was the right case after all",
    )


def test_void_records_are_in_case_show_json_and_attachments_keep_their_own_void(store, monkeypatch, tmp_path):
    from PIL import Image

    clock(monkeypatch, "2026-03-01")
    case_id = new_case(store, step=6)
    placement = record(store, case_id, "placement", PLACED, placement__placement_date=PLACED)
    assert invoke(["record", "void", case_id, placement.record, "--reason", "wrong case"]).exit_code == 0
    shown = json.loads(invoke(["case", "show", case_id, "--format", "json"]).output)
    assert placement.record not in [f["record"] for f in shown["forms"]]
    assert [(v["record"], v["form"], v["reason"], v["voided_on"]) for v in shown["voided"]] == [
        (placement.record, "placement", "wrong case", "2026-03-01")
    ]
    photo = tmp_path / "photo.png"
    Image.new("RGB", (40, 60), "white").save(photo, "PNG")
    attached = invoke(["attach", case_id, str(photo), "--kind", "photo"])
    assert attached.exit_code == 0, attached.output
    attachment_id = attached.output.split("as attachment ")[1].split()[0]
    refused = invoke(["record", "void", case_id, attachment_id, "--reason", "wrong child"])
    assert refused.exit_code == 1 and "cmtk attachment void" in refused.output
    assert not cases.read_case(store, case_id).voided[1:]  # nothing else became void


# -- 15. visits ----------------------------------------------------------------------------------


def test_a_visit_asks_for_what_the_monitoring_form_needs(store, monkeypatch, tmp_path):
    clock(monkeypatch, "2026-03-01")
    case_id = new_case(store, step=7)
    empty = run_cmtk(
        ["visit", case_id, "--seen"],
        env={"CMTK_STORE": str(store.store.root), "CMTK_TODAY": "2026-03-01"},
        input="",
    )
    assert empty.returncode == 2 and "a visit records changes, follow_up" in empty.stderr
    partial = tmp_path / "partial.yaml"
    partial.write_text("changes:\n  concerns: none\n")
    refused = invoke(["visit", case_id, "--from", str(partial)])
    assert refused.exit_code == 1 and "every contact says" in refused.output


def test_a_contact_before_placement_is_recorded_but_said_not_to_count(store, monkeypatch, tmp_path):
    clock(monkeypatch, "2026-01-10")
    case_id = new_case(store)
    visit = tmp_path / "visit.yaml"
    visit.write_text("changes:\n  plan_progress: Tracing started.\nfollow_up:\n  risk_found: no\n")
    done = invoke(["visit", case_id, "--from", str(visit)])
    assert done.exit_code == 0
    assert (
        f"does not count as a monitoring visit: case {case_id} is at step 1 and the child is not placed yet"
        in done.output
    )


# -- 16. hints name the real remedy ----------------------------------------------------------------


def test_hints_say_to_wait_when_waiting_is_the_remedy(store, monkeypatch):
    clock(monkeypatch, "2026-06-01")
    case_id = new_case(store, step=6)
    record(store, case_id, "placement", PLACED, placement__placement_date=PLACED)
    move(store, case_id, 7, PLACED)
    assert (
        requirement(case_id, "monitoring-period")["todo"] == "keep monitoring: the case cannot close before 2027-01-15"
    )
    passing_review(store, case_id, dt.date(2026, 6, 1))
    review = requirement(case_id, "review-passes")
    assert review["todo"].startswith("wait until 2026-07-01") and "cmtk review" not in review["todo"]
    future = new_case(store, step=6)
    record(store, future, "placement", "2026-06-01", placement__placement_date=dt.date(2026, 6, 1))
    clock(monkeypatch, "2026-06-01")
    assert requirement(future, "placement-happened")["met"]


@pytest.mark.parametrize("command", [["case", "breakdown"], ["case", "transfer"], ["visit"], ["record"]])
def test_an_unknown_case_is_refused_before_any_question_is_asked(store, command):
    refused = invoke([*command, "K7Q2MX4P", *(["closure"] if command == ["record"] else [])])
    assert refused.exit_code == 1
    assert "K7Q2MX4P" in refused.output and "--from" not in refused.output
