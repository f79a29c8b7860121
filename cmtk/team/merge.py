"""Three-way merge of one record's decrypted content, field by field (store.md, invariant 10).

Pure functions over the decoded envelope (plain dicts, lists and scalars):
git never sees plaintext and never writes conflict markers into ciphertext.

- A field changed on one side only takes that side's value.
- Lists of rows with an id (`goal_id`, `action_id`, `id`) are merged row by
  row; two rows added on both sides with the same id both stay (the second is
  given the next free id, and the rows that refer to it follow).
- Other lists that both sides only appended to keep both additions.
- A field changed differently on both sides is a conflict: the record keeps
  the value of the side updated last (a rule both laptops apply alike, so two
  people who merge the same pair get the same record) and lists the other
  value under `conflicts`, for `cmtk conflicts` and `cmtk resolve`.
"""

from __future__ import annotations

import copy
import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Any

from cmtk.store import rows

CONFLICTS = "conflicts"
ID_KEYS = ("ref", "action_id", "goal_id", "id")  # a row's ref first (cmtk.store.rows); labels of older rows
# Envelope keys that merging never treats as a conflict.
_LATEST_WINS = ("updated", "updated_by")
_SET_ON_WRITE = ("key_generation",)
_MISSING = object()


@dataclass
class Merged:
    content: dict[str, Any]
    new_conflicts: list[dict[str, Any]] = field(default_factory=list)


def merge_record(base: dict | None, ours: dict, theirs: dict) -> Merged:
    """Merge two versions of one record envelope that share `base` (None: both added it)."""
    base, ours, theirs = (_with_refs(e) for e in (base or {}, ours, theirs))
    ours_newer = _stamp(ours) >= _stamp(theirs)
    labels = (_label(ours), _label(theirs)) if ours_newer else (_label(theirs), _label(ours))
    state = _State(ours_newer=ours_newer, labels=labels)
    content: dict[str, Any] = {}
    keys = _ordered_keys(ours, theirs)
    for key in keys:
        if key == CONFLICTS:
            continue
        if key in _SET_ON_WRITE:
            content[key] = max(ours.get(key, 0), theirs.get(key, 0))
        elif key in _LATEST_WINS:
            newest = ours if ours_newer else theirs
            if key in newest:
                content[key] = newest[key]
            elif key in ours or key in theirs:
                content[key] = ours.get(key, theirs.get(key))
        else:
            value = state.merge(base.get(key, _MISSING), ours.get(key, _MISSING), theirs.get(key, _MISSING), key)
            if value is not _MISSING:
                content[key] = value
    conflicts = _merge_conflict_lists(base.get(CONFLICTS), ours.get(CONFLICTS), theirs.get(CONFLICTS)) + state.conflicts
    if conflicts:
        body = content.pop("body", None)
        content[CONFLICTS] = conflicts
        if body is not None:
            content["body"] = body
    return Merged(content, state.conflicts)


class _State:
    def __init__(self, ours_newer: bool, labels: tuple[str, str] = ("", "")) -> None:
        self.ours_newer = ours_newer
        self.labels = labels  # who saved the kept value and the other one, and when
        self.conflicts: list[dict[str, Any]] = []

    def merge(self, base: Any, ours: Any, theirs: Any, where: str) -> Any:
        if _same(ours, theirs):
            return ours
        if _same(base, ours):
            return theirs
        if _same(base, theirs):
            return ours
        if isinstance(ours, dict) and isinstance(theirs, dict):
            old = base if isinstance(base, dict) else {}
            merged: dict[str, Any] = {}
            for key in _ordered_keys(ours, theirs):
                value = self.merge(
                    old.get(key, _MISSING), ours.get(key, _MISSING), theirs.get(key, _MISSING), f"{where}.{key}"
                )
                if value is not _MISSING:
                    merged[key] = value
            return merged
        if isinstance(ours, list) and isinstance(theirs, list):
            old_rows = base if isinstance(base, list) else []
            merged_list = self._merge_list(old_rows, ours, theirs, where)
            if merged_list is not None:
                return merged_list
        return self._conflict(ours, theirs, where)

    def _conflict(self, ours: Any, theirs: Any, where: str) -> Any:
        kept, other = (ours, theirs) if self.ours_newer else (theirs, ours)
        entry = {"field": where, "kept": _plain(kept), "other": _plain(other)}
        if any(self.labels):
            entry.update(kept_by=self.labels[0], other_by=self.labels[1])
        self.conflicts.append(entry)
        return kept

    def _merge_list(self, base: list, ours: list, theirs: list, where: str) -> list | None:
        key = _id_key(base + ours + theirs)
        if key is not None:
            return self._merge_rows(key, base, ours, theirs, where)
        if _starts_with(ours, base) and _starts_with(theirs, base):
            added = ours[len(base) :] + [
                item for item in theirs[len(base) :] if not any(_same(item, o) for o in ours[len(base) :])
            ]
            return base + _by_date(added)
        return None

    def _merge_rows(self, key: str, base: list, ours: list, theirs: list, where: str) -> list:
        old = {str(row[key]): row for row in base}
        mine = {str(row[key]): row for row in ours}
        other = {str(row[key]): row for row in theirs}
        result: list[dict] = []
        for row in ours:
            ident = str(row[key])
            if ident in other:
                result.append(self.merge(old.get(ident, _MISSING), row, other[ident], f"{where}[{ident}]"))
            elif not (ident in old and _same(old[ident], row)):  # else: deleted on their side, unchanged on ours
                result.append(row)
        for row in theirs:
            ident = str(row[key])
            if ident not in mine and not (ident in old and _same(old[ident], row)):
                result.append(row)
        return result


def _with_refs(envelope: dict) -> dict:
    """The envelope with every table row carrying its ref (older rows get the one derived for them)."""
    if isinstance(envelope.get("body"), dict) and envelope.get("record") is not None:
        envelope = {**envelope, "body": rows.migrate(copy.deepcopy(envelope["body"]), str(envelope["record"]))}
    return envelope


def _id_key(rows: list) -> str | None:
    if not rows or not all(isinstance(r, dict) for r in rows):
        return None
    for key in ID_KEYS:
        if all(key in r for r in rows):
            return key
    return None


def _starts_with(items: list, prefix: list) -> bool:
    return len(items) >= len(prefix) and all(_same(a, b) for a, b in zip(items, prefix, strict=False))


def _by_date(rows: list) -> list:
    """Rows both sides appended, in date order when every row has a date (case-file events)."""
    if rows and all(isinstance(r, dict) and isinstance(r.get("date"), _dt.date) for r in rows):
        return sorted(rows, key=lambda r: r["date"])
    return rows


def _same(a: Any, b: Any) -> bool:
    if a is _MISSING or b is _MISSING:
        return a is b
    return (
        type(a) is type(b) and a == b if not (isinstance(a, (int, float)) and isinstance(b, (int, float))) else a == b
    )


def _plain(value: Any) -> Any:
    return None if value is _MISSING else value


def _ordered_keys(ours: dict, theirs: dict) -> list[str]:
    return list(ours) + [k for k in theirs if k not in ours]


def _label(envelope: dict) -> str:
    who = envelope.get("updated_by") or envelope.get("created_by") or ""
    when = str(envelope.get("updated") or envelope.get("created") or "")[:10]
    return ", ".join(part for part in (str(who), when) if part)


def _stamp(envelope: dict) -> str:
    return str(envelope.get("updated") or envelope.get("created") or "")


def _merge_conflict_lists(base: Any, ours: Any, theirs: Any) -> list[dict]:
    """Listed conflicts as a set: one side resolving one (dropping it) drops it from the merge."""
    old = [c for c in base or [] if isinstance(c, dict)]
    mine = [c for c in ours or [] if isinstance(c, dict)]
    other = [c for c in theirs or [] if isinstance(c, dict)]
    result: list[dict] = []
    for entry in mine + other:
        if entry in result:
            continue
        if entry in old and (entry not in mine or entry not in other):
            continue
        result.append(entry)
    return result


def field_value(content: dict, where: str) -> Any:
    """The value at a conflict's field path (`body.section.field`, `body.goals[2].goal`), or a marker when absent."""
    return _walk(content, _split(where))


def set_field(content: dict, where: str, value: Any) -> bool:
    """Put `value` at a conflict's field path; False when the path is no longer there."""
    parts = _split(where)
    node = _walk(content, parts[:-1])
    last = parts[-1]
    if isinstance(last, tuple):
        match = _find_row(node, last[1]) if isinstance(node, list) else []
        if not match:
            return False
        node[node.index(match[0])] = value
        return True
    if not isinstance(node, dict):
        return False
    node[last] = value
    return True


def _walk(node: Any, parts: list) -> Any:
    for part in parts:
        if isinstance(part, tuple):
            match = _find_row(node, part[1]) if isinstance(node, list) else []
            if not match:
                return _MISSING
            node = match[0]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return _MISSING
    return node


def _find_row(rows: list, ident: str) -> list[dict]:
    key = _id_key(rows)
    return [r for r in rows if str(r[key]) == ident] if key else []


_PATH_TOKEN = re.compile(r"\[([^\]]*)\]|([^.\[\]]+)")


def _split(where: str) -> list:
    """`body.actions[1.2].status` -> ['body', 'actions', ('[]', '1.2'), 'status']."""
    parts: list = []
    for match in _PATH_TOKEN.finditer(where):
        parts.append(match.group(2) if match.group(2) is not None else ("[]", match.group(1)))
    return parts
