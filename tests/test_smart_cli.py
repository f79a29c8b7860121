"""`cmtk smart check|text`, transfer and re-open through the CLI."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from helpers import invoke, minimal_body, use_store

from cmtk.casework import cases
from cmtk.store import yamlio


@pytest.fixture
def store(tmp_path, monkeypatch):
    return use_store(tmp_path, monkeypatch, "2026-02-10")


def _case_with_plan(store, tmp_path, goal: str, action: dict, by: str):
    """A case with one education goal and one action, added through the CLI: (case id, the action's result)."""
    case_id = cases.open_case(store, minimal_body("identification"), today=dt.date(2026, 2, 10))
    goal_file = tmp_path / "g.yaml"
    goal_file.write_text(f"goal: {goal}\n")
    invoke(["plan", "goal", case_id, "--domain", "education", "--from", str(goal_file)])
    action_file = tmp_path / "a.yaml"
    action_file.write_text(yamlio.dumps(action))
    return case_id, invoke(["plan", "action", case_id, "1", "--by", by, "--from", str(action_file)])


def test_smart_text_handbook_example_passes_and_vague_goal_fails():
    good = invoke(
        [
            "smart",
            "text",
            "The child's father, John Otieno, will open a savings account at the bank to save "
            "for the child's school fees for semester 2 by 10-02-2021.",
            "--as-of",
            "2021-01-05",
        ]
    )
    assert good.exit_code == 0, good.output
    vague = invoke(["smart", "text", "improve the child's education"])
    assert vague.exit_code == 1
    letters = {line.split(":")[0] for line in vague.output.strip().splitlines()}
    assert letters == {"S", "M", "T"}


def test_smart_check_case_json_and_exit(store, tmp_path):
    action = {"action": "Pay the school fees", "responsible": "Mother", "output": "done"}
    case_id, _ = _case_with_plan(store, tmp_path, "school every day", action, "01-02-2026")
    result = invoke(["smart", "check", case_id, "--format", "json"])
    assert result.exit_code == 1
    findings = json.loads(result.output)
    assert {f["letter"] for f in findings} == {"M", "A"}
    assert all(set(f) == {"case", "goal", "action", "letter", "message"} for f in findings)
    assert invoke(["smart", "check", "--all"]).exit_code == 1
    assert invoke(["smart", "check"]).exit_code == 2


def test_plan_refuses_vague_dates_and_unknown_domains(store, tmp_path):
    case_id = cases.open_case(store, minimal_body("identification"), today=dt.date(2026, 2, 10))
    goal = tmp_path / "g.yaml"
    goal.write_text("goal: school every day\n")
    bad_domain = invoke(["plan", "goal", case_id, "--domain", "educaton", "--from", str(goal)])
    assert bad_domain.exit_code == 2 and "did you mean 'education'" in bad_domain.output
    invoke(["plan", "goal", case_id, "--domain", "education", "--from", str(goal)])
    action = tmp_path / "a.yaml"
    action.write_text("action: x\nresponsible: y\noutput: z\n")
    soon = invoke(["plan", "action", case_id, "1", "--by", "soon", "--from", str(action)])
    assert soon.exit_code == 2 and "--by: 'soon' is not a date" in soon.output
    assert invoke(["plan", "action", case_id, "9", "--by", "01-03-2026", "--from", str(action)]).exit_code == 1
    done = invoke(["plan", "done", case_id, "1.9"])
    assert done.exit_code == 1 and "no action 1.9" in done.output


def test_transfer_and_reopen_keep_history(store, tmp_path):
    case_id = cases.open_case(store, minimal_body("identification"), today=dt.date(2026, 2, 10))
    transfer = tmp_path / "t.yaml"
    transfer.write_text(
        yamlio.dumps(minimal_body("transfer", {"transfer.receiving_organisation": "Upendo Home"}, day="2026-02-09"))
    )
    moved = invoke(["case", "transfer", case_id, "--from", str(transfer)])
    assert moved.exit_code == 0, moved.output
    assert "transferred to Upendo Home" in moved.output
    case = cases.read_case(store, case_id)
    assert case.status == "transferred" and case.events[-1]["what"] == "transferred"
    assert invoke(["advance", case_id]).exit_code == 1
    reopened = invoke(["case", "reopen", case_id, "--step", "1"])
    assert reopened.exit_code == 0
    case = cases.read_case(store, case_id)
    assert case.status == "open" and [e["what"] for e in case.events][-2:] == [
        "transferred",
        "re-opened (transferred before)",
    ]
    assert any(r.form == "transfer" for r in case.records)


def test_smart_check_reads_the_stores_own_words(store, tmp_path):
    """`smart check` judges a plan with the store's `smart:` overrides, as `smart text` and `advance` do."""
    action = {"action": "Mentor the child on homework every week", "responsible": "Mother", "output": "book"}
    case_id, added = _case_with_plan(store, tmp_path, "The child goes to school every day", action, "01-06-2026")
    assert added.exit_code == 0
    before = invoke(["smart", "check", case_id, "--format", "json"])
    assert before.exit_code == 1 and {f["letter"] for f in json.loads(before.output)} == {"S"}  # "mentor": no verb
    (store.store.root / ".cmtk" / "policy.yaml").write_text("smart:\n  action_verbs: {add: [mentor]}\n")
    after = invoke(["smart", "check", case_id])
    assert after.exit_code == 0, after.output
