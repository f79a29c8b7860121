"""Rows other work refers to keep their identity through every sync (issue 21, item 1).

Goals, actions and referrals carry a number people use and a ref that never changes; merges go by
the ref, so a number two laptops both gave stays on both rows (never renumbered), a command that
names a number two rows carry is refused in one line, and the ref always works.
"""

from __future__ import annotations

import datetime as dt

import pytest

from cmtk.casework import cases, monitoring, plan
from cmtk.errors import CmtkError
from cmtk.store import records, rows
from cmtk.store.session import Change
from tests.helpers import invoke
from tests.test_sync import _shared_case, _team

DAY = dt.date(2026, 11, 20)
BY = dt.date(2026, 12, 20)


def _action(laptop, case_id: str, goal: str, text: str) -> str:
    return plan.add_action(
        laptop.session(), case_id, goal, action=text, responsible="caseworker", deadline=BY, output="a note", today=DAY
    )


def _actions(laptop, case_id: str) -> dict[str, dict]:
    found = plan.plans(cases.read_case(laptop.session(), case_id))["pre_placement"]
    return {a["action"]: a for a in found.actions}


def test_an_action_marked_done_before_the_merge_arrives_stays_on_its_own_row(tmp_path):
    """The trial's pattern: both add action 1.1 to goal 1; Amina marks hers done before she receives
    Baraka's merge. Before the fix the merge renumbered hers to 1.2 and the done landed on Baraka's."""
    (amina, baraka, _), _ = _team(tmp_path)
    case_id = _shared_case(amina, baraka)
    plan.add_goal(amina.session(), case_id, phase="pre", domain="economic", goal="Fees are paid", today=DAY)
    amina.sync()
    baraka.sync()
    assert _action(amina, case_id, "1", "Amina's fee action") == "1.1"
    assert _action(baraka, case_id, "1", "Baraka's psychosocial action") == "1.1"
    amina.sync()
    baraka.sync()  # merges: both actions kept, both still numbered 1.1
    plan.mark_done(amina.session(), case_id, "1.1", day=DAY, today=DAY)  # on Amina's laptop 1.1 is hers alone
    amina.sync()
    baraka.sync()
    amina.sync()
    for laptop in (amina, baraka):
        found = _actions(laptop, case_id)
        assert found["Amina's fee action"]["status"] == "done"
        assert found["Baraka's psychosocial action"]["status"] == "open"
        assert {a["action_id"] for a in found.values()} == {"1.1"}  # numbers never change
        assert len({a["ref"] for a in found.values()}) == 2
        goal_ref = plan.plans(cases.read_case(laptop.session(), case_id))["pre_placement"].goals[0]["ref"]
        assert {a["goal_ref"] for a in found.values()} == {goal_ref}

    # 1.1 now names two actions: refused in one line, naming the refs; the ref itself works
    env = {"CMTK_STORE": str(baraka.root), "CMTK_IDENTITY": str(baraka.key), "CMTK_TODAY": DAY.isoformat()}
    refused = invoke(["plan", "done", case_id, "1.1"], env=env)
    assert refused.exit_code == 1 and "ambiguous" in refused.output and "Traceback" not in refused.output
    assert len(refused.output.strip().splitlines()) == 1
    baraka_ref = _actions(baraka, case_id)["Baraka's psychosocial action"]["ref"]
    assert baraka_ref in refused.output
    shown = invoke(["plan", "show", case_id], env=env)
    assert f"1.1 (ref {baraka_ref})" in shown.output
    done = invoke(["plan", "done", case_id, baraka_ref.lower()], env=env)
    assert done.exit_code == 0, done.output
    assert _actions(baraka, case_id)["Baraka's psychosocial action"]["status"] == "done"


def test_goal_numbers_run_over_both_phases_so_a_number_names_one_goal(tmp_path):
    (amina, _, _), _ = _team(tmp_path)
    case_id = cases.create_case(amina.session(), "identification", {"biographical": {"first_name": "N"}})
    assert plan.add_goal(amina.session(), case_id, phase="pre", domain="health", goal="pre goal", today=DAY) == "1"
    assert plan.add_goal(amina.session(), case_id, phase="post", domain="health", goal="post goal", today=DAY) == "2"
    assert _action(amina, case_id, "2", "after placement") == "2.1"
    post = plan.plans(cases.read_case(amina.session(), case_id))["post_placement"]
    assert [a["action"] for a in post.actions] == ["after placement"]


def _write_raw(session, record: records.Record) -> None:
    """A record exactly as cmtk wrote it before rows had refs (no migration, no new refs)."""
    path = session.record_path(record)
    session.store.apply([Change(path, session.seal(record))], f"update {record.case}", session.author)


def test_plans_written_before_refs_keep_working_and_merge_with_new_ones(tmp_path):
    (amina, baraka, _), _ = _team(tmp_path)
    case_id = _shared_case(amina, baraka)
    session = amina.session()
    old_plan = {
        "plan": {
            "phase": "pre_placement",
            "plan_date": DAY,
            "goals": [{"goal_id": "1", "domain": "education", "goal": "Back in school"}],
            "actions": [{"action_id": "1.1", "goal_id": "1", "action": "Pay fees", "status": "open"}],
        }
    }
    record = cases.new_record(session, case_id, plan.PLAN_FORM, old_plan, DAY)
    _write_raw(session, record)
    amina.sync()
    baraka.sync()
    plan.mark_done(amina.session(), case_id, "1.1", day=DAY, today=DAY)  # by its old number
    assert _action(baraka, case_id, "1", "Buy uniform") == "1.2"
    amina.sync()
    baraka.sync()
    amina.sync()
    for laptop in (amina, baraka):
        found = _actions(laptop, case_id)
        assert found["Pay fees"]["status"] == "done" and found["Buy uniform"]["action_id"] == "1.2"
        goal = plan.plans(cases.read_case(laptop.session(), case_id))["pre_placement"].goals[0]
        assert goal["ref"] == rows.derived_ref(record.record, "plan", "goals", "1")
        assert {a["goal_ref"] for a in found.values()} == {goal["ref"]}


def test_referral_numbers_are_kept_and_a_shared_number_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("CMTK_TODAY", "2026-10-01")  # the case opens before the referrals (none may predate it)
    (amina, baraka, _), _ = _team(tmp_path)
    case_id = _shared_case(amina, baraka)
    body = {"referral": {"referral_date": DAY, "receiving_organisation": "Clinic", "reason": "health"}}
    mine, number = monitoring.refer(amina.session(), case_id, body, day=DAY, today=DAY)
    theirs, other_number = monitoring.refer(baraka.session(), case_id, body, day=DAY, today=DAY)
    assert number == other_number == "1"
    amina.sync()
    baraka.sync()
    with pytest.raises(CmtkError, match="ambiguous.*" + min(mine.record, theirs.record)):
        monitoring.referral_done(baraka.session(), case_id, "1", day=DAY, benefit=True, today=DAY)
    done = monitoring.referral_done(baraka.session(), case_id, theirs.record[:5], day=DAY, benefit=True, today=DAY)
    assert done.record == theirs.record
    _, third = monitoring.refer(baraka.session(), case_id, body, day=DAY - dt.timedelta(days=9), today=DAY)
    assert third == "2"  # an earlier date does not take another referral's number
