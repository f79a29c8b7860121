"""Checks on what another copy sends before anything of it is used: paths, file kinds, key
generations, replays, and settings changes that the user must accept.
"""

from __future__ import annotations

import re

from cmtk.errors import CmtkError, GitError
from cmtk.store import ids, yamlio
from cmtk.store.session import RECORD_DIRS, Session, Store
from cmtk.team import merge
from cmtk.team.keyring import KeyRing, key_blobs, ls_tree
from cmtk.team.outcome import ConfirmSettings, Outcome
from cmtk.team.transport import ZERO

SETTINGS_FILES = re.compile(r"^\.cmtk/(settings\.yaml|policy\.yaml|forms/[a-z0-9][a-z0-9-]{0,63}\.yaml)$")

MAX_SETTINGS_FILE = 1024 * 1024

_A = ids.ALPHABET

_RECORD_PATH = re.compile(rf"^(cases/[{_A}]{{2}}/[{_A}]{{8}}|conferences/[{_A}]{{8}})/[{_A}]{{10}}\.age$")

_ATTACHED_FILE = re.compile(rf"^cases/[{_A}]{{2}}/[{_A}]{{8}}/files/[{_A}]{{10}}\.age$")  # written once, never changed

_STORE_FILE = re.compile(
    r"^\.cmtk/(settings\.yaml|policy\.yaml|recipients\.txt|keys/[1-9][0-9]{0,5}\.age"
    r"|forms/[a-z0-9][a-z0-9-]{0,63}\.yaml)$"
)


def check_incoming(
    session: Session, base: str, theirs: str, changed: dict[str, tuple[str, str]], outcome: Outcome
) -> KeyRing:
    """What the other copy changed since the common commit must be what cmtk itself writes (review 2: H1, M3-M5).

    cmtk never deletes a record or a key file, never changes .gitattributes, writes only plain files at
    known paths, and never turns a real store into a training one. Every record the other copy changed
    must open with a store key at least as new as the common commit's newest, and say so. Returns the
    store keys of the common commit and the other copy, checked.
    """
    store, remote = session.store, outcome.remote
    problems = []
    for path, (mode, sha) in changed.items():
        if not (_RECORD_PATH.match(path) or _STORE_FILE.match(path) or _ATTACHED_FILE.match(path)):
            problems.append(f"a file cmtk never writes ({path!r})")
        elif sha == ZERO:
            problems.append(f"{path} deleted")
        elif mode != "100644":
            problems.append(f"{path} is not a plain file")
        elif path.startswith("cases/") and path.split("/")[1] != path.split("/")[2][:2]:
            problems.append(f"{path} is in the wrong folder")
        elif SETTINGS_FILES.match(path) and int(store.git.run("cat-file", "-s", sha)) > MAX_SETTINGS_FILE:
            problems.append(f"{path} is larger than any settings file")
    attached = [p for p in changed if _ATTACHED_FILE.match(p)]
    problems += [f"{p} changed after it was attached" for p in ls_tree(store, base, *attached)] if attached else []
    if ".cmtk/settings.yaml" in changed and not problems:
        flags = [
            yamlio.loads(b or b"{}", ".cmtk/settings.yaml")
            for b in store.git.cat_files([f"{c}:.cmtk/settings.yaml" for c in (base, theirs)])
        ]
        if any(not isinstance(f, dict) for f in flags) or bool(flags[0].get("training")) != bool(
            flags[1].get("training")
        ):
            problems.append(".cmtk/settings.yaml switches between a training and a real store")
    if problems:
        more = f" and {len(problems) - 3} more" if len(problems) > 3 else ""
        raise CmtkError(
            f"the copy on {remote} has changes cmtk never makes: {'; '.join(problems[:3])}{more}. Nothing was "
            "changed; it may have been tampered with: ask your case manager"
        )
    base_keys, their_keys = key_blobs(store, base), key_blobs(store, theirs)
    ring = KeyRing(session)
    ring.load(base_keys, "the common history")
    ring.load(their_keys, remote, allow_repin={g for g in key_blobs(store, store.git.head()) if g > max(base_keys)})
    # cmtk re-encrypts every record at a removal and at a merge, so each record a copy changed uses its newest key.
    oldest_allowed = max(max(base_keys), max(their_keys))
    paths = [p for p in changed if _RECORD_PATH.match(p)]
    for path, blob in zip(paths, store.git.cat_files([f"{theirs}:{p}" for p in paths]), strict=False):
        if blob is None:
            raise CmtkError(f"the copy on {remote} lacks {path!r}; nothing was changed")
        content, generation = ring.open(blob, path)
        outcome.waiting[path] = len(content.get(merge.CONFLICTS) or [])
        if generation < oldest_allowed:
            raise CmtkError(
                f"the copy on {remote} has {path!r} written with store key generation {generation}, older than "
                f"the store's (generation {oldest_allowed}): it may have been forged by a removed member. "
                "Nothing was changed; ask your case manager"
            )
    if max(their_keys) == max(base_keys):  # after a new key, an old version could not pass the check above
        _refuse_replayed(store, base, {p: changed[p][1] for p in paths}, remote)
    return ring


def require_settings_accepted(
    store: Store,
    base: str,
    theirs: str,
    incoming: dict[str, tuple[str, str]],
    remote: str,
    confirm: ConfirmSettings | None,
) -> None:
    """Settings, policy and form files hold no personal data but decide how dates are read, which rules apply
    and what a form requires; nothing proves who changed them, so a change arriving by sync is shown and must
    be accepted (security review round 3), like a changed team list."""
    changed = [p for p in incoming if SETTINGS_FILES.match(p)]
    if not changed:
        return
    diff = store.git.run("diff", "--no-ext-diff", "--no-textconv", base, theirs, "--", *changed, strip=False)
    if not (confirm and confirm(changed, diff)):
        raise CmtkError(
            f"the copy on {remote} changed {', '.join(changed)}; nothing was changed here. Check the change "
            "with whoever made it, then run `cmtk sync --accept-settings`"
        )


def _refuse_replayed(store: Store, base: str, incoming: dict[str, str], remote: str) -> None:
    """An earlier version of a record put back (security review round 3): age never produces the same
    ciphertext twice, so a changed record whose file already existed in this history is a replay, which
    anyone with write access could do without any key to roll a child's record back."""
    paths = sorted(incoming)
    known: set[str] = set()
    for start in range(0, len(paths), 500):
        known.update(ls_tree(store, base, *paths[start : start + 500]))
    existing = [p for p in paths if p in known]  # new records have no history to replay
    for start in range(0, len(existing), 300):
        chunk = existing[start : start + 300]
        out = store.git.run("log", "--format=", "--raw", "--no-abbrev", "--no-renames", base, "--", *chunk, strip=False)
        seen = set()
        for line in out.splitlines():
            if line.startswith(":"):
                meta, _, path = line.partition("\t")
                fields = meta.split()
                seen.update({(path, fields[2]), (path, fields[3])})
        replayed = [p for p in chunk if (p, incoming[p]) in seen]
        if replayed:
            raise CmtkError(
                f"the copy on {remote} puts back an earlier version of {replayed[0]!r} (cmtk never does that): "
                "it may have been tampered with to undo a change. Nothing was changed; ask your case manager"
            )


def count_commits(store: Store, since: str, until: str) -> int:
    try:
        return int(store.git.run("rev-list", "--count", f"{since}..{until}"))
    except (GitError, ValueError):
        return 0


def changed_paths(store: Store, base: str, tip: str) -> dict[str, tuple[str, str]]:
    """Paths changed from base to tip: path -> (new mode, new sha); a deletion has sha 0*40."""
    out = store.git.run("diff-tree", "-r", "-z", "--no-renames", "--no-commit-id", base, tip, strip=False)
    fields = out.split("\0")
    found: dict[str, tuple[str, str]] = {}
    index = 0
    while index + 1 < len(fields):
        meta = fields[index]
        if not meta.startswith(":"):
            index += 1
            continue
        _old_mode, new_mode, _old_sha, new_sha, _status = meta[1:].split()
        found[fields[index + 1]] = (new_mode, new_sha)
        index += 2
    return found


def is_record(path: str) -> bool:
    return path.split("/", 1)[0] in RECORD_DIRS and path.endswith(".age") and not _ATTACHED_FILE.match(path)
