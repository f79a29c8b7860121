"""Aggregate, de-identified figures for the national system (CPIMS) or a sub-county children's officer.

Every figure is a count over the caseload (or a percentage of two counts),
read from the encrypted summary index, so it takes a second even for a large
store. Nothing in the output names or points at a child: no names, case ids,
caseworkers, birth dates or places; the only date is the as-of date and the
only places are the organisation and county of the store's settings.

The shape is fixed: every step, status, overdue kind and benchmark domain
has a row, zero or not, so a receiving system can read any month's return
the same way. Small counts are not suppressed (docs/sharing.md says why).

"As of" a past date: a case counts from the day it was opened (an imported
case from the day it was imported), and its step and status are its current
ones with every move dated after that day undone. Overdue items and benchmark
scores are judged from the records as they are now, as `cmtk report overdue`
judges them, with only reviews held by that day counted.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cmtk.casework import policy as policy_module
from cmtk.casework import schedule, scoring
from cmtk.forms import definitions
from cmtk.index import reports, summary
from cmtk.output.sharing import IMPORTED, LAST_STEP, STATUSES

if TYPE_CHECKING:
    from cmtk.store.session import Session

COLUMNS = ("measure", "category", "value", "as_of", "organisation", "county")
FORMATS = ("csv", "json")


@dataclass(frozen=True)
class Figure:
    measure: str
    category: str
    value: int | str  # a count, a percentage, or "" when there is nothing to divide by


def state_on(status: str, step: int, opened: str | None, events: list, as_of: _dt.date) -> tuple[str, int] | None:
    """A case's status and step at the end of `as_of`, or None if it was not yet in this store's caseload.

    The index keeps the current state and the moves (`[date, from, to, what]`,
    oldest first); moves dated after `as_of` are undone, newest first.
    """
    day = as_of.isoformat()  # ISO dates compare as text
    if opened and opened > day:
        return None
    for when, from_step, to_step, what in reversed(events or []):
        if not when or when <= day:
            continue
        what = str(what)
        if what == IMPORTED:
            return None
        if isinstance(from_step, int):
            step = from_step
        if what == "transferred" or what.startswith("closed") or (what == "advance" and to_step == LAST_STEP):
            status = "open"
        elif what.startswith("re-opened"):
            status = "transferred" if "transferred" in what else "closed"
    return status, step


def figures(session: Session, as_of: _dt.date) -> list[Figure]:
    """Every figure of the return, in a fixed order."""

    index = summary.load_index(session)
    states: dict[str, tuple[str, int]] = {}
    for case_id, status, step, opened, events in zip(
        index.ids,
        index.column("status"),
        index.column("step"),
        index.column("opened"),
        index.column("events"),
        strict=False,
    ):
        state = state_on(status, step, opened, events, as_of)
        if state is not None:
            states[case_id] = state
    out: list[Figure] = []
    by_status = {s: 0 for s in STATUSES}
    by_step = {n: 0 for n in range(1, LAST_STEP + 1)}
    for status, step in states.values():
        by_status[status] = by_status.get(status, 0) + 1
        if status == "open":
            by_step[step] = by_step.get(step, 0) + 1
    out.append(Figure("cases", "total", len(states)))
    out += [Figure("cases_by_status", s, n) for s, n in by_status.items()]
    out += [Figure("open_cases_by_step", f"step-{n}", c) for n, c in sorted(by_step.items())]

    known = set(index.ids)
    items = [i for i in reports.overdue(session, as_of).items if i.case in states or i.case not in known]
    kinds = {k: 0 for k in schedule.KINDS}
    for item in items:
        kinds[item.kind] = kinds.get(item.kind, 0) + 1
    out += [Figure("overdue_items", k, n) for k, n in kinds.items()]
    out.append(Figure("overdue_items", "total", len(items)))
    out.append(Figure("cases_with_overdue_items", "total", len({i.case for i in items if i.case in states})))

    closure = policy_module.load(session.store.root).get("closure", {})
    rule, hard_stop = closure.get("rule", "all-domains"), closure.get("school_travel_hard_stop", True)
    scored = {d: 0 for d in definitions.DOMAINS}
    achieved = {d: 0 for d in definitions.DOMAINS}
    reviewed = ready = 0
    for case_id, data in zip(index.ids, index.column("bench"), strict=False):
        if data is None or case_id not in states:
            continue
        held = [
            (day, score) for day, score in scoring.bench_from_json(case_id, data).reviews if day is None or day <= as_of
        ]
        if not held:
            continue
        latest = held[-1][1]
        reviewed += 1
        ready += states[case_id][0] == "open" and latest.closure_ready(rule, hard_stop)  # closed cases are done
        for domain in latest.domains:
            scored[domain.domain] = scored.get(domain.domain, 0) + 1
            achieved[domain.domain] = achieved.get(domain.domain, 0) + domain.achieved
    out.append(Figure("cases_reviewed", "total", reviewed))
    out += [Figure("benchmark_cases_scored", d, n) for d, n in scored.items()]
    out += [Figure("benchmark_cases_achieved", d, n) for d, n in achieved.items()]
    out += [
        Figure("benchmark_achieved_percent", d, round(100 * achieved[d] / n) if n else "") for d, n in scored.items()
    ]
    out.append(Figure("cases_ready_for_closure", "total", ready))
    return out


def rows(found: list[Figure], as_of: _dt.date, settings: dict) -> list[list[Any]]:
    organisation = str(settings.get("organisation") or "")
    county = str(settings.get("county") or "")
    return [[f.measure, f.category, f.value, as_of.isoformat(), organisation, county] for f in found]


def render(found: list[Figure], as_of: _dt.date, settings: dict, output_format: str = "csv") -> str:
    if output_format == "json":
        return (
            json.dumps(
                {
                    "as_of": as_of.isoformat(),
                    "organisation": str(settings.get("organisation") or ""),
                    "county": str(settings.get("county") or ""),
                    "figures": [{"measure": f.measure, "category": f.category, "value": f.value} for f in found],
                },
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows(found, as_of, settings))
    return buffer.getvalue()
