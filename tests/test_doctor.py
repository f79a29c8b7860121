"""`cmtk doctor` finds each kind of problem and nothing on a sound store."""

from __future__ import annotations

from helpers import add_canary_case, git, make_identity, make_store

from cmtk.store import crypto, doctor
from cmtk.team import rotation


def _codes(session):
    return sorted({f.code for f in doctor.check(session)})


def test_sound_store_has_no_findings(tmp_path):
    session, _ = make_store(tmp_path)
    add_canary_case(session)
    assert doctor.check(session) == []


def test_a_conference_file_is_not_an_unknown_form(tmp_path):
    import datetime as dt

    from cmtk.casework import conference

    session, _ = make_store(tmp_path)
    conference.create(session, day=dt.date(2026, 12, 1), kind="internal", chair="Amina")
    assert doctor.check(session) == []


def test_plaintext_file_anywhere_is_found(tmp_path):
    session, _ = make_store(tmp_path)
    case_id = add_canary_case(session)
    (session.store.case_dir(case_id) / "notes.yaml").write_text("name: someone\n")
    (session.store.root / "export.txt").write_text("x")
    findings = doctor.check(session)
    sources = {f.where for f in findings if f.code == "unexpected-file"}
    assert f"cases/{case_id[:2]}/{case_id}/notes.yaml" in sources
    assert "export.txt" in sources


def test_plaintext_posing_as_age_file_is_found(tmp_path):
    session, _ = make_store(tmp_path)
    case_id = add_canary_case(session)
    (session.store.case_dir(case_id) / "AAAAAAAAAA.age").write_text("first_name: someone\n")
    assert "plaintext" in _codes(session)


def test_key_file_not_matching_team_is_found(tmp_path):
    session, _ = make_store(tmp_path)
    stranger = make_identity(tmp_path / "stranger.key")
    path = session.store.key_path(1)
    text = crypto.decrypt(path.read_bytes(), [session.me.identity], "k")
    path.write_bytes(crypto.encrypt(text, [session.me.recipient, stranger.recipient]))
    assert "key-team" in _codes(session)


def test_record_on_old_generation_is_found(tmp_path):
    session, _ = make_store(tmp_path)
    case_id = add_canary_case(session)
    old_path = next(session.store.case_dir(case_id).glob("*.age"))
    old_bytes = old_path.read_bytes()
    peter = make_identity(tmp_path / "peter.key")
    rotation.add_member(session, "Peter", peter.public)
    rotation.remove_member(session, "Peter")
    old_path.write_bytes(old_bytes)
    git(session.store.root, "-c", "user.name=x", "-c", "user.email=x@y", "commit", "-qam", "update " + case_id)
    assert _codes(session) == ["old-key"]


def test_cachetextconv_and_rerere_are_found(tmp_path):
    session, _ = make_store(tmp_path)
    git(session.store.root, "config", "diff.cmtk.cachetextconv", "true")
    git(session.store.root, "config", "rerere.enabled", "true")
    assert {"cachetextconv", "rerere"} <= set(_codes(session))


def test_uncommitted_record_is_found_and_repaired(tmp_path):
    session, _ = make_store(tmp_path)
    case_id = add_canary_case(session)
    record = session.case_records(case_id)[0]
    path = session.record_path(record)
    body = {**record.body, "biographical": {**record.body["biographical"], "nickname": "Changed"}}
    changed = record.__class__(**{**record.__dict__, "body": body})
    path.write_bytes(session.seal(changed))
    assert _codes(session) == ["uncommitted"]
    done = doctor.repair(session)
    assert any("committed 1" in line for line in done)
    assert doctor.check(session) == []
    assert git(session.store.root, "log", "-1", "--format=%s").strip() == "repair store"


def test_record_that_breaks_its_form_definition_is_found(tmp_path):
    session, _ = make_store(tmp_path)
    from cmtk.casework import cases

    case_id = cases.create_case(session, "identification", {"biographical": {"sex": "unknown"}})
    findings = [f for f in doctor.check(session) if f.code == "invalid"]
    assert any(
        "biographical.sex" in f.message and f"cmtk case edit {case_id} identification" in f.message for f in findings
    )
    assert any("biographical.first_name: is required" in f.message for f in findings)
    assert any("biographical.sex: holds a value the form does not accept" in f.message for f in findings)


def test_broken_git_object_is_found(tmp_path):
    session, _ = make_store(tmp_path)
    add_canary_case(session)
    objects = [p for p in (session.store.root / ".git/objects").rglob("*") if p.is_file() and len(p.parent.name) == 2]
    victim = objects[0]
    victim.chmod(0o600)
    victim.write_bytes(b"garbage")
    assert "fsck" in _codes(session)


def test_a_full_check_decrypts_each_record_once(tmp_path, monkeypatch):
    """The records are checked, then each case's summary is compared with them: from the same reads (issue 21.10)."""
    from collections import Counter

    from cmtk.index import summary

    session, _ = make_store(tmp_path)
    for _ in range(3):
        add_canary_case(session)
    summary.load(session)  # an index to compare with
    opened: Counter = Counter()
    real = crypto.decrypt

    def counting(data, keys, source):
        opened[source] += 1
        return real(data, keys, source)

    monkeypatch.setattr(crypto, "decrypt", counting)
    assert doctor.check(session, full=True) == []
    records = [session.store.relative(p) for p in session.store.record_files()]
    assert len(records) >= 3 and {opened[r] for r in records} == {1}


def test_the_working_tree_is_listed_without_entering_git(tmp_path):
    session, _ = make_store(tmp_path)
    case_id = add_canary_case(session)
    listed = doctor._working_files(session.store)
    assert ".cmtk/recipients.txt" in listed and any(f.startswith(f"cases/{case_id[:2]}/{case_id}/") for f in listed)
    assert listed == sorted(listed) and not [f for f in listed if f == ".git" or f.startswith(".git/")]
