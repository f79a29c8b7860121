"""Checks on what another copy sends before anything of it is used: paths, file kinds, key
generations, replays, and settings changes that the user must accept.
"""

from __future__ import annotations

import re

from cmtk.errors import CmtkError, GitError
from cmtk.store import files, ids, yamlio
from cmtk.store.session import GITATTRIBUTES, RECIPIENTS, RECORD_DIRS, Session, Store
from cmtk.team import merge, roster
from cmtk.team.keyring import KEY_FILE, KeyRing, key_blobs, ls_tree
from cmtk.team.outcome import ConfirmSettings, Outcome

ZERO = "0" * 40

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
    problems = path_problems(store, changed)
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
    _refuse_problems(problems, remote)
    base_keys, their_keys = key_blobs(store, base), key_blobs(store, theirs)
    ring = KeyRing(session)
    ring.load(base_keys, "the common history")
    ring.load(their_keys, remote, allow_repin={g for g in key_blobs(store, store.git.head()) if g > max(base_keys)})
    if RECIPIENTS in changed or any(KEY_FILE.match(p) for p in changed):
        _require_team_matches_keys(store, theirs, ring.texts[max(their_keys)], remote)
    if RECIPIENTS in changed and max(their_keys) <= max(base_keys):
        teams = [
            {m.public for m in roster.parse_recipients((t or b"").decode("utf-8", errors="replace"))}
            for t in store.git.cat_files([f"{c}:{RECIPIENTS}" for c in (base, theirs)])
        ]
        if teams[0] - teams[1]:  # a removal always makes a new store key: a member dropped without one is not one
            raise CmtkError.of("incoming-members-dropped", remote=remote, count=len(teams[0] - teams[1]))
    # cmtk re-encrypts every record at a removal and at a merge, so each record a copy changed uses its newest key.
    oldest_allowed = max(max(base_keys), max(their_keys))
    paths = [p for p in changed if _RECORD_PATH.match(p)]
    for path, blob in zip(paths, store.git.cat_files([f"{theirs}:{p}" for p in paths]), strict=False):
        if blob is None:
            raise CmtkError.of("incoming-record-missing", remote=remote, path=path)
        content, generation = ring.open(blob, path)
        outcome.waiting[path] = len(content.get(merge.CONFLICTS) or [])
        if generation < oldest_allowed:
            raise CmtkError.of(
                "incoming-record-old-key",
                remote=remote,
                path=path,
                generation=generation,
                oldest_allowed=oldest_allowed,
            )
    if max(their_keys) == max(base_keys):  # after a new key, an old version could not pass the check above
        _refuse_replayed(store, base, {p: changed[p][1] for p in paths}, remote)
    return ring


def path_problems(store: Store, changed: dict[str, tuple[str, str]], whole_copy: bool = False) -> list[str]:
    """What in a list of changed files cmtk itself never writes: unknown paths, deletions, links and other
    non-plain files, records in the wrong folder, oversized settings files, and settings, policy or form
    files holding control or direction characters (review 4, M5). `whole_copy`: the files of a new copy
    (clone), where .gitattributes must be exactly the one cmtk writes."""
    problems = []
    for path, (mode, sha) in changed.items():
        if whole_copy and path == ".gitattributes":
            if mode != "100644" or store.git.cat_files([sha])[0] != GITATTRIBUTES.encode("utf-8"):
                problems.append(".gitattributes is not the one cmtk writes")
        elif not (_RECORD_PATH.match(path) or _STORE_FILE.match(path) or _ATTACHED_FILE.match(path)):
            problems.append(f"a file cmtk never writes ({path!r})")
        elif sha == ZERO:
            problems.append(f"{path} deleted")
        elif mode != "100644":
            problems.append(f"{path} is not a plain file")
        elif path.startswith("cases/") and path.split("/")[1] != path.split("/")[2][:2]:
            problems.append(f"{path} is in the wrong folder")
        elif SETTINGS_FILES.match(path) or path == RECIPIENTS:
            if int(store.git.run("cat-file", "-s", sha)) > MAX_SETTINGS_FILE:
                problems.append(f"{path} is larger than any settings file")
                continue
            try:
                files.check_plain_text((store.git.cat_files([sha])[0] or b"").decode("utf-8"), path)
            except UnicodeDecodeError:
                problems.append(f"{path} is not UTF-8 text")
            except CmtkError as error:
                problems.append(error.message.split(": ", 1)[-1].split(", which")[0] + f" ({path})")
    return problems


def _refuse_problems(problems: list[str], remote: str) -> None:
    if problems:
        more = f" and {len(problems) - 3} more" if len(problems) > 3 else ""
        raise CmtkError.of("incoming-foreign-changes", remote=remote, problems="; ".join(problems[:3]), more=more)


def check_copy_files(store: Store, commit: str, remote: str) -> None:
    """A new copy (clone) before any of its files is written out: the same file checks as a sync applies to
    what another copy changed, over every file (security review round 4, H2: clone took what sync refused)."""
    _refuse_problems(path_problems(store, ls_tree(store, commit), whole_copy=True), remote)


def check_copy_content(session: Session, commit: str, remote: str) -> None:
    """A new copy's keys and records, as a sync checks what it receives: every store key generation made by a
    holder of the one before, the team the keys were encrypted to, and every record opening with the newest
    key, saying so and sitting at its own path."""
    store = session.store
    ring = KeyRing(session)
    keys = key_blobs(store, commit)
    if not keys:
        raise CmtkError.of("incoming-no-store-key", remote=remote)
    ring.load(keys, remote)
    newest = max(keys)
    _require_team_matches_keys(store, commit, ring.texts[newest], remote)
    paths = [p for p in ls_tree(store, commit, *RECORD_DIRS) if _RECORD_PATH.match(p)]
    for start in range(0, len(paths), 2000):
        chunk = paths[start : start + 2000]
        for path, blob in zip(chunk, store.git.cat_files([f"{commit}:{p}" for p in chunk]), strict=True):
            if blob is None:
                raise CmtkError.of("clone-record-missing", remote=remote, path=path)
            generation = ring.open(blob, path)[1]
            if generation < newest:
                raise CmtkError.of(
                    "clone-record-old-key", remote=remote, path=path, generation=generation, newest=newest
                )


def _require_team_matches_keys(store: Store, commit: str, newest_key_text: str, remote: str) -> None:
    text = store.git.cat_files([f"{commit}:{RECIPIENTS}"])[0]
    members = roster.parse_recipients((text or b"").decode("utf-8", errors="replace"))
    if not roster.team_matches_keys(members, newest_key_text):
        raise CmtkError.of("incoming-team-tampered", remote=remote, team_tampered=roster.TEAM_TAMPERED)


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
    diff = files.visible(
        store.git.run("diff", "--no-ext-diff", "--no-textconv", base, theirs, "--", *changed, strip=False)
    )
    if not (confirm and confirm(changed, diff)):
        raise CmtkError.of("incoming-settings-changed", remote=remote, changed=", ".join(changed))


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
            raise CmtkError.of("incoming-record-replayed", remote=remote, replayed=replayed[0])


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
