"""cmtk's entry point: global options, the command groups, and the one exit point for errors."""

from __future__ import annotations

import importlib
import os
import sys
import traceback

import typer

# typer 0.28 (pinned in pyproject) vendors click and exports no public name for its base exception.
from typer._click.exceptions import ClickException
from typer.core import TyperGroup

from cmtk import __version__
from cmtk.cli.global_options import VALUE_OPTIONS, MissingValue, hoist_global_options
from cmtk.cli.options import switch, value_option
from cmtk.errors import CmtkError, GitError
from cmtk.store.leftovers import remove_leftovers_everywhere


class CmtkGroup(TyperGroup):
    """Turns cmtk's own errors into one `Error: ...` line and its exit code.

    Anything unexpected prints its type and where it happened, never its
    message or local variables: those may hold decrypted case data.
    Global options are accepted after the subcommand too (cmtk.cli.global_options).
    """

    def parse_args(self, ctx, args):
        try:
            args = hoist_global_options(self, args)
        except MissingValue as missing:
            ctx.fail(f"Option '{missing.option}' requires an argument.")  # as click says it before the command
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CmtkError as error:
            for line in getattr(error, "lines", None) or [error.message]:
                typer.echo(line if line.startswith(" ") else f"Error: {line}", err=True)
            if error.code and (ctx.obj or {}).get("debug"):  # the catalogue code (cmtk/messages.py), for scripts
                typer.echo(f"  (error code: {error.code})", err=True)
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

            if type(error).__name__ == "GitCommandError":
                error = GitError.of("git-command-failed")
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
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, PowerShell)
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
    store: str | None = value_option(
        "--store", "The store folder (default: CMTK_STORE, else the nearest one upwards).", "PATH"
    ),
    identity: str | None = value_option(
        "--identity", "Your age identity (default: CMTK_IDENTITY, else your config folder).", "FILE"
    ),
    debug: bool = switch("--debug", "On an internal error, show where it happened."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Case management for reintegrating children from residential care into families."""
    os.umask(0o077)
    _no_core_dumps()

    remove_leftovers_everywhere()
    ctx.obj = {"store": store, "identity": identity, "debug": debug}


def _no_core_dumps() -> None:
    """A crash dump would hold the unlocked identity and store key (security review M5)."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass


# Modules whose `app` is a command group of the same name, and modules that add top-level commands.
_SUBCOMMAND_GROUPS = {"key", "team", "case", "plan", "report", "smart", "conference", "index", "dev", "form"}
_TOP_LEVEL_COMMANDS = {"store", "case", "steps", "monitoring", "sync", "share", "attach"}


def _attach(name: str) -> None:
    """Registers one module's commands: a command line imports only the module it uses."""
    module = importlib.import_module(f"cmtk.cli.{name}")
    if name == "form":
        module.register_render(app)  # adds `form render` (its own module) to the form group
    if name in _SUBCOMMAND_GROUPS:
        app.add_typer(module.app, name=name, hidden=name == "dev")
    if name in _TOP_LEVEL_COMMANDS:
        module.register(app)
    if name == "case":
        importlib.import_module("cmtk.cli.steps").register_case(module.app)
        importlib.import_module("cmtk.cli.sheet").register_case(module.app)  # case import-sheet
        importlib.import_module("cmtk.cli.case_print").register_case(module.app)  # case print
    if name == "report":
        importlib.import_module("cmtk.cli.supervision").register(module.app)  # report supervision


# Which module each top-level command lives in: a command line imports only the one it uses.
COMMAND_GROUPS = {
    "init": "store",
    "demo": "store",
    "doctor": "store",
    "textconv": "store",
    "key": "key",
    "team": "team",
    "case": "case",
    "record": "case",
    "attach": "attach",
    "attachment": "attach",
    "steps": "steps",
    "step": "steps",
    "advance": "steps",
    "plan": "plan",
    "visit": "monitoring",
    "review": "monitoring",
    "refer": "monitoring",
    "report": "report",
    "smart": "smart",
    "conference": "conference",
    "index": "index",
    "dev": "dev",
    "form": "form",
    "remote": "sync",
    "sync": "sync",
    "clone": "sync",
    "conflicts": "sync",
    "resolve": "sync",
    "merge-driver": "sync",
    "share": "share",
    "export": "share",
}
_GROUP_ORDER = (
    "store",
    "case",
    "attach",
    "steps",
    "monitoring",
    "key",
    "team",
    "plan",
    "report",
    "smart",
    "conference",
    "form",
    "sync",
    "share",
    "index",
    "dev",
)
_registered: set[str] = set()


def register(groups=_GROUP_ORDER) -> typer.Typer:
    for name in groups:
        if name not in _registered:
            _registered.add(name)
            _attach(name)
    return app


def _command_name(argv: list[str]) -> str | None:
    skip = False
    for token in argv:
        if skip:
            skip = False
        elif token in VALUE_OPTIONS:
            skip = True
        elif token.startswith("-"):
            if token in ("-h", "--help"):
                return None
        else:
            return token
    return None


def _utf8_when_redirected() -> None:
    """Output going to a file or a pipe is UTF-8 on every system. Windows would write it in the ANSI code
    page (cp1252), which has no 'ũ' or 'ĩ' for a Kikuyu name, and stop half-way. A terminal keeps its own."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if not stream.isatty() and (stream.encoding or "").lower().replace("-", "") != "utf8":
                stream.reconfigure(encoding="utf-8", errors=stream.errors)  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):  # replaced by something that cannot change
            pass


def main(argv: list[str] | None = None) -> None:
    _utf8_when_redirected()
    args = argv if argv is not None else sys.argv[1:]
    wanted = COMMAND_GROUPS.get(_command_name(args) or "")
    if args == ["--version"]:
        groups: tuple = ()
    elif wanted:
        groups = (wanted,)
    else:
        groups = _GROUP_ORDER  # help, or an unknown command: everything, so click can suggest
    register(groups)
    command = typer.main.get_command(app)
    command.main(args=args, prog_name="cmtk")


if __name__ == "__main__":
    main()
