"""Windows and macOS (issue 20), simulated on Linux by tests/simulated_os.py: each numbered item of the issue
has a test here, and the CLI smoke tests, the edit path and the lock test run under both simulated systems."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import simulated_os
from helpers import add_canary_case, make_store

from cmtk import system
from cmtk.errors import CmtkError, IdentityError, LockError
from cmtk.store import gitio, leftovers, paths
from cmtk.store.session import Store

ROOT = Path(__file__).resolve().parent.parent
KIKUYU = "Wanjirũ"  # ũ is not in cp1252, the code page of redirected output on Windows
BODY = "biographical:\n  first_name: Neema\n  surname: Atieno\n  sex: female\n  date_of_birth: 2016-01-09\n"


@pytest.fixture(params=simulated_os.KINDS)
def simulated(request, monkeypatch, tmp_path_factory):
    """This test process pretends to be Windows or macOS; `.run(...)` runs cmtk as a process on it."""
    folder = tmp_path_factory.mktemp(f"sim-{request.param}")
    simulated_os.install(request.param, monkeypatch, folder)
    return Simulated(request.param, folder)


@pytest.fixture
def windows(monkeypatch, tmp_path_factory):
    folder = tmp_path_factory.mktemp("sim-windows")
    simulated_os.install("windows", monkeypatch, folder)
    return Simulated("windows", folder)


@pytest.fixture
def macos(monkeypatch, tmp_path_factory):
    folder = tmp_path_factory.mktemp("sim-macos")
    simulated_os.install("macos", monkeypatch, folder)
    return Simulated("macos", folder)


class Simulated:
    def __init__(self, kind: str, folder: Path) -> None:
        self.kind, self.folder = kind, folder

    def run(self, args: list[str], cwd: Path | None = None, env: dict | None = None, input: str | None = None):
        full = {**os.environ, "CMTK_SIM_FOLDER": str(self.folder), **(env or {})}
        result = subprocess.run(
            [*simulated_os.subprocess_command(self.kind), *args],
            cwd=cwd,
            env=full,
            input=input.encode() if input is not None else None,
            capture_output=True,
            timeout=300,
        )
        # As a Windows user would see it in a file: bytes, decoded as UTF-8 (what cmtk promises).
        result.out = result.stdout.decode("utf-8")  # type: ignore[attr-defined]
        result.err = result.stderr.decode("utf-8", errors="replace")  # type: ignore[attr-defined]
        assert "EncodingWarning" not in result.err, result.err  # a file opened without saying UTF-8
        return result


def _home() -> Path:
    return Path(os.environ["HOME"])


# -- the CLI smoke tests, on both systems -------------------------------------------------------------


def test_smoke_demo_reports_and_output(simulated):
    """init, demo, a case with a Kikuyu name, list, CSV report, printout with `~`, doctor: in a real process."""
    home = _home()
    assert simulated.run(["--version"]).out.startswith("cmtk ")
    made = simulated.run(["demo", "~/demo", "--as-of", "2026-11-24"], cwd=home)  # `~` left as typed (cmd.exe)
    assert made.returncode == 0, made.err
    demo = home / "demo"
    assert (demo / "store" / ".cmtk").is_dir()
    env = {"CMTK_TODAY": "2026-11-25"}
    body = f"biographical:\n  first_name: {KIKUYU}\n  surname: Kamau\n  sex: female\n  date_of_birth: 2015-03-02\n"
    new = simulated.run(["case", "new", "--from", "-"], cwd=demo, env=env, input=body)
    assert new.returncode == 0, new.err
    listing = simulated.run(["case", "list"], cwd=demo, env=env)  # stdout is a pipe: a file on Windows
    assert listing.returncode == 0, listing.err
    assert KIKUYU in listing.out
    report = simulated.run(["report", "overdue", "--format", "csv"], cwd=demo, env=env)
    assert report.returncode == 0, report.err
    assert report.stdout.count(b"\r\n") == report.stdout.count(b"\n") > 2  # one CR per row, never \r\r\n
    assert b"\r\r\n" not in report.stdout
    printed = simulated.run(["form", "render", "identification", "-o", "~/blank.html"], cwd=demo)
    assert printed.returncode == 0, printed.err
    assert (home / "blank.html").is_file()
    assert simulated.run(["doctor"], cwd=demo, env=env).returncode == 0


def test_smoke_init_key_team_and_sync_over_a_stick(simulated, tmp_path):
    home = _home()
    init = simulated.run(["init", "~/cci-store", "--org", "Tumaini CCI", "--name", "Amina"], cwd=home)
    assert init.returncode == 0, init.err
    store = home / "cci-store"
    stick = "E:\\cci-store.age" if simulated.kind == "windows" else str(tmp_path / "cci-store.age")
    added = simulated.run(["remote", "add", "usb", stick], cwd=store)
    assert added.returncode == 0, added.err
    synced = simulated.run(["sync"], cwd=store)
    assert synced.returncode == 0, synced.err
    assert "sent" in synced.out
    copy = simulated.run(["clone", stick, "~/second"], cwd=store)
    assert copy.returncode == 0, copy.err
    assert (home / "second" / ".cmtk" / "settings.yaml").is_file()


# -- the edit path, on both systems ---------------------------------------------------------------------

EDITOR = textwrap.dedent(
    """
    import pathlib, sys
    path = pathlib.Path(sys.argv[-1])
    pathlib.Path(sys.argv[-2]).write_text(str(path.parent), encoding="utf-8")
    path.write_text(path.read_text(encoding="utf-8").replace("nickname: Kipepeo", "nickname: Kipepeo Mdogo"),
                    encoding="utf-8")
    """
)


def test_edit_path(simulated, tmp_path):
    """Items 3, 9, 13: a private folder on the disk (said plainly), the editor by its full path, removed after."""
    from helpers import canary_body

    session, key_path = make_store(_home())
    body = canary_body()
    body["biographical"]["nickname"] = "Kipepeo"
    from cmtk.casework import cases

    case_id = cases.create_case(session, "identification", body)
    temp = _home() / "Temp"
    temp.mkdir()
    editor = tmp_path / "editor.py"
    editor.write_text(EDITOR, encoding="utf-8")
    log = tmp_path / "where.txt"
    env = {
        "CMTK_STORE": str(session.store.root),
        "CMTK_IDENTITY": str(key_path),
        "EDITOR": f"{sys.executable} {editor} {log}",
        "TMPDIR": str(temp),
    }
    result = simulated.run(["case", "edit", case_id, "identification"], env=env)
    assert result.returncode == 0, result.err
    assert "Saved identification" in result.out
    assert "no memory-only folder" in result.err and system_encryption(simulated.kind) in result.err
    folder = Path(log.read_text(encoding="utf-8"))
    assert folder.parent == temp and folder.name.startswith(leftovers.PREFIX)
    assert not folder.exists()
    assert Store(session.store.root).unlock(key_path).case_records(case_id)[0].body["biographical"]["nickname"] == (
        "Kipepeo Mdogo"
    )


def system_encryption(kind: str) -> str:
    return "BitLocker" if kind == "windows" else "FileVault"


def test_edit_folder_signals(simulated, tmp_path):
    """Item 3: SIGHUP where it exists; SIGBREAK on Windows, where SIGHUP does not."""
    import signal

    from cmtk.forms import editing

    with editing.private_folder(allow_disk=False) as folder:
        assert folder.is_dir()
        handled = [n for n in system.editor_signals() if callable(signal.getsignal(n))]
        assert signal.SIGTERM in handled
        if simulated.kind == "windows":
            assert not hasattr(signal, "SIGHUP") and signal.SIGBREAK in handled
        else:
            assert signal.SIGHUP in handled
    assert not folder.exists()


# -- the lock test, on both systems ----------------------------------------------------------------------


def test_lock_second_writer_waits_then_one_line(simulated, tmp_path, monkeypatch):
    """Item 1: no fcntl on Windows; a second writer waits, says so, then gives up with one line."""
    import cmtk.store.session as store_module

    session, key_path = make_store(_home())
    monkeypatch.setattr(store_module, "LOCK_WAIT_SECONDS", 0.3)
    with Store(session.store.root).locked():
        with pytest.raises(LockError, match="another cmtk command"):
            add_canary_case(session)
        holder_done = simulated.run(
            ["case", "new", "--from", "-"],
            env={"CMTK_STORE": str(session.store.root), "CMTK_IDENTITY": str(key_path), "CMTK_LOCK_TIMEOUT": "0.5"},
            input=BODY,
        )
    assert holder_done.returncode == 1
    lines = holder_done.err.strip().splitlines()
    assert lines[0].startswith("Waiting for another cmtk command")
    assert lines[-1].startswith("Error: another cmtk command") and len(lines) == 2
    add_canary_case(session)  # once the lock is free, writing works
    if simulated.kind == "windows":
        assert any(p.endswith("lock") for p in simulated_os.windows_locks_taken)  # Windows' own lock was chosen


# -- item 4: the index rebuild without fork ----------------------------------------------------------------


def test_index_rebuild_spawns_its_workers(simulated, tmp_path):
    made = simulated.run(["dev", "generate", str(tmp_path / "gen"), "--cases", "60", "--as-of", "2026-11-24"])
    assert made.returncode == 0, made.err
    rebuilt = simulated.run(["index", "rebuild", "-j", "2"], cwd=tmp_path / "gen")
    assert rebuilt.returncode == 0, rebuilt.err
    assert "rebuilt from 60 case(s)" in rebuilt.out
    if simulated.kind == "macos":  # once is enough: `python -m cmtk`, whose spawned workers import
        # cmtk/__main__.py again, which must not start a second cmtk in each of them
        plain = subprocess.run(
            [sys.executable, "-m", "cmtk", "index", "rebuild", "-j", "2"],
            cwd=tmp_path / "gen",
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert plain.returncode == 0 and plain.stdout.count("rebuilt from 60 case(s)") == 1, plain.stderr


# -- item 2: files the user asks for, on Windows ---------------------------------------------------------------


def test_user_file_gets_an_owner_only_access_list_on_windows(windows, tmp_path, monkeypatch):
    from cmtk.output import userfiles

    log = tmp_path / "icacls.log"
    monkeypatch.setenv("CMTK_SIM_ICACLS_LOG", str(log))
    written = userfiles.write_replacing(tmp_path / "report.html", b"<p>line\nline</p>", None, "-o")
    assert written.read_bytes() == b"<p>line\nline</p>"  # binary: no \r added
    args = log.read_text(encoding="utf-8").strip().split("\t")
    assert args == [str(written), "/inheritance:r", "/grant:r", "CCI-LAPTOP\\amina:(F)"]


def test_user_file_that_cannot_be_made_private_says_so(windows, tmp_path, monkeypatch, capsys):
    from cmtk.output import userfiles

    monkeypatch.setenv("CMTK_SIM_ICACLS_EXIT", "5")
    written = userfiles.write_new(tmp_path / "share.age", b"data", None, "--output")
    assert written.read_bytes() == b"data"
    err = capsys.readouterr().err
    assert err.startswith("Warning: ") and "share.age" in err and "private" in err


# -- item 5: drive letters and network shares -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "on_windows", "elsewhere"),
    [
        ("E:\\cci-store.age", True, False),
        ("Z:\\cci.git", True, False),
        ("Z:/cci.git", True, False),
        ("\\\\office\\share\\cci.git", True, True),
        ("user@server:cci.git", False, False),
        ("server:cci.git", False, False),
        ("/media/usb/cci-store.age", True, True),
        ("./usb/x.age", True, True),
        ("~/cci.git", True, True),
        ("file:///srv/cci.git", True, True),
        ("folder/with:colon", True, True),
    ],
)
def test_local_paths_follow_gits_rule(url, on_windows, elsewhere, monkeypatch):
    from cmtk.team import remotes

    monkeypatch.setattr(sys, "platform", "linux")
    assert remotes.is_local(url) is elsewhere
    monkeypatch.setattr(sys, "platform", "win32")
    assert remotes.is_local(url) is on_windows


# -- item 7: leftovers -------------------------------------------------------------------------------------------


def test_leftover_cleanup_never_signals_a_process(simulated, tmp_path, monkeypatch):
    """A live edit (its lock held by a running process) is kept; a killed one's folder goes; no os.kill at all."""

    def no_kill(*args):
        raise AssertionError("os.kill called: on Windows this ends the process")

    real_kill = os.kill
    monkeypatch.setattr(os, "kill", no_kill)
    base = tmp_path / "temp"
    base.mkdir()
    live = base / f"{leftovers.PREFIX}live"
    live.mkdir()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, filelock; lock = filelock.FileLock(sys.argv[1]); lock.acquire(); "
            "print('held', flush=True); time.sleep(60)",
            str(live / leftovers.ALIVE),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        dead = base / f"{leftovers.PREFIX}dead"
        dead.mkdir()
        (dead / "record.yaml").write_text("plaintext", encoding="utf-8")
        (dead / leftovers.ALIVE).write_text("", encoding="utf-8")
        young = base / f"{leftovers.PREFIX}starting"
        young.mkdir()  # an edit starting this moment: no lock file yet
        leftovers.remove_leftovers(base)
        assert live.exists() and young.exists() and not dead.exists()
    finally:
        monkeypatch.setattr(os, "kill", real_kill)  # the test's own clean-up
        holder.kill()
        holder.wait()
        monkeypatch.setattr(os, "kill", no_kill)
    leftovers.remove_leftovers(base)  # its process is gone now
    assert not live.exists()
    old = time_ago(young, leftovers.YOUNG_SECONDS + 60)
    leftovers.remove_leftovers(base)
    assert not old.exists()


def time_ago(path: Path, seconds: float) -> Path:
    import time

    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))
    return path


# -- item 8: the identity on Windows ------------------------------------------------------------------------------


def test_windows_identity_must_be_in_the_users_profile(windows, tmp_path, monkeypatch):
    from cmtk.store import identity

    inside = _home() / "keys" / "me.txt"
    log = tmp_path / "icacls.log"
    monkeypatch.setenv("CMTK_SIM_ICACLS_LOG", str(log))
    identity.create(inside)
    assert str(inside) in log.read_text(encoding="utf-8")  # an owner-only access list was set
    identity.load(inside)
    stick = tmp_path / "usb" / "me.txt"  # outside the profile: a USB stick or a shared folder
    identity.create(stick)
    with pytest.raises(IdentityError, match="inside your own user folder"):
        identity.load(stick)
    onedrive = _home() / "OneDrive"
    monkeypatch.setenv("OneDrive", str(onedrive))
    identity.create(onedrive / "me.txt")
    with pytest.raises(IdentityError, match="OneDrive"):
        identity.load(onedrive / "me.txt")


def test_windows_identity_outside_profile_is_one_line_from_the_cli(windows, tmp_path):
    import shutil

    session, key_path = make_store(_home())
    stick = tmp_path / "usb"
    stick.mkdir()
    shutil.copy2(key_path, stick / "key.txt")  # outside the profile, like a USB stick
    result = windows.run(
        ["case", "list"], env={"CMTK_STORE": str(session.store.root), "CMTK_IDENTITY": str(stick / "key.txt")}
    )
    assert result.returncode == 1
    assert result.err.startswith("Error: ") and result.err.count("\n") == 1 and "user folder" in result.err


# -- items 9 and 10: git and the editor by full path; hooks off ---------------------------------------------------


def test_git_and_editor_are_never_taken_from_the_store_folder(windows, tmp_path):
    session, key_path = make_store(_home())
    root = session.store.root
    marker = tmp_path / "planted-ran"
    planted = f"#!/bin/sh\necho ran > {marker}\n"
    for name in ("git.exe", "git.bat", "notepad.exe"):
        (root / name).write_text(planted, encoding="utf-8")
        (root / name).chmod(0o755)
    env = {
        "CMTK_IDENTITY": str(key_path),
        "PATH": f".{os.pathsep}{os.pathsep}{os.environ['PATH']}",  # even with the current folder on PATH
        "CMTK_TODAY": "2026-11-24",
    }
    result = windows.run(["case", "new", "--from", "-"], cwd=root, env=env, input=BODY)
    assert result.returncode == 0, result.err
    assert not marker.exists()
    assert system.git_program().endswith("git.exe") and Path(system.git_program()).parent != root
    os.chdir(root)
    assert system.find_program("notepad") is None  # never ./notepad.exe


def test_git_hooks_point_at_an_empty_private_folder_on_windows(windows, tmp_path):
    session, key_path = make_store(_home())
    options = gitio.safe_options()
    hooks = Path(options[1].split("=", 1)[1])
    assert hooks == paths.config_dir() / gitio.NO_HOOKS_FOLDER and hooks.is_dir() and not any(hooks.iterdir())
    marker = tmp_path / "hook-ran"
    planted = _home() / "planted-hooks"
    planted.mkdir()
    for name in ("reference-transaction", "post-index-change", "pre-commit"):
        (planted / name).write_text(f"#!/bin/sh\necho ran > {marker}\n", encoding="utf-8")
        (planted / name).chmod(0o755)
    session.store.git.run("config", "core.hooksPath", str(planted))  # as a copied .git/config could say
    add_canary_case(session)
    assert not marker.exists()
    (hooks / "pre-commit").write_text("x", encoding="utf-8")
    with pytest.raises(CmtkError, match="must stay empty"):
        gitio.safe_options()


# -- item 11: one folder, two names ---------------------------------------------------------------------------------


def test_case_insensitive_disk_identity_and_printouts_inside_the_store_refused(macos, tmp_path, monkeypatch):
    volume = tmp_path / "Volume"
    volume.mkdir()
    session, key_path = make_store(volume)  # volume/store
    simulated_os.case_insensitive(volume, monkeypatch)
    other_name = volume / "STORE"
    assert os.path.samefile(other_name, session.store.root)
    assert not other_name.resolve().is_relative_to(session.store.root.resolve())  # what the old check compared
    with pytest.raises(IdentityError, match="inside the store folder"):
        Store(session.store.root).unlock(other_name / "me.txt")
    from cmtk.output import userfiles

    with pytest.raises(CmtkError, match="inside the store folder"):
        userfiles.write_replacing(other_name / "cases" / "print.html", b"x", session.store.root, "-o")
    assert not (session.store.root / "cases" / "print.html").exists()


# -- item 12: antivirus holding a file ------------------------------------------------------------------------------


def test_rename_held_by_antivirus_is_retried(simulated, monkeypatch):
    session, _ = make_store(_home())
    real, calls = os.replace, []

    def held_twice(src, dst):
        calls.append(dst)
        if len(calls) <= 2:
            raise PermissionError(13, "The process cannot access the file because it is being used")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", held_twice)
    monkeypatch.setattr(system.retrying, "__defaults__", ((0.01,) * 6,))
    case_id = add_canary_case(session)
    assert len(calls) >= 3
    assert session.store.has_case(case_id)


def test_edit_folder_that_cannot_be_removed_is_named(simulated, monkeypatch, capsys):
    from cmtk.forms import editing

    monkeypatch.setattr(system.retrying, "__defaults__", ((0.01,) * 3,))
    monkeypatch.setattr(system, "remove_tree", lambda folder: False)  # something keeps a file open, always
    with editing.private_folder(allow_disk=False) as folder:
        (folder / "record.yaml").write_text("plaintext", encoding="utf-8")
    err = capsys.readouterr().err
    assert f"Warning: {folder} holds a decrypted form and could not be deleted" in err


def test_remove_tree_retries_until_the_file_is_let_go(tmp_path, monkeypatch):
    import shutil

    folder = tmp_path / "edit"
    folder.mkdir()
    (folder / "record.yaml").write_text("x", encoding="utf-8")
    real, calls = shutil.rmtree, []

    def held_once(path, ignore_errors=False):
        calls.append(path)
        if len(calls) > 1:
            real(path, ignore_errors=ignore_errors)

    monkeypatch.setattr(shutil, "rmtree", held_once)
    monkeypatch.setattr(system.retrying, "__defaults__", ((0.01,) * 3,))
    assert system.remove_tree(folder) and not folder.exists() and len(calls) == 2


# -- item 13: Linux without /dev/shm still asks ---------------------------------------------------------------------


def test_linux_without_a_memory_folder_still_needs_consent(monkeypatch):
    from cmtk.forms import editing

    monkeypatch.setattr(system, "memory_folder", lambda: None)
    with pytest.raises(CmtkError, match="--allow-disk-temp"):
        editing.edit_base(allow_disk=False)


# -- the rules that keep cmtk portable ------------------------------------------------------------------------------


def _sources():
    for path in sorted((ROOT / "cmtk").rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def test_platform_specific_calls_only_through_cmtk_system():
    """fcntl, os.name, os.fork, os.fchmod outside a guard, os.kill, signal.SIGHUP, /dev/shm and a bare "git"
    command are what broke on Windows; cmtk/system.py decides such things, in one place."""
    found = []
    for path, tree in _sources():
        name = path.relative_to(ROOT).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                modules = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) else [])
                if "fcntl" in modules or "msvcrt" in modules:
                    found.append(f"{name}:{node.lineno} imports fcntl/msvcrt")
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                pair = f"{node.value.id}.{node.attr}"
                if pair in ("os.name", "os.fork", "os.kill", "signal.SIGHUP", "os.getuid") and name not in (
                    "cmtk/system.py",
                    "cmtk/store/leftovers.py",
                ):
                    found.append(f"{name}:{node.lineno} uses {pair}")
            if name == "cmtk/system.py":
                continue
            if isinstance(node, ast.Constant) and node.value == "/dev/shm":
                found.append(f"{name}:{node.lineno} names /dev/shm")
            if isinstance(node, ast.List | ast.Tuple) and node.elts:
                first = node.elts[0]
                if isinstance(first, ast.Constant) and first.value == "git":
                    found.append(f"{name}:{node.lineno} runs git by its bare name")
    assert found == []


def test_packaging_names_a_free_distribution_and_keeps_the_command():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] != "cmtk"  # a CMake formatter's on the package index
    assert project["scripts"] == {"cmtk": "cmtk.cli.main:main"}
    assert any(d.startswith("filelock") for d in project["dependencies"])


@pytest.mark.slow
def test_wheel_installs_in_a_fresh_venv_and_runs(tmp_path):
    """Item 14: `make dist` builds a wheel and an sdist; the wheel installs into a new venv and `cmtk` runs."""
    dist = tmp_path / "dist"
    built = subprocess.run(
        ["make", "-s", "dist", f"DIST={dist}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    wheels, sdists = list(dist.glob("*.whl")), list(dist.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1
    checked = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "check_wheel.py"), str(wheels[0]), str(tmp_path / "venv")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.strip().splitlines()[-1].startswith("cmtk ")
