"""`cmtk case ...` and `cmtk record`: intake, recording forms, reading cases, importing a shared case."""

from __future__ import annotations

from pathlib import Path

import typer

from cmtk import dates
from cmtk.casework import attachments, cases, history
from cmtk.cli.attach import table as attachment_table
from cmtk.cli.common import is_terminal, open_session, warn
from cmtk.cli.inputs import read_yaml
from cmtk.cli.options import argument, case_argument, date_option, from_option, switch, value_option
from cmtk.cli.output import Format, OutputFormat, emit, json_keys
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
        raise UsageError.of("record-from-needed")
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
    source: str | None = from_option(FROM_HELP),
    worker: str | None = value_option("--worker", "Caseworker responsible (default: you).", "NAME"),
    date: str | None = date_option("Date the child was identified (default: today)."),
    interactive: bool = switch("--interactive", "Ask the questions even when input is not a terminal.", "-i"),
    dry_run: bool = switch("--dry-run", "Check the form and say what would be written, without writing."),
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
    words: list[str] = argument(
        "A case id and a form id (see `cmtk form list`); or `void` / `restore` with a case and a record id.",
        "CASE FORM | void CASE RECORD | restore CASE RECORD",
    ),
    source: str | None = from_option(FROM_HELP),
    date: str | None = date_option(DATE_HELP),
    reason: str | None = value_option(
        "--reason", "With void or restore: why, in a few words (no names), kept with the record."
    ),
    interactive: bool = switch("--interactive", "Ask the questions even when input is not a terminal.", "-i"),
    dry_run: bool = switch("--dry-run", "Check the form without writing it."),
) -> None:
    """Record a completed form for a case (prompts when no --from); or void a wrong record, or restore it.

    A voided record stops counting everywhere (steps, schedules, reports,
    shares) but stays in the case's history with who voided it, when and why;
    `cmtk record restore` makes it count again.
    """

    if words[0] in ("void", "restore"):
        if len(words) != 3:
            raise UsageError.of("record-usage", words=words[0])
        if reason is None:
            raise UsageError.of("reason-needed", words=words[0])
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
        raise UsageError.of("record-usage-form")
    if reason is not None:
        raise UsageError.of("reason-not-allowed")
    case_id = ids.normalise_case_id(words[0])
    form_id = words[1]
    session = open_session(ctx)
    when = session.store.optional_date(date, "--date")
    form = definitions.load_form(form_id, session.store.root)
    if source:
        body = read_yaml(source)
    else:
        session.store.existing_case_dir(case_id)  # an unknown case fails before any question is asked
        body = _prompt_body(session, form, tuple(s.id for s in form.sections), interactive)
    saved = cases.record_form(session, case_id, form_id, body, date=when, today=dates.today(), dry_run=dry_run)
    if dry_run:
        typer.echo("The form is valid; nothing was written (--dry-run).")
        return
    typer.echo(f"Recorded {form_id} for {case_id} (record {saved.record}).")


FOUND = {"case": "id", "name": "text", "nickname": "text|null", "worker": "text", "status": "text", "step": "int"}


@app.command("list")
@json_keys([{"case": "id", "name": "text", "worker": "text", "opened": "date|null", "status": "text", "step": "int"}])
def case_list(
    ctx: typer.Context,
    worker: str | None = value_option("--worker", "Only this caseworker's cases.", "W"),
    status: str = typer.Option("open", "--status", help="open, closed, transferred or all."),
    step: int | None = value_option("--step", "Only cases at this step (1-8).", "N"),
    output_format: OutputFormat = Format.table,
) -> None:
    """List cases with the child's name, caseworker, date opened and status."""

    summary.check_status(status)
    session = open_session(ctx)
    emit(summary.list_cases(session, status=status, worker=worker, step=step), output_format, _list_table)


def _list_table(listing: summary.CaseListing) -> list[str]:
    if not listing.cases:
        return ["No cases match." + ("" if listing.store_has_cases else " Open one with `cmtk case new`.")]
    lines = [f"{'CASE':<10}{'NAME':<32}{'WORKER':<18}{'OPENED':<12}{'STEP':<6}STATUS"]
    for case in listing.cases:
        opened = case.opened.isoformat() if case.opened else "-"
        lines.append(f"{case.id:<10}{case.name[:30]:<32}{case.worker[:16]:<18}{opened:<12}{case.step:<6}{case.status}")
    lines.append(f"{len(listing.cases)} case(s).")
    return lines


@app.command("find")
@json_keys({"matches": [FOUND], "near": [FOUND]})
def case_find(
    ctx: typer.Context,
    text: str | None = typer.Argument(
        None, help="Part of the child's name or nickname (asked if left out, to keep it out of shell history)."
    ),
    output_format: OutputFormat = Format.table,
) -> None:
    """Find cases by the child's name or nickname (decrypts in memory to search); exit 1 if none matches."""

    session = open_session(ctx)
    if text is None:
        text = typer.prompt("Name or nickname to find", hide_input=False)
    found = summary.search_names(session, text)
    emit(found, output_format, _find_table)
    if not found.matches:
        raise typer.Exit(1)


def _find_table(found: summary.NameSearch) -> list[str]:
    lines = ["No case matches exactly. Close to it:"] if found.near else []
    for case in found.matches or found.near:
        nickname = case.biographical.get("nickname")
        also = f" ({nickname})" if nickname else ""
        lines.append(f"{case.id}  {case.name}{also}  {case.worker}  {case.status}")
    return lines or ["No case matches."]


@app.command("show")
@json_keys(
    {
        "case": "id",
        "name": "text",
        "nickname": "text|null",
        "sex": "text|null",
        "date_of_birth": "date|null",
        "estimated_age": "int|number|text|null",
        "worker": "text",
        "opened": "date|null",
        "status": "text",
        "as_of": "date|null",
        "forms": [{"date": "date|null", "form": "text", "record": "id", "by": "text", "body?": {"<section>": "any"}}],
        "voided": [
            {
                "date": "date|null",
                "form": "text",
                "record": "id",
                "voided_on": "date|null",
                "voided_by": "text|null",
                "reason": "text|null",
            }
        ],
        "conflicts": "int",
    }
)
def case_show(
    ctx: typer.Context,
    case: str = case_argument("Case id, e.g. K7Q2MX4P."),
    at: str | None = value_option("--at", "Show the case as it stood at the end of this day (from history).", "DATE"),
    full: bool = switch("--full", "Print every recorded field, not just the summary."),
    output_format: OutputFormat = Format.table,
) -> None:
    """Show a case: the child, the caseworker, and every form recorded (decrypted in memory only)."""

    case_id = ids.normalise_case_id(case)
    session = open_session(ctx)
    day = session.store.option_date(at, "--at") if at is not None else None
    emit(history.overview(session, case_id, at=day, full=full), output_format, _show_table)


def _show_table(shown: cases.CaseOverview) -> list[str]:
    found = shown.case
    lines = []
    if shown.at is not None:
        lines.append(f"As it stood at the end of {shown.at.isoformat()} (from the store's history):")
    bio = found.biographical
    lines.append(f"Case {found.id}: {found.name or '(no identification form)'}")
    details = [f"{k.replace('_', ' ')}: {bio[k]}" for k in cases.SHOWN_DETAILS if bio.get(k)]
    if details:
        lines.append("  " + "; ".join(details))
    opened = found.opened.isoformat() if found.opened else "-"
    lines.append(f"  caseworker: {found.worker}; opened {opened}; status {found.status}")
    lines.append(f"\n{'DATE':<12}{'FORM':<28}{'RECORD':<12}BY")
    for rec in found.forms():
        when = rec.date.isoformat() if rec.date else "-"
        lines.append(f"{when:<12}{rec.form:<28}{rec.record:<12}{rec.created_by}")
        if shown.full:
            lines.append("  " + yamlio.dumps(rec.body).rstrip().replace("\n", "\n  "))
    if found.voided:
        lines.append("\nVoid (kept in the history, counted nowhere):")
        for rec in found.voided:
            entry = cases.void_entry(rec)
            when = rec.date.isoformat() if rec.date else "-"
            lines.append(
                f"{when:<12}{rec.form:<28}{rec.record:<12}voided {entry.get('date')} by {entry.get('by')}: "
                f"{entry.get('reason')}"
            )
    attached = attachments.of_case(found)
    if attached:
        lines.append(f"\nAttached files ({len(attached)}; `cmtk attachment get {found.id} ID -o FILE` writes one out):")
        lines.extend(attachment_table(attached))
    if shown.unresolved:
        lines.append(
            f"\n{shown.unresolved} field(s) were changed differently on two laptops before a sync: "
            f"`cmtk conflicts {found.id}` shows both values."
        )
    return lines


@app.command("history")
def case_history(
    ctx: typer.Context,
    case: str = case_argument(),
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
    case: str = case_argument(),
    form_id: str = argument("Form to edit (its most recent record).", "FORM"),
    record_id: str | None = value_option("--record", "Edit this record instead of the most recent one."),
    allow_disk: bool = switch(
        "--allow-disk-temp", "Allow a temporary file on disk when there is no memory-backed folder (not recommended)."
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
    bundle: Path = argument("The .age file made by `cmtk share` with your public key.", "FILE"),
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
        f"{' by ' + done.shared_by if done.shared_by else ''}) as case {done.case}: {done.records} record(s)"
        f"{f' and {done.attachments} attached file(s)' if done.attachments else ''}, "
        f"step {done.step}, {done.status}. You are its caseworker."
    )
    if done.metadata_removed:
        typer.echo(f"Metadata (location, device) was taken out of {done.metadata_removed} attached image(s).")
    if done.sender.accepted:
        typer.echo(f"Signed by {done.sender.accepted}, a sender whose key you accepted.")
    elif done.sender.key:
        warn(
            f"the file says it comes from {done.organisation}, but it is signed with a key you have not accepted "
            f"({done.sender.key}): nothing proves who made it. Check that key with the sender (`cmtk key show` on "
            "their laptop), then `cmtk key accept NAME KEY` for their next shares"
        )
    else:
        warn(
            f"the file is not signed: it says it comes from {done.organisation}, but nothing proves who made it; "
            "check with the sender before relying on it"
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
            f"It is {done.status} at the sender; "
            f"to work on it here: `cmtk case reopen {done.case} --step {min(done.step, 7)}`."
        )
    typer.echo(f"The file {bundle} still holds the child's data: delete it now that the case is in your store.")


def register(root: typer.Typer) -> None:
    root.command("record")(record)
