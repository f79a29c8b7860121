"""`cmtk conference ...`: prepare, hold and report a case conference."""

from __future__ import annotations

from pathlib import Path

import typer

from cmtk import dates
from cmtk.casework import conference
from cmtk.cli.common import open_session, warn
from cmtk.cli.inputs import read_yaml
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
PRINTABLE = ("agenda", "presentation", "preparation", "attendance", "confidentiality", "checklist", "minutes", "report")


def _day(session, text: str | None, field: str):
    """A date option that defaults to today; given empty or badly, it is an error."""

    return session.store.optional_date(text, field, dates.today(order=session.store.date_order))


@app.command("new")
def conference_new(
    ctx: typer.Context,
    date: str = typer.Option(..., "--date", metavar="DATE", help="Date of the conference."),
    kind: str = typer.Option(
        ..., "--kind", help="internal (staff only), external (with partners) or aac (sub-county)."
    ),
    chair: str = typer.Option(..., "--chair", metavar="NAME", help="Who chairs it."),
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
    conference_id: str = typer.Argument(..., metavar="ID", help=ID_HELP),
    as_of: str | None = typer.Option(
        None, "--as-of", metavar="DATE", help="Judge the checklist as if today were this date."
    ),
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
    conference_id: str = typer.Argument(..., metavar="ID", help=ID_HELP),
    case: str = typer.Argument(..., help="Case id to present."),
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
    conference_id: str = typer.Argument(..., metavar="ID", help=ID_HELP),
    name: str | None = typer.Argument(
        None,
        help="Participant's name (staff or partner, not a child). Leave it out "
        "to type it at a prompt (or on standard input): names on the command line "
        "stay in the shell's history.",
    ),
    organisation: str = typer.Option("", "--organisation", help="Their organisation."),
    role: str = typer.Option("", "--role", help="Their role, e.g. caseworker, case manager, SCCO."),
    invited: str | None = typer.Option(None, "--invited", metavar="DATE", help="Date the invitation was sent."),
    kind: str = typer.Option(
        "staff",
        "--as",
        help="staff (staff and partners), or child or family: the child or a family member of a case on the "
        "conference, listed by the case id, never by name.",
    ),
    case: str | None = typer.Option(None, "--case", help="With --as child or family: the case they come for."),
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


@app.command("invite")
def conference_invite(
    ctx: typer.Context,
    conference_id: str = typer.Argument(..., metavar="ID", help=ID_HELP),
    name: str = typer.Argument(..., help="Participant's name."),
    date: str | None = typer.Option(
        None, "--date", metavar="DATE", help="Date the invitation was sent (default: today)."
    ),
) -> None:
    """Record that a participant was invited (at least 7 days before)."""

    session = open_session(ctx)
    conference.invite(session, conference_id, name, _day(session, date, "--date"))
    typer.echo(f"Invitation to {name} recorded.")


@app.command("confirm")
def conference_confirm(
    ctx: typer.Context,
    conference_id: str = typer.Argument(..., metavar="ID", help=ID_HELP),
    name: str = typer.Argument(..., help="Participant's name."),
    date: str | None = typer.Option(None, "--date", metavar="DATE", help="Date they confirmed (default: today)."),
) -> None:
    """Record that a participant confirmed (at least 3 days before)."""

    session = open_session(ctx)
    conference.confirm(session, conference_id, name, _day(session, date, "--date"))
    typer.echo(f"Confirmation from {name} recorded.")


@app.command("agree")
def conference_agree(
    ctx: typer.Context,
    conference_id: str = typer.Argument(..., metavar="ID", help=ID_HELP),
    name: str = typer.Argument(..., help="Participant's name."),
    verbal: bool = typer.Option(False, "--verbal", help="Verbal consent noted in the file instead of a signed form."),
    date: str | None = typer.Option(None, "--date", metavar="DATE", help="Date of the agreement (default: today)."),
) -> None:
    """Record a participant's confidentiality agreement (Form 5): once per person, valid for every conference."""

    session = open_session(ctx)
    how = conference.agreement_kind(session, verbal)
    conference.record_agreement(session, conference_id, name, how, _day(session, date, "--date"), dates.today())
    typer.echo(f"Confidentiality agreement of {name} recorded ({how}).")


@app.command("minutes")
def conference_minutes(
    ctx: typer.Context,
    conference_id: str = typer.Argument(..., metavar="ID", help=ID_HELP),
    source: str = typer.Option(
        ..., "--from", metavar="FILE", help="The minutes as YAML (see `cmtk form show conference-minutes`), or -."
    ),
    allow_names: bool = typer.Option(
        False, "--allow-names", help="Record even if a child's name appears (a warning instead of a refusal)."
    ),
) -> None:
    """Record the minutes (Form 7): case ids only, decisions and action points with who, what, by when."""

    body = read_yaml(source)
    session = open_session(ctx)
    for message in conference.record_minutes(
        session, conference_id, body, today=dates.today(), allow_names=allow_names
    ):
        warn(message)
    typer.echo(f"Minutes of conference {conference_id.upper()} recorded.")


@app.command("report")
def conference_report(
    ctx: typer.Context,
    conference_id: str = typer.Argument(..., metavar="ID", help=ID_HELP),
    source: str = typer.Option(
        ..., "--from", metavar="FILE", help="The report as YAML (see `cmtk form show conference-report`), or -."
    ),
    allow_names: bool = typer.Option(
        False, "--allow-names", help="Record even if a child's name appears (a warning instead of a refusal)."
    ),
) -> None:
    """Record the conference report (Form 8), due within 24 hours of the conference."""

    body = read_yaml(source)
    session = open_session(ctx)
    for message in conference.record_report(session, conference_id, body, today=dates.today(), allow_names=allow_names):
        warn(message)
    typer.echo(f"Report of conference {conference_id.upper()} recorded.")


@app.command("close")
def conference_close(ctx: typer.Context, conference_id: str = typer.Argument(..., metavar="ID", help=ID_HELP)) -> None:
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
    conference_id: str = typer.Argument(..., metavar="ID", help=ID_HELP),
    what: str = typer.Argument(
        ...,
        metavar="WHAT",
        help="agenda, presentation, preparation, attendance, confidentiality, checklist, minutes or report.",
    ),
    case: str | None = typer.Option(
        None, "--case", help="For a presentation or preparation: the case (default: one page per case)."
    ),
    output: Path = typer.Option(
        ..., "-o", "--output", metavar="FILE", help="HTML file to write (print it from a browser)."
    ),
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
