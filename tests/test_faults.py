"""Faults (issue 10): a write, a team re-encryption and a sync stopped (kill -9) after each of their steps in
turn, at the named fault points of cmtk/store/faults.py; a full disk. After each: the store opens, `doctor`
is clean or names exactly what to repair, `doctor --repair` (or the next sync) finishes the job, and nothing
committed is lost. No sleeps: the same steps are tried on every machine, however busy.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cmtk.casework import cases
from cmtk.errors import CmtkError
from cmtk.store import create, doctor, faults, files, identity
from cmtk.store.session import WRITE_JOURNAL, Store
from cmtk.team import remotes, rotation, sync, transport
from tests.helpers import fill_the_disk, make_identity, make_store, minimal_body

REPAIRABLE = {"interrupted-sync", "interrupted-team-change", "interrupted-write", "leftover-temp", "uncommitted"}
WRITE_POINTS = {
    "write.temp-written",
    "write.journal-written",
    "write.replaced",
    "write.synced",
    "write.staged",
    "write.commit-made",
    "write.committed",
}


def _stopped_at(args: list[str], env: dict, step: int) -> str | None:
    """Run cmtk, stopped by SIGKILL after the `step`-th fault point it passes: that point's name, or None
    when the command had fewer steps and ran to its end."""
    result = subprocess.run(
        [sys.executable, "-m", "cmtk", *args],
        env={**os.environ, **env, faults.VARIABLE: f"any:{step}"},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    if result.returncode == 0:
        return None
    assert result.returncode == -signal.SIGKILL, result.stderr
    found = re.search(r"stopped at fault point (\S+)", result.stderr)
    assert found, result.stderr
    return found.group(1)


def _settle(root: Path, key: Path) -> None:
    """The store opens; doctor names only repairable things; after repair it is clean."""
    session = Store(root).unlock(key)
    codes = {f.code for f in doctor.check(session)}
    assert codes <= REPAIRABLE, codes
    if codes:
        doctor.repair(Store(root).unlock(key))
    assert doctor.check(Store(root).unlock(key)) == []


def _readable_cases(root: Path, key: Path) -> set[str]:
    session = Store(root).unlock(key)
    for case_id in session.store.case_ids():
        assert session.case_records(case_id)
    return set(session.store.case_ids())


@pytest.mark.slow
def test_kill_after_every_step_of_a_case_write(tmp_path):
    session, key = make_store(tmp_path)
    root = session.store.root
    form = tmp_path / "intake.yaml"
    form.write_text(
        "biographical:\n  first_name: Neema\n  surname: Testing\n  sex: female\n  date_of_birth: 2015-01-01\n"
    )
    env = {"CMTK_STORE": str(root), "CMTK_IDENTITY": str(key), "CMTK_TODAY": "2026-11-20"}
    committed: set[str] = set()
    stopped = []
    for step in itertools.count(1):
        point = _stopped_at(["case", "new", "--from", str(form)], env, step)
        _settle(root, key)
        now = _readable_cases(root, key)
        assert committed <= now and len(now - committed) <= 1
        for case_id in now - committed:  # the new case whole (its case file and its first form), or not at all
            assert {r.form for r in Store(root).unlock(key).case_records(case_id)} == {"case-file", "identification"}
        committed = now
        if point is None:
            break
        stopped.append(point)
    assert set(stopped) == WRITE_POINTS
    assert len(committed) >= 2  # the run that was not stopped, and the one stopped after its commit


@pytest.mark.slow
def test_kill_after_every_step_of_a_team_reencryption(tmp_path):
    session, key = make_store(tmp_path)
    template = session.store.root
    made = {cases.create_case(session, "identification", minimal_body("identification")) for _ in range(3)}
    rotation.add_member(Store(template).unlock(key), "Helper", make_identity(tmp_path / "helper.key").public)
    generation = Store(template).current_generation
    stopped = []
    for step in itertools.count(1):
        root = tmp_path / f"run-{step}"
        shutil.copytree(template, root, symlinks=True)  # every run starts from the same store: step N is the same
        point = _stopped_at(
            ["team", "remove", "Helper", "--yes"], {"CMTK_STORE": str(root), "CMTK_IDENTITY": str(key)}, step
        )
        _settle(root, key)
        assert _readable_cases(root, key) == made
        fresh = Store(root).unlock(key)
        removed = "Helper" not in {m.name for m in fresh.store.members()}
        assert fresh.store.current_generation == generation + removed  # removed means a new key, always
        for path in fresh.store.record_files():
            assert fresh.read_record(path).key_generation == fresh.store.current_generation
        # this laptop pinned the newest key and accepted the team as it now is: the next team change is allowed
        current = fresh.store.current_generation
        assert fresh.store.trust()["keys"][str(current)] == fresh.key(current).public
        assert fresh.store.team_changes() == ([], [])
        shutil.rmtree(root)
        if point is None:
            break
        stopped.append(point)
    assert set(stopped) == WRITE_POINTS | {
        "team.reencrypted",
        "team.journal-written",
        "team.committed",
        "team.key-pinned",
        "team.team-accepted",
    }


def _two_laptops(tmp_path: Path):
    keys = [tmp_path / "amina.key", tmp_path / "baraka.key"]
    pairs = [identity.create(k) for k in keys]
    first = tmp_path / "amina"
    create.create_store(first, organisation="Test CCI", me=pairs[0], worker="Amina")
    rotation.add_member(Store(first).unlock(keys[0]), "Baraka", pairs[1].public)
    remote = tmp_path / "office.git"
    remotes.add_remote(Store(first), "office", str(remote))
    sync.sync(Store(first).unlock(keys[0]))
    second = tmp_path / "baraka"
    remotes.clone(str(remote), second, pairs[1])
    return (first, keys[0]), (second, keys[1]), remote


@pytest.mark.slow
def test_kill_after_every_step_of_a_sync_then_the_next_sync_completes(tmp_path):
    (a_root, a_key), (b_root, b_key), remote = _two_laptops(tmp_path)
    env = {"CMTK_STORE": str(b_root), "CMTK_IDENTITY": str(b_key)}
    made: set[str] = set()
    stopped = []
    for step in itertools.count(1):  # every round has the same steps: both laptops made one new case
        made.add(cases.create_case(Store(a_root).unlock(a_key), "identification", minimal_body("identification")))
        sync.sync(Store(a_root).unlock(a_key))
        made.add(cases.create_case(Store(b_root).unlock(b_key), "identification", minimal_body("identification")))
        point = _stopped_at(["sync"], env, step)
        _settle(b_root, b_key)
        sync.sync(Store(b_root).unlock(b_key))
        assert not list((b_root / ".git" / "cmtk").glob("sync-*"))
        if point is None:
            break
        stopped.append(point)
    assert set(stopped) == {
        "sync.fetched",
        "sync.merge-commit-made",
        "sync.journal-written",
        "sync.tree-moved",
        "sync.head-moved",
        "sync.journal-removed",
        "sync.integrated",
        "sync.pushed",
    }
    sync.sync(Store(a_root).unlock(a_key))
    assert _readable_cases(a_root, a_key) == made
    assert _readable_cases(b_root, b_key) == made
    subprocess.run(["git", "-C", str(remote), "fsck", "--no-progress"], check=True, capture_output=True)


def test_writes_wait_for_an_interrupted_sync_to_be_finished(tmp_path):
    (a_root, a_key), (b_root, b_key), _ = _two_laptops(tmp_path)
    cases.create_case(Store(a_root).unlock(a_key), "identification", minimal_body("identification"))
    sync.sync(Store(a_root).unlock(a_key))
    store = Store(b_root)
    start = store.git.head()
    target = transport.fetch(store.unlock(b_key), remotes.find_remote(store, None))
    (b_root / ".git" / "cmtk" / sync.JOURNAL).write_text(f'{{"from": "{start}", "to": "{target}"}}')
    with pytest.raises(CmtkError, match="sync was interrupted"):
        cases.create_case(store.unlock(b_key), "identification", minimal_body("identification"))
    assert [f.code for f in doctor.check(store.unlock(b_key))] == ["interrupted-sync"]
    doctor.repair(store.unlock(b_key))
    assert Store(b_root).git.head() == target and doctor.check(Store(b_root).unlock(b_key)) == []


def test_disk_full_during_a_write_changes_nothing(tmp_path, monkeypatch):
    session, _ = make_store(tmp_path)
    case_id = cases.create_case(session, "identification", minimal_body("identification"))
    before = {p: p.read_bytes() for p in session.store.root.rglob("*") if p.is_file() and ".git" not in p.parts}
    head = session.store.git.head()
    import cmtk.store.session as store_module

    fill_the_disk(monkeypatch, store_module)
    with pytest.raises(CmtkError, match="disk is full"):
        cases.add_record(session, case_id, "case-notes", minimal_body("case-notes"))
    monkeypatch.undo()
    after = {p: p.read_bytes() for p in session.store.root.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert after == before and session.store.git.head() == head


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="needs a size-limited folder")
def test_disk_full_on_a_real_small_filesystem(tmp_path):
    """A real ENOSPC: fill a tmpfs-like folder we cannot grow only when one is mountable (root in CI)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mount = tmp_path / "small"
    mount.mkdir()
    if (
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True).returncode
        != 0
    ):
        pytest.skip("cannot mount tmpfs here")
    try:
        session, key = make_store(mount)
        case_id = cases.create_case(session, "identification", minimal_body("identification"))
        filler = mount / "filler"
        with open(filler, "wb", buffering=0) as handle:  # unbuffered: closing must not write again
            try:
                while True:
                    handle.write(b"\0" * 65536)
                    handle.flush()
            except OSError:
                pass
        head = session.store.git.head()
        with pytest.raises(CmtkError):
            for _ in range(50):
                cases.add_record(
                    Store(session.store.root).unlock(key), case_id, "case-notes", minimal_body("case-notes")
                )
        filler.unlink()
        fresh = Store(session.store.root).unlock(key)
        assert fresh.case_records(case_id)
        assert fresh.store.git.head() is not None and head is not None
        _settle(fresh.store.root, key)
        assert fresh.case_records(case_id)
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)


def test_fault_points_are_inert_unless_the_variable_names_one():
    assert faults._WANTED is None  # the tests never set it for themselves
    faults.point("write.replaced")  # nothing happens
    assert faults._parse("write:3") == ("write", 3)
    assert faults._parse("team.committed") == ("team.committed", 1)
    for malformed in ("", None, "write:0", "write:x", ":3", "write:-1"):
        assert faults._parse(malformed) is None


def test_a_fault_point_of_another_group_lets_the_command_finish(tmp_path):
    session, key = make_store(tmp_path)
    env = {"CMTK_STORE": str(session.store.root), "CMTK_IDENTITY": str(key), faults.VARIABLE: "sync:1"}
    form = tmp_path / "intake.yaml"
    form.write_text("biographical:\n  first_name: Neema\n  surname: Testing\n  sex: female\n")
    result = subprocess.run(
        [sys.executable, "-m", "cmtk", "case", "new", "--from", str(form)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert len(Store(session.store.root).case_ids()) == 1


def _half_written_change(session, case_id: str) -> tuple[dict[Path, bytes], str]:
    """A case's two files rewritten as Store.apply leaves them when killed after the first rename."""
    store = session.store
    paths = sorted(store.case_dir(case_id).glob("*.age"))
    assert len(paths) == 2
    new = {p: session.seal(session.read_record(p)) for p in paths}  # same content, fresh ciphertext
    temps = {p: files.write_temp(p.parent, data) for p, data in new.items()}
    entry = {
        "message": f"update {case_id}",
        "author": session.author,
        "changes": [[store.relative(p), store.relative(t)] for p, t in temps.items()],
    }
    (store.root / ".git" / "cmtk" / WRITE_JOURNAL).write_text(json.dumps(entry))
    os.replace(temps[paths[0]], paths[0])
    return new, store.git.head()


def test_repair_finishes_an_interrupted_change_of_several_files_whole(tmp_path):
    session, key = make_store(tmp_path)
    case_id = cases.create_case(session, "identification", minimal_body("identification"))
    cases.add_record(session, case_id, "case-notes", minimal_body("case-notes"))
    new, head = _half_written_change(Store(session.store.root).unlock(key), case_id)
    root = session.store.root
    assert [f.code for f in doctor.check(Store(root).unlock(key))] == ["interrupted-write"]
    assert doctor.repair(Store(root).unlock(key))[0].startswith("finished a change that was interrupted")
    assert doctor.check(Store(root).unlock(key)) == []
    assert all(path.read_bytes() == data for path, data in new.items())
    git = Store(root).git
    assert git.run("log", "-1", "--format=%s %P") == f"update {case_id} {head}"


def test_the_next_write_finishes_an_interrupted_change_first(tmp_path):
    session, key = make_store(tmp_path)
    case_id = cases.create_case(session, "identification", minimal_body("identification"))
    cases.add_record(session, case_id, "case-notes", minimal_body("case-notes"))
    new, head = _half_written_change(Store(session.store.root).unlock(key), case_id)
    cases.add_record(Store(session.store.root).unlock(key), case_id, "case-notes", minimal_body("case-notes"))
    git = Store(session.store.root).git
    assert git.run("log", "-2", "--format=%s").splitlines()[1] == f"update {case_id}"
    assert all(path.read_bytes() == data for path, data in new.items())
    assert git.status() == [] and not (session.store.root / ".git" / "cmtk" / WRITE_JOURNAL).exists()


def test_a_write_journal_naming_files_outside_the_working_tree_touches_nothing(tmp_path):
    session, key = make_store(tmp_path)
    root = session.store.root
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    head = session.store.git.head()
    entry = {"message": "update cases", "changes": [["../outside.txt", None], [".git/config", None], ["/etc/x", None]]}
    (root / ".git" / "cmtk" / WRITE_JOURNAL).write_text(json.dumps(entry))
    doctor.repair(Store(root).unlock(key))
    assert outside.read_text() == "keep me" and (root / ".git" / "config").is_file()
    assert Store(root).git.head() == head and doctor.check(Store(root).unlock(key)) == []
