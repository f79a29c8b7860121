"""The figures of a supervision and reflection session, read from the summary index.

Caseload per caseworker against the limit, the cases on a board by step, time
spent in each step against what the policy expects, overdue work per
caseworker, and implementation indicators month by month: visits on schedule,
SMART plans, reviews on time, reviews with every domain passing, conference
reports within the deadline, referrals followed up.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from cmtk.casework import conference
from cmtk.casework import policy as policy_module
from cmtk.index import reports, summary
from cmtk.store.session import Session

INDICATORS = {
    "visits_on_schedule": "Monitoring visits done by their due date",
    "plans_smart": "Case plans whose goals are all SMART",
    "reviews_on_time": "Case reviews done by their due date",
    "reviews_all_domains": "Case reviews with every domain passing",
    "conference_reports_on_time": "Conference reports written within the deadline",
    "referrals_followed_up": "Referrals followed up by their due date",
}


@dataclass
class Ratio:
    done: int = 0
    of: int = 0

    @property
    def percent(self) -> int | None:
        return round(100 * self.done / self.of) if self.of else None

    def add(self, ok: bool) -> None:
        self.of += 1
        self.done += int(ok)


@dataclass
class BoardCase:
    case: str
    label: str  # initials, or the name with --names
    worker: str
    step: int
    days_in_step: int
    expected_days: int | None


@dataclass
class Dashboard:
    start: _dt.date
    end: _dt.date
    commit: str | None
    limit: int
    caseload: dict[str, int] = field(default_factory=dict)  # open cases per worker
    board: dict[int, list[BoardCase]] = field(default_factory=dict)
    overdue: dict[str, int] = field(default_factory=dict)  # per worker
    months: list[str] = field(default_factory=list)
    indicators: dict[str, dict[str, Ratio]] = field(default_factory=dict)  # indicator -> month -> ratio

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "commit": self.commit,
            "caseload_limit": self.limit,
            "caseload": self.caseload,
            "board": {
                str(step): [
                    {"case": c.case, "label": c.label, "worker": c.worker, "days_in_step": c.days_in_step,
                     "expected_days": c.expected_days}
                    for c in cases
                ]
                for step, cases in self.board.items()
            },
            "overdue": self.overdue,
            "indicators": {
                name: {m: {"done": r.done, "of": r.of, "percent": r.percent} for m, r in by_month.items()}
                for name, by_month in self.indicators.items()
            },
        }  # fmt: skip

    def rows(self) -> list[list[Any]]:
        """One row per indicator and month, for CSV."""
        return [
            [name, month, r.done, r.of, "" if r.percent is None else r.percent]
            for name, by_month in self.indicators.items()
            for month, r in by_month.items()
        ]


def _months(start: _dt.date, end: _dt.date) -> list[str]:
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _initials(name: str) -> str:
    return "".join(part[0].upper() + "." for part in name.split() if part[:1].isalpha())[:8] or "?"


def dashboard(session: Session, start: _dt.date, end: _dt.date, *, names: bool = False) -> Dashboard:
    """Everything the supervision page shows, for the months from `start` to `end` (as of `end`)."""
    policy = policy_module.load(session.store.root)
    expected = {int(k): int(v) for k, v in (policy.get("supervision", {}).get("expected_days_in_step") or {}).items()}
    index = summary.load_index(session)
    board = Dashboard(
        start, end, session.store.head_commit(), int(policy.get("caseload", {}).get("per_caseworker", 20))
    )
    board.months = _months(start, end)
    ratios: dict[str, dict[str, Ratio]] = {name: defaultdict(Ratio) for name in INDICATORS}

    def count(name: str, day: str | None, ok: bool) -> None:
        if day and start.isoformat() <= day <= end.isoformat():
            ratios[name][day[:7]].add(ok)

    caseload: Counter[str] = Counter()
    steps: dict[int, list[BoardCase]] = defaultdict(list)
    for case_id, row in index.rows.items():
        if row["status"] == "open" and (row["opened"] or "") <= end.isoformat():  # opened by the end date
            caseload[row["worker"]] += 1
            since = _dt.date.fromisoformat(row["opened"]) if row["opened"] else end
            for when, _from, to_step, _what in row["events"]:
                if when and to_step == row["step"]:
                    since = _dt.date.fromisoformat(when)
            label = row["name"] if names else _initials(row["name"])
            steps[row["step"]].append(
                BoardCase(case_id, label, row["worker"], row["step"], (end - since).days, expected.get(row["step"]))
            )
        done = row.get("activity") or {}
        for day, due in done.get("visits", []):
            count("visits_on_schedule", day, day <= due)
        for day, due in done.get("reviews", []):
            count("reviews_on_time", day, day <= due)
        for day, smart in done.get("plans", []):
            count("plans_smart", day, bool(smart))
        for sent, answered, due in done.get("referrals", []):
            if sent and due <= end.isoformat():  # a referral not yet due is not counted either way
                count("referrals_followed_up", sent, bool(answered and answered <= due))
        for review in (row.get("bench") or {}).get("reviews", []):
            day, domains = review[0], review[2]  # [date, form, [[domain, score, pass mark, max]], ...]
            count("reviews_all_domains", day, bool(domains) and all(d[1] >= d[2] for d in domains))
    for held, reported, due in conference.report_timeliness(session):
        count("conference_reports_on_time", held, bool(reported and reported <= due))
    board.caseload = dict(sorted(caseload.items()))
    board.board = {step: sorted(steps.get(step, []), key=lambda c: -c.days_in_step) for step in range(1, 9)}
    overdue = reports.overdue(session, end).data["items"]
    board.overdue = dict(sorted(Counter(i.worker for i in overdue).items()))
    board.indicators = {name: {m: ratios[name].get(m, Ratio()) for m in board.months} for name in INDICATORS}
    return board
