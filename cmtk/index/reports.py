"""Reports over the caseload: overdue items, benchmark scores, caseload per worker.

Reports read cases through one pipeline (decrypt, parse, derive) and never
touch files themselves. Each names the store commit it was built from, so a
printed report can be reproduced later with `cmtk case show --at`.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cmtk import dates
from cmtk.casework import conference, schedule, scoring
from cmtk.casework import policy as policy_module
from cmtk.errors import CmtkError
from cmtk.forms import definitions
from cmtk.index import summary
from cmtk.store import ids

if TYPE_CHECKING:
    from cmtk.casework import scoring
    from cmtk.store.session import Session


OVERDUE_COLUMNS = ["worker", "case", "kind", "due", "days_overdue", "detail"]


@dataclass(frozen=True)
class OverdueReport:
    """What is overdue on a day (and, when asked, what falls due soon), from one store commit."""

    as_of: _dt.date
    commit: str | None
    items: list[schedule.DueItem]
    upcoming: list[schedule.DueItem] | None = None

    @property
    def all_due(self) -> list[schedule.DueItem]:
        return self.items + (self.upcoming or [])

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "as_of": self.as_of.isoformat(),
            "commit": self.commit,
            "items": [i.to_json(self.as_of) for i in self.items],
        }
        if self.upcoming is not None:
            out["upcoming"] = [i.to_json(self.as_of) for i in self.upcoming]
        return out

    def to_rows(self) -> tuple[list[str], list[list[Any]]]:
        ordered = sorted(self.items, key=lambda i: (i.worker, i.due))
        return OVERDUE_COLUMNS, [
            [i.worker, i.case, i.kind, i.due.isoformat(), i.days_overdue(self.as_of), i.detail] for i in ordered
        ]


def overdue(
    session: Session, as_of: _dt.date, *, worker: str | None = None, upcoming_days: int | None = None
) -> OverdueReport:
    """Overdue (and optionally upcoming) items across the caseload, from the summary index."""

    index = summary.load_index(session)
    items: list[schedule.DueItem] = []
    wanted = worker.casefold() if worker else None
    fromiso = _dt.date.fromisoformat
    # ISO dates compare as text: only items due before the horizon become objects.
    horizon = (as_of + _dt.timedelta(days=upcoming_days or 0)).isoformat()
    for case_id, case_worker, due in zip(index.ids, index.column("worker"), index.column("due"), strict=False):
        if wanted and case_worker.casefold() != wanted:
            continue
        items += [
            schedule.DueItem(case_id, case_worker, kind, fromiso(day), detail, ref)
            for kind, day, detail, ref in due
            if day <= horizon
        ]
    if session.store.conference_ids():  # only then load the conference machinery
        items = [
            i
            for i in conference_items(session, items, as_of)
            if i.kind not in ("conference", "conference-report") or not worker or i.worker.casefold() == wanted
        ]
    soon = schedule.upcoming(items, as_of, upcoming_days) if upcoming_days is not None else None
    return OverdueReport(as_of, session.store.head_commit(), schedule.overdue(items, as_of), soon)


def decisions_without_conference(session: Session, conference_ids: list[str]) -> list[conference.HandDecision]:
    """Conference decisions recorded on cases by hand, with no conference record in this store, oldest first
    (a decision without a date first)."""
    index = summary.load_index(session)
    known = set(conference_ids)
    found = [
        conference.HandDecision(case_id, _dt.date.fromisoformat(day) if day else None, kind)
        for case_id, decisions in zip(index.ids, index.column("decisions"), strict=False)
        for day, kind, conference_id in decisions or []
        if conference_id not in known
    ]
    return sorted(found, key=lambda d: (d.date.isoformat() if d.date else "-", d.case, d.kind))


def conference_list(session: Session) -> conference.ConferenceList:
    """`cmtk conference list`: the conference records of this store, then the decisions recorded by hand on
    cases that name none of them (from the summary index)."""
    found = conference.listing(session)
    by_hand = decisions_without_conference(session, [c.id for c in found.conferences])
    return conference.ConferenceList(found.conferences, by_hand)


def conference_items(session: Session, items: list[schedule.DueItem], as_of: _dt.date) -> list[schedule.DueItem]:
    """Conferencing (SOP 14, Case Conferencing SOP 5.3-5.5), where conferences are recorded in this store:
    a case put on any conference counts as presented (the schedule asks each new case to be, from its own
    records); each kind of conference is due again `every` after the last one of that kind; reports are
    due within a day."""
    held = [conference.read(session, c) for c in session.store.conference_ids()]
    presented = {entry["case"] for c in held for entry in c.cases}
    kept = [i for i in items if not (i.kind == "conference-presentation" and i.case in presented)]
    settings = policy_module.load(session.store.root).get("conferences") or {}
    for kind in conference.KINDS:
        every = (settings.get(kind) or {}).get("every")
        mine = sorted((c for c in held if c.info.get("kind") == kind and c.date <= as_of), key=lambda c: c.date)
        if every and mine:
            last = mine[-1]
            kept.append(
                schedule.DueItem(
                    last.id,
                    str(last.info.get("chair", "")),
                    "conference",
                    dates.add_duration(last.date, every),
                    f"the next {kind} case conference (the last was on {last.date.isoformat()})",
                )
            )
    return kept + conference.overdue_reports(session, as_of)


def caseload_benchmarks(session: Session, case_ids: list[str] | None = None) -> dict[str, Any]:
    """Benchmark scores per case and across the caseload, from the summary index."""

    index = summary.load_index(session)
    achieved: Counter[str] = Counter()
    zeros: Counter[str] = Counter()
    reviewed = na_answers = 0
    per_case = []
    wanted = set(case_ids) if case_ids is not None else None
    for case_id, data in zip(index.ids, index.column("bench"), strict=False):
        if data is None or (wanted is not None and case_id not in wanted):
            continue
        result = scoring.bench_from_json(case_id, data)
        reviewed += 1
        per_case.append(result)
        latest = result.reviews[-1][1]
        achieved.update(d.domain for d in latest.domains if d.achieved)
        zeros.update(latest.zeros)
        na_answers += sum(d.na for d in latest.domains)
    return {
        "cases_reviewed": reviewed,
        "na_answers": na_answers,
        "achieved": {d: achieved.get(d, 0) for d in definitions.DOMAINS},
        "most_zero": zeros.most_common(10),
        "cases": per_case,
    }


BENCHMARK_COLUMNS = ["case", "review_date", "domain", "score", "pass_mark", "max", "achieved", "na"]


@dataclass(frozen=True)
class BenchmarkReport:
    """Benchmark scores of one case (`case`) or of the whole caseload, from one store commit."""

    commit: str | None
    summary: dict[str, Any]  # as caseload_benchmarks returns it
    case: str | None = None

    @property
    def cases(self) -> list[scoring.CaseBenchmarks]:
        return self.summary["cases"]

    def to_json(self) -> dict[str, Any]:
        if self.case is not None:
            return {**scoring.case_benchmarks_json(self.cases[0]), "commit": self.commit}
        return {
            "commit": self.commit,
            "cases_reviewed": self.summary["cases_reviewed"],
            "achieved": self.summary["achieved"],
            "most_zero": [{"indicator": i, "cases": n} for i, n in self.summary["most_zero"]],
            "na_answers": self.summary["na_answers"],
            "cases": [scoring.case_benchmarks_json(c) for c in self.cases],
        }

    def to_rows(self) -> tuple[list[str], list[list[Any]]]:
        return BENCHMARK_COLUMNS, [
            [c.case, _iso(day), x.domain, x.score, x.pass_mark, x.max, x.achieved, x.na]
            for c in self.cases
            for day, scored in c.reviews
            for x in scored.domains
        ]


def _iso(day: Any) -> Any:
    return day.isoformat() if isinstance(day, _dt.date) else day


def benchmarks(session: Session, case_id: str | None = None) -> BenchmarkReport:
    """One case's scores across its reviews, or the caseload's; refused for a case with no review yet."""

    commit = session.store.head_commit()
    if case_id is None:
        return BenchmarkReport(commit, caseload_benchmarks(session))
    case_id = ids.normalise_case_id(case_id)
    if not session.store.has_case(case_id):
        raise CmtkError.of("report-no-such-case", case_id=case_id)
    summary = caseload_benchmarks(session, [case_id])
    if not summary["cases"]:
        raise CmtkError.of("review-missing", case_id=case_id)
    return BenchmarkReport(commit, summary, case_id)


CASELOAD_COLUMNS = ["worker", "open", "by_step", "over_limit"]


@dataclass(frozen=True)
class CaseloadReport:
    """Open cases per caseworker and step, moves per quarter and days in each step (`data` is the JSON)."""

    data: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return self.data

    def worker_rows(self) -> list[list[Any]]:
        return [
            [w, v["open"], " ".join(f"{s}:{n}" for s, n in v["by_step"].items()), "OVER" if v["over_limit"] else ""]
            for w, v in self.data["workers"].items()
        ]

    def to_rows(self) -> tuple[list[str], list[list[Any]]]:
        return CASELOAD_COLUMNS, self.worker_rows()


def caseload_report(session: Session, as_of: _dt.date) -> CaseloadReport:
    return CaseloadReport({**caseload(session, as_of), "commit": session.store.head_commit()})


def caseload(session: Session, as_of: _dt.date) -> dict[str, Any]:
    """Open cases per worker and step, moves per quarter, days spent in each step (from the summary index)."""

    policy = policy_module.load(session.store.root)
    limit = int(policy.get("caseload", {}).get("per_caseworker", 20))
    by_worker: dict[str, Counter] = defaultdict(Counter)
    quarters: dict[str, Counter] = defaultdict(Counter)
    step_days: dict[int, list[int]] = defaultdict(list)
    for row in summary.load(session).values():
        if row["status"] == "open":
            by_worker[row["worker"]][row["step"]] += 1
        previous_day = _dt.date.fromisoformat(row["opened"]) if row["opened"] else None
        previous_step = 1
        for when, from_step, to_step, what in row["events"]:
            if not when:
                continue
            day = _dt.date.fromisoformat(when)
            quarter = f"{day.year}-Q{(day.month - 1) // 3 + 1}"
            if to_step == 7 and what == "advance":
                quarters[quarter]["reunified"] += 1
            if (to_step == 8 and what == "advance") or what.startswith("closed"):
                quarters[quarter]["closed"] += 1
            if what.startswith("re-opened"):
                quarters[quarter]["reopened"] += 1
            if previous_day and from_step == previous_step:
                step_days[previous_step].append((day - previous_day).days)
            previous_day, previous_step = day, to_step
        if row["status"] == "open" and previous_day:
            step_days[previous_step].append((as_of - previous_day).days)
    return {
        "as_of": as_of.isoformat(),
        "limit": limit,
        "workers": {
            w: {
                "open": sum(c.values()),
                "by_step": {str(s): n for s, n in sorted(c.items())},
                "over_limit": sum(c.values()) > limit,
            }
            for w, c in sorted(by_worker.items())
        },
        "quarters": {q: dict(c) for q, c in sorted(quarters.items())},
        "days_in_step": {
            str(s): {"cases": len(v), "median": sorted(v)[len(v) // 2]} for s, v in sorted(step_days.items()) if v
        },
    }
