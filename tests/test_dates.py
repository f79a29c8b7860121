import datetime as dt

import pytest

from cmtk import dates
from cmtk.errors import UsageError, ValidationError


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-11-24", dt.date(2026, 11, 24)),
        ("24-11-2026", dt.date(2026, 11, 24)),
        ("24/11/2026", dt.date(2026, 11, 24)),
        ("4/1/2026", dt.date(2026, 1, 4)),
        ("10-02-2021", dt.date(2021, 2, 10)),  # the Handbook's worked example, day first
        ("29-02-2028", dt.date(2028, 2, 29)),
        (" 2026-01-05 ", dt.date(2026, 1, 5)),
    ],
)
def test_accepted_forms(text, expected):
    assert dates.parse_date(text) == expected


def test_month_first_store_reads_month_first():
    assert dates.parse_date("02/10/2021", order="MDY") == dt.date(2021, 2, 10)
    assert dates.parse_date("2021-02-10", order="MDY") == dt.date(2021, 2, 10)


@pytest.mark.parametrize("text", ["31-02-2026", "2026-13-01", "29-02-2027", "00-01-2026", "2026-02-30"])
def test_impossible_dates_name_field_and_fix(text):
    with pytest.raises(ValidationError) as caught:
        dates.parse_date(text, field="date_of_birth")
    message = str(caught.value)
    assert message.startswith("date_of_birth: ")
    assert "not a real calendar date" in message
    assert "YYYY-MM-DD" in message


@pytest.mark.parametrize("text", ["soon", "next month", "", "2026/11/24", "1-1-1-1"])
def test_non_dates(text):
    with pytest.raises(ValidationError, match="is not a date"):
        dates.parse_date(text, field="deadline")


def test_today_prefers_as_of_then_env(monkeypatch):
    monkeypatch.setenv("CMTK_TODAY", "01-03-2027")
    assert dates.today() == dt.date(2027, 3, 1)
    assert dates.today("2027-04-02") == dt.date(2027, 4, 2)
    monkeypatch.delenv("CMTK_TODAY")
    assert dates.today() == dt.date.today()


def test_bad_cmtk_today_is_a_usage_error(monkeypatch):
    monkeypatch.setenv("CMTK_TODAY", "yesterday")
    with pytest.raises(UsageError, match="CMTK_TODAY"):
        dates.today()


def test_format_local():
    assert dates.format_local(dt.date(2026, 3, 4)) == "04-03-2026"


def test_two_digit_year_says_write_it_in_full():
    with pytest.raises(ValidationError, match="two-digit year; write the year in full"):
        dates.parse_date("24/11/26", field="--date")
