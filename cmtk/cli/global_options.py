"""Global options given after the subcommand: `cmtk case list --store X` means `cmtk --store X case list`.

click reads an option only at the level that declares it, so cmtk moves `--store`, `--identity` and
`--debug` from after the subcommand to the front before parsing. It walks the command line with the
command tree in hand: a subcommand's own option keeps its value (in `--from --store` the second word is
the value of --from), a subcommand that declares an option of the same name keeps it, and nothing after
`--` moves.
"""

from __future__ import annotations

from typer._click.core import Command
from typer.core import TyperGroup

VALUE_OPTIONS = ("--store", "--identity")
FLAG_OPTIONS = ("--debug",)


class MissingValue(Exception):
    """A global option that needs a value ends the command line."""

    def __init__(self, option: str) -> None:
        super().__init__(option)
        self.option = option


def _option_names(command: Command) -> dict[str, bool]:
    """Every option name of `command`, and whether it reads the next word as its value."""
    names: dict[str, bool] = {}
    for param in command.params:
        if param.param_type_name != "option":
            continue
        takes_value = not getattr(param, "is_flag", False) and not getattr(param, "count", False)
        for name in (*param.opts, *param.secondary_opts):
            names[name] = takes_value
    return names


def hoist_global_options(root: TyperGroup, args: list[str]) -> list[str]:
    """`args` with the global options that follow a subcommand moved to the front."""
    hoisted: list[str] = []
    kept: list[str] = []
    command: Command = root
    options = _option_names(root)
    index = 0
    while index < len(args):
        token = args[index]
        index += 1
        if token == "--":
            kept.extend(args[index - 1 :])
            break
        name = token.split("=", 1)[0]
        is_global = name in VALUE_OPTIONS or name in FLAG_OPTIONS
        if command is not root and is_global and name not in options:
            if name in VALUE_OPTIONS and "=" not in token:
                if index == len(args):
                    raise MissingValue(token)
                hoisted += [token, args[index]]
                index += 1
            else:
                hoisted.append(token)
            continue
        kept.append(token)
        if token.startswith("-"):
            if "=" not in token and options.get(token) and index < len(args):
                kept.append(args[index])  # the value of this command's own option, whatever it looks like
                index += 1
        elif isinstance(command, TyperGroup):
            sub = command.commands.get(token)
            if sub is None:  # not a command: click reports it as it is
                kept.extend(args[index:])
                break
            command, options = sub, _option_names(sub)
    return hoisted + kept
