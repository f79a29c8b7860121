"""`cmtk report`: overdue items, benchmarks, caseload."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from cmtk import dates
from cmtk.cli.common import open_session
from cmtk.cli.options import as_of_option, output_option, switch, value_option
from cmtk.cli.output import FORMAT_HELP, CalendarFormat, Format, OneOf, OutputFormat, columns, emit, json_keys, short
from cmtk.errors import UsageError
from cmtk.index import reports
from cmtk.output import calendar, report_pages, userfiles

app = typer.Typer(
    help="Reports: overdue work, benchmark scores, caseload. Each names the store commit it was built from.",
    no_args_is_help=True,
)
AS_OF_HELP = "Report as if today were this date (default: CMTK_TODAY, else today)."

DUE_ITEM = {"case": "id", "worker": "text", "kind": "text", "due": "date", "days_overdue": "int", "detail": "text"}
CASE_BENCHMARKS = {
    "case": "id",
    "review_date": "date|null",
    "domains": [{"domain": "text", "score": "int", "pass_mark": "int", "max": "int", "achieved": "bool", "na": "int"}],
    "closure_ready": "bool",
    "zero_without_action": ["text"],
    "trend": [{"review_date": "date|null", "domains": {"<domain>": "int"}}],
}


@app.command("overdue")
@json_keys({"as_of": "date", "commit": "text|null", "items": [DUE_ITEM], "upcoming?": [DUE_ITEM]})
def report_overdue(
    ctx: typer.Context,
    as_of: str | None = as_of_option(AS_OF_HELP),
    worker: str | None = value_option("--worker", "Only this caseworker's cases.", "W"),
    upcoming: bool = switch("--upcoming", "Also list what falls due in the next two weeks."),
    output_format: CalendarFormat = typer.Option(
        CalendarFormat.table,
        "--format",
        help=FORMAT_HELP + " ics: a calendar file for a phone (needs -o).",
        case_sensitive=False,
    ),
    output: Path | None = output_option("With --format ics: the calendar file to write."),
) -> None:
    """Every overdue visit, review, assessment, action and follow-up, most overdue first, by caseworker."""

    if output_format == CalendarFormat.ics and output is None:
        raise UsageError.of("ics-needs-output")
    session = open_session(ctx)
    today = dates.today(as_of, order=session.store.date_order)
    report = reports.overdue(session, today, worker=worker, upcoming_days=14 if upcoming else None)
    if output is not None:
        ics = calendar.calendar(report.all_due, as_of=today, namespace=session.key(1).public)
        written = userfiles.write_replacing(output, ics, session.store.root)
        typer.echo(f"Wrote {len(report.all_due)} event(s) to {written}: case ids and kinds of work only, no names.")
        return
    emit(report, Format(output_format.value), _overdue_table)


def _overdue_table(report: reports.OverdueReport) -> list[str]:
    lines = [
        f"Overdue as of {report.as_of.isoformat()} (store commit {short(report.commit)}): {len(report.items)} item(s)"
    ]
    lines += _grouped(report.items, report.as_of, overdue=True)
    if report.upcoming is not None:
        lines.append(f"\nDue in the next two weeks: {len(report.upcoming)} item(s)")
        lines += _grouped(report.upcoming, report.as_of, overdue=False)
    return lines


def _grouped(items, today, overdue: bool) -> list[str]:
    by_worker: dict[str, list] = {}
    for item in items:
        by_worker.setdefault(item.worker, []).append(item)
    lines = []
    # caseworkers with the most overdue item first
    for worker_name, group in sorted(by_worker.items(), key=lambda kv: kv[1][0].due):
        lines.append(f"\n{worker_name} ({len(group)})")
        rows = [[i.case, i.kind, i.due.isoformat(), _days(i.days_overdue(today), overdue), i.detail] for i in group]
        lines += columns(["  case", "what", "due", "when", "detail"], [["  " + r[0], *r[1:]] for r in rows])
    return lines


def _days(count: int, overdue: bool) -> str:
    unit = "day" if abs(count) == 1 else "days"
    return f"{count} {unit} late" if overdue else ("today" if count == 0 else f"in {-count} {unit}")


def _bar(score: int, pass_mark: int, maximum: int, colour: bool) -> str:
    width = 20
    filled = round(width * score / maximum) if maximum else 0
    bar = "#" * filled + "." * (width - filled)
    if not colour:
        return bar
    ratio = score / pass_mark if pass_mark else 1
    style = "green" if ratio >= 1 else "yellow" if ratio >= 0.75 else "dark_orange" if ratio >= 0.5 else "red"
    return f"[{style}]{bar}[/{style}]"


@app.command("benchmarks")
@json_keys(
    OneOf(
        {
            "with a CASE": {**CASE_BENCHMARKS, "commit": "text|null"},
            "for the caseload": {
                "commit": "text|null",
                "cases_reviewed": "int",
                "achieved": {"<domain>": "int"},
                "most_zero": [{"indicator": "text", "cases": "int"}],
                "na_answers": "int",
                "cases": [CASE_BENCHMARKS],
            },
        }
    )
)
def report_benchmarks(
    ctx: typer.Context,
    case: str | None = typer.Argument(None, help="One case (default: the whole caseload)."),
    output: str | None = value_option(
        "--output", "Also write a printable page with a star chart per case.", "FILE.html", short="-o"
    ),
    output_format: OutputFormat = Format.table,
) -> None:
    """Benchmark scores per domain: one case's trend across reviews, or achievement across the caseload."""

    session = open_session(ctx)
    report = reports.benchmarks(session, case)
    if output:
        path = report_pages.write_benchmarks(
            output,
            report.summary,
            commit=report.commit,
            training=session.store.training,
            organisation=str(session.store.settings.get("organisation", "")),
            store_root=session.store.root,
        )
        typer.echo(f"Wrote {path}. It holds case ids and scores only, no names; keep it with the case files.", err=True)
    colour = sys.stdout.isatty()
    emit(report, output_format, lambda r: _benchmarks_table(r, colour), markup=colour)


def _benchmarks_table(report: reports.BenchmarkReport, colour: bool) -> list[str]:
    lines = [f"Benchmarks (store commit {short(report.commit)})"]
    for result in report.cases:
        lines.append(f"\nCase {result.case}")
        for day, scored in result.reviews:
            na = sum(d.na for d in scored.domains)
            lines.append(
                f"  review {day}: "
                + ", ".join(f"{d.domain} {d.score}/{d.max}" for d in scored.domains)
                + (f"; N/A on {na} indicator(s)" if na else "")
            )
        latest = result.reviews[-1][1]
        for domain in latest.domains:
            mark = "achieved" if domain.achieved else f"needs {domain.pass_mark}"
            bar = _bar(domain.score, domain.pass_mark, domain.max, colour)
            lines.append(f"  {domain.domain:<13} {bar} {domain.score:>2}/{domain.max:<2} {mark}")
        lines.append(f"  closure: {result.verdict}")
        if result.zero_without_action:
            lines.append(f"  scored 0 with no plan action: {', '.join(result.zero_without_action)}")
    if report.case is None:
        summary = report.summary
        lines.append(f"\nAcross the caseload: {summary['cases_reviewed']} case(s) reviewed")
        for domain, count in summary["achieved"].items():
            lines.append(f"  {domain:<13} achieved in {count} case(s)")
        if summary["most_zero"]:
            lines.append("  most often scored 0: " + ", ".join(f"{i} ({n})" for i, n in summary["most_zero"]))
        if summary["na_answers"]:
            lines.append(f"  N/A answers in the latest reviews: {summary['na_answers']}")
    return lines


@app.command("caseload")
@json_keys(
    {
        "as_of": "date",
        "limit": "int",
        "workers": {"<worker>": {"open": "int", "by_step": {"<step>": "int"}, "over_limit": "bool"}},
        "quarters": {"<quarter>": {"reunified?": "int", "closed?": "int", "reopened?": "int"}},
        "days_in_step": {"<step>": {"cases": "int", "median": "int"}},
        "commit": "text|null",
    }
)
def report_caseload(
    ctx: typer.Context,
    as_of: str | None = as_of_option(AS_OF_HELP),
    output_format: OutputFormat = Format.table,
) -> None:
    """Open cases per caseworker and step against the recommended limit; moves per quarter; time in each step."""

    session = open_session(ctx)
    today = dates.today(as_of, order=session.store.date_order)
    emit(reports.caseload_report(session, today), output_format, _caseload_table)


def _caseload_table(report: reports.CaseloadReport) -> list[str]:
    data = report.data
    lines = [
        f"Caseload as of {data['as_of']} (store commit {short(data['commit'])}); "
        f"recommended at most {data['limit']} per caseworker"
    ]
    lines += columns(["worker", "open", "by step (step:cases)", ""], report.worker_rows())
    if data["quarters"]:
        lines.append("\nPer quarter")
        lines += columns(
            ["quarter", "reunified", "closed", "re-opened"],
            [[q, c.get("reunified", 0), c.get("closed", 0), c.get("reopened", 0)] for q, c in data["quarters"].items()],
        )
    if data["days_in_step"]:
        lines.append("\nDays spent in each step (median)")
        lines += columns(
            ["step", "cases", "median days"], [[s, v["cases"], v["median"]] for s, v in data["days_in_step"].items()]
        )
    return lines
