"""`cmtk doctor`: prove the store is sound, as a list of findings.

Checks: every record decrypts, parses, sits at its own path and uses the
current store key generation; every attached file has its record, opens with
the key it holds and matches its size and SHA-256; every store key file opens
and is encrypted to exactly the current team; nothing in the working tree is
plaintext where ciphertext belongs; git settings never cache decrypted text;
git fsck is clean.
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cmtk import __version__, dates, messages
from cmtk.casework import attachments, cases
from cmtk.errors import CmtkError
from cmtk.findings import Finding
from cmtk.forms import definitions, validate
from cmtk.index import summary
from cmtk.messages import finding
from cmtk.store import crypto, files
from cmtk.store.attachments import blob_path
from cmtk.store.session import (
    ATTACHMENTS_DIR,
    KEYS_DIR,
    RECORD_DIRS,
    TEMP_PREFIX,
    WRITE_JOURNAL,
    Session,
    Store,
    is_attachment_path,
    is_record_path,
)
from cmtk.team import integrate, roster, rotation, sync
from cmtk.team.outcome import Outcome

ALLOWED_PLAIN = {".cmtk/settings.yaml", ".cmtk/policy.yaml", ".cmtk/recipients.txt", ".gitattributes"}
# Records cmtk keeps for itself, with no form definition: a case's file and a conference's file.
INTERNAL_FORMS = {"conference-file", *cases.INTERNAL_FORMS}  # records cmtk keeps itself
_KEY_FILE = re.compile(r"^\.cmtk/keys/\d+\.age$")
_FORM_OVERRIDE = re.compile(r"^\.cmtk/forms/[a-z0-9][a-z0-9-]{0,63}\.yaml$")  # a store's own form definitions


def stanza_count(data: bytes) -> int:
    """How many X25519 recipient stanzas an age header has (grease stanzas are not counted)."""
    end = data.find(b"\n--- ")
    header = data[: end if end >= 0 else 4096]
    return header.count(b"\n-> X25519 ")


def _working_files(store: Store) -> list[str]:
    """Every file of the working tree, relative to the store with /; .git is not entered (it holds most of
    the store's files, and a warm doctor at 10,000 cases spent a quarter of its time walking it)."""
    root = str(store.root)
    found = []
    for folder, folders, names in os.walk(root):
        if folder == root:
            folders[:] = [f for f in folders if f != ".git"]
        inside = os.path.relpath(folder, root).replace(os.sep, "/")
        prefix = "" if inside == "." else inside + "/"
        found += [prefix + name for name in names]
    return sorted(found)


@dataclass(frozen=True)
class Checkup:
    """What `cmtk doctor` repaired (with --repair) and what it found wrong afterwards."""

    repaired: list[str]
    findings: list[Finding]

    def to_json(self) -> dict[str, Any]:
        return {
            "repaired": list(self.repaired),
            "findings": [{"where": f.where, "code": f.code, "message": f.message} for f in self.findings],
        }

    def to_rows(self) -> tuple[list[str], list[list[Any]]]:
        return ["where", "code", "message"], [[f.where, f.code, f.message] for f in self.findings]


def checkup(
    session: Session, *, repair_first: bool = False, full: bool = False, progress: Progress | None = None
) -> Checkup:
    """Repair first if asked, then check the store (only what changed since the last clean check, unless `full`)."""
    repaired = repair(session) if repair_first else []
    return Checkup(repaired, check(session, full=full, progress=progress))


Progress = Callable[[int, int], None]  # (records checked, records to check)

CLEAN_CHECK = "doctor.json"  # in .git/cmtk: the commit of the last check that found nothing (no case data)


def _rules_stamp(store: Store) -> str:
    """What a record's check depends on besides the record: cmtk's version (its forms) and the store's own
    settings, policy, forms, team and keys (the tree of .cmtk in the working tree's commit)."""
    try:
        tree = store.git.run("rev-parse", "HEAD:.cmtk")
    except CmtkError:
        tree = ""
    return f"{__version__} {tree}"


def _changed_since_clean_check(store: Store) -> set[str] | None:
    """Paths changed since the last check that found nothing, committed or not; None: check everything (no
    such check, other rules or keys since, or a history that does not contain it)."""
    try:
        last = json.loads((store.root / ".git" / "cmtk" / CLEAN_CHECK).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    commit = last.get("commit") if isinstance(last, dict) else None
    head = store.git.head()
    if not (isinstance(commit, str) and re.fullmatch(r"[0-9a-f]{40}", commit) and head):
        return None
    if last.get("rules") != _rules_stamp(store):
        return None
    try:
        store.git.run("merge-base", "--is-ancestor", commit, head)
        out = store.git.run("diff-tree", "-r", "-z", "--no-renames", "--name-only", commit, head, strip=False)
    except CmtkError:
        return None
    changed = {path for path in out.split("\0") if path} | {line[3:] for line in store.git.status()}
    # an attached file is checked through its record (cases/XX/CASE/files/ID.age -> cases/XX/CASE/ID.age)
    return changed | {p.replace(f"/{ATTACHMENTS_DIR}/", "/") for p in changed if is_attachment_path(p)}


def _remember_clean_check(store: Store) -> None:
    head = store.git.head()
    if head is None:
        return
    with contextlib.suppress(OSError):
        files.write_atomic(
            store.root / ".git" / "cmtk" / CLEAN_CHECK,
            json.dumps({"commit": head, "rules": _rules_stamp(store)}).encode("utf-8"),
        )


def _forget_clean_check(store: Store) -> None:
    (store.root / ".git" / "cmtk" / CLEAN_CHECK).unlink(missing_ok=True)


def check(session: Session, *, full: bool = True, progress: Progress | None = None) -> list[Finding]:
    """Every finding about the store. `full=False`: records, attached files and summaries only where something
    changed since the last check that found nothing (everything else is checked every time: the team, keys,
    the working tree, git settings and git's own fsck)."""
    store = session.store
    changed = None if full else _changed_since_clean_check(store)
    findings = _check(session, changed, progress)
    if findings:
        _forget_clean_check(store)
    else:
        _remember_clean_check(store)
    return findings


def _check(session: Session, changed: set[str] | None, progress: Progress | None) -> list[Finding]:
    store = session.store
    findings: list[Finding] = []

    def add(where: str, key: str, /, **params: Any) -> None:
        findings.append(finding(where, key, **params))

    # 0. A team change that was interrupted.

    pending = rotation.interrupted(store)
    if pending:
        add(
            ".git/cmtk/team-change.json",
            "interrupted-team-change",
            member=pending.get("member"),
        )
        return findings  # the rest of the store is half-way between two key generations: repair first

    if sync.interrupted(store):
        add(
            ".git/cmtk/sync.json",
            "interrupted-sync",
        )
        return findings  # the working tree is half-way between two commits: repair first

    if integrate.git_merge_heads(store) or (store.root / ".git" / "MERGE_HEAD").exists():
        add(
            ".git/MERGE_HEAD",
            "git-merge",
        )
        return findings  # the files are half-way between two commits: repair first

    if store.interrupted_write() is not None:
        add(
            f".git/cmtk/{WRITE_JOURNAL}",
            "interrupted-write",
        )
        return findings  # some of its files are new, some not yet: repair first

    # 1. Nothing plaintext or unknown in the working tree.
    working = _working_files(store)
    for rel in working:
        name = rel.rsplit("/", 1)[-1]
        if name.startswith(TEMP_PREFIX):
            add(rel, "leftover-temp")
            continue
        if rel in ALLOWED_PLAIN or _KEY_FILE.match(rel) or _FORM_OVERRIDE.match(rel):
            continue
        top = rel.split("/", 1)[0]
        if top in RECORD_DIRS and rel.endswith(".age"):
            if f"/{ATTACHMENTS_DIR}/" in rel and not is_attachment_path(rel):
                add(rel, "unexpected-file:misplaced")
            continue
        add(rel, "unexpected-file")

    for rel in _empty_record_folders(store):
        add(rel, "empty-folder")

    # 2. Team file and store keys.
    try:
        members = store.members()
    except CmtkError as error:
        add(".cmtk/recipients.txt", "team", detail=error.message)
        members = []
    team_keys = sorted(m.public for m in members)
    generations = store.generations()
    if not generations:
        add(KEYS_DIR, "no-key")
    for generation in generations:
        path = store.key_path(generation)
        rel = store.relative(path)
        data = path.read_bytes()
        try:
            session.key(generation)
            text = crypto.decrypt(data, [session.me.identity], rel).decode("utf-8")
            listed = sorted(roster.key_file_recipients(text))
        except CmtkError as error:
            add(rel, "key-unreadable", detail=error.message)
            continue
        if listed != team_keys:
            add(rel, "key-team")  # its message advises no team change (security review round 4, H3)
        elif stanza_count(data) != len(team_keys):
            add(rel, "key-team:stanzas")

    # 3. Every record, and (4.) each case's stored summary against the records just read: the summary index
    # is never trusted over them. Reads are kept case by case so that the summary does not decrypt again.
    current = generations[-1] if generations else None
    loaded_forms: dict[str, object] = {}
    attached: set[str] = set()  # attached files that have their record
    touched = (
        None if changed is None else {p.split("/")[2] for p in changed if p.startswith("cases/") and p.count("/") >= 3}
    )
    verifier = summary.Verifier(session)
    summary_wrong: dict[str, bool] = {}  # case -> its stored summary differs from the records just read
    if changed is None:
        to_check = list(store.record_files())
    else:  # only what changed: no walk over every record file
        to_check = sorted(store.root / rel for rel in changed if is_record_path(rel) and (store.root / rel).is_file())
    number = 0
    with session.keeping_reads():
        for folder, paths in itertools.groupby(to_check, key=lambda p: p.parent):
            for path in paths:
                number += 1
                if progress and (number % 200 == 0 or number == len(to_check)):
                    progress(number, len(to_check))
                _check_record(session, path, current, loaded_forms, attached, add)
            case_id = folder.name
            if store.relative(folder).startswith("cases/") and (touched is None or case_id in touched):
                summary_wrong[case_id] = verifier.wrong(case_id)
            session.forget_reads()

    for rel in working:
        if changed is not None and rel not in changed:
            continue  # its record was checked (and found it) at the last clean check
        if is_attachment_path(rel) and rel not in attached and not rel.rsplit("/", 1)[-1].startswith(TEMP_PREFIX):
            add(rel, "attachment:orphan")

    for case_id in verifier.case_ids:
        if touched is not None and case_id not in touched:
            continue
        # a case indexed but with no record file checked above (none left, or none changed) is compared now
        if summary_wrong[case_id] if case_id in summary_wrong else verifier.wrong(case_id):
            add(".git/cmtk/summary.age", "index", case=case_id)

    # 5. Git: settings that would leak plaintext, uncommitted work, object database.
    git = store.git
    config = git.run("config", "--local", "--list")
    for line in config.splitlines():
        key = line.split("=", 1)[0]
        if key.endswith(".cachetextconv") and line.split("=", 1)[1].strip().lower() in ("true", "yes", "on", "1"):
            add(".git/config", "cachetextconv", setting=key)
        if key == "rerere.enabled" and line.split("=", 1)[1].strip().lower() in ("true", "yes", "on", "1"):
            add(".git/config", "rerere")
    if git.run("for-each-ref", "refs/notes/textconv"):
        add(".git/refs/notes/textconv", "textconv-cache")
    rr_cache = store.root / ".git" / "rr-cache"
    if rr_cache.is_dir() and any(rr_cache.iterdir()):
        add(".git/rr-cache", "rerere-cache")
    try:
        status = git.status()
    except CmtkError as error:
        status = []
        add(".git", "fsck:status", detail=error.message)
    for line in status:
        rel = line[3:]
        if not Path(rel).name.startswith(TEMP_PREFIX):
            add(rel, "uncommitted")
    try:
        git.run("fsck", "--no-progress", "--no-dangling")
    except CmtkError as error:
        add(".git", "fsck", detail=error.message)
    return findings


def _check_record(
    session: Session,
    path: Path,
    current: int | None,
    loaded_forms: dict,
    attached: set[str],
    add: Callable[..., None],
) -> None:
    """One record file: ciphertext, readable at its own path, the current key, its attached file, valid."""
    store = session.store
    rel = store.relative(path)
    if not crypto.is_encrypted(path.read_bytes()[:64]):
        add(rel, "plaintext")
        return
    try:
        record = session.read_record(path)
    except CmtkError as error:
        add(rel, "record", detail=error.message.removeprefix(f"{rel}: "))
        return
    if record.key_generation != current:
        add(rel, "old-key", generation=record.key_generation, current=current)
    if record.form == cases.ATTACHMENT:
        attached.add(store.relative(blob_path(path.parent, record.record)))
        for problem in attachments.problems(session, record):
            add(store.relative(blob_path(path.parent, record.record)), "attachment", detail=problem)
    for problem in _validate(store, record, loaded_forms):
        if CLOCK_HINT in problem:
            add(rel, "clock", case=record.case, detail=problem)
            continue
        add(rel, "invalid", case=record.case, detail=problem, form=record.form)


def _empty_record_folders(store: Store) -> list[str]:
    """Case and conference folders that hold no file at all: left by a command killed between making the
    folder and writing its first record; `case list` would show them as cases (security review round 4)."""
    found = []
    for top in RECORD_DIRS:
        base = store.root / top
        folders = [p for p in base.glob("*/*") if p.is_dir()] if top == "cases" else list(base.glob("*"))
        found += [store.relative(p) for p in folders if p.is_dir() and not any(p.iterdir())]
    return sorted(found)


def _validate(store: Store, record, loaded_forms: dict) -> list[str]:
    """Problems of a record against its form definition (internal records have none)."""

    if record.form not in loaded_forms:
        try:
            loaded_forms[record.form] = definitions.load_form(record.form, store.root)
        except CmtkError:
            loaded_forms[record.form] = None
    form = loaded_forms[record.form]
    if form is None:
        return [] if record.form in INTERNAL_FORMS else [f"unknown form '{record.form}'"]
    today = dates.today()
    _, findings = validate.validate_body(form, record.body, today=today, order=store.date_order)
    if findings:  # dates after today: written on a laptop whose clock is ahead, or this one's is behind (21.8)
        later = today + datetime.timedelta(days=CLOCK_SLACK_DAYS)
        _, without_today = validate.validate_body(form, record.body, today=later, order=store.date_order)
        still = {(f.where, f.code) for f in without_today}
        future = [f for f in findings if (f.where, f.code) not in still]
        if future:
            findings = [f for f in findings if f not in future]
            return [
                f"{f.where}: is a date after today ({today.isoformat()}): {CLOCK_HINT} (a laptop whose clock is "
                "behind sees the dates others wrote as future ones; if the date is right, correct the field)"
                for f in future
            ] + [f"{f.where}: {messages.kind(f.code)}" for f in findings]
    # Where and what kind only: validation messages may quote the stored value, and doctor's output is the
    # kind of text people paste into a message asking for help.
    return [f"{f.where}: {messages.kind(f.code)}" for f in findings]


CLOCK_HINT = "check this laptop's date and time"
CLOCK_SLACK_DAYS = 3660  # a date valid only on some later day is a date after today


def _remove_empty_folders(store: Store, folder: Path) -> None:
    """A case folder (and its shard) that only ever held the temporary files of an interrupted write."""
    while folder != store.root and folder.parent != store.root and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def repair(session: Session) -> list[str]:
    """Finish what an interrupted command left: delete temporary files, commit complete records."""
    store = session.store
    done: list[str] = []

    finished = rotation.finish_interrupted(session)
    if finished:
        return [finished]

    if sync.interrupted(store):
        with store.locked():
            sync.finish_interrupted(store)
        return ["finished a sync that was interrupted while updating the files"]
    if (store.root / ".git" / "MERGE_HEAD").exists():  # never commit one side of a half-done git merge
        with store.locked():
            integrate.finish_git_merge(session, Outcome("the branch git was merging"))
        return ["finished a `git merge` that had stopped, with cmtk's own merge"]
    with store.locked():
        if store.finish_interrupted_write():
            done.append("finished a change that was interrupted while its files were put in place")
        for path in list(store.root.rglob(f"{TEMP_PREFIX}*")):
            if ".git" not in path.relative_to(store.root).parts:
                path.unlink()
                _remove_empty_folders(store, path.parent)
                done.append(f"removed {store.relative(path)}")
        for rel in _empty_record_folders(store):
            folder = store.root / rel
            folder.rmdir()
            if folder.parent.name != "conferences" and not any(folder.parent.iterdir()):
                folder.parent.rmdir()  # the shard folder it was the only case of
            done.append(f"removed the empty case folder {rel}")
        pending = []
        for line in store.git.status():
            rel = line[3:]
            path = store.root / rel
            top = rel.split("/", 1)[0]
            if is_attachment_path(rel):
                if path.exists():
                    _check_attached_file(session, path)
                pending.append(rel)
            elif top in RECORD_DIRS and rel.endswith(".age"):
                if path.exists():
                    session.read_record(path)  # refuses anything that does not decrypt and validate
                pending.append(rel)
        if pending:
            store.git.commit(pending, "repair store", session.author)
            done.append(f"committed {len(pending)} record file(s) left uncommitted")
    return done


def _check_attached_file(session: Session, path: Path) -> None:
    """An attached file left uncommitted is committed only if its record exists and opens it."""
    record_path = path.parent.parent / path.name
    if not record_path.is_file():
        raise CmtkError.of("attachment-orphaned", relative=session.store.relative(path))
    record = session.read_record(record_path)
    problems = attachments.problems(session, record) if record.form == cases.ATTACHMENT else ["not an attachment"]
    if problems:
        raise CmtkError.of("store-file-refused", relative=session.store.relative(path), problems=problems[0])
