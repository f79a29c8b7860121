"""Evidence windows: after a case goes back (re-opened, sent back, a placement breakdown), what counts.

A record counts as evidence for a gate only if it was recorded after the
latest event that sent the case back below that gate's step. Which events do
that is workflow data (`evidence.restarts`); this module only knows how to
find the event and whether a record came after it. The schedule uses the same
window: a placement that broke down no longer starts the monitoring clock.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cmtk.casework.cases import Case
    from cmtk.store.records import Record

LAST_STEP = 8


@dataclass(frozen=True)
class Window:
    """Evidence counts from this event on."""

    day: _dt.date
    at: _dt.datetime | None  # when the event was recorded (events before this feature have only a day)
    label: str  # e.g. "the case was re-opened"
    to_step: int

    def holds(self, record: Record, *, revised: bool = False) -> bool:
        """Whether the record was made after the event (`revised`: or changed after it, for a living plan)."""
        stamps = [record.created] + ([record.updated] if revised and record.updated else [])
        if self.at is not None:
            made = [t for t in (_timestamp(s) for s in stamps) if t is not None]
            if made:
                return max(made) >= self.at
        day = record.date
        if revised:
            changed = [t.date() for t in (_timestamp(s) for s in stamps) if t is not None]
            day = max([d for d in [day, *changed] if d is not None], default=None)
        return day is not None and day > self.day

    def since(self) -> str:
        return f"since {self.label} on {self.day.isoformat()}"


def _timestamp(text: Any) -> _dt.datetime | None:
    if not text:
        return None
    try:
        stamp = _dt.datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=_dt.UTC)


def restarts(flow: dict) -> list[dict]:
    return list((flow.get("evidence") or {}).get("restarts") or [])


def restart_label(flow: dict, what: str) -> str | None:
    for restart in restarts(flow):
        if str(what).startswith(str(restart.get("event", "\0"))):
            return str(restart.get("label") or restart["event"])
    return None


def window(case: Case, flow: dict, gate_step: int = LAST_STEP) -> Window | None:
    """The latest restart event that took the case below `gate_step`, or None (the whole case counts)."""
    for event in reversed(case.events):
        label = restart_label(flow, str(event.get("what", "")))
        to_step = event.get("to")
        if label is None or not isinstance(to_step, int) or to_step >= gate_step:
            continue
        day = event.get("date")
        if not isinstance(day, _dt.date):
            continue
        return Window(day, _timestamp(event.get("at")), label, to_step)
    return None


def within(records: Iterable[Record], found: Window | None, *, revised: bool = False) -> list[Record]:
    return [r for r in records if found is None or found.holds(r, revised=revised)]


def later_of(day: _dt.date, found: Window | None) -> _dt.date:
    """A start date moved up to the window's day (a clock that restarts with the case)."""
    return day if found is None else max(day, found.day)
