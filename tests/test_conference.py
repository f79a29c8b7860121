"""A case conference through the CLI: preparation, checklist, names kept out of minutes, action points into plans."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from helpers import invoke, minimal_body, use_store

from cmtk.casework import cases, plan, policy, workflow
from cmtk.forms import definitions
from cmtk.store import yamlio


@pytest.fixture
def store(tmp_path, monkeypatch):
    return use_store(tmp_path, monkeypatch, "2026-03-01")


def _case(session, first="Wambui", nickname="Wawa", step=3) -> str:
    body = minimal_body(
        "identification",
        {
            "biographical.first_name": first,
            "biographical.nickname": nickname,
            "biographical.surname": "Kilimanjaro-Test",
            "biographical.date_of_birth": dt.date(2014, 1, 1),
        },
    )
    case_id = cases.open_case(session, body, date=dt.date(2026, 1, 5), today=dt.date(2026, 3, 1))
    for form, field in (
        ("family-assessment", "household.household_head"),
        ("caregiver-consent", "caregiver.household"),
    ):
        for household in ("A", "B"):  # two households, each with its consent
            body = minimal_body(form, {field: household}, day="2026-02-01")
            cases.record_form(session, case_id, form, body, today=dt.date(2026, 3, 1))
    case = cases.read_case(session, case_id)
    session.save(case_id, [workflow.moved(case, step, day=dt.date(2026, 2, 1), by="t", what="advance")], "update")
    return case_id


def _ok(args, **kw):
    result = invoke(args, **kw)
    assert result.exit_code == 0, result.output
    return result.output


def _new_conference(kind="internal", date="2026-03-10"):
    return _ok(
        ["conference", "new", "--date", date, "--kind", kind, "--chair", "Mary Case-Manager", "--venue", "Board room"]
    ).strip()


@pytest.mark.slow
def test_full_conference_through_the_cli(store, tmp_path):
    first, second = _case(store), _case(store, first="Kamande", nickname="Kama")
    conf = _new_conference()
    _ok(["conference", "add-case", conf, first])
    _ok(["conference", "add-case", conf, second])
    for name, role in [
        ("Mary Case-Manager", "case manager"),
        ("John SCCO", "SCCO"),
        ("Aisha Nurse", "nurse"),
        ("Peter Teacher", "teacher"),
        ("Ruth Caseworker", "caseworker"),
    ]:
        _ok(["conference", "add-participant", conf, name, "--role", role, "--invited", "2026-03-01"])
        _ok(["conference", "confirm", conf, name, "--date", "2026-03-05"])
        _ok(["conference", "agree", conf, name, "--date", "2026-03-01"])
    shown = _ok(["conference", "show", conf])
    assert "[met    ] Invitations sent by 2026-03-03" in shown
    assert "[met    ] Confirmations by 2026-03-07" in shown
    assert "[met    ] Confidentiality agreements" in shown
    assert "[MISSING] Report within 24 hours" in shown
    # Agreement is once per member, across conferences.
    again = invoke(["conference", "agree", conf, "John SCCO"])
    assert again.exit_code == 1 and "holds for every conference" in again.output

    for what in ("agenda", "presentation", "preparation", "attendance", "checklist"):
        out = tmp_path / f"{what}.html"
        _ok(["conference", "print", conf, what, "-o", str(out)])
        html = out.read_text()
        assert conf in html or first in html
        assert "Wambui" not in html and "Kamande" not in html
    assert (tmp_path / "presentation.html").read_text().count(first) >= 1
    preparation = (tmp_path / "preparation.html").read_text()
    assert "Case conference: case preparation template" in preparation and second in preparation
    agenda = (tmp_path / "agenda.html").read_text()
    assert "Updates on relevant issues" in agenda and agenda.index(">4.1<") > agenda.index(
        "Presentation and discussion"
    )
    assert "Mary Case-Manager" in (tmp_path / "attendance.html").read_text()  # the participants, by name

    minutes = {
        "discussions": {
            "case_discussions": [
                {
                    "case_id": first,
                    "summary": "Both households are willing.",
                    "decision": "Household A.",
                    "outcome": "family_recommended",
                    "recommended_household": "A",
                },
                {
                    "case_id": second,
                    "summary": "More tracing needed.",
                    "decision": "Trace the paternal side.",
                    "outcome": "plan_revised",
                },
            ]
        },
        "action_points": {
            "action_points": [
                {
                    "case_id": first,
                    "action": "Visit household A to plan the move",
                    "responsible": "Ruth Caseworker",
                    "deadline": "20-03-2026",
                    "output": "Visit report",
                    "domain": "relationship",
                },
                {
                    "case_id": second,
                    "action": "Contact the chief of the home village",
                    "responsible": "Ruth Caseworker",
                    "deadline": "25-03-2026",
                    "output": "Call log",
                    "domain": "protection",
                },
            ]
        },
    }
    path = tmp_path / "minutes.yaml"
    path.write_text(yamlio.dumps(minutes))
    assert (
        workflow.requirements(
            cases.read_case(store, first),
            4,
            policy=policy.load(store.store.root),
            today=dt.date(2026, 3, 10),
            form_loader=definitions.load_form,
        )[-1].met
        is False
    )
    _ok(["conference", "minutes", conf, "--from", str(path)], env={"CMTK_TODAY": "2026-03-10"})
    closed = _ok(["conference", "close", conf], env={"CMTK_TODAY": "2026-03-10"})
    assert "2 action point(s) added to case plans, 1 decision(s)" in closed
    # Action points reached each case plan; the gate that needs the conference's choice sees it.
    first_plan = plan.plans(cases.read_case(store, first))["pre_placement"]
    assert any(
        a["action"] == "Visit household A to plan the move" and a["deadline"] == dt.date(2026, 3, 20)
        for a in first_plan.actions
    )
    step = json.loads(_ok(["step", first, "--format", "json"], env={"CMTK_TODAY": "2026-03-10"}))
    assert next(r for r in step["requirements"] if r["id"] == "conference-choice")["met"] is True
    # The report is due within 24 hours: overdue until recorded.
    overdue = json.loads(_ok(["report", "overdue", "--format", "json"], env={"CMTK_TODAY": "2026-03-12"}))
    assert any(i["kind"] == "conference-report" and i["case"] == conf for i in overdue["items"])
    report = tmp_path / "report.yaml"
    report.write_text(
        yamlio.dumps(
            {
                "report": {"report_date": "11-03-2026", "scco_present": "yes"},
                "decisions": {"decisions": [{"case_id": first, "decision": "family_recommended"}]},
            }
        )
    )
    _ok(["conference", "report", conf, "--from", str(report)], env={"CMTK_TODAY": "2026-03-11"})
    overdue = json.loads(_ok(["report", "overdue", "--format", "json"], env={"CMTK_TODAY": "2026-03-12"}))
    assert not any(i["kind"] == "conference-report" for i in overdue["items"])


@pytest.mark.parametrize(
    "text",
    [
        "Wambui is doing well",
        *(
            pytest.param(text, marks=pytest.mark.slow)
            for text in ("wawa said she is happy", "We met WAMBUI's aunt", "Kilimanjaro-Test family")
        ),
    ],
)
def test_minutes_with_a_childs_name_are_refused(store, tmp_path, text):
    case_id = _case(store)
    conf = _new_conference()
    _ok(["conference", "add-case", conf, case_id])
    path = tmp_path / "minutes.yaml"
    path.write_text(yamlio.dumps({"discussions": {"case_discussions": [{"case_id": case_id, "summary": text}]}}))
    result = invoke(["conference", "minutes", conf, "--from", str(path)])
    assert result.exit_code == 1
    assert f"discussions.case_discussions[1].summary (case {case_id})" in result.output
    assert "Wambui" not in result.output and "Wawa" not in result.output
    warned = invoke(["conference", "minutes", conf, "--from", str(path), "--allow-names"])
    assert warned.exit_code == 0 and "Warning: a child's name appears" in warned.output


def test_names_inside_other_words_are_not_flagged(store, tmp_path):
    case_id = _case(store, first="Ali", nickname="Ali")
    conf = _new_conference()
    _ok(["conference", "add-case", conf, case_id])
    path = tmp_path / "minutes.yaml"
    path.write_text(
        yamlio.dumps(
            {
                "discussions": {
                    "case_discussions": [{"case_id": case_id, "summary": "Quality of care is good; totally fine."}]
                }
            }
        )
    )
    assert invoke(["conference", "minutes", conf, "--from", str(path)]).exit_code == 0


@pytest.mark.slow
def test_too_many_cases_refused_internal_warned_external(store):
    ids = [_case(store, first=f"Child{n}x") for n in range(7)]
    internal = _new_conference("internal")
    for case_id in ids[:6]:
        _ok(["conference", "add-case", internal, case_id])
    refused = invoke(["conference", "add-case", internal, ids[6]])
    assert refused.exit_code == 1 and "at most 6 cases" in refused.output
    external = _new_conference("external")
    for case_id in ids[:4]:
        _ok(["conference", "add-case", external, case_id])
    warned = invoke(["conference", "add-case", external, ids[4]])
    assert warned.exit_code == 0 and "Warning: a external conference takes at most 4" in warned.output


def test_checklist_flags_late_invitations(store):
    conf = _new_conference()
    _ok(["conference", "add-participant", conf, "Late Person", "--invited", "2026-03-08"])
    shown = _ok(["conference", "show", conf])
    assert "[MISSING] Invitations sent by 2026-03-03: not yet or late: Late Person" in shown
    assert "[MISSING] Participants: 5 to 10: 1 participant(s)" in shown


def test_participant_name_can_come_from_standard_input(store):
    """Security review, round 1 (low): names typed as arguments stay in shell history."""
    conf = _new_conference()
    out = _ok(
        ["conference", "add-participant", conf, "--role", "parent", "--invited", "2026-03-01"], input="Mama Wanjiru\n"
    )
    assert "Mama Wanjiru added" in out
    assert "Mama Wanjiru" in _ok(["conference", "show", conf])
    empty = invoke(["conference", "add-participant", conf], input="\n")
    assert empty.exit_code == 2 and "NAME" in empty.output


def _decision(session, case_id: str, day: str, kind: str, conference_id: str = "") -> None:
    fields = {"decision.kind": kind, "decision.conference_date": dt.date.fromisoformat(day)}
    if conference_id:
        fields["decision.conference_id"] = conference_id
    body = minimal_body("conference-decision", fields, day=day)
    cases.record_form(session, case_id, "conference-decision", body, today=dt.date(2026, 3, 1))


def test_conference_list_carries_hand_recorded_decisions_in_json_and_csv(store):
    """Issue 16 item 11: decisions recorded by hand were in the table only, not in what scripts read."""
    first, second = _case(store), _case(store, first="Kamande", nickname="Kama")
    conf = _new_conference()
    _ok(["conference", "add-case", conf, first])
    _decision(store, second, "2026-02-20", "family_choice")  # held on paper: no conference record
    _decision(store, first, "2026-02-10", "other")
    _decision(store, first, "2026-02-25", "closure_approval", conference_id=conf)  # names a record: not by hand
    rows = json.loads(_ok(["conference", "list", "--format", "json"]))
    assert rows == [
        {
            "conference": conf,
            "date": "2026-03-10",
            "kind": "internal",
            "chair": "Mary Case-Manager",
            "cases": 1,
            "status": "open",
            "recorded_by_hand": False,
            "case": None,
            "decision": None,
        },
        *(
            {
                "conference": None,
                "date": day,
                "kind": None,
                "chair": None,
                "cases": 1,
                "status": None,
                "recorded_by_hand": True,
                "case": case_id,
                "decision": kind,
            }
            for day, case_id, kind in [("2026-02-10", first, "other"), ("2026-02-20", second, "family_choice")]
        ),
    ]
    table = csv.reader(io.StringIO(_ok(["conference", "list", "--format", "csv"])))
    assert list(table) == [
        ["conference", "date", "kind", "chair", "cases", "status", "recorded_by_hand", "case", "decision"],
        [conf, "2026-03-10", "internal", "Mary Case-Manager", "1", "open", "False", "", ""],
        ["", "2026-02-10", "", "", "1", "", "True", first, "other"],
        ["", "2026-02-20", "", "", "1", "", "True", second, "family_choice"],
    ]
    shown = _ok(["conference", "list"])  # the table shows the same items
    assert f"2026-02-10  case {first}  other" in shown and f"2026-02-20  case {second}  family_choice" in shown
    assert "closure_approval" not in shown


def test_conference_list_of_hand_recorded_decisions_only_is_not_empty_in_json(store):
    case_id = _case(store)
    _decision(store, case_id, "2026-02-20", "family_choice")
    rows = json.loads(_ok(["conference", "list", "--format", "json"]))
    assert [(r["recorded_by_hand"], r["case"], r["conference"]) for r in rows] == [(True, case_id, None)]
    assert len(list(csv.reader(io.StringIO(_ok(["conference", "list", "--format", "csv"]))))) == 2
