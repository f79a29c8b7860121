"""Printable forms: one self-contained A4 HTML file, a Markdown version, and PDF.

The HTML comes from Jinja2 templates in `templates/` (a base layout and one
macro per field type); the print CSS is inlined so the file prints on A4 from
any browser with no other file beside it. Words that belong to the templates
(Page, Signature, Tick one...) go through gettext with the catalogue in
`templates/locale/<lang>.po`; the labels of a form come from its definition.

jinja2, babel and weasyprint are imported inside functions: `cmtk --version`
and every command that does not print must not pay for them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import functools
import io
import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict, Unpack

from cmtk.errors import CmtkError, UsageError
from cmtk.forms.definitions import LANGUAGES, Field, FormDef, Section, Text, preset_key
from cmtk.output.pagecheck import check_self_contained
from cmtk.store import files
from cmtk.store.paths import bundled_dir

# -- where the templates live --------------------------------------------------------------


def templates_dir() -> Path:

    return bundled_dir("templates")


def override_dir(store_root: Path | None) -> Path | None:
    """A store's `.cmtk/templates/`: files there replace the bundled ones of the same name."""
    if store_root is None:
        return None
    folder = store_root / ".cmtk" / "templates"
    for step in (store_root / ".cmtk", folder):
        if step.is_symlink():
            raise CmtkError.of("template-path-is-link", step=step)
    return folder if folder.is_dir() else None


def _search_path(override: Path | None) -> list[Path]:
    return [override, templates_dir()] if override else [templates_dir()]


def _read_template(folder: Path, name: str) -> str | None:
    """A template file by relative name: from a store's `.cmtk/templates/` only as a regular file inside the
    store, never through a link (security review round 4, H2: a link to the identity leaked it)."""
    if folder == templates_dir():
        path = folder / name
        return path.read_text("utf-8") if path.is_file() else None
    return files.read_inside_text(folder, name)


def _store_loader(folder: Path):
    """A Jinja2 loader over a store's `.cmtk/templates/` that reads only through `_read_template`."""
    import jinja2

    class StoreLoader(jinja2.BaseLoader):
        def get_source(self, environment, template):
            name = "/".join(jinja2.loaders.split_template_path(template))  # refuses `..`
            text = _read_template(folder, name)
            if text is None:
                raise jinja2.TemplateNotFound(template)
            return text, f".cmtk/templates/{name}", lambda: False

    return StoreLoader()


# -- template words in other languages -----------------------------------------------------


@functools.lru_cache(maxsize=8)
def translations(lang: str, override: Path | None = None):
    """gettext translations for the template words, compiled in memory from `locale/<lang>.po`.

    English is the source language: no catalogue. A missing or partial
    catalogue leaves the untranslated words in English.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import NullTranslations, Translations

    if lang == "en":
        return NullTranslations()
    for folder in _search_path(override):
        text = _read_template(folder, f"locale/{lang}.po")
        if text is not None:
            catalog = read_po(io.StringIO(text), locale=lang)
            compiled = io.BytesIO()
            write_mo(compiled, catalog)
            compiled.seek(0)
            return Translations(compiled)
    return NullTranslations()


# -- values as they are printed ------------------------------------------------------------
# A record holds what `cmtk record` or an import stored; these read it leniently
# so a form always prints, and whatever cannot be read is printed as text.


def date_digits(value: Any) -> str:
    """'DDMMYYYY' for a date or an ISO date text; '' when blank or not a date."""
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = _dt.date.fromisoformat(value.strip())
        except ValueError:
            return ""
    return value.strftime("%d%m%Y") if isinstance(value, _dt.date) else ""


_ANSWERS = {
    "yes": "yes",
    "y": "yes",
    "true": "yes",
    "ndiyo": "yes",
    "no": "no",
    "n": "no",
    "false": "no",
    "hapana": "no",
    "na": "na",
    "n/a": "na",
    "n_a": "na",
    "not_applicable": "na",
}


def answer(value: Any) -> str:
    """'yes', 'no' or 'na' for a yes/no(/N-A) value; '' when blank."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return _ANSWERS.get(value.strip().lower(), "")
    return ""


def picked(value: Any) -> list[str]:
    """The chosen values of a choice field, whether one value or a list."""
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple, set)):
        return [str(v) for v in value]
    return [str(value)]


def other_text(field: Field, value: Any) -> str:
    """Answers that are not among the field's choices: what was written on the 'Other' line."""
    known = {c.value for c in field.choices}
    return ", ".join(v for v in picked(value) if v not in known)


def plain(value: Any) -> str:
    """Any value as the text printed on a line."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (_dt.date, _dt.datetime)) or (isinstance(value, str) and date_digits(value)):
        digits = date_digits(value)
        return f"{digits[:2]}/{digits[2:4]}/{digits[4:]}"
    if isinstance(value, (list, tuple)):
        return ", ".join(plain(v) for v in value)
    return str(value)


def digit_count(field: Field) -> int:
    """How many digit boxes an integer needs: `digits`, else enough for `max`, else 3."""
    if field.digits:
        return field.digits
    if field.max is not None:
        return max(1, len(str(int(abs(field.max)))))
    return 3


def digit_boxes(field: Field, value: Any) -> list[str]:
    """One character per box, the number right-aligned; more boxes if the number is longer."""
    text = plain(value)
    count = max(digit_count(field), len(text))
    return [""] * (count - len(text)) + list(text)


def signature_parts(value: Any) -> tuple[str, Any]:
    """(name, date) of a signature value: a mapping with name and date, or just a name."""
    if isinstance(value, dict):
        return plain(value.get("name")), value.get("date")
    return plain(value), None


def table_rows(field: Field, value: Any) -> list[dict]:
    """The rows to print: the recorded ones, or `rows` empty ones on a blank form.

    A table with preset rows (a checklist's items) prints them first, each
    with what a record wrote in its row (matched by the first column); other
    recorded rows follow the preset row their key starts with ("4.1" after "4").
    """
    rows = [row for row in value if isinstance(row, dict)] if isinstance(value, list) else []
    if not field.preset:
        return rows or [{} for _ in range(field.rows)]
    by_key = {preset_key(field, row): row for row in rows}
    merged: list[dict] = []
    for preset in field.preset:
        key = preset_key(field, preset)
        written = by_key.pop(key, {})
        merged.append({**preset, **{k: v for k, v in written.items() if v not in (None, "")}})
    for key, row in by_key.items():
        parent = key.split(".")[0]
        at = max((i for i, r in enumerate(merged) if preset_key(field, r).split(".")[0] == parent), default=None)
        merged.insert(len(merged) if at is None else at + 1, row)
    return merged


def inline_choices(column: Field) -> bool:
    """A table column whose few short options fit in a cell (F / M); others get a numbered key."""
    return len(column.choices) <= 3 and all(len(c.label.en) <= 4 for c in column.choices)


def choice_keys(field: Field) -> list[tuple[tuple[Field, ...], tuple]]:
    """Numbered keys under a table: columns sharing the same options share one key."""
    keys: dict[tuple, list[Field]] = {}
    for column in field.columns:
        if column.choices and not inline_choices(column):
            keys.setdefault(column.choices, []).append(column)
    return [(tuple(columns), choices) for choices, columns in keys.items()]


_COLUMN_WEIGHTS = {
    "text": 3.0,
    "long_text": 4.0,
    "date": 2.4,
    "number": 1.5,
    "yes_no": 2.6,
    "yes_no_na": 3.4,
    "signature": 2.6,
}


def column_widths(field: Field) -> list[float]:
    """Each column's share of the table width (percent), by what is written in it.

    A text column headed by a very short label ("No.") holds a short number.
    """

    def weight(column: Field) -> float:
        if column.type == "integer":
            return 0.6 + 0.45 * digit_count(column)
        if column.choices:
            return 0.6 * len(column.choices) + 1.2 if inline_choices(column) else 1.6
        written = [row[column.name].en for row in field.preset if isinstance(row.get(column.name), Text)]
        if written:  # a checklist's items, an agenda's points: as wide as their texts need
            return max(1.0, min(9.0, sum(len(w) for w in written) / len(written) / 9))
        if column.type == "text" and len(column.label.en) <= 3:
            return 1.0
        return _COLUMN_WEIGHTS.get(column.type, 2.0) + (1.0 if column.lines > 1 else 0.0)

    weights = [weight(c) for c in field.columns]
    return [round(100 * w / sum(weights), 1) for w in weights]


def row_height(field: Field) -> float:
    """Height (mm) of an empty table row: room for the column that needs the most lines."""
    lines = max((c.lines for c in field.columns if c.type in ("text", "long_text")), default=1)
    tall = any(c.type == "signature" for c in field.columns)
    return max(7.0 * lines, 10.0 if tall else 7.0)


def choice_columns(field: Field, lang: str) -> int:
    """How many columns the options of a choice field are laid out in, by their longest label."""
    longest = max((len(c.label.get(lang)) for c in field.choices), default=0)
    for columns, fits in ((4, 16), (3, 24), (2, 45)):
        if longest <= fits:
            return columns
    return 1


# -- what a section prints -----------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One thing printed in a section: a field with its value, or a grid of indicators.

    `condition` is the field's `show_if` with the fields it tests; consecutive
    blocks under the same condition are printed as one group, `opens` on the
    first and `closes` on the last, under a line such as "If yes:".
    """

    kind: str
    subject: Field | None = None  # the field printed; None for an indicator grid (its fields are in `rows`)
    value: Any = None
    rows: tuple[tuple[Field, Any], ...] = ()
    condition: tuple[tuple[Field, tuple[str, ...], bool], ...] = ()
    opens: bool = False
    closes: bool = False

    @property
    def field(self) -> Field:
        """The field of a field block (an indicator grid has none: its fields are in `rows`)."""
        if self.subject is None:
            raise AttributeError("an indicator grid has no single field")
        return self.subject


@dataclass(frozen=True)
class Score:
    """A domain's total line: the score (None on a blank form), its maximum and pass mark."""

    total: int | None
    maximum: int
    pass_mark: int | None


@dataclass(frozen=True)
class Part:
    number: int
    section: Section
    blocks: tuple[Block, ...]
    score: Score | None


def _is_indicator(field: Field) -> bool:
    return field.type == "yes_no_na" and bool(field.indicator)


def _condition(section: Section, fld: Field, lookup) -> tuple[tuple[Field, tuple[str, ...], bool], ...]:
    """A field's `show_if` with the fields it tests, each marked when it is the question just above.

    "Just above": the tested field is earlier in the same section and every
    field between them depends on it too, so "If yes:" is enough to read it.
    """
    found = []
    names = [f.name for f in section.fields]
    for name, wanted in fld.show_if:
        other = lookup(name)
        if other is None:
            continue
        above = False
        if name in names:
            between = section.fields[names.index(name) + 1 : names.index(fld.name)]
            above = all(any(n == name for n, _w in f.show_if) for f in between)
        found.append((other, wanted, above))
    return tuple(found)


def blocks(section: Section, values: dict, lookup=None) -> tuple[Block, ...]:
    """Fields in order; consecutive indicator questions become one Yes / No / N-A grid.

    `lookup` finds a field of the form by name, for the conditions of `show_if`.
    """
    found: list[Block] = []
    lookup = lookup or section.field
    for fld in section.fields:
        value = values.get(fld.name)
        if _is_indicator(fld) and not fld.show_if and found and found[-1].kind == "indicator_grid":
            found[-1] = Block("indicator_grid", rows=(*found[-1].rows, (fld, value)))
        elif _is_indicator(fld) and not fld.show_if:
            found.append(Block("indicator_grid", rows=((fld, value),)))
        else:
            found.append(Block(fld.type, fld, value, condition=_condition(section, fld, lookup)))
    grouped: list[Block] = []
    for index, block in enumerate(found):
        before = found[index - 1].condition if index else ()
        after = found[index + 1].condition if index + 1 < len(found) else ()
        if block.condition:
            block = dataclasses.replace(block, opens=block.condition != before, closes=block.condition != after)
        grouped.append(block)
    return tuple(grouped)


def score(section: Section, values: dict, filled: bool) -> Score | None:
    """Yes and N/A score 1, No scores 0 (benchmarks.md); only for domain sections."""
    indicators = [f for f in section.fields if _is_indicator(f)]
    if not section.domain or not indicators:
        return None
    answers = [answer(values.get(f.name)) for f in indicators]
    total = sum(1 for a in answers if a in ("yes", "na")) if filled and any(answers) else None
    return Score(total, len(indicators), section.pass_mark)


def parts(form: FormDef, values: dict | None) -> list[Part]:
    body = values or {}
    found = []
    for number, section in enumerate(form.sections, start=1):
        section_values = body.get(section.id)
        section_values = section_values if isinstance(section_values, dict) else {}
        found.append(
            Part(
                number,
                section,
                blocks(section, section_values, form.field),
                score(section, section_values, bool(values)),
            )
        )
    return found


# -- HTML ----------------------------------------------------------------------------------


def css_string(text: Any):
    """A CSS string literal, every character that is not a letter, digit or space escaped.

    Safe inside `<style>` whatever the text holds (quotes, `</style>`).
    """
    from markupsafe import Markup

    escaped = "".join(c if c.isalnum() or c == " " else f"\\{ord(c):x} " for c in str(text))
    return Markup(f'"{escaped}"')


def css_counters(text: Any):
    """'Page {page} of {pages}' as CSS content: strings around counter(page) and counter(pages)."""
    from markupsafe import Markup

    pieces = re.split(r"\{(page|pages)\}", str(text))
    tokens = [f"counter({p})" if i % 2 else str(css_string(p)) for i, p in enumerate(pieces) if p or i % 2]
    return Markup(" ".join(tokens))


def _applies(gettext):
    def describe(field: Field) -> str:
        """Who an indicator is asked about, from its `applies` (age and sex)."""
        rule = field.applies
        sex = str(rule.get("sex") or "")
        who = {"female": gettext("girls"), "male": gettext("boys")}.get(sex, gettext("children"))
        low, high = rule.get("min_age"), rule.get("max_age")
        if low is not None and high is not None:
            age = gettext("aged %(low)s to %(high)s") % {"low": low, "high": high}
        elif low is not None:
            age = gettext("aged %(low)s and over") % {"low": low}
        elif high is not None:
            age = gettext("aged %(high)s or under") % {"high": high}
        else:
            age = ""
        return f"{who} {age}" if age else (who if sex else "")

    return describe


def _conditions(gettext, lang: str):
    def describe(block: Block) -> str:
        """'If yes' for the question just above; 'If <question> is <answer>' otherwise."""
        said = []
        for other, wanted, above in block.condition:
            words = []
            for value in wanted:
                choice = other.choice(value)
                if choice is not None:
                    words.append(choice.label.get(lang))
                elif above:  # "If yes:"
                    words.append({"yes": gettext("yes"), "no": gettext("no"), "na": gettext("N/A")}.get(value, value))
                else:  # "If “The child agrees” is No:"
                    words.append({"yes": gettext("Yes"), "no": gettext("No"), "na": gettext("N/A")}.get(value, value))
            answer = f" {gettext('or')} ".join(words)
            if above:
                said.append(gettext("If %(answer)s") % {"answer": answer})
            else:
                said.append(
                    gettext("If “%(question)s” is %(answer)s") % {"question": other.label.get(lang), "answer": answer}
                )
        return "; ".join(said) + ":"

    return describe


@functools.lru_cache(maxsize=8)
def environment(lang: str, override: Path | None = None):
    """The Jinja2 environment for one language (its gettext words and label filter)."""
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    loaders = [_store_loader(override)] if override else []
    loaders.append(jinja2.FileSystemLoader(str(templates_dir())))
    # Sandboxed: a store's own templates (.cmtk/templates/) may come from anywhere a store was copied from.
    env = ImmutableSandboxedEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,  # select_autoescape() would miss `.html.j2` (print.md, traps)
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    found = translations(lang, override)
    env.install_gettext_translations(found, newstyle=True)  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
    env.filters.update(
        t=lambda text: "" if text is None else text.get(lang),
        css=css_string,
        css_counters=css_counters,
        dmy=date_digits,
        answer=answer,
        picked=picked,
        other_text=other_text,
        plain=plain,
        digit_boxes=digit_boxes,
        signature_parts=signature_parts,
        table_rows=table_rows,
        inline_choices=inline_choices,
        choice_keys=choice_keys,
        row_height=row_height,
        column_widths=column_widths,
        choice_columns=lambda field: choice_columns(field, lang),
        applies=_applies(found.gettext),
        condition=_conditions(found.gettext, lang),
    )
    env.tests["text"] = lambda value: isinstance(value, Text)
    env.globals["lang"] = lang
    return env


def _check_lang(lang: str) -> None:
    if lang not in LANGUAGES:
        raise UsageError.of("lang-option", lang=lang, languages=", ".join(LANGUAGES))


class Letterhead(TypedDict, total=False):
    """What every printed page may take (all optional): the organisation's name and the TRAINING mark for
    the header, and `templates`, a folder whose files replace the bundled templates of the same name."""

    organisation: str
    training: bool
    templates: Path | None


class PageOptions(Letterhead, total=False):
    """What `render_html` and `render_markdown` both take besides the form (all optional): the letterhead,
    lang (default en), values (a record body, for a filled form), case_id and record_date."""

    lang: str
    values: dict | None
    case_id: str | None
    record_date: _dt.date | None


def _page(form: FormDef, options: PageOptions) -> dict[str, Any]:
    """The options with their defaults, the language checked and the form's parts laid out."""
    lang = options.get("lang", "en")
    _check_lang(lang)
    values = options.get("values")
    return dict(
        lang=lang,
        templates=options.get("templates"),
        form=form,
        parts=parts(form, values),
        filled=values is not None,
        case_id=options.get("case_id") or "",
        organisation=options.get("organisation") or "",
        training=options.get("training", False),
        record_date=options.get("record_date"),
    )


def render_html(form: FormDef, *, photo: str | None = None, **options: Unpack[PageOptions]) -> str:
    """The form as one self-contained A4 HTML page; filled in when `values` (a record body) is given.

    `photo` is a `data:` URI (image_uri) for the photo box of a form that has one.
    """
    context = _page(form, options)
    lang, templates = context.pop("lang"), context.pop("templates")
    context |= dict(
        css=_find(templates, "print.css"),
        photo=photo if photo and photo.startswith(_IMAGE_URI) else None,
        running_header=True,
    )
    return check_self_contained(_render(environment(lang, templates), "form.html.j2", context))


_IMAGE_URI = ("data:image/jpeg;base64,", "data:image/png;base64,")


def image_uri(data: bytes, media_type: str, max_side: int | None = None) -> str:
    """An image as a `data:` URI, so a page that shows it loads nothing; smaller first if `max_side` is given
    (a photo box needs a few hundred pixels, not a phone camera's four thousand)."""
    import base64

    from PIL import Image, ImageOps  # Pillow: only pages that show an image need it

    with Image.open(io.BytesIO(data)) as image:
        turned = image.getexif().get(0x0112, 1) != 1  # printed the right way up, whatever reads the page
        if turned or (max_side and max(image.size) > max_side):
            shown = ImageOps.exif_transpose(image)
            if max_side:
                shown.thumbnail((max_side, max_side))
            out = io.BytesIO()
            if media_type == "image/png" and not turned:
                shown.save(out, "PNG")
            else:
                shown.convert("RGB").save(out, "JPEG", quality=85)
                media_type = "image/jpeg"
            data = out.getvalue()
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def render_page(name: str, context: dict, *, lang: str = "en", templates: Path | None = None) -> str:
    """Another page template (the printed case file) with the forms' environment, words and checks."""
    _check_lang(lang)
    return check_self_contained(_render(environment(lang, templates), name, context))


def template_text(templates: Path | None, name: str) -> str:
    """A template folder's text file (CSS), the store's own copy first."""
    return _find(templates, name)


@dataclass(frozen=True)
class Fragment:
    """One blank form rendered for a pack: its page rules (CSS) and its body (HTML)."""

    form: FormDef
    lang: str
    anchor: str
    page_rules: str
    body: str


def render_fragment(form: FormDef, *, lang: str, anchor: str, **letterhead: Unpack[Letterhead]) -> Fragment:
    """A blank form's body and its named page rules, to be put in one document with others.

    The pages of the form are named `anchor`; the header is plain text (no running
    element), which keeps a long document quick to lay out in WeasyPrint.
    """
    context = _page(form, {"lang": lang, **letterhead})
    env = environment(context.pop("lang"), context.pop("templates"))
    context |= dict(photo=None, running_header=False, page_name=anchor)
    return Fragment(
        form, lang, anchor, _render(env, "page_rules.html.j2", context), _render(env, "form_page.html.j2", context)
    )


def render_pack_page(fragments: list[Fragment], *, lang: str, title: str, **letterhead: Unpack[Letterhead]) -> str:
    """The fragments in one self-contained document, after a contents page in `lang`."""
    templates = letterhead.get("templates")
    context = dict(
        items=fragments,
        title=title,
        organisation=letterhead.get("organisation") or "",
        training=letterhead.get("training", False),
        css=_find(templates, "print.css"),
    )
    return check_self_contained(_render(environment(lang, templates), "pack.html.j2", context))


def _render(env, name: str, context: dict) -> str:
    """Render a template; a broken or missing template (most likely a store's own) is one error line."""
    import jinja2

    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as error:
        raise CmtkError.of(
            "template-error", filename=error.filename, lineno=error.lineno, detail=error.message
        ) from None
    except jinja2.exceptions.SecurityError:
        raise CmtkError.of("template-sandbox", name=name) from None
    except jinja2.TemplateNotFound as error:
        raise CmtkError.of("template-missing", name=error.name) from None


def _find(override: Path | None, name: str) -> str:
    for folder in _search_path(override):
        text = _read_template(folder, name)
        if text is not None:
            return text
    raise CmtkError.of("template-file-missing", name=name, templates_dir=templates_dir())


# -- Markdown ------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")
BLANK = "________________"


def _md(text: Any) -> str:
    """Markdown-escape a label or value so it prints as written (no markup, no HTML)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


class _Markdown:
    """Writes the same form as plain, readable Markdown: blanks as ____, choices as [ ].

    Fixed words go through `word()` with the templates' own msgids, so one
    catalogue serves both (tests/test_render.py checks sw.po has them all).
    """

    def __init__(self, lang: str, gettext) -> None:
        self.lang = lang
        self._ = gettext
        self.out: list[str] = []
        self.condition = _conditions(gettext, lang)

    def t(self, text) -> str:
        return "" if text is None else _md(text.get(self.lang))

    def word(self, message: str, **values) -> str:
        """A template word, translated (`message` is a msgid the templates use too) and escaped."""
        return _md(self._(message) % values if values else self._(message))

    def line(self, text: str = "") -> None:
        self.out.append(text)

    def form(
        self,
        form: FormDef,
        the_parts: list[Part],
        case_id: str,
        organisation: str,
        training: bool,
        record_date: _dt.date | None,
    ) -> str:
        if training:
            self.line(f"**{self.word('TRAINING')}: {self.word('fictional data for practice only')}**\n")
        self.line(f"_{self.word('Confidential')}_\n")
        code = self.word("Form %(code)s", code=form.code)
        self.line(f"# {code}: {self.t(form.title)}\n")
        self.line(self.word("version %(number)s", number=form.version) + "  ")
        self.line(f"{self.word('Organisation')}: {_md(organisation) if organisation else BLANK}  ")
        self.line(f"{self.word('Case id')}: {_md(case_id) if case_id else BLANK}\n")
        if form.purpose:
            self.line(f"{self.t(form.purpose)}\n")
        if record_date:
            self.line(f"{self.word('Date of this record')}: {plain(record_date)}\n")
        for part in the_parts:
            self.section(part)
        return "\n".join(self.out).rstrip() + "\n"

    def section(self, part: Part) -> None:
        self.line(f"## {part.number}. {self.t(part.section.title)}\n")
        if part.section.instructions:
            self.line(f"_{self.t(part.section.instructions)}_\n")
        for block in part.blocks:
            if block.opens:
                self.line(f"_{_md(self.condition(block))}_\n")
            getattr(self, f"w_{block.kind}")(block)
            if block.subject is not None and block.subject.help:
                self.line(f"_{self.t(block.field.help)}_")
            self.line()
        if part.score:
            self.line(self.score_line(part.score) + "\n")

    def score_line(self, found: Score) -> str:
        total = str(found.total) if found.total is not None else "____"
        text = f"{self.word('Domain score')}: {total} / {found.maximum}"
        if found.pass_mark is not None:
            text += ", " + self.word("pass mark %(mark)s", mark=found.pass_mark)
        return f"**{text}**"

    def label(self, field: Field, hint: str = "") -> str:
        return f"**{self.t(field.label)}**" + (f" ({hint})" if hint else "")

    def blank(self, value: Any, empty: str = BLANK) -> str:
        return _md(plain(value)) if plain(value) else empty

    def w_text(self, block: Block) -> None:
        self.line(f"{self.label(block.field)}: {self.blank(block.value)}")

    def w_long_text(self, block: Block) -> None:
        self.line(self.label(block.field) + ":\n")
        text = plain(block.value)
        if text:
            self.line("  \n".join(f"> {_md(row)}" for row in text.splitlines()))
        else:
            self.line("\n\n".join([BLANK * 4] * max(block.field.lines, 2)))

    def w_date(self, block: Block) -> None:
        self.line(f"{self.label(block.field)}: {self.blank(block.value, '__/__/____')}")

    def w_integer(self, block: Block) -> None:
        unit = f" {_md(block.field.unit)}" if block.field.unit else ""
        self.line(f"{self.label(block.field)}: {self.blank(block.value)}{unit}")

    w_number = w_integer

    def answers(self, value: Any, with_na: bool) -> str:
        said = answer(value)
        names = {"yes": self.word("Yes"), "no": self.word("No"), "na": self.word("N/A")}
        shown = ("yes", "no", "na") if with_na else ("yes", "no")
        return "  ".join(f"[{'x' if said == key else ' '}] {names[key]}" for key in shown)

    def w_yes_no(self, block: Block) -> None:
        self.line(f"{self.label(block.field)}: {self.answers(block.value, False)}")

    def w_yes_no_na(self, block: Block) -> None:
        self.line(f"{self.label(block.field)}: {self.answers(block.value, True)}")

    def choices(self, block: Block, hint: str) -> None:
        field, chosen = block.field, picked(block.value)
        self.line(self.label(field, hint) + "\n")
        for choice in field.choices:
            self.line(f"- [{'x' if choice.value in chosen else ' '}] {self.t(choice.label)}")
        if field.other:
            written = other_text(field, block.value)
            mark = "x" if written else " "
            self.line(f"- [{mark}] {self.word('Other (specify)')}: {_md(written) if written else BLANK}")

    def w_select_one(self, block: Block) -> None:
        self.choices(block, self.word("tick one"))

    def w_select_many(self, block: Block) -> None:
        self.choices(block, self.word("tick all that apply"))

    def cell(self, column: Field, value: Any) -> str:
        if isinstance(value, Text):
            return self.t(value)
        if column.choices:
            labels = []
            for chosen in picked(value):
                choice = column.choice(chosen)
                labels.append(self.t(choice.label) if choice else _md(chosen))
            return ", ".join(labels)
        if column.type in ("yes_no", "yes_no_na") and answer(value):
            return {"yes": self.word("Yes"), "no": self.word("No"), "na": self.word("N/A")}[answer(value)]
        return _md(plain(value))

    def w_table(self, block: Block) -> None:
        columns = block.field.columns
        self.line(self.label(block.field) + "\n")
        self.line("| " + " | ".join(self.t(c.label) for c in columns) + " |")
        self.line("|" + "---|" * len(columns))
        for row in table_rows(block.field, block.value):
            self.line("| " + " | ".join(self.cell(c, row.get(c.name)) for c in columns) + " |")
        for column in columns:
            if column.choices:
                options = ", ".join(self.t(c.label) for c in column.choices)
                self.line(f"\n{self.t(column.label)}: {options}")

    def w_signature(self, block: Block) -> None:
        name, date = signature_parts(block.value)
        self.line(self.label(block.field) + "\n")
        self.line(f"{self.word('Name')}: {_md(name) if name else BLANK}  ")
        self.line(f"{self.word('Signature')}: {BLANK}  ")
        self.line(f"{self.word('Date')}: {self.blank(date, '__/__/____')}")
        if block.field.thumbprint:
            self.line(f"\n{self.word('Thumbprint')}: [ ]")

    def w_note(self, block: Block) -> None:
        self.line(self.t(block.field.label))

    def w_indicator_grid(self, block: Block) -> None:
        head = [self.word(w) for w in ("No.", "Indicator", "Yes", "No", "N/A")]
        self.line("| " + " | ".join(head) + " |")
        self.line("|---|---|---|---|---|")
        for field, value in block.rows:
            said = answer(value)
            marks = " | ".join(f"[{'x' if said == key else ' '}]" for key in ("yes", "no", "na"))
            self.line(f"| {_md(field.indicator)} | {self.t(field.label)} | {marks} |")


def render_markdown(form: FormDef, **options: Unpack[PageOptions]) -> str:
    """The same form as plain Markdown, for reading on screen or pasting into a document."""
    page = _page(form, options)
    writer = _Markdown(page["lang"], translations(page["lang"], page["templates"]).gettext)
    return writer.form(
        form, page["parts"], page["case_id"], page["organisation"], page["training"], page["record_date"]
    )


# -- PDF -----------------------------------------------------------------------------------


def _install_hint() -> CmtkError:
    if sys.platform.startswith("win"):
        system = "on Windows it also needs Pango from MSYS2 (see docs/printing.md)"
    elif sys.platform == "darwin":
        system = "on macOS also run `brew install pango`"
    else:
        system = "on Debian or Ubuntu also run `apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0`"
    return CmtkError.of("pdf-needs-weasyprint", system=system)


def render_pdf(html: str, progress=None) -> bytes:
    """A4 PDF of a rendered form through WeasyPrint, which may only read file: and data: URLs.

    The HTML is self-contained, so any other URL is a mistake: refusing it
    fails at once instead of waiting for a network that may not be there.
    `progress(stage, number)` is told of each page laid out ("page", n) and
    when the PDF is being written ("write", 0), for a long document.
    """
    if progress is None:
        return pdf_document(html).write_pdf()
    with _progress_from_weasyprint(progress):
        return pdf_document(html).write_pdf()


def pdf_document(html: str):
    """The page laid out by WeasyPrint (its pages, their anchors), before it is written as PDF."""
    try:
        import weasyprint
        from weasyprint.urls import URLFetcher
    except (ImportError, OSError):  # OSError: WeasyPrint is there but Pango is not
        raise _install_hint() from None
    check_self_contained(html)
    fetcher = URLFetcher(allowed_protocols={"data"})
    return weasyprint.HTML(string=html, base_url=str(templates_dir()), url_fetcher=fetcher).render()


class _ProgressHandler(logging.Handler):
    """Turns WeasyPrint's progress log lines ("Step 5 - Creating layout - Page 12") into calls."""

    _PAGE = re.compile(r"Creating layout - Page (\d+)")

    def __init__(self, progress) -> None:
        super().__init__(logging.INFO)
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        found = self._PAGE.search(message)
        if found and "up-to-date" not in message:
            self.progress("page", int(found.group(1)))
        elif "Creating PDF" in message:
            self.progress("write", 0)


@contextlib.contextmanager
def _progress_from_weasyprint(progress):
    logger = logging.getLogger("weasyprint.progress")
    handler = _ProgressHandler(progress)
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.INFO)
    logger.propagate = False  # WeasyPrint's progress lines are ours to show, not the root logger's
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
