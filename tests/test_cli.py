"""The command line: in-process through typer's runner and as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from helpers import CANARY_FIRST, invoke, make_identity, make_store, run_cmtk, run_in_process


def test_version_is_lean():
    """`cmtk --version` must not import the heavy libraries (performance.md)."""
    script = (
        "import sys\n"
        "from cmtk.cli.main import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "heavy = {'git', 'jinja2', 'ruamel', 'pydantic', 'weasyprint', 'rich', 'pyrage'}\n"
        "import json; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & heavy)))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    lines = out.strip().splitlines()
    assert lines[0].startswith("cmtk ")
    assert json.loads(lines[-1]) == []


def test_init_creates_identity_store_and_prints_key(tmp_path):
    result = invoke(["init", str(tmp_path / "s"), "--org", "Tumaini CCI", "--name", "Amina"])
    assert result.exit_code == 0, result.output
    assert "Created your identity" in result.output
    assert "age1" in result.output
    key_path = tmp_path.parent / "home" / "config" / "identity.txt"
    assert (tmp_path / "s" / ".cmtk" / "settings.yaml").is_file()
    shown = invoke(["--store", str(tmp_path / "s"), "team", "list"])
    assert shown.exit_code == 0 and shown.output.startswith("Amina (case manager)\tage1")
    del key_path


def test_init_refuses_non_empty_folder_with_one_line(tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "x").write_text("x")
    result = invoke(["init", str(tmp_path / "s"), "--org", "CCI"])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0
    assert result.output.startswith("Error: ") and "not empty" in result.output
    coded = invoke(["--debug", "init", str(tmp_path / "s"), "--org", "CCI"])
    assert "(error code: store-folder-not-empty)" in coded.output


def test_key_new_and_show(tmp_path):
    result = invoke(["--identity", str(tmp_path / "me.txt"), "key", "new"])
    assert result.exit_code == 0 and "age1" in result.output
    shown = invoke(["--identity", str(tmp_path / "me.txt"), "key", "show"])
    assert "Passphrase: no" in shown.output and "AGE-SECRET" not in shown.output
    again = invoke(["--debug", "--identity", str(tmp_path / "me.txt"), "key", "new"])
    assert again.exit_code == 1 and "(error code: identity-exists)" in again.output


@pytest.mark.slow  # the passphrase's key derivation (scrypt), in a real process
def test_key_new_with_passphrase_warns_when_weak(tmp_path):
    """A weak passphrase is refused (security review round 4); --weak-passphrase keeps it, with a warning."""
    result = invoke(
        ["--identity", str(tmp_path / "me.age"), "key", "new", "--passphrase", "--weak-passphrase"],
        env={"CMTK_PASSPHRASE": "short"},
    )
    assert result.exit_code == 0
    assert "Warning: this passphrase is short" in result.output
    shown = invoke(["--identity", str(tmp_path / "me.age"), "key", "show"], env={"CMTK_PASSPHRASE": "short"})
    assert "Passphrase: yes" in shown.output


def test_world_readable_identity_is_refused_by_cli(tmp_path):
    session, key_path = make_store(tmp_path)
    os.chmod(key_path, 0o644)
    result = invoke(["--debug", "--store", str(session.store.root), "--identity", str(key_path), "case", "list"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "(error code: identity-readable-by-others)" in result.output


def test_no_store_found_suggests_init_and_demo(tmp_path):
    result = invoke(["--debug", "case", "list"])
    assert result.exit_code == 1 and "(error code: store-not-found)" in result.output
    assert "cmtk init" in result.output and "cmtk demo" in result.output


def test_usage_errors_exit_2():
    result = run_cmtk(["no-such-command"])
    assert result.returncode == 2
    result = run_cmtk(["--debug", "case", "show", "../../etc"])
    assert result.returncode == 2 and "(error code: case-id-format)" in result.stderr
    assert run_cmtk(["case", "show", "../../etc"]).stderr.count("\n") == 1  # the code only with --debug


def test_team_add_remove_through_cli(tmp_path):
    session, key_path = make_store(tmp_path)
    peter = make_identity(tmp_path / "peter.key")
    base = ["--store", str(session.store.root), "--identity", str(key_path)]
    added = invoke([*base, "team", "add", "Peter", peter.public, "--role", "caseworker"])
    assert added.exit_code == 0, added.output
    bad = invoke([*base, "--debug", "team", "add", "Mary", "ssh-ed25519 AAAA"])
    assert bad.exit_code == 1 and bad.output.startswith("Error: ") and "(error code: not-an-age-key)" in bad.output
    refused = run_cmtk([*base, "--debug", "team", "remove", "Peter"])
    assert refused.returncode == 2 and "(error code: team-remove-needs-yes)" in refused.stderr
    removed = invoke([*base, "team", "remove", "Peter", "--yes"])
    assert removed.exit_code == 0, removed.output
    assert "could read everything written before" in removed.output
    listing = invoke([*base, "team", "list"]).output
    assert "Peter" not in listing


def test_doctor_cli_exit_codes(tmp_path):
    session, key_path = make_store(tmp_path)
    base = ["--store", str(session.store.root), "--identity", str(key_path)]
    assert invoke([*base, "doctor"]).exit_code == 0
    (session.store.root / "leak.txt").write_text(CANARY_FIRST)
    result = invoke([*base, "doctor"])
    assert result.exit_code == 1 and "leak.txt" in result.output
    assert CANARY_FIRST not in result.output


def test_internal_errors_never_print_their_message(tmp_path, monkeypatch):
    session, key_path = make_store(tmp_path)
    import cmtk.casework.cases

    def explode(*args, **kwargs):
        raise ValueError(f"child {CANARY_FIRST} broke something")

    monkeypatch.setattr(cmtk.casework.cases, "read_case", explode)
    from cmtk.casework.cases import create_case

    create_case(session, "identification", {"a": {"b": 1}})
    base = ["--store", str(session.store.root), "--identity", str(key_path)]
    result = invoke([*base, "case", "list"])
    assert result.exit_code == 1
    assert "internal error (ValueError at" in result.output
    assert CANARY_FIRST not in result.output
    debug = invoke([*base, "--debug", "case", "list"])
    assert "in explode" in debug.output and CANARY_FIRST not in debug.output


@pytest.mark.slow
def test_demo_works_from_inside_its_folder_with_no_settings(tmp_path):
    made = run_cmtk(["demo", str(tmp_path / "demo")], env={"CMTK_TODAY": "2026-11-24"})
    assert made.returncode == 0, made.stderr
    assert not (tmp_path.parent / "home" / "config" / "identity.txt").exists()
    listing = run_cmtk(["case", "list"], cwd=tmp_path / "demo")
    assert listing.returncode == 0, listing.stderr
    assert "TRAINING" in listing.stderr
    assert "10 case(s)." in listing.stdout  # 12 children; closed and transferred are not listed by default
    case_id = listing.stdout.splitlines()[1].split()[0]
    shown = run_cmtk(["case", "show", case_id.lower()], cwd=tmp_path / "demo" / "store" / "cases")
    assert shown.returncode == 0 and "identification" in shown.stdout and "caseworker: " in shown.stdout
    assert run_cmtk(["doctor"], cwd=tmp_path / "demo").returncode == 0
    again = run_cmtk(["demo", str(tmp_path / "demo")])
    assert again.returncode == 1 and "not empty" in again.stderr


@pytest.mark.parametrize("args", [[], ["key"], ["team"], ["case"]])
def test_every_group_and_command_has_help(args):
    from typer.main import get_command

    from cmtk.cli.main import register

    def walk(command, path):
        yield path, command
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, [*path, name])

    root = get_command(register())
    for path, command in walk(root, []):
        if command.hidden:
            continue
        assert (command.help or "").strip(), f"cmtk {' '.join(path)} has no help"
        for param in command.params:
            if param.param_type_name == "option" or param.param_type_name == "argument":
                assert getattr(param, "help", None), f"cmtk {' '.join(path)} {param.name} has no help"
    result = invoke([*args, "--help"])
    assert result.exit_code == 0


def test_everything_cmtk_creates_is_private_to_its_owner(tmp_path):
    os.umask(0o022)  # a typical user umask: cmtk must tighten it itself
    made = run_cmtk(["demo", str(tmp_path / "demo")])
    assert made.returncode == 0, made.stderr
    loose = [str(p) for p in (tmp_path / "demo").rglob("*") if p.stat().st_mode & 0o077 and not p.is_symlink()]
    assert loose == []


@pytest.mark.slow
def test_warm_overdue_report_is_lean(tmp_path):
    """The Monday report reads the summary index: no GitPython, jinja2, ruamel, rich or pydantic."""
    made = run_cmtk(["demo", str(tmp_path / "demo")])
    assert made.returncode == 0
    assert run_cmtk(["report", "overdue"], cwd=tmp_path / "demo").returncode == 0  # warms the index
    script = (
        "import sys\nfrom cmtk.cli.main import main\n"
        "try:\n    main(['report', 'overdue'])\nexcept SystemExit:\n    pass\n"
        "heavy = {'git', 'jinja2', 'ruamel', 'pydantic', 'weasyprint', 'rich', 'babel'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy), file=sys.stderr)\n"
    )
    import subprocess

    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path / "demo")
    assert out.stderr.strip().splitlines()[-1] == "[]"


def test_shell_completion_offers_commands_and_their_subcommands():
    def complete(words: str) -> list[str]:
        env = {"_CMTK_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1)}
        result = run_in_process([], env=env)
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    assert "case" in complete("cmtk ca") and "conference" in complete("cmtk co")
    assert complete("cmtk case li") == ["list"]
    script = run_in_process([], env={"_CMTK_COMPLETE": "source_bash"})
    assert script.returncode == 0 and "_cmtk_completion" in script.stdout
    assert "--install-completion" in invoke(["--help"]).output
