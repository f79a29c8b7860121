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
        raise CmtkError.of("history-too-early", day=day.isoformat())
    listing = git.run("ls-tree", "-r", commit, "--", f"{_case_path(case_id)}/")
    paths = [line.split("\t", 1)[1] for line in listing.splitlines() if line.endswith(".age")]
    paths = [p for p in paths if not is_attachment_path(p)]  # attached files are not records
    if not paths:
        raise CmtkError.of("case-not-yet-opened", case_id=case_id, day=day.isoformat())
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
    merge: bool = False  # a merge commit: it combined two copies' changes to this record

    def __str__(self) -> str:
        head = f"{self.when}  {self.author:<16} {self.form:<24}"
        if self.merge:
            return f"{head} [merge] {self.new} (record {self.record})"
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


MERGED = "merged changes made on two copies"


def field_changes(session: Session, case_id: str, form_id: str | None = None) -> list[Change]:
    """Every change to the case's records, each from the commit that made it (issue 21, item 7).

    A commit is compared with its own parent, never with whatever commit git lists before it: after a
    sync, the commits of two laptops interleave, and comparing across them showed changes nobody made.
    A merge commit shows only as a merge, for each record it combined from both sides (the changes it
    brought in are shown at the commits that made them)."""
    git = session.store.git
    folder = _case_path(case_id)
    if not session.store.has_case(case_id) and not git.run("log", "-1", "--format=%H", "--", folder):
        raise CmtkError.of("history-no-such-case", case_id=case_id)
    # -c: for a merge, only the records that differ from every parent (the ones the merge itself combined)
    log = git.run(
        "log",
        "--reverse",
        "--topo-order",
        "--full-history",
        "-c",
        f"--format=@{_SEP}%H{_SEP}%P{_SEP}%an{_SEP}%aI",
        "--name-only",
        "--",
        folder,
    )
    touched: list[tuple[str, list[str], str, str, str]] = []  # commit, parents, author, when, path
    commit = author = when = ""
    parents: list[str] = []
    for line in log.splitlines():
        if line.startswith("@" + _SEP):
            _, commit, parent_text, author, when = line.split(_SEP)
            parents = parent_text.split()
        elif line.strip().endswith(".age") and not is_attachment_path(line.strip()):
            touched.append((commit, parents, author, when, line.strip()))
    specs = [f"{c}:{p}" for c, _, _, _, p in touched]
    specs += [f"{parent}:{p}" for _, ps, _, _, p in touched for parent in ps]
    blobs = dict(zip(specs, git.cat_files(specs), strict=False))
    opened: dict[bytes, records.Record] = {}

    def version(spec: str) -> records.Record | None:
        blob = blobs.get(spec)
        if blob is None:
            return None
        if blob not in opened:
            opened[blob] = _decode(session, blob, spec.split(":", 1)[1])
        return opened[blob]

    changes: list[Change] = []
    for commit, parents, author, when, path in touched:
        stamp = when[:16].replace("T", " ")
        after = version(f"{commit}:{path}")
        before = [version(f"{parent}:{path}") for parent in parents]
        shown = after or next((b for b in before if b is not None), None)
        if shown is None or (form_id is not None and shown.form != form_id):
            continue
        if len(parents) > 1:
            if after is not None and all(b is None or _content(b) != _content(after) for b in before):
                changes.append(Change(stamp, author, after.form, after.record, None, new=MERGED, merge=True))
            continue
        previous = before[0] if before else None
        if after is None:
            if previous is not None:
                changes.append(Change(stamp, author, previous.form, previous.record, None, new="removed"))
            continue
        if previous is None:
            what = "opened the case file" if after.form == CASE_FILE else "recorded"
            changes.append(Change(stamp, author, after.form, after.record, None, new=what))
            continue
        old, new = flatten(previous.body), flatten(after.body)
        for key in sorted(set(old) | set(new), key=lambda k: (k not in old, k)):
            if old.get(key) != new.get(key):
                changes.append(Change(stamp, author, after.form, after.record, key, old.get(key), new.get(key)))
        logged = list(after.extra.get(VOID_LOG) or [])[len(previous.extra.get(VOID_LOG) or []) :]
        for entry in logged:  # voided or restored: who, when and why stay in the record and in history
            what = "voided" if entry.get("what") == "void" else "restored"
            changes.append(Change(stamp, author, after.form, after.record, None, new=f"{what}: {entry.get('reason')}"))
    return changes


def _content(record: records.Record) -> tuple:
    """What a merge can change: the body and the listed conflicts (not the store key it is sealed with)."""
    return record.body, record.extra.get("conflicts")
