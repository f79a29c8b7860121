"""`cmtk conference ...`: prepare, hold and report a case conference."""

from __future__ import annotations

from pathlib import Path

import typer

from cmtk import dates
from cmtk.casework import conference
from cmtk.cli.common import open_session, warn
from cmtk.cli.inputs import read_yaml
from cmtk.cli.options import (
    allow_names_option,
    argument,
    as_of_option,
    case_argument,
    date_option,
    from_option,
    output_option,
    switch,
    value_option,
)
from cmtk.cli.output import Format, OneOf, OutputFormat, emit, json_keys
from cmtk.errors import UsageError
from cmtk.forms import definitions
from cmtk.index import reports
from cmtk.output import conference_forms as printing
from cmtk.output.userfiles import write_replacing
from cmtk.store import ids

app = typer.Typer(
    help="Case conferences: prepare (cases, participants, invitations), hold (agreements, minutes) and report.",
    no_args_is_help=True,
)
ID_HELP = "Conference id (from `cmtk conference new` or `list`)."


def _conference_argument():
    return argument(ID_HELP, "ID")


def _participant_argument():
    return argument("Participant's name.")


PRINTABLE = ("agenda", "presentation", "preparation", "attendance", "confidentiality", "checklist", "minutes", "report")


def _day(session, text: str | None, field: str):
    """A date option that defaults to today; given empty or badly, it is an error."""

    return session.store.optional_date(text, field, dates.today(order=session.store.date_order))


@app.command("new")
def conference_new(
    ctx: typer.Context,
    date: str = date_option("Date of the conference.", required=True),
    kind: str = value_option(
        "--kind", "internal (staff only), external (with partners) or aac (sub-county).", None, required=True
    ),
    chair: str = value_option("--chair", "Who chairs it.", "NAME", required=True),
    venue: str = typer.Option("", "--venue", help="Where it is held (a private room)."),
) -> None:
    """Plan a conference; prints its id."""

    session = open_session(ctx)
    typer.echo(
        conference.create(session, day=session.store.option_date(date, "--date"), kind=kind, chair=chair, venue=venue)
    )


CONFERENCE_ROW = {
    "conference": "id",
    "date": "date",
    "kind": "text",
    "chair": "text",
    "cases": "int",
    "status": "text|null",
    "recorded_by_hand": "false",
    "case": "null",
    "decision": "null",
}
HAND_ROW = {
    "conference": "null",
    "date": "date|null",
    "kind": "null",
    "chair": "null",
    "cases": "int",
    "status": "null",
    "recorded_by_hand": "true",
    "case": "id",
    "decision": "text",
}


@app.command("list")
@json_keys(
    [
        OneOf(
            {
                "a conference record of this store": CONFERENCE_ROW,
                "a decision recorded by hand on a case, naming no conference record here (cases is 1)": HAND_ROW,
            }
        )
    ]
)
def conference_list(ctx: typer.Context, output_format: OutputFormat = Format.table) -> None:
    """List conferences with date, kind, chair, number of cases and status.

    Then the decisions recorded by hand on cases that name no conference
    record in cmtk (held on paper, or before cmtk): in every format, as rows
    with recorded_by_hand true and the case and what was decided.
    """

    session = open_session(ctx)
    emit(reports.conference_list(session), output_format, _list_table)


def _list_table(found: conference.ConferenceList) -> list[str]:
    if not found.conferences and not found.by_hand:
        return ["No conferences yet. Plan one with `cmtk conference new --date D --kind internal --chair NAME`."]
    lines = [
        f"{c.id}  {c.info['date']}  {c.info['kind']:<9} {c.info.get('chair', ''):<20} {len(c.cases)} case(s)  "
        f"{c.info.get('status')}"
        for c in found.conferences
    ]
    if found.by_hand:
        lines.append(("\n" if lines else "") + "Decisions recorded on cases without a conference record in cmtk")
        lines[-1] += " (recorded by hand):"
        lines.extend(f"  {d.date or '-'}  case {d.case}  {d.kind}" for d in found.by_hand)
    return lines


@app.command("show")
def conference_show(
    ctx: typer.Context,
    conference_id: str = _conference_argument(),
    as_of: str | None = as_of_option("Judge the checklist as if today were this date."),
) -> None:
    """Show the conference, its cases and participants, and the checklist (Form 3) as met or missing."""

    session = open_session(ctx)
    found = conference.read(session, conference_id)
    info = found.info
    typer.echo(
        f"Conference {found.id}: {info['kind']} on {info['date']} at {info.get('venue') or '(venue not set)'}, "
        f"chair {info.get('chair')}; {info.get('status')}"
    )
    typer.echo(
        "Cases: " + (", ".join(f"{c['case']} (presenter {c.get('presenter')})" for c in found.cases) or "none yet")
    )
    for person in found.participants:
        typer.echo(
            f"  participant {person['name']} ({person.get('role') or '-'}, {person.get('organisation') or '-'}): "
            f"invited {person.get('invited', '-')}, confirmed {person.get('confirmed', '-')}"
        )
    typer.echo("Checklist:")
    for item in conference.checklist(session, found, dates.today(as_of, order=session.store.date_order)):
        typer.echo(f"  [{'met    ' if item.met else 'MISSING'}] {item.label}: {item.detail}")


@app.command("add-case")
def conference_add_case(
    ctx: typer.Context,
    conference_id: str = _conference_argument(),
    case: str = case_argument("Case id to present."),
    presenter: str = typer.Option("", "--presenter", help="Who presents it (default: its caseworker)."),
) -> None:
    """Put a case on the conference (the policy limits how many)."""

    case_id = ids.normalise_case_id(case)
    session = open_session(ctx)
    for message in conference.add_case(session, conference_id, case_id, presenter):
        warn(message)
    typer.echo(f"Case {case_id} is on conference {conference_id.upper()}.")


@app.command("add-participant")
def conference_add_participant(
    ctx: typer.Context,
    conference_id: str = _conference_argument(),
    name: str | None = typer.Argument(
        None,
        help="Participant's name (staff or partner, not a child). Leave it out "
        "to type it at a prompt (or on standard input): names on the command line "
        "stay in the shell's history.",
    ),
    organisation: str = typer.Option("", "--organisation", help="Their organisation."),
    role: str = typer.Option("", "--role", help="Their role, e.g. caseworker, case manager, SCCO."),
    invited: str | None = value_option("--invited", "Date the invitation was sent.", "DATE"),
    kind: str = typer.Option(
        "staff",
        "--as",
        help="staff (staff and partners), or child or family: the child or a family member of a case on the "
        "conference, listed by the case id, never by name.",
    ),
    case: str | None = value_option("--case", "With --as child or family: the case they come for."),
) -> None:
    """Add a participant (5 to 10 staff and partners is the rule: cmtk warns outside it).

    A child or a family member may take part where it is in the child's best
    interests (SOP 14): they are listed by their case, not by name, and give
    their own agreement (often verbal) for that conference.
    """

    session = open_session(ctx)
    day = session.store.optional_date(invited, "--invited")
    if name is None and kind == "staff":
        name = _read_name()
    listed, warnings = conference.add_participant(
        session, conference_id, name, organisation, role, day, kind=kind, case_id=case
    )
    for message in warnings:
        warn(message)
    typer.echo(f"{listed} added to conference {conference_id.upper()}.")


def _read_name() -> str:
    import sys

    if sys.stdin.isatty():
        name = typer.prompt("Participant's name")
    else:
        name = sys.stdin.readline()
    name = name.strip()
    if not name:
        raise UsageError.of("participant-name-needed")
    return name


def _participant_command(record, date_help: str, said: str, doc: str):
    """invite and confirm: the same arguments; `record(session, conference_id, name, day)`, then `said`."""

    def command(
        ctx: typer.Context,
        conference_id: str = _conference_argument(),
        name: str = _participant_argument(),
        date: str | None = date_option(date_help),
    ) -> None:
        session = open_session(ctx)
        record(session, conference_id, name, _day(session, date, "--date"))
        typer.echo(said.format(name=name))

    command.__doc__ = doc
    return command


app.command("invite")(
    _participant_command(
        conference.invite,
        "Date the invitation was sent (default: today).",
        "Invitation to {name} recorded.",
        "Record that a participant was invited (at least 7 days before).",
    )
)
app.command("confirm")(
    _participant_command(
        conference.confirm,
        "Date they confirmed (default: today).",
        "Confirmation from {name} recorded.",
        "Record that a participant confirmed (at least 3 days before).",
    )
)


@app.command("agree")
def conference_agree(
    ctx: typer.Context,
    conference_id: str = _conference_argument(),
    name: str = _participant_argument(),
    verbal: bool = switch("--verbal", "Verbal consent noted in the file instead of a signed form."),
    date: str | None = date_option("Date of the agreement (default: today)."),
) -> None:
    """Record a participant's confidentiality agreement (Form 5): once per person, valid for every conference."""

    session = open_session(ctx)
    how = conference.agreement_kind(session, verbal)
    conference.record_agreement(session, conference_id, name, how, _day(session, date, "--date"), dates.today())
    typer.echo(f"Confidentiality agreement of {name} recorded ({how}).")


def _document_command(record, what: str, form_id: str, doc: str):
    """minutes and report: the same options; `record(...)` stores the YAML and returns warnings."""

    def command(
        ctx: typer.Context,
        conference_id: str = _conference_argument(),
        source: str = from_option(f"The {what} as YAML (see `cmtk form show {form_id}`), or -.", required=True),
        allow_names: bool = allow_names_option(),
    ) -> None:
        body = read_yaml(source)
        session = open_session(ctx)
        for message in record(session, conference_id, body, today=dates.today(), allow_names=allow_names):
            warn(message)
        typer.echo(f"{what.capitalize()} of conference {conference_id.upper()} recorded.")

    command.__doc__ = doc
    return command


app.command("minutes")(
    _document_command(
        conference.record_minutes,
        "minutes",
        "conference-minutes",
        "Record the minutes (Form 7): case ids only, decisions and action points with who, what, by when.",
    )
)
app.command("report")(
    _document_command(
        conference.record_report,
        "report",
        "conference-report",
        "Record the conference report (Form 8), due within 24 hours of the conference.",
    )
)


@app.command("close")
def conference_close(ctx: typer.Context, conference_id: str = _conference_argument()) -> None:
    """Close the conference: action points into each case plan, decisions recorded with each case (one commit)."""

    session = open_session(ctx)
    counts = conference.close(session, conference_id, today=dates.today())
    typer.echo(
        f"Conference {conference_id.upper()} closed: {counts['actions']} action point(s) added to case plans, "
        f"{counts['decisions']} decision(s) recorded with their cases."
    )


@app.command("print")
def conference_print(
    ctx: typer.Context,
    conference_id: str = _conference_argument(),
    what: str = argument(
        "agenda, presentation, preparation, attendance, confidentiality, checklist, minutes or report.", "WHAT"
    ),
    case: str | None = value_option(
        "--case", "For a presentation or preparation: the case (default: one page per case)."
    ),
    output: Path = output_option("HTML file to write (print it from a browser).", required=True),
) -> None:
    """Print a conference form prefilled from the conference (case ids only, never names)."""

    if what not in PRINTABLE:
        raise UsageError.of(
            "print-what", what=what, printable=", ".join(PRINTABLE), suggest=definitions.suggest(what, PRINTABLE)
        )
    session = open_session(ctx)
    found = conference.read(session, conference_id)
    html = printing.render_page(session, found, what, case)

    write_replacing(output, html.encode("utf-8"), session.store.root, "-o")
    typer.echo(f"Wrote {output}.")
    if what in ("presentation", "preparation", "minutes", "report"):
        warn(
            f"{output} is plain text about children's cases (ids only, but details of their situation): "
            "keep it locked away and destroy it after use"
        )
