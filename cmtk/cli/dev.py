"""The command reference (docs/commands.md), generated from each command's own --help."""

from __future__ import annotations

import typer

from cmtk import dates
from cmtk.cli import output
from cmtk.cli.main import register
from cmtk.cli.options import argument, as_of_option
from cmtk.dev import generate as generator

HEADER = (
    "# Command reference\n\n"
    "Generated from `--help` by `cmtk dev reference > docs/commands.md`; a test fails when it is out of date.\n\n"
    "Every listing and report takes `--format table|json|csv|md`: `table` for people (the default), `json` for\n"
    "other programs (its keys are shown under each command, and tests hold the output to them: a key is only\n"
    "ever added), `csv` and `md` (Markdown) as flat rows. In the key lists, `text`, `int`, `bool`, `date`\n"
    "(YYYY-MM-DD) and `id` (an opaque case or record id) name the kind of value, `|null` marks a value that\n"
    "may be empty, a key ending in `?` may be absent, and `<name>` stands for any key (a caseworker, a step).\n"
)


def markdown() -> str:
    from typer.main import get_command

    root = get_command(register())
    parts = [HEADER]

    def walk(command, path: list[str], parent_ctx) -> None:
        ctx = typer.Context(command, info_name=path[-1], parent=parent_ctx, terminal_width=100, max_content_width=100)
        parts.append(f"\n## {' '.join(path)}\n\n```text\n{command.get_help(ctx).rstrip()}\n```\n")
        shape = output.shape_of(command.callback)
        if shape is not None:
            parts.append(f"\nThe keys of `--format json`:\n\n```text\n{output.describe(shape)}\n```\n")
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            if not sub.hidden:
                walk(sub, [*path, name], ctx)

    walk(root, ["cmtk"], None)
    return "".join(parts)


app = typer.Typer(help="Developer tools.", hidden=True, no_args_is_help=True)


@app.command("reference")
def reference() -> None:
    """Print the command reference in Markdown."""
    typer.echo(markdown(), nl=False)


@app.command("generate")
def generate(
    path: str = argument("New folder for the generated store and its identity."),
    cases: int = typer.Option(100, "--cases", help="How many cases (100 to 10,000 is typical)."),
    seed: int = typer.Option(1, "--seed", help="Random seed, for the same store every time."),
    as_of: str = as_of_option("Date the cases are built around (default: today)."),
) -> None:
    """Make a store of many realistic fictional cases (tests and benchmarks), in batches."""
    from pathlib import Path

    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("Generating cases", total=cases)
        root = generator.generate(
            Path(path).resolve(),
            cases,
            today=dates.today(as_of),
            seed=seed,
            progress=lambda done, total: bar.update(task, completed=done),
        )
    typer.echo(f"Generated {cases} case(s) in {root}.")
