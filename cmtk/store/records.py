"""The plaintext envelope of every record file.

A record decrypted with the `age` CLI alone is self-describing: format
version, case id, record id, form id, store key generation, dates, author,
then the body (section -> field -> value). After decrypting, cmtk checks the
ids against the path, so a record copied into another case is refused.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field, replace
from typing import Any

from cmtk.errors import RecordError
from cmtk.store import rows, yamlio

FORMAT = 1
_ENVELOPE_KEYS = (
    "cmtk_record",
    "case",
    "record",
    "form",
    "key_generation",
    "date",
    "created",
    "created_by",
    "updated",
    "updated_by",
    "body",
)


@dataclass(frozen=True)
class Record:
    case: str
    record: str
    form: str
    body: dict[str, Any]
    date: _dt.date | None = None
    created: str = ""
    created_by: str = ""
    updated: str | None = None
    updated_by: str | None = None
    key_generation: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def with_generation(self, generation: int) -> Record:
        return replace(self, key_generation=generation)


def envelope(record: Record) -> dict[str, Any]:
    """The record as the plain mapping it is stored as (a copy: merging and resolving may change it)."""
    import copy

    if record.date is not None and not isinstance(record.date, _dt.date):
        raise RecordError.of("record-date-wrong-type", record=record.record, type_name=type(record.date).__name__)
    data: dict[str, Any] = {
        "cmtk_record": FORMAT,
        "case": record.case,
        "record": record.record,
        "form": record.form,
        "key_generation": record.key_generation,
        "date": record.date,
        "created": record.created,
        "created_by": record.created_by,
    }
    if record.updated:
        data["updated"] = record.updated
        data["updated_by"] = record.updated_by
    data.update(record.extra)
    data["body"] = record.body
    return copy.deepcopy(data)


def encode(record: Record) -> bytes:
    return yamlio.dumps(envelope(record)).encode("utf-8")


def unpad(plaintext: bytes) -> bytes:
    """The plaintext without the padding lines `crypto.pad` adds (cmtk's YAML never has a line that starts
    with '#'), so that YAML never scans them."""
    cut = plaintext.find(b"\n#")
    if cut >= 0 and not plaintext[cut + 1 :].strip(b"# \n"):
        return plaintext[: cut + 1]
    return plaintext


def decode(plaintext: bytes, source: str) -> Record:
    return from_envelope(yamlio.loads(unpad(plaintext), source), source)


def from_envelope(data: Any, source: str) -> Record:
    """A record from its stored mapping, checked as strictly as when it is read from a file."""
    if not isinstance(data, dict) or data.get("cmtk_record") is None:
        raise RecordError.of("record-no-envelope", source=source)
    if data["cmtk_record"] != FORMAT:
        raise RecordError.of("record-format-unsupported", source=source, cmtk_record=data["cmtk_record"])
    for key in ("case", "record", "form", "key_generation", "body"):
        if key not in data:
            raise RecordError.of("record-envelope-missing-key", source=source, key=key)
    if not isinstance(data["body"], dict):
        raise RecordError.of("record-body-not-a-mapping", source=source)
    if not isinstance(data["key_generation"], int):
        raise RecordError.of("record-generation-not-number", source=source)
    date = data.get("date")
    if date is not None and not isinstance(date, _dt.date):
        raise RecordError.of("record-date-invalid", source=source)
    extra = {k: v for k, v in data.items() if k not in _ENVELOPE_KEYS}
    rows.migrate(data["body"], str(data["record"]))  # rows of older records get their derived refs
    return Record(
        case=str(data["case"]),
        record=str(data["record"]),
        form=str(data["form"]),
        body=data["body"],
        date=date,
        created=str(data.get("created") or ""),
        created_by=str(data.get("created_by") or ""),
        updated=data.get("updated"),
        updated_by=data.get("updated_by"),
        key_generation=data["key_generation"],
        extra=extra,
    )
