"""Attacks on sync from the second security review (docs/security-review.md, round 2), each with its fix.

The attacker can write to the shared folder the team syncs through (a removed member who kept access,
or whoever runs the server): they clone it with plain git, change it and push.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from pathlib import Path

import pytest

from cmtk.casework import cases
from cmtk.errors import CmtkError, DecryptError
from cmtk.store import crypto, identity, records
from cmtk.store.session import Store
from cmtk.team import remotes, rotation, sync
from tests.helpers import invoke, minimal_body
from tests.test_sync import Laptop, _team


def _git(root: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "x",
        "GIT_AUTHOR_EMAIL": "x@x",
        "GIT_COMMITTER_NAME": "x",
        "GIT_COMMITTER_EMAIL": "x@x",
    }
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True, env=env).stdout


def _attacker(url: str, folder: Path) -> Path:
    subprocess.run(["git", "clone", "-q", url, str(folder)], check=True, capture_output=True)
    return folder


def _push(folder: Path, message: str = "update cases", force: bool = False) -> None:
    _git(folder, "add", "-A")
    _git(folder, "commit", "-q", "-m", message)
    _git(folder, "push", "-q", *(["-f"] if force else []), "origin", "HEAD:main")


def _with_mallory(tmp_path: Path):
    """A team with Mallory, who is then removed (store key generation 2) and keeps write access to the folder."""
    (amina, baraka, chebet), url = _team(tmp_path)
    mallory = identity.create(tmp_path / "mallory.key")
    rotation.add_member(amina.session(), "Mallory", mallory.public)
    amina.sync()
    baraka.sync()
    Store(baraka.root).accept_team()
    old_key = amina.session().key(1)  # Mallory could open generation 1 while she was a member
    rotation.remove_member(amina.session(), "Mallory")
    amina.sync()
    baraka.sync()
    return amina, baraka, url, old_key


def test_h1_deleted_newest_key_file_is_refused(tmp_path):
    amina, baraka, url, _ = _with_mallory(tmp_path)
    evil = _attacker(url, tmp_path / "evil")
    (evil / ".cmtk/keys/2.age").unlink()
    _push(evil)
    before = Store(baraka.root).git.head()
    with pytest.raises(CmtkError, match="keys/2.age deleted"):
        baraka.sync()
    assert Store(baraka.root).git.head() == before


def test_h1_a_session_refuses_to_write_when_a_pinned_key_file_is_gone(tmp_path):
    amina, baraka, _, _ = _with_mallory(tmp_path)
    baraka.session().current_key()  # pins generation 2 on this laptop
    _git(baraka.root, "rm", "-q", ".cmtk/keys/2.age")
    _git(baraka.root, "commit", "-q", "-m", "x")
    with pytest.raises(DecryptError, match="generation 2 but its file is gone"):
        cases.create_case(baraka.session(), "identification", minimal_body("identification"))


def test_m3_record_forged_with_the_old_key_is_refused(tmp_path):
    amina, baraka, url, old_key = _with_mallory(tmp_path)
    case_id = cases.create_case(amina.session(), "identification", minimal_body("identification"))
    amina.sync()
    evil = _attacker(url, tmp_path / "evil")
    forged = dataclasses.replace(
        cases.new_record(amina.session(), case_id, "case-notes", minimal_body("case-notes"), None), key_generation=1
    )
    folder = evil / "cases" / case_id[:2] / case_id
    (folder / f"{forged.record}.age").write_bytes(
        crypto.encrypt(crypto.pad(records.encode(forged)), [old_key.recipient])
    )
    _push(evil)
    with pytest.raises(CmtkError, match="forged by a removed member"):
        baraka.sync()
    assert case_id not in Store(baraka.root).case_ids()


@pytest.mark.parametrize(
    "attack, expected",
    [
        ("gitattributes", "never makes"),
        pytest.param("symlink", "not a plain file", marks=pytest.mark.slow),
        pytest.param("outside", "a file cmtk never writes", marks=pytest.mark.slow),
        pytest.param("training", "training and a real store", marks=pytest.mark.slow),
        pytest.param("delete-case", "deleted", marks=pytest.mark.slow),
    ],
)
def test_m4_m5_changes_cmtk_never_makes_are_refused(tmp_path, attack, expected):
    (amina, baraka, _), url = _team(tmp_path)
    case_id = cases.create_case(amina.session(), "identification", minimal_body("identification"))
    amina.sync()
    baraka.sync()
    evil = _attacker(url, tmp_path / "evil")
    if attack == "gitattributes":
        (evil / ".gitattributes").write_text("*.age text eol=crlf\n")
    elif attack == "symlink":
        target = next((evil / "cases").rglob("*.age"))
        target.unlink()
        target.symlink_to("/etc/passwd")
    elif attack == "outside":
        (evil / "notes.txt").write_text("hello")
    elif attack == "training":
        settings = evil / ".cmtk/settings.yaml"
        settings.write_text(settings.read_text().replace("training: false", "training: true"))
    elif attack == "delete-case":
        _git(evil, "rm", "-q", "-r", f"cases/{case_id[:2]}/{case_id}")
    _push(evil)
    before = Store(baraka.root).git.head()
    with pytest.raises(CmtkError, match=expected):
        baraka.sync()
    assert Store(baraka.root).git.head() == before and Store(baraka.root).git.status() == []
    assert case_id in Store(baraka.root).case_ids()


def test_h2_a_member_slipped_in_earlier_is_asked_about_at_the_next_team_merge(tmp_path):
    """Round 2 let this fast-forward through with a warning and asked at the next team merge; since round 4
    (issue 15, item 3) a team list that differs from the newest store key's recipients is refused at once."""
    (amina, baraka, chebet), url = _team(tmp_path)
    evil_key = identity.create(tmp_path / "evil.key")
    attacker = _attacker(url, tmp_path / "evil")
    recipients = attacker / ".cmtk/recipients.txt"
    original = recipients.read_text()
    recipients.write_text(original + f"\n# member: Evil\n{evil_key.public}\n")
    _push(attacker)
    before = Store(baraka.root).git.head()
    with pytest.raises(CmtkError, match="team list"):
        baraka.sync()
    assert Store(baraka.root).git.head() == before
    assert evil_key.public not in {m.public for m in Store(baraka.root).members()}
    store = Store(baraka.root)
    for generation in store.generations():
        with pytest.raises(DecryptError):
            crypto.decrypt(store.key_path(generation).read_bytes(), [evil_key.identity], "key")


def test_h2_bundles_are_encrypted_only_to_accepted_members(tmp_path):
    (amina, baraka, _), url = _team(tmp_path, "bundle")
    evil_key = identity.create(tmp_path / "evil.key")
    store = Store(baraka.root)
    recipients = store.root / ".cmtk/recipients.txt"
    recipients.write_text(recipients.read_text() + f"\n# member: Evil\n{evil_key.public}\n")
    _git(store.root, "commit", "-q", "-am", "x")  # as if it had arrived unchecked
    baraka.sync()
    with pytest.raises(DecryptError):
        crypto.decrypt(Path(url).read_bytes(), [evil_key.identity], "bundle")
    crypto.decrypt(Path(url).read_bytes(), [identity.load(amina.key).identity], "bundle")


def test_l6_a_member_who_joins_after_a_removal_keeps_every_pin(tmp_path):
    amina, baraka, url, _ = _with_mallory(tmp_path)
    dalia = identity.create(tmp_path / "dalia.key")
    rotation.add_member(amina.session(), "Dalia", dalia.public)
    amina.sync()
    remotes.clone(url, tmp_path / "dalia-laptop", dalia)
    laptop = Laptop("Dalia", tmp_path / "dalia.key", tmp_path / "dalia-laptop")
    laptop.session().current_key()
    assert set(Store(laptop.root).trust()["keys"]) == {"1", "2"}
    laptop.session().key(1)  # no false "second first-generation key" alarm


def test_l7_a_change_saved_between_read_and_save_is_merged_not_overwritten(tmp_path):
    (amina, _, _), _ = _team(tmp_path)
    case_id = cases.create_case(amina.session(), "identification", minimal_body("identification"))
    slow = amina.session()
    record = next(r for r in slow.case_records(case_id) if r.form == "identification")
    fast = amina.session()
    other = next(r for r in fast.case_records(case_id) if r.form == "identification")
    fast.save(
        case_id,
        [
            dataclasses.replace(
                other, body={**other.body, "biographical": {**other.body["biographical"], "religion": "Muslim"}}
            )
        ],
        "update",
    )
    slow.save(
        case_id,
        [
            dataclasses.replace(
                record, body={**record.body, "biographical": {**record.body["biographical"], "nickname": "Nee"}}
            )
        ],
        "update",
    )
    bio = next(r for r in amina.session().case_records(case_id) if r.form == "identification").body["biographical"]
    assert bio["religion"] == "Muslim" and bio["nickname"] == "Nee"


def test_m4_records_stay_binary_whatever_gitattributes_says(tmp_path):
    (amina, _, _), _ = _team(tmp_path)
    (amina.root / ".gitattributes").write_text("*.age text eol=crlf\n")
    attributes = _git(amina.root, "check-attr", "text", "eol", "merge", "--", "cases/AB/AB12CD34/0123456789.age")
    assert "text: unset" in attributes and "eol: unset" in attributes and "merge: cmtk" in attributes


def test_r3_a_rewritten_shared_history_is_refused(tmp_path):
    """Round 3: rewinding the shared folder to before a removal, then adding to it (a force-push)."""
    amina, baraka, url, _ = _with_mallory(tmp_path)
    evil = _attacker(url, tmp_path / "evil")
    _git(evil, "reset", "-q", "--hard", "HEAD~1")  # before the removal
    _git(evil, "commit", "-q", "--allow-empty", "-m", "update cases")
    _git(evil, "push", "-q", "-f", "origin", "HEAD:main")
    before = Store(baraka.root).git.head()
    with pytest.raises(CmtkError, match="history on origin was rewritten"):
        baraka.sync()
    assert Store(baraka.root).git.head() == before
    with pytest.raises(CmtkError, match="rewritten"):  # and it stays refused
        baraka.sync()


def test_r3_c_an_earlier_version_put_back_is_refused(tmp_path):
    """Round 3: someone with write access and no key commits an earlier ciphertext of a record."""
    (amina, baraka, _), url = _team(tmp_path)
    case_id = cases.create_case(amina.session(), "identification", minimal_body("identification"))
    amina.sync()
    path = next(p for p in (amina.root / "cases").rglob("*.age"))
    relative = path.relative_to(amina.root).as_posix()
    old_version = path.read_bytes()
    session = amina.session()
    record = session.read_record(path)
    session.save(
        case_id, [dataclasses.replace(record, body={**record.body, "extra_note": {"text": "safety"}})], "update"
    )
    amina.sync()
    baraka.sync()
    evil = _attacker(url, tmp_path / "evil")
    (evil / relative).write_bytes(old_version)
    _push(evil)
    with pytest.raises(CmtkError, match="earlier version"):
        baraka.sync()


def test_r3_e_a_stale_copy_from_before_a_removal_shows_another_fingerprint(tmp_path):
    """Round 3: a removed member's old copy, with a newcomer added, passed `clone --expect`."""
    (amina, baraka, _), url = _team(tmp_path)
    before = invoke(["--store", str(amina.root), "--identity", str(amina.key), "team", "fingerprint"]).output.strip()
    rotation.remove_member(amina.session(), "Chebet")
    after = invoke(["--store", str(amina.root), "--identity", str(amina.key), "team", "fingerprint"]).output.strip()
    assert before != after and len(after) == 19
    stranger = identity.create(tmp_path / "new.key")
    refused = invoke(["--identity", str(tmp_path / "new.key"), "clone", url, str(tmp_path / "n"), "--expect", after])
    assert refused.exit_code == 1 and "not in this store's team" in refused.output and not (tmp_path / "n").exists()
    del stranger


def test_r3_g_changed_settings_policy_or_forms_must_be_accepted(tmp_path):
    """Round 3: anyone with write access could change how dates are read or what a form requires."""
    (amina, baraka, _), url = _team(tmp_path)
    evil = _attacker(url, tmp_path / "evil")
    settings = evil / ".cmtk/settings.yaml"
    settings.write_text(settings.read_text().replace("date_order: DMY", "date_order: MDY"))
    _push(evil)
    before = Store(baraka.root).git.head()
    with pytest.raises(CmtkError, match="changed .cmtk/settings.yaml.*--accept-settings"):
        baraka.sync()
    assert Store(baraka.root).git.head() == before
    shown = []
    sync.sync(baraka.session(), confirm_settings=lambda paths, diff: shown.append((paths, diff)) or True)
    assert shown[0][0] == [".cmtk/settings.yaml"] and "+date_order: MDY" in shown[0][1]
    assert Store(baraka.root).date_order == "MDY"
    env = {"CMTK_STORE": str(amina.root), "CMTK_IDENTITY": str(amina.key)}
    result = invoke(["sync", "--accept-settings"], env=env)
    assert result.exit_code == 0 and "+date_order: MDY" in result.output


def test_r3_h_a_record_in_the_wrong_shard_is_refused(tmp_path):
    (amina, baraka, _), url = _team(tmp_path)
    case_id = cases.create_case(amina.session(), "identification", minimal_body("identification"))
    amina.sync()
    evil = _attacker(url, tmp_path / "evil")
    source = next((evil / "cases").rglob("*.age"))
    wrong = evil / "cases" / ("ZZ" if case_id[:2] != "ZZ" else "YY") / case_id / source.name
    wrong.parent.mkdir(parents=True)
    wrong.write_bytes(source.read_bytes())
    _push(evil)
    with pytest.raises(CmtkError, match="wrong folder"):
        baraka.sync()
