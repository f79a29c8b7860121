"""The command reference (docs/commands.md), generated from each command's own --help."""

from __future__ import annotations

import typer

HEADER = (
    "# Command reference\n\n"
    "Generated from `--help` by `cmtk dev reference > docs/commands.md`; a test fails when it is out of date.\n"
)


def markdown() -> str:
    from typer.main import get_command

    from cmtk.cli.main import app

    root = get_command(app)
    parts = [HEADER]

    def walk(command, path: list[str], parent_ctx) -> None:
        ctx = typer.Context(command, info_name=path[-1], parent=parent_ctx, terminal_width=100, max_content_width=100)
        parts.append(f"\n## {' '.join(path)}\n\n```text\n{command.get_help(ctx).rstrip()}\n```\n")
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
