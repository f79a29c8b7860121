"""Stable references for the rows of a form's tables (goals, actions, household members, action points...).

Every row of a table (`body.SECTION.FIELD` holding a list of mappings) carries a `ref`: six random
characters of the id alphabet, drawn when the row is first saved and never changed afterwards. Merges
match rows by it, so a row added on two laptops stays two rows and later work always lands on the row
it was made for (docs/sync.md). The numbers people see (goal 2, action 2.1) are labels kept beside it.

Rows written before refs existed get one derived from where they are (record id, table, label or
position): every laptop derives the same ref for the same row, so old records need no rewriting and
merge cleanly with new ones ("migrate on read"). An action row also names its goal by `goal_ref`.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from cmtk.store import ids

REF = "ref"
GOAL_REF = "goal_ref"
ROW_KEYS = (REF, GOAL_REF)  # keys every table row may carry beside the form's columns
REF_LENGTH = 6
_LABELS = ("action_id", "goal_id")  # the label columns older rows were matched by


def new_ref(taken: set[str] | frozenset[str] = frozenset()) -> str:
    while True:
        candidate = "".join(secrets.choice(ids.ALPHABET) for _ in range(REF_LENGTH))
        if candidate not in taken:
            return candidate


def derived_ref(record: str, section: str, field: str, key: str) -> str:
    """The ref every laptop gives an older row that has none (from its record, table and label or position)."""
    digest = hashlib.blake2b(f"{record}/{section}.{field}/{key}".encode(), digest_size=16).digest()
    return "".join(ids.ALPHABET[b % 32] for b in digest[:REF_LENGTH])


def is_ref(value: Any) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= 12 and all(c in ids.ALPHABET for c in value)


def tables(body: Any):
    """(section, field, rows) for every table of a body (a list of mappings one level below a section)."""
    if not isinstance(body, dict):
        return
    for section, fields in body.items():
        if not isinstance(fields, dict):
            continue
        for field, rows in fields.items():
            if isinstance(rows, list) and rows and all(isinstance(r, dict) for r in rows):
                yield str(section), str(field), rows


def migrate(body: Any, record: str) -> Any:
    """Give rows without a ref the one derived for them (in place; returns `body`)."""
    for section, field, rows in tables(body):
        used: set[str] = {str(r[REF]) for r in rows if REF in r}
        for position, row in enumerate(rows, start=1):
            if REF not in row:
                label = next((str(row[k]) for k in _LABELS if row.get(k) not in (None, "")), None)
                key = label if label is not None else f"#{position}"
                ref = derived_ref(record, section, field, key)
                if ref in used:
                    ref = derived_ref(record, section, field, f"{key}#{position}")
                row[REF] = ref
                used.add(ref)
            if field == "actions" and GOAL_REF not in row and row.get("goal_id") not in (None, ""):
                row[GOAL_REF] = derived_ref(record, section, "goals", str(row["goal_id"]))
    return body


def add_new_refs(body: Any) -> Any:
    """Random refs for rows saved for the first time, and for a row copied with another row's ref (in place)."""
    for _section, _field, rows in tables(body):
        used: set[str] = set()
        for row in rows:
            ref = row.get(REF)
            if not is_ref(ref) or ref in used:
                row[REF] = new_ref(used | {str(r.get(REF)) for r in rows})
            used.add(row[REF])
    return body


def row_key(row: Any) -> str | None:
    """What a merge matches a row by: its ref (every row read through cmtk has one)."""
    if isinstance(row, dict) and row.get(REF) not in (None, ""):
        return str(row[REF])
    return None
