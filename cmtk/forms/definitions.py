"""Form definitions: declarative YAML files in `forms/`, loaded strictly.

A country or county adapts cmtk by editing these files (or by placing a file
with the same id in a store's `.cmtk/forms/`), not Python. Every problem in a
definition is an error naming the file, the line and the fix, with a
"did you mean" for misspelt keys and types.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from dataclasses import fields as dc_fields
from pathlib import Path
from typing import Any

from cmtk.errors import CmtkError
from cmtk.store import files as store_files
from cmtk.store import yamlio
from cmtk.store.paths import builtin_forms_dir

LANGUAGES = ("en", "sw")
DOMAINS = ("education", "protection", "psychosocial", "health", "relationship", "economic")
SUBJECTS = ("case", "conference")

# One table of field types: the keys each type may carry besides the common ones.
FIELD_TYPES: dict[str, frozenset[str]] = {
    "text": frozenset({"lines"}),
    "long_text": frozenset({"lines"}),
    "date": frozenset({"past_only"}),
    "integer": frozenset({"digits", "unit", "min", "max"}),
    "number": frozenset({"unit", "min", "max"}),
    "yes_no": frozenset(),
    "yes_no_na": frozenset({"indicator", "applies", "na_if"}),
    "select_one": frozenset({"choices", "other"}),
    "select_many": frozenset({"choices", "other"}),
    "table": frozenset({"columns", "rows"}),
    "signature": frozenset({"role", "thumbprint"}),
    "note": frozenset(),
}
ANSWERLESS = frozenset({"note"})
COMMON_FIELD_KEYS = frozenset({"name", "type", "label", "required", "help", "show_if"})
FORM_KEYS = frozenset(
    {"id", "code", "title", "version", "step", "purpose", "subject", "repeatable", "provenance", "photo", "sections"}
)
# Where a form comes from (the `provenance` key): the documents cmtk was made from.
DOCUMENTS: dict[str, str] = {
    "handbook": "Case Worker's Handbook, Kenya (2021)",
    "cpims": "Kenya CPIMS",
    "conference-sop": "Standard Operating Procedures for Case Conferencing, CTWWC (2020)",
    "guidelines": "Inter-agency guidelines on case management, via UNICEF ESARO (2024)",
    "cmtk": "cmtk (a record the package names but does not lay out, or cmtk's own addition)",
}
PROVENANCE_KEYS = frozenset({"document", "part", "note"})
# Field types whose answer a `show_if` condition can test.
CONDITION_TYPES = frozenset({"yes_no", "yes_no_na", "select_one", "select_many"})
CONDITION_ANSWERS = {"yes_no": ("yes", "no"), "yes_no_na": ("yes", "no", "na")}
SECTION_KEYS = frozenset({"id", "title", "required_at_step", "instructions", "domain", "pass_mark", "na_if", "fields"})
APPLIES_KEYS = frozenset({"min_age", "max_age", "sex"})
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_WORD = re.compile(r"[^\W\d_]{2}")  # two letters in a row: a text with words to translate
_FORM_ID = re.compile(r"^[a-z][a-z0-9-]*$")


class DefinitionError(CmtkError):
    """A form definition file is wrong; the message names file, line and fix."""


@dataclass(frozen=True)
class Text:
    """A label in English with an optional Kiswahili translation (falls back to English)."""

    en: str
    sw: str | None = None

    def get(self, lang: str = "en") -> str:
        return (self.sw if lang == "sw" else None) or self.en

    def __str__(self) -> str:
        return self.en


@dataclass(frozen=True)
class Choice:
    value: str
    label: Text


@dataclass(frozen=True)
class Source:
    """One document a form follows: `document` (a DOCUMENTS key), the part of it, a note."""

    document: str
    part: str = ""
    note: str = ""

    def __str__(self) -> str:
        short = {"handbook": "Handbook", "cpims": "CPIMS", "conference-sop": "Case Conferencing SOP"}
        name = short.get(self.document, self.document)
        return " ".join(p for p in (name, self.part) if p) + (f" ({self.note})" if self.note else "")


# A `show_if` condition: (field name, the answers that show the field), all of which must hold.
Condition = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    label: Text
    required: bool = False
    help: Text | None = None
    lines: int = 1
    digits: int | None = None
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    past_only: bool = False
    choices: tuple[Choice, ...] = ()
    other: bool = False
    columns: tuple[Field, ...] = ()
    rows: int = 5
    indicator: str | None = None
    applies: dict[str, Any] = field(default_factory=dict)
    role: str | None = None
    thumbprint: bool = False
    na_if: Text | None = None  # when "not applicable" may be answered (the only other way: `applies`)
    show_if: Condition = ()
    preset: tuple[dict[str, Any], ...] = ()

    @property
    def answers(self) -> bool:
        return self.type not in ANSWERLESS

    def choice(self, value: str) -> Choice | None:
        return next((c for c in self.choices if c.value == value), None)


@dataclass(frozen=True)
class Section:
    id: str
    title: Text
    fields: tuple[Field, ...]
    required_at_step: int | None = None
    instructions: Text | None = None
    domain: str | None = None
    pass_mark: int | None = None
    na_if: Text | None = None  # when every indicator of the section may be answered "not applicable"

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class FormDef:
    id: str
    code: str
    title: Text
    version: int
    step: int | None
    purpose: Text | None
    subject: str
    repeatable: bool
    sections: tuple[Section, ...]
    source: str
    provenance: tuple[Source, ...] = ()
    photo: bool = False  # a box for the child's photo at the top (filled from the profile photo)

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)

    def all_fields(self) -> list[tuple[Section, Field]]:
        return [(s, f) for s in self.sections for f in s.fields]

    def field(self, name: str) -> Field | None:
        """A field of any section by its name (names are unique in a form)."""
        return next((f for _s, f in self.all_fields() if f.name == name), None)

    def texts(self) -> list[tuple[str, Text]]:
        """Every translatable text with where it is, for the missing-translation report.

        A text without a word in it (a tick mark, an item number such as "5a") reads the same in every language.
        """
        return [(where, text) for where, text in self._texts() if _WORD.search(text.en)]

    def _texts(self) -> list[tuple[str, Text]]:
        found: list[tuple[str, Text]] = [("title", self.title)]
        if self.purpose:
            found.append(("purpose", self.purpose))
        for section in self.sections:
            found.append((f"{section.id}.title", section.title))
            if section.instructions:
                found.append((f"{section.id}.instructions", section.instructions))
            if section.na_if:
                found.append((f"{section.id}.na_if", section.na_if))
            for fld in section.fields:
                for sub in (fld, *fld.columns):
                    where = f"{section.id}.{fld.name}" + (f".{sub.name}" if sub is not fld else "")
                    found.append((where, sub.label))
                    if sub.help:
                        found.append((f"{where}.help", sub.help))
                    if sub.na_if:
                        found.append((f"{where}.na_if", sub.na_if))
                    found += [(f"{where}={c.value}", c.label) for c in sub.choices]
                for index, row in enumerate(fld.preset, start=1):
                    found += [
                        (f"{section.id}.{fld.name}[{index}].{k}", v) for k, v in row.items() if isinstance(v, Text)
                    ]
        return found

    def to_json(self) -> dict[str, Any]:
        """The documented `cmtk form show --format json` shape (cli.md), plus translations."""

        def text(value: Text | None):
            return None if value is None else value.en

        def field_json(fld: Field) -> dict[str, Any]:
            out: dict[str, Any] = {"name": fld.name, "type": fld.type, "required": fld.required, "label": fld.label.en}
            if fld.label.sw:
                out["label_sw"] = fld.label.sw
            if fld.help:
                out["help"] = fld.help.en
            if fld.choices:
                out["choices"] = [{"value": c.value, "label": c.label.en} for c in fld.choices]
            if fld.columns:
                out["columns"] = [field_json(c) for c in fld.columns]
            for key in ("unit", "min", "max", "indicator"):
                if getattr(fld, key) is not None:
                    out[key] = getattr(fld, key)
            if fld.past_only:
                out["past_only"] = True
            if fld.applies:
                out["applies"] = dict(fld.applies)
            if fld.na_if:
                out["na_if"] = fld.na_if.en
            if fld.show_if:
                out["show_if"] = {name: list(values) for name, values in fld.show_if}
            if fld.preset:
                out["preset"] = [
                    {k: (v.en if isinstance(v, Text) else v) for k, v in row.items()} for row in fld.preset
                ]
            return out

        return {
            "id": self.id,
            "code": self.code,
            "title": self.title.en,
            "step": self.step,
            "subject": self.subject,
            "repeatable": self.repeatable,
            "purpose": text(self.purpose),
            "provenance": [
                {"document": p.document, "part": p.part, **({"note": p.note} if p.note else {})}
                for p in self.provenance
            ],
            "sections": [
                {
                    "id": s.id,
                    "title": s.title.en,
                    **({"required_at_step": s.required_at_step} if s.required_at_step else {}),
                    **({"domain": s.domain, "pass_mark": s.pass_mark} if s.domain else {}),
                    **({"na_if": s.na_if.en} if s.na_if else {}),
                    "fields": [field_json(f) for f in s.fields],
                }
                for s in self.sections
            ],
        }


# -- where definitions live ----------------------------------------------------------------


def builtin_dir() -> Path:

    return builtin_forms_dir()


def form_dirs(store_root: Path | None = None) -> list[Path]:
    """Built-in definitions first; a store's `.cmtk/forms/` adds forms or replaces them by id."""
    dirs = [builtin_dir()]
    if store_root is not None and (store_root / ".cmtk" / "forms").is_dir():
        dirs.append(store_root / ".cmtk" / "forms")
    return dirs


def _files(store_root: Path | None) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in form_dirs(store_root):
        for path in sorted(folder.glob("*.yaml")):
            found[path.stem] = path
    return found


def form_ids(store_root: Path | None = None) -> list[str]:
    return sorted(_files(store_root))


def load_form(form_id: str, store_root: Path | None = None) -> FormDef:
    files = _files(store_root)
    path = files.get(form_id)
    if path is None:
        by_code = [f for f in load_all(store_root) if f.code.casefold() == str(form_id).casefold()]
        if by_code:
            raise CmtkError.of("form-code-not-id", form_id=form_id, id=by_code[0].id)
        hint = suggest(form_id, files)
        raise CmtkError.of("no-such-form", form_id=form_id, hint=hint)
    return load_file(path, store_root)


def load_all(store_root: Path | None = None) -> list[FormDef]:
    return [load_file(path, store_root) for path in _files(store_root).values()]


@dataclass(frozen=True)
class FormList:
    """Every form definition, by step (forms used at any step last), as `cmtk form list` shows them."""

    forms: list[FormDef]

    def to_json(self) -> list[dict[str, Any]]:
        return [{"form": f.id, "code": f.code, "step": f.step, "title": f.title.en} for f in self.forms]

    def to_rows(self) -> tuple[list[str], list[list[Any]]]:
        return ["form", "code", "step", "title"], [[f.id, f.code, f.step, f.title.en] for f in self.forms]


def catalogue(store_root: Path | None = None) -> FormList:
    return FormList(sorted(load_all(store_root), key=lambda f: (f.step or 99, f.id)))


def suggest(word: str, options) -> str:
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


# -- the strict loader -----------------------------------------------------------------------


# Parsed definitions by file, with the text they were parsed from: a command that checks many records, and the
# test suite, read the same few forms again and again (YAML parsing is most of the cost). FormDef is immutable.
_PARSED: dict[Path, tuple[str, FormDef]] = {}


def load_file(path: Path, store_root: Path | None = None) -> FormDef:
    """A definition; one from a store's `.cmtk/forms/` only as a regular file inside the store, with no
    control or direction characters (security review round 4: H2, M5)."""
    if store_root is not None and path.parent == store_root / ".cmtk" / "forms":
        text = store_files.read_inside_text(store_root, f".cmtk/forms/{path.name}")
        if text is None:
            raise CmtkError.of("form-file-gone", name=path.name)
    else:
        text = path.read_text("utf-8")
    known = _PARSED.get(path)
    if known is not None and known[0] == text:
        return known[1]
    data = yamlio.loads(text, _display(path), allow_aliases=True)  # definitions may share choice lists
    form = _Loader(path, text).form(data)
    _PARSED[path] = (text, form)
    return form


def _display(path: Path) -> str:
    parts = path.parts
    return "/".join(parts[-2:]) if len(parts) >= 2 else str(path)


class _Loader:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.source_text = text
        self.earlier: dict[str, Field] = {}  # fields already read, which a `show_if` may refer to

    # Errors: file, line, what is wrong and how to fix it.
    def fail(self, where: list, message: str) -> DefinitionError:
        line = _line_of(self.source_text, where)
        at = f" line {line}" if line else ""
        return DefinitionError.of("form-definition-error", file=_display(self.path), at=at, detail=message)

    def mapping(self, value, where: list, what: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(where, f"{what} must be a mapping of keys to values")
        return value

    def keys(self, data: dict, allowed: frozenset[str], where: list, what: str) -> None:
        for key in data:
            if key not in allowed:
                raise self.fail([*where, key], f"unknown key '{key}' in {what}{suggest(key, allowed)}")

    def need(self, data: dict, key: str, where: list, what: str):
        if key not in data or data[key] is None:
            raise self.fail(where, f"{what} lacks '{key}'; add it")
        return data[key]

    def optional_text(self, value, where: list, what: str) -> Text | None:
        return None if value is None else self.text(value, where, what)

    def text(self, value, where: list, what: str) -> Text:
        if isinstance(value, str):
            if not value.strip():
                raise self.fail(where, f"{what} is empty")
            return Text(en=value)
        if isinstance(value, dict):
            for key in value:
                if key not in LANGUAGES:
                    raise self.fail(
                        [*where, key], f"unknown language '{key}' in {what}{suggest(key, LANGUAGES)}; use en or sw"
                    )
            english = value.get("en")
            if not isinstance(english, str) or not english.strip():
                raise self.fail(where, f"{what} needs an English text under 'en'")
            sw = value.get("sw")
            if sw is not None and not isinstance(sw, str):
                raise self.fail([*where, "sw"], f"{what}: the Kiswahili text must be text")
            return Text(en=english, sw=sw or None)
        raise self.fail(where, f"{what} must be text or {{en: ..., sw: ...}}")

    def integer(self, value, where: list, what: str, low: int | None = None, high: int | None = None):
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(where, f"{what} must be a whole number")
        if (low is not None and value < low) or (high is not None and value > high):
            raise self.fail(where, f"{what} must be between {low} and {high}")
        return value

    def boolean(self, value, where: list, what: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, f"{what} must be true or false")
        return value

    def form(self, data) -> FormDef:
        data = self.mapping(data, [], "a form definition")
        self.keys(data, FORM_KEYS, [], "the form")
        form_id = self.need(data, "id", [], "the form")
        if not isinstance(form_id, str) or not _FORM_ID.match(form_id):
            raise self.fail(["id"], "id must be lower-case letters, digits and dashes")
        if form_id != self.path.stem:
            raise self.fail(["id"], f"id '{form_id}' differs from the file name; rename the file to {form_id}.yaml")
        step = data.get("step")
        if step is not None:
            self.integer(step, ["step"], "step", 1, 8)
        subject = data.get("subject", "case")
        if subject not in SUBJECTS:
            raise self.fail(["subject"], f"subject must be one of {', '.join(SUBJECTS)}{suggest(subject, SUBJECTS)}")
        sections_data = self.need(data, "sections", [], "the form")
        if not isinstance(sections_data, list) or not sections_data:
            raise self.fail(["sections"], "sections must be a list with at least one section")
        sections = []
        seen_sections: set[str] = set()
        seen_fields: set[str] = set()
        for index, raw in enumerate(sections_data):
            section = self.section(raw, ["sections", index], seen_fields)
            if section.id in seen_sections:
                raise self.fail(["sections", index, "id"], f"section id '{section.id}' is used twice; rename one")
            seen_sections.add(section.id)
            sections.append(section)
        return FormDef(
            id=form_id,
            code=str(data.get("code") or ""),
            title=self.text(self.need(data, "title", [], "the form"), ["title"], "title"),
            version=self.integer(data.get("version", 1), ["version"], "version", 1, 10_000),
            step=step,
            purpose=self.optional_text(data.get("purpose"), ["purpose"], "purpose"),
            subject=subject,
            repeatable=self.boolean(data.get("repeatable", False), ["repeatable"], "repeatable"),
            sections=tuple(sections),
            source=_display(self.path),
            provenance=self.provenance(data.get("provenance")),
            photo=self.boolean(data.get("photo", False), ["photo"], "photo"),
        )

    def provenance(self, raw) -> tuple[Source, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise self.fail(["provenance"], "provenance must be a list of {document: ..., part: ...}")
        found = []
        for index, item in enumerate(raw):
            where = ["provenance", index]
            entry = self.mapping(item, where, "a provenance entry")
            self.keys(entry, PROVENANCE_KEYS, where, "a provenance entry")
            document = self.need(entry, "document", where, "a provenance entry")
            if document not in DOCUMENTS:
                raise self.fail(
                    [*where, "document"],
                    f"unknown document '{document}'{suggest(document, DOCUMENTS)}; use one of {', '.join(DOCUMENTS)}",
                )
            for key in ("part", "note"):
                if key in entry and not isinstance(entry[key], str):
                    raise self.fail([*where, key], f"provenance {key} must be text")
            found.append(Source(document, entry.get("part", ""), entry.get("note", "")))
        return tuple(found)

    def section(self, raw, where: list, seen_fields: set[str]) -> Section:
        data = self.mapping(raw, where, "a section")
        self.keys(data, SECTION_KEYS, where, "a section")
        section_id = self.need(data, "id", where, "a section")
        if not isinstance(section_id, str) or not _NAME.match(section_id):
            raise self.fail([*where, "id"], f"section id '{section_id}' must be snake_case (a-z, 0-9, _)")
        what = f"section '{section_id}'"
        domain = data.get("domain")
        if domain is not None and domain not in DOMAINS:
            raise self.fail([*where, "domain"], f"{what}: unknown domain '{domain}'{suggest(domain, DOMAINS)}")
        pass_mark = data.get("pass_mark")
        if pass_mark is not None:
            if domain is None:
                raise self.fail([*where, "pass_mark"], f"{what}: pass_mark needs a domain")
            self.integer(pass_mark, [*where, "pass_mark"], "pass_mark", 0, 1000)
        required_at = data.get("required_at_step")
        if required_at is not None:
            self.integer(required_at, [*where, "required_at_step"], "required_at_step", 1, 8)
        raw_fields = self.need(data, "fields", where, what)
        if not isinstance(raw_fields, list) or not raw_fields:
            raise self.fail([*where, "fields"], f"{what}: fields must be a list with at least one field")
        built = []
        for index, raw_field in enumerate(raw_fields):
            fld = self.field(raw_field, [*where, "fields", index], table_column=False)
            if fld.name in seen_fields:
                raise self.fail(
                    [*where, "fields", index, "name"], f"field name '{fld.name}' is used twice in this form; rename one"
                )
            seen_fields.add(fld.name)
            self.earlier[fld.name] = fld
            built.append(fld)
        if pass_mark is not None:
            scored = sum(1 for f in built if f.type == "yes_no_na" and f.indicator)
            if pass_mark > scored:
                raise self.fail(
                    [*where, "pass_mark"], f"{what}: pass_mark {pass_mark} is more than its {scored} indicators"
                )
        return Section(
            id=section_id,
            title=self.text(self.need(data, "title", where, what), [*where, "title"], f"{what} title"),
            fields=tuple(built),
            required_at_step=required_at,
            instructions=self.optional_text(data.get("instructions"), [*where, "instructions"], "instructions"),
            domain=domain,
            pass_mark=pass_mark,
            na_if=self.optional_text(data.get("na_if"), [*where, "na_if"], "na_if"),
        )

    def field(self, raw, where: list, table_column: bool, siblings: dict[str, Field] | None = None) -> Field:
        """One field, or one column of a table (`siblings`: the columns before it, for `show_if`)."""
        data = self.mapping(raw, where, "a field")
        name = self.need(data, "name", where, "a field")
        if not isinstance(name, str) or not _NAME.match(name):
            raise self.fail([*where, "name"], f"field name '{name}' must be snake_case (a-z, 0-9, _)")
        what = f"field '{name}'"
        kind = self.need(data, "type", where, what)
        if kind not in FIELD_TYPES:
            raise self.fail([*where, "type"], f"{what}: unknown type '{kind}'{suggest(kind, FIELD_TYPES)}")
        if table_column and kind == "table":
            raise self.fail([*where, "type"], f"{what}: a table column cannot itself be a table")
        allowed = COMMON_FIELD_KEYS | FIELD_TYPES[kind] | ({"preset"} if kind == "table" else frozenset())
        for key in data:
            if key not in allowed:
                elsewhere = [t for t, keys in FIELD_TYPES.items() if key in keys]
                hint = suggest(key, allowed) or (f"; '{key}' belongs to type {elsewhere[0]}" if elsewhere else "")
                raise self.fail([*where, key], f"{what}: key '{key}' is not allowed for type {kind}{hint}")
        values: dict[str, Any] = {
            "name": name,
            "type": kind,
            "label": self.text(self.need(data, "label", where, what), [*where, "label"], f"{what} label"),
            "required": self.boolean(data.get("required", False), [*where, "required"], "required"),
            "help": self.optional_text(data.get("help"), [*where, "help"], "help"),
            "lines": 4 if kind == "long_text" else 1,
        }
        for key in ("lines", "digits", "rows"):
            if key in data:
                values[key] = self.integer(data[key], [*where, key], key, 1, 60)
        for key in ("min", "max"):
            if key in data:
                if not isinstance(data[key], (int, float)) or isinstance(data[key], bool):
                    raise self.fail([*where, key], f"{what}: {key} must be a number")
                values[key] = data[key]
        for key in ("past_only", "other", "thumbprint"):
            if key in data:
                values[key] = self.boolean(data[key], [*where, key], key)
        for key in ("unit", "role", "indicator"):
            if key in data:
                if not isinstance(data[key], str):
                    raise self.fail([*where, key], f"{what}: {key} must be text")
                values[key] = data[key]
        if kind in ("select_one", "select_many"):
            raw_choices = data.get("choices")
            if not isinstance(raw_choices, list) or not raw_choices:
                raise self.fail([*where], f"{what}: a {kind} field needs a list of choices")
            choices: list[Choice] = []
            for index, raw_choice in enumerate(raw_choices):
                at = [*where, "choices", index]
                choice = self.mapping(raw_choice, at, "a choice")
                self.keys(choice, frozenset({"value", "label"}), at, "a choice")
                value = self.need(choice, "value", at, "a choice")
                if not isinstance(value, str) or not _NAME.match(value):
                    raise self.fail(at, f"{what}: choice value '{value}' must be snake_case text")
                if any(c.value == value for c in choices):
                    raise self.fail(at, f"{what}: choice '{value}' is listed twice")
                choices.append(
                    Choice(value, self.text(self.need(choice, "label", at, "a choice"), [*at, "label"], "choice label"))
                )
            values["choices"] = tuple(choices)
        if kind == "table":
            raw_columns = data.get("columns")
            if not isinstance(raw_columns, list) or not raw_columns:
                raise self.fail([*where], f"{what}: a table needs a list of columns")
            columns: list[Field] = []
            for index, raw_column in enumerate(raw_columns):
                column = self.field(
                    raw_column, [*where, "columns", index], table_column=True, siblings={c.name: c for c in columns}
                )
                if any(c.name == column.name for c in columns):
                    raise self.fail([*where, "columns", index], f"{what}: column '{column.name}' is listed twice")
                columns.append(column)
            values["columns"] = tuple(columns)
            if "preset" in data:
                values["preset"] = self.preset(data["preset"], [*where, "preset"], what, values["columns"])
        elif "preset" in data:
            raise self.fail([*where, "preset"], f"{what}: preset rows belong to a table")
        if "na_if" in data:
            values["na_if"] = self.text(data["na_if"], [*where, "na_if"], f"{what} na_if")
        if "show_if" in data:
            known = (siblings or {}) if table_column else self.earlier
            values["show_if"] = self.condition(data["show_if"], [*where, "show_if"], what, known, table_column)
        if "applies" in data:
            applies = self.mapping(data["applies"], [*where, "applies"], "applies")
            self.keys(applies, APPLIES_KEYS, [*where, "applies"], "applies")
            if "sex" in applies and applies["sex"] not in ("female", "male"):
                raise self.fail([*where, "applies", "sex"], "applies.sex must be female or male")
            values["applies"] = dict(applies)
        if "min" in values and "max" in values and values["min"] > values["max"]:
            raise self.fail([*where, "min"], f"{what}: min is larger than max")
        return Field(**values)

    def condition(self, raw, where: list, what: str, known: dict[str, Field], column: bool) -> Condition:
        """`show_if: {field: answer}` or `{field: [answers]}`: the field is asked and printed only then."""
        data = self.mapping(raw, where, f"{what}: show_if")
        if not data:
            raise self.fail(where, f"{what}: show_if needs at least one field and its answer")
        found = []
        for name, wanted in data.items():
            other = known.get(name)
            if other is None:
                place = "an earlier column of the same table" if column else "a field of this form"
                raise self.fail(
                    [*where, name],
                    f"{what}: show_if refers to '{name}', which is not {place} before it{suggest(name, known)}",
                )
            if other.type not in CONDITION_TYPES:
                raise self.fail(
                    [*where, name],
                    f"{what}: show_if can test a yes/no or choice field, not '{name}' ({other.type})",
                )
            answers = wanted if isinstance(wanted, list) else [wanted]
            allowed = CONDITION_ANSWERS.get(other.type) or tuple(c.value for c in other.choices)
            normal = []
            for answer in answers:
                answer = {True: "yes", False: "no"}.get(answer, answer) if isinstance(answer, bool) else answer
                if not isinstance(answer, str) or answer not in allowed:
                    raise self.fail(
                        [*where, name],
                        f"{what}: '{answer}' is not an answer of '{name}'; use one of {', '.join(allowed)}",
                    )
                normal.append(answer)
            found.append((name, tuple(normal)))
        return tuple(found)

    def preset(self, raw, where: list, what: str, columns: tuple[Field, ...]) -> tuple[dict[str, Any], ...]:
        """Rows printed already written in on a blank form (a checklist's items, an agenda's points)."""
        if not isinstance(raw, list) or not raw:
            raise self.fail(where, f"{what}: preset must be a list of rows")
        by_name = {c.name: c for c in columns}
        rows = []
        for index, raw_row in enumerate(raw):
            at = [*where, index]
            row = self.mapping(raw_row, at, "a preset row")
            built: dict[str, Any] = {}
            for name, value in row.items():
                column = by_name.get(name)
                if column is None:
                    raise self.fail([*at, name], f"{what}: preset row has no column '{name}'{suggest(name, by_name)}")
                if column.type in ("text", "long_text"):
                    built[name] = self.text(value, [*at, name], f"{what}: preset '{name}'")
                elif column.type == "integer":
                    built[name] = self.integer(value, [*at, name], f"{what}: preset '{name}'")
                else:
                    raise self.fail([*at, name], f"{what}: a preset can fill text and integer columns only")
            rows.append(built)
        first = columns[0].name
        keys = [str(r.get(first, "")) if not isinstance(r.get(first), Text) else r[first].en for r in rows]
        if "" in keys or len(set(keys)) != len(keys):
            raise self.fail(where, f"{what}: every preset row needs its own value in the first column ('{first}')")
        return tuple(rows)


def shown(field: Field, answers: dict[str, Any]) -> bool:
    """Whether a field is asked, given the answers so far (by field name); True without `show_if`."""
    for name, wanted in field.show_if:
        value = answers.get(name)
        given = value if isinstance(value, (list, tuple)) else [value]
        normal = {("yes" if v else "no") if isinstance(v, bool) else str(v) for v in given if v is not None}
        if not normal & set(wanted):
            return False
    return True


def preset_key(field: Field, row: dict[str, Any]) -> str:
    """The first column's value of a row: how a recorded row is matched to its preset row."""
    value = row.get(field.columns[0].name) if field.columns else None
    return (value.en if isinstance(value, Text) else str(value)) if value is not None else ""


def _line_of(text: str, where: list) -> int | None:
    """The line (1-based) of a key path in a YAML text, found with ruamel's round-trip parser."""
    try:
        from ruamel.yaml import YAML
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        node = YAML(typ="rt").load(text)
    except Exception:  # noqa: BLE001 - positions are a courtesy; never fail because of them
        return None
    line = None
    for step in where:
        try:
            if isinstance(node, CommentedMap) and step in node:
                line = node.lc.key(step)[0] + 1
                node = node[step]
            elif isinstance(node, CommentedSeq) and isinstance(step, int) and step < len(node):
                line = node.lc.item(step)[0] + 1
                node = node[step]
            else:
                break
        except Exception:  # noqa: BLE001
            break
    return line


FIELD_NAMES = tuple(f.name for f in dc_fields(Field))
