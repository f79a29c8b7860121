"""Intake, recording forms, validation errors, find, show, history, edit."""

from __future__ import annotations

import datetime as dt
import os
import sys
import textwrap

import pytest
from helpers import git, invoke, run_cmtk, run_in_process, use_store

from cmtk.casework import cases
from cmtk.forms import definitions, validate
from cmtk.index import summary

TODAY = dt.date(2026, 11, 24)

INTAKE = """\
biographical:
  first_name: Wambuikanyagi
  surname: Zelenyongoro
  nickname: Kipepeo
  sex: female
  date_of_birth: 03-02-2014
"""


@pytest.fixture
def store(tmp_path, monkeypatch):
    return use_store(tmp_path, monkeypatch, TODAY.isoformat())


def _intake_file(tmp_path, text=INTAKE):
    path = tmp_path / "intake.yaml"
    path.write_text(text)
    return str(path)


def test_case_new_from_file_prints_id_and_commits_once(store, tmp_path):
    before = int(git(store.store.root, "rev-list", "--count", "HEAD"))
    result = invoke(["case", "new", "--from", _intake_file(tmp_path)])
    assert result.exit_code == 0, result.output
    case_id = result.output.strip()
    assert len(case_id) == 8
    assert int(git(store.store.root, "rev-list", "--count", "HEAD")) == before + 1
    case = cases.read_case(store, case_id)
    assert case.biographical["date_of_birth"] == dt.date(2014, 2, 3)  # day-first understood
    assert case.worker == "Amina Otieno" and case.status == "open" and case.opened == TODAY


def test_case_new_from_stdin(store):
    result = invoke(["case", "new", "--from", "-"], input=INTAKE)
    assert result.exit_code == 0, result.output


# Each validation error: one clear line naming form, section and field; nothing written.
@pytest.mark.parametrize(
    "change, expected",
    [
        (("  sex: female\n", ""), "identification: biographical.sex: is required (Sex); fill it in"),
        (
            ("  sex: female", "  sex: femal"),
            "biographical.sex: 'femal' is not one of the choices (female, male); did you mean 'female'?",
        ),
        (("03-02-2014", "31-02-2014"), "biographical.date_of_birth: '31-02-2014' is not a real calendar date"),
        (("03-02-2014", "2027-01-01"), "biographical.date_of_birth: 2027-01-01 is in the future"),
        (
            ("  nickname: Kipepeo", "  nickame: Kipepeo"),
            "biographical.nickame: no such field in section biographical; did you mean 'nickname'?",
        ),
        (
            ("biographical:", "biografical:"),
            "identification: biografical: no such section in identification; did you mean 'biographical'?",
        ),
        (
            ("  nickname: Kipepeo", "  estimated_age: ten"),
            "biographical.estimated_age: 'ten' is not valid; write a whole number",
        ),
        (
            ("  nickname: Kipepeo", "  estimated_age: 40"),
            "biographical.estimated_age: 40 is above the largest allowed value, 25",
        ),
    ],
)
def test_intake_validation_errors(store, tmp_path, change, expected):
    head = git(store.store.root, "rev-parse", "HEAD")
    text = INTAKE.replace(*change)
    result = run_in_process(["case", "new", "--from", _intake_file(tmp_path, text)])
    assert result.returncode == 1
    assert expected in result.stderr
    assert all(line.startswith("Error: ") for line in result.stderr.strip().splitlines())
    assert "Traceback" not in result.stderr
    assert git(store.store.root, "rev-parse", "HEAD") == head
    assert store.store.case_ids() == []


def test_a_wrong_required_value_is_reported_once(store, tmp_path):
    """Bug: a refused date in a required field was also reported as missing."""
    result = run_cmtk(
        ["case", "new", "--from", _intake_file(tmp_path, INTAKE.replace("  sex: female", "  sex: femal"))]
    )
    assert result.returncode == 1
    assert result.stderr.count("biographical.sex") == 1


def test_intake_without_biographical_section_is_refused(store, tmp_path):
    result = invoke(["case", "new", "--from", _intake_file(tmp_path, "admission:\n  admission_date: 2026-11-01\n")])
    assert result.exit_code == 1
    assert "biographical: this section (Biographical information) must be filled in" in result.output


@pytest.mark.parametrize("bad", ["", "[1, 2", "- just\n- a list\n", "\x00\x01binary"])
def test_bad_input_files_are_clear_errors(store, tmp_path, bad):
    path = tmp_path / "bad.yaml"
    path.write_text(bad)
    result = run_in_process(["case", "new", "--from", str(path)])
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.stderr


def test_unknown_worker_is_refused(store, tmp_path):
    result = invoke(["case", "new", "--from", _intake_file(tmp_path), "--worker", "Nobody"])
    assert result.exit_code == 1 and "not in the team" in result.output


def test_future_form_date_is_refused(store, tmp_path):
    result = invoke(["case", "new", "--from", _intake_file(tmp_path), "--date", "25-11-2026"])
    assert result.exit_code == 1 and "in the future" in result.output


def test_dry_run_writes_nothing(store, tmp_path):
    head = git(store.store.root, "rev-parse", "HEAD")
    result = invoke(["case", "new", "--from", _intake_file(tmp_path), "--dry-run"])
    assert result.exit_code == 0 and "nothing was written" in result.output
    assert git(store.store.root, "rev-parse", "HEAD") == head


def test_interactive_intake_through_the_real_prompts(store):
    answers = (
        "\n".join(
            [
                "Neema",  # first name
                "",  # other names (skipped)
                "",  # surname: required, asked again
                "Kamau",  # surname
                "Nee",  # nickname
                "3",  # sex: out of range number -> not a choice
                "1",  # sex: female
                "31-02-2015",  # impossible date -> asked again
                "30-05-2015",  # date of birth
            ]
        )
        + "\n"
        + "\n" * 40
        + "n\n" * 10
    )
    result = invoke(["case", "new", "-i"], input=answers)
    assert result.exit_code == 0, result.output
    assert "This field is required." in result.output
    assert "not a real calendar date" in result.output
    case_id = result.output.strip().splitlines()[-1]
    bio = cases.read_case(store, case_id).biographical
    assert bio["first_name"] == "Neema" and bio["surname"] == "Kamau" and bio["sex"] == "female"
    assert bio["date_of_birth"] == dt.date(2015, 5, 30)
    assert "other_names" not in bio


def test_no_terminal_and_no_from_is_a_usage_error(store):
    result = run_cmtk(["case", "new"])
    assert result.returncode == 2 and "--from" in result.stderr


def test_record_form_and_non_repeatable_refusal(store, tmp_path):
    case_id = cases.open_case(store, _yaml(INTAKE), date=dt.date(2026, 11, 2), today=TODAY)
    note = tmp_path / "note.yaml"
    form = definitions.load_form("case-notes")
    section = form.sections[0]
    text_field = next(f for f in section.fields if f.type in ("long_text", "text"))
    date_field = next((f for f in section.fields if f.type == "date"), None)
    body = {section.id: {text_field.name: "Visited the school; teacher is supportive."}}
    if date_field:
        body[section.id][date_field.name] = "20-11-2026"
    for f in section.fields:
        if f.required and f.name not in body[section.id]:
            body[section.id][f.name] = (
                {"date": "20-11-2026", "yes_no": "yes"}.get(f.type, "x") if not f.choices else f.choices[0].value
            )
    from cmtk.store import yamlio

    note.write_text(yamlio.dumps(body))
    result = invoke(["record", case_id, "case-notes", "--from", str(note), "--date", "20/11/2026"])
    assert result.exit_code == 0, result.output
    again = invoke(["record", case_id, "identification", "--from", _intake_file(tmp_path)])
    assert again.exit_code == 1 and f"cmtk case edit {case_id} identification" in again.output
    unknown = invoke(["record", "7777AAAA", "case-notes", "--from", str(note)])
    assert unknown.exit_code == 1 and "no case 7777AAAA" in unknown.output


def test_case_list_find_and_show(store):
    first = cases.open_case(store, _yaml(INTAKE), today=TODAY)
    second = cases.open_case(
        store, _yaml(INTAKE.replace("Wambuikanyagi", "Baraka").replace("Kipepeo", "Bara")), today=TODAY
    )
    listing = invoke(["case", "list"])
    assert first in listing.output and second in listing.output and "2 case(s)." in listing.output
    found = invoke(["case", "find", "kipep"])
    assert found.exit_code == 0 and first in found.output and second not in found.output
    prompted = invoke(["case", "find"], input="BARAKA\n")
    assert second in prompted.output and first not in prompted.output
    none = invoke(["case", "find", "zzzz"])
    assert none.exit_code == 1
    shown = invoke(["case", "show", first, "--full"])
    assert "Wambuikanyagi" in shown.output and "identification" in shown.output


def test_accents_do_not_block_find(store):
    cases.open_case(store, _yaml(INTAKE.replace("Wambuikanyagi", "Ñjéri")), today=TODAY)
    assert len(summary.find_cases(store, "njeri")) == 1


def _yaml(text):
    from cmtk.store import yamlio

    return yamlio.loads(text, "t")


EDITOR = textwrap.dedent(
    """\
    import sys, os, pathlib, stat
    path = pathlib.Path(sys.argv[-1])
    log = pathlib.Path(os.environ["EDIT_LOG"])
    folder = path.parent
    log.write_text(f"{folder}\\n{oct(stat.S_IMODE(folder.stat().st_mode))}\\n{' '.join(sys.argv[1:-1])}")
    text = path.read_text()
    path.write_text(text.replace(os.environ["EDIT_FROM"], os.environ["EDIT_TO"]))
    if os.environ.get("EDIT_HOOK"):
        exec(pathlib.Path(os.environ["EDIT_HOOK"]).read_text())
    sys.exit(int(os.environ.get("EDIT_EXIT", "0")))
    """
)


@pytest.fixture
def editor(tmp_path, monkeypatch):
    script = tmp_path / "fake_editor.py"
    script.write_text(EDITOR)
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.setenv("EDIT_LOG", str(tmp_path / "edit.log"))
    return tmp_path / "edit.log"


def test_case_edit_in_memory_then_history(store, editor, monkeypatch):
    case_id = cases.open_case(store, _yaml(INTAKE), today=TODAY)
    monkeypatch.setenv("EDIT_FROM", "nickname: Kipepeo")
    monkeypatch.setenv("EDIT_TO", "nickname: Kipepeo Mdogo")
    result = run_cmtk(["case", "edit", case_id, "identification"])
    assert result.returncode == 0, result.stderr
    folder, mode, _ = editor.read_text().split("\n", 2)
    assert folder.startswith("/dev/shm/") and mode == "0o700"
    assert not os.path.exists(folder)
    assert cases.read_case(store, case_id).biographical["nickname"] == "Kipepeo Mdogo"
    assert git(store.store.root, "log", "-1", "--format=%s").strip() == f"update {case_id}"
    history = run_cmtk(["case", "history", case_id])
    assert "biographical.nickname: 'Kipepeo' -> 'Kipepeo Mdogo'" in history.stdout
    assert "Amina Otieno" in history.stdout
    only_notes = run_cmtk(["case", "history", case_id, "case-notes"])
    assert "nickname" not in only_notes.stdout


def test_case_edit_keeps_a_change_saved_while_the_editor_was_open(store, editor, monkeypatch, tmp_path):
    """Security review, round 1 (low): the edit used to overwrite what another command saved meanwhile."""
    case_id = cases.open_case(store, _yaml(INTAKE), today=TODAY)
    hook = tmp_path / "meanwhile.py"
    hook.write_text(
        textwrap.dedent(f"""
        import dataclasses
        from cmtk.store.session import Store
        s = Store({str(store.store.root)!r}).unlock()
        r = next(r for r in s.case_records({case_id!r}) if r.form == "identification")
        body = {{k: dict(v) for k, v in r.body.items()}}
        body["biographical"]["religion"] = "Muslim"
        s.save({case_id!r}, [dataclasses.replace(r, body=body)], "update")
    """)
    )
    monkeypatch.setenv("EDIT_HOOK", str(hook))
    monkeypatch.setenv("EDIT_FROM", "nickname: Kipepeo")
    monkeypatch.setenv("EDIT_TO", "nickname: Kipepeo Mdogo")
    result = run_cmtk(["case", "edit", case_id, "identification"])
    assert result.returncode == 0, result.stderr
    assert "both changes were kept" in result.stdout
    bio = cases.read_case(store, case_id).biographical
    assert bio["nickname"] == "Kipepeo Mdogo" and bio["religion"] == "Muslim"


def test_case_edit_without_an_installed_editor_says_so(store, monkeypatch):
    """New-user trial: EDITOR pointing at a program that is not installed crashed with an internal error."""
    case_id = cases.open_case(store, _yaml(INTAKE), today=TODAY)
    monkeypatch.setenv("EDITOR", "no-such-editor-here")
    result = run_cmtk(["case", "edit", case_id, "identification"])
    assert result.returncode == 1 and "'no-such-editor-here' is not installed" in result.stderr
    assert "internal error" not in result.stderr


def test_case_edit_invalid_or_failed_editor_changes_nothing(store, editor, monkeypatch):
    case_id = cases.open_case(store, _yaml(INTAKE), today=TODAY)
    head = git(store.store.root, "rev-parse", "HEAD")
    monkeypatch.setenv("EDIT_FROM", "sex: female")
    monkeypatch.setenv("EDIT_TO", "sex: unknown")
    result = run_cmtk(["case", "edit", case_id, "identification"])
    assert result.returncode == 1 and "'unknown' is not one of the choices" in result.stderr
    monkeypatch.setenv("EDIT_TO", "sex: male")
    monkeypatch.setenv("EDIT_EXIT", "3")
    failed = run_cmtk(["case", "edit", case_id, "identification"])
    assert failed.returncode == 1 and "editor exited with an error" in failed.stderr
    assert git(store.store.root, "rev-parse", "HEAD") == head
    folder = editor.read_text().split("\n", 1)[0]
    assert not os.path.exists(folder)


def test_case_edit_uses_vim_without_swap_or_backup(tmp_path, monkeypatch):
    from cmtk.forms import editing

    monkeypatch.setenv("EDITOR", "vim")
    command = editing.editor_command(tmp_path / "x.yaml")
    assert "-n" in command and any(
        "noswapfile" in part and "nobackup" in part and "noundofile" in part for part in command
    )


def test_case_edit_leftovers_of_killed_runs_are_removed(tmp_path):
    from cmtk.forms import editing
    from cmtk.store import leftovers

    stale = tmp_path / f"{editing.PREFIX}abc"
    stale.mkdir()
    (stale / "record.yaml").write_text("secret")
    (stale / leftovers.ALIVE).write_text("")  # its edit was killed: nobody holds the lock
    editing.remove_leftovers(tmp_path)
    assert not stale.exists()


def test_show_at_a_past_date_uses_history(store, monkeypatch):
    case_id = cases.open_case(store, _yaml(INTAKE), today=TODAY)
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    shown = invoke(["case", "show", case_id, "--at", tomorrow])
    assert shown.exit_code == 0 and "Wambuikanyagi" in shown.output and "As it stood" in shown.output
    before = invoke(["case", "show", case_id, "--at", yesterday])
    assert before.exit_code == 1


def test_validate_table_rows_and_other(store):
    form = definitions.load_form("identification")
    with_table = [f for _, f in form.all_fields() if f.type == "table"]
    if not with_table:
        pytest.skip("identification has no table")
    section = next(s for s in form.sections if with_table[0] in s.fields)
    body = {section.id: {with_table[0].name: [{"nonexistent_column": 1}]}}
    _, findings = validate.validate_body(form, body, today=TODAY)
    at = f"identification: {section.id}.{with_table[0].name}[1].nonexistent_column"
    assert [(f.where, f.code) for f in findings if f.code == "unknown-field"] == [(at, "unknown-field")]
