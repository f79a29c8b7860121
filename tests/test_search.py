"""Finding a child as people type: several name parts in any order, near misses offered, ids with a slip."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers import invoke, use_store

from cmtk.casework import cases
from cmtk.errors import CmtkError
from cmtk.index import summary
from cmtk.store import ids

TODAY = dt.date(2026, 11, 24)


def _child(session, first: str, surname: str, nickname: str = "", other: str = "") -> str:
    body = {"biographical": {"first_name": first, "surname": surname, "sex": "male", "date_of_birth": "2014-02-03"}}
    if nickname:
        body["biographical"]["nickname"] = nickname
    if other:
        body["biographical"]["other_names"] = other
    return cases.open_case(session, body, today=TODAY)


@pytest.fixture
def store(tmp_path, monkeypatch):
    session = use_store(tmp_path, monkeypatch, TODAY.isoformat())
    session.made = {  # type: ignore[attr-defined]
        "kito": _child(session, "Kito", "Ouma", other="Baraka"),
        "akinyi": _child(session, "Akinyi", "Ouma", nickname="Aki"),
        "otieno": _child(session, "Otieno", "Kamau"),
    }
    return session


def test_several_parts_in_any_order_find_the_child(store):
    assert [c.id for c in summary.find_cases(store, "Kito Ouma")] == [store.made["kito"]]
    assert [c.id for c in summary.find_cases(store, "ouma   KITO")] == [store.made["kito"]]
    assert [c.id for c in summary.find_cases(store, "baraka ouma")] == [store.made["kito"]]
    assert sorted(c.id for c in summary.find_cases(store, "Ouma")) == sorted([store.made["kito"], store.made["akinyi"]])
    assert summary.find_cases(store, "Kito Kamau") == []  # every part must be in the same child's names


def test_a_near_miss_is_offered_not_taken(store):
    found = summary.search_names(store, "Kitto")
    assert found.matches == [] and [c.id for c in found.near] == [store.made["kito"]]
    found = summary.search_names(store, "Ouma Kitto")
    assert [c.id for c in found.near] == [store.made["kito"]]
    assert summary.search_names(store, "Zzyzx").near == []


def test_case_find_prints_close_names_and_fails(store):
    result = invoke(["case", "find", "Kitto Ouma"])
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == "No case matches exactly. Close to it:"
    assert result.output.splitlines()[1].startswith(store.made["kito"])
    assert invoke(["case", "find", "ouma kito"]).exit_code == 0


def test_one_character_off_ids_get_did_you_mean(store):
    real = store.made["otieno"]
    wrong = real[:3] + ("X" if real[3] != "X" else "Y") + real[4:]
    swapped = real[:2] + real[3] + real[2] + real[4:]
    assert ids.one_off(wrong, store.store.case_ids()) == [real]
    if swapped != real:
        assert real in ids.one_off(swapped, store.store.case_ids())
    with pytest.raises(CmtkError, match=f"did you mean {real}\\?"):
        cases.read_case(store, wrong)
    shown = invoke(["case", "show", wrong])
    assert shown.exit_code == 1 and f"did you mean {real}?" in shown.output


def test_no_suggestion_for_an_id_far_from_every_case():
    assert ids.one_off("AAAAAAAA", ["K7Q2MX4P", "ZZZZZZZZ"]) == []
    assert ids.one_off("K7Q2MX4P", ["K7Q2MX4P"]) == []  # the same id is not a slip
