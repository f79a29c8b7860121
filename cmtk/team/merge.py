"""Three-way merge of one record's decrypted content, field by field (store.md, invariant 10).

Pure functions over the decoded envelope (plain dicts, lists and scalars):
git never sees plaintext and never writes conflict markers into ciphertext.

- A field changed on one side only takes that side's value.
- Lists of rows with an id (`goal_id`, `action_id`, `id`) are merged row by
  row; two rows added on both sides with the same id both stay (the second is
  given the next free id, and the rows that refer to it follow).
- Other lists that both sides only appended to keep both additions.
- A field changed differently on both sides is a conflict: the record keeps
  the value saved last *to that field* (each field's own stamp, below; a rule
  both laptops apply alike, so two people who merge the same pair get the same
  record) and lists the other value under `conflicts`, for `cmtk conflicts`
  and `cmtk resolve` (issue 21, items 2 and 3).

Field stamps: the envelope's `field_stamps` maps a field's path
(`body.section.field`, `body.section.table[REF].column`) to `[when, who]`,
the last save that changed that field. `stamp_changes` sets them when a record
is saved; a merge carries each field's stamp with the value it keeps. A field
with no stamp (records last saved before cmtk kept them) falls back to the
record's own `updated` (or `created`) time for choosing, and is shown with no
name rather than a wrong one.

A conflict entry is `{field, other, other_by, other_at}`: one value written
somewhere that is not the record's current value. The current value is
always the one in the record (never copied into the entry, so it cannot go
stale); one entry per distinct other value; an entry whose value has become
current again is dropped, as nothing of it can be lost.
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

from cmtk.store import rows

CONFLICTS = "conflicts"
STAMPS = "field_stamps"
ID_KEYS = ("ref", "action_id", "goal_id", "id")  # a row's ref first (cmtk.store.rows); labels of older rows
# Envelope keys that merging never treats as a conflict.
_LATEST_WINS = ("updated", "updated_by")
_SET_ON_WRITE = ("key_generation",)
_MISSING = object()
MISSING = _MISSING  # what field_value returns for a path that is not in the record

Stamp = tuple[str, str]  # (when, who); `who` empty when not known


@dataclass
class Merged:
    content: dict[str, Any]
    new_conflicts: list[dict[str, Any]] = field(default_factory=list)


def merge_record(base: dict | None, ours: dict, theirs: dict) -> Merged:
    """Merge two versions of one record envelope that share `base` (None: both added it)."""
    base, ours, theirs = (_with_refs(e) for e in (base or {}, ours, theirs))
    ours_newer = (_stamp(ours), _canon(ours)) >= (_stamp(theirs), _canon(theirs))
    state = _State(ours, theirs)
    content: dict[str, Any] = {}
    keys = _ordered_keys(ours, theirs)
    for key in keys:
        if key in (CONFLICTS, STAMPS):
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
    stamps = _merged_stamps(content, ours, theirs)
    conflicts = _merged_conflicts(base, ours, theirs, state.conflicts, content)
    body = content.pop("body", None)
    if stamps:
        content[STAMPS] = stamps
    if conflicts:
        content[CONFLICTS] = conflicts
    if body is not None:
        content["body"] = body
    return Merged(content, state.conflicts)


class _State:
    def __init__(self, ours: dict, theirs: dict) -> None:
        self.ours, self.theirs = ours, theirs  # whole envelopes: each field's stamp is looked up in its own side
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
        """Keep the value saved last to this field (its own stamp on each side); list the other one."""
        mine, known_mine = stamp_at(self.ours, where)
        other, known_other = stamp_at(self.theirs, where)
        ours_wins = (mine, _canon(ours)) >= (other, _canon(theirs))  # ties broken by value: the same on both laptops
        kept, lost, stamp, known = (ours, theirs, other, known_other) if ours_wins else (theirs, ours, mine, known_mine)
        entry: dict[str, Any] = {"field": where, "other": _plain(lost)}
        if known:
            entry.update(other_by=label(stamp), other_at=stamp[0])
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


def stamp_at(envelope: dict, where: str) -> tuple[Stamp, bool]:
    """When, and by whom, the value at `where` was saved: its own stamp (the newest of the fields inside it);
    else the record's own time (False: not known per field, so no name is shown for it)."""
    found = [
        stamp
        for path, value in _stamps_of(envelope).items()
        if (path == where or path.startswith(where + ".") or path.startswith(where + "["))
        and (stamp := _as_stamp(value)) is not None
    ]
    if found:
        return max(found), True
    return (_stamp(envelope), ""), False


def _stamps_of(envelope: dict) -> dict[str, Any]:
    stamps = envelope.get(STAMPS)
    return {str(k): v for k, v in stamps.items()} if isinstance(stamps, dict) else {}


def _as_stamp(value: Any) -> Stamp | None:
    if isinstance(value, list) and len(value) == 2:
        return str(value[0]), str(value[1])
    return None


def leaves(node: Any, where: str) -> dict[str, Any]:
    """Every field of `node` by its path, as conflicts name them (rows by their ref, not their position)."""
    found: dict[str, Any] = {}
    if isinstance(node, dict) and node:
        for key, value in node.items():
            found.update(leaves(value, f"{where}.{key}"))
        return found
    key = _id_key(node) if isinstance(node, list) else None
    if key is not None:
        for row in node:
            found.update(leaves(row, f"{where}[{row[key]}]"))
        return found
    found[where] = node
    return found


def stamp_changes(before_body: Any, before_stamps: Any, after_body: Any, when: str, who: str) -> dict[str, list]:
    """The field stamps of a record saved as `after_body` over `before_body`: every field this save changed
    gets (when, who); every other field keeps the stamp it had."""
    old = before_stamps if isinstance(before_stamps, dict) else {}
    old_fields = leaves(before_body, "body")
    stamps: dict[str, list] = {}
    for path, value in leaves(after_body, "body").items():
        if path in old_fields and _same(old_fields[path], value):
            if path in old:
                stamps[path] = old[path]
        else:
            stamps[path] = [when, who]
    return stamps


def _merged_stamps(content: dict, ours: dict, theirs: dict) -> dict[str, list]:
    """Each field's stamp follows the value the merge kept: the stamp of the side that had that value (the
    newer one when both had it; a list merged from both sides' additions takes the newer stamp)."""
    sides = [(_stamps_of(env), env) for env in (ours, theirs)]
    result: dict[str, list] = {}
    for path in sorted({p for stamps, _ in sides for p in stamps}):
        value = field_value(content, path)
        if value is _MISSING:
            continue
        holding = [stamps for stamps, env in sides if _same(field_value(env, path), value)]
        candidates = [stamps[path] for stamps in (holding or [s for s, _ in sides]) if path in stamps]
        found = [stamp for c in candidates if (stamp := _as_stamp(c)) is not None]
        if found:
            result[path] = list(max(found))
    return result


def _merged_conflicts(base: dict, ours: dict, theirs: dict, new: list[dict], content: dict) -> list[dict]:
    """Listed values as a set keyed by (field, value): one side resolving one (dropping it) drops it from the
    merge; a value that is current again is dropped (nothing of it is lost); one entry per value."""
    old, mine, other = (_entries(e) for e in (base, ours, theirs))
    old_keys, mine_keys, other_keys = ({_entry_key(e) for e in entries} for entries in (old, mine, other))
    chosen: dict[tuple[str, str], dict] = {}
    for entry in mine + other + new:
        key = _entry_key(entry)
        if entry not in new and key in old_keys and (key not in mine_keys or key not in other_keys):
            continue  # resolved on one side
        if _same(field_value(content, key[0]), entry.get("other")):
            continue
        if key not in chosen or _entry_rank(entry) > _entry_rank(chosen[key]):
            chosen[key] = entry
    return sorted(chosen.values(), key=lambda e: (_entry_key(e)[0], str(e.get("other_at") or ""), _entry_key(e)[1]))


def _entries(envelope: dict) -> list[dict]:
    return [c for c in envelope.get(CONFLICTS) or [] if isinstance(c, dict)]


def _entry_key(entry: dict) -> tuple[str, str]:
    return str(entry.get("field", "")), _canon(entry.get("other"))


def _entry_rank(entry: dict) -> tuple[str, str, str]:
    return str(entry.get("other_at") or ""), str(entry.get("other_by") or ""), _canon(entry)


def _canon(value: Any) -> str:
    """A value's text, the same on every laptop (for ties and for telling listed values apart)."""
    try:
        return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    except (TypeError, ValueError):  # keys of mixed types cannot be sorted
        return repr(value)


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


def label(stamp: Stamp) -> str:
    """`Name, YYYY-MM-DD` for a stamp."""
    return ", ".join(part for part in (stamp[1], stamp[0][:10]) if part)


def _stamp(envelope: dict) -> str:
    return str(envelope.get("updated") or envelope.get("created") or "")


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
