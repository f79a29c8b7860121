"""Sync between laptops (issue 9): three clones of one store and a bare remote in temporary folders.

Each "laptop" is a store folder plus its own identity; sync goes through
cmtk.team.sync as the CLI does, and a few paths run through the real CLI.
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
from cmtk.team import conflicts, remotes, rotation, sync, transport
from tests.helpers import CANARIES, Laptop, canary_body, git, invoke, make_team, run_cmtk
from tests.helpers import laptop_case as _case


def _team(tmp_path: Path, remote_kind: str = "repository") -> tuple[list[Laptop], str]:
    return make_team(tmp_path, remote_kind)


def _edited_on_both(tmp_path: Path, baraka_field: str, baraka_value: str) -> tuple[Laptop, Laptop, str]:
    """Amina and Baraka share a case; offline, Amina sets the nickname to Nee and Baraka sets `baraka_field`."""
    (amina, baraka, _), _ = _team(tmp_path)
    case_id = _shared_case(amina, baraka)
    _edit(amina, case_id, "biographical", "nickname", "Nee")
    _edit(baraka, case_id, "biographical", baraka_field, baraka_value)
    return amina, baraka, case_id


def _shared_case(first: Laptop, second: Laptop) -> str:
    """A case opened on the first laptop that both laptops have."""
    case_id = _case(first, "Neema")
    first.sync()
    second.sync()
    return case_id


def _edit(laptop: Laptop, case_id: str, section: str, field: str, value) -> None:
    session = laptop.session()
    record = next(r for r in session.case_records(case_id) if r.form == "identification")
    body = {k: dict(v) if isinstance(v, dict) else v for k, v in record.body.items()}
    body.setdefault(section, {})[field] = value
    session.save(
        case_id,
        [
            dataclasses.replace(
                record, body=body, updated=f"2026-11-2{len(field) % 10}T10:00:00+00:00", updated_by=laptop.name
            )
        ],
        "update",
    )


def _body(laptop: Laptop, case_id: str) -> tuple[dict, records.Record]:
    record = next(r for r in laptop.session().case_records(case_id) if r.form == "identification")
    return record.body, record


def test_different_cases_on_three_laptops_all_arrive(tmp_path):
    (amina, baraka, chebet), _ = _team(tmp_path)
    made = {laptop.name: _case(laptop, f"Child of {laptop.name}") for laptop in (amina, baraka, chebet)}
    for laptop in (amina, baraka, chebet, amina, baraka):  # Friday: each syncs; the first two again to catch up
        laptop.sync()
    for laptop in (amina, baraka, chebet):
        assert set(laptop.session().store.case_ids()) == set(made.values())
        assert Store(laptop.root).git.status() == []
    heads = {Store(laptop.root).git.head() for laptop in (amina, baraka, chebet)}
    assert len(heads) == 1


def test_different_fields_of_one_record_both_kept(tmp_path):
    amina, baraka, case_id = _edited_on_both(tmp_path, "religion", "Christian")
    amina.sync()
    outcome = baraka.sync()
    assert outcome.merged_records == 1 and outcome.conflicts == []
    amina.sync()
    for laptop in (amina, baraka):
        body, record = _body(laptop, case_id)
        assert body["biographical"]["nickname"] == "Nee"
        assert body["biographical"]["religion"] == "Christian"
        assert "conflicts" not in record.extra


def test_same_field_is_a_listed_conflict_never_markers(tmp_path):
    amina, baraka, case_id = _edited_on_both(tmp_path, "nickname", "Mimi")  # Amina updated ...28
    amina.sync()
    outcome = baraka.sync()
    assert [f for _, f in outcome.conflicts] == ["body.biographical.nickname"]
    found = conflicts.of_case(baraka.session(), case_id)
    assert len(found) == 1
    assert {found[0].kept, found[0].other} == {"Nee", "Mimi"}
    for path in Path(baraka.root, "cases").rglob("*.age"):
        data = path.read_bytes()
        assert data.startswith(b"age-encryption.org/v1") and b"<<<<<<<" not in data and b">>>>>>>" not in data
    conflicts.resolve(baraka.session(), case_id, 1, "other")
    body, record = _body(baraka, case_id)
    assert body["biographical"]["nickname"] == found[0].other
    assert "conflicts" not in record.extra
    baraka.sync()
    amina.sync()
    assert _body(amina, case_id)[0]["biographical"]["nickname"] == found[0].other
    assert conflicts.of_case(amina.session(), case_id) == []


def test_visits_added_on_both_sides_all_kept(tmp_path):
    (amina, baraka, _), _ = _team(tmp_path)
    case_id = _shared_case(amina, baraka)
    cases.add_record(amina.session(), case_id, "monitoring", {"visit": {"purpose": "first"}})
    cases.add_record(baraka.session(), case_id, "monitoring", {"visit": {"purpose": "second"}})
    amina.sync()
    baraka.sync()
    amina.sync()
    for laptop in (amina, baraka):
        visits = [r for r in laptop.session().case_records(case_id) if r.form == "monitoring"]
        assert sorted(r.body["visit"]["purpose"] for r in visits) == ["first", "second"]


def test_merged_files_decrypt_with_age_cli_and_no_plaintext_in_any_git(tmp_path):
    (amina, baraka, chebet), url = _team(tmp_path)
    case_id = cases.create_case(amina.session(), "identification", canary_body())
    amina.sync()
    baraka.sync()
    _edit(amina, case_id, "biographical", "nickname", "Kipepeo7Q")
    _edit(baraka, case_id, "biographical", "religion", "Ndovutaka")
    amina.sync()
    baraka.sync()
    chebet.sync()
    # every record file of Baraka's merged copy opens with the age CLI and the store key
    store = Store(baraka.root)
    key_text = crypto.decrypt(
        store.key_path(store.current_generation).read_bytes(), [identity.load(baraka.key).identity], "key"
    ).decode()
    key_file = tmp_path / "store.key"
    key_file.write_text(key_text)
    key_file.chmod(0o600)
    for path in store.record_files():
        out = subprocess.run(["age", "-d", "-i", str(key_file), str(path)], capture_output=True, check=True).stdout
        assert out.startswith(b"cmtk_record: 1")
    key_file.unlink()
    for folder in (amina.root, baraka.root, chebet.root, Path(url)):
        for path in folder.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                for canary in CANARIES:
                    assert canary.encode() not in data, f"{canary} in {path}"


def test_member_added_on_one_side_reaches_the_others(tmp_path):
    (amina, baraka, chebet), url = _team(tmp_path)
    dalia_key = tmp_path / "dalia.key"
    dalia = identity.create(dalia_key)
    case_id = _case(baraka, "Neema")  # Baraka works offline meanwhile
    rotation.add_member(amina.session(), "Dalia", dalia.public)
    amina.sync()
    outcome = baraka.sync()
    assert outcome.team_added == ["Dalia"]
    assert any(m.name == "Dalia" for m in Store(baraka.root).members())
    Store(baraka.root).accept_team()
    remotes.clone(url, tmp_path / "dalia-laptop", dalia)
    dalia_laptop = Laptop("Dalia", dalia_key, tmp_path / "dalia-laptop")
    assert case_id in dalia_laptop.session().store.case_ids()
    assert _body(dalia_laptop, case_id)[0]["biographical"]["first_name"] == "Neema"


def test_removed_member_keys_and_offline_records_reencrypted(tmp_path):
    (amina, baraka, chebet), _ = _team(tmp_path)
    case_id = _case(baraka, "Neema")  # at store key generation 1, offline
    rotation.remove_member(amina.session(), "Chebet")
    amina.sync()
    outcome = baraka.sync()
    assert outcome.reencrypted >= 1
    store = Store(baraka.root)
    assert store.current_generation == 2
    for path in store.case_dir(case_id).glob("*.age"):
        assert baraka.session().read_record(path).key_generation == 2
    with pytest.raises(CmtkError, match="cannot open|removed"):
        chebet.sync()
    assert case_id not in Store(chebet.root).case_ids()


def test_old_identity_gets_a_clear_message(tmp_path):
    (amina, baraka, _), _ = _team(tmp_path)
    stranger = tmp_path / "new.key"
    identity.create(stranger)
    result = invoke(["--store", str(baraka.root), "--identity", str(stranger), "sync"])
    assert result.exit_code == 1
    assert "not in this store's team" in result.output and "Traceback" not in result.output


def test_interrupted_sync_is_finished_by_the_next(tmp_path):
    (amina, baraka, _), _ = _team(tmp_path)
    case_id = _case(amina, "Neema")
    amina.sync()
    store = Store(baraka.root)
    start = store.git.head()
    theirs = transport.fetch(baraka.session(), remotes.find_remote(store, None))
    journal = store.root / ".git" / "cmtk" / sync.JOURNAL
    journal.write_text(f'{{"from": "{start}", "to": "{theirs}"}}')
    store.git.run("read-tree", "-m", "-u", start, theirs)  # the working tree moved, HEAD did not: killed here
    assert store.git.head() == start
    baraka.sync()
    assert not journal.exists()
    assert store.git.head() == theirs and store.git.status() == []
    assert case_id in store.case_ids()


def test_bundle_on_usb_stick_hides_everything(tmp_path):
    (amina, baraka, chebet), url = _team(tmp_path, "bundle")
    case_id = cases.create_case(amina.session(), "identification", canary_body())
    amina.sync()
    baraka.sync()
    assert case_id in Store(baraka.root).case_ids()
    data = Path(url).read_bytes()
    assert data.startswith(b"age-encryption.org/v1")
    assert b"cases/" not in data and b"Amina" not in data and case_id.encode() not in data
    # the stick's file opens with any member's key through the age CLI
    out = subprocess.run(["age", "-d", "-i", str(chebet.key), url], capture_output=True, check=True).stdout
    assert out.startswith(b"# v2 git bundle") or out.startswith(b"# v3 git bundle")


def test_remote_errors_are_one_line(tmp_path):
    (amina, _, _), _ = _team(tmp_path)
    env = {"CMTK_STORE": str(amina.root), "CMTK_IDENTITY": str(amina.key)}
    for args, expected in (
        (["remote", "add", "bad name", "/tmp/x"], "NAME"),
        (["remote", "add", "x", "ext::sh -c touch% /tmp/pwned"], "URL"),
        (["remote", "add", "office", str(tmp_path / "again.git")], "already"),
        (["sync", "nowhere"], "no remote called"),
        (["resolve", "ZZZZZZZZ", "1", "--take", "kept"], "no case"),
    ):
        result = invoke(args, env=env)
        assert result.exit_code in (1, 2), args
        assert expected in result.output, (args, result.output)
        assert "Traceback" not in result.output


def test_sync_through_real_cli(tmp_path):
    (amina, baraka, _), _ = _team(tmp_path)
    _case(amina, "Neema")
    env = {"CMTK_STORE": str(amina.root), "CMTK_IDENTITY": str(amina.key)}
    result = run_cmtk(["sync"], env=env)
    assert result.returncode == 0, result.stderr
    assert "Synced with office" in result.stdout
    result = run_cmtk(["conflicts"], env=env)
    assert result.returncode == 0 and "No conflicts" in result.stdout


def test_hand_run_git_pull_merges_through_the_driver(tmp_path):
    amina, baraka, case_id = _edited_on_both(tmp_path, "religion", "Christian")
    amina.sync()
    env = {**os.environ, "CMTK_IDENTITY": str(baraka.key)}
    result = subprocess.run(
        ["git", "-c", "user.name=x", "-c", "user.email=x@x", "pull", "-q", "--no-rebase", "origin", "main"],
        cwd=baraka.root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    body, _ = _body(baraka, case_id)
    assert body["biographical"]["nickname"] == "Nee" and body["biographical"]["religion"] == "Christian"


def test_plain_git_clone_never_merges_ciphertext_as_text(tmp_path):
    """Without cmtk's driver (a copy made by plain `git clone`) .gitattributes still says merge=binary."""
    (amina, _, _), _ = _team(tmp_path)
    assert "merge=binary" in (amina.root / ".gitattributes").read_text()
    assert "merge=cmtk" in (amina.root / ".git" / "info" / "attributes").read_text()
    assert git(amina.root, "config", "--get", "rerere.enabled").strip() == "false"


def test_two_offline_removals_merge_into_a_fresh_key_for_the_merged_team(tmp_path):
    (amina, baraka, chebet), url = _team(tmp_path)
    dalia_key, esther_key = tmp_path / "dalia.key", tmp_path / "esther.key"
    dalia, esther = identity.create(dalia_key), identity.create(esther_key)
    session = amina.session()
    rotation.add_member(session, "Dalia", dalia.public)
    rotation.add_member(amina.session(), "Esther", esther.public)
    amina.sync()
    baraka.sync()
    Store(baraka.root).accept_team()
    chebet.sync()
    Store(chebet.root).accept_team()
    mine = _case(baraka, "Neema")
    rotation.remove_member(amina.session(), "Dalia")  # generation 2 on Amina's laptop
    rotation.remove_member(baraka.session(), "Esther")  # another generation 2 on Baraka's
    theirs = _case(amina, "Zawadi")
    amina.sync()
    outcome = baraka.sync()
    assert outcome.new_generation == 3
    store = Store(baraka.root)
    assert {m.name for m in store.members()} == {"Amina", "Baraka", "Chebet"}
    assert store.current_generation == 3
    session = baraka.session()
    for path in store.record_files():
        assert session.read_record(path).key_generation == 3
    assert {mine, theirs} <= set(store.case_ids())
    amina.sync()
    chebet.sync()
    for laptop in (amina, chebet):
        assert Store(laptop.root).current_generation == 3
        assert _body(laptop, mine)[0]["biographical"]["first_name"] == "Neema"
    # neither removed member can open the merged store's newest key
    for key in (dalia, esther):
        with pytest.raises(DecryptError):
            crypto.decrypt(store.key_path(3).read_bytes(), [key.identity], "key 3")


def test_members_added_on_both_sides_need_a_confirmation(tmp_path):
    (amina, baraka, _), _ = _team(tmp_path)
    dalia, esther = identity.create(tmp_path / "dalia.key"), identity.create(tmp_path / "esther.key")
    rotation.add_member(amina.session(), "Dalia", dalia.public)
    rotation.add_member(baraka.session(), "Esther", esther.public)
    amina.sync()
    before = Store(baraka.root).git.head()
    with pytest.raises(CmtkError, match="Dalia.*accept-team"):
        baraka.sync()
    assert Store(baraka.root).git.head() == before and Store(baraka.root).git.status() == []
    seen = []
    outcome = sync.sync(baraka.session(), confirm_team=lambda members: seen.extend(m.name for m in members) or True)
    assert seen == ["Dalia"] and outcome.team_confirmed
    store = Store(baraka.root)
    assert {m.name for m in store.members()} == {"Amina", "Baraka", "Chebet", "Dalia", "Esther"}
    assert store.team_changes() == ([], [])
    for key in (dalia, esther):  # both new members can open every key file
        for generation in store.generations():
            crypto.decrypt(store.key_path(generation).read_bytes(), [key.identity], "key")


def test_case_show_and_conflicts_command_point_at_unresolved_conflicts(tmp_path):
    amina, baraka, case_id = _edited_on_both(tmp_path, "nickname", "Mimi")
    amina.sync()
    env = {"CMTK_STORE": str(baraka.root), "CMTK_IDENTITY": str(baraka.key)}
    synced = invoke(["sync"], env=env)
    assert synced.exit_code == 0 and "1 field(s) were changed differently" in synced.output
    shown = invoke(["case", "show", case_id], env=env)
    assert f"`cmtk conflicts {case_id}`" in shown.output
    listed = invoke(["conflicts"], env=env)
    assert f"{case_id} #1" in listed.output and "body.biographical.nickname" in listed.output
    assert "kept:  Nee" in listed.output or "kept:  Mimi" in listed.output
    bad = invoke(["resolve", case_id, "2", "--take", "other"], env=env)
    assert bad.exit_code == 2 and "only conflict 1" in bad.output
    wrong = invoke(["resolve", case_id, "1", "--take", "mine"], env=env)
    assert wrong.exit_code == 2 and "--take" in wrong.output
    done = invoke(["resolve", case_id, "1", "--take", "kept"], env=env)
    assert done.exit_code == 0 and "Resolved" in done.output
    assert "No conflicts" in invoke(["conflicts"], env=env).output
    assert "cmtk conflicts" not in invoke(["case", "show", case_id], env=env).output


def test_clone_shows_the_fingerprint_and_refuses_an_unexpected_store(tmp_path):
    """Security review round 2, L8: a look-alike store on a stick is caught by its fingerprint."""
    (amina, _, _), url = _team(tmp_path)
    dalia_key = tmp_path / "dalia.key"
    dalia = identity.create(dalia_key)
    rotation.add_member(amina.session(), "Dalia", dalia.public)
    amina.sync()
    real = invoke(["--store", str(amina.root), "--identity", str(amina.key), "team", "fingerprint"]).output.strip()
    assert len(real) == 19
    wrong = invoke(
        ["--identity", str(dalia_key), "clone", url, str(tmp_path / "dalia"), "--expect", "0000-0000-0000-0000"]
    )
    assert wrong.exit_code == 1 and real in wrong.output and not (tmp_path / "dalia").exists()
    right = invoke(["--identity", str(dalia_key), "clone", url, str(tmp_path / "dalia"), "--expect", real.lower()])
    assert right.exit_code == 0 and f"Store fingerprint: {real}" in right.output


def test_the_same_case_id_opened_on_two_laptops_is_refused_not_blended(tmp_path, monkeypatch):
    (amina, baraka, _), _ = _team(tmp_path)
    from cmtk.store import ids

    monkeypatch.setattr(ids, "new_case_id", lambda taken=None: "K7Q2MX4P")
    _case(amina, "Neema")
    _case(baraka, "Zawadi")
    amina.sync()
    before = Store(baraka.root).git.head()
    with pytest.raises(CmtkError, match="K7Q2MX4P was opened on this laptop and on the other copy"):
        baraka.sync()
    assert Store(baraka.root).git.head() == before


@pytest.mark.slow
def test_many_cases_opened_offline_on_two_laptops_all_arrive(tmp_path):
    (amina, baraka, _), _ = _team(tmp_path)
    made = {_case(laptop, f"Child {n}") for n in range(15) for laptop in (amina, baraka)}
    amina.sync()
    baraka.sync()
    amina.sync()
    assert set(Store(amina.root).case_ids()) == made == set(Store(baraka.root).case_ids())
    assert len(made) == 30


def test_a_missing_bundle_file_is_not_a_silent_new_start(tmp_path):
    """New-user trial: a stick not plugged in (its mount folder empty) must not 'sync' to the laptop's own disk."""
    (amina, baraka, _), url = _team(tmp_path, "bundle")
    Path(url).unlink()
    with pytest.raises(CmtkError, match="--new-bundle"):
        baraka.sync()
    assert not Path(url).exists()
    env = {"CMTK_STORE": str(baraka.root), "CMTK_IDENTITY": str(baraka.key)}
    result = invoke(["sync", "--new-bundle"], env=env)
    assert result.exit_code == 0 and Path(url).exists()
    amina.sync()


def test_conflicts_are_announced_on_every_laptop_with_who_saved_each_value(tmp_path):
    amina, baraka, case_id = _edited_on_both(tmp_path, "nickname", "Mimi")
    amina.sync()
    baraka.sync()
    outcome = amina.sync()  # Amina did not merge, but hears about it
    assert outcome.open_conflicts == 1
    listed = invoke(["conflicts", case_id], env={"CMTK_STORE": str(amina.root), "CMTK_IDENTITY": str(amina.key)}).output
    assert "(Amina, 2026-11-2" in listed and "(Baraka, 2026-11-2" in listed


def test_fingerprint_may_be_typed_without_dashes(tmp_path):
    (amina, _, _), url = _team(tmp_path)
    dalia_key = tmp_path / "dalia.key"
    rotation.add_member(amina.session(), "Dalia", identity.create(dalia_key).public)
    amina.sync()
    real = invoke(["--store", str(amina.root), "--identity", str(amina.key), "team", "fingerprint"]).output.strip()
    result = invoke(
        ["--identity", str(dalia_key), "clone", url, str(tmp_path / "d"), "--expect", real.replace("-", " ").lower()]
    )
    assert result.exit_code == 0, result.output


@pytest.mark.slow
def test_a_week_offline_on_three_laptops_then_friday(tmp_path, monkeypatch):
    """Issue 9's 'done when': three caseworkers work offline all week; after Friday's syncs every laptop has
    every case and every record, nothing lost, and the one true conflict is listed."""
    import datetime as dt

    from cmtk.casework import plan
    from cmtk.store import doctor
    from tests.helpers import minimal_body

    monkeypatch.setenv("CMTK_TODAY", "2026-11-16")
    laptops, _ = _team(tmp_path)
    amina, baraka, chebet = laptops
    shared = [cases.create_case(amina.session(), "identification", minimal_body("identification")) for _ in range(3)]
    plan.add_goal(
        amina.session(), shared[0], phase="pre", domain="education", goal="Back in school", today=dt.date(2026, 11, 16)
    )
    amina.sync()
    baraka.sync()
    chebet.sync()

    opened: set[str] = set(shared)
    recorded: set[str] = set()
    goals: set[str] = {"Back in school"}
    for day in range(17, 21):  # Monday to Thursday, offline
        monkeypatch.setenv("CMTK_TODAY", f"2026-11-{day}")
        for laptop in laptops:
            session = laptop.session()
            opened.add(cases.create_case(session, "identification", minimal_body("identification")))
            recorded.add(cases.add_record(session, shared[day % 3], "case-notes", minimal_body("case-notes")).record)
            goal = f"Goal from {laptop.name} on day {day}"
            plan.add_goal(
                laptop.session(), shared[0], phase="pre", domain="health", goal=goal, today=dt.date(2026, 11, day)
            )
            goals.add(goal)
    _edit(amina, shared[1], "biographical", "nickname", "Nee")  # different fields of one record
    _edit(baraka, shared[1], "biographical", "religion", "Christian")
    _edit(amina, shared[2], "biographical", "other_names", "Wanjiku")  # the same field: a true conflict
    _edit(chebet, shared[2], "biographical", "other_names", "Achieng")

    monkeypatch.setenv("CMTK_TODAY", "2026-11-21")  # Friday: each syncs once, then the first two again
    for laptop in (amina, baraka, chebet, amina, baraka):
        laptop.sync()

    heads = {Store(laptop.root).git.head() for laptop in laptops}
    assert len(heads) == 1
    for laptop in laptops:
        session = laptop.session()
        assert set(session.store.case_ids()) == opened
        present = {r.record for case_id in opened for r in session.case_records(case_id)}
        assert recorded <= present
        the_plan = plan.plans(cases.read_case(session, shared[0]))["pre_placement"]
        assert {g["goal"] for g in the_plan.goals} == goals
        assert len({g["ref"] for g in the_plan.goals}) == len(goals)  # two rows each, never merged into one
        bio = _body(laptop, shared[1])[0]["biographical"]
        assert bio["nickname"] == "Nee" and bio["religion"] == "Christian"
        listed = conflicts.of_case(session, shared[2])
        assert [(c.field, {c.kept, c.other}) for c in listed] == [
            ("body.biographical.other_names", {"Wanjiku", "Achieng"})
        ]
        assert doctor.check(session) == []


def test_a_removal_arriving_by_sync_names_the_member(tmp_path):
    (amina, baraka, _), _ = _team(tmp_path)
    rotation.remove_member(amina.session(), "Chebet")
    amina.sync()
    env = {"CMTK_STORE": str(baraka.root), "CMTK_IDENTITY": str(baraka.key)}
    synced = invoke(["sync"], env=env)
    assert "REMOVED Chebet" in synced.output and "Accept the change with `cmtk team trust`" in synced.output
    trust = invoke(["team", "trust", "--yes"], env=env)
    assert "REMOVED  Chebet" in trust.output and "Accepted" in trust.output


def test_a_store_made_before_sync_existed_gets_the_driver_at_its_first_sync(tmp_path):
    (amina, _, _), _ = _team(tmp_path)
    (amina.root / ".git" / "info" / "attributes").unlink()
    git(amina.root, "config", "--unset", "merge.cmtk.driver")
    amina.sync()
    assert "merge=cmtk" in (amina.root / ".git" / "info" / "attributes").read_text()
    assert "merge-driver" in git(amina.root, "config", "--get", "merge.cmtk.driver")


def test_clone_from_a_folder_that_is_no_store_says_what_to_give(tmp_path):
    key = tmp_path / "k.key"
    identity.create(key)
    (tmp_path / "plain").mkdir()
    result = invoke(["--identity", str(key), "clone", str(tmp_path / "plain"), str(tmp_path / "copy")])
    assert result.exit_code == 1 and "could not copy a store from" in result.output and "git -c" not in result.output
    assert not (tmp_path / "copy").exists()
