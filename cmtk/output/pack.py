"""A workshop pack: every blank form (or some), in one or both languages, as one document.

One HTML document with a contents page and each form from a new page, made
with one WeasyPrint call for a PDF (a call per form costs seconds each). Each
form is rendered in its own language; the contents page is in the first one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cmtk.errors import UsageError
from cmtk.forms import definitions
from cmtk.output import render

LANG_CHOICES = ("en", "sw", "both")
# The title of a pack in each language (the contents page shows the first).
TITLES = {"en": "Case management forms", "sw": "Fomu za usimamizi wa kesi"}

# progress(stage, done, total): stage is "form" (an HTML fragment made; total = forms),
# "page" (a page laid out; total unknown, 0) or "write" (the PDF is being written).
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Pack:
    html: str
    forms: int
    languages: tuple[str, ...]


def languages(choice: str) -> tuple[str, ...]:
    if choice not in LANG_CHOICES:
        raise UsageError.of("pack-lang-option", choice=choice, lang_choices=", ".join(LANG_CHOICES))
    return ("en", "sw") if choice == "both" else (choice,)


def choose(all_forms: list[definitions.FormDef], wanted: list[str]) -> list[definitions.FormDef]:
    """The forms asked for, in the order of the steps (conference forms last); all when none is named."""
    by_id = {f.id: f for f in all_forms}
    chosen = []
    for name in wanted:
        if name not in by_id:
            code = next((f.id for f in all_forms if f.code.casefold() == name.casefold()), None)
            hint = f"; '{name}' is the code of {code}" if code else definitions.suggest(name, by_id)
            raise UsageError.of("pack-no-such-form", name=name, hint=hint)
        if by_id[name] not in chosen:
            chosen.append(by_id[name])
    forms = chosen or list(all_forms)
    return sorted(forms, key=lambda f: (f.step or 99, f.subject == "conference", _code_order(f.code), f.id))


def _code_order(code: str) -> tuple:
    """1B before 3B before 14A; local codes (CM-4, CC-1) after the numbered ones."""
    found = re.match(r"(\d+)(.*)", code)
    return (0, int(found.group(1)), found.group(2)) if found else (1, 0, code)


def build(
    forms: list[definitions.FormDef],
    langs: tuple[str, ...],
    *,
    organisation: str = "",
    training: bool = False,
    templates: Path | None = None,
    progress: Progress | None = None,
) -> Pack:
    """The pack as one self-contained HTML document, forms grouped by language."""
    fragments: list[render.Fragment] = []
    total = len(forms) * len(langs)
    for lang in langs:
        for form in forms:
            fragments.append(
                render.render_fragment(
                    form,
                    lang=lang,
                    anchor=f"form-{len(fragments) + 1}",
                    organisation=organisation,
                    training=training,
                    templates=templates,
                )
            )
            if progress:
                progress("form", len(fragments), total)
    title = " · ".join(TITLES[lang] for lang in langs)
    html = render.render_pack_page(
        fragments, lang=langs[0], title=title, organisation=organisation, training=training, templates=templates
    )
    return Pack(html, len(forms), langs)


def pdf(pack: Pack, progress: Progress | None = None) -> bytes:
    """The pack as PDF, in one WeasyPrint call."""
    if progress is None:
        return render.render_pdf(pack.html)
    return render.render_pdf(pack.html, progress=lambda stage, number: progress(stage, number, 0))
