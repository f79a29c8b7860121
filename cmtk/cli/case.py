"""`cmtk case ...` and `cmtk record`: intake, recording forms, reading cases, importing a shared case."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from cmtk import dates
from cmtk.casework import cases, history
from cmtk.cli.common import is_terminal, open_session, warn
from cmtk.cli.inputs import read_yaml
from cmtk.errors import UsageError
from cmtk.forms import definitions, editing, prompts
from cmtk.index import summary
from cmtk.output import sharing
from cmtk.store import ids, yamlio

app = typer.Typer(
    help="Cases: one per child. Open, list, find, show, edit, trace and import them.", no_args_is_help=True
)

FROM_HELP = "Read the form from a YAML file, or - for standard input (see `cmtk form show FORM`)."
DATE_HELP = "Date the form was completed (default: today). YYYY-MM-DD or DD-MM-YYYY."


def _prompt_body(session, form, sections, interactive: bool):

    if not (interactive or is_terminal()):
        raise UsageError("no --from FILE given and no terminal to ask the questions on; use --from FILE or --from -")
    return prompts.ask_form(
        form,
        ask=lambda text: typer.prompt(text, default="", show_default=False),
        say=typer.echo,
        confirm=lambda text: typer.confirm(text, default=False),
        today=dates.today(),
        order=session.store.date_order,
        sections=sections,
    )


@app.command("new")
def case_new(
    ctx: typer.Context,
    source: str | None = typer.Option(None, "--from", metavar="FILE", help=FROM_HELP),
    worker: str | None = typer.Option(None, "--worker", metavar="NAME", help="Caseworker responsible (default: you)."),
    date: str | None = typer.Option(
        None, "--date", metavar="DATE", help="Date the child was identified (default: today)."
    ),
    interactive: bool = typer.Option(
        False, "--interactive", "-i", help="Ask the questions even when input is not a terminal."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Check the form and say what would be written, without writing."
    ),
) -> None:
    """Open a case from the identification form (prompts when no --from), and print its id."""

    session = open_session(ctx)
    when = session.store.optional_date(date, "--date")
    form = definitions.load_form(cases.INTAKE_FORM, session.store.root)
    if source:
        body = read_yaml(source)
    else:
        body = _prompt_body(session, form, cases.intake_sections(form), interactive)
    case_id = cases.open_case(session, body, worker=worker, date=when, today=dates.today(), dry_run=dry_run)
    if dry_run:
        typer.echo("The form is valid; nothing was written (--dry-run).")
        return
    typer.echo(case_id)


def record(
    ctx: typer.Context,
    words: list[str] = typer.Argument(
        ...,
        metavar="CASE FORM | void CASE RECORD | restore CASE RECORD",
        help="A case id and a form id (see `cmtk form list`); or `void` / `restore` with a case and a record id.",
    ),
    source: str | None = typer.Option(None, "--from", metavar="FILE", help=FROM_HELP),
    date: str | None = typer.Option(None, "--date", metavar="DATE", help=DATE_HELP),
    reason: str | None = typer.Option(
        None, "--reason", help="With void or restore: why, in a few words (no names), kept with the record."
    ),
    interactive: bool = typer.Option(
        False, "--interactive", "-i", help="Ask the questions even when input is not a terminal."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check the form without writing it."),
) -> None:
    """Record a completed form for a case (prompts when no --from); or void a wrong record, or restore it.

    A voided record stops counting everywhere (steps, schedules, reports,
    shares) but stays in the case's history with who voided it, when and why;
    `cmtk record restore` makes it count again.
    """

    if words[0] in ("void", "restore"):
        if len(words) != 3:
            raise UsageError(f"usage: cmtk record {words[0]} CASE RECORD --reason TEXT")
        if reason is None:
            raise UsageError(f"cmtk record {words[0]} needs --reason TEXT: say why, in a few words")
        case_id = ids.normalise_case_id(words[1])
        session = open_session(ctx)
        changed = cases.set_void(
            session, case_id, words[2], void=words[0] == "void", reason=reason, today=dates.today()
        )
        if words[0] == "void":
            typer.echo(
                f"Record {changed.record} ({changed.form}) of {case_id} is void: it no longer counts anywhere. "
                f"It stays in the history; `cmtk record restore {case_id} {changed.record} --reason ...` undoes this."
            )
        else:
            typer.echo(f"Record {changed.record} ({changed.form}) of {case_id} counts again.")
        return
    if len(words) != 2:
        raise UsageError("usage: cmtk record CASE FORM [--from FILE] (or: cmtk record void CASE RECORD --reason TEXT)")
    if reason is not None:
        raise UsageError("--reason goes with `cmtk record void` or `cmtk record restore`")
    case_id = ids.normalise_case_id(words[0])
    form_id = words[1]
    session = open_session(ctx)
    when = session.store.optional_date(date, "--date")
    form = definitions.load_form(form_id, session.store.root)
    if source:
        body = read_yaml(source)
    else:
        session.case_records(case_id)  # an unknown case fails before any question is asked
        body = _prompt_body(session, form, tuple(s.id for s in form.sections), interactive)
    saved = cases.record_form(session, case_id, form_id, body, date=when, today=dates.today(), dry_run=dry_run)
    if dry_run:
        typer.echo("The form is valid; nothing was written (--dry-run).")
        return
    typer.echo(f"Recorded {form_id} for {case_id} (record {saved.record}).")


@app.command("list")
def case_list(
    ctx: typer.Context,
    worker: str | None = typer.Option(None, "--worker", metavar="W", help="Only this caseworker's cases."),
    status: str = typer.Option("open", "--status", help="open, closed, transferred or all."),
    step: int | None = typer.Option(None, "--step", metavar="N", help="Only cases at this step (1-8)."),
    output_format: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """List cases with the child's name, caseworker, date opened and status."""

    if status not in ("open", "closed", "transferred", "all"):
        raise UsageError(f"--status: '{status}' is not one of open, closed, transferred, all")
    if output_format not in ("table", "json"):
        raise UsageError(f"--format: '{output_format}' is not one of table, json")

    session = open_session(ctx)
    rows = []
    for case_id, row in sorted(summary.load(session).items()):
        if status != "all" and row["status"] != status:
            continue
        if worker and row["worker"].casefold() != worker.casefold():
            continue
        if step is not None and row["step"] != step:
            continue
        rows.append(cases.Listed(case_id, row))
    if output_format == "json":
        typer.echo(
            json.dumps(
                [
                    {
                        "case": c.id,
                        "name": c.name,
                        "worker": c.worker,
                        "opened": c.opened.isoformat() if c.opened else None,
                        "status": c.status,
                        "step": c.step,
                    }
                    for c in rows
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    if not rows:
        typer.echo(
            "No cases match. Open one with `cmtk case new`." if not session.store.case_ids() else "No cases match."
        )
        return
    typer.echo(f"{'CASE':<10}{'NAME':<32}{'WORKER':<18}{'OPENED':<12}{'STEP':<6}STATUS")
    for case in rows:
        opened = case.opened.isoformat() if case.opened else "-"
        typer.echo(f"{case.id:<10}{case.name[:30]:<32}{case.worker[:16]:<18}{opened:<12}{case.step:<6}{case.status}")
    typer.echo(f"{len(rows)} case(s).")


@app.command("find")
def case_find(
    ctx: typer.Context,
    text: str | None = typer.Argument(
        None, help="Part of the child's name or nickname (asked if left out, to keep it out of shell history)."
    ),
) -> None:
    """Find cases by the child's name or nickname (decrypts in memory to search)."""

    session = open_session(ctx)
    if text is None:
        text = typer.prompt("Name or nickname to find", hide_input=False)
    found = summary.search_names(session, text)
    if found.near:
        typer.echo("No case matches exactly. Close to it:")
    for case in found.matches or found.near:
        nickname = case.biographical.get("nickname")
        also = f" ({nickname})" if nickname else ""
        typer.echo(f"{case.id}  {case.name}{also}  {case.worker}  {case.status}")
    if not found.matches:
        if not found.near:
            typer.echo("No case matches.")
        raise typer.Exit(1)


@app.command("show")
def case_show(
    ctx: typer.Context,
    case: str = typer.Argument(..., help="Case id, e.g. K7Q2MX4P."),
    at: str | None = typer.Option(
        None, "--at", metavar="DATE", help="Show the case as it stood at the end of this day (from history)."
    ),
    full: bool = typer.Option(False, "--full", help="Print every recorded field, not just the summary."),
) -> None:
    """Show a case: the child, the caseworker, and every form recorded (decrypted in memory only)."""

    case_id = ids.normalise_case_id(case)
    session = open_session(ctx)
    if at is not None:
        day = session.store.parse_date(at, "--at")
        found = history.case_at(session, case_id, day)
        typer.echo(f"As it stood at the end of {day.isoformat()} (from the store's history):")
    else:
        found = cases.read_case(session, case_id)
    bio = found.biographical
    typer.echo(f"Case {found.id}: {found.name or '(no identification form)'}")
    details = [
        f"{k.replace('_', ' ')}: {bio[k]}" for k in ("nickname", "sex", "date_of_birth", "estimated_age") if bio.get(k)
    ]
    if details:
        typer.echo("  " + "; ".join(details))
    opened = found.opened.isoformat() if found.opened else "-"
    typer.echo(f"  caseworker: {found.worker}; opened {opened}; status {found.status}")
    typer.echo(f"\n{'DATE':<12}{'FORM':<28}{'RECORD':<12}BY")
    for rec in found.forms():
        when = rec.date.isoformat() if rec.date else "-"
        typer.echo(f"{when:<12}{rec.form:<28}{rec.record:<12}{rec.created_by}")
        if full:
            typer.echo("  " + yamlio.dumps(rec.body).rstrip().replace("\n", "\n  "))
    if found.voided:
        typer.echo("\nVoid (kept in the history, counted nowhere):")
        for rec in found.voided:
            entry = cases.void_entry(rec)
            when = rec.date.isoformat() if rec.date else "-"
            typer.echo(
                f"{when:<12}{rec.form:<28}{rec.record:<12}voided {entry.get('date')} by {entry.get('by')}: "
                f"{entry.get('reason')}"
            )
    unresolved = sum(len(r.extra.get("conflicts") or []) for r in found.records)
    if unresolved:
        typer.echo(
            f"\n{unresolved} field(s) were changed differently on two laptops before a sync: "
            f"`cmtk conflicts {found.id}` shows both values."
        )


@app.command("history")
def case_history(
    ctx: typer.Context,
    case: str = typer.Argument(..., help="Case id."),
    form_id: str | None = typer.Argument(None, metavar="FORM", help="Only this form."),
) -> None:
    """Who changed which field, from what to what, and when (from git, decrypted in memory)."""

    case_id = ids.normalise_case_id(case)
    session = open_session(ctx)
    changes = history.field_changes(session, case_id, form_id)
    for change in changes:
        typer.echo(str(change))
    if not changes:
        typer.echo("No changes recorded.")


@app.command("edit")
def case_edit(
    ctx: typer.Context,
    case: str = typer.Argument(..., help="Case id."),
    form_id: str = typer.Argument(..., metavar="FORM", help="Form to edit (its most recent record)."),
    record_id: str | None = typer.Option(None, "--record", help="Edit this record instead of the most recent one."),
    allow_disk: bool = typer.Option(
        False,
        "--allow-disk-temp",
        help="Allow a temporary file on disk when there is no memory-backed folder (not recommended).",
    ),
) -> None:
    """Edit a record in $EDITOR (in a private memory-backed folder, removed afterwards), check it, save it."""

    case_id = ids.normalise_case_id(case)
    session = open_session(ctx)
    outcome = editing.edit_record(session, case_id, form_id, record_id=record_id, allow_disk=allow_disk)
    typer.echo(outcome)


@app.command("import")
def case_import(
    ctx: typer.Context,
    bundle: Path = typer.Argument(..., metavar="FILE", help="The .age file made by `cmtk share` with your public key."),
) -> None:
    """Take in a case another agency shared with you (`cmtk share ... --to YOUR-KEY`) as a new case.

    Everything in the file is checked first; then the case gets a new id in
    this store, with you as its caseworker and its step and status as the
    sender had them. Nothing is written if anything is wrong.
    """

    session = open_session(ctx)
    done = sharing.import_bundle(session, bundle, today=dates.today())
    typer.echo(
        f"Imported case {done.source_case} of {done.organisation} (shared {done.shared.isoformat()}"
        f"{' by ' + done.shared_by if done.shared_by else ''}) as case {done.case}: {done.records} record(s), "
        f"step {done.step}, {done.status}. You are its caseworker."
    )
    if done.earlier:
        warn(
            f"the same case of {done.organisation} was imported before as case {', '.join(done.earlier)}: "
            "this is a second case for the same child; check both with `cmtk case show`"
        )
    if not done.has_identification:
        warn(f"case {done.case} has no identification form, so `cmtk case find` cannot find it by name")
    if done.status != "open":
        typer.echo(
            f"It is {done.status} at the sender; to work on it here: `cmtk case reopen {done.case} --step {min(done.step, 7)}`."
        )
    typer.echo(f"The file {bundle} still holds the child's data: delete it now that the case is in your store.")


def register(root: typer.Typer) -> None:
    root.command("record")(record)
