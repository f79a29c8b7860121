"""Opaque identifiers for cases and records.

Ids are random, not counted: two laptops working offline cannot both invent
the same one without a shared counter (8 characters of a 32-letter alphabet
give 2^40 possibilities; a store of 10,000 cases meets a repeat about once in
200 million new cases, and cmtk re-draws when the id already exists locally).
The alphabet leaves out I, L, O and U so ids survive being read aloud or
copied by hand; input is case-insensitive and o/i/l are read as 0/1/1.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable

from cmtk.errors import UsageError

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CASE_ID_LENGTH = 8
RECORD_ID_LENGTH = 10
_CASE_ID = re.compile(rf"^[{ALPHABET}]{{{CASE_ID_LENGTH}}}$")
_RECORD_ID = re.compile(rf"^[{ALPHABET}]{{{RECORD_ID_LENGTH}}}$")
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _random(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def new_case_id(taken=lambda candidate: False) -> str:
    while True:
        candidate = _random(CASE_ID_LENGTH)
        if not taken(candidate):
            return candidate


def seeded_case_id(seed: str) -> str:
    """A stable id from a text (the demo's fictional children keep their ids from one workshop to the next)."""
    import hashlib

    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    return "".join(ALPHABET[b % 32] for b in digest[:CASE_ID_LENGTH])


def new_record_id() -> str:
    return _random(RECORD_ID_LENGTH)


def normalise_case_id(text: str) -> str:
    """Upper-case, drop spaces and dashes; refuse anything that is not an id (no paths)."""
    cleaned = str(text).strip().upper().replace("-", "").replace(" ", "").translate(_READ_AS)
    if not _CASE_ID.match(cleaned):
        shown = str(text)[:20]
        raise UsageError.of("case-id-format", shown=shown, case_id_length=CASE_ID_LENGTH)
    return cleaned


def normalise_record_id(text: str, what: str = "record", hint: str = "see `cmtk case show CASE`") -> str:
    """A record (or attachment) id as typed: forgiving like case ids; refuses anything else (no paths)."""
    cleaned = str(text).strip().upper().replace("-", "").replace(" ", "").translate(_READ_AS)
    if not _RECORD_ID.match(cleaned):
        raise UsageError.of(
            "record-id-format",
            text=str(text)[:20],
            article="an" if what[0] in "aeiou" else "a",
            what=what,
            record_id_length=RECORD_ID_LENGTH,
            hint=hint,
        )
    return cleaned


def is_record_id(text: str) -> bool:
    return bool(_RECORD_ID.match(text))


def is_case_id(text: str) -> bool:
    return bool(_CASE_ID.match(text))


def shard(case_id: str) -> str:
    """Case folders are sharded by their first two characters so git trees stay small."""
    return case_id[:2]


def one_off(case_id: str, known: Iterable[str]) -> list[str]:
    """Known case ids one typing slip away from `case_id`: one character wrong, or two neighbours swapped."""

    def slip(a: str, b: str) -> bool:
        if len(a) != len(b) or a == b:
            return False
        wrong = [i for i in range(len(a)) if a[i] != b[i]]
        swapped = (
            len(wrong) == 2 and wrong[1] == wrong[0] + 1 and a[wrong[0]] == b[wrong[1]] and a[wrong[1]] == b[wrong[0]]
        )
        return len(wrong) == 1 or swapped

    return sorted(k for k in known if slip(case_id, k))
