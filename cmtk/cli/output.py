"""Printing reports as a table (terminal), JSON, CSV or Markdown."""

from __future__ import annotations

import csv
import io
import json
import sys

import typer

from cmtk.errors import UsageError

FORMATS = ("table", "json", "csv", "md")


def check_format(value: str) -> str:

    if value not in FORMATS:
        raise UsageError(f"--format: '{value}' is not one of {', '.join(FORMATS)}")
    return value


def emit_json(data) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def emit_rows(headers: list[str], rows: list[list], output_format: str) -> None:
    """CSV, Markdown or plain aligned columns (no colour codes when not on a terminal)."""
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)  # rows end in \r\n, as CSV files do
        writer.writerow(headers)
        writer.writerows(rows)
        write_exact(buffer.getvalue())
        return
    if output_format == "md":
        typer.echo("| " + " | ".join(headers) + " |")
        typer.echo("|" + "|".join("---" for _ in headers) + "|")
        for row in rows:
            typer.echo("| " + " | ".join(str(c).replace("|", "/") for c in row) + " |")
        return
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h)) for i, h in enumerate(headers)]
    lines = ["  ".join(str(h).upper().ljust(w) for h, w in zip(headers, widths, strict=False)).rstrip()]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip() for row in rows]
    typer.echo("\n".join(lines))  # one write: thousands of rows print in milliseconds


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
