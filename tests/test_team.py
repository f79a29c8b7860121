"""Team changes (store.md invariant 7): adding touches key files only; removing rotates the store key."""

from __future__ import annotations

import pytest
from helpers import add_canary_case, git, make_identity, make_store, store_with_peter

from cmtk.errors import CmtkError, DecryptError, IdentityError
from cmtk.store import crypto, records
from cmtk.store.session import Store
from cmtk.team import rotation


def _changed_files(root, commit="HEAD"):
    return sorted(git(root, "show", "--name-only", "--format=", commit).split())


def _third_call_fails(real, message: str):
    """`real`, except that its third call raises OSError(message), as a failing disk would."""
    calls = {"n": 0}

    def failing(*args):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(message)
        return real(*args)

    return failing


def test_add_member_reencrypts_only_key_files(tmp_path):
    session, _ = make_store(tmp_path)
    add_canary_case(session)
    peter = make_identity(tmp_path / "peter.key")
    rotation.add_member(session, "Peter Kariuki", peter.public, "caseworker")
    root = session.store.root
    assert _changed_files(root) == [".cmtk/keys/1.age", ".cmtk/recipients.txt"]
    assert git(root, "log", "-1", "--format=%s").strip() == "team add"
    peters = Store(root).unlock(tmp_path / "peter.key")
    assert peters.author == "Peter Kariuki"
    case_id = session.store.case_ids()[0]
    assert peters.case_records(case_id)[0].body["biographical"]["nickname"]


def test_add_member_refuses_duplicates_and_bad_keys(tmp_path):
    session, _ = make_store(tmp_path)
    with pytest.raises(CmtkError, match="already has a member"):
        rotation.add_member(session, "amina otieno", make_identity(tmp_path / "x.key").public)
    with pytest.raises(CmtkError, match="already belongs"):
        rotation.add_member(session, "Someone", session.me.public)
    with pytest.raises(IdentityError):
        rotation.add_member(session, "Someone", "age1notakey")


def test_remove_member_rotates_key_and_locks_them_out(tmp_path):
    session, _ = make_store(tmp_path)
    cases_made = [add_canary_case(session) for _ in range(3)]
    peter = make_identity(tmp_path / "peter.key")
    rotation.add_member(session, "Peter Kariuki", peter.public)
    seen = []
    rotation.remove_member(session, "peter kariuki", progress=lambda done, total: seen.append((done, total)))
    store = Store(session.store.root)
    assert store.generations() == [1, 2]
    assert seen[-1] == (3, 3)
    assert git(store.root, "log", "-1", "--format=%s").strip() == "rotate keys"
    changed = _changed_files(store.root)
    assert ".cmtk/keys/2.age" in changed and ".cmtk/recipients.txt" in changed
    assert sum(1 for name in changed if name.startswith("cases/")) == 3

    # Peter's identity opens no current key file and no current record.
    for generation in store.generations():
        with pytest.raises(CmtkError):
            crypto.decrypt(store.key_path(generation).read_bytes(), [peter.identity], "key")
    with pytest.raises(IdentityError, match="not in this store's team"):
        store.unlock(tmp_path / "peter.key")
    for path in store.record_files():
        with pytest.raises(DecryptError):
            crypto.decrypt(path.read_bytes(), [peter.identity], "record")

    # The remaining member reads everything, at the new generation.
    fresh = store.unlock(tmp_path / "amina.key")
    for case_id in cases_made:
        for record in fresh.case_records(case_id):
            assert record.key_generation == 2
    from cmtk.store import doctor

    assert doctor.check(fresh) == []


def test_remove_member_failure_half_way_leaves_store_as_it_was(tmp_path, monkeypatch):
    session, _, peter = store_with_peter(tmp_path, 4)
    root = session.store.root
    snapshot = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}
    head = git(root, "rev-parse", "HEAD")

    monkeypatch.setattr(rotation.crypto, "encrypt", _third_call_fails(crypto.encrypt, "disk trouble"))
    with pytest.raises(OSError):
        rotation.remove_member(session, "Peter")
    after = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert after == snapshot
    assert git(root, "rev-parse", "HEAD") == head


def test_remove_member_failure_during_rename_restores_files(tmp_path, monkeypatch):
    session, _, peter = store_with_peter(tmp_path)
    root = session.store.root
    snapshot = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}
    import cmtk.store.session as store_module

    real_replace = store_module.os.replace
    monkeypatch.setattr(store_module.os, "replace", _third_call_fails(real_replace, "power cut"))
    with pytest.raises(OSError):
        rotation.remove_member(session, "Peter")
    monkeypatch.setattr(store_module.os, "replace", real_replace)
    after = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert after == snapshot
    assert git(root, "status", "--porcelain") == ""


def test_cannot_remove_yourself_or_unknown(tmp_path):
    session, _ = make_store(tmp_path)
    with pytest.raises(CmtkError, match="cannot remove yourself"):
        rotation.remove_member(session, "Amina Otieno")
    with pytest.raises(CmtkError, match="no team member called"):
        rotation.remove_member(session, "Nobody")


def test_history_stays_readable_to_remaining_team_after_rotation(tmp_path):
    session, key_path = make_store(tmp_path)
    case_id = add_canary_case(session)
    first_blob_commit = git(session.store.root, "rev-parse", "HEAD").strip()
    peter = make_identity(tmp_path / "peter.key")
    rotation.add_member(session, "Peter", peter.public)
    rotation.remove_member(session, "Peter")
    fresh = Store(session.store.root).unlock(key_path)
    path = next(fresh.store.case_dir(case_id).glob("*.age"))
    old_bytes = (
        __import__("subprocess")
        .run(
            ["git", "-C", str(fresh.store.root), "show", f"{first_blob_commit}:{fresh.store.relative(path)}"],
            capture_output=True,
            check=True,
        )
        .stdout
    )
    old = records.decode(crypto.decrypt(old_bytes, [k.identity for k in fresh.all_keys()], "old"), "old")
    assert old.key_generation == 1


def _forge_generation(session, tmp_path, generation, authorised=None):
    """What a writer to the store (USB remote, former member) could do: a key file encrypted to the team."""
    from cmtk.team import roster as team_module

    attacker = crypto.generate()
    members = session.store.members()
    text = team_module.key_file_text(attacker, generation, members, authorised)
    session.store.key_path(generation).write_bytes(
        crypto.encrypt(text.encode(), [crypto.parse_recipient(m.public) for m in members])
    )
    return attacker


def test_forged_store_key_generation_is_refused(tmp_path):
    """Security review H2: a new generation must be authorised by the previous one."""
    session, key_path = make_store(tmp_path)
    add_canary_case(session)
    _forge_generation(session, tmp_path, 2, authorised="00" * 32)
    fresh = Store(session.store.root).unlock(key_path)
    with pytest.raises(DecryptError, match="was not made by a holder of generation 1"):
        add_canary_case(fresh)


def test_replaced_known_generation_is_refused(tmp_path):
    session, key_path = make_store(tmp_path)
    add_canary_case(session)
    _forge_generation(session, tmp_path, 1)
    with pytest.raises(DecryptError, match="not the one this laptop knew"):
        Store(session.store.root).unlock(key_path).case_records(session.store.case_ids()[0])


def test_rotated_generation_is_authorised_and_accepted_by_others(tmp_path):
    session, _ = make_store(tmp_path)
    peter = make_identity(tmp_path / "peter.key")
    mary = make_identity(tmp_path / "mary.key")
    rotation.add_member(session, "Peter", peter.public)
    rotation.add_member(session, "Mary", mary.public)
    add_canary_case(session)
    rotation.remove_member(session, "Peter")
    # Mary's laptop has never seen generation 2: it checks the authorisation and accepts it.
    import shutil

    copy = tmp_path / "marys-copy"
    shutil.copytree(session.store.root, copy)
    (copy / ".git" / "cmtk" / "trust.json").unlink()
    marys = Store(copy).unlock(tmp_path / "mary.key")
    assert marys.current_key().public == session.current_key().public


def test_team_list_changed_behind_your_back_must_be_trusted_first(tmp_path):
    """Security review H3: a changed recipients.txt is a question, not a silent fact."""
    session, key_path = make_store(tmp_path)
    attacker = make_identity(tmp_path / "attacker.key")
    path = session.store.root / ".cmtk" / "recipients.txt"
    path.write_text(path.read_text() + f"\n# member: Someone | role: caseworker\n{attacker.public}\n")
    git(session.store.root, "-c", "user.name=x", "-c", "user.email=x@y", "commit", "-qam", "team add")
    with pytest.raises(CmtkError, match="changed since this laptop last accepted it"):
        rotation.add_member(session, "Peter", make_identity(tmp_path / "peter.key").public)
    assert not crypto.decrypt(session.store.key_path(1).read_bytes(), [session.me.identity], "k").startswith(b"x")
    with pytest.raises(CmtkError):
        crypto.decrypt(session.store.key_path(1).read_bytes(), [attacker.identity], "k")
    from helpers import invoke

    base = ["--store", str(session.store.root), "--identity", str(key_path)]
    shown = invoke([*base, "team", "trust", "--yes"])
    assert shown.exit_code == 0 and "NEW      Someone" in shown.output


def test_duplicate_member_names_are_refused():
    from cmtk.team import roster as team_module

    one, two = (str(crypto.generate().public) for _ in range(2))
    with pytest.raises(IdentityError, match="same name"):
        team_module.parse_recipients(f"# member: Wanjiru\n{one}\n# member: wanjiru\n{two}\n")
