"""A case's past, read from git: field-level changes, and the case as it stood on a day.

Blob contents come from one `git cat-file --batch` per command, decrypted in
memory; nothing decrypted is written anywhere.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from cmtk.casework.cases import CASE_FILE, VOID_LOG, Case, CaseOverview, from_records, read_case
from cmtk.errors import CmtkError
from cmtk.store import crypto, ids, records
from cmtk.store.session import CASES_DIR, Session, is_attachment_path

_SEP = "\x1f"


def _case_path(case_id: str) -> str:
    return f"{CASES_DIR}/{ids.shard(case_id)}/{case_id}"


def _decode(session: Session, data: bytes, source: str) -> records.Record:
    plaintext = crypto.decrypt(data, [k.identity for k in session.all_keys()], source)
    return records.decode(plaintext, source)


def overview(session: Session, case_id: str, *, at: _dt.date | None = None, full: bool = False) -> CaseOverview:
    """The case as it is now, or (`at`) as it stood at the end of that day."""
    return CaseOverview(case_at(session, case_id, at) if at else read_case(session, case_id), at, full)


def case_at(session: Session, case_id: str, day: _dt.date) -> Case:
    """The case's records as committed by the end of `day`."""
    git = session.store.git
    until = (day + _dt.timedelta(days=1)).isoformat()
    commit = git.run("rev-list", "-1", f"--before={until}T00:00:00", "HEAD")
    if not commit:
        raise CmtkError(f"the store has no history before the end of {day.isoformat()}")
    listing = git.run("ls-tree", "-r", commit, "--", f"{_case_path(case_id)}/")
    paths = [line.split("\t", 1)[1] for line in listing.splitlines() if line.endswith(".age")]
    paths = [p for p in paths if not is_attachment_path(p)]  # attached files are not records
    if not paths:
        raise CmtkError(f"case {case_id} did not exist yet at the end of {day.isoformat()}")
    blobs = git.cat_files([f"{commit}:{path}" for path in paths])
    found = [_decode(session, blob, path) for path, blob in zip(paths, blobs, strict=False) if blob is not None]
    found.sort(key=lambda r: (r.date or _dt.date(1900, 1, 1), r.created, r.record))
    return from_records(case_id, found)


@dataclass(frozen=True)
class Change:
    when: str
    author: str
    form: str
    record: str
    field: str | None
    old: Any = None
    new: Any = None

    def __str__(self) -> str:
        head = f"{self.when}  {self.author:<16} {self.form:<24}"
        if self.field is None:
            return f"{head} {self.new} (record {self.record})"
        return f"{head} {self.field}: {_show(self.old)} -> {_show(self.new)}"


def _show(value: Any) -> str:
    if value is None:
        return "(empty)"
    text = value.isoformat() if isinstance(value, _dt.date) else str(value)
    text = text.replace("\n", " / ")
    return repr(text if len(text) <= 60 else text[:57] + "...")


def flatten(body: Any, prefix: str = "") -> dict[str, Any]:
    """`section.field` (and `section.table[2].column`) -> value."""
    flat: dict[str, Any] = {}
    if isinstance(body, dict):
        for key, value in body.items():
            flat.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(body, list) and any(isinstance(item, (dict, list)) for item in body):
        for index, item in enumerate(body, start=1):
            flat.update(flatten(item, f"{prefix}[{index}]"))
    else:
        flat[prefix] = body
    return flat


def field_changes(session: Session, case_id: str, form_id: str | None = None) -> list[Change]:
    git = session.store.git
    folder = _case_path(case_id)
    if not session.store.has_case(case_id) and not git.run("log", "-1", "--format=%H", "--", folder):
        raise CmtkError(f"no case {case_id} in this store or its history; see `cmtk case list`")
    log = git.run("log", "--reverse", f"--format=@{_SEP}%H{_SEP}%an{_SEP}%aI", "--name-only", "--", folder)
    touched: list[tuple[str, str, str, str]] = []
    commit = author = when = ""
    for line in log.splitlines():
        if line.startswith("@" + _SEP):
            _, commit, author, when = line.split(_SEP)
        elif line.strip().endswith(".age") and not is_attachment_path(line.strip()):
            touched.append((commit, author, when, line.strip()))
    blobs = git.cat_files([f"{c}:{p}" for c, _, _, p in touched])
    last: dict[str, records.Record] = {}
    changes: list[Change] = []
    for (_commit, author, when, path), blob in zip(touched, blobs, strict=False):
        stamp = when[:16].replace("T", " ")
        before = last.get(path)
        if blob is None:
            if before is not None and (form_id is None or before.form == form_id):
                changes.append(Change(stamp, author, before.form, before.record, None, new="removed"))
            last.pop(path, None)
            continue
        after = _decode(session, blob, path)
        last[path] = after
        if form_id is not None and after.form != form_id:
            continue
        if before is None:
            what = "opened the case file" if after.form == CASE_FILE else "recorded"
            changes.append(Change(stamp, author, after.form, after.record, None, new=what))
            continue
        old, new = flatten(before.body), flatten(after.body)
        for key in sorted(set(old) | set(new), key=lambda k: (k not in old, k)):
            if old.get(key) != new.get(key):
                changes.append(Change(stamp, author, after.form, after.record, key, old.get(key), new.get(key)))
        logged = list(after.extra.get(VOID_LOG) or [])[len(before.extra.get(VOID_LOG) or []) :]
        for entry in logged:  # voided or restored: who, when and why stay in the record and in history
            what = "voided" if entry.get("what") == "void" else "restored"
            changes.append(Change(stamp, author, after.form, after.record, None, new=f"{what}: {entry.get('reason')}"))
    return changes
