"""The encrypted case store: the one module that reads and writes its files and commits.

Layout (store.md): `.cmtk/` settings, policy, team and store keys; one folder
per case under `cases/<shard>/<CASE-ID>/`, one `<record-id>.age` file per
record. Records are encrypted to the store key; the store key of each
generation is encrypted to every member. Every change is written to temporary
files in the same folder, verified, renamed into place and committed once;
if anything fails before the commit, the files are put back as they were.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import re
import shlex
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

from cmtk import dates, system
from cmtk.errors import (
    CmtkError,
    DecryptError,
    IdentityError,
    LockError,
    RecordError,
    StoreNotFound,
)
from cmtk.store import crypto, faults, files, gitio, ids, paths, records, rows
from cmtk.store import identity as identity_module
from cmtk.store.gitio import Git
from cmtk.team import merge, roster

SETTINGS = files.SETTINGS
POLICY = ".cmtk/policy.yaml"
RECIPIENTS = ".cmtk/recipients.txt"
KEYS_DIR = ".cmtk/keys"
CASES_DIR = "cases"
CONFERENCES_DIR = "conferences"
RECORD_DIRS = (CASES_DIR, CONFERENCES_DIR)
ATTACHMENTS_DIR = "files"  # cases/<shard>/<CASE-ID>/files/<id>.age: the attached scans (cmtk.store.attachments)
TEMP_PREFIX = files.TEMP_PREFIX
SYNC_JOURNAL = "sync.json"  # in .git/cmtk/ while a sync moves the working tree (cmtk.team.sync)
WRITE_JOURNAL = "write.json"  # in .git/cmtk/ while a change of several files is renamed into place (Store.apply)
GITATTRIBUTES = (
    "# Records are age ciphertext: never convert line endings; diff them through\n"
    "# cmtk's textconv (decrypted in memory, never cached); never merge them as text.\n"
    "*.age -text diff=cmtk merge=binary\n"
)
LOCK_WAIT_SECONDS = float(os.environ.get("CMTK_LOCK_TIMEOUT", "30"))

Progress = Callable[[int, int], None]


def is_record_path(relative: str) -> bool:
    """A record file's path (relative to the store, with /): what `Store.record_files` lists."""
    parts = relative.split("/")
    return (
        parts[0] in RECORD_DIRS
        and relative.endswith(".age")
        and not parts[-1].startswith(TEMP_PREFIX)
        and (len(parts) < 2 or parts[-2] != ATTACHMENTS_DIR)
    )


def is_attachment_path(relative: str) -> bool:
    """An attached file (`cases/<shard>/<CASE-ID>/files/<id>.age`), not a record: it is never read as one."""
    parts = relative.split("/")
    return len(parts) == 5 and parts[0] == CASES_DIR and parts[3] == ATTACHMENTS_DIR


def textconv_command() -> str:
    """What git runs to show a decrypted diff: this Python running cmtk's hidden textconv."""
    return shlex.join([sys.executable, "-m", "cmtk", "textconv"])


@dataclass
class Change:
    """One file of a change: new ciphertext, or None to delete it."""

    path: Path
    data: bytes | None


class Store:
    """A store on disk, before anyone unlocks it."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    @classmethod
    def open(cls, explicit: str | os.PathLike | None = None) -> Store:
        root = paths.find_store(explicit)
        if not (root / SETTINGS).is_file():
            raise StoreNotFound.of("store-settings-missing", root=root)
        return cls(root)

    # -- plain (unencrypted) store files ----------------------------------------------------

    @cached_property
    def settings(self) -> dict:
        """settings.yaml, through a JSON copy in .git/cmtk/ while the file is unchanged (it holds no
        personal data), so that commands that need nothing else from YAML skip loading the YAML library."""
        return files.read_settings(self.root)

    @property
    def date_order(self) -> str:
        order = str(self.settings.get("date_order", "DMY")).upper()
        return order if order in dates.DATE_ORDERS else "DMY"

    @property
    def training(self) -> bool:
        return bool(self.settings.get("training", False))

    def parse_date(self, text: object, field: str = "date"):
        return dates.parse_date(text, field=field, order=self.date_order)

    def option_date(self, text: object, option: str) -> _dt.date:
        """A date given on the command line, in this store's order; malformed: a usage error (exit 2)."""
        return dates.parse_option_date(text, option=option, order=self.date_order)

    def optional_date(self, text: str | None, option: str, default=None):
        """A date option: `default` when it was not given at all, an error when it was given badly (even empty)."""
        return default if text is None else self.option_date(text, option)

    def members(self) -> list[roster.Member]:
        path = self.root / RECIPIENTS
        if not path.is_file():
            raise IdentityError.of("store-team-missing", recipients=RECIPIENTS)
        return roster.parse_recipients(path.read_text("utf-8"), RECIPIENTS)

    def generations(self) -> list[int]:
        found = []
        for path in (self.root / KEYS_DIR).glob("*.age"):
            if path.stem.isdigit():
                found.append(int(path.stem))
        return sorted(found)

    @property
    def current_generation(self) -> int:
        found = self.generations()
        if not found:
            raise IdentityError.of("store-key-missing", keys_dir=KEYS_DIR)
        return found[-1]

    def key_path(self, generation: int) -> Path:
        return self.root / KEYS_DIR / f"{generation}.age"

    # -- layout -----------------------------------------------------------------------------

    def case_dir(self, case_id: str) -> Path:
        return self.root / CASES_DIR / ids.shard(case_id) / case_id

    def existing_case_dir(self, case_id: str) -> Path:
        """The case's folder; an unknown case id is refused (with the near ids), nothing decrypted."""
        folder = self.case_dir(case_id)
        if not folder.is_dir():
            close = ids.one_off(case_id, self.case_ids())
            hint = f"did you mean {' or '.join(close[:3])}? " if close else ""
            raise CmtkError.of("no-such-case-hint", case_id=case_id, hint=hint)
        return folder

    def case_ids(self) -> list[str]:
        base = self.root / CASES_DIR
        if not base.is_dir():
            return []
        return sorted(
            entry.name
            for shard in base.iterdir()
            if shard.is_dir()
            for entry in shard.iterdir()
            if entry.is_dir() and ids.is_case_id(entry.name)
        )

    def conference_dir(self, conference_id: str) -> Path:
        return self.root / CONFERENCES_DIR / conference_id

    def conference_ids(self) -> list[str]:
        base = self.root / CONFERENCES_DIR
        return sorted(e.name for e in base.iterdir() if e.is_dir() and ids.is_case_id(e.name)) if base.is_dir() else []

    def has_case(self, case_id: str) -> bool:
        return self.case_dir(case_id).is_dir()

    def record_files(self) -> Iterator[Path]:
        """Every record file of the store (cases and conferences); temporary and attached files excluded."""
        for top in RECORD_DIRS:
            base = self.root / top
            if base.is_dir():
                for path in sorted(base.rglob("*.age")):
                    if not path.name.startswith(TEMP_PREFIX) and path.parent.name != ATTACHMENTS_DIR:
                        yield path

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    # -- what this laptop has accepted (kept in .git/cmtk/, never synced) ------------------------

    def trust(self) -> dict:
        path = self.root / ".git" / "cmtk" / "trust.json"
        try:
            data = json.loads(path.read_text("utf-8"))
            return {"keys": dict(data.get("keys") or {}), "team": list(data.get("team") or [])}
        except (OSError, ValueError, AttributeError):
            return {"keys": {}, "team": []}

    def save_trust(self, trust: dict) -> None:
        path = self.root / ".git" / "cmtk" / "trust.json"
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        files.write_atomic(path, json.dumps(trust, indent=1, sort_keys=True).encode("utf-8"))

    def is_committed(self, relative: str) -> bool:
        """The file is in HEAD and unchanged (one git call; used only when a new key generation appears)."""
        result = gitio.run_git(
            ["-C", str(self.root), "status", "--porcelain", "--", relative], capture_output=True, text=True
        )
        tracked = gitio.run_git(
            ["-C", str(self.root), "ls-files", "--error-unmatch", "--", relative], capture_output=True, text=True
        )
        return result.returncode == 0 and not result.stdout.strip() and tracked.returncode == 0

    def team_changes(self) -> tuple[list[str], list[str]]:
        """Keys added to and removed from recipients.txt since this laptop last accepted the team."""
        trusted = set(self.trust()["team"])
        current = {m.public for m in self.members()}
        if not trusted:
            return [], []
        return sorted(current - trusted), sorted(trusted - current)

    def accept_team(self) -> None:
        trust = self.trust()
        trust["team"] = sorted(m.public for m in self.members())
        self.save_trust(trust)

    # -- git and locking ----------------------------------------------------------------------

    def head_commit(self) -> str | None:
        """The commit HEAD points at, read from .git directly (no git process).

        Only a `refs/...` name and a 40-hex value are accepted: a hostile HEAD must not make
        cmtk read or print some other file.
        """
        git_dir = self.root / ".git"
        try:
            head = (git_dir / "HEAD").read_text("utf-8").strip()
        except OSError:
            return None
        value: str | None = head
        if head.startswith("ref: "):
            ref = head[5:]
            if not re.fullmatch(r"refs/[A-Za-z0-9._/-]+", ref) or ".." in ref:
                return None
            loose = git_dir / ref
            value = loose.read_text("utf-8").strip() if loose.is_file() else None
            if value is None and (git_dir / "packed-refs").is_file():
                for line in (git_dir / "packed-refs").read_text("utf-8").splitlines():
                    if line.endswith(" " + ref):
                        value = line.split()[0]
        return value if value and re.fullmatch(r"[0-9a-f]{40}", value) else None

    @cached_property
    def git(self):

        return Git(self.root)

    @contextlib.contextmanager
    def locked(self, wait: float | None = None) -> Iterator[None]:
        """One writer at a time; a second one waits (saying so) and then gives up clearly."""
        import filelock  # imported by commands that write only

        lock_dir = self.root / ".git" / "cmtk"
        lock_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock = system.lock_file(lock_dir / "lock")
        try:
            lock.acquire(timeout=0)
        except filelock.Timeout:
            limit = LOCK_WAIT_SECONDS if wait is None else wait
            print("Waiting for another cmtk command to finish with this store...", file=sys.stderr)
            try:
                lock.acquire(timeout=limit, poll_interval=0.05)
            except filelock.Timeout:
                raise LockError.of("store-busy", limit=limit) from None
        try:
            yield
        finally:
            lock.release()

    def sync_interrupted(self) -> bool:
        return (self.root / ".git" / "cmtk" / SYNC_JOURNAL).exists()

    def apply(self, changes: list[Change], message: str, author: str) -> str:
        """Write every change atomically, then one commit; on failure put everything back.

        A change of several files is written to temporary files first; a journal then lists them, so that
        a process killed while renaming them into place is finished, all of it, by the next write or by
        `cmtk doctor --repair` (finish_interrupted_write), never committed half-way.
        """
        if self.sync_interrupted():
            raise CmtkError.of("sync-interrupted")
        if (self.root / ".git" / "MERGE_HEAD").exists():  # git cannot commit over its unmerged records (issue 21.6)
            raise CmtkError.of("git-merge-unfinished")
        self.finish_interrupted_write()
        temps: list[tuple[Change, Path]] = []
        replaced: list[tuple[Path, bytes | None]] = []
        journal = self.root / ".git" / "cmtk" / WRITE_JOURNAL
        try:
            for change in changes:
                if change.data is not None:
                    change.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                    temps.append((change, files.write_temp(change.path.parent, change.data)))
                    faults.point("write.temp-written")
            if len(changes) > 1:
                planned = [
                    [self.relative(c.path), next((self.relative(t) for d, t in temps if d is c), None)] for c in changes
                ]
                journal.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                entry = {"message": message, "author": author, "changes": planned}
                files.write_atomic(journal, json.dumps(entry).encode("utf-8"))
                faults.point("write.journal-written")
            for change in changes:
                previous = change.path.read_bytes() if change.path.exists() else None
                replaced.append((change.path, previous))
                temp = next((t for c, t in temps if c is change), None)
                if temp is not None:
                    system.replace(temp, change.path)
                elif change.path.exists():
                    change.path.unlink()
                faults.point("write.replaced")
            for folder in {change.path.parent for change in changes}:
                files.fsync_dir(folder)
            faults.point("write.synced")
            commit = self.git.commit([self.relative(c.path) for c in changes], message, author)
            with contextlib.suppress(FileNotFoundError):
                journal.unlink()
            return commit
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                journal.unlink()
            for _, temp in temps:
                with contextlib.suppress(FileNotFoundError):
                    temp.unlink()
            for path, previous in reversed(replaced):
                if previous is None:
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
                else:
                    files.write_atomic(path, previous)
            with contextlib.suppress(Exception):
                self.git.run("reset", "-q", "--", *[self.relative(p) for p, _ in replaced])
            raise

    def interrupted_write(self) -> dict | None:
        """The journal of a change of several files whose process was stopped half-way, if any."""
        try:
            entry = json.loads((self.root / ".git" / "cmtk" / WRITE_JOURNAL).read_text("utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {"changes": []}  # unreadable: finishing it changes nothing, and removes it
        return entry if isinstance(entry, dict) else {"changes": []}

    def finish_interrupted_write(self) -> bool:
        """Rename the rest of an interrupted change into place and commit it (the caller holds the lock)."""
        entry = self.interrupted_write()
        if entry is None:
            return False
        targets = []
        for item in entry.get("changes") or []:
            target, temp = (item + [None, None])[:2] if isinstance(item, list) else (None, None)
            path, temp_path = self._inside(target), self._inside(temp)
            if path is None:
                continue
            targets.append(self.relative(path))
            if temp is not None and temp_path is not None and temp_path.is_file():
                os.replace(temp_path, path)
            elif temp is None and path.exists():
                path.unlink()
        for folder in {(self.root / t).parent for t in targets}:
            files.fsync_dir(folder)
        changed = {line[3:] for line in self.git.status()}
        pending = [t for t in targets if t in changed]
        if pending:
            author = str(entry.get("author") or "")
            try:
                self.git.commit(pending, str(entry.get("message")), author)
            except ValueError:  # not a message cmtk writes: the journal was edited
                self.git.commit(pending, "repair store", author)
        (self.root / ".git" / "cmtk" / WRITE_JOURNAL).unlink()
        return True

    def _inside(self, relative: object) -> Path | None:
        """A path the write journal names, if it is a file path inside the working tree (not in .git)."""
        if not isinstance(relative, str) or not relative or relative.startswith("/") or "\\" in relative:
            return None
        parts = relative.split("/")
        if ".." in parts or "." in parts or "" in parts or parts[0] == ".git":
            return None
        return self.root / relative

    def unlock_again(self, session: Session) -> Session:
        """A new session with the same identity (after the files changed under the old one)."""
        return Session(Store(self.root), session.me)

    def unlock(self, identity: str | os.PathLike | None = None) -> Session:

        path = paths.identity_path(identity, self.root)
        if paths.is_inside(path, self.root):
            raise IdentityError.of("identity-inside-store", path=path)
        throwaway = self.training and path.name == paths.DEMO_IDENTITY and paths.is_inside(path, self.root.parent)
        pair = identity_module.load(path, throwaway=throwaway)
        return Session(self, pair)


class Session:
    """A store opened with a member's identity: it can read and write records."""

    def __init__(self, store: Store, me: crypto.KeyPair) -> None:
        self.store = store
        self.me = me
        self._keys: dict[int, crypto.KeyPair] = {}
        self._seen: dict[Path, records.Record] = {}  # each record as this session read it (see save)
        self._kept: dict[Path, tuple[tuple[int, int, int], records.Record]] | None = None  # see keeping_reads
        self.merged_meanwhile: list[
            int
        ] = []  # after save: conflicts of each record merged with a change made meanwhile
        members = store.members()
        match = [m for m in members if m.public == me.public]
        if not match:
            raise IdentityError.of("not-in-team", public=me.public[:16], public2=me.public)
        self.member = match[0]
        if not store.trust()["team"]:
            store.accept_team()  # first use of this copy: trust the team as found (like ssh's known_hosts)

    @classmethod
    def reading_with(cls, store: Store, generation: int, store_key: crypto.KeyPair) -> Session:
        """A read-only session holding one store key and no identity (the index rebuild's worker processes)."""
        session = cls.__new__(cls)
        session.store = store  # no `me` or `member`: it can decrypt records, nothing that needs an identity
        session._keys, session._seen, session.merged_meanwhile = {generation: store_key}, {}, []
        session._kept = None
        return session

    @property
    def author(self) -> str:
        return self.member.name

    # -- store keys ---------------------------------------------------------------------------

    def key(self, generation: int) -> crypto.KeyPair:
        if generation not in self._keys:
            path = self.store.key_path(generation)
            source = self.store.relative(path)
            if not path.is_file():
                raise DecryptError.of("store-key-generation-missing", source=source, generation=generation)
            try:
                text = crypto.decrypt(path.read_bytes(), [self.me.identity], source).decode("utf-8")
            except DecryptError:
                raise DecryptError.of("store-key-not-for-you", source=source) from None
            pair = crypto.parse_identity_text(text, source)
            self._check_generation(generation, pair, text, source)
            self._keys[generation] = pair
        return self._keys[generation]

    def _check_generation(self, generation: int, pair: crypto.KeyPair, text: str, source: str) -> None:
        """A store key is accepted only if this laptop already knows it, or the previous generation authorised it."""
        trust = self.store.trust()
        pinned = trust["keys"].get(str(generation))
        if pinned == pair.public:
            return
        if pinned is not None:
            raise DecryptError.of("store-key-generation-unknown", source=source, generation=generation)
        if generation > 1:
            proof = roster.key_file_authorisation(text)
            expected = roster.authorisation(self.key(generation - 1), generation, pair.public)
            if not proof or not __import__("hmac").compare_digest(proof, expected):
                raise DecryptError.of(
                    "store-key-not-by-holder", source=source, generation=generation, generation2=generation - 1
                )
        elif trust["keys"]:
            raise DecryptError.of("store-key-first-duplicated", source=source)
        if self.store.is_committed(source):  # never pin a key file an interrupted command left behind
            trust = self.store.trust()  # read again: checking generation N-1 above may have pinned it (review 2, L6)
            trust["keys"][str(generation)] = pair.public
            self.store.save_trust(trust)

    def key_text(self, generation: int) -> str:
        """A store key file's decrypted text (its comments list the team it was encrypted to)."""
        self.key(generation)  # checked first: pinned, or authorised by the previous generation
        path = self.store.key_path(generation)
        return crypto.decrypt(path.read_bytes(), [self.me.identity], self.store.relative(path)).decode("utf-8")

    def require_team_matches_keys(self) -> None:
        """Refuse to act on a team file that differs from the newest store key's recipients (review 4, H3)."""
        if not roster.team_matches_keys(self.store.members(), self.key_text(self.store.current_generation)):
            raise CmtkError.of("team-list-tampered", team_tampered=roster.TEAM_TAMPERED)

    def current_key(self) -> crypto.KeyPair:
        current = self.store.current_generation
        pinned = [int(g) for g in self.store.trust()["keys"] if str(g).isdigit()]
        if pinned and max(pinned) > current:
            raise DecryptError.of("store-key-file-gone", keys_dir=KEYS_DIR, max=max(pinned))
        return self.key(current)

    def all_keys(self) -> list[crypto.KeyPair]:
        return [self.key(g) for g in reversed(self.store.generations())]

    # -- records ------------------------------------------------------------------------------

    def decrypt_file(self, path: Path) -> bytes:
        return self.open_file(path)[0]

    def open_file(self, path: Path) -> tuple[bytes, int]:
        """Plaintext and the store key generation that opened it (current first, then older ones)."""
        source = self.store.relative(path) if path.is_relative_to(self.store.root) else str(path)
        data = path.read_bytes()
        current = self.store.current_generation
        try:
            return crypto.decrypt(data, [self.key(current).identity], source), current
        except DecryptError:
            for generation in reversed(self.store.generations()[:-1]):
                try:
                    return crypto.decrypt(data, [self.key(generation).identity], source), generation
                except DecryptError:
                    continue
            raise

    @contextlib.contextmanager
    def keeping_reads(self) -> Iterator[None]:
        """Within this block, a record file read again unchanged (same size, time and inode) is not decrypted
        and parsed again: `doctor` checks each record, then each case's summary from the same records, and
        the second pass would otherwise double its time. For read-only passes only: the record returned is the
        same object. `forget_reads` empties it (doctor does, case by case, to bound memory)."""
        self._kept = {}
        try:
            yield
        finally:
            self._kept = None

    def forget_reads(self) -> None:
        if self._kept is not None:
            self._kept.clear()

    def read_record(self, path: Path) -> records.Record:
        if self._kept is None:
            return self._read_record(path)
        stat = path.stat()
        unchanged = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
        kept = self._kept.get(path)
        if kept is not None and kept[0] == unchanged:
            return kept[1]
        record = self._read_record(path)
        self._kept[path] = (unchanged, record)
        return record

    def _read_record(self, path: Path) -> records.Record:
        source = self.store.relative(path)
        plaintext, opened_with = self.open_file(path)
        record = records.decode(plaintext, source)
        if record.key_generation != opened_with:
            raise RecordError.of(
                "record-generation-mismatch",
                source=source,
                key_generation=record.key_generation,
                opened_with=opened_with,
            )
        parts = Path(source).parts
        expected_case = parts[-2] if len(parts) >= 3 else None
        if record.record != path.stem or record.case != expected_case:
            raise RecordError.of("record-wrong-path", source=source, case=record.case, record=record.record)
        if parts[0] == CASES_DIR and parts[1] != ids.shard(record.case):
            raise RecordError.of("case-folder-wrong-shard", source=source)
        self._seen[path] = record
        return record

    def case_records(self, case_id: str) -> list[records.Record]:
        folder = self.store.existing_case_dir(case_id)
        found = [
            self.read_record(path) for path in sorted(folder.glob("*.age")) if not path.name.startswith(TEMP_PREFIX)
        ]
        return sorted(found, key=lambda r: (r.date or _FAR_PAST, r.created, r.record))

    def record_path(self, record: records.Record) -> Path:
        if record.extra.get("subject") == "conference":
            return self.store.conference_dir(record.case) / f"{record.record}.age"
        return self.store.case_dir(record.case) / f"{record.record}.age"

    def conference_records(self, conference_id: str) -> list[records.Record]:
        folder = self.store.conference_dir(conference_id)
        if not folder.is_dir():
            raise CmtkError.of("no-such-conference", conference_id=conference_id)
        found = [self.read_record(p) for p in sorted(folder.glob("*.age")) if not p.name.startswith(TEMP_PREFIX)]
        return sorted(found, key=lambda r: (r.date or _FAR_PAST, r.created, r.record))

    def seal(self, record: records.Record) -> bytes:
        """Envelope, pad, encrypt to the current store key, and check it decrypts back."""
        key = self.current_key()
        plaintext = crypto.pad(records.encode(record.with_generation(self.store.current_generation)))
        ciphertext = crypto.encrypt(plaintext, [key.recipient])
        if crypto.decrypt(ciphertext, [key.identity], record.record) != plaintext:
            raise CmtkError.of("record-encryption-unverified", record=record.record)
        return ciphertext

    def save(
        self, case_id: str | None, new_records: list[records.Record], verb: str, dry_run: bool = False
    ) -> str | None:
        """Write records in one commit (`VERB CASE-ID`, or `VERB cases` for a bulk change).

        Records whose decrypted content is unchanged are not rewritten: age
        output is not deterministic, so rewriting would make empty history.
        """
        self.merged_meanwhile = []
        if not self.store.training:
            _refuse_future(new_records)
        with self.store.locked():
            changes, written = [], {}
            for record in new_records:
                rows.add_new_refs(record.body)  # rows saved for the first time get their stable refs
                path = self.record_path(record)
                if path.exists():
                    seen = self._seen.get(path)
                    old = self.read_record(path)
                    record = self._stamped(seen if seen is not None else old, record)
                    if seen is not None and old != seen:
                        record, conflicts = _merge_saved_meanwhile(seen, record, old)
                        self.merged_meanwhile.append(conflicts)
                    current = self.store.current_generation
                    if old.key_generation == current and old == record.with_generation(current):
                        continue
                changes.append(Change(path, self.seal(record)))
                written[path] = record.with_generation(self.store.current_generation)
            if not changes or dry_run:
                return None
            message = f"{verb} {case_id}" if case_id else f"{verb} cases"
            commit = self.store.apply(changes, message, self.author)
            self._seen.update(written)  # a second save in this command starts from what the first one wrote
            return commit

    def new_case_id(self) -> str:
        return ids.new_case_id(self.store.has_case)

    def _stamped(self, before: records.Record, record: records.Record) -> records.Record:
        """`record` with each field this save changed stamped with its writer and time (cmtk.team.merge:
        merges keep the value saved last to each field, and say truly who saved it). The time and name are
        the record's own when the command set them, else now and this session's member."""
        if record.updated and record.updated != before.updated:
            when, who = str(record.updated), str(record.updated_by or self.author)
        else:
            when, who = dates.now_utc().isoformat(), self.author
        stamps = merge.stamp_changes(before.body, before.extra.get(merge.STAMPS), record.body, when, who)
        extra = {k: v for k, v in record.extra.items() if k != merge.STAMPS}
        if stamps:
            extra[merge.STAMPS] = stamps
        return replace(record, extra=extra) if extra != record.extra else record


_FAR_PAST = dates.parse_date("1900-01-01")


def _refuse_future(new_records: list[records.Record]) -> None:
    """A real store never gets a write dated after the computer's own date (a leftover CMTK_TODAY or --as-of
    from training); a planned conference may carry a future date of its own, not a future timestamp."""
    for record in new_records:
        stamps = [record.created, record.updated or ""]
        events = (record.body.get("events") or []) if isinstance(record.body, dict) else []
        days = [e.get("date") for e in events[-1:] if isinstance(e, dict)]
        if record.extra.get("subject") != "conference":
            days.append(record.date)
        late = [d.isoformat() for d in days if d is not None and dates.after_real_today(d)]
        late += [s for s in stamps if s and dates.after_real_today(_parse_stamp(s))]
        if late:
            shown = late[0]
            fake = dates.faked()
            cause = f"CMTK_TODAY={fake} is set" if fake else "a date after today was given"
            raise CmtkError.of(
                "date-after-clock", dated=shown[:10], real_today=dates.real_today().isoformat(), cause=cause
            )


def _parse_stamp(text: str):
    try:
        stamp = _dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=_dt.UTC)


def _merge_saved_meanwhile(
    seen: records.Record, mine: records.Record, current: records.Record
) -> tuple[records.Record, int]:
    """The record changed on disk after this command read it (a sync, another command, a long `case edit`):
    merge field by field instead of overwriting (security review round 2, L7). Returns the merged record and
    how many fields changed both ways (listed for `cmtk conflicts`)."""

    result = merge.merge_record(records.envelope(seen), records.envelope(mine), records.envelope(current))
    return records.from_envelope(result.content, mine.record), len(result.new_conflicts)
