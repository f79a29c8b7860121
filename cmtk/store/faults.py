"""Fault points, for the tests only: stop the process at a named step of a write, as `kill -9` would there.

The fault tests (tests/test_faults.py) run a command with the environment variable

    CMTK_FAULT=WHERE[:N]

where WHERE is a point's full name (`write.replaced`), its group (`write`, `team`, `sync`) or `any`, and
N (default 1) says at which pass of a matching point to stop. There the process sends itself SIGKILL:
nothing is flushed, cleaned up or rolled back, exactly as when the power fails at that moment, and
nothing more (no file is touched, nothing is written but one line naming the point on stderr). Trying
every N in turn, until the command runs to its end, stops it after each step of its write once: a
deterministic replacement for killing it after a random sleep.

Unset (always, outside the tests), a point costs one comparison. The variable is read once, when cmtk
starts. Points sit between the steps of the store's write path (Store.apply and Git.commit), the team's
re-encryption (team.rotation) and a sync (team.sync, team.integrate).
"""

from __future__ import annotations

import os

from cmtk import system

VARIABLE = "CMTK_FAULT"


def _parse(value: str | None) -> tuple[str, int] | None:
    """`WHERE[:N]`; anything else (or nothing) leaves every point inert."""
    if not value:
        return None
    where, _, count = value.partition(":")
    if not count:
        return (where, 1) if where else None
    if not where or not count.isdigit() or int(count) < 1:
        return None
    return where, int(count)


_WANTED = _parse(os.environ.get(VARIABLE))
_passes = 0


def point(name: str) -> None:
    """A step named `group.step` has just finished; the process may be stopped here (tests only)."""
    if _WANTED is None:
        return
    _maybe_stop(name, *_WANTED)


def _maybe_stop(name: str, where: str, count: int) -> None:
    global _passes
    if where != "any" and name != where and not name.startswith(where + "."):
        return
    _passes += 1
    if _passes == count:
        os.write(2, f"cmtk: stopped at fault point {name} ({VARIABLE})\n".encode())
        system.kill_this_process()
