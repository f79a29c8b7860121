"""Opening many cases from a spreadsheet (`cmtk case import-sheet`): the way a CCI moves its register in.

A column map says which identification-form field each heading fills. Every
row is checked before anything is written: one line per problem, naming the
row, the column and the fix, and nothing is written unless every row passes.
Possible duplicates of children already in the store (or earlier in the same
sheet) are listed and skipped unless the user confirms them. The cases that
are written go into one commit.
"""

from __future__ import annotations

import csv
import datetime as _dt
import difflib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmtk import messages
from cmtk.casework import cases
from cmtk.errors import CmtkError, ValidationError
from cmtk.forms import definitions
from cmtk.index import summary
from cmtk.store import yamlio
from cmtk.store.records import Record
from cmtk.store.session import Session

MAX_ROWS = 5000  # more is a sign of the wrong sheet; a bigger register goes in by parts
MAX_BYTES = 20 * 1024 * 1024
IGNORE = "ignore"
CASE_TARGETS = {"case.worker": "the caseworker (a team member)", "case.opened": "the date the case was opened"}
# Headings registers often use, beyond the form's own labels.
ALIASES = {
    "caseworker": "case.worker", "case worker": "case.worker", "social worker": "case.worker", "worker": "case.worker",
    "date opened": "case.opened", "date of admission": "case.opened", "admission date": "case.opened",
    "dob": "biographical.date_of_birth", "birth date": "biographical.date_of_birth", "gender": "biographical.sex",
    "name": "biographical.first_name", "other name": "biographical.other_names", "last name": "biographical.surname",
    "family name": "biographical.surname",
}  # fmt: skip
# Short forms a sheet uses for a choice, offered in a guessed map.
VALUE_WORDS = {"biographical.sex": {"M": "male", "F": "female"}}
_DATE_CELL = (_dt.date, _dt.datetime)


class SheetProblems(ValidationError):
    """Every problem of every row, one line each (the CLI prints `lines`)."""

    def __init__(self, problems: list[str]) -> None:
        summary_line = messages.error_text("sheet-problems", count=len(problems))
        super().__init__(summary_line)
        self.code = "sheet-problems"
        self.lines = [*problems, summary_line]


@dataclass(frozen=True)
class Sheet:
    headings: list[str]
    rows: list[tuple[int, list[Any]]]  # (row number as the spreadsheet shows it, cells)
    empty_rows: int = 0


@dataclass(frozen=True)
class ColumnMap:
    columns: dict[str, str]  # heading -> "section.field", "case.worker", "case.opened" or "ignore"
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # target -> {sheet word: form value}
    unsure: list[str] = field(default_factory=list)  # headings a guessed map could only guess at


def map_for(sheet: Sheet, form: definitions.FormDef, path: Path | None) -> ColumnMap:
    """The map from --map; else one guessed from the headings, used only when every heading named a field
    exactly (a guess is never trusted with a child's data: `--write-map` shows it for checking)."""
    if path is not None:
        return load_map(path, form)
    guessed = guess_map(sheet.headings, form)
    if guessed.unsure:
        raise CmtkError.of("sheet-column-unsure", unsure=guessed.unsure[0][:40])
    return guessed


@dataclass
class Plan:
    """What an import would do: the cases to open, and the rows held back as possible duplicates."""

    cases: list[tuple[int, list[Record]]] = field(default_factory=list)
    duplicates: list[tuple[int, str]] = field(default_factory=list)  # (row, what it resembles)
    empty_rows: int = 0
    commit: str | None = None


# -- reading the file ---------------------------------------------------------------------------


def read_sheet(path: Path) -> Sheet:
    """The first worksheet of an .xlsx file, or a .csv file, as headings and rows of cells."""
    if not path.is_file():
        raise CmtkError.of("sheet-no-such-file", path=path)
    size = path.stat().st_size
    if size == 0:
        raise CmtkError.of("sheet-file-empty", path=path)
    if size > MAX_BYTES:
        raise CmtkError.of("sheet-too-large", path=path, max_bytes=MAX_BYTES // (1024 * 1024))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix == ".xlsx":
        return _read_xlsx(path)
    raise CmtkError.of("sheet-file-type", path=path)


def _read_csv(path: Path) -> Sheet:
    data = path.read_bytes()
    if b"\0" in data[:4096]:
        raise CmtkError.of("sheet-not-text", path=path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows
    dialect: type[csv.Dialect]
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    table = list(csv.reader(io.StringIO(text), dialect))
    return _table(path, table)


def _read_xlsx(path: Path) -> Sheet:
    import zipfile

    from openpyxl import load_workbook  # only this command reads Excel files

    try:
        book = load_workbook(path, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise CmtkError.of("sheet-xlsx-unreadable", path=path, type_name=type(error).__name__) from None
    sheet = book.worksheets[0]
    merged = list(sheet.merged_cells.ranges)
    if merged:
        raise CmtkError.of("sheet-merged-cells", path=path, coord=merged[0].coord)
    table: list[list[Any]] = []
    for row in sheet.iter_rows():
        cells = []
        for cell in row:
            if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith("=")):
                raise CmtkError.of("sheet-cell-formula", path=path, coordinate=cell.coordinate)
            cells.append(cell.value)
        table.append(cells)
    return _table(path, table)


def _table(path: Path, table: list[list[Any]]) -> Sheet:
    while table and _blank(table[-1]):
        table.pop()
    if not table:
        raise CmtkError.of("sheet-no-rows", path=path)
    headings = [str(h).strip() if h is not None else "" for h in table[0]]
    while headings and not headings[-1]:
        headings.pop()
    if not headings:
        raise CmtkError.of("sheet-no-headings", path=path)
    for number, heading in enumerate(headings, 1):
        if not heading:
            raise CmtkError.of("sheet-heading-missing", path=path, number=number)
    if len(set(headings)) != len(headings):
        twice = next(h for h in headings if headings.count(h) > 1)
        raise CmtkError.of("sheet-heading-twice", path=path, twice=twice[:40])
    rows, empty = [], 0
    for number, cells in enumerate(table[1:], 2):
        if _blank(cells):
            empty += 1
            continue
        rows.append((number, list(cells[: len(headings)]) + [None] * (len(headings) - len(cells))))
    if len(rows) > MAX_ROWS:
        raise CmtkError.of("sheet-too-many-rows", path=path, count=len(rows), max_rows=MAX_ROWS)
    return Sheet(headings, rows, empty)


def _blank(cells: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


# -- the column map -----------------------------------------------------------------------------


def targets(form: definitions.FormDef) -> dict[str, str]:
    """Every field a column can fill: "section.field" -> its English label."""
    found = {f"{s.id}.{f.name}": f.label.en for s, f in form.all_fields() if f.answers and f.type != "table"}
    return {**found, **CASE_TARGETS}


def guess_map(headings: list[str], form: definitions.FormDef) -> ColumnMap:
    """A starting map: each heading to the field whose id or label it resembles most, else `ignore`."""
    choices = targets(form)
    by_word: dict[str, str] = {}
    for target, label in choices.items():
        by_word[_word(target.split(".")[1])] = target
        by_word[_word(label)] = target
    by_word.update(ALIASES)
    columns = {}
    for heading in headings:
        exact = by_word.get(_word(heading))
        close = difflib.get_close_matches(_word(heading), list(by_word), n=1, cutoff=0.6)
        columns[heading] = exact or (by_word[close[0]] if close else IGNORE)
    values = {target: words for target, words in VALUE_WORDS.items() if target in columns.values()}
    return ColumnMap(columns, values, unsure=[h for h in headings if by_word.get(_word(h)) is None])


def _word(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.casefold()).strip()


def map_text(column_map: ColumnMap, form: definitions.FormDef) -> str:
    """The map as a YAML file a person edits: one line per heading, the fields listed for reference."""
    lines = [
        "# Which field of the identification form each column of the sheet fills.",
        "# Write `ignore` for a column to leave out. Fields you can use are listed at the end.",
        "columns:",
    ]
    lines += [f"  {_quote(h)}: {t}" for h, t in column_map.columns.items()]
    lines += ["# Words in the sheet that mean one of a field's choices:"]
    if column_map.values:
        lines += ["values:"] + [
            f"  {target}: {{{', '.join(f'{_quote(a)}: {b}' for a, b in words.items())}}}"
            for target, words in column_map.values.items()
        ]
    else:
        lines += ["# values:", "#   biographical.sex: {M: male, F: female}"]
    lines += ["#", "# Fields:"]
    lines += [f"#   {t}: {label}" for t, label in targets(form).items()]
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def load_map(path: Path, form: definitions.FormDef) -> ColumnMap:
    if not path.is_file():
        raise CmtkError.of("map-not-found", path=path)
    data = yamlio.loads(path.read_text("utf-8"), str(path))
    if not isinstance(data, dict) or not isinstance(data.get("columns"), dict):
        raise CmtkError.of("map-columns-format", path=path)
    allowed = targets(form)
    columns = {}
    for heading, target in data["columns"].items():
        target = str(target).strip()
        if target != IGNORE and target not in allowed:
            hint = definitions.suggest(target, list(allowed))
            raise CmtkError.of(
                "map-target-unknown", path=path, heading=str(heading)[:40], target=target[:40], hint=hint
            )
        columns[str(heading)] = target
    values = data.get("values") or {}
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise CmtkError.of("map-values-format", path=path)
    return ColumnMap(columns, {str(k): {str(a): str(b) for a, b in v.items()} for k, v in values.items()})


# -- checking and writing -----------------------------------------------------------------------


def plan_import(
    session: Session,
    sheet: Sheet,
    column_map: ColumnMap,
    *,
    today: _dt.date,
    keep_duplicates: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Plan:
    """Check every row; return the cases to open. Raises one error listing every problem (row, column, fix)."""
    unmapped = [h for h in sheet.headings if h not in column_map.columns]
    if unmapped:
        raise CmtkError.of("sheet-column-unmapped", unmapped=unmapped[0][:40])
    problems: list[str] = []
    plan = Plan(empty_rows=sheet.empty_rows)
    known = _known_children(session)
    taken: set[str] = set()
    for done, (number, cells) in enumerate(sheet.rows, 1):
        body, worker, opened = _row_body(sheet.headings, cells, column_map)
        try:
            records = cases.intake_records(session, body, worker=worker, date=opened, today=today, taken=taken)
        except cases.InvalidRecord as invalid:
            problems += [f"row {number}: {_column_of(f.where, column_map)}{f.message}" for f in invalid.findings]
            continue
        except CmtkError as error:
            problems.append(f"row {number}: {error.message}")
            continue
        bio = records[1].body.get("biographical") or {}
        resembles = _resembles(bio, known)
        if resembles and not keep_duplicates:
            plan.duplicates.append((number, resembles))
        else:
            plan.cases.append((number, records))
        known.add(f"row {number}", cases.name_key(bio), bio.get("date_of_birth"))
        if progress:
            progress(done, len(sheet.rows))
    if problems:
        raise SheetProblems(problems)
    return plan


def write(session: Session, plan: Plan) -> str | None:
    """Every planned case in one commit."""
    records = [r for _, rows in plan.cases for r in rows]
    plan.commit = session.save(None, records, "import") if records else None
    return plan.commit


def _row_body(headings: list[str], cells: list[Any], column_map: ColumnMap) -> tuple[dict, str | None, Any]:
    body: dict[str, dict[str, Any]] = {}
    worker = opened = None
    for heading, value in zip(headings, cells, strict=True):
        target = column_map.columns[heading]
        if target == IGNORE or value is None or (isinstance(value, str) and not value.strip()):
            continue
        if isinstance(value, _dt.datetime):
            value = value.date()
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, _DATE_CELL) and not isinstance(value, int | float):
            value = str(value).strip()
        words = column_map.values.get(target)
        if words and str(value) in words:
            value = words[str(value)]
        if target == "case.worker":
            worker = str(value)
        elif target == "case.opened":
            opened = value
        else:
            section, name = target.split(".", 1)
            body.setdefault(section, {})[name] = value
    return body, worker, opened


def _column_of(source: str, column_map: ColumnMap) -> str:
    """'identification: biographical.first_name' -> "column 'First name': " when a column fills it."""
    where = source.split(": ", 1)[1] if ": " in source else ""
    for heading, target in column_map.columns.items():
        if where and (where == target or where.startswith(target)):
            return f"column '{heading[:40]}': "
    return f"{where}: " if where else ""


def _known_children(session: Session) -> Known:
    """Every child in the store, from the summary index."""
    known = Known()
    for case_id, row in summary.load(session).items():
        known.add(case_id, row.get("namekey") or "", row.get("born"))
    return known


def _resembles(bio: dict, known: Known) -> str | None:
    """The case (or earlier row) this child may already be: the same birth date (or none on either side)
    and the same names, or names each one slip of spelling away ("Kitto" for "Kito")."""
    key = cases.name_key(bio)
    if not key:
        return None
    born = bio.get("date_of_birth")
    born_text = born.isoformat() if isinstance(born, _dt.date) else None
    candidates = known.by_born.get(born_text, []) + known.by_born.get(None, []) if born_text else known.everyone
    words = key.split()
    for where, other_key in candidates:
        other = other_key.split()
        if other_key == key or (
            len(other) == len(words)
            and all(difflib.SequenceMatcher(None, a, b).ratio() >= 0.8 for a, b in zip(words, other, strict=True))
        ):
            return where
    return None


@dataclass
class Known:
    """Children already in the store or earlier in the sheet, grouped by birth date for a quick look-up."""

    by_born: dict[str | None, list[tuple[str, str]]] = field(default_factory=dict)
    everyone: list[tuple[str, str]] = field(default_factory=list)

    def add(self, where: str, key: str, born: Any) -> None:
        born_text = born.isoformat() if isinstance(born, _dt.date) else (str(born) if born else None)
        self.by_born.setdefault(born_text, []).append((where, key))
        self.everyone.append((where, key))
