"""The store's invariants (store.md 1-9) and the lessons from earlier tools."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest
from helpers import (
    CANARIES,
    add_canary_case,
    all_bytes_of_store,
    canary_body,
    git,
    make_store,
)

from cmtk.casework import cases
from cmtk.errors import CmtkError, RecordError
from cmtk.store import crypto, records
from cmtk.store.session import Store

FORM_IDS = ("identification", "case-notes", "monitoring", "closure", "referral", "disability")


def test_invariant_1_no_personal_data_outside_ciphertext(tmp_path):
    session, _ = make_store(tmp_path)
    case_id = add_canary_case(session)
    cases.add_record(session, case_id, "referral", {"referral": {"reason": "health", "note": CANARIES[0]}})
    everything = all_bytes_of_store(session.store.root)
    for name in CANARIES:
        assert name.encode() not in everything, name
        assert name.lower().encode() not in everything.lower(), name


def test_invariant_1_names_and_messages_reveal_no_form_or_content(tmp_path):
    session, _ = make_store(tmp_path)
    case_id = add_canary_case(session)
    cases.add_record(session, case_id, "disability-assessment", {"x": {"y": 1}})
    root = session.store.root
    names = git(root, "ls-tree", "-r", "--name-only", "HEAD")
    messages = git(root, "log", "--format=%B")
    refs = git(root, "for-each-ref", "--format=%(refname)")
    for text in (names, messages, refs):
        for form in FORM_IDS:
            assert form not in text
    for path in names.split():
        assert re.fullmatch(
            r"\.cmtk/(settings\.yaml|policy\.yaml|recipients\.txt|keys/\d+\.age)|\.gitattributes"
            r"|cases/[0-9A-Z]{2}/[0-9A-Z]{8}/[0-9A-Z]{10}\.age",
            path,
        ), path
    for message in messages.split("\n"):
        if message:
            assert re.fullmatch(r"(init store|create [0-9A-Z]{8}|update [0-9A-Z]{8})", message), message
    assert refs.strip() == "refs/heads/main"


def test_invariant_4_crash_between_write_and_rename_leaves_readable_store(tmp_path):
    session, key_path = make_store(tmp_path)
    case_id = add_canary_case(session)
    before = [r.body for r in session.case_records(case_id)]
    script = textwrap.dedent(
        f"""
        import os
        from cmtk.casework import cases
        from cmtk.store.session import Store
        session = Store({str(session.store.root)!r}).unlock({str(key_path)!r})
        real_replace = os.replace
        def crash(*args, **kwargs):
            os._exit(9)   # the process dies after the temporary file is written, before the rename
        os.replace = crash
        cases.add_record(session, {case_id!r}, "case-notes", {{"n": {{"t": "x"}}}})
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert result.returncode == 9
    leftovers = list(session.store.case_dir(case_id).glob(".tmp-*"))
    assert len(leftovers) == 1
    fresh = Store(session.store.root).unlock(key_path)
    assert [r.body for r in fresh.case_records(case_id)] == before
    from cmtk.store import doctor

    findings = doctor.check(fresh)
    assert [f.code for f in findings] == ["leftover-temp"]
    doctor.repair(fresh)
    assert doctor.check(fresh) == []


def test_invariant_4_failed_commit_puts_everything_back(tmp_path, monkeypatch):
    session, _ = make_store(tmp_path)
    case_id = add_canary_case(session)
    root = session.store.root
    snapshot = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}
    head = git(root, "rev-parse", "HEAD")

    def broken_commit(*args, **kwargs):
        raise OSError("simulated failure inside git")

    monkeypatch.setattr(type(session.store.git), "commit", broken_commit)
    with pytest.raises(OSError):
        cases.add_record(session, case_id, "case-notes", {"n": {"t": "x"}})
    after = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert after == snapshot
    assert git(root, "rev-parse", "HEAD") == head
    assert git(root, "status", "--porcelain") == ""


def test_invariant_5_one_commit_per_change_with_author(tmp_path):
    session, _ = make_store(tmp_path)
    root = session.store.root
    count = lambda: int(git(root, "rev-list", "--count", "HEAD"))  # noqa: E731
    assert count() == 1
    case_id = add_canary_case(session)
    assert count() == 2
    cases.add_record(session, case_id, "case-notes", {"n": {"t": "x"}})
    assert count() == 3
    assert git(root, "log", "-1", "--format=%an|%s").strip() == f"Amina Otieno|update {case_id}"


def test_unchanged_record_is_not_rewritten(tmp_path):
    session, _ = make_store(tmp_path)
    case_id = add_canary_case(session)
    record = session.case_records(case_id)[0]
    path = session.record_path(record)
    before = path.read_bytes()
    assert session.save(case_id, [record], "update") is None
    assert path.read_bytes() == before


def test_invariant_6_no_plaintext_temporary_files(tmp_path, monkeypatch):
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(private_tmp))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    session, _ = make_store(tmp_path)
    case_id = add_canary_case(session)
    cases.add_record(session, case_id, "case-notes", canary_body())
    session.case_records(case_id)
    assert list(private_tmp.iterdir()) == []
    assert list(session.store.root.rglob(".tmp-*")) == []


def test_records_are_padded_so_length_hides_content(tmp_path):
    session, _ = make_store(tmp_path)
    short = cases.create_case(session, "case-notes", {"n": {"t": "ok"}})
    long = cases.create_case(session, "case-notes", {"n": {"t": "x" * 600}})

    def payload_size(case_id):
        # the header varies (age adds a random "grease" stanza); the payload is what tracks content
        data = session.record_path(session.case_records(case_id)[0]).read_bytes()
        mac_line_end = data.index(b"\n", data.index(b"\n--- ") + 1)
        return len(data) - mac_line_end - 1

    assert payload_size(short) == payload_size(long)


def test_invariant_8_second_writer_waits_then_fails_clearly(tmp_path, monkeypatch):
    session, _ = make_store(tmp_path)
    import cmtk.store.session as store_module
    from cmtk.errors import LockError

    monkeypatch.setattr(store_module, "LOCK_WAIT_SECONDS", 0.3)
    other = Store(session.store.root)
    with other.locked():
        with pytest.raises(LockError, match="another cmtk command"):
            add_canary_case(session)
    add_canary_case(session)  # once the lock is free, writing works


@pytest.mark.slow
def test_invariant_8_two_processes_writing_at_once_both_land(tmp_path):
    session, key_path = make_store(tmp_path)
    script = textwrap.dedent(
        f"""
        from cmtk.casework import cases
        from cmtk.store.session import Store
        session = Store({str(session.store.root)!r}).unlock({str(key_path)!r})
        for _ in range(5):
            cases.create_case(session, "case-notes", {{"n": {{"t": "x"}}}})
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    assert len(session.store.case_ids()) == 10
    assert int(git(session.store.root, "rev-list", "--count", "HEAD")) == 11
    assert git(session.store.root, "status", "--porcelain") == ""


def test_invariant_9_damaged_file_is_named_and_others_still_read(tmp_path):
    session, _ = make_store(tmp_path)
    good = add_canary_case(session)
    bad = add_canary_case(session)
    bad_path = session.record_path(session.case_records(bad)[0])
    data = bytearray(bad_path.read_bytes())
    data[-40] ^= 0xFF
    bad_path.write_bytes(bytes(data))
    assert session.case_records(good)
    with pytest.raises(Exception) as caught:
        session.case_records(bad)
    assert session.store.relative(bad_path) in str(caught.value)
    from cmtk.store import doctor

    findings = doctor.check(session)
    assert any(f.where == session.store.relative(bad_path) and f.code == "record" for f in findings)


def test_record_copied_into_another_case_is_refused(tmp_path):
    session, _ = make_store(tmp_path)
    first = add_canary_case(session)
    second = add_canary_case(session)
    source = session.record_path(session.case_records(first)[0])
    target = session.store.case_dir(second) / source.name
    target.write_bytes(source.read_bytes())
    with pytest.raises(RecordError, match="copied or moved by hand"):
        session.case_records(second)


def test_yaml_errors_in_records_report_position_only(tmp_path):
    session, _ = make_store(tmp_path)
    case_id = add_canary_case(session)
    path = session.store.case_dir(case_id) / "ZZZZZZZZZZ.age"
    plaintext = f"cmtk_record: 1\nbody: [{CANARIES[0]}\n  broken: {{".encode()
    path.write_bytes(crypto.encrypt(plaintext, [session.current_key().recipient]))
    with pytest.raises(RecordError) as caught:
        session.read_record(path)
    assert "line" in str(caught.value) and "column" in str(caught.value)
    assert CANARIES[0] not in str(caught.value)


def test_unknown_case_is_a_clear_error(tmp_path):
    session, _ = make_store(tmp_path)
    with pytest.raises(CmtkError, match="no case 7777AAAA"):
        session.case_records("7777AAAA")


def test_git_config_never_caches_textconv_and_disables_rerere(tmp_path):
    session, _ = make_store(tmp_path)
    config = git(session.store.root, "config", "--local", "--list")
    assert "cachetextconv" not in config
    assert "rerere.enabled=false" in config
    assert "diff.cmtk.textconv=" in config
    assert "*.age -text diff=cmtk" in (session.store.root / ".gitattributes").read_text()


def test_git_log_p_shows_decrypted_diff_to_a_key_holder(tmp_path):
    session, key_path = make_store(tmp_path)
    case_id = add_canary_case(session)
    env = dict(os.environ, CMTK_IDENTITY=str(key_path))
    out = subprocess.run(
        ["git", "-C", str(session.store.root), "log", "-p", "-2"], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert CANARIES[0] in out
    assert f"case: {case_id}" in out
    assert "AGE-SECRET-KEY" not in out
    assert list((session.store.root / ".git").rglob("textconv")) == []


def test_store_key_files_are_never_shown_by_textconv(tmp_path):
    session, key_path = make_store(tmp_path)
    env = dict(os.environ, CMTK_IDENTITY=str(key_path))
    out = subprocess.run(
        ["git", "-C", str(session.store.root), "log", "-p", "--", ".cmtk/keys"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    assert "secret is not shown" in out
    assert "AGE-SECRET-KEY" not in out


def test_record_envelope_is_self_describing(tmp_path):
    session, _ = make_store(tmp_path)
    case_id = add_canary_case(session)
    path = next(session.store.case_dir(case_id).glob("*.age"))
    plaintext = crypto.decrypt(path.read_bytes(), [session.current_key().identity], "x")
    record = records.decode(plaintext, "x")
    assert (record.case, record.record, record.form, record.key_generation) == (case_id, path.stem, "identification", 1)
    assert record.created_by == "Amina Otieno"


def test_a_record_with_a_text_date_is_never_written(tmp_path):
    """Bug: a conference report once stored its date as text, which made the record unreadable."""
    session, _ = make_store(tmp_path)
    record = cases.new_record(session, "K7Q2MX4P", "case-notes", {"n": {"t": "x"}}, None)
    import dataclasses

    with pytest.raises(RecordError, match="must be a calendar date"):
        session.seal(dataclasses.replace(record, date="11-03-2026"))
