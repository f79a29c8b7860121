"""cmtk's entry point: global options, the command groups, and the one exit point for errors."""

from __future__ import annotations

import os
import sys
import traceback
from typing import Optional

import typer
from typer.core import TyperGroup

try:  # typer 0.28 vendors click
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - older typer on plain click
    from click.exceptions import ClickException

from cmtk import __version__
from cmtk.errors import CmtkError


class CmtkGroup(TyperGroup):
    """Turns cmtk's own errors into one `Error: ...` line and its exit code.

    Anything unexpected prints its type and where it happened, never its
    message or local variables: those may hold decrypted case data.
    """

    def invoke(self, ctx):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except CmtkError as error:
            for line in getattr(error, "lines", None) or [error.message]:
                typer.echo(line if line.startswith(" ") else f"Error: {line}", err=True)
            raise typer.Exit(error.exit_code) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt, ClickException):
            raise
        except BrokenPipeError:  # output piped into `head` and the like: stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(0) from None
        except Exception as error:  # noqa: BLE001 - the one place that catches everything
            if os.environ.get("CMTK_DEBUG_RAISE") == "1":
                raise
            from cmtk.errors import GitError

            if type(error).__name__ == "GitCommandError":
                error = GitError("a git command failed")
            typer.echo(f"Error: internal error ({_where(error)}); please report it", err=True)
            if (ctx.obj or {}).get("debug"):
                for frame in traceback.extract_tb(error.__traceback__):
                    typer.echo(f"  {frame.filename}:{frame.lineno} in {frame.name}", err=True)
                typer.echo("  (the error message is withheld: it may contain case data)", err=True)
            raise typer.Exit(1) from None


def _where(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "cmtk" in f.filename] or frames
    if not ours:
        return type(error).__name__
    last = ours[-1]
    return f"{type(error).__name__} at {os.path.basename(last.filename)}:{last.lineno}"


app = typer.Typer(
    cls=CmtkGroup,
    name="cmtk",
    help="Case management for reintegrating children from residential care into families.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cmtk {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    store: Optional[str] = typer.Option(
        None, "--store", metavar="PATH", help="The store folder (default: CMTK_STORE, else the nearest one upwards)."
    ),
    identity: Optional[str] = typer.Option(
        None, "--identity", metavar="FILE", help="Your age identity (default: CMTK_IDENTITY, else your config folder)."
    ),
    debug: bool = typer.Option(False, "--debug", help="On an internal error, show where it happened."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Case management for reintegrating children from residential care into families."""
    os.umask(0o077)
    ctx.obj = {"store": store, "identity": identity, "debug": debug}


def _register() -> None:
    from cmtk.cli import case, conference, form, key, monitoring, plan, report, smart, steps, store_cmds, team

    store_cmds.register(app)
    app.add_typer(key.app, name="key")
    app.add_typer(team.app, name="team")
    app.add_typer(case.app, name="case")
    case.register(app)
    steps.register(app, case.app)
    app.add_typer(plan.app, name="plan")
    monitoring.register(app)
    app.add_typer(report.app, name="report")
    app.add_typer(smart.app, name="smart")
    app.add_typer(conference.app, name="conference")
    from cmtk.cli import index, reference

    app.add_typer(index.app, name="index")

    app.add_typer(reference.app, name="dev", hidden=True)
    form.register_render(app)
    app.add_typer(form.app, name="form")


_register()


def main(argv: list[str] | None = None) -> None:
    command = typer.main.get_command(app)
    command.main(args=argv if argv is not None else sys.argv[1:], prog_name="cmtk")


if __name__ == "__main__":
    main()
