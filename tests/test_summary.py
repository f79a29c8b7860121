"""The encrypted summary index: ciphertext only, refreshed when records change, never trusted over them."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers import CANARIES, add_canary_case, invoke, make_store, minimal_body

from cmtk.casework import cases
from cmtk.index import summary
from cmtk.store import crypto, doctor


def test_index_is_ciphertext_outside_the_tracked_tree(tmp_path):
    session, _ = make_store(tmp_path)
    add_canary_case(session)
    rows = summary.load(session)
    path = summary.index_path(session)
    for data in (path.read_bytes(), path.with_name(summary.LARGE_FILE).read_bytes()):
        assert crypto.is_encrypted(data)
        assert all(name.encode() not in data for name in CANARIES)
    assert CANARIES[0] in next(iter(rows.values()))["names"]
    assert (
        ".git/cmtk"
        not in __import__("subprocess")
        .run(["git", "-C", str(session.store.root), "ls-files"], capture_output=True, text=True)
        .stdout
    )


def test_changed_case_is_reread_alone_and_removed_case_dropped(tmp_path, monkeypatch):
    session, _ = make_store(tmp_path)
    first = cases.open_case(session, minimal_body("identification"), today=dt.date(2026, 1, 5))
    second = cases.open_case(session, minimal_body("identification"), today=dt.date(2026, 1, 5))
    summary.load(session)
    read = []
    real = summary.summarise_case
    monkeypatch.setattr(summary, "summarise_case", lambda s, c, p: read.append(c) or real(s, c, p))
    cases.record_form(session, second, "child-assent", minimal_body("child-assent"), today=dt.date(2026, 1, 5))
    rows = summary.load(session)
    assert read == [second]
    assert set(rows) == {first, second}
    read.clear()
    summary.load(session)
    assert read == []


def test_garbage_index_is_rebuilt_and_wrong_entry_found_by_doctor(tmp_path):
    session, _ = make_store(tmp_path)
    case_id = cases.open_case(session, minimal_body("identification"), today=dt.date(2026, 1, 5))
    summary.index_path(session).parent.mkdir(parents=True, exist_ok=True)
    summary.index_path(session).write_bytes(b"not an index")
    assert case_id in summary.load(session)
    index = summary._read(session)
    index.rows[case_id]["worker"] = "Somebody Else"
    summary._write(session, index)
    findings = [f for f in doctor.check(session) if f.code == "index"]
    assert findings and case_id in findings[0].message
    assert (
        invoke(
            ["--store", str(session.store.root), "--identity", str(tmp_path / "amina.key"), "index", "rebuild"]
        ).exit_code
        == 0
    )
    assert [f for f in doctor.check(session) if f.code == "index"] == []


def test_policy_change_makes_every_summary_stale(tmp_path):
    session, _ = make_store(tmp_path)
    cases.open_case(session, minimal_body("identification"), today=dt.date(2026, 1, 5))
    before = summary.load(session)
    due_before = next(iter(before.values()))["due"]
    policy = session.store.root / ".cmtk" / "policy.yaml"
    policy.write_text(policy.read_text().replace("initial_at_most: {hours: 48}", "initial_at_most: {hours: 72}"))
    due_after = next(iter(summary.load(session).values()))["due"]
    assert due_before != due_after


@pytest.mark.slow
def test_parallel_rebuild_matches_serial(tmp_path):
    session, _ = make_store(tmp_path)
    for _ in range(60):
        cases.create_case(session, "identification", minimal_body("identification"), dt.date(2026, 1, 5))
    assert summary.rebuild(session, processes=2) == 60
    parallel = summary._read(session).rows
    summary.rebuild(session, processes=1)
    assert summary._read(session).rows == parallel


def test_benchmark_totals_come_from_the_index(tmp_path, monkeypatch):
    """Issue 8: reports read summaries, not every record; a review shows up once its case changed."""
    from cmtk.index import reports

    session, _ = make_store(tmp_path)
    case_id = cases.open_case(session, minimal_body("identification"), today=dt.date(2026, 1, 5))
    assert reports.caseload_benchmarks(session)["cases_reviewed"] == 0
    from cmtk.forms import definitions

    form = definitions.load_form("case-review")
    body = {s.id: {f.name: "yes" for f in s.fields if f.indicator} for s in form.sections if s.domain}
    body["review"] = {"review_date": dt.date(2026, 1, 5)}
    cases.record_form(session, case_id, "case-review", body, today=dt.date(2026, 1, 5))
    summary.load(session)  # the changed case is read again, once
    monkeypatch.setattr(cases, "read_case", lambda *a: (_ for _ in ()).throw(AssertionError("cold read")))
    result = reports.caseload_benchmarks(session)
    assert result["cases_reviewed"] == 1 and result["achieved"]["education"] == 1
    assert reports.caseload_benchmarks(session, [case_id])["cases"][0].closure_ready
