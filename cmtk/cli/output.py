"""The one output layer: every listing and report prints through `emit`, as a table, JSON, CSV or Markdown.

A library function returns a typed result with two methods, `to_json()` (the
documented JSON) and `to_rows()` (headers and flat rows, for CSV and Markdown);
the command adds the human view for the terminal (`table`), a function from the
result to lines of text. `@json_keys(...)` records the JSON's shape beside the
command: docs/commands.md shows it and a test holds each command to it.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as _dt
import enum
import io
import json
import sys
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Protocol, TypeVar

import typer

Rows = tuple[list[str], list[list[Any]]]


class Format(enum.StrEnum):
    """What `--format` offers on every listing and report."""

    table = "table"
    json = "json"
    csv = "csv"
    md = "md"


class CalendarFormat(enum.StrEnum):
    """`report overdue` also writes a calendar (ics) for a phone: the shared formats and that one."""

    table = "table"
    json = "json"
    csv = "csv"
    md = "md"
    ics = "ics"


FORMAT_HELP = "table for people; json, csv or md (Markdown) for other programs."
OutputFormat = Annotated[Format, typer.Option("--format", help=FORMAT_HELP, case_sensitive=False)]


class Result(Protocol):
    def to_json(self) -> Any: ...

    def to_rows(self) -> Rows: ...


R = TypeVar("R", bound=Result)


def emit(result: R, output_format: Format, table: Callable[[R], Iterable[str]], *, markup: bool = False) -> None:
    """Print `result` in the chosen format; `table` gives the lines people read on a terminal.

    With `markup`, table lines carry rich styles (colour on a terminal only).
    """
    if output_format is Format.json:
        typer.echo(json.dumps(jsonable(result.to_json()), ensure_ascii=False, indent=2))
    elif output_format is Format.csv:
        write_exact(as_csv(*result.to_rows()))  # rows end in \r\n as CSV files do, on every system
    elif output_format is Format.md:
        typer.echo(as_markdown(*result.to_rows()))
    else:
        lines = list(table(result))
        if markup:
            from rich.console import Console  # rich takes ~50 ms to import: only for coloured output

            console = Console(highlight=False)
            for line in lines:
                console.print(line)
        elif lines:
            typer.echo("\n".join(lines))  # one write: thousands of rows print in milliseconds


def jsonable(value: Any) -> Any:
    """Dates as ISO text, dataclasses and tuples as plain JSON values."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _cell(value: Any) -> str:
    value = jsonable(value)
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return " ".join(f"{k}:{_cell(v)}" for k, v in value.items())
    return str(value)


def as_csv(headers: list[str], rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows([_cell(c) for c in row] for row in rows)
    return buffer.getvalue()


def as_markdown(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(_cell(c).replace("|", "/").replace("\n", " ") for c in row) + " |")
    return "\n".join(lines)


def columns(headers: list[str], rows: list[list[Any]]) -> list[str]:
    """Plain aligned columns under upper-case headers (no colour codes)."""
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h)) for i, h in enumerate(headers)]
    lines = ["  ".join(str(h).upper().ljust(w) for h, w in zip(headers, widths, strict=False)).rstrip()]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip() for row in rows]
    return lines


def write_exact(text: str) -> None:
    """Text whose line ends must reach the file as they are: past the text layer, which on Windows turns
    every \n into \r\n (CSV rows would end in \r\r\n: a blank line between rows in Excel)."""
    stream = sys.stdout
    binary = getattr(stream, "buffer", None)
    if binary is None:
        stream.write(text)
        return
    stream.flush()
    binary.write(text.encode(stream.encoding or "utf-8", errors=stream.errors or "strict"))
    binary.flush()


def short(commit: str | None) -> str:
    return commit[:10] if commit else "(no commit)"


# -- the documented JSON of each command ---------------------------------------------------------

# A shape is a dict of key -> shape (a key ending in "?" may be absent; a key "<name>" stands for
# any key, as in a mapping from caseworker to counts), a one-item list for a list of that shape,
# OneOf(label=shape, ...) when the value takes one of several shapes, or a leaf: a type name such as "text", "int",
# "date", "bool" ("true" or "false" for a flag that tells the shapes of a OneOf apart), alternatives joined by "|".
JSON_KEYS = "__cmtk_json_keys__"


class OneOf(dict):
    """Alternative shapes, each under a label saying when it applies."""


def json_keys(shape: Any) -> Callable:
    """Attach the JSON shape `--format json` prints to a command (docs and tests read it)."""

    def attach(function: Callable) -> Callable:
        setattr(function, JSON_KEYS, shape)
        return function

    return attach


def shape_of(callback: Callable | None) -> Any:
    while callback is not None:
        if hasattr(callback, JSON_KEYS):
            return getattr(callback, JSON_KEYS)
        callback = getattr(callback, "__wrapped__", None)
    return None


def describe(shape: Any, indent: int = 0) -> str:
    """A shape as JSON-like text for docs/commands.md."""
    pad = "  " * indent
    if isinstance(shape, OneOf):
        return f"\n{pad}".join(f"{label}:\n{pad}{describe(s, indent)}" for label, s in shape.items())
    if isinstance(shape, dict):
        inner = [f'{pad}  "{k}": {describe(v, indent + 1)}' for k, v in shape.items()]
        return "{\n" + ",\n".join(inner) + f"\n{pad}}}"
    if isinstance(shape, list):
        if isinstance(shape[0], OneOf):
            return f"[item, ...], each item one of:\n{pad}" + describe(shape[0], indent)
        return "[" + describe(shape[0], indent) + ", ...]"
    return str(shape)


_LEAVES: dict[str, Callable[[Any], bool]] = {
    "text": lambda v: isinstance(v, str),
    "id": lambda v: isinstance(v, str) and v.isalnum(),
    "date": lambda v: isinstance(v, str) and _is_date(v),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "true": lambda v: v is True,  # a flag that is always set in this shape (one of a OneOf)
    "false": lambda v: v is False,
    "null": lambda v: v is None,
    "any": lambda v: True,
}


def _is_date(text: str) -> bool:
    try:
        _dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def mismatches(shape: Any, value: Any, where: str = "$") -> list[str]:
    """Where `value` departs from `shape` (empty when it fits): for the tests that pin JSON keys."""
    if isinstance(shape, OneOf):
        tried = [mismatches(s, value, where) for s in shape.values()]
        return [] if any(not t for t in tried) else min(tried, key=len)
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return [f"{where}: expected an object"]
        wildcard = next((v for k, v in shape.items() if k.startswith("<")), None)
        if wildcard is not None:
            return [m for k, v in value.items() for m in mismatches(wildcard, v, f"{where}.{k}")]
        wanted = {k.rstrip("?"): v for k, v in shape.items()}
        required = {k for k in shape if not k.endswith("?")}
        found = [f"{where}: key '{k}' is not documented" for k in value if k not in wanted]
        found += [f"{where}: key '{k}' is missing" for k in sorted(required - set(value))]
        for key, sub in wanted.items():
            if key in value:
                found += mismatches(sub, value[key], f"{where}.{key}")
        return found
    if isinstance(shape, list):
        if not isinstance(value, list):
            return [f"{where}: expected a list"]
        return [m for n, item in enumerate(value) for m in mismatches(shape[0], item, f"{where}[{n}]")]
    kinds = str(shape).split("|")
    if any(_LEAVES[k](value) for k in kinds):
        return []
    return [f"{where}: {value!r} is not {shape}"]
