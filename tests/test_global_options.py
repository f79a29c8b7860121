"""--store, --identity and --debug are accepted after the subcommand too (cmtk.cli.global_options)."""

from __future__ import annotations

import pytest
import typer
from helpers import invoke, make_store, minimal_body, run_cmtk

from cmtk.casework import cases
from cmtk.cli.global_options import MissingValue, hoist_global_options
from cmtk.cli.main import register


@pytest.fixture(scope="module")
def root():
    return typer.main.get_command(register())


@pytest.mark.parametrize(
    "args, expected",
    [
        (["case", "list", "--store", "S", "--status", "open"], ["--store", "S", "case", "list", "--status", "open"]),
        (["case", "list", "--identity=K", "--debug"], ["--identity=K", "--debug", "case", "list"]),
        (["report", "overdue", "--store", "S"], ["--store", "S", "report", "overdue"]),
        (["case", "new", "--from", "--store"], ["case", "new", "--from", "--store"]),  # the value of --from
        (["case", "find", "--", "--store", "S"], ["case", "find", "--", "--store", "S"]),  # nothing after --
        (["--store", "S", "case", "list"], ["--store", "S", "case", "list"]),  # already in front
        (["--store", "case", "case", "list"], ["--store", "case", "case", "list"]),  # a store folder called case
        (["nosuch", "--store", "S"], ["nosuch", "--store", "S"]),  # click reports the unknown command
        (["case", "list", "-h"], ["case", "list", "-h"]),
    ],
)
def test_global_options_after_the_subcommand_move_to_the_front(root, args, expected):
    assert hoist_global_options(root, args) == expected


def test_a_global_option_without_its_value_is_reported(root):
    with pytest.raises(MissingValue):
        hoist_global_options(root, ["case", "list", "--store"])
    result = invoke(["case", "list", "--identity"])
    assert result.exit_code == 2 and "Option '--identity' requires an argument" in result.output


def test_store_and_identity_after_the_subcommand(tmp_path):
    session, key = make_store(tmp_path)
    case_id = cases.create_case(session, "identification", minimal_body("identification"))
    result = invoke(["case", "list", "--store", str(session.store.root), "--identity", str(key)])
    assert result.exit_code == 0, result.output
    assert case_id in result.output
    real = run_cmtk(["case", "show", case_id, f"--store={session.store.root}", "--identity", str(key), "--debug"])
    assert real.returncode == 0, real.stderr
    assert case_id in real.stdout
