"""`cmtk plan`: goals and actions of a case plan. Free text is asked at prompts or read with --from."""

from __future__ import annotations

import typer

from cmtk import dates
from cmtk.casework import plan
from cmtk.cli.common import is_terminal, open_session
from cmtk.cli.inputs import read_yaml
from cmtk.cli.options import argument, case_argument, date_option, from_option, value_option
from cmtk.cli.output import Format, OutputFormat, emit, json_keys
from cmtk.errors import CmtkError, UsageError
from cmtk.forms import definitions
from cmtk.forms.definitions import suggest
from cmtk.store import ids

app = typer.Typer(
    help="Case plans: goals per wellbeing domain, and actions with who, what, by when and output.", no_args_is_help=True
)
FROM_HELP = "Read the texts from a YAML file, or - for standard input, instead of prompts."


def _texts(source: str | None, questions: dict[str, str], required: tuple[str, ...]) -> dict[str, str]:
    """Free text from --from (a YAML mapping) or from prompts; never from the command line."""

    if source:
        data = read_yaml(source)
        if not isinstance(data, dict):
            raise CmtkError.of("from-expects-mapping", questions=", ".join(questions))
        unknown = [k for k in data if k not in questions]
        if unknown:
            raise CmtkError.of(
                "from-unknown-key",
                unknown=unknown[0],
                suggest=suggest(unknown[0], questions),
                questions=", ".join(questions),
            )
        answers = {k: str(v).strip() for k, v in data.items() if v is not None}
    else:
        if not is_terminal():
            raise UsageError.of("from-needed")
        answers = {key: typer.prompt(text, default="", show_default=False).strip() for key, text in questions.items()}
    for key in required:
        if not answers.get(key):
            raise CmtkError.of("plan-from-required", key=key, questions=questions[key])
    return answers


@app.command("show")
@json_keys(
    {
        "case": "id",
        "plans": [
            {
                "phase": "text",
                "plan_date": "date|null",
                "planned_placement_date": "date|null",
                "goals": [
                    {
                        "goal_id": "text",
                        "domain": "text|null",
                        "goal": "text",
                        "need_or_gap": "text|null",
                        "indicators": "text|null",
                    }
                ],
                "actions": [
                    {
                        "action_id": "text",
                        "goal_id": "text",
                        "action": "text",
                        "responsible": "text|null",
                        "deadline": "date|text|null",
                        "output": "text|null",
                        "status": "text",
                        "completed_date": "date|null",
                    }
                ],
            }
        ],
    }
)
def plan_show(ctx: typer.Context, case: str = case_argument(), output_format: OutputFormat = Format.table) -> None:
    """Show the pre- and post-placement plans: goals, and each action with who, deadline, output and status."""

    case_id = ids.normalise_case_id(case)
    session = open_session(ctx)
    emit(plan.show(session, case_id), output_format, _show_table)


def _show_table(view: plan.PlanView) -> list[str]:
    lines = []
    for phase, current in view.plans.items():
        title = phase.replace("_", "-")
        if current.record is None:
            lines.append(f"{title} plan: none yet")
            continue
        placement = current.body.get("planned_placement_date")
        lines.append(
            f"{title} plan of {current.body.get('plan_date')}"
            + (f"; planned placement {placement}" if placement else "")
        )
        for goal in current.goals:
            lines.append(f"  Goal {view.label(goal, 'goal_id')} [{goal.get('domain', '?')}] {goal.get('goal', '')}")
            for action in view.actions_of(current, goal):
                lines.append(
                    f"    {view.label(action, 'action_id'):<6}{action.get('status', 'open'):<8}by "
                    f"{action.get('deadline')}  "
                    f"{action.get('responsible', '?')}: {action.get('action', '')} -> {action.get('output', '?')}"
                )
    if view.ambiguous:
        lines.append(
            f"Numbers given on two laptops before they synced ({', '.join(sorted(view.ambiguous))}) name more than "
            "one row: use the ref shown beside them."
        )
    return lines


@app.command("goal")
def plan_goal(
    ctx: typer.Context,
    case: str = case_argument(),
    domain: str = value_option(
        "--domain",
        "Wellbeing domain: education, protection, psychosocial, health, relationship, economic.",
        None,
        required=True,
    ),
    phase: str = typer.Option("pre", "--phase", help="pre (before placement) or post (after)."),
    indicators: str = typer.Option("", "--indicators", help="Benchmark indicators the goal works on, e.g. B1.1,B1.3."),
    source: str | None = from_option(FROM_HELP + " Keys: goal, need."),
) -> None:
    """Add a goal to the case plan; prints its number."""

    case_id = ids.normalise_case_id(case)
    if domain not in definitions.DOMAINS:
        raise UsageError.of(
            "domain-option",
            domain=domain,
            domains=", ".join(definitions.DOMAINS),
            suggest=definitions.suggest(domain, definitions.DOMAINS),
        )
    plan.phase_of(phase)
    session = open_session(ctx)
    texts = _texts(
        source, {"goal": "Goal (what should be true for the child)", "need": "Need or gap it answers"}, ("goal",)
    )
    goal_id = plan.add_goal(
        session,
        case_id,
        phase=phase,
        domain=domain,
        goal=texts["goal"],
        need=texts.get("need", ""),
        indicators=indicators,
        today=dates.today(),
    )
    where = "" if plan.phase_of(phase) == "pre_placement" else " (post-placement plan)"
    typer.echo(
        f"Added goal {goal_id} to case {case_id}{where}. "
        f"Add its actions with `cmtk plan action {case_id} {goal_id} --by DATE`."
    )


@app.command("action")
def plan_action(
    ctx: typer.Context,
    case: str = case_argument(),
    goal: str = argument("Goal number, or its ref (see `cmtk plan show`); pre:N or post:N names its plan too."),
    by: str = value_option("--by", "Deadline, a calendar date (DD-MM-YYYY or YYYY-MM-DD).", "DATE", required=True),
    phase: str | None = value_option("--phase", "pre or post: the plan the goal is in."),
    source: str | None = from_option(FROM_HELP + " Keys: action, responsible, output."),
) -> None:
    """Add an action to a goal: who does what, by when, and the output that shows it is done."""

    case_id = ids.normalise_case_id(case)
    session = open_session(ctx)
    deadline = session.store.option_date(by, "--by")
    texts = _texts(
        source,
        {
            "action": "What will be done",
            "responsible": "Who does it (name or role)",
            "output": "Output that shows it is done",
        },
        ("action", "responsible", "output"),
    )
    action_id = plan.add_action(
        session,
        case_id,
        goal,
        action=texts["action"],
        responsible=texts["responsible"],
        deadline=deadline,
        output=texts["output"],
        today=dates.today(),
        phase=phase,
    )
    typer.echo(f"Added action {action_id} to goal {goal} of case {case_id}.")


@app.command("done")
def plan_done(
    ctx: typer.Context,
    case: str = case_argument(),
    action: str = argument("Action number, e.g. 1.2, or its ref (see `cmtk plan show`); post:1.2 names its plan too."),
    date: str | None = date_option("Date it was done (default: today)."),
    phase: str | None = value_option("--phase", "pre or post: the plan the action is in."),
) -> None:
    """Mark an action done."""

    case_id = ids.normalise_case_id(case)
    session = open_session(ctx)
    today = dates.today()
    day = session.store.optional_date(date, "--date", today)
    plan.mark_done(session, case_id, action, day=day, today=today, phase=phase)
    typer.echo(f"Action {action} of case {case_id} is done ({day.isoformat()}).")


@app.command("placement-date")
def plan_placement_date(
    ctx: typer.Context,
    case: str = case_argument(),
    date: str = argument("Planned date of reunification or placement.", "DATE"),
) -> None:
    """Set the planned date of reunification or placement in the pre-placement plan."""

    case_id = ids.normalise_case_id(case)
    session = open_session(ctx)
    day = session.store.option_date(date, "DATE")
    plan.set_placement_date(session, case_id, day, dates.today())
    typer.echo(f"Planned placement date of case {case_id}: {day.isoformat()}.")
