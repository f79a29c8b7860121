"""`cmtk smart`: check case plan goals and actions, or one goal sentence, against SMART."""

from __future__ import annotations

import typer

from cmtk import dates
from cmtk.casework import plan, policy
from cmtk.cli.common import open_session, store_root
from cmtk.cli.options import argument, as_of_option, switch
from cmtk.cli.output import Format, OutputFormat, emit, json_keys
from cmtk.errors import UsageError
from cmtk.smart import checker
from cmtk.smart import rules as smart_rules
from cmtk.store import ids

app = typer.Typer(help="SMART checks: Specific, Measurable, Attainable, Relevant, Time-bound.", no_args_is_help=True)


@app.command("check")
@json_keys([{"case": "id", "goal": "text|null", "action": "text|null", "letter": "text", "message": "text"}])
def smart_check(
    ctx: typer.Context,
    case: str | None = typer.Argument(None, help="Case id (or use --all)."),
    all_cases: bool = switch("--all", "Check every open case."),
    output_format: OutputFormat = Format.table,
    as_of: str | None = as_of_option("Judge deadlines as if today were this date."),
) -> None:
    """A finding per goal or action that is not SMART, naming the letter and what to add; exit 1 if any."""

    if bool(case) == all_cases:
        raise UsageError.of("smart-case-needed")
    case_id = ids.normalise_case_id(case) if case else None
    session = open_session(ctx)
    result = plan.check_smart(session, case_id, dates.today(as_of, order=session.store.date_order))
    emit(result, output_format, _check_table)
    if result.findings:
        raise typer.Exit(1)


def _check_table(result: plan.SmartCheck) -> list[str]:
    return [f"{case_id}: {finding}" for case_id, finding in result.findings] or ["Every goal and action is SMART."]


@app.command("text")
@json_keys([{"letter": "text", "message": "text"}])
def smart_text(
    ctx: typer.Context,
    sentence: str = argument(
        'One goal sentence, for training, e.g. "The father opens a savings account ... by 10-02-2021".'
    ),
    as_of: str | None = as_of_option("Judge the date as if today were this date."),
    output_format: OutputFormat = Format.table,
) -> None:
    """Check one free-text goal sentence against SMART (for trainers); exit 1 if it misses a letter."""

    root = store_root(ctx)  # a store's own word lists and forms, when the command runs in one
    rules = smart_rules.build(policy.load(root).get("smart"), store_root=root) if root else smart_rules.default()
    result = checker.check_sentence(sentence, today=dates.today(as_of) if as_of is not None else None, rules=rules)
    emit(result, output_format, _text_table)
    if result.findings:
        raise typer.Exit(1)


def _text_table(result: checker.TextCheck) -> list[str]:
    if result.findings:
        return [str(finding) for finding in result.findings]
    return ["SMART: a named person does a clear action with a checkable output, tied to a domain, by a real date."]
