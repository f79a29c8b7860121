"""Fixes from the security review, each with the attack that found it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap

import pytest
from helpers import (
    CANARY_FIRST,
    add_canary_case,
    git,
    invoke,
    make_identity,
    make_store,
    minimal_body,
    store_with_peter,
)

from cmtk.casework import cases
from cmtk.errors import CmtkError, IdentityError, RecordError
from cmtk.store import create, crypto, doctor, identity, records, yamlio
from cmtk.store.session import Store
from cmtk.team import rotation


def test_record_forged_with_an_old_generation_is_refused(tmp_path):
    """M1: a removed member who kept generation 1 forges a record claiming generation 2."""
    session, key_path = make_store(tmp_path)
    case_id = add_canary_case(session)
    peter = make_identity(tmp_path / "peter.key")
    rotation.add_member(session, "Peter", peter.public)
    old_key = session.key(1)
    rotation.remove_member(session, "Peter")
    forged = cases.new_record(session, case_id, "case-notes", {"note": {"text": "forged"}}, None).with_generation(2)
    path = session.store.case_dir(case_id) / f"{forged.record}.age"
    path.write_bytes(crypto.encrypt(crypto.pad(records.encode(forged)), [old_key.recipient]))
    fresh = Store(session.store.root).unlock(key_path)
    with pytest.raises(RecordError, match="may have been forged"):
        fresh.read_record(path)
    assert any(f.code == "record" and "forged" in f.message for f in doctor.check(fresh))


def test_hooks_and_fsmonitor_in_a_store_never_run(tmp_path):
    """M3: a store copied from elsewhere may carry git settings that run programs."""
    session, key_path = make_store(tmp_path)
    marker = tmp_path / "ran"
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    script = f"#!/bin/sh\ntouch {marker}\n"
    for name in ("pre-commit", "post-commit", "prepare-commit-msg", "reference-transaction", "post-index-change"):
        (hooks / name).write_text(script)
        (hooks / name).chmod(0o700)
    (tmp_path / "monitor.sh").write_text(script)
    (tmp_path / "monitor.sh").chmod(0o700)
    git(session.store.root, "config", "core.hooksPath", str(hooks))
    git(session.store.root, "config", "core.fsmonitor", str(tmp_path / "monitor.sh"))
    add_canary_case(session)
    doctor.check(session)
    assert not marker.exists()


def test_passphrase_is_not_passed_on_to_child_processes(tmp_path, monkeypatch):
    from cmtk.store import identity

    path = tmp_path / "id.age"
    identity.create(path, "river mango lantern seven")
    monkeypatch.setenv("CMTK_PASSPHRASE", "river mango lantern seven")
    identity.load(path)
    assert "CMTK_PASSPHRASE" not in os.environ


@pytest.mark.parametrize(
    "text",
    ["a: &x [1, 2]\nb: *x\n", "[" * 70 + "]" * 70, "a:\n" + "".join(" " * (2 * n) + f"k{n}:\n" for n in range(1, 90))],
)
def test_yaml_aliases_and_deep_nesting_are_refused(text):
    """M5, M6: deep nesting crashed the C parser; aliases expand when printed."""
    with pytest.raises(RecordError):
        yamlio.loads(text, "input")


def test_deeply_nested_input_file_is_one_clear_error(tmp_path, monkeypatch):
    session, key_path = make_store(tmp_path)
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("biographical: " + "[" * 60000 + "]" * 60000 + "\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cmtk",
            "--store",
            str(session.store.root),
            "--identity",
            str(key_path),
            "case",
            "new",
            "--from",
            str(bomb),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "nested more than 64 levels" in result.stderr


def test_one_damaged_case_does_not_stop_reports(tmp_path, monkeypatch):
    """M5 / invariant 9: the damaged case is named, the others are reported."""
    session, key_path = make_store(tmp_path)
    good = cases.open_case(session, minimal_body("identification"), today=__import__("datetime").date(2026, 1, 5))
    bad = cases.open_case(session, minimal_body("identification"), today=__import__("datetime").date(2026, 1, 5))
    path = next(session.store.case_dir(bad).glob("*.age"))
    path.write_bytes(path.read_bytes()[:-30] + b"\x00" * 30)
    git(session.store.root, "-c", "user.name=x", "-c", "user.email=x@y", "commit", "-qam", f"update {bad}")
    result = invoke(
        ["--store", str(session.store.root), "--identity", str(key_path), "case", "list", "--format", "json"]
    )
    assert result.exit_code == 0
    assert good in result.stdout and f"Warning: case {bad} left out" in result.output


def test_control_and_direction_characters_are_refused_in_text(tmp_path):
    """L2: escape sequences and right-to-left overrides could disguise what a screen shows."""
    session, _ = make_store(tmp_path)
    for text in ("Amina\x1b]52;c;SGVsbG8=\x07", "Ali\u202egnirts"):
        body = minimal_body("identification", {"biographical.first_name": text})
        with pytest.raises(CmtkError, match="control or direction-changing"):
            cases.open_case(session, body)
    body = minimal_body("identification", {"biographical.first_name": "عائشة", "notes.text": "line one\n\tline two"})
    assert cases.open_case(session, body)


def test_demo_identity_is_used_only_for_a_training_store(tmp_path, monkeypatch):
    """L3: a demo-identity.txt beside a real store called `store` must not replace the user's identity."""
    from cmtk.store import paths

    session, _ = make_store(tmp_path)  # a real store at tmp_path/store, training: false
    (tmp_path / "demo-identity.txt").write_text("x")
    assert paths.identity_path(None, session.store.root) == paths.default_identity_path()


def test_edit_leftovers_are_removed_at_any_command(tmp_path, monkeypatch):
    """L7: plaintext from a killed `case edit` must not wait for the next edit."""
    from cmtk.forms import editing

    monkeypatch.setattr(editing, "memory_folder", lambda: tmp_path)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    stale = tmp_path / f"{editing.PREFIX}x"
    stale.mkdir()
    (stale / "record.yaml").write_text("plaintext")
    (stale / ".alive").write_text("")  # its edit was killed: nobody holds the lock
    invoke(["--version"])
    invoke(["form", "list"])
    assert not stale.exists()


@pytest.mark.slow
def test_killed_rotation_never_leaves_records_without_their_key(tmp_path):
    """M4: key files are written before records; after a kill at any point every record still opens."""
    session, key_path, peter = store_with_peter(tmp_path, 4)
    for crash_at in (1, 2, 3, 5, 7):
        script = textwrap.dedent(f"""
            import os
            from cmtk.team import rotation
            from cmtk.store.session import Store
            session = Store({str(session.store.root)!r}).unlock({str(key_path)!r})
            real, calls = os.replace, [0]
            def crash(src, dst):
                calls[0] += 1
                if calls[0] == {crash_at}:
                    os._exit(9)
                return real(src, dst)
            os.replace = crash
            rotation.remove_member(session, "Peter")
        """)
        subprocess.run([sys.executable, "-c", script], capture_output=True)
        fresh = Store(session.store.root).unlock(key_path)
        for case_id in fresh.store.case_ids():
            assert fresh.case_records(case_id)
        subprocess.run(["git", "-C", str(session.store.root), "checkout", "-q", "--", "."], check=True)
        subprocess.run(["git", "-C", str(session.store.root), "clean", "-qfd"], check=True)


def test_doctor_repair_finishes_an_interrupted_removal(tmp_path):
    """Issue 10: kill -9 during a team re-encryption, then `doctor --repair` finishes it."""
    session, key_path, peter = store_with_peter(tmp_path)
    script = textwrap.dedent(f"""
        import os
        from cmtk.team import rotation
        from cmtk.store.session import Store
        session = Store({str(session.store.root)!r}).unlock({str(key_path)!r})
        real, calls = os.replace, [0]
        def crash(src, dst):
            calls[0] += 1
            if calls[0] == 6:
                os._exit(9)
            return real(src, dst)
        os.replace = crash
        rotation.remove_member(session, "Peter")
    """)
    assert subprocess.run([sys.executable, "-c", script], capture_output=True).returncode == 9
    fresh = Store(session.store.root).unlock(key_path)
    assert [f.code for f in doctor.check(fresh)] == ["interrupted-team-change"]
    assert "finished removing Peter" in doctor.repair(fresh)[0]
    final = Store(session.store.root).unlock(key_path)
    assert doctor.check(final) == []
    assert final.store.generations() == [1, 2]
    for path in final.store.record_files():
        with pytest.raises(CmtkError):
            crypto.decrypt(path.read_bytes(), [peter.identity], "r")


def test_identity_inside_the_store_is_refused(tmp_path):
    """Security review, round 1 (low): a sync or backup would copy an identity kept inside the store."""
    session, key_path = make_store(tmp_path)
    inside = session.store.root / "my.key"
    inside.write_bytes(key_path.read_bytes())
    inside.chmod(0o600)
    with pytest.raises(IdentityError, match="inside the store folder"):
        Store(session.store.root).unlock(inside)


def test_identity_in_a_folder_others_can_write_is_refused(tmp_path):
    """Security review, round 1 (low): anyone who can write the folder could swap the identity."""
    shared = tmp_path / "shared"
    shared.mkdir()
    key = make_identity(shared / "me.key")
    shared.chmod(0o777)
    with pytest.raises(IdentityError, match="other users can write"):
        identity.load(shared / "me.key")
    shared.chmod(0o1777)  # sticky, like /tmp: others cannot replace the file
    assert identity.load(shared / "me.key").public == key.public


def test_init_tightens_an_existing_empty_folder(tmp_path):
    """Security review, round 1 (low)."""
    folder = tmp_path / "open"
    folder.mkdir()
    folder.chmod(0o777)
    me = make_identity(tmp_path / "me.key")
    create.create_store(folder, organisation="Test CCI", me=me, worker="Amina")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_doctor_never_quotes_stored_values(tmp_path):
    """Security review, round 1 (low): validation messages may quote a value; doctor names field and kind only."""
    session, _ = make_store(tmp_path)
    case_id = cases.create_case(
        session, "identification", {"biographical": {"first_name": CANARY_FIRST, "sex": "Zelenyongoro"}}
    )
    findings = [
        f for f in doctor.check(Store(session.store.root).unlock(tmp_path / "amina.key")) if f.code == "invalid"
    ]
    assert findings and case_id in findings[0].message
    for finding in findings:
        assert CANARY_FIRST not in str(finding) and "Zelenyongoro" not in str(finding)


def test_a_printed_filled_form_is_never_written_inside_the_store(tmp_path, monkeypatch):
    """Plaintext a user asks for must not land where `git add` or a sync would pick it up."""
    session, key_path = make_store(tmp_path)
    case_id = add_canary_case(session)
    env = {"CMTK_STORE": str(session.store.root), "CMTK_IDENTITY": str(key_path)}
    inside = session.store.root / "form.html"
    result = invoke(["form", "render", "identification", "--case", case_id, "-o", str(inside)], env=env)
    assert result.exit_code == 1 and "inside the store folder" in result.output and not inside.exists()
    outside = tmp_path / "form.html"
    result = invoke(["form", "render", "identification", "--case", case_id, "-o", str(outside)], env=env)
    assert result.exit_code == 0 and outside.exists() and stat.S_IMODE(outside.stat().st_mode) == 0o600
