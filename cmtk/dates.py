"""Dates as people in Kenyan offices write them, and the clock.

ISO `YYYY-MM-DD` is always accepted. Day-first `DD-MM-YYYY` and `DD/MM/YYYY`
are accepted as the store's local order (settings `date_order: DMY`); a store
set to `MDY` reads `MM/DD/YYYY` instead. Today comes from `--as-of`, else
`CMTK_TODAY`, else the system clock, so tests and trainers can fix it.
"""

from __future__ import annotations

import datetime as _dt
import os
import re

from cmtk.errors import UsageError, ValidationError

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_LOCAL = re.compile(r"^(\d{1,2})([-/.])(\d{1,2})\2(\d{4})$")

DATE_ORDERS = ("DMY", "MDY")


def parse_date(text: object, *, field: str = "date", order: str = "DMY") -> _dt.date:
    """Parse one date; the error names `field` and shows the accepted forms."""
    if isinstance(text, _dt.datetime):
        return text.date()
    if isinstance(text, _dt.date):
        return text
    raw = str(text).strip() if text is not None else ""
    hint = "write it as YYYY-MM-DD or DD-MM-YYYY" if order == "DMY" else "write it as YYYY-MM-DD or MM/DD/YYYY"
    match = _ISO.match(raw)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _LOCAL.match(raw)
        if not match and re.match(r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{2}$", raw):
            raise ValidationError.of("date-two-digit-year", field=field, raw=raw)
        if not match:
            shown = raw if len(raw) <= 20 else raw[:17] + "..."
            raise ValidationError.of("date-format", field=field, shown=shown, hint=hint)
        first, _, second, year_text = match.groups()
        year = int(year_text)
        if order == "MDY":
            month, day = int(first), int(second)
        else:
            day, month = int(first), int(second)
    try:
        return _dt.date(year, month, day)
    except ValueError:
        raise ValidationError.of(
            "date-not-real", field=field, raw=raw, day=day, month=month, year=year, hint=hint
        ) from None


def format_local(value: _dt.date, order: str = "DMY") -> str:
    """The store's local written form, e.g. 24-11-2026."""
    if order == "MDY":
        return value.strftime("%m/%d/%Y")
    return value.strftime("%d-%m-%Y")


def parse_option_date(text: object, *, option: str, order: str = "DMY") -> _dt.date:
    """A date given on the command line (`--date`, `--as-of`...): a malformed one is a usage error, exit 2.
    The same mistake inside a record file is invalid input, exit 1 (parse_date)."""
    try:
        return parse_date(text, field=option, order=order)
    except ValidationError as error:
        raise UsageError.like(error) from None


def today(as_of: str | _dt.date | None = None, *, order: str = "DMY") -> _dt.date:
    """`--as-of` wins, then `CMTK_TODAY`, then the system clock."""
    if as_of is not None:
        return parse_option_date(as_of, option="--as-of", order=order)
    fixed = os.environ.get("CMTK_TODAY")
    if fixed:
        try:
            return parse_date(fixed, field="CMTK_TODAY", order=order)
        except ValidationError as error:
            raise UsageError.like(error) from None
    return _dt.date.today()


def real_today() -> _dt.date:
    """The computer's own date, whatever CMTK_TODAY or --as-of say."""
    return _dt.date.today()


def faked() -> str | None:
    """The CMTK_TODAY setting, when one is in force."""
    return os.environ.get("CMTK_TODAY") or None


def after_real_today(day: _dt.date | _dt.datetime | None) -> bool:
    """Whether a date (or a UTC timestamp) lies after the computer's own date: a faked clock left set."""
    if isinstance(day, _dt.datetime):
        day = day.astimezone().date()  # the computer's own time zone, like real_today()
    return isinstance(day, _dt.date) and day > real_today()


def now_utc() -> _dt.datetime:
    """A timestamp for records. Under CMTK_TODAY it keeps that day but the real time of day, so records
    made in one session still sort in the order they were made."""
    now = _dt.datetime.now(_dt.UTC)
    fixed = os.environ.get("CMTK_TODAY")
    if fixed:
        day = today()
        return now.replace(year=day.year, month=day.month, day=day.day)
    return now


DURATION_UNITS = ("hours", "days", "weeks", "months", "years")


def add_duration(day: _dt.date, duration: dict, sign: int = 1) -> _dt.date:
    """A date plus a policy duration like {months: 2} or {days: 14}.

    Month ends are clamped: 31 Jan + 1 month = 28/29 Feb.
    """
    unknown = set(duration) - set(DURATION_UNITS)
    if unknown or not duration:
        raise ValidationError.of("policy-duration", duration=duration, duration_units=", ".join(DURATION_UNITS))
    months = int(duration.get("months", 0)) + 12 * int(duration.get("years", 0))
    if months:
        month_index = day.month - 1 + sign * months
        year = day.year + month_index // 12
        month = month_index % 12 + 1
        last = (_dt.date(year + (month == 12), month % 12 + 1, 1) - _dt.timedelta(days=1)).day
        day = _dt.date(year, month, min(day.day, last))
    hours = int(duration.get("hours", 0))
    days = int(duration.get("days", 0)) + 7 * int(duration.get("weeks", 0)) + (hours + 23) // 24
    return day + sign * _dt.timedelta(days=days)


def describe_duration(duration: dict) -> str:
    return ", ".join(f"{value} {unit if value != 1 else unit[:-1]}" for unit, value in duration.items())
