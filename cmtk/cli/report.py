"""`cmtk report`: overdue items, benchmarks, caseload."""

from __future__ import annotations

from pathlib import Path

import typer

from cmtk import dates
from cmtk.casework import scoring
from cmtk.cli.common import open_session
from cmtk.cli.output import check_format, emit_json, emit_rows, short
from cmtk.errors import CmtkError, UsageError
from cmtk.index import reports
from cmtk.output import calendar, report_pages, userfiles
from cmtk.store import ids

app = typer.Typer(
    help="Reports: overdue work, benchmark scores, caseload. Each names the store commit it was built from.",
    no_args_is_help=True,
)
FORMAT_HELP = "table, json, csv or md."
AS_OF_HELP = "Report as if today were this date (default: CMTK_TODAY, else today)."


@app.command("overdue")
def report_overdue(
    ctx: typer.Context,
    as_of: str | None = typer.Option(None, "--as-of", metavar="DATE", help=AS_OF_HELP),
    worker: str | None = typer.Option(None, "--worker", metavar="W", help="Only this caseworker's cases."),
    upcoming: bool = typer.Option(False, "--upcoming", help="Also list what falls due in the next two weeks."),
    output_format: str = typer.Option(
        "table", "--format", help="table, json, csv, md, or ics (a calendar file for a phone: needs -o)."
    ),
    output: Path | None = typer.Option(
        None, "-o", "--output", metavar="FILE", help="With --format ics: the calendar file to write."
    ),
) -> None:
    """Every overdue visit, review, assessment, action and follow-up, most overdue first, by caseworker."""

    if output_format != "ics":
        check_format(output_format)
    elif output is None:
        raise UsageError("--format ics writes a calendar file: add -o FILE.ics")
    session = open_session(ctx)
    today = dates.today(as_of, order=session.store.date_order)
    report = reports.overdue(session, today, worker=worker, upcoming_days=14 if upcoming else None)
    if output is not None:
        due = report.data["items"] + report.data.get("upcoming", [])
        written = userfiles.write_replacing(
            output, calendar.calendar(due, as_of=today, namespace=session.key(1).public), session.store.root
        )
        typer.echo(f"Wrote {len(due)} event(s) to {written}: case ids and kinds of work only, no names.")
        return
    if output_format == "json":
        emit_json(reports.overdue_json(report))
        return
    items = report.data["items"]
    if output_format in ("csv", "md"):
        emit_rows(
            ["worker", "case", "kind", "due", "days_overdue", "detail"],
            [
                [i.worker, i.case, i.kind, i.due.isoformat(), i.days_overdue(today), i.detail]
                for i in sorted(items, key=lambda i: (i.worker, i.due))
            ],
            output_format,
        )
        return
    typer.echo(f"Overdue as of {today.isoformat()} (store commit {short(report.commit)}): {len(items)} item(s)")
    _grouped(items, today, overdue=True)
    if upcoming:
        soon = report.data["upcoming"]
        typer.echo(f"\nDue in the next two weeks: {len(soon)} item(s)")
        _grouped(soon, today, overdue=False)


def _grouped(items, today, overdue: bool) -> None:
    by_worker: dict[str, list] = {}
    for item in items:
        by_worker.setdefault(item.worker, []).append(item)
    # caseworkers with the most overdue item first
    for worker_name, group in sorted(by_worker.items(), key=lambda kv: kv[1][0].due):
        typer.echo(f"\n{worker_name} ({len(group)})")
        rows = [[i.case, i.kind, i.due.isoformat(), _days(i.days_overdue(today), overdue), i.detail] for i in group]
        emit_rows(["  case", "what", "due", "when", "detail"], [["  " + r[0], *r[1:]] for r in rows], "table")


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
def report_benchmarks(
    ctx: typer.Context,
    case: str | None = typer.Argument(None, help="One case (default: the whole caseload)."),
    output: str | None = typer.Option(
        None, "-o", "--output", metavar="FILE.html", help="Also write a printable page with a star chart per case."
    ),
    output_format: str = typer.Option("table", "--format", help=FORMAT_HELP),
) -> None:
    """Benchmark scores per domain: one case's trend across reviews, or achievement across the caseload."""
    import sys

    check_format(output_format)
    session = open_session(ctx)
    commit = session.store.head_commit()
    if case is not None:
        case_id = ids.normalise_case_id(case)
        if not session.store.has_case(case_id):
            raise CmtkError(f"no case {case_id} in this store; see `cmtk case list`")
        summary = reports.caseload_benchmarks(session, [case_id])
        if not summary["cases"]:
            raise CmtkError(f"case {case_id} has no case review yet; record one with `cmtk review {case_id}`")
    else:
        summary = reports.caseload_benchmarks(session)
    if output:
        path = report_pages.write_benchmarks(
            output,
            summary,
            commit=commit,
            training=session.store.training,
            organisation=str(session.store.settings.get("organisation", "")),
            store_root=session.store.root,
        )
        typer.echo(f"Wrote {path}. It holds case ids and scores only, no names; keep it with the case files.", err=True)
    if output_format == "json":
        if case:
            emit_json({**scoring.case_benchmarks_json(summary["cases"][0]), "commit": commit})
        else:
            emit_json(
                {
                    "commit": commit,
                    "cases_reviewed": summary["cases_reviewed"],
                    "achieved": summary["achieved"],
                    "most_zero": [{"indicator": i, "cases": n} for i, n in summary["most_zero"]],
                    "na_answers": summary["na_answers"],
                    "cases": [scoring.case_benchmarks_json(c) for c in summary["cases"]],
                }
            )
        return
    if output_format in ("csv", "md"):
        rows = [
            [
                c.case,
                (d.isoformat() if hasattr(d, "isoformat") else d),
                x.domain,
                x.score,
                x.pass_mark,
                x.max,
                x.achieved,
                x.na,
            ]
            for c in summary["cases"]
            for d, s in c.reviews
            for x in s.domains
        ]
        emit_rows(["case", "review_date", "domain", "score", "pass_mark", "max", "achieved", "na"], rows, output_format)
        return
    from rich.console import Console

    console = Console(highlight=False)
    colour = sys.stdout.isatty()
    say = console.print if colour else typer.echo
    say(f"Benchmarks (store commit {short(commit)})")
    for result in summary["cases"]:
        say(f"\nCase {result.case}")
        for day, scored in result.reviews:
            na = sum(d.na for d in scored.domains)
            say(
                f"  review {day}: "
                + ", ".join(f"{d.domain} {d.score}/{d.max}" for d in scored.domains)
                + (f"; N/A on {na} indicator(s)" if na else "")
            )
        latest = result.reviews[-1][1]
        for domain in latest.domains:
            mark = "achieved" if domain.achieved else f"needs {domain.pass_mark}"
            say(
                f"  {domain.domain:<13} {_bar(domain.score, domain.pass_mark, domain.max, colour)} {domain.score:>2}/{domain.max:<2} {mark}"
            )
        say(f"  closure: {result.verdict}")
        if result.zero_without_action:
            say(f"  scored 0 with no plan action: {', '.join(result.zero_without_action)}")
    if not case:
        say(f"\nAcross the caseload: {summary['cases_reviewed']} case(s) reviewed")
        for domain, count in summary["achieved"].items():
            say(f"  {domain:<13} achieved in {count} case(s)")
        if summary["most_zero"]:
            say("  most often scored 0: " + ", ".join(f"{i} ({n})" for i, n in summary["most_zero"]))
        if summary["na_answers"]:
            say(f"  N/A answers in the latest reviews: {summary['na_answers']}")


@app.command("caseload")
def report_caseload(
    ctx: typer.Context,
    as_of: str | None = typer.Option(None, "--as-of", metavar="DATE", help=AS_OF_HELP),
    output_format: str = typer.Option("table", "--format", help=FORMAT_HELP),
) -> None:
    """Open cases per caseworker and step against the recommended limit; moves per quarter; time in each step."""

    check_format(output_format)
    session = open_session(ctx)
    today = dates.today(as_of, order=session.store.date_order)
    data = reports.caseload(session, today)
    data["commit"] = session.store.head_commit()
    if output_format == "json":
        emit_json(data)
        return
    rows = [
        [w, v["open"], " ".join(f"{s}:{n}" for s, n in v["by_step"].items()), "OVER" if v["over_limit"] else ""]
        for w, v in data["workers"].items()
    ]
    if output_format in ("csv", "md"):
        emit_rows(["worker", "open", "by_step", "over_limit"], rows, output_format)
        return
    typer.echo(
        f"Caseload as of {today.isoformat()} (store commit {short(data['commit'])}); recommended at most {data['limit']} per caseworker"
    )
    emit_rows(["worker", "open", "by step (step:cases)", ""], rows, "table")
    if data["quarters"]:
        typer.echo("\nPer quarter")
        emit_rows(
            ["quarter", "reunified", "closed", "re-opened"],
            [[q, c.get("reunified", 0), c.get("closed", 0), c.get("reopened", 0)] for q, c in data["quarters"].items()],
            "table",
        )
    if data["days_in_step"]:
        typer.echo("\nDays spent in each step (median)")
        emit_rows(
            ["step", "cases", "median days"],
            [[s, v["cases"], v["median"]] for s, v in data["days_in_step"].items()],
            "table",
        )
