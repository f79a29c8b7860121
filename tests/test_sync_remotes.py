"""Sync across remote topologies and faults (issue 21, items 4, 5, 6, 8, 10): a bundle rewritten for a new
team, damaged and full sticks, two remotes with criss-cross histories, hand-made git merges."""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cmtk.errors import CmtkError
from cmtk.store import doctor, faults, identity
from cmtk.store.session import Session, Store
from cmtk.team import remotes, rotation, sync, transport
from tests.helpers import Laptop, fill_the_disk, make_team, run_cmtk
from tests.helpers import laptop_case as _case


def _team(tmp_path: Path, kind: str = "bundle", names=("Amina", "Baraka", "Chebet")) -> tuple[list[Laptop], str]:
    return make_team(tmp_path, kind, names, remote="usb" if kind == "bundle" else "office")


# -- item 5: a team change rewrites the bundle ---------------------------------------------------------------


def test_a_member_added_can_clone_the_stick_after_everyone_syncs(tmp_path):
    (amina, baraka, chebet), url = _team(tmp_path)
    _case(amina, "Neema")  # Amina works meanwhile: her sync merges and writes the stick
    edna_key = tmp_path / "edna.key"
    edna = identity.create(edna_key)
    rotation.add_member(baraka.session(), "Edna", edna.public)
    baraka.sync()
    amina.sync()
    chebet.sync()
    baraka.sync()
    copy = remotes.clone(url, tmp_path / "edna-laptop", edna)
    assert copy.member == "Edna"
    # the stick is written once for the new team, not at every sync
    before = Path(url).read_bytes()
    amina.sync()
    baraka.sync()
    assert Path(url).read_bytes() == before
    assert Store(amina.root).git.run("for-each-ref", "refs/cmtk/") == ""


# -- item 8: faults and their messages -----------------------------------------------------------------------


def test_a_damaged_bundle_says_damaged_and_new_bundle_recovers(tmp_path):
    (amina, baraka, _), url = _team(tmp_path)
    case_id = _case(amina, "Neema")
    amina.sync()
    data = bytearray(Path(url).read_bytes())
    data[len(data) // 2] ^= 0x55  # a stick pulled out, a failing cell: the content, not the header
    Path(url).write_bytes(bytes(data))
    with pytest.raises(CmtkError, match="damaged") as raised:
        baraka.sync()
    assert "removed" not in raised.value.message and "--new-bundle" in raised.value.message
    assert case_id not in Store(baraka.root).case_ids()
    sync.sync(amina.session(), None, new_bundle=True)
    baraka.sync()
    assert case_id in Store(baraka.root).case_ids()


def test_a_full_stick_is_named_with_the_space_needed_and_refused_before_writing(tmp_path, monkeypatch):
    (amina, _, _), url = _team(tmp_path)
    _case(amina, "Neema")
    before = Path(url).read_bytes()
    monkeypatch.setattr(transport, "free_bytes", lambda folder: 1000)
    with pytest.raises(CmtkError) as raised:
        amina.sync()
    message = raised.value.message
    assert str(Path(url).parent) in message and "stick is full" in message and "B free" in message
    assert Path(url).read_bytes() == before and not list(Path(url).parent.glob(".tmp-*"))
    # a stick that holds the new bundle only once the old one is gone: --new-bundle replaces it in place
    size = len(before)
    monkeypatch.setattr(transport, "free_bytes", lambda folder: transport.SPACE_MARGIN + 2 * size - len(before))
    with pytest.raises(CmtkError, match="--new-bundle"):
        amina.sync()
    sync.sync(amina.session(), None, new_bundle=True)
    assert Path(url).read_bytes() != before


def test_disk_full_while_writing_the_stick_names_the_stick(tmp_path, monkeypatch):
    (amina, _, _), url = _team(tmp_path)
    _case(amina, "Neema")
    fill_the_disk(monkeypatch, transport)
    with pytest.raises(CmtkError, match="stick is full") as raised:
        amina.sync()
    assert str(Path(url).parent) in raised.value.message
    assert not list(Path(url).parent.glob(".tmp-*"))


def test_a_killed_bundle_write_leaves_a_part_file_the_next_sync_removes(tmp_path):
    (amina, baraka, _), url = _team(tmp_path)
    case_id = _case(amina, "Neema")
    env = {**os.environ, "CMTK_STORE": str(amina.root), "CMTK_IDENTITY": str(amina.key), faults.VARIABLE: "bundle"}
    result = subprocess.run([sys.executable, "-m", "cmtk", "sync"], env=env, capture_output=True, text=True)
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert list(Path(url).parent.glob(".tmp-*.part"))
    amina.sync()
    assert not list(Path(url).parent.glob(".tmp-*.part"))
    baraka.sync()
    assert case_id in Store(baraka.root).case_ids()


def test_a_full_laptop_disk_is_not_called_a_busy_index_lock(tmp_path):
    (amina, _, _), _ = _team(tmp_path)
    store = Store(amina.root)

    def full(*args, **kwargs):
        return subprocess.CompletedProcess(
            args,
            128,
            b"",
            f"fatal: Unable to create '{amina.root}/.git/index.lock': No space left on device\n".encode(),
        )

    import cmtk.store.gitio as gitio

    original = gitio.run_git
    gitio.run_git = full
    try:
        with pytest.raises(CmtkError) as raised:
            store.git.run("update-index", "--refresh")
    finally:
        gitio.run_git = original
    assert "disk is full" in raised.value.message and "index.lock" not in raised.value.message


def test_a_missing_shared_folder_is_one_whole_line(tmp_path):
    (amina, _, _), url = _team(tmp_path, "folder")
    shutil.move(url, tmp_path / "unmounted.git")
    result = run_cmtk(["sync"], env={"CMTK_STORE": str(amina.root), "CMTK_IDENTITY": str(amina.key)})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no such folder" in lines[0] and url in lines[0], result.stderr


def test_a_folder_git_cannot_read_gives_gits_first_reason_whole(tmp_path):
    (amina, _, _), url = _team(tmp_path, "folder")
    shutil.rmtree(Path(url) / "objects")  # a folder, but no longer a repository
    with pytest.raises(CmtkError) as raised:
        amina.sync()
    message = raised.value.message
    assert "does not appear to be a git repository" in message and "and the repository exists" not in message


def test_a_laptop_clock_behind_is_named_in_doctor_not_an_invalid_value(tmp_path, monkeypatch):
    (amina, baraka, _), _ = _team(tmp_path)
    monkeypatch.setenv("CMTK_TODAY", "2026-06-01")
    case_id = _case(amina, "Neema")
    session = amina.session()
    record = next(r for r in session.case_records(case_id) if r.form == "identification")
    body = {k: dict(v) if isinstance(v, dict) else v for k, v in record.body.items()}
    body["biographical"]["date_of_birth"] = "2026-05-30"  # recorded on a laptop whose date is right
    session.save(case_id, [dataclasses.replace(record, body=body)], "update")
    amina.sync()
    baraka.sync()
    monkeypatch.setenv("CMTK_TODAY", "2026-01-01")  # Baraka's clock is five months behind
    found = [f for f in doctor.check(baraka.session()) if case_id in f.message]
    assert found and all(f.code == "clock" for f in found), found
    assert all("date and time" in f.message and "does not accept" not in f.message for f in found)


# -- item 4: two remotes, criss-cross histories --------------------------------------------------------------


def _two_remotes(tmp_path: Path) -> tuple[Laptop, Laptop, str, str]:
    (p, q), office = _team(tmp_path, "folder", names=("Pendo", "Qamar"))
    (tmp_path / "usb").mkdir()
    usb = str(tmp_path / "usb" / "cci.age")
    remotes.add_remote(Store(p.root), "usb", usb)
    sync.sync(p.session(), "usb")
    remotes.add_remote(Store(q.root), "usb", usb)
    sync.sync(q.session(), "usb")
    return p, q, "office", usb


def _nickname(laptop: Laptop, case_id: str, value: str) -> None:
    session = laptop.session()
    record = next(r for r in session.case_records(case_id) if r.form == "identification")
    body = {k: dict(v) if isinstance(v, dict) else v for k, v in record.body.items()}
    body["biographical"]["nickname"] = value
    session.save(case_id, [dataclasses.replace(record, body=body, updated_by=laptop.name)], "update")


@pytest.mark.slow
def test_two_remotes_with_criss_cross_histories_converge(tmp_path):
    p, q, _, _ = _two_remotes(tmp_path)
    office_p, office_q = "office", "origin"
    shared = _case(p, "Neema")
    sync.sync(p.session(), office_p)
    sync.sync(q.session(), office_q)
    made = {shared}
    for round_number in range(3):
        made.add(_case(p, f"P{round_number}"))
        made.add(_case(q, f"Q{round_number}"))
        _nickname(p, shared, f"p{round_number}")
        _nickname(q, shared, f"q{round_number}")
        for laptop, remote in ((p, office_p), (q, "usb"), (p, "usb"), (q, office_q), (p, office_p)):
            made.add(_case(laptop, f"{laptop.name}{round_number}{remote}"))
            sync.sync(laptop.session(), remote)
    for _ in range(2):  # Friday: each laptop with each remote, twice
        for laptop, remote in ((p, office_p), (p, "usb"), (q, office_q), (q, "usb")):
            sync.sync(laptop.session(), remote)
    sync.sync(p.session(), office_p)
    sync.sync(p.session(), "usb")
    heads = {Store(p.root).git.head(), Store(q.root).git.head()}
    assert len(heads) == 1, "the copies did not reach the same commit"
    for laptop in (p, q):
        assert set(Store(laptop.root).case_ids()) == made
        assert Store(laptop.root).git.status() == []
    again = sync.sync(q.session(), office_q)
    assert (again.received, again.sent, again.merged_records) == (0, 0, 0)


# -- item 6: the plain-git path -------------------------------------------------------------------------------


def _plain_git_copy(tmp_path: Path) -> tuple[Laptop, Laptop, str]:
    """Amina's store and a copy Baraka made with plain `git clone` (no cmtk merge driver), sharing a case."""
    (amina, baraka), url = _team(tmp_path, "folder", names=("Amina", "Baraka"))
    case_id = _case(amina, "Neema")
    amina.sync()
    plain = tmp_path / "baraka-plain"
    subprocess.run(["git", "clone", "-q", url, str(plain)], check=True, capture_output=True)
    return amina, Laptop("Baraka", baraka.key, plain), case_id


def _field(laptop: Laptop, case_id: str, field: str, value: str) -> None:
    session = laptop.session()
    record = next(r for r in session.case_records(case_id) if r.form == "identification")
    body = {k: dict(v) if isinstance(v, dict) else v for k, v in record.body.items()}
    body["biographical"][field] = value
    session.save(case_id, [dataclasses.replace(record, body=body, updated_by=laptop.name)], "update")


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", "-c", "user.name=B", "-c", "user.email=b@b", *args], cwd=root, capture_output=True, text=True
    )


def _stopped_pull(tmp_path: Path) -> tuple[Laptop, Laptop, str, set[str]]:
    amina, baraka, case_id = _plain_git_copy(tmp_path)
    _field(amina, case_id, "nickname", "Nee")
    theirs = _case(amina, "Amani")
    amina.sync()
    _field(baraka, case_id, "religion", "Christian")
    mine = _case(baraka, "Baraka-child")
    pulled = _git(baraka.root, "pull", "-q", "--no-rebase", "origin", "main")
    assert pulled.returncode != 0 and (baraka.root / ".git" / "MERGE_HEAD").exists()  # stopped on the record
    return amina, baraka, case_id, {case_id, theirs, mine}


def _both_kept(laptop: Laptop, case_id: str, made: set[str]) -> None:
    body = next(r for r in laptop.session().case_records(case_id) if r.form == "identification").body
    assert body["biographical"]["nickname"] == "Nee" and body["biographical"]["religion"] == "Christian"
    assert set(Store(laptop.root).case_ids()) == made
    assert not (laptop.root / ".git" / "MERGE_HEAD").exists() and Store(laptop.root).git.status() == []


def test_a_git_pull_left_stopped_is_finished_by_cmtk_sync(tmp_path):
    amina, baraka, case_id, made = _stopped_pull(tmp_path)
    outcome = baraka.sync()
    assert outcome.finished_git_merge
    _both_kept(baraka, case_id, made)
    amina.sync()
    _both_kept(amina, case_id, made)


def test_git_commit_a_after_a_stopped_pull_is_merged_again_not_dropped(tmp_path):
    amina, baraka, case_id, made = _stopped_pull(tmp_path)
    assert _git(baraka.root, "commit", "-q", "-a", "-m", "merged by hand").returncode == 0
    later = _case(baraka, "After")  # and work goes on on top of it
    made.add(later)
    outcome = baraka.sync()
    assert outcome.redone_merges == 1
    _both_kept(baraka, case_id, made)
    assert baraka.sync().redone_merges == 0  # once only
    amina.sync()
    _both_kept(amina, case_id, made)


def test_doctor_names_a_stopped_git_merge_and_repair_finishes_it(tmp_path):
    _, baraka, case_id, made = _stopped_pull(tmp_path)
    found = doctor.check(baraka.session())
    assert [f.code for f in found] == ["git-merge"]
    assert "cmtk sync" in found[0].message
    doctor.repair(baraka.session())
    _both_kept(baraka, case_id, made)
    assert doctor.check(baraka.session()) == []


# -- item 10: doctor proportional to what changed, with progress ---------------------------------------------


def test_doctor_checks_only_what_changed_since_the_last_clean_check_and_shows_progress(tmp_path, monkeypatch):
    (amina, _), _ = _team(tmp_path, "folder", names=("Amina", "Baraka"))
    for n in range(3):
        _case(amina, f"Child{n}")
    opened: list[str] = []
    original = Session.read_record

    def counting(self, path, *args, **kwargs):
        opened.append(Path(path).name)
        return original(self, path, *args, **kwargs)

    monkeypatch.setattr(Session, "read_record", counting)
    seen: list[tuple[int, int]] = []
    assert doctor.checkup(amina.session(), progress=lambda done, total: seen.append((done, total))).findings == []
    everything = len(opened)
    assert everything >= 3 and seen and seen[-1][0] == seen[-1][1]
    opened.clear()
    assert doctor.checkup(amina.session()).findings == []
    assert opened == []  # nothing changed since the clean check
    new = _case(amina, "Later")
    assert doctor.checkup(amina.session()).findings == []
    assert 0 < len(opened) < everything and all(p.name in opened for p in Store(amina.root).case_dir(new).glob("*.age"))
    # a damaged record committed by hand since the clean check is still found
    victim = next(Store(amina.root).case_dir(new).glob("*.age"))
    victim.write_bytes(b"plain text where ciphertext belongs\n")
    _git(amina.root, "commit", "-q", "-a", "-m", "x")
    assert "plaintext" in {f.code for f in doctor.checkup(amina.session()).findings}
    opened.clear()
    assert doctor.checkup(amina.session(), full=True).findings
    assert len(opened) >= everything


def test_a_damaged_object_in_the_shared_folder_is_found_and_put_back_by_doctor_remote(tmp_path):
    (amina, baraka, _), url = _team(tmp_path, "folder")
    case_id = _case(amina, "Neema")
    amina.sync()
    record = next(Store(amina.root).case_dir(case_id).glob("*.age")).relative_to(amina.root).as_posix()
    blob = Store(amina.root).git.run("rev-parse", f"HEAD:{record}")
    loose = Path(url) / "objects" / blob[:2] / blob[2:]
    assert loose.is_file()  # a small push arrives as loose objects
    loose.chmod(0o644)
    loose.write_bytes(b"\x78\x9c damaged by a failing disk")
    with pytest.raises(CmtkError):
        baraka.sync()  # everyone but the pusher is stuck
    env = {"CMTK_STORE": str(amina.root), "CMTK_IDENTITY": str(amina.key)}
    result = run_cmtk(["doctor", "--remote", "office"], env=env)
    assert result.returncode == 1
    assert "damaged or missing object" in result.stdout and "--repair" in result.stdout, result.stdout
    result = run_cmtk(["doctor", "--remote", "office", "--repair"], env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "put back" in result.stdout
    baraka.sync()
    assert case_id in Store(baraka.root).case_ids()


def test_doctor_remote_names_a_damaged_bundle(tmp_path):
    (amina, _, _), url = _team(tmp_path)
    data = bytearray(Path(url).read_bytes())
    data[len(data) // 2] ^= 0x55
    Path(url).write_bytes(bytes(data))
    found = transport.check_remote(amina.session(), remotes.find_remote(Store(amina.root), "usb"))
    assert [f.code for f in found] == ["remote-damaged"] and "--new-bundle" in found[0].message


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_interleavings_on_three_copies_with_two_remotes_converge(tmp_path, seed):
    """Three laptops, a shared folder and a stick; random cases opened, a shared record edited, syncs through
    either remote in random order; then every laptop syncs with both until nothing moves: one commit, every case."""
    import random

    chance = random.Random(seed)
    laptops, _ = _team(tmp_path, "folder")
    (tmp_path / "usb").mkdir()
    usb = str(tmp_path / "usb" / "cci.age")
    for laptop in laptops:
        remotes.add_remote(Store(laptop.root), "usb", usb)
    folder = {laptops[0].name: "office", laptops[1].name: "origin", laptops[2].name: "origin"}
    shared = _case(laptops[0], "Shared")
    sync.sync(laptops[0].session(), "office")
    sync.sync(laptops[0].session(), "usb")
    made = {shared}
    for laptop in laptops[1:]:
        sync.sync(laptop.session(), "usb")
    for step in range(14):
        laptop = chance.choice(laptops)
        action = chance.random()
        if action < 0.3:
            made.add(_case(laptop, f"C{step}"))
        elif action < 0.5:
            _nickname(laptop, shared, f"n{step}")
        else:
            sync.sync(laptop.session(), chance.choice([folder[laptop.name], "usb"]))
    for _round in range(4):
        for laptop in laptops:
            for remote in (folder[laptop.name], "usb"):
                sync.sync(laptop.session(), remote)
    heads = {Store(laptop.root).git.head() for laptop in laptops}
    assert len(heads) == 1
    for laptop in laptops:
        assert set(Store(laptop.root).case_ids()) == made
        assert Store(laptop.root).git.status() == []


def test_a_write_during_a_stopped_git_merge_is_refused_in_one_line_saying_what_to_run(tmp_path):
    _, baraka, _, made = _stopped_pull(tmp_path)
    with pytest.raises(CmtkError, match="cmtk sync"):
        _case(baraka, "During")
    assert not list(Path(baraka.root, "cases").rglob(".tmp-*"))
    baraka.sync()
    after = _case(baraka, "After")
    assert set(Store(baraka.root).case_ids()) == made | {after}
