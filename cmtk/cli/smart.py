"""`cmtk smart`: check case plan goals and actions, or one goal sentence, against SMART."""

from __future__ import annotations

import datetime as _dt

import typer

from cmtk import dates
from cmtk.casework import cases, plan, policy, schedule
from cmtk.cli.common import open_session, store_root
from cmtk.cli.output import emit_json
from cmtk.errors import UsageError
from cmtk.smart import checker
from cmtk.smart import rules as smart_rules
from cmtk.store import ids

app = typer.Typer(help="SMART checks: Specific, Measurable, Attainable, Relevant, Time-bound.", no_args_is_help=True)


def _planned_closure(case, policy) -> _dt.date | None:
    """Closure can come no sooner than the minimum monitoring after the (planned) placement."""

    start = schedule.placement_date(case) or plan.plans(case)["pre_placement"].body.get("planned_placement_date")
    if not isinstance(start, _dt.date):
        return None
    return dates.add_duration(start, policy["monitoring"]["minimum_before_closure"])


@app.command("check")
def smart_check(
    ctx: typer.Context,
    case: str | None = typer.Argument(None, help="Case id (or use --all)."),
    all_cases: bool = typer.Option(False, "--all", help="Check every open case."),
    output_format: str = typer.Option("table", "--format", help="table or json."),
    as_of: str | None = typer.Option(
        None, "--as-of", metavar="DATE", help="Judge deadlines as if today were this date."
    ),
) -> None:
    """A finding per goal or action that is not SMART, naming the letter and what to add; exit 1 if any."""

    if bool(case) == all_cases:
        raise UsageError("give one case id, or --all")
    if output_format not in ("table", "json"):
        raise UsageError(f"--format: '{output_format}' is not one of table, json")
    selected = [ids.normalise_case_id(case)] if case else None
    session = open_session(ctx)
    today = dates.today(as_of, order=session.store.date_order)
    current_policy = policy.load(session.store.root)
    rules = smart_rules.build(current_policy.get("smart"), store_root=session.store.root)
    findings = []
    for case_id in selected or session.store.case_ids():
        found = cases.read_case(session, case_id)
        if not selected and found.status != "open":
            continue
        closure = _planned_closure(found, current_policy)
        for current in plan.plans(found).values():
            if current.record is None:
                continue
            for finding in checker.check_plan(
                current.goals,
                current.actions,
                today=today,
                planned_closure=closure,
                order=session.store.date_order,
                rules=rules,
            ):
                findings.append((case_id, finding))
    if output_format == "json":
        emit_json([f.to_json(case_id) for case_id, f in findings])
    else:
        for case_id, finding in findings:
            typer.echo(f"{case_id}: {finding}")
        if not findings:
            typer.echo("Every goal and action is SMART.")
    if findings:
        raise typer.Exit(1)


@app.command("text")
def smart_text(
    ctx: typer.Context,
    sentence: str = typer.Argument(
        ..., help='One goal sentence, for training, e.g. "The father opens a savings account ... by 10-02-2021".'
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", metavar="DATE", help="Judge the date as if today were this date."
    ),
) -> None:
    """Check one free-text goal sentence against SMART (for trainers); exit 1 if it misses a letter."""

    root = store_root(ctx)  # a store's own word lists and forms, when the command runs in one
    rules = smart_rules.build(policy.load(root).get("smart"), store_root=root) if root else smart_rules.default()
    findings = checker.check_text(sentence, today=dates.today(as_of) if as_of is not None else None, rules=rules)
    for finding in findings:
        typer.echo(str(finding))
    if findings:
        raise typer.Exit(1)
    typer.echo("SMART: a named person does a clear action with a checkable output, tied to a domain, by a real date.")
