"""Due work as a calendar file for the caseworker's phone (`cmtk report overdue --format ics`).

An event holds a case id and the kind of work only: never a name, place or
person, since a phone's calendar is synced to services cmtk cannot vouch for.
Each piece of work keeps one event id (UID) for as long as it is due, so
importing a newer file moves the event rather than adding a second one.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Iterable

from cmtk.casework.schedule import DueItem

# What each kind of due work is called on the phone (no case data).
TITLES = {
    "initial-assessment": "Initial assessment",
    "comprehensive-assessment": "Complete the child assessment",
    "case-plan": "Write the case plan",
    "monitoring-visit": "Monitoring visit",
    "case-review": "Case review",
    "post-closure-visit": "Visit after closure",
    "plan-action": "Case plan action",
    "referral-follow-up": "Referral follow-up",
    "conference-report": "Conference report",
}
_EPOCH = _dt.date(2000, 1, 1)


def event_uid(namespace: str, item: DueItem) -> str:
    """The same piece of work gets the same id in every file this store makes (and no other store's)."""
    digest = hashlib.sha256(f"{namespace}\0{item.case}\0{item.kind}\0{item.ref}".encode()).hexdigest()
    return f"{digest[:32]}@cmtk"


def title(item: DueItem) -> str:
    return f"{TITLES.get(item.kind, item.kind.replace('-', ' ').capitalize())}: case {item.case}"


def calendar(items: Iterable[DueItem], *, as_of: _dt.date, namespace: str) -> bytes:
    """An iCalendar file (RFC 5545) with one all-day event per item. Overdue work is shown on `as_of`, since
    a calendar has no better place for it; the event says when it was due."""
    from icalendar import Calendar, Event  # only this command needs it

    cal = Calendar()
    cal.add("prodid", "-//cmtk//due work//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", "cmtk: due work")
    stamp = _dt.datetime.combine(as_of, _dt.time(0, 0), tzinfo=_dt.UTC)
    for item in sorted(items, key=lambda i: (i.due, i.case, i.kind, i.ref)):
        day = max(item.due, as_of)
        event = Event()
        event.add("uid", event_uid(namespace, item))
        event.add("dtstamp", stamp)
        event.add("sequence", (as_of - _EPOCH).days)  # a later file's version of an event wins
        event.add("dtstart", day)
        event.add("dtend", day + _dt.timedelta(days=1))
        event.add("summary", title(item) + (" (overdue)" if item.due < as_of else ""))
        event.add("description", f"Due {item.due.isoformat()}. Open cmtk for the details: cmtk step {item.case}")
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical()
