"""`cmtk steps`, `cmtk step`, `cmtk advance`, `cmtk case reopen|transfer|close|breakdown`."""

from __future__ import annotations

import typer

from cmtk import dates
from cmtk.casework import policy, transitions, workflow
from cmtk.cli.case import _prompt_body
from cmtk.cli.common import open_session, say_faked_today, store_root
from cmtk.cli.inputs import read_yaml
from cmtk.cli.options import as_of_option, case_argument, date_option, from_option, switch, value_option
from cmtk.cli.output import Format, OutputFormat, emit, json_keys
from cmtk.forms import definitions
from cmtk.store import ids

AS_OF_HELP = "Judge as if today were this date (default: CMTK_TODAY, else today)."


@json_keys(
    [
        {
            "number": "int",
            "name": "text",
            "sops": ["int|text"],
            "purpose": "text",
            "record": "text",
            "achieve": "text",
            "before_next": [{"id": "text", "label": "text"}],
        }
    ]
)
def steps(
    ctx: typer.Context,
    number: int | None = typer.Argument(None, metavar="[N]", help="One step only (1-8)."),
    output_format: OutputFormat = Format.table,
) -> None:
    """The eight steps and their SOPs in plain words, with what each needs before the next one."""

    emit(workflow.guide(policy.load(store_root(ctx)), number), output_format, _steps_table)


def _steps_table(guide: workflow.StepGuide) -> list[str]:
    lines = []
    for step in guide.steps:
        sops = ", ".join(str(s) for s in step.get("sops", []))
        lines.append(f"Step {step['number']}: {step['name']}  (SOP {sops})")
        lines.append(f"  Why:     {step['purpose']}")
        lines.append(f"  Record:  {step['record']}")
        lines.append(f"  Achieve: {step['achieve']}")
        gates = guide.gates_after(step)
        if gates:
            lines.append(f"  Before step {step['number'] + 1}:")
            lines += [f"    - {gate.get('label', gate['id'])}" for gate in gates]
        lines.append("")
    return lines


@json_keys(
    {
        "case": "id",
        "step": "int",
        "step_name": "text",
        "next": "int|null",
        "requirements": [{"id": "text", "met": "bool", "label": "text", "detail": "text", "todo?": "text"}],
        "can_advance": "bool",
    }
)
def step(
    ctx: typer.Context,
    case: str = case_argument(),
    output_format: OutputFormat = Format.table,
    as_of: str | None = as_of_option(AS_OF_HELP),
) -> None:
    """The case's current step and, for the next one, each requirement as met or missing."""

    case_id = ids.normalise_case_id(case)
    session = open_session(ctx)
    state = transitions.status(session, case_id, dates.today(as_of, order=session.store.date_order))
    emit(state, output_format, _step_table)


def _step_table(state: workflow.Status) -> list[str]:
    lines = [f"Case {state.case} is at step {state.step}: {state.step_name}"]
    if state.next is None:
        return [*lines, "Nothing comes next: the case is not open."]
    lines.append(f"To move to step {state.next}:")
    lines.extend(_requirement_lines(state.requirements))
    if state.sent_back_to:
        lines.append(
            f"The approval was refused: `cmtk advance {state.case}` sends the case back to step {state.sent_back_to}."
        )
    elif state.can_advance:
        lines.append(f"Everything is in place: `cmtk advance {state.case}` moves it on.")
    ending = state.closing
    if ending is not None:
        lines.append(f"The closure form gives the reason: {ending.label}.")
        if ending.command == "transfer":
            lines.append(f"A transfer is recorded with its own form: `cmtk case transfer {state.case}`.")
        elif not ending.allowed:
            lines.append(f"That route is open only at step(s) {', '.join(str(s) for s in ending.from_steps)}.")
        else:
            lines.append("To close the case that way:")
            lines.extend(_requirement_lines(ending.requirements))
            if ending.ready:
                lines.append(f"Everything is in place: `cmtk case close {state.case}` closes it.")
    return lines


def _requirement_lines(requirements) -> list[str]:
    lines = []
    for req in requirements:
        mark = "met    " if req.met else "MISSING"
        lines.append(f"  [{mark}] {req.label}: {req.detail}")
        if not req.met and req.todo:
            lines.append(f"            -> {req.todo}")
    return lines


def _move_command(action, date_help: str, doc: str):
    """advance and close: the same options, one library call (`action`), its message."""

    def command(
        ctx: typer.Context,
        case: str = case_argument(),
        date: str | None = date_option(date_help),
        dry_run: bool = switch("--dry-run", "Say what would happen without changing anything."),
        as_of: str | None = as_of_option(AS_OF_HELP),
    ) -> None:
        _move(ctx, action, case, date, dry_run, as_of)

    command.__doc__ = doc
    return command


advance = _move_command(
    transitions.advance,
    "Date of the move (default: today).",
    "Move the case to the next step when every requirement is met; otherwise list what is missing.",
)
close = _move_command(
    transitions.close,
    "Date of closing (default: today).",
    """Close the case for the reason its closure form gives, once that route's requirements are met.

    Each reason (reintegration achieved, death, the family or child no
    longer wants support, the young person is an adult, no family could be
    traced, another reason) has its own requirements and approvals, set in
    the workflow; `cmtk step CASE` lists them.
    """,
)


def reopen(
    ctx: typer.Context,
    case: str = case_argument(),
    to_step: int | None = value_option(
        "--step", "Step to re-open at (default: the step it was at; 7, monitoring, for a case closed at step 8)."
    ),
    date: str | None = date_option("Date of re-opening (default: today)."),
) -> None:
    """Re-open a closed or transferred case; its history is kept.

    What was recorded before the re-opening no longer counts for the steps
    after the one it re-opens at: a new review, conference decision and
    closure form are needed before it closes again.
    """

    case_id = ids.normalise_case_id(case)
    session = open_session(ctx)
    day = session.store.optional_date(date, "--date")
    typer.echo(transitions.reopen(session, case_id, to_step=to_step, today=dates.today(), day=day).message)


def _move(ctx: typer.Context, action, case: str, date: str | None, dry_run: bool, as_of: str | None) -> None:
    case_id = ids.normalise_case_id(case)
    session = open_session(ctx)
    say_faked_today(session.store, as_of)
    today = dates.today(as_of, order=session.store.date_order)
    day = session.store.optional_date(date, "--date")
    outcome = action(session, case_id, today=today, day=day, dry_run=dry_run)
    typer.echo(outcome.message + (" (--dry-run: nothing was written)" if dry_run else ""))


def _form_from(form_id: str):
    """`--from FILE` for a command that records one whole form."""
    return from_option(f"The {form_id} form as YAML (see `cmtk form show {form_id}`), or - for standard input.")


def _whole_form(session, case_id: str, form_id: str, source: str | None) -> dict:
    """The form's answers: from `--from` YAML, else asked section by section."""
    if source:
        return read_yaml(source)
    session.store.existing_case_dir(case_id)  # an unknown case fails before any question is asked
    form = definitions.load_form(form_id, session.store.root)
    return _prompt_body(session, form, tuple(s.id for s in form.sections), False)


def breakdown(
    ctx: typer.Context,
    case: str = case_argument(),
    source: str | None = _form_from("breakdown"),
    date: str | None = date_option("Date of the record (default: today)."),
    dry_run: bool = switch("--dry-run", "Check the form and say what would happen, without writing."),
) -> None:
    """Record that a placement broke down (why, where the child is now) and send the case back to assessment.

    The step it goes back to is set in the workflow; the monitoring clock
    starts again from the next placement.
    """

    case_id = ids.normalise_case_id(case)
    session = open_session(ctx)
    day = session.store.optional_date(date, "--date")
    body = _whole_form(session, case_id, "breakdown", source)
    outcome = transitions.breakdown(session, case_id, body, today=dates.today(), day=day, dry_run=dry_run)
    typer.echo(outcome.message + (" (--dry-run: nothing was written)" if dry_run else ""))


def transfer(
    ctx: typer.Context,
    case: str = case_argument(),
    source: str | None = _form_from("transfer"),
    date: str | None = date_option("Date of the transfer (default: today)."),
) -> None:
    """Transfer a case to another agency (records the transfer form); its history is kept."""

    case_id = ids.normalise_case_id(case)
    session = open_session(ctx)
    day = session.store.optional_date(date, "--date")
    body = _whole_form(session, case_id, "transfer", source)
    typer.echo(transitions.transfer(session, case_id, body, today=dates.today(), day=day).message)


def register(app: typer.Typer) -> None:
    app.command("steps")(steps)
    app.command("step")(step)
    app.command("advance")(advance)


def register_case(case_app: typer.Typer) -> None:
    case_app.command("reopen")(reopen)
    case_app.command("transfer")(transfer)
    case_app.command("close")(close)
    case_app.command("breakdown")(breakdown)
