"""The TRAINING store: every stage present, doctor-clean, something overdue, a case ready to close."""

from __future__ import annotations

import json

import pytest
from helpers import run_cmtk

from cmtk.casework import cases, workflow
from cmtk.dev import demo
from cmtk.store.session import Store

pytestmark = pytest.mark.slow  # every test here reads the demo store, twelve cases with their histories


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "demo"
    result = run_cmtk(["demo", str(folder), "--as-of", "2026-11-24"])
    assert result.returncode == 0, result.stderr
    return folder


def _run(built, *args):
    return run_cmtk(list(args), cwd=built, env={"CMTK_TODAY": "2026-11-24"})


def test_demo_passes_doctor(built):
    result = _run(built, "doctor")
    assert result.returncode == 0, result.stdout + result.stderr


def test_demo_has_a_case_at_every_stage(built):
    session = Store(built / "store").unlock(built / "demo-identity.txt")
    found = [cases.read_case(session, c) for c in session.store.case_ids()]
    steps = {workflow.step_of(c) for c in found if c.status == "open"}
    assert {1, 2, 3, 4, 5, 7} <= steps
    assert {"open", "closed", "transferred"} == {c.status for c in found}
    assert len(found) == len(demo._data()["children"]) == 12
    forms_used = {r.form for c in found for r in c.records}
    assert {"case-review", "case-review-young-person", "monitoring", "placement", "case-plan", "closure"} <= forms_used


def test_demo_overdue_report_has_work_and_says_training(built):
    result = _run(built, "report", "overdue", "--format", "json")
    assert "TRAINING" in result.stderr
    kinds = {i["kind"] for i in json.loads(result.stdout)["items"]}
    assert "monitoring-visit" in kinds  # the child whose last visit was missed


def test_demo_case_ready_for_closure_can_close(built, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(built, copy)
    session = Store(copy / "store").unlock(copy / "demo-identity.txt")
    ready = [
        c
        for c in (cases.read_case(session, i) for i in session.store.case_ids())
        if c.latest("closure") and c.status == "open"
    ]
    assert len(ready) == 1
    result = run_cmtk(["advance", ready[0].id], cwd=copy, env={"CMTK_TODAY": "2026-11-24"})
    assert result.returncode == 0, result.stderr
    assert "The case is closed" in result.stdout
