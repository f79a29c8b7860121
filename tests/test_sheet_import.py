"""`cmtk case import-sheet`: a register in, every row checked first, one commit, duplicates held back."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers import git, invoke, use_store
from openpyxl import Workbook

from cmtk.casework import cases
from cmtk.index import sheet_import, summary

TODAY = dt.date(2026, 11, 24)
HEADINGS = ["First name", "Surname", "Sex", "Date of birth", "Notes"]


@pytest.fixture
def store(tmp_path, monkeypatch):
    return use_store(tmp_path, monkeypatch, TODAY.isoformat())


def _csv(tmp_path, rows, headings=HEADINGS, name="register.csv"):
    path = tmp_path / name
    path.write_text("\n".join(",".join(r) for r in [headings, *rows]) + "\n", encoding="utf-8")
    return path


def _xlsx(tmp_path, rows, headings=HEADINGS, name="register.xlsx", change=None):
    book = Workbook()
    sheet = book.active
    sheet.append(headings)
    for row in rows:
        sheet.append(row)
    if change:
        change(sheet)
    path = tmp_path / name
    book.save(path)
    return path


def _commits(store) -> int:
    return int(git(store.store.root, "rev-list", "--count", "HEAD"))


ROWS = [["Kito", "Ouma", "M", "03/02/2014", "likes football"], ["Akinyi", "Atieno", "F", "2013-05-06", ""]]


def test_a_csv_register_opens_every_child_in_one_commit(store, tmp_path):
    before = _commits(store)
    result = invoke(["case", "import-sheet", str(_csv(tmp_path, ROWS))])
    assert result.exit_code == 0, result.output
    assert "Opened 2 case(s) in one commit" in result.output and "unencrypted" in result.output
    assert _commits(store) == before + 1
    assert git(store.store.root, "log", "-1", "--format=%s").strip() == "import cases"
    found = summary.find_cases(store, "Kito Ouma")
    assert len(found) == 1
    bio = found[0].biographical
    assert bio["sex"] == "male" and bio["date_of_birth"] == dt.date(2014, 2, 3)  # M read as male; day first
    assert found[0].worker == "Amina Otieno" and found[0].opened == TODAY


def test_an_xlsx_register_with_real_dates(store, tmp_path):
    rows = [["Baraka", "Mwangi", "Male", dt.datetime(2015, 2, 28), None]]
    result = invoke(["case", "import-sheet", str(_xlsx(tmp_path, rows))])
    assert result.exit_code == 0, result.output
    assert summary.find_cases(store, "baraka")[0].biographical["date_of_birth"] == dt.date(2015, 2, 28)


def test_every_bad_row_is_named_and_nothing_is_written(store, tmp_path):
    before = _commits(store)
    rows = [*ROWS, ["", "Nameless", "F", "2014-01-01", ""], ["Zuri", "Wanjiku", "Girl", "31-02-2015", ""]]
    result = invoke(["case", "import-sheet", str(_csv(tmp_path, rows))])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert any(line.startswith("Error: row 4: ") for line in lines)
    assert any(line.startswith("Error: row 5: column 'Sex': 'Girl'") for line in lines)
    assert any(line.startswith("Error: row 5: column 'Date of birth'") for line in lines)
    assert lines[-1] == "Error: 3 problem(s) in the sheet; nothing was imported"
    assert _commits(store) == before and summary.find_cases(store, "kito") == []


def test_duplicates_are_shown_and_skipped_unless_kept(store, tmp_path):
    assert invoke(["case", "import-sheet", str(_csv(tmp_path, ROWS[:1]))]).exit_code == 0
    again = [["Kitto", "Ouma", "M", "03-02-2014", ""], ROWS[1], ["Akinyi", "Atieno", "F", "06/05/2013", ""]]
    result = invoke(["case", "import-sheet", str(_csv(tmp_path, again, name="second.csv"))])
    assert result.exit_code == 0, result.output
    assert "row 2: skipped, may be the same child as" in result.output  # close spelling, same birth date
    assert "row 4: skipped, may be the same child as row 3" in result.output  # twice in one sheet
    assert "Opened 1 case(s)" in result.output
    kept = invoke(["case", "import-sheet", str(_csv(tmp_path, again[:1], name="third.csv")), "--keep-duplicates"])
    assert "Opened 1 case(s)" in kept.output and len(summary.find_cases(store, "ouma")) == 2


def test_dry_run_writes_nothing(store, tmp_path):
    before = _commits(store)
    result = invoke(["case", "import-sheet", str(_csv(tmp_path, ROWS)), "--dry-run"])
    assert result.exit_code == 0 and "2 case(s) would be opened" in result.output
    assert _commits(store) == before


def test_empty_rows_are_skipped_and_counted(store, tmp_path):
    result = invoke(["case", "import-sheet", str(_csv(tmp_path, [ROWS[0], [",,,,"], ROWS[1]]))])
    assert result.exit_code == 0 and "1 empty row(s) skipped." in result.output


def test_a_map_written_from_the_headings_then_used(store, tmp_path):
    headings = ["Jina", "Surname", "Gender", "DOB", "Caseworker", "Remarks"]
    sheet = _csv(tmp_path, [["Kito", "Ouma", "M", "03/02/2014", "Amina Otieno", "x"]], headings)
    made = invoke(["case", "import-sheet", str(sheet), "--write-map", str(tmp_path / "map.yaml")])
    assert made.exit_code == 0, made.output
    text = (tmp_path / "map.yaml").read_text()
    assert '"Gender": biographical.sex' in text and '"DOB": biographical.date_of_birth' in text
    assert '"Caseworker": case.worker' in text
    text = text.replace('"Jina": ignore', '"Jina": biographical.first_name')
    (tmp_path / "map.yaml").write_text(text)
    result = invoke(["case", "import-sheet", str(sheet), "--map", str(tmp_path / "map.yaml")])
    assert result.exit_code == 0, result.output
    assert summary.find_cases(store, "kito")[0].biographical["first_name"] == "Kito"


def test_a_map_naming_an_unknown_field_is_refused(store, tmp_path):
    (tmp_path / "map.yaml").write_text('columns:\n  "First name": biographical.frist_name\n')
    result = invoke(["case", "import-sheet", str(_csv(tmp_path, ROWS)), "--map", str(tmp_path / "map.yaml")])
    assert result.exit_code == 1 and "'biographical.frist_name' is not a field" in result.output
    assert "did you mean" in result.output or "biographical.first_name" in result.output


def test_a_column_the_map_leaves_out_is_refused(store, tmp_path):
    (tmp_path / "map.yaml").write_text('columns:\n  "First name": biographical.first_name\n')
    result = invoke(["case", "import-sheet", str(_csv(tmp_path, ROWS)), "--map", str(tmp_path / "map.yaml")])
    assert result.exit_code == 1 and "column 'Surname' is not in the map" in result.output


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda s: s.merge_cells("A2:B2"), "are merged; unmerge every cell"),
        (lambda s: s.__setitem__("E2", "=1+1"), "cell E2 holds a formula"),
    ],
)
def test_merged_cells_and_formulas_are_refused(store, tmp_path, change, expected):
    before = _commits(store)
    path = _xlsx(tmp_path, [["Kito", "Ouma", "M", "2014-02-03", "x"]], change=change)
    result = invoke(["case", "import-sheet", str(path)])
    assert result.exit_code == 1 and expected in result.output and len(result.output.strip().splitlines()) == 1
    assert _commits(store) == before


def test_files_that_are_not_registers(store, tmp_path):
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4\n")
    (tmp_path / "fake.xlsx").write_text("First name,Surname\n")
    (tmp_path / "binary.csv").write_bytes(b"\0\1\2" * 100)
    (tmp_path / "empty.csv").write_bytes(b"")
    for name, expected in [
        ("scan.pdf", "not a .csv or .xlsx file"),
        ("fake.xlsx", "not an Excel (.xlsx) file that opens"),
        ("binary.csv", "not a text (CSV) file"),
        ("empty.csv", "the file is empty"),
        ("missing.csv", "no such file"),
    ]:
        result = invoke(["case", "import-sheet", str(tmp_path / name)])
        assert result.exit_code == 1 and expected in result.output, (name, result.output)


def test_too_many_rows_is_one_line(store, tmp_path):
    rows = [[f"Child{n}", "Ouma", "M", "2014-02-03", ""] for n in range(sheet_import.MAX_ROWS + 1)]
    result = invoke(["case", "import-sheet", str(_csv(tmp_path, rows))])
    assert result.exit_code == 1 and f"import at most {sheet_import.MAX_ROWS} at a time" in result.output


def test_five_hundred_rows_in_one_go(store, tmp_path):
    born = [dt.date(2010, 1, 1) + dt.timedelta(days=n) for n in range(500)]  # one child per birthday
    rows = [[f"Child{n:03d}", f"Family{n:03d}", "F", day.strftime("%d-%m-%Y"), ""] for n, day in enumerate(born)]
    result = invoke(["case", "import-sheet", str(_csv(tmp_path, rows))])
    assert result.exit_code == 0, result.output[-500:]
    assert "Opened 500 case(s)" in result.output
    assert len(store.store.case_ids()) == 500 and len({c for c in store.store.case_ids()}) == 500
    assert cases.read_case(store, store.store.case_ids()[0]).status == "open"
