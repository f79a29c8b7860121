"""Visits, reviews, referrals and the reports through the CLI, with their JSON contracts."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from helpers import invoke, minimal_body, record_on, use_store

from cmtk.casework import cases, workflow
from cmtk.forms import definitions


@pytest.fixture
def store(tmp_path, monkeypatch):
    return use_store(tmp_path, monkeypatch, "2026-06-01")


def placed_case(session, placement_day=dt.date(2026, 3, 1)) -> str:
    case_id = cases.open_case(
        session,
        minimal_body("identification", {"biographical.date_of_birth": dt.date(2014, 1, 1)}),
        date=dt.date(2026, 1, 5),
        today=dt.date(2026, 6, 1),
    )
    placement = minimal_body("placement", {"placement.placement_date": placement_day})
    record_on(session, case_id, "placement", placement_day, dt.date(2026, 6, 1), placement)
    case = cases.read_case(session, case_id)
    session.save(case_id, [workflow.moved(case, 7, day=placement_day, by="test", what="advance")], "update")
    return case_id


def test_reports_on_an_empty_store(store):
    overdue = json.loads(invoke(["report", "overdue", "--format", "json"]).output)
    assert overdue["items"] == [] and overdue["as_of"] == "2026-06-01"
    assert invoke(["report", "caseload"]).exit_code == 0
    bench = json.loads(invoke(["report", "benchmarks", "--format", "json"]).output)
    assert bench["cases_reviewed"] == 0


def test_overdue_json_contract_and_commit(store):
    case_id = placed_case(store)
    result = invoke(["report", "overdue", "--format", "json", "--as-of", "01-06-2026"])
    data = json.loads(result.output)
    assert data["as_of"] == "2026-06-01"
    assert data["commit"] == store.store.head_commit() and len(data["commit"]) == 40
    first = next(i for i in data["items"] if i["kind"] == "monitoring-visit")
    assert {"case", "worker", "kind", "due", "days_overdue"} <= set(first)
    assert (first["case"], first["worker"], first["kind"], first["due"], first["days_overdue"]) == (
        case_id,
        "Amina Otieno",
        "monitoring-visit",
        "2026-03-15",
        78,
    )
    days = [i["days_overdue"] for i in data["items"]]
    assert days == sorted(days, reverse=True) and all(d > 0 for d in days)


def visit_file(folder) -> str:
    """What every contact records besides its date and mode (the monitoring form's required fields)."""
    path = folder / "visit.yaml"
    path.write_text("changes:\n  plan_progress: School fees paid for term 2.\nfollow_up:\n  risk_found: no\n")
    return str(path)


def test_seen_visit_resets_clock_and_phone_does_not(store, tmp_path):
    case_id = placed_case(store)
    visit = ["--from", visit_file(tmp_path)]
    phone = invoke(["visit", case_id, "--date", "20-05-2026", "--mode", "phone", *visit])
    assert phone.exit_code == 0 and "does not count" in phone.output
    items = json.loads(invoke(["report", "overdue", "--format", "json"]).output)["items"]
    assert [i["due"] for i in items if i["kind"] == "monitoring-visit"] == ["2026-03-15"]
    seen = invoke(["visit", case_id, "--date", "25-05-2026", "--seen", *visit])
    assert seen.exit_code == 0 and "counts as a visit" in seen.output
    items = json.loads(invoke(["report", "overdue", "--format", "json"]).output)["items"]
    assert [i for i in items if i["kind"] == "monitoring-visit"] == []
    upcoming = json.loads(
        invoke(["report", "overdue", "--format", "json", "--upcoming", "--as-of", "2026-06-15"]).output
    )["upcoming"]
    assert any(i["kind"] == "monitoring-visit" and i["due"] == "2026-06-25" for i in upcoming)
    contradiction = invoke(["visit", case_id, "--date", "26-05-2026", "--mode", "phone", "--seen", *visit])
    assert contradiction.exit_code == 1 and "phone call" in contradiction.output


def test_overdue_table_groups_by_worker(store):
    placed_case(store)
    result = invoke(["report", "overdue"])
    assert result.exit_code == 0
    assert "Overdue as of 2026-06-01 (store commit" in result.output and "Amina Otieno" in result.output
    assert "days late" in result.output
    csv_out = invoke(["report", "overdue", "--format", "csv"]).output
    assert csv_out.splitlines()[0] == "worker,case,kind,due,days_overdue,detail"
    md = invoke(["report", "overdue", "--format", "md"]).output
    assert md.startswith("| worker | case |")
    assert invoke(["report", "overdue", "--worker", "Nobody", "--format", "json"]).output.count('"case"') == 0


def _review_body(form_id="case-review", no=()):
    form = definitions.load_form(form_id)
    body = {
        s.id: {f.name: ("no" if f.indicator in no else "yes") for f in s.fields if f.indicator}
        for s in form.sections
        if s.domain
    }
    return body


def test_review_shows_totals_verdict_and_zeros_without_action(store, tmp_path):
    case_id = placed_case(store)
    from cmtk.store import yamlio

    path = tmp_path / "review.yaml"
    path.write_text(yamlio.dumps(_review_body(no=("B1.3", "B12.2", "B12.3"))))
    result = invoke(["review", case_id, "--from", str(path), "--date", "01-06-2026"])
    assert result.exit_code == 0, result.output
    assert "education     10 / 11 (pass mark 11): below the pass mark" in result.output
    assert "economic       5 / 7  (pass mark 6): below the pass mark" in result.output
    assert "Closure: not ready: below the pass mark in education, economic" in result.output
    assert "Scored 0 with no case plan action: B1.3, B12.2, B12.3" in result.output
    data = json.loads(invoke(["report", "benchmarks", case_id, "--format", "json"]).output)
    assert set(data) >= {"case", "review_date", "domains", "closure_ready", "zero_without_action"}
    assert data["review_date"] == "2026-06-01" and data["closure_ready"] is False
    education = next(d for d in data["domains"] if d["domain"] == "education")
    assert education == {"domain": "education", "score": 10, "pass_mark": 11, "max": 11, "achieved": False, "na": 0}
    # a plan goal with an action on B1.3 removes it from the list
    goal = tmp_path / "goal.yaml"
    goal.write_text("goal: attends every day\n")
    invoke(
        [
            "plan",
            "goal",
            case_id,
            "--phase",
            "post",
            "--domain",
            "education",
            "--indicators",
            "B1.3",
            "--from",
            str(goal),
        ]
    )
    action = tmp_path / "action.yaml"
    action.write_text("action: talk to the head teacher\nresponsible: caseworker\noutput: attendance record\n")
    invoke(["plan", "action", case_id, "1", "--by", "30-06-2026", "--from", str(action)])
    data = json.loads(invoke(["report", "benchmarks", case_id, "--format", "json"]).output)
    assert data["zero_without_action"] == ["B12.2", "B12.3"]


def test_benchmarks_html_has_a_star_per_case_and_no_names(store, tmp_path):
    case_id = placed_case(store)
    from cmtk.store import yamlio

    path = tmp_path / "review.yaml"
    path.write_text(yamlio.dumps(_review_body()))
    invoke(["review", case_id, "--from", str(path)])
    out = tmp_path / "bench.html"
    result = invoke(["report", "benchmarks", "-o", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert html.count("<svg") == 1 and case_id in html and "Recorded for the test" not in html
    assert "size: A4" in html and "<script" not in html


def test_referral_feeds_overdue_until_done(store):
    case_id = placed_case(store)
    made = invoke(
        [
            "refer",
            case_id,
            "--to",
            "Nakuru Level 5 Hospital",
            "--reason",
            "health",
            "--date",
            "01-04-2026",
            "--accompanied",
        ]
    )
    assert made.exit_code == 0, made.output
    kinds = [i["kind"] for i in json.loads(invoke(["report", "overdue", "--format", "json"]).output)["items"]]
    assert "referral-follow-up" in kinds
    done = invoke(["refer", "done", case_id, "1", "--benefit", "--date", "20-05-2026"])
    assert done.exit_code == 0, done.output
    kinds = [i["kind"] for i in json.loads(invoke(["report", "overdue", "--format", "json"]).output)["items"]]
    assert "referral-follow-up" not in kinds
    assert invoke(["refer", case_id]).exit_code == 2


def test_caseload_report(store):
    placed_case(store)
    data = json.loads(invoke(["report", "caseload", "--format", "json"]).output)
    assert data["workers"]["Amina Otieno"]["open"] == 1 and data["workers"]["Amina Otieno"]["by_step"] == {"7": 1}
    assert data["quarters"]["2026-Q1"]["reunified"] == 1


def test_visit_date_defaults_to_today(store, tmp_path):
    """New-user trial: `cmtk visit` needed --date while other commands default to today."""
    case_id = placed_case(store)
    result = invoke(["visit", case_id, "--seen", "--from", visit_file(tmp_path)])
    assert result.exit_code == 0, result.output
    visits = [r for r in store.case_records(case_id) if r.form == "monitoring"]
    assert visits[-1].date == __import__("cmtk.dates", fromlist=["today"]).today()
