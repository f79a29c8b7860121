"""`cmtk form pack`: every blank form (or some) in one document, for a workshop or a new office."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer

from cmtk.cli.common import store_root
from cmtk.cli.options import output_option, value_option
from cmtk.errors import UsageError
from cmtk.forms import definitions
from cmtk.output import pack, render
from cmtk.output.userfiles import write_replacing
from cmtk.store.session import Store

_SUFFIXES = {".pdf": "pdf", ".html": "html", ".htm": "html"}


def register(app: typer.Typer) -> None:
    """Add `pack` to the `form` command group."""
    app.command("pack")(form_pack)


def form_pack(
    ctx: typer.Context,
    output: Path = output_option("pack.pdf (needs cmtk[pdf]) or pack.html (print from a browser).", required=True),
    lang: str = typer.Option(
        "en", "--lang", metavar="en|sw|both", help="Language of the forms; both: each form twice."
    ),
    forms: list[str] | None = value_option(
        "--forms",
        "Only these forms (ids, comma-separated or the option repeated); default: every form.",
        "FORM[,FORM...]",
    ),
) -> None:
    """Print many blank forms as one document: a contents page, then each form from a new page.

    The forms come in the order of the steps, conference forms last. With a
    store, its own form definitions, organisation name and TRAINING mark are used.
    """

    kind = _SUFFIXES.get(output.suffix.lower())
    if kind is None:
        raise UsageError.of("pack-output-suffix", name=output.name)
    langs = pack.languages(lang)
    wanted = [name.strip() for item in forms or [] for name in item.split(",") if name.strip()]
    root = store_root(ctx)
    settings = Store(root).settings if root is not None else {}
    chosen = pack.choose(definitions.load_all(root), wanted)
    show = _Progress(len(chosen) * len(langs), kind)
    built = pack.build(
        chosen,
        langs,
        organisation=str(settings.get("organisation") or ""),
        training=bool(settings.get("training", False)),
        templates=render.override_dir(root),
        progress=show,
    )
    data = pack.pdf(built, progress=show) if kind == "pdf" else built.html.encode("utf-8")
    write_replacing(output, data, root, "-o")
    show.done(output, built, data if kind == "pdf" else None)


class _Progress:
    """Progress on standard error: a bar on a terminal, a few plain lines otherwise (logs, tests)."""

    def __init__(self, forms: int, kind: str) -> None:
        self.forms = forms
        self.kind = kind
        self.started = time.monotonic()
        self.live = sys.stderr.isatty()
        self.pages = 0
        self.said_layout = False

    def __call__(self, stage: str, number: int, total: int) -> None:
        if stage == "form":
            if self.live:
                self._bar("Forms", number, total)
            elif number == total and self.kind == "pdf":
                typer.echo(f"{total} form(s) ready.", err=True)
        elif stage == "page":
            self.pages = max(self.pages, number)
            if self.live:
                self._bar("Pages laid out", number, 0)
            elif not self.said_layout:
                self.said_layout = True
                typer.echo("Laying out the pages (one WeasyPrint run)...", err=True)
        elif stage == "write":
            if self.live:
                self._bar("Writing the PDF", self.pages, 0)
            else:
                typer.echo("Writing the PDF...", err=True)

    def _bar(self, what: str, number: int, total: int) -> None:
        elapsed = time.monotonic() - self.started
        if total:
            filled = int(30 * number / total)
            line = f"\r{what:<16} [{'#' * filled}{'.' * (30 - filled)}] {number}/{total}  {elapsed:4.0f} s"
        else:
            line = f"\r{what:<16} {number} page(s)  {elapsed:4.0f} s"
        typer.echo(line.ljust(72), err=True, nl=False)

    def done(self, output: Path, built: pack.Pack, pdf: bytes | None) -> None:
        if self.live:
            typer.echo("", err=True)
        languages = " and ".join(built.languages)
        pages = f", {self.pages} pages" if pdf is not None and self.pages else ""
        timing = f" in {time.monotonic() - self.started:.0f} s" if self.live else ""
        typer.echo(f"Wrote {output}: {built.forms} form(s) in {languages}{pages}{timing}.")
