"""Field-by-field merge of one record's content (cmtk.team.merge): rules, with fixed values."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cmtk.team import merge


def _record(body: dict, updated: str = "2026-11-01T09:00:00+00:00") -> dict:
    return {
        "cmtk_record": 1,
        "case": "AB12CD34",
        "record": "R1",
        "form": "case-plan",
        "key_generation": 1,
        "created": "2026-10-01T09:00:00+00:00",
        "updated": updated,
        "body": body,
    }


def _pair(base: dict):
    return copy.deepcopy(base), copy.deepcopy(base)


def test_changes_to_different_fields_are_both_kept():
    base = _record({"family": {"phone": "0700", "village": "A"}})
    ours, theirs = _pair(base)
    ours["body"]["family"]["phone"] = "0711"
    theirs["body"]["family"]["village"] = "B"
    merged = merge.merge_record(base, ours, theirs)
    assert merged.content["body"] == {"family": {"phone": "0711", "village": "B"}}
    assert merged.new_conflicts == [] and "conflicts" not in merged.content


def _set(envelope: dict, path: str, value, when: str, who: str) -> None:
    """Change a field as Session.save does: the value and that field's own stamp."""
    merge.set_field(envelope, path, value)
    envelope.setdefault(merge.STAMPS, {})[path] = [when, who]
    envelope["updated"], envelope["updated_by"] = when, who


def test_same_field_keeps_the_later_update_and_lists_the_other():
    base = _record({"family": {"phone": "0700"}})
    ours, theirs = _pair(base)
    _set(ours, "body.family.phone", "0711", "2026-11-02T08:00:00+00:00", "Amina")
    _set(theirs, "body.family.phone", "0722", "2026-11-03T08:00:00+00:00", "Baraka")
    merged = merge.merge_record(base, ours, theirs)
    assert merged.content["body"]["family"]["phone"] == "0722"
    assert merged.content["conflicts"] == [
        {
            "field": "body.family.phone",
            "other": "0711",
            "other_by": "Amina, 2026-11-02",
            "other_at": "2026-11-02T08:00:00+00:00",
        }
    ]
    assert merged.content[merge.STAMPS] == {"body.family.phone": ["2026-11-03T08:00:00+00:00", "Baraka"]}
    assert merged.content["updated"] == "2026-11-03T08:00:00+00:00"
    # the other laptop merging the same pair the other way round gets the same record
    mirrored = merge.merge_record(base, theirs, ours)
    assert mirrored.content == merged.content


def test_saved_last_is_decided_per_field_not_per_record():
    """Issue 21, item 3: Amina's older nickname must not win because she edited another field later."""
    base = _record({"bio": {"nickname": "N", "religion": "R"}})
    ours, theirs = _pair(base)
    _set(ours, "body.bio.nickname", "Old", "2026-11-02T08:00:00+00:00", "Amina")
    _set(theirs, "body.bio.nickname", "New", "2026-11-03T08:00:00+00:00", "Baraka")
    _set(ours, "body.bio.religion", "Other", "2026-11-04T08:00:00+00:00", "Amina")  # later, another field
    for merged in (merge.merge_record(base, ours, theirs), merge.merge_record(base, theirs, ours)):
        assert merged.content["body"]["bio"] == {"nickname": "New", "religion": "Other"}
        (entry,) = merged.content["conflicts"]
        assert entry["other"] == "Old" and entry["other_by"] == "Amina, 2026-11-02"
        assert merged.content[merge.STAMPS]["body.bio.nickname"] == ["2026-11-03T08:00:00+00:00", "Baraka"]
        assert merged.content[merge.STAMPS]["body.bio.religion"] == ["2026-11-04T08:00:00+00:00", "Amina"]


def test_a_listed_value_that_is_current_again_is_dropped_and_each_value_listed_once():
    base = _record({"x": "a"})
    base["conflicts"] = [{"field": "body.x", "other": "b", "other_by": "B, 2026-11-02", "other_at": "2026-11-02"}]
    ours, theirs = _pair(base)
    _set(ours, "body.x", "b", "2026-11-05T08:00:00+00:00", "A")  # ours typed the listed value in
    _set(theirs, "body.x", "c", "2026-11-04T08:00:00+00:00", "C")
    merged = merge.merge_record(base, ours, theirs).content
    assert merged["body"]["x"] == "b"
    assert [e["other"] for e in merged["conflicts"]] == ["c"]  # b is current; a was never written since base


def test_rows_with_ids_merge_row_by_row():
    base = _record({"actions": [{"goal_id": "1", "action_id": "1.1", "action": "visit", "status": "open"}]})
    ours, theirs = _pair(base)
    ours["body"]["actions"][0]["status"] = "done"
    theirs["body"]["actions"][0]["action"] = "visit the family"
    merged = merge.merge_record(base, ours, theirs)
    assert merged.content["body"]["actions"] == [
        {"goal_id": "1", "action_id": "1.1", "action": "visit the family", "status": "done"}
    ]


def _plan(goals: list, actions: list) -> dict:
    return _record({"plan": {"phase": "pre_placement", "goals": goals, "actions": actions}})


def test_goals_added_on_both_sides_with_the_same_number_stay_two_goals_and_keep_their_numbers():
    base = _plan([{"goal_id": "1", "ref": "AAAAAA", "goal": "school"}], [])
    ours, theirs = _pair(base)
    ours["body"]["plan"]["goals"].append({"goal_id": "2", "ref": "BBBBBB", "goal": "health"})
    theirs["body"]["plan"]["goals"].append({"goal_id": "2", "ref": "CCCCCC", "goal": "income"})
    kiosk = {"goal_id": "2", "action_id": "2.1", "ref": "DDDDDD", "goal_ref": "CCCCCC", "action": "start a kiosk"}
    theirs["body"]["plan"]["actions"].append(kiosk)
    merged = merge.merge_record(base, ours, theirs).content["body"]["plan"]
    assert sorted((g["goal_id"], g["ref"], g["goal"]) for g in merged["goals"]) == [
        ("1", "AAAAAA", "school"),
        ("2", "BBBBBB", "health"),
        ("2", "CCCCCC", "income"),
    ]
    assert merged["actions"] == [kiosk]  # nothing renamed: the action still points at its own goal


def test_rows_of_older_records_get_the_same_derived_refs_everywhere():
    """Rows written before refs existed: every laptop derives the same ref, so old and new versions merge."""
    old = _plan(
        [{"goal_id": "1", "goal": "school"}], [{"goal_id": "1", "action_id": "1.1", "action": "fees", "status": "open"}]
    )
    ours, theirs = _pair(old)
    merge.rows.migrate(ours["body"], ours["record"])  # this laptop already rewrote the record with refs
    ours["body"]["plan"]["actions"][0]["status"] = "done"
    theirs["body"]["plan"]["actions"][0]["action"] = "school fees"  # the other one edits the old version
    merged = merge.merge_record(old, ours, theirs)
    (action,) = merged.content["body"]["plan"]["actions"]
    assert action["status"] == "done" and action["action"] == "school fees" and merged.new_conflicts == []
    assert action["goal_ref"] == merged.content["body"]["plan"]["goals"][0]["ref"]


def test_appended_events_from_both_sides_in_date_order():
    event = lambda day, what: {"date": dt.date(2026, 11, day), "what": what}  # noqa: E731
    base = _record({"events": [event(1, "opened")]})
    ours, theirs = _pair(base)
    ours["body"]["events"].append(event(5, "visit"))
    theirs["body"]["events"].append(event(3, "call"))
    merged = merge.merge_record(base, ours, theirs).content["body"]["events"]
    assert [e["what"] for e in merged] == ["opened", "call", "visit"]


def test_a_resolved_conflict_stays_resolved_after_the_next_merge():
    entry = {"field": "body.x", "other": 2}
    base = _record({"x": 1, "y": 0})
    base["conflicts"] = [entry]
    ours, theirs = _pair(base)
    del ours["conflicts"]  # resolved on this laptop
    theirs["body"]["y"] = 5
    merged = merge.merge_record(base, ours, theirs).content
    assert "conflicts" not in merged and merged["body"] == {"x": 1, "y": 5}


def test_field_paths_with_dotted_row_ids():
    content = _record({"actions": [{"goal_id": "1", "action_id": "1.2", "status": "open"}]})
    assert merge.field_value(content, "body.actions[1.2].status") == "open"
    assert merge.set_field(content, "body.actions[1.2].status", "done")
    assert content["body"]["actions"][0]["status"] == "done"
    assert not merge.set_field(content, "body.actions[9.9].status", "done")


values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5)),
    lambda inner: st.dictionaries(st.sampled_from("abcd"), inner, max_size=3),
    max_leaves=8,
)


@pytest.mark.slow  # two hundred generated examples
@settings(max_examples=200, deadline=None)
@given(
    base=st.dictionaries(st.sampled_from("abcd"), values, max_size=4),
    ours=st.dictionaries(st.sampled_from("abcd"), values, max_size=4),
)
def test_a_side_unchanged_since_base_gives_the_other_side(base, ours):
    merged = merge.merge_record(_record(base), _record(ours), _record(base))
    assert merged.content["body"] == ours and merged.new_conflicts == []
    merged = merge.merge_record(_record(base), _record(base), _record(ours))
    assert merged.content["body"] == ours


@pytest.mark.slow  # two hundred generated examples
@settings(max_examples=200, deadline=None)
@given(
    base=st.dictionaries(st.sampled_from("abcd"), values, max_size=4),
    ours=st.dictionaries(st.sampled_from("abcd"), values, max_size=4),
    theirs=st.dictionaries(st.sampled_from("abcd"), values, max_size=4),
)
def test_both_laptops_get_the_same_merge(base, ours, theirs):
    one = merge.merge_record(_record(base), _record(ours, "2026-11-02"), _record(theirs, "2026-11-03")).content
    two = merge.merge_record(_record(base), _record(theirs, "2026-11-03"), _record(ours, "2026-11-02")).content
    assert one["body"] == two["body"]
    assert sorted(map(str, one.get("conflicts", []))) == sorted(map(str, two.get("conflicts", [])))
