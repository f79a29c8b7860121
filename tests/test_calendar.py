"""Due work as a phone calendar: case ids and kinds only, stable event ids, re-import updates."""

from __future__ import annotations

import datetime as dt

from helpers import invoke, run_cmtk
from icalendar import Calendar

from cmtk.casework.schedule import DueItem
from cmtk.output import calendar

AS_OF = dt.date(2026, 11, 24)


def _items(due_visit: dt.date) -> list[DueItem]:
    return [
        DueItem("K7Q2MX4P", "Amina Otieno", "monitoring-visit", due_visit, "last seen 2026-09-01"),
        DueItem(
            "K7Q2MX4P", "Amina Otieno", "plan-action", dt.date(2026, 12, 1), "action 1.1: Father, John", "action 1.1"
        ),
        DueItem(
            "K7Q2MX4P", "Amina Otieno", "plan-action", dt.date(2026, 12, 3), "action 1.2: Mother, Jane", "action 1.2"
        ),
    ]


def _events(data: bytes) -> dict[str, dict]:
    parsed = Calendar.from_ical(data)
    return {
        str(e["uid"]): {"start": e.decoded("dtstart"), "summary": str(e["summary"]), "sequence": int(e["sequence"])}
        for e in parsed.walk("VEVENT")
    }


def test_events_hold_case_ids_and_kinds_never_details():
    data = calendar.calendar(_items(dt.date(2026, 11, 30)), as_of=AS_OF, namespace="store-a")
    text = data.decode()
    assert "John" not in text and "Jane" not in text and "Amina" not in text and "last seen" not in text
    events = _events(data)
    assert len(events) == 3
    assert sorted(e["summary"] for e in events.values()) == [
        "Case plan action: case K7Q2MX4P",
        "Case plan action: case K7Q2MX4P",
        "Monitoring visit: case K7Q2MX4P",
    ]
    assert b"\r\n" in data and all(len(line) <= 75 for line in data.split(b"\r\n"))  # RFC 5545 lines


def test_a_moved_due_date_keeps_its_event_id_and_a_later_file_wins():
    before = _events(calendar.calendar(_items(dt.date(2026, 11, 30)), as_of=AS_OF, namespace="store-a"))
    later = AS_OF + dt.timedelta(days=7)
    after = _events(calendar.calendar(_items(dt.date(2027, 1, 30)), as_of=later, namespace="store-a"))
    assert set(before) == set(after)  # re-importing updates, it does not duplicate
    visit = next(uid for uid, e in after.items() if e["summary"].startswith("Monitoring"))
    assert before[visit]["start"] == dt.date(2026, 11, 30) and after[visit]["start"] == dt.date(2027, 1, 30)
    assert after[visit]["sequence"] > before[visit]["sequence"]


def test_overdue_work_shows_today_and_says_so():
    events = _events(calendar.calendar(_items(dt.date(2026, 11, 1)), as_of=AS_OF, namespace="store-a"))
    visit = next(e for e in events.values() if e["summary"].startswith("Monitoring"))
    assert visit["start"] == AS_OF and visit["summary"].endswith("(overdue)")


def test_another_store_gets_other_event_ids():
    one = _events(calendar.calendar(_items(AS_OF), as_of=AS_OF, namespace="store-a"))
    two = _events(calendar.calendar(_items(AS_OF), as_of=AS_OF, namespace="store-b"))
    assert not set(one) & set(two)


def test_report_overdue_writes_a_calendar_from_the_demo(tmp_path):
    assert run_cmtk(["demo", str(tmp_path / "demo"), "--as-of", AS_OF.isoformat()]).returncode == 0
    out = tmp_path / "visits.ics"
    made = run_cmtk(
        ["report", "overdue", "--upcoming", "--format", "ics", "-o", str(out), "--as-of", AS_OF.isoformat()],
        cwd=tmp_path / "demo",
    )
    assert made.returncode == 0, made.stderr
    assert "no names" in made.stdout
    events = _events(out.read_bytes())
    assert events and all(" case " in e["summary"] for e in events.values())
    listed = run_cmtk(["case", "list"], cwd=tmp_path / "demo").stdout
    first_names = {line.split()[1] for line in listed.splitlines()[1:] if len(line.split()) > 3}
    assert len(first_names) > 5 and not any(name in out.read_text() for name in first_names)
    again = run_cmtk(
        ["report", "overdue", "--upcoming", "--format", "ics", "-o", str(out), "--as-of", AS_OF.isoformat()],
        cwd=tmp_path / "demo",
    )
    assert again.returncode == 0 and set(_events(out.read_bytes())) == set(events)


def test_ics_without_a_file_is_a_usage_error(tmp_path, monkeypatch):
    result = invoke(["report", "overdue", "--format", "ics"])
    assert result.exit_code == 2 and "-o FILE.ics" in result.output
