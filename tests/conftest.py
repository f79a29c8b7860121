"""Every test runs with its own config folder, git config, clock and temporary folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

import helpers  # noqa: E402, F401  (every CLI test reuses one built command tree: helpers._built_command)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    (home / "gitconfig").write_text("")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("CMTK_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("CMTK_LOCK_TIMEOUT", "5")
    for name in ("CMTK_STORE", "CMTK_IDENTITY", "CMTK_TODAY", "CMTK_PASSPHRASE", "CMTK_DEBUG_RAISE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(home)
    os.umask(0o077)
    # Tests fix today with CMTK_TODAY in plain (not TRAINING) stores, often in the computer's future: in this
    # process, the real clock is taken to be far ahead and the "today is faked" warning as said already.
    # tests/test_procedure.py puts both back where it tests them.
    import datetime as dt

    from cmtk import dates
    from cmtk.cli import common

    monkeypatch.setattr(dates, "real_today", lambda: dt.date(2100, 1, 1))
    monkeypatch.setattr(common, "_faked_said", True)
    yield home


def age_available() -> bool:
    return subprocess.run(["sh", "-c", "command -v age"], capture_output=True).returncode == 0


needs_age = pytest.mark.skipif(
    not age_available() and os.environ.get("CI") != "true",
    reason="the age CLI is not installed (make test installs it)",
)


def _slow_list() -> set[str]:
    listed = HERE / "slow.txt"
    lines = listed.read_text().splitlines() if listed.is_file() else []
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def pytest_collection_modifyitems(config, items):
    """Mark `slow` the tests measured slow in tests/slow.txt (`make slow-list`), beside those marked in code."""
    slow = _slow_list()
    for item in items:
        if item.nodeid in slow or item.nodeid.split("[", 1)[0] in slow:
            item.add_marker(pytest.mark.slow)
