"""Working as a team: `cmtk sync` (fetch, merge, push) and encrypted USB bundles.

Sync goes through plain git remotes (a bare repository on an office server or a
shared folder) or, for a USB stick, one age-encrypted git bundle file: a bare
repository on a stick shows file names, sizes, dates and authors, an encrypted
bundle shows nothing.

Merging happens here, in memory, not through git's merge machinery: git lists
what each side changed since their common commit (`diff-tree`), every path
changed on one side only is taken as is, and only records changed on both
sides are decrypted and merged field by field (cmtk.team.merge). The merged tree
is written to a private index and committed with plumbing; the working tree
moves to it last, under a journal, so a sync killed half-way is finished by
the next one (store.md, invariant 10).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cmtk.errors import CmtkError, DecryptError, GitError
from cmtk.store import crypto, ids, yamlio
from cmtk.store.gitio import SAFE_OPTIONS, _author_env
from cmtk.store.session import KEYS_DIR, RECIPIENTS, RECORD_DIRS, Session, Store, _write_atomic
from cmtk.store.session import SYNC_JOURNAL as JOURNAL
from cmtk.team import merge, remotes, roster, rotation
from cmtk.team.keyring import KEY_FILE, KeyRing, key_blobs, ls_tree
from cmtk.team.remotes import BRANCH, TRANSPORT, Remote, find_remote

MERGE_MESSAGE = "merge sync"
_ZERO = "0" * 40

Say = Callable[[str], None]


@dataclass
class Outcome:
    remote: str
    received: int = 0
    sent: int = 0
    merged_records: int = 0
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (record path, field)
    reencrypted: int = 0
    team_added: list[str] = field(default_factory=list)
    team_removed: list[str] = field(default_factory=list)
    finished_interrupted: bool = False
    new_generation: int | None = None  # made by a merge of two offline team removals
    team_confirmed: bool = False
    kept_keys: dict[int, str] = field(default_factory=dict)
    waiting: dict[str, int] = field(
        default_factory=dict
    )  # record path -> listed conflicts, for records this sync brought

    @property
    def open_conflicts(self) -> int:
        """Fields in the records this sync brought or merged that wait for `cmtk resolve` (counted from
        those records alone: the summary index of a fresh copy would take minutes to build)."""
        return sum(self.waiting.values())


ConfirmTeam = Callable[[list[roster.Member]], bool]
ConfirmSettings = Callable[[list[str], str], bool]  # (changed settings, policy or form files, their diff)
SETTINGS_FILES = re.compile(r"^\.cmtk/(settings\.yaml|policy\.yaml|forms/[a-z0-9][a-z0-9-]{0,63}\.yaml)$")
MAX_SETTINGS_FILE = 1024 * 1024


# -- sync ---------------------------------------------------------------------------------------


def sync(
    session: Session,
    name: str | None = None,
    say: Say | None = None,
    confirm_team: ConfirmTeam | None = None,
    new_bundle: bool = False,
    confirm_settings: ConfirmSettings | None = None,
) -> Outcome:
    """Fetch from a remote, merge, push back; in one lock, finishing an interrupted sync first.

    `new_bundle`: write a bundle file where a bundle remote this laptop already used has none (a new stick).
    """
    store = session.store
    remote = find_remote(store, name)
    outcome = Outcome(remote.name)
    trusted_before = set(store.trust()["team"]) or {m.public for m in store.members()}
    with store.locked():
        remotes.ensure_configured(store)
        remove_leftovers(store)
        outcome.finished_interrupted = finish_interrupted(store)
        _require_clean(store)
        for _attempt in range(3):
            theirs = _fetch(session, remote, new_bundle)
            _integrate(session, theirs, outcome, confirm_team, confirm_settings)
            if _push(session, remote):
                break
            if say:
                say(f"{remote.name} changed while this sync ran; fetching again")
        else:
            raise CmtkError(f"{remote.name} keeps changing under this sync; try again in a minute")
    current = {m.public for m in store.members()}
    if current != trusted_before:
        names = {m.public: m.name for m in store.members()}
        outcome.team_added = [names[k] for k in sorted(current - trusted_before)]
        outcome.team_removed = sorted(trusted_before - current)
    return outcome


def interrupted(store: Store) -> dict | None:
    try:
        return json.loads((store.root / ".git" / "cmtk" / JOURNAL).read_text("utf-8"))
    except (OSError, ValueError):
        return None


def finish_interrupted(store: Store) -> bool:
    """A sync stopped while moving the working tree to its merge: move it the rest of the way."""
    journal = interrupted(store)
    if not journal:
        return False
    target, start = journal.get("to", ""), journal.get("from", "")
    if not re.fullmatch(r"[0-9a-f]{40}", target) or not re.fullmatch(r"[0-9a-f]{40}", start):
        (store.root / ".git" / "cmtk" / JOURNAL).unlink()
        return False
    head = store.head_commit()
    if head not in (start, target):
        raise CmtkError(
            "a sync was interrupted and the store has moved on since; ask for help before changing "
            "anything (the sync journal is .git/cmtk/sync.json)"
        )
    with contextlib.suppress(FileNotFoundError):
        (store.root / ".git" / "index.lock").unlink()  # left by the killed git; cmtk holds the store lock
    _move_to(store, start, target)
    return True


def remove_leftovers(store: Store) -> None:
    """Private temporary folders of a sync that was killed (ciphertext and git bundles only)."""
    base = store.root / ".git" / "cmtk"
    for folder in base.glob("sync-*") if base.is_dir() else []:
        shutil.rmtree(folder, ignore_errors=True)


def _require_clean(store: Store) -> None:

    if rotation.interrupted(store):
        raise CmtkError("a team change was interrupted; run `cmtk doctor --repair` before syncing")
    if store.git.status():
        raise CmtkError(
            "the store has changes that are not committed; run `cmtk doctor` (and `cmtk doctor --repair`) before syncing"
        )


def _git(store: Store, *args: str, env: dict | None = None) -> str:
    return store.git.run(*TRANSPORT, *args, env=env)


def _fetch(session: Session, remote: Remote, new_bundle: bool = False) -> str | None:
    """Bring the remote's branch into refs/remotes/NAME/main; its commit, or None for an empty remote.

    A remote whose history no longer contains what this laptop last exchanged with it (rewritten, not
    just older, as an old USB stick would be) is refused: rewinding the shared folder to before a
    member's removal would otherwise let them slip records in (security review round 3).
    """
    store = session.store
    ref = f"refs/remotes/{remote.name}/{BRANCH}"
    previous = _remote_head(store, remote)  # what this laptop last exchanged with the remote
    if remote.bundle:
        path = Path(remote.url)
        if not path.exists():
            if not path.parent.is_dir():
                raise CmtkError(f"{path.parent}: no such folder; is the USB stick plugged in?")
            if remotes.bundle_used(store, remote.name) and not new_bundle:
                raise CmtkError(
                    f"{path}: no bundle file, though this laptop has synced with {remote.name} before: is the "
                    f"right USB stick plugged in? For a new, empty stick run `cmtk sync {remote.name} --new-bundle`"
                )
            return None
        try:
            data = crypto.decrypt(path.read_bytes(), [session.me.identity], str(path))
        except DecryptError:
            raise CmtkError(
                f"{path}: this bundle does not open with your key: you may have been removed from the team, your key may "
                "have changed, or it was written before you joined (then a team member's sync fixes it); ask your case manager"
            ) from None
        with _private_temp(store) as folder:
            bundle = folder / "incoming.bundle"
            bundle.write_bytes(data)
            try:
                _git(store, "bundle", "verify", "-q", str(bundle))
            except GitError:
                raise CmtkError(
                    f"{path}: the bundle is damaged or holds a different store; nothing was changed"
                ) from None
            _git(store, "fetch", "-q", "--no-tags", str(bundle), f"+refs/heads/{BRANCH}:{ref}")
    else:
        try:
            _git(store, "fetch", "-q", "--no-tags", remote.name, f"+refs/heads/{BRANCH}:{ref}")
        except GitError as error:
            if "couldn't find remote ref" in str(error):
                return None
            raise CmtkError(
                f"could not fetch from {remote.name} ({remote.url}): {str(error).split(': ', 1)[-1]}; "
                "nothing was changed"
            ) from None
    try:
        fetched = _git(store, "rev-parse", "--verify", "-q", ref + "^{commit}")
    except GitError:
        return None
    if (
        previous
        and fetched != previous
        and not _is_ancestor(store, previous, fetched)
        and not _is_ancestor(store, fetched, previous)
    ):
        _git(store, "update-ref", ref, previous)
        raise CmtkError(
            f"the history on {remote.name} was rewritten: it no longer holds what this laptop last exchanged "
            "with it (cmtk never does that). Nothing was changed; it may have been tampered with: ask your "
            "case manager"
        )
    return fetched


def _push(session: Session, remote: Remote) -> bool:
    store = session.store
    head = store.git.head()
    if head is None:
        return True
    remote_head = _remote_head(store, remote)
    if remote.bundle:
        if remote_head != head or not Path(remote.url).exists():  # an unchanged stick is not written again
            _write_bundle(session, Path(remote.url))
            with contextlib.suppress(GitError):
                _git(store, "update-ref", f"refs/remotes/{remote.name}/{BRANCH}", head)
        remotes.mark_bundle_used(store, remote.name)
        return True
    if remote_head == head:
        return True
    try:
        _git(store, "push", "-q", "--no-verify", remote.name, f"HEAD:refs/heads/{BRANCH}")
    except GitError as error:
        message = str(error)
        if any(word in message for word in ("rejected", "fetch first", "non-fast-forward")):
            return False
        raise CmtkError(
            f"could not send to {remote.name} ({remote.url}): {message.split(': ', 1)[-1]}; "
            "your changes are safe here, sync again later"
        ) from None
    with contextlib.suppress(GitError):
        _git(store, "update-ref", f"refs/remotes/{remote.name}/{BRANCH}", head)
    return True


def _remote_head(store: Store, remote: Remote) -> str | None:
    try:
        return _git(store, "rev-parse", "--verify", "-q", f"refs/remotes/{remote.name}/{BRANCH}^{{commit}}")
    except GitError:
        return None


def _write_bundle(session: Session, path: Path) -> None:
    """The whole branch as one git bundle, encrypted to every current team member, replaced atomically."""
    store = session.store
    accepted = set(store.trust()["team"])
    members = [m for m in store.members() if not accepted or m.public in accepted]  # never to an unchecked key (H2)
    with _private_temp(store) as folder:
        bundle = folder / "outgoing.bundle"
        _git(store, "bundle", "create", "-q", str(bundle), BRANCH)
        data = crypto.encrypt(bundle.read_bytes(), [crypto.parse_recipient(m.public) for m in members])
    if not path.parent.is_dir():
        raise CmtkError(f"{path.parent}: no such folder; is the USB stick plugged in? Your changes are safe here")
    try:
        _write_atomic(path, data)
    except OSError as error:
        raise CmtkError(f"{path}: could not write the bundle ({error.strerror}); your changes are safe here") from None


@contextlib.contextmanager
def _private_temp(store: Store):
    base = store.root / ".git" / "cmtk"
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = Path(tempfile.mkdtemp(prefix="sync-", dir=base))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- merging two histories ----------------------------------------------------------------------


def _integrate(
    session: Session,
    theirs: str | None,
    outcome: Outcome,
    confirm_team: ConfirmTeam | None = None,
    confirm_settings: ConfirmSettings | None = None,
) -> None:
    store = session.store
    ours = store.git.head()
    if theirs is None:  # an empty remote: everything goes
        outcome.sent += int(store.git.run("rev-list", "--count", "HEAD")) if ours else 0
        return
    if theirs == ours:
        return
    if ours is None:
        raise CmtkError("this store has no commit yet; see `cmtk doctor`")
    if _is_ancestor(store, theirs, ours):
        outcome.sent += _count(store, theirs, ours)
        return
    try:
        base = _git(store, "merge-base", ours, theirs)
    except GitError:
        raise CmtkError(
            f"{outcome.remote} holds a different store (no history in common); nothing was changed"
        ) from None
    outcome.received += _count(store, ours, theirs)
    incoming = _changes(store, base, theirs)
    ring = _check_incoming(session, base, theirs, incoming, outcome)
    _confirm_settings(store, base, theirs, incoming, outcome.remote, confirm_settings)
    if base == ours:
        _move_to(store, ours, theirs)
        return
    outcome.sent += _count(store, theirs, ours)
    merged = _merge_commits(session, base, ours, theirs, incoming, ring, outcome, confirm_team)
    _move_to(store, ours, merged)
    trust = store.trust()
    if outcome.new_generation:  # this laptop's own numbering gave way to the remote's (see _merge_commits)
        trust["keys"] = {str(g): public for g, public in outcome.kept_keys.items()}
    if outcome.team_confirmed:
        trust["team"] = sorted(m.public for m in store.members())
    store.save_trust(trust)


_A = ids.ALPHABET
_RECORD_PATH = re.compile(rf"^(cases/[{_A}]{{2}}/[{_A}]{{8}}|conferences/[{_A}]{{8}})/[{_A}]{{10}}\.age$")
_STORE_FILE = re.compile(
    r"^\.cmtk/(settings\.yaml|policy\.yaml|recipients\.txt|keys/[1-9][0-9]{0,5}\.age"
    r"|forms/[a-z0-9][a-z0-9-]{0,63}\.yaml)$"
)


def _check_incoming(
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
        if not (_RECORD_PATH.match(path) or _STORE_FILE.match(path)):
            problems.append(f"a file cmtk never writes ({path!r})")
        elif sha == _ZERO:
            problems.append(f"{path} deleted")
        elif mode != "100644":
            problems.append(f"{path} is not a plain file")
        elif path.startswith("cases/") and path.split("/")[1] != path.split("/")[2][:2]:
            problems.append(f"{path} is in the wrong folder")
        elif SETTINGS_FILES.match(path) and int(store.git.run("cat-file", "-s", sha)) > MAX_SETTINGS_FILE:
            problems.append(f"{path} is larger than any settings file")
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


def _confirm_settings(
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


def _is_ancestor(store: Store, older: str, newer: str) -> bool:
    try:
        store.git.run("merge-base", "--is-ancestor", older, newer)
        return True
    except GitError:
        return False


def _count(store: Store, since: str, until: str) -> int:
    try:
        return int(store.git.run("rev-list", "--count", f"{since}..{until}"))
    except (GitError, ValueError):
        return 0


def _changes(store: Store, base: str, tip: str) -> dict[str, tuple[str, str]]:
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


def _is_record(path: str) -> bool:
    return path.split("/", 1)[0] in RECORD_DIRS and path.endswith(".age")


Updates = dict[str, tuple[str, "bytes | str | None"]]  # path -> (mode, new blob bytes | existing sha | None: delete)


def _merge_commits(
    session: Session,
    base: str,
    ours: str,
    theirs: str,
    other: dict[str, tuple[str, str]],
    ring: KeyRing,
    outcome: Outcome,
    confirm_team: ConfirmTeam | None = None,
) -> str:
    """The merge commit of ours and theirs. `other` is what theirs changed since base (checked), and `ring`
    holds the common commit's and the other copy's store keys."""
    store = session.store
    mine = _changes(store, base, ours)
    clash, newer_here = _join_key_chains(session, ring, base, ours)
    opened_here, opened_there = _new_case_folders(store, base, mine), _new_case_folders(store, base, other)
    if opened_here & opened_there:  # 40 random bits each: about one chance in a million for a store of 1,000 cases
        raise CmtkError(
            f"case id {sorted(opened_here & opened_there)[0]} was opened on this laptop and on the other copy "
            "for two different children; nothing was changed: ask for help before syncing again"
        )

    # Start from our tree: take what only the other side changed, then merge what both changed.
    updates: Updates = {p: (mode, None if sha == _ZERO else sha) for p, (mode, sha) in other.items() if p not in mine}
    both = [p for p in other if p in mine and mine[p][1] != other[p][1]]
    if clash:
        _make_fresh_generation(ring, newer_here, updates, outcome)
    team_paths = [p for p in both if p == RECIPIENTS or KEY_FILE.match(p)]
    if team_paths or clash:
        updates.update(_merge_team_confirmed(store, ring, base, ours, theirs, outcome, confirm_team))
    for path in [p for p in both if p not in team_paths and not _is_record(p)]:
        updates[path] = ("100644", _merge_plain(store, path, base, ours, theirs))
    generation = max(ring.keys)
    _merge_records(store, ring, [p for p in both if _is_record(p)], base, ours, theirs, generation, updates, outcome)
    _reencrypt_older(store, ring, base, ours, theirs, mine, other, bool(clash), generation, updates, outcome)
    commit = _commit_tree(store, ours, theirs, updates, session.author)
    outcome.kept_keys = {g: pair.public for g, pair in ring.keys.items()}
    return commit


def _join_key_chains(session: Session, ring: KeyRing, base: str, ours: str) -> tuple[list[int], set[int]]:
    """Add our newer store keys to `ring` (the remote's chain) unless both sides made the same generation
    differently (a clash: then ours only open records). Returns (clashing generations, our newer ones)."""
    base_keys, our_keys = key_blobs(session.store, base), key_blobs(session.store, ours)
    newer_here = {g for g in our_keys if g > max(base_keys)}
    ours_ring = KeyRing(session)  # the common history's keys are in `ring` already: only our newer ones are opened
    ours_ring.keys = {g: ring.keys[g] for g in base_keys}
    ours_ring.texts = {g: ring.texts[g] for g in base_keys}
    ours_ring.load({g: our_keys[g] for g in sorted(newer_here)}, "this laptop")
    clash = sorted(g for g in newer_here if g in ring.keys and ring.keys[g].public != ours_ring.keys[g].public)
    if clash:
        ring.extra = [(g, ours_ring.keys[g]) for g in sorted(newer_here)]
    else:
        for generation in newer_here:
            ring.keys[generation], ring.texts[generation] = ours_ring.keys[generation], ours_ring.texts[generation]
    return clash, newer_here


def _make_fresh_generation(ring: KeyRing, newer_here: set[int], updates: Updates, outcome: Outcome) -> None:
    """Both laptops removed someone offline and each made generation N+1. The remote's numbering is kept; a
    fresh generation after it, made here for the merged team, takes every record, so no one removed on
    either side can read what is written from now on."""
    new_generation = max(ring.keys) + 1
    new_key = crypto.generate()
    previous = ring.keys[new_generation - 1]
    ring.texts[new_generation] = f"# authorised: {roster.authorisation(previous, new_generation, new_key.public)}\n"
    ring.keys[new_generation] = new_key
    for generation in newer_here:
        if generation > new_generation:
            updates[f"{KEYS_DIR}/{generation}.age"] = ("100644", None)
    outcome.new_generation = new_generation


def _merge_team_confirmed(
    store: Store, ring: KeyRing, base: str, ours: str, theirs: str, outcome: Outcome, confirm_team: ConfirmTeam | None
) -> Updates:
    team_updates, merged_team = _merge_team(store, ring, base, ours, theirs)
    # Every member the keys are re-encrypted to must be one this laptop accepted, whichever side listed
    # them first (review 2, H2: a member slipped in by a fast-forward would otherwise count as ours).
    unaccepted = [m for m in merged_team if m.public not in set(store.trust()["team"])]
    if unaccepted and not (confirm_team and confirm_team(unaccepted)):
        names = ", ".join(f"{m.name} ({m.public[:16]}...)" for m in unaccepted)
        raise CmtkError(
            f"{outcome.remote} added team members this laptop has not accepted: {names}; nothing was "
            "changed. Check each key with its owner, then run `cmtk sync --accept-team`"
        )
    outcome.team_confirmed = bool(unaccepted)
    return team_updates


def _merge_records(
    store: Store,
    ring: KeyRing,
    paths: list[str],
    base: str,
    ours: str,
    theirs: str,
    generation: int,
    updates: Updates,
    outcome: Outcome,
) -> None:
    """Records both sides changed: decrypted, merged field by field (cmtk.team.merge), sealed with `generation`."""
    blobs = store.git.cat_files([f"{c}:{p}" for p in paths for c in (base, ours, theirs)])
    for index, path in enumerate(paths):
        old, mine_data, their_data = blobs[3 * index : 3 * index + 3]
        if mine_data is None or their_data is None:  # deleted on one side, changed on the other: keep the change
            kept = mine_data if their_data is None else their_data
            updates[path] = ("100644", ring.seal(ring.open(kept, path)[0], generation, path))
            continue
        base_content = ring.open(old, path)[0] if old is not None else None
        result = merge.merge_record(base_content, ring.open(mine_data, path)[0], ring.open(their_data, path)[0])
        updates[path] = ("100644", ring.seal(result.content, generation, path))
        outcome.waiting[path] = len(result.content.get(merge.CONFLICTS) or [])
        outcome.merged_records += 1
        outcome.conflicts.extend((path, c["field"]) for c in result.new_conflicts)


def _reencrypt_older(
    store: Store,
    ring: KeyRing,
    base: str,
    ours: str,
    theirs: str,
    mine: dict,
    other: dict,
    clash: bool,
    generation: int,
    updates: Updates,
    outcome: Outcome,
) -> None:
    """Records written with an older store key than the merged store's newest (the other side removed a member
    meanwhile; or, after a clash, every record): re-encrypted, or a removed member could still read them."""
    if clash:
        stale = {p: (ours, sha) for p, (_, sha) in ls_tree(store, ours, *RECORD_DIRS).items()}
        stale.update({p: (theirs, sha) for p, (_, sha) in other.items() if _is_record(p) and p not in mine})
        sources = [
            (p, c)
            for p, (c, sha) in stale.items()
            if sha != _ZERO and p not in updates or (p in updates and isinstance(updates[p][1], str))
        ]
    else:
        sources = []
        for side, changed in ((ours, mine), (theirs, other)):
            if max(key_blobs(store, side)) < generation:
                sources += [
                    (p, side)
                    for p, (_, sha) in changed.items()
                    if _is_record(p) and sha != _ZERO and not isinstance(updates.get(p, ("", None))[1], bytes)
                ]
    for (path, _), blob in zip(sources, store.git.cat_files([f"{c}:{p}" for p, c in sources]), strict=False):
        if blob is None:
            continue
        content, opened_with = ring.open(blob, path)
        if opened_with != generation or clash:
            updates[path] = ("100644", ring.seal(content, generation, path))
            outcome.reencrypted += 1


def _new_case_folders(store: Store, base: str, changed: dict[str, tuple[str, str]]) -> set[str]:
    """Cases whose folder one side created since the common commit."""
    touched = {p.split("/")[2] for p in changed if p.startswith("cases/") and p.count("/") == 3}
    if not touched:
        return set()
    existing = ls_tree(store, base, *sorted({f"cases/{c[:2]}/{c}/" for c in touched}))
    return touched - {p.split("/")[2] for p in existing}


def _merge_team(store: Store, ring: KeyRing, base: str, ours: str, theirs: str) -> tuple[Updates, list[roster.Member]]:
    """The member list merged (additions and removals of both sides kept), every key file re-encrypted to it."""
    texts = store.git.cat_files([f"{c}:{RECIPIENTS}" for c in (base, ours, theirs)])
    lists = [roster.parse_recipients(t.decode("utf-8")) if t else [] for t in texts]
    old, mine, other = ({m.public: m for m in members} for members in lists)
    merged = [m for k, m in mine.items() if k in other or k not in old]
    added = [m for k, m in other.items() if k not in mine and k not in old]
    merged += added
    names = [m.name.casefold() for m in merged]
    if len(set(names)) != len(names):
        raise CmtkError(
            "this laptop and the other copy each added a different key under the same member name; "
            "nothing was changed: remove one of them on one side, then sync again"
        )
    recipients = [crypto.parse_recipient(m.public) for m in merged]
    updates: Updates = {RECIPIENTS: ("100644", roster.format_recipients(merged).encode("utf-8"))}
    for generation, pair in sorted(ring.keys.items()):
        authorised = roster.key_file_authorisation(ring.texts[generation])
        text = roster.key_file_text(pair, generation, merged, authorised)
        updates[f"{KEYS_DIR}/{generation}.age"] = ("100644", crypto.encrypt(text.encode("utf-8"), recipients))
    return updates, merged


def _merge_plain(store: Store, path: str, base: str, ours: str, theirs: str) -> bytes:
    """Settings, policy and form files hold no personal data: git's own line merge, or a clear refusal."""
    import subprocess

    blobs = store.git.cat_files([f"{c}:{path}" for c in (ours, base, theirs)])
    with _private_temp(store) as folder:
        files = []
        for label, blob in zip(("ours", "base", "theirs"), blobs, strict=False):
            file = folder / label
            file.write_bytes(blob or b"")
            files.append(str(file))
        result = subprocess.run(["git", *SAFE_OPTIONS, "merge-file", "-p", *files], capture_output=True)
    if result.returncode != 0:
        raise CmtkError(
            f"{path}: this laptop and the other copy changed the same lines; nothing was changed. "
            "Make the two versions agree on one laptop, then sync again"
        )
    return result.stdout


def _commit_tree(store: Store, ours: str, theirs: str, updates: Updates, author: str) -> str:
    with _private_temp(store) as folder:
        new_blobs = {p: data for p, (_, data) in updates.items() if isinstance(data, bytes)}
        shas: dict[str, str] = {}
        if new_blobs:
            files = []
            for number, (path, data) in enumerate(new_blobs.items()):
                file = folder / f"blob-{number}"
                file.write_bytes(data)
                files.append(str(file))
            out = store.git.run("hash-object", "-w", "--no-filters", *files)
            shas = dict(zip(new_blobs, out.split(), strict=False))
        lines = []
        for path, (mode, data) in sorted(updates.items()):
            sha = shas.get(path) if isinstance(data, bytes) else data
            lines.append(f"0 {_ZERO}\t{path}" if sha is None else f"{mode} {sha}\t{path}")
        env = {"GIT_INDEX_FILE": str(folder / "index")}
        store.git.run("-c", "core.splitIndex=false", "read-tree", ours, env=env)
        if lines:
            import subprocess

            result = subprocess.run(
                [
                    "git",
                    *SAFE_OPTIONS,
                    "-c",
                    "core.splitIndex=false",
                    "-C",
                    str(store.root),
                    "update-index",
                    "--index-info",
                ],
                input="\n".join(lines) + "\n",
                text=True,
                capture_output=True,
                env={**os.environ, **env},
            )
            if result.returncode != 0:
                raise GitError("git update-index failed while merging; nothing was changed")
        tree = store.git.run("-c", "core.splitIndex=false", "write-tree", env=env)

    return store.git.run("commit-tree", tree, "-p", ours, "-p", theirs, "-m", MERGE_MESSAGE, env=_author_env(author))


def _move_to(store: Store, start: str, target: str) -> None:
    """Working tree, index, then HEAD to `target`, under a journal that lets the next sync finish the move."""
    journal = store.root / ".git" / "cmtk" / JOURNAL
    _write_atomic(journal, json.dumps({"from": start, "to": target}).encode("utf-8"))
    store.git.run("read-tree", "--reset", "-u", target)
    head = store.git.head()
    if head != target:
        store.git.run("update-ref", "-m", "sync", "HEAD", target, *([head] if head else []))
    journal.unlink()
    store.git.maintain()


# -- git's merge driver (a hand-run `git merge` / `git pull`) ---------------------------------------


def merge_driver(session: Session, base_file: Path, ours_file: Path, theirs_file: Path, path: str) -> list[str]:
    """Merge one record as git asks (%O %A %B %P): the result replaces %A; return the conflicting fields.

    Keys come from this working tree and from the branch being merged in
    (MERGE_HEAD), so a record written with a store key that only the other
    branch has still opens.
    """
    store = session.store
    ring = KeyRing(session)
    ring.load({g: store.key_path(g).read_bytes() for g in store.generations()}, "this laptop")
    try:
        other_head = store.git.run("rev-parse", "--verify", "-q", "MERGE_HEAD")
    except GitError:
        other_head = None
    if other_head:
        ring.load(key_blobs(store, other_head), "the branch being merged")
    base_data = base_file.read_bytes()
    base, base_generation = ring.open(base_data, path) if base_data else (None, 0)
    theirs, their_generation = ring.open(theirs_file.read_bytes(), path)
    if their_generation < base_generation:  # what a removed member who kept an old key could write
        raise CmtkError(
            f"{path}: the other branch's version uses an older store key than the common one; "
            "it may be forged. Use `cmtk sync`, which checks every change"
        )
    result = merge.merge_record(base, ring.open(ours_file.read_bytes(), path)[0], theirs)
    ours_file.write_bytes(ring.seal(result.content, max(ring.keys), path))
    return [c["field"] for c in result.new_conflicts]
