"""Working as a team: remotes, `cmtk sync` (fetch, merge, push) and encrypted USB bundles.

Sync goes through plain git remotes (a bare repository on an office server or a
shared folder) or, for a USB stick, one age-encrypted git bundle file: a bare
repository on a stick shows file names, sizes, dates and authors, an encrypted
bundle shows nothing.

Merging happens here, in memory, not through git's merge machinery: git lists
what each side changed since their common commit (`diff-tree`), every path
changed on one side only is taken as is, and only records changed on both
sides are decrypted and merged field by field (cmtk.merge). The merged tree
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from cmtk import crypto, merge, records, team, yamlio
from cmtk.errors import CmtkError, DecryptError, GitError, UsageError
from cmtk.store import KEYS_DIR, RECIPIENTS, RECORD_DIRS, Session, Store, _write_atomic

JOURNAL = "sync.json"
BRANCH = "main"
MERGE_MESSAGE = "merge sync"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
_BUNDLE_KEY = "cmtk-bundle"
# Every git command of a sync: no ext:: or fd:: transports (a URL must never run a program).
_TRANSPORT = ("-c", "protocol.ext.allow=never", "-c", "protocol.fd.allow=never")
_KEY_FILE = re.compile(r"^\.cmtk/keys/(\d+)\.age$")
_ZERO = "0" * 40

Say = Callable[[str], None]


@dataclass
class Remote:
    name: str
    url: str
    bundle: bool


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


# -- remotes --------------------------------------------------------------------------------


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise UsageError("NAME: use 1-40 letters, digits, '-' or '_', starting with a letter or digit (e.g. office, usb)")
    return name


def check_url(url: str) -> str:
    url = url.strip()
    if not url or url.startswith("-") or "\n" in url:
        raise UsageError("URL: give a path (a folder or a .age bundle file) or an ssh address such as user@server:cci.git")
    if "::" in url.split("/")[0] or url.startswith(("ext:", "fd:")):
        raise UsageError("URL: remote helpers such as ext:: are not allowed; give a path or an ssh address")
    return url


def _is_local(url: str) -> bool:
    return url.startswith(("/", "./", "../", "~", "file://")) or (":" not in url)


def _local_path(url: str) -> Path:
    return Path(os.path.expanduser(url[len("file://"):] if url.startswith("file://") else url)).absolute()


def remotes(store: Store) -> list[Remote]:
    found: dict[str, Remote] = {}
    try:
        out = store.git.run("config", "--local", "--get-regexp", r"^(remote|cmtk-bundle)\..*\.(url|path)$")
    except GitError:
        return []
    for line in out.splitlines():
        key, _, value = line.partition(" ")
        kind, _, rest = key.partition(".")
        name = rest.rsplit(".", 1)[0]
        found[name] = Remote(name, value, kind == _BUNDLE_KEY)
    return sorted(found.values(), key=lambda r: r.name)


def add_remote(store: Store, name: str, url: str, bundle: bool | None = None) -> tuple[Remote, str]:
    """Record a remote; a local folder that does not exist yet becomes an empty bare repository."""
    name, url = check_name(name), check_url(url)
    if any(r.name == name for r in remotes(store)):
        raise CmtkError(f"there is already a remote called '{name}'; see `cmtk remote list`")
    is_bundle = url.endswith(".age") if bundle is None else bundle
    note = ""
    if is_bundle:
        if not _is_local(url):
            raise UsageError("URL: an encrypted bundle must be a file path (for example on a USB stick)")
        path = _local_path(url)
        if not path.parent.is_dir():
            raise CmtkError(f"{path.parent}: no such folder; is the USB stick plugged in?")
        if path.exists() and path.is_dir():
            raise UsageError(f"URL: {path} is a folder; give a file name ending in .age for an encrypted bundle")
        url = str(path)
        store.git.run("config", "--local", f"{_BUNDLE_KEY}.{name}.path", url)
        note = "encrypted bundle (the file is written at the first sync)"
    else:
        if _is_local(url):
            path = _local_path(url)
            if not path.exists():
                if not path.parent.is_dir():
                    raise CmtkError(f"{path.parent}: no such folder; is the drive or share mounted?")
                store.git.run("init", "-q", "--bare", "-b", BRANCH, str(path))
                note = f"created an empty shared repository at {path}"
            elif not (path / "HEAD").is_file() and not (path / ".git").exists():
                raise CmtkError(f"{path}: exists but is not a git repository; give a new folder or an existing shared store")
            url = str(path)
        store.git.run("remote", "add", name, url)
    return Remote(name, url, is_bundle), note


def remove_remote(store: Store, name: str) -> None:
    remote = find_remote(store, name)
    if remote.bundle:
        store.git.run("config", "--local", "--remove-section", f"{_BUNDLE_KEY}.{name}")
    else:
        store.git.run("remote", "remove", name)


def find_remote(store: Store, name: str | None) -> Remote:
    known = remotes(store)
    if not known:
        raise CmtkError("this store has no remote yet; add one with `cmtk remote add NAME URL`")
    if name is None:
        if len(known) == 1:
            return known[0]
        names = ", ".join(r.name for r in known)
        raise UsageError(f"NAME: this store has several remotes ({names}); say which one to sync with")
    for remote in known:
        if remote.name == name:
            return remote
    raise CmtkError(f"no remote called '{name}'; the remotes are: {', '.join(r.name for r in known)}")


# -- the merge driver's and textconv's configuration ------------------------------------------


def install_merge_driver(store: Store) -> None:
    """Let a hand-run `git merge` or `git pull` merge records through cmtk (never as text).

    The attribute goes into .git/info/attributes, not the tracked .gitattributes:
    a copy made with plain `git clone` has no driver configured, and git would
    then fall back to a text merge; .gitattributes keeps `merge=binary` for it.
    """
    import shlex
    import sys

    command = shlex.join([sys.executable, "-m", "cmtk", "merge-driver"]) + " %O %A %B %P"
    store.git.set_config("merge.cmtk.name", "cmtk: field-by-field merge of encrypted records")
    store.git.set_config("merge.cmtk.driver", command)
    info = store.root / ".git" / "info"
    info.mkdir(parents=True, exist_ok=True)
    line = "*.age merge=cmtk\n"
    attributes = info / "attributes"
    text = attributes.read_text("utf-8") if attributes.is_file() else ""
    if line not in text:
        attributes.write_text(text + line, "utf-8")


# -- keys from any commit -----------------------------------------------------------------------


class KeyRing:
    """Store keys by generation, read from key-file blobs of any commit and checked like Session.key.

    A generation this laptop has not pinned must be authorised by the previous
    one (team.authorisation), so a copy from a remote cannot slip in a key that
    its writer knows.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.keys: dict[int, crypto.KeyPair] = {}
        self.texts: dict[int, str] = {}
        self.extra: list[crypto.KeyPair] = []  # keys that open records but are not part of the kept chain

    def load(self, blobs: dict[int, bytes], source: str, allow_repin: set[int] = frozenset()) -> None:
        for generation in sorted(blobs):
            try:
                text = crypto.decrypt(blobs[generation], [self.session.me.identity], f"{source} key {generation}").decode("utf-8")
            except DecryptError:
                raise CmtkError(
                    f"the copy on {source} has a store key (generation {generation}) that your key cannot open: you were "
                    "removed from the team there, or your key changed. Nothing was changed; ask your case manager"
                ) from None
            pair = crypto.parse_identity_text(text, f"{source} key {generation}")
            known = self.keys.get(generation)
            if known is not None and known.public != pair.public:
                raise CmtkError(f"{source}: store key generation {generation} differs from the one in the common history; "
                                "it may have been tampered with: nothing was changed, ask your case manager")
            pinned = self.session.store.trust()["keys"].get(str(generation))
            if pinned is not None and pinned != pair.public and generation not in allow_repin:
                raise CmtkError(
                    f"the copy on {source} has a different store key generation {generation} than this laptop knew; "
                    "it may have been tampered with: nothing was changed, ask your case manager"
                )
            if (pinned is None or pinned != pair.public) and generation > 1:
                previous = self.keys.get(generation - 1)
                proof = team.key_file_authorisation(text)
                if previous is None or not proof or proof != team.authorisation(previous, generation, pair.public):
                    raise CmtkError(
                        f"the copy on {source} has a store key generation {generation} not made by a holder of generation "
                        f"{generation - 1}; it may have been tampered with: nothing was changed, ask your case manager"
                    )
            self.keys[generation] = pair
            self.texts[generation] = text

    def open(self, data: bytes, source: str) -> tuple[dict, int]:
        candidates = [(g, self.keys[g]) for g in sorted(self.keys, reverse=True)] + [(0, k) for k in self.extra]
        for generation, pair in candidates:
            try:
                plaintext = crypto.decrypt(data, [pair.identity], source)
            except DecryptError:
                continue
            content = yamlio.loads(plaintext, source)
            if not isinstance(content, dict) or content.get("cmtk_record") != records.FORMAT:
                raise CmtkError(f"{source}: decrypts but is not a cmtk record; nothing was changed, see `cmtk doctor`")
            return content, generation
        raise CmtkError(f"{source}: no store key opens this record; nothing was changed, see `cmtk doctor`")

    def seal(self, content: dict, generation: int, source: str) -> bytes:
        content = {**content, "key_generation": generation}
        plaintext = yamlio.dumps(content).encode("utf-8")
        records.decode(plaintext, source)  # still a valid record
        key = self.keys[generation]
        padded = crypto.pad(plaintext)
        ciphertext = crypto.encrypt(padded, [key.recipient])
        if crypto.decrypt(ciphertext, [key.identity], source) != padded:
            raise CmtkError(f"{source}: encryption could not be verified; nothing was changed")
        return ciphertext


ConfirmTeam = Callable[[list[team.Member]], bool]


# -- sync ---------------------------------------------------------------------------------------


def sync(session: Session, name: str | None = None, say: Say | None = None, confirm_team: ConfirmTeam | None = None) -> Outcome:
    """Fetch from a remote, merge, push back; in one lock, finishing an interrupted sync first."""
    store = session.store
    remote = find_remote(store, name)
    outcome = Outcome(remote.name)
    trusted_before = set(store.trust()["team"]) or {m.public for m in store.members()}
    with store.locked():
        remove_leftovers(store)
        outcome.finished_interrupted = finish_interrupted(store)
        _require_clean(store)
        for _attempt in range(3):
            theirs = _fetch(session, remote)
            _integrate(session, theirs, outcome, confirm_team)
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
        raise CmtkError("a sync was interrupted and the store has moved on since; ask for help before changing "
                        "anything (the sync journal is .git/cmtk/sync.json)")
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
    from cmtk import membership

    if membership.interrupted(store):
        raise CmtkError("a team change was interrupted; run `cmtk doctor --repair` before syncing")
    if store.git.status():
        raise CmtkError("the store has changes that are not committed; run `cmtk doctor` (and `cmtk doctor --repair`) before syncing")


def _git(store: Store, *args: str, env: dict | None = None) -> str:
    return store.git.run(*_TRANSPORT, *args, env=env)


def _fetch(session: Session, remote: Remote) -> str | None:
    """Bring the remote's branch into refs/remotes/NAME/main; its commit, or None for an empty remote."""
    store = session.store
    ref = f"refs/remotes/{remote.name}/{BRANCH}"
    if remote.bundle:
        path = Path(remote.url)
        if not path.exists():
            if not path.parent.is_dir():
                raise CmtkError(f"{path.parent}: no such folder; is the USB stick plugged in?")
            return None
        try:
            data = crypto.decrypt(path.read_bytes(), [session.me.identity], str(path))
        except DecryptError:
            raise CmtkError(
                f"{path}: this bundle is not encrypted to your key (written before you joined the team, or not a cmtk "
                "bundle); ask a team member to sync with it once, then try again"
            ) from None
        with _private_temp(store) as folder:
            bundle = folder / "incoming.bundle"
            bundle.write_bytes(data)
            try:
                _git(store, "bundle", "verify", "-q", str(bundle))
            except GitError:
                raise CmtkError(f"{path}: the bundle is damaged or holds a different store; nothing was changed") from None
            _git(store, "fetch", "-q", "--no-tags", str(bundle), f"+refs/heads/{BRANCH}:{ref}")
    else:
        try:
            _git(store, "fetch", "-q", "--no-tags", remote.name, f"+refs/heads/{BRANCH}:{ref}")
        except GitError as error:
            if "couldn't find remote ref" in str(error):
                return None
            raise CmtkError(f"could not fetch from {remote.name} ({remote.url}): {str(error).split(': ', 1)[-1]}; "
                            "nothing was changed") from None
    try:
        return _git(store, "rev-parse", "--verify", "-q", ref + "^{commit}")
    except GitError:
        return None


def _push(session: Session, remote: Remote) -> bool:
    store = session.store
    head = store.git.head()
    if head is None:
        return True
    if remote.bundle:
        _write_bundle(session, Path(remote.url))
        return True
    remote_head = _remote_head(store, remote)
    if remote_head == head:
        return True
    try:
        _git(store, "push", "-q", "--no-verify", remote.name, f"HEAD:refs/heads/{BRANCH}")
    except GitError as error:
        message = str(error)
        if any(word in message for word in ("rejected", "fetch first", "non-fast-forward")):
            return False
        raise CmtkError(f"could not send to {remote.name} ({remote.url}): {message.split(': ', 1)[-1]}; "
                        "your changes are safe here, sync again later") from None
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
    members = store.members()
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


def _integrate(session: Session, theirs: str | None, outcome: Outcome, confirm_team: ConfirmTeam | None = None) -> None:
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
        raise CmtkError(f"{outcome.remote} holds a different store (no history in common); nothing was changed") from None
    outcome.received += _count(store, ours, theirs)
    if base == ours:
        _check_keys(session, theirs, outcome.remote)
        _move_to(store, ours, theirs)
        return
    outcome.sent += _count(store, theirs, ours)
    merged = _merge_commits(session, base, ours, theirs, outcome, confirm_team)
    _move_to(store, ours, merged)
    trust = store.trust()
    if outcome.new_generation:  # this laptop's own numbering gave way to the remote's (see _merge_commits)
        trust["keys"] = {str(g): public for g, public in outcome.kept_keys.items()}
    if outcome.team_confirmed:
        trust["team"] = sorted(m.public for m in store.members())
    store.save_trust(trust)


def _check_keys(session: Session, commit: str, source: str) -> None:
    """Before anything moves: every store key of the other copy must open with this member's key."""
    ring = KeyRing(session)
    ring.load(_key_blobs(session.store, commit), source)


def _key_blobs(store: Store, commit: str) -> dict[int, bytes]:
    listing = _ls_tree(store, commit, KEYS_DIR)
    generations = {int(m.group(1)): sha for path, (_, sha) in listing.items() if (m := _KEY_FILE.match(path))}
    blobs = store.git.cat_files(list(generations.values()))
    return {g: b for g, b in zip(generations, blobs) if b is not None}


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


def _ls_tree(store: Store, commit: str, *paths: str) -> dict[str, tuple[str, str]]:
    out = store.git.run("ls-tree", "-r", "-z", commit, "--", *paths, strip=False)
    entries = {}
    for item in out.split("\0"):
        if not item:
            continue
        meta, _, path = item.partition("\t")
        mode, _kind, sha = meta.split()
        entries[path] = (mode, sha)
    return entries


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


def _merge_commits(session: Session, base: str, ours: str, theirs: str, outcome: Outcome,
                   confirm_team: ConfirmTeam | None = None) -> str:
    store = session.store
    mine, other = _changes(store, base, ours), _changes(store, base, theirs)
    base_keys, our_keys, their_keys = (_key_blobs(store, c) for c in (base, ours, theirs))
    newer_here = {g for g in our_keys if g > max(base_keys)}
    ours_ring = KeyRing(session)
    ours_ring.load(base_keys, "the common history")
    ours_ring.load(our_keys, "this laptop")
    ring = KeyRing(session)  # the chain of store keys the merged store keeps: the remote's, then ours after it
    ring.load(base_keys, "the common history")
    ring.load(their_keys, outcome.remote, allow_repin=newer_here)
    clash = sorted(g for g in newer_here if g in ring.keys and ring.keys[g].public != ours_ring.keys[g].public)
    if clash:
        ring.extra = [ours_ring.keys[g] for g in sorted(newer_here)]
    else:
        for generation in newer_here:
            ring.keys[generation], ring.texts[generation] = ours_ring.keys[generation], ours_ring.texts[generation]

    updates: dict[str, tuple[str, bytes | str | None]] = {}  # path -> (mode, blob bytes to write | existing sha | None)
    both = [p for p in other if p in mine and mine[p][1] != other[p][1]]
    for path, (mode, sha) in other.items():
        if path not in mine:
            updates[path] = (mode, None if sha == _ZERO else sha)

    new_generation = None
    if clash:
        # Both laptops removed someone offline and each made generation N+1. The remote's numbering is kept; a
        # fresh generation after it, made here for the merged team, takes every record, so no one removed on
        # either side can read what is written from now on.
        new_generation = max(ring.keys) + 1
        new_key = crypto.generate()
        previous = ring.keys[new_generation - 1]
        ring.texts[new_generation] = f"# authorised: {team.authorisation(previous, new_generation, new_key.public)}\n"
        ring.keys[new_generation] = new_key
        for generation in newer_here:
            if generation > new_generation:
                updates[f"{KEYS_DIR}/{generation}.age"] = ("100644", None)
        outcome.new_generation = new_generation

    team_paths = [p for p in both if p == RECIPIENTS or _KEY_FILE.match(p)]
    if team_paths or clash:
        team_updates, added = _merge_team(store, ring, base, ours, theirs)
        unaccepted = [m for m in added if m.public not in set(store.trust()["team"])]
        if unaccepted and not (confirm_team and confirm_team(unaccepted)):
            names = ", ".join(f"{m.name} ({m.public[:16]}...)" for m in unaccepted)
            raise CmtkError(f"{outcome.remote} added team members this laptop has not accepted: {names}; nothing was "
                            "changed. Check each key with its owner, then run `cmtk sync --accept-team`")
        outcome.team_confirmed = bool(unaccepted)
        updates.update(team_updates)
    plain = [p for p in both if p not in team_paths and not _is_record(p)]
    for path in plain:
        updates[path] = ("100644", _merge_plain(store, path, base, ours, theirs))

    merged_generation = max(ring.keys)
    record_paths = [p for p in both if _is_record(p)]
    blobs = store.git.cat_files([f"{c}:{p}" for p in record_paths for c in (base, ours, theirs)])
    for index, path in enumerate(record_paths):
        old, mine_data, their_data = blobs[3 * index: 3 * index + 3]
        if mine_data is None or their_data is None:  # deleted on one side, changed on the other: keep the change
            kept = mine_data if their_data is None else their_data
            updates[path] = ("100644", ring.seal(ring.open(kept, path)[0], merged_generation, path))
            continue
        base_content = ring.open(old, path)[0] if old is not None else None
        result = merge.merge_record(base_content, ring.open(mine_data, path)[0], ring.open(their_data, path)[0])
        updates[path] = ("100644", ring.seal(result.content, merged_generation, path))
        outcome.merged_records += 1
        outcome.conflicts.extend((path, c["field"]) for c in result.new_conflicts)

    # Records written with an older store key than the merged store's newest (the other side removed a member
    # meanwhile, or both did): re-encrypt them, or a removed member could still read them.
    if clash:
        listing = {p: sha for p, (_, sha) in _ls_tree(store, ours, *RECORD_DIRS).items()}
        stale = {p: (ours, sha) for p, sha in listing.items()}
        for path, (_, sha) in other.items():
            if _is_record(path) and path not in mine:
                stale[path] = (theirs, sha)
        sources = [(p, c) for p, (c, sha) in stale.items() if sha != _ZERO and not isinstance(updates.get(p, ("", None))[1], bytes)
                   and not (p in updates and updates[p][1] is None)]
        specs = [f"{c}:{p}" for p, c in sources]
    else:
        sources, specs = [], []
        for side, changed in ((ours, mine), (theirs, other)):
            if max(_key_blobs(store, side)) >= merged_generation:
                continue
            taken = [p for p, (_, sha) in changed.items() if _is_record(p) and sha != _ZERO
                     and not isinstance(updates.get(p, ("", None))[1], bytes)]
            sources += [(p, side) for p in taken]
            specs += [f"{side}:{p}" for p in taken]
    for (path, _), blob in zip(sources, store.git.cat_files(specs)):
        if blob is None:
            continue
        content, generation = ring.open(blob, path)
        if generation != merged_generation or clash:
            updates[path] = ("100644", ring.seal(content, merged_generation, path))
            outcome.reencrypted += 1
    commit = _commit_tree(store, ours, theirs, updates, session.author)
    outcome.kept_keys = {g: pair.public for g, pair in ring.keys.items()}
    return commit


def _merge_team(store: Store, ring: KeyRing, base: str, ours: str, theirs: str
                ) -> tuple[dict[str, tuple[str, bytes | str | None]], list[team.Member]]:
    """The member list merged (additions and removals of both sides kept), every key file re-encrypted to it."""
    texts = store.git.cat_files([f"{c}:{RECIPIENTS}" for c in (base, ours, theirs)])
    lists = [team.parse_recipients(t.decode("utf-8")) if t else [] for t in texts]
    old, mine, other = ({m.public: m for m in members} for members in lists)
    merged = [m for k, m in mine.items() if k in other or k not in old]
    added = [m for k, m in other.items() if k not in mine and k not in old]
    merged += added
    names = [m.name.casefold() for m in merged]
    if len(set(names)) != len(names):
        raise CmtkError("this laptop and the other copy each added a different key under the same member name; "
                        "nothing was changed: remove one of them on one side, then sync again")
    recipients = [crypto.parse_recipient(m.public) for m in merged]
    updates: dict[str, tuple[str, bytes | str | None]] = {
        RECIPIENTS: ("100644", team.format_recipients(merged).encode("utf-8")),
    }
    for generation, pair in sorted(ring.keys.items()):
        authorised = team.key_file_authorisation(ring.texts[generation])
        text = team.key_file_text(pair, generation, merged, authorised)
        updates[f"{KEYS_DIR}/{generation}.age"] = ("100644", crypto.encrypt(text.encode("utf-8"), recipients))
    return updates, added


def _merge_plain(store: Store, path: str, base: str, ours: str, theirs: str) -> bytes:
    """Settings, policy and form files hold no personal data: git's own line merge, or a clear refusal."""
    import subprocess

    from cmtk.gitio import SAFE_OPTIONS

    blobs = store.git.cat_files([f"{c}:{path}" for c in (ours, base, theirs)])
    with _private_temp(store) as folder:
        files = []
        for label, blob in zip(("ours", "base", "theirs"), blobs):
            file = folder / label
            file.write_bytes(blob or b"")
            files.append(str(file))
        result = subprocess.run(["git", *SAFE_OPTIONS, "merge-file", "-p", *files], capture_output=True)
    if result.returncode != 0:
        raise CmtkError(f"{path}: this laptop and the other copy changed the same lines; nothing was changed. "
                        "Make the two versions agree on one laptop, then sync again")
    return result.stdout


def _commit_tree(store: Store, ours: str, theirs: str, updates: dict[str, tuple[str, bytes | str | None]], author: str) -> str:
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
            shas = dict(zip(new_blobs, out.split()))
        lines = []
        for path, (mode, data) in sorted(updates.items()):
            sha = shas.get(path) if isinstance(data, bytes) else data
            lines.append(f"0 {_ZERO}\t{path}" if sha is None else f"{mode} {sha}\t{path}")
        env = {"GIT_INDEX_FILE": str(folder / "index")}
        store.git.run("-c", "core.splitIndex=false", "read-tree", ours, env=env)
        if lines:
            import subprocess

            from cmtk.gitio import SAFE_OPTIONS

            result = subprocess.run(
                ["git", *SAFE_OPTIONS, "-c", "core.splitIndex=false", "-C", str(store.root), "update-index", "--index-info"],
                input="\n".join(lines) + "\n", text=True, capture_output=True, env={**os.environ, **env},
            )
            if result.returncode != 0:
                raise GitError("git update-index failed while merging; nothing was changed")
        tree = store.git.run("-c", "core.splitIndex=false", "write-tree", env=env)
    from cmtk.gitio import _author_env

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
        ring.load(_key_blobs(store, other_head), "the branch being merged")
    base_data = base_file.read_bytes()
    base = ring.open(base_data, path)[0] if base_data else None
    result = merge.merge_record(base, ring.open(ours_file.read_bytes(), path)[0], ring.open(theirs_file.read_bytes(), path)[0])
    ours_file.write_bytes(ring.seal(result.content, max(ring.keys), path))
    return [c["field"] for c in result.new_conflicts]


def configure_copy(store: Store) -> None:
    """Local git settings every copy of a store needs (init and clone)."""
    from cmtk import store as store_module
    from cmtk.gitio import STORE_CONFIG

    for key, value in STORE_CONFIG.items():
        store.git.set_config(key, value)
    store.git.set_config("diff.cmtk.textconv", store_module.textconv_command())
    install_merge_driver(store)


def clone(url: str, target: Path, identity_pair: crypto.KeyPair, bundle: bool | None = None) -> Store:
    """A new copy of a store from a remote (a shared repository or an encrypted bundle), ready to sync with it."""
    from cmtk.gitio import Git

    url = check_url(url)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise CmtkError(f"{target}: exists and is not empty; choose a new folder for the copy")
    is_bundle = url.endswith(".age") if bundle is None else bundle
    if is_bundle:
        source = _local_path(url)
        if not source.is_file():
            raise CmtkError(f"{source}: no such bundle file; is the USB stick plugged in?")
    elif _is_local(url):
        source = _local_path(url)
        if not source.exists():
            raise CmtkError(f"{source}: no such folder; is the drive or share mounted?")
    created = not target.exists()
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        runner = Git(target.parent)
        if is_bundle:
            try:
                data = crypto.decrypt(source.read_bytes(), [identity_pair.identity], str(source))
            except DecryptError:
                raise CmtkError(f"{source}: this bundle is not encrypted to your key; ask a team member to add you "
                                "(`cmtk team add`) and sync with the stick, then try again") from None
            staging = Path(tempfile.mkdtemp(prefix=".cmtk-clone-", dir=target.parent))
            try:
                (staging / "incoming.bundle").write_bytes(data)
                runner.run(*_TRANSPORT, "clone", "-q", "--no-checkout", "-b", BRANCH, "-c", "core.autocrlf=false",
                           str(staging / "incoming.bundle"), str(target))
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        else:
            runner.run(*_TRANSPORT, "clone", "-q", "--no-checkout", "-b", BRANCH, "-c", "core.autocrlf=false",
                       url if not _is_local(url) else str(source), str(target))
        copy = Store(target)
        if is_bundle:
            copy.git.run("remote", "remove", "origin")
            copy.git.run("config", "--local", f"{_BUNDLE_KEY}.origin.path", str(source))
        configure_copy(copy)
        copy.git.run("checkout", "-q", BRANCH)
        if not (target / ".cmtk" / "settings.yaml").is_file():
            raise CmtkError(f"{url}: this is not a cmtk store (no .cmtk/settings.yaml); nothing was kept")
        return copy
    except BaseException:
        if created:
            shutil.rmtree(target, ignore_errors=True)
        else:
            for child in target.iterdir():
                shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink()
        raise
