"""The one output layer: `--format table|json|csv|md` on every listing and report, JSON keys as documented.

Each command's JSON is checked against the shape declared beside it (which
docs/commands.md shows) on a TRAINING store with a conference and a conflict,
so that every list in the output has items to check.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json

import pytest
from helpers import invoke
from typer.main import get_command

from cmtk.casework import cases, conference, plan
from cmtk.cli import output
from cmtk.cli.main import register
from cmtk.cli.output import Format, OneOf, mismatches
from cmtk.dev import demo
from cmtk.store.session import Store

TODAY = "2026-11-24"
# Every listing and report (issue 14): the commands that must offer --format.
LISTINGS = [
    "case list",
    "case find",
    "case show",
    "team list",
    "conference list",
    "plan show",
    "conflicts",
    "steps",
    "step",
    "form list",
    "smart check",
    "smart text",
    "report overdue",
    "report benchmarks",
    "report caseload",
    "doctor",
]


def _commands():
    def walk(command, path):
        for name, sub in getattr(command, "commands", {}).items():
            yield " ".join([*path, name]), sub
            yield from walk(sub, [*path, name])

    return dict(walk(get_command(register()), []))


def _format_option(command):
    return next((p for p in command.params if "--format" in getattr(p, "opts", ())), None)


@pytest.mark.parametrize("name", LISTINGS)
def test_every_listing_offers_the_four_formats_and_documents_its_json(name):
    command = _commands()[name]
    option = _format_option(command)
    assert option is not None, f"`cmtk {name}` has no --format"
    assert list(option.type.choices)[:4] == [f.value for f in Format]  # report overdue adds ics
    assert option.default == "table"
    assert output.shape_of(command.callback) is not None, f"`cmtk {name}` declares no JSON keys (@json_keys)"
    section = _reference().split(f"\n## cmtk {name}\n", 1)[1].split("\n## ", 1)[0]
    assert "keys of `--format json`" in section


def test_any_command_with_the_shared_format_option_documents_its_json():
    shared = [f.value for f in Format]
    for name, command in _commands().items():
        option = _format_option(command)
        if option is not None and list(getattr(option.type, "choices", ())) == shared:
            assert output.shape_of(command.callback) is not None, name


def _reference() -> str:
    from cmtk.cli import dev

    return dev.markdown()


# -- a store where every list has something in it --------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("output")
    built = demo.build(folder / "demo", today=dt.date.fromisoformat(TODAY))
    session = Store(built.store).unlock(built.identity)
    case_ids = sorted(session.store.case_ids())
    conference_id = conference.create(session, day=dt.date(2026, 12, 1), kind="internal", chair="X")
    conference.add_case(session, conference_id, case_ids[0])
    record = cases.read_case(session, case_ids[0]).latest("identification")
    conflict = {"field": "biographical.nickname", "kept": "a", "other": "b", "kept_by": "A", "other_by": "B"}
    session.save(case_ids[0], [dataclasses.replace(record, extra={"conflicts": [conflict]})], "update")
    (built.store / "notes.txt").write_text("plaintext that should not be here\n")  # for doctor to find
    env = {"CMTK_STORE": str(built.store), "CMTK_IDENTITY": str(built.identity), "CMTK_TODAY": TODAY}
    with_plan = next(c for c in case_ids if cases.read_case(session, c).latest("case-plan"))
    today = dt.date.fromisoformat(TODAY)
    plan.add_goal(session, with_plan, phase="post", domain="health", goal="better health", today=today)  # not SMART
    reviewed = next(c for c in case_ids if cases.read_case(session, c).latest("case-review"))
    name = cases.read_case(session, case_ids[0]).biographical["first_name"]
    return {
        "env": env,
        "case": case_ids[0],
        "plan": with_plan,
        "reviewed": reviewed,
        "name": name,
        "root": built.folder,
    }


def _args(name: str, world) -> list[str]:
    extra = {
        "case find": [world["name"]],
        "case show": [world["case"], "--full"],
        "plan show": [world["plan"]],
        "step": [world["plan"]],
        "smart check": ["--all"],
        "smart text": ["improve the child's education by 01-01-2020"],
        "report overdue": ["--upcoming"],
    }
    return [*name.split(), *extra.get(name, [])]


def _json(name: str, world, *more: str):
    result = invoke([*_args(name, world), *more, "--format", "json"], env=world["env"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("name", LISTINGS)
def test_json_keys_are_the_documented_ones(name, world):
    shape = output.shape_of(_commands()[name].callback)
    data = _json(name, world)
    assert mismatches(shape, data) == []
    assert data, f"`cmtk {name}` printed nothing to check in this store"
    items = data if isinstance(data, list) else [v for v in data.values() if isinstance(v, list | dict) and v]
    assert items, f"`cmtk {name}` has no list with items to check"


def test_benchmarks_of_one_case_have_the_case_keys(world):
    shape = output.shape_of(_commands()["report benchmarks"].callback)
    data = _json("report benchmarks", world, world["reviewed"])
    assert isinstance(shape, OneOf)
    assert mismatches(shape["with a CASE"], data) == []


def test_conference_list_holds_records_and_hand_recorded_decisions_each_to_its_own_keys(world):
    """Issue 16 item 11: the decisions recorded by hand (the demo has some) are rows of the JSON too."""
    shape = output.shape_of(_commands()["conference list"].callback)[0]
    data = _json("conference list", world)
    held, by_hand = shape.values()
    assert [mismatches(held, row) for row in data if not row["recorded_by_hand"]] == [[]]
    assert [mismatches(by_hand, row) for row in data if row["recorded_by_hand"]] == [[]] * (len(data) - 1)
    assert len(data) > 2 and mismatches(by_hand, data[0]) != []  # the flag tells the two kinds of row apart


@pytest.mark.parametrize("name", LISTINGS)
def test_csv_and_markdown_are_flat_rows_under_a_header(name, world):
    args = _args(name, world)
    as_csv = invoke([*args, "--format", "csv"], env=world["env"])
    assert as_csv.exit_code in (0, 1), as_csv.output
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows and all(len(row) == len(rows[0]) for row in rows), as_csv.stdout
    markdown = invoke([*args, "--format", "md"], env=world["env"]).stdout.splitlines()
    assert markdown[0].startswith("| ") and set(markdown[1]) <= {"|", "-"}
    assert len(markdown) == len(rows) + 1


def test_a_format_that_does_not_exist_is_a_usage_error(world):
    result = invoke(["case", "list", "--format", "xml"], env=world["env"])
    assert result.exit_code == 2 and "xml" in result.output


def test_the_table_is_the_default_and_unchanged_by_the_option(world):
    plain = invoke(["form", "list"], env=world["env"]).stdout
    assert plain == invoke(["form", "list", "--format", "table"], env=world["env"]).stdout
    assert plain.startswith("FORM ")


def test_exit_status_does_not_depend_on_the_format(world):
    for fmt in ("table", "json", "csv", "md"):
        assert invoke(["case", "find", "Zzzqx", "--format", fmt], env=world["env"]).exit_code == 1
        assert invoke(["smart", "check", "--all", "--format", fmt], env=world["env"]).exit_code == 1


def test_doctor_json_lists_findings_with_where_code_and_message(world):
    result = invoke(["doctor", "--format", "json"], env=world["env"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert {(f["where"], f["code"]) for f in data["findings"]} == {
        ("notes.txt", "unexpected-file"),
        ("notes.txt", "uncommitted"),
    }


# -- the shape language itself --------------------------------------------------------------------


def test_shapes_catch_an_undocumented_or_missing_key_and_a_wrong_kind():
    shape = {"case": "id", "due": "date", "note?": "text", "by_step": {"<step>": "int"}, "items": [{"n": "int"}]}
    good = {"case": "K7Q2MX4P", "due": "2026-11-24", "by_step": {"1": 2}, "items": [{"n": 1}]}
    assert mismatches(shape, good) == []
    assert mismatches(shape, {**good, "extra": 1}) == ["$: key 'extra' is not documented"]
    assert mismatches(shape, {k: v for k, v in good.items() if k != "due"}) == ["$: key 'due' is missing"]
    assert mismatches(shape, {**good, "due": "24-11-2026"}) == ["$.due: '24-11-2026' is not date"]
    assert mismatches(shape, {**good, "items": [{"n": True}]}) == ["$.items[0].n: True is not int"]
    assert mismatches(shape, {**good, "by_step": {"1": "x"}}) == ["$.by_step.1: 'x' is not int"]
    assert mismatches(OneOf(a={"x": "int"}, b={"y": "int"}), {"y": 1}) == []
    assert mismatches(OneOf(a={"x": "int"}, b={"y": "int"}), {"z": 1}) != []
    flagged = [OneOf(a={"x": "int", "by_hand": "false"}, b={"x": "null", "by_hand": "true"})]
    assert mismatches(flagged, [{"x": 1, "by_hand": False}, {"x": None, "by_hand": True}]) == []
    assert mismatches(flagged, [{"x": 1, "by_hand": True}]) != []
    assert output.describe(flagged).startswith("[item, ...], each item one of:\na:\n{")


def test_emit_prints_each_format(capsys):
    @dataclasses.dataclass
    class Result:
        day: object

        def to_json(self):
            return {"day": self.day, "pairs": (1, 2)}

        def to_rows(self):
            return ["day", "what"], [[self.day, "a|b"]]

    result = Result(dt.date(2026, 11, 24))
    output.emit(result, Format.json, lambda r: ["unused"])
    assert json.loads(capsys.readouterr().out) == {"day": "2026-11-24", "pairs": [1, 2]}
    output.emit(result, Format.csv, lambda r: ["unused"])
    assert capsys.readouterr().out == "day,what\r\n2026-11-24,a|b\r\n"
    output.emit(result, Format.md, lambda r: ["unused"])
    assert capsys.readouterr().out == "| day | what |\n|---|---|\n| 2026-11-24 | a/b |\n"
    output.emit(result, Format.table, lambda r: [f"on {r.day}"])
    assert capsys.readouterr().out == "on 2026-11-24\n"
