"""`cmtk form`: the form definitions (list, show, missing translations) and printing."""

from __future__ import annotations

import json

import typer

from cmtk.cli import form_pack, form_render
from cmtk.cli.common import store_root
from cmtk.cli.options import argument, switch
from cmtk.cli.output import Format, OutputFormat, emit, json_keys
from cmtk.errors import UsageError
from cmtk.forms import definitions

app = typer.Typer(help="Forms: list and show definitions; render printable forms.", no_args_is_help=True)


@app.command("list")
@json_keys([{"form": "text", "code": "text", "step": "int|null", "title": "text"}])
def form_list(
    ctx: typer.Context,
    output_format: OutputFormat = Format.table,
    ids_only: bool = switch("--ids", "Only the form ids, one a line (for scripts)."),
) -> None:
    """List every form with its code, the step it belongs to and its title."""

    found = definitions.catalogue(store_root(ctx))
    if ids_only:
        typer.echo("\n".join(form.id for form in found.forms))
        return
    emit(found, output_format, _list_table)


def _list_table(found: definitions.FormList) -> list[str]:
    lines = [f"{'FORM':<28}{'CODE':<7}{'STEP':<6}TITLE"]
    for form in found.forms:
        step = str(form.step) if form.step else "any"
        lines.append(f"{form.id:<28}{form.code:<7}{step:<6}{form.title.en}")
    return lines


@app.command("show")
def form_show(
    ctx: typer.Context,
    form_id: str = argument("Form id, e.g. identification (see `cmtk form list`).", "FORM"),
    output_format: str = typer.Option("text", "--format", help="text or json."),
    lang: str = typer.Option("en", "--lang", help="Language of labels: en or sw."),
) -> None:
    """Show a form's sections and fields (types, required, choices)."""

    if output_format not in ("text", "json"):
        raise UsageError.of("form-format-option", output_format=output_format)
    if lang not in definitions.LANGUAGES:
        raise UsageError.of("lang-option", lang=lang, languages=", ".join(definitions.LANGUAGES))
    form = definitions.load_form(form_id, store_root(ctx))
    if output_format == "json":
        typer.echo(json.dumps(form.to_json(), ensure_ascii=False, indent=2))
        return
    step = f"step {form.step}" if form.step else "any step"
    typer.echo(f"{form.id} ({form.code}, {step}): {form.title.get(lang)}")
    if form.purpose:
        typer.echo(form.purpose.get(lang))
    for source in form.provenance:
        typer.echo(f"Source: {source}")
    for section in form.sections:
        need = f"  [needed at step {section.required_at_step}]" if section.required_at_step else ""
        mark = f"  [{section.domain}, pass mark {section.pass_mark}]" if section.domain else ""
        typer.echo(f"\n[{section.id}] {section.title.get(lang)}{need}{mark}")
        for field in section.fields:
            required = "*" if field.required else " "
            typer.echo(f" {required} {field.name:<32} {field.type:<12} {field.label.get(lang)}")
            if field.choices:
                typer.echo(f"{'':38}choices: {', '.join(c.value for c in field.choices)}")
            if field.show_if:
                asked = " and ".join(f"{name} is {' or '.join(wanted)}" for name, wanted in field.show_if)
                typer.echo(f"{'':38}asked only when {asked}")
            for column in field.columns:
                typer.echo(f"{'':5}- {column.name:<30}{column.type:<12}{column.label.get(lang)}")
    typer.echo("\n* required")
    first = next((sec for sec in form.sections if sec.fields), None)
    if first is not None:  # what `--from FILE` expects: fields nested under their section's id
        typer.echo(
            f"\nIn a file for `--from`, put each field under its [section] id, for example:\n"
            f"  {first.id}:\n    {first.fields[0].name}: ..."
        )


@app.command("translations")
def form_translations(
    ctx: typer.Context,
    lang: str = typer.Option("sw", "--lang", help="Language to check."),
) -> None:
    """List every label that has no translation yet (it prints in English meanwhile)."""

    missing = 0
    for form in definitions.load_all(store_root(ctx)):
        gaps = [where for where, text in form.texts() if not (text.sw if lang == "sw" else text.en)]
        for where in gaps:
            typer.echo(f"{form.source}: {where}")
        missing += len(gaps)
    typer.echo(f"{missing} text(s) without a '{lang}' translation.", err=True)


def register_render(parent: typer.Typer) -> None:
    """`cmtk form render` and `cmtk form pack` live in their own modules (form_render.py, form_pack.py)."""
    form_render.register(app)
    form_pack.register(app)
