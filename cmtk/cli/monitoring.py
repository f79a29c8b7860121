"""`cmtk visit`, `cmtk review`, `cmtk refer`."""

from __future__ import annotations

import typer

from cmtk import dates
from cmtk.casework import cases, monitoring, plan
from cmtk.cli.case import _prompt_body
from cmtk.cli.common import is_terminal, open_session
from cmtk.cli.inputs import read_yaml
from cmtk.cli.options import argument, case_argument, date_option, from_option, value_option
from cmtk.errors import UsageError
from cmtk.forms import definitions
from cmtk.store import ids

FROM_HELP = "Read the rest of the form from a YAML file, or - for standard input."


def visit(
    ctx: typer.Context,
    case: str = case_argument(),
    date: str | None = date_option("Date of the visit or call (default: today)."),
    seen: bool | None = typer.Option(
        None, "--seen/--not-seen", help="Whether you saw the child in person (default: seen unless --mode phone)."
    ),
    mode: str = typer.Option("home", "--mode", help="home, phone, school or other."),
    source: str | None = from_option(FROM_HELP),
) -> None:
    """Record a monitoring visit. Only a visit where the child was seen resets the visit clock."""

    case_id = ids.normalise_case_id(case)
    session = open_session(ctx)
    session.store.existing_case_dir(case_id)  # an unknown case fails before the form is asked for
    day = session.store.optional_date(date, "--date", dates.today())
    form = definitions.load_form("monitoring", session.store.root)
    needed = tuple(s for s in monitoring.needed_sections(form) if s != "visit")
    if source:
        extra = read_yaml(source)
    elif is_terminal():
        trimmed = type(form)(**{**form.__dict__, "sections": tuple(s for s in form.sections if s.id != "visit")})
        extra = _prompt_body(session, trimmed, needed, False)
    else:
        raise UsageError.of("visit-from-needed", needed=", ".join(needed))
    body = monitoring.visit_body(extra, day=day, seen=seen, mode=mode)
    record, counted = monitoring.record_visit(session, case_id, body, today=dates.today())
    typer.echo(
        f"Recorded the {mode} contact of {day.isoformat()} for {case_id}; it {counted} (record {record.record})."
    )


def review(
    ctx: typer.Context,
    case: str = case_argument(),
    source: str | None = from_option("The review as YAML (see `cmtk form show case-review`), or -."),
    date: str | None = date_option("Date of the review (default: today)."),
    young_person: bool | None = typer.Option(
        None,
        "--young-person/--child",
        help="Form 8A (young person) or 7A (child and caregiver); default from the placement's care type.",
    ),
) -> None:
    """Record a case review indicator by indicator; show domain totals, the closure verdict and zeros
    without a plan action."""

    case_id = ids.normalise_case_id(case)
    session = open_session(ctx)
    today = dates.today()
    day = session.store.optional_date(date, "--date")
    form_id = monitoring.review_form_for(cases.read_case(session, case_id), young_person)
    form = definitions.load_form(form_id, session.store.root)
    if source:
        body = read_yaml(source)
    else:
        typer.echo(f"Case review ({form.code}): answer each indicator yes, no or na (not applicable).")
        body = _prompt_body(session, form, tuple(s.id for s in form.sections if s.domain), False)
    record, result = monitoring.record_review(session, case_id, form_id, body, day=day, today=today)
    typer.echo(f"Recorded the case review for {case_id} (record {record.record}).")
    latest = result.reviews[-1][1]
    for domain in latest.domains:
        state = "achieved" if domain.achieved else "below the pass mark"
        typer.echo(f"  {domain.domain:<13} {domain.score:>2} / {domain.max:<2} (pass mark {domain.pass_mark}): {state}")
    if latest.na:
        typer.echo(f"Not applicable (N/A, as the form allows): {len(latest.na)} indicator(s): {', '.join(latest.na)}")
    typer.echo(f"Closure: {result.verdict}")
    if result.zero_without_action:
        typer.echo("Scored 0 with no case plan action: " + ", ".join(result.zero_without_action))
        if is_terminal():
            _offer_actions(session, case_id, form, result.zero_without_action, today)
        else:
            typer.echo(
                f"Add a goal and action for each: cmtk plan goal {case_id} --phase post --domain DOMAIN --indicators "
                f"{result.zero_without_action[0]} and cmtk plan action {case_id} post:GOAL --by DATE"
            )


def _offer_actions(session, case_id: str, form, indicators, today) -> None:
    """For each indicator scored 0, offer to add a post-placement goal and one action on the spot."""

    domain_of = {f.indicator: s.domain for s in form.sections if s.domain for f in s.fields if f.indicator}
    for indicator in indicators:
        if not typer.confirm(f"Add a plan goal and action for {indicator} now?", default=True):
            continue
        goal = typer.prompt("  Goal (what should be true)").strip()
        goal_id = plan.add_goal(
            session,
            case_id,
            phase="post",
            domain=domain_of.get(indicator, "psychosocial"),
            goal=goal,
            indicators=indicator,
            today=today,
        )
        action = typer.prompt("  Action (what will be done)").strip()
        responsible = typer.prompt("  Who does it").strip()
        deadline = session.store.parse_date(typer.prompt("  By when (DD-MM-YYYY)"), "deadline")
        output = typer.prompt("  Output that shows it is done").strip()
        action_id = plan.add_action(
            session,
            case_id,
            goal_id,
            action=action,
            responsible=responsible,
            deadline=deadline,
            output=output,
            today=today,
            phase="post",
        )
        typer.echo(f"  Added goal {goal_id} (post-placement plan) with action {action_id}.")


def refer(
    ctx: typer.Context,
    words: list[str] = argument(
        "A case id to refer; or `done CASE REF` to close a referral's follow-up.", "CASE | done CASE REF"
    ),
    to: str | None = value_option("--to", "Receiving organisation or service.", "ORG"),
    reason: str | None = value_option("--reason", "Reason (see `cmtk form show referral`), e.g. health, education."),
    date: str | None = date_option("Date of the referral, or of the follow-up with `done`."),
    accompanied: bool | None = typer.Option(
        None, "--accompanied/--not-accompanied", help="Whether you went with the child or family."
    ),
    benefit: bool | None = typer.Option(
        None, "--benefit/--no-benefit", help="With `done`: whether the family confirmed the service helped."
    ),
) -> None:
    """Refer a child or family to a service (`cmtk refer CASE --to ORG --reason R`), or close its follow-up
    (`cmtk refer done CASE REF`)."""

    session = None
    today = dates.today()
    if words[0] == "done":
        if len(words) != 3:
            raise UsageError.of("refer-done-usage")
        case_id = ids.normalise_case_id(words[1])
        session = open_session(ctx)
        day = session.store.optional_date(date, "--date", today)
        updated = monitoring.referral_done(session, case_id, words[2], day=day, benefit=benefit, today=today)
        typer.echo(f"Follow-up of referral {updated.record} recorded for {case_id}.")
        return
    if len(words) != 1:
        raise UsageError.of("refer-usage")
    if not to or not reason:
        raise UsageError.of("refer-options-needed")
    case_id = ids.normalise_case_id(words[0])
    session = open_session(ctx)
    day = session.store.optional_date(date, "--date", today)
    body = {"referral": {"referral_date": day, "receiving_organisation": to, "reason": reason}}
    if accompanied is not None:
        body["referral"]["accompanied"] = "yes" if accompanied else "no"
    record, count = monitoring.refer(session, case_id, body, day=day, today=today)
    typer.echo(
        f"Referred case {case_id} to {to} (referral {count}, record {record.record}); close it with "
        f"`cmtk refer done {case_id} {count} --benefit` once the family confirms."
    )


def register(app: typer.Typer) -> None:
    app.command("visit")(visit)
    app.command("review")(review)
    app.command("refer")(refer)
