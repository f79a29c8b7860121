"""Team changes: who can open the store.

Adding a member re-encrypts only the store key files. Removing one makes a new
store key generation, re-encrypts every current record to it, and re-encrypts
every older key file to the remaining team: all in one commit. The removed
member could read everything written before; history still holds files their
key opens (docs/roster.md says so and how to start a fresh history).
"""

from __future__ import annotations

import json

from cmtk.errors import CmtkError
from cmtk.store import crypto, faults, records
from cmtk.store.files import write_atomic
from cmtk.store.session import KEYS_DIR, WRITE_JOURNAL, Change, Progress, Session
from cmtk.team import roster

_ENCRYPTION_CHECK = "encryption could not be verified"
JOURNAL = "team-change.json"  # present only while a removal is being written: an interruption can be finished


def interrupted(store) -> dict | None:
    path = store.root / ".git" / "cmtk" / JOURNAL
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None


def finish_interrupted(session: Session) -> str | None:
    """Put the store back as its last commit has it; then, if the removal's commit was not made yet, run the
    removal again, to the end, and if it was, only what followed it (pin the new key, accept the team)."""
    pending = interrupted(session.store)
    if not pending:
        return None
    store = session.store
    done = f"finished removing {pending.get('member')} from the team (new store key, every record re-encrypted)"
    # reset, not checkout: files the killed commit had staged but HEAD lacks (the new key file) go too
    store.git.run("reset", "-q", "--hard", "HEAD")
    store.git.run("clean", "-q", "-f", "-d", "--", "cases", "conferences", ".cmtk")
    (store.root / ".git" / "cmtk" / WRITE_JOURNAL).unlink(missing_ok=True)  # its files were just put back
    generation = pending.get("generation")
    if isinstance(generation, int) and store.is_committed(f"{KEYS_DIR}/{generation}.age"):
        fresh = store.unlock_again(session)
        if fresh.key(generation).public != pending.get("public"):  # key() checked it was authorised
            raise CmtkError.of("team-change-key-mismatch", keys_dir=KEYS_DIR, generation=generation)
        _trust_new_key(fresh, generation, str(pending["public"]))
        (store.root / ".git" / "cmtk" / JOURNAL).unlink()
        return done
    (store.root / ".git" / "cmtk" / JOURNAL).unlink()
    fresh = store.unlock_again(session)
    remove_member(fresh, pending["member"])
    return done


def _trust_new_key(session: Session, generation: int, public: str) -> None:
    """After a removal's commit: this laptop pins the new store key and accepts the smaller team."""
    trust = session.store.trust()
    trust["keys"][str(generation)] = public
    session.store.save_trust(trust)
    faults.point("team.key-pinned")
    session.store.accept_team()


def _authorised(session: Session, generation: int) -> str | None:
    if generation == 1:
        return None
    return roster.authorisation(session.key(generation - 1), generation, session.key(generation).public)


def _key_file(
    session: Session,
    generation: int,
    pair: crypto.KeyPair,
    members: list[roster.Member],
    authorised: str | None = None,
    maker: list[str] | None = None,
) -> Change:
    """A key file encrypted to `members`; an existing generation keeps the lines naming who made it."""
    if maker is None and session.store.key_path(generation).is_file():
        maker = roster.key_file_maker_lines(session.key_text(generation))
    text = roster.key_file_text(pair, generation, members, authorised, maker).encode("utf-8")
    data = crypto.encrypt(text, [crypto.parse_recipient(m.public) for m in members])
    return Change(session.store.key_path(generation), data)


def _require_trusted_team(session: Session) -> None:
    """Never re-encrypt keys to a team list someone else changed without the user checking it (review H3)."""
    added, removed = session.store.team_changes()
    if added or removed:
        raise CmtkError.of("team-list-changed", count=len(added), count2=len(removed))
    session.require_team_matches_keys()  # even after `team trust`: the key files say who the team is (review 4)


def _require_clean(session: Session) -> None:
    if session.store.git.status():
        raise CmtkError.of("team-uncommitted")


def add_member(session: Session, name: str, public_key: str, role: str = "caseworker") -> str:
    store = session.store
    name = roster.check_name(name)
    crypto.parse_recipient(public_key, "AGE_PUBLIC_KEY")
    with store.locked():
        _require_clean(session)
        _require_trusted_team(session)
        session.current_key()  # refuses a store whose newest known key file is gone
        members = store.members()
        if any(m.name.casefold() == name.casefold() for m in members):
            raise CmtkError.of("member-exists", name=name)
        if any(m.public == public_key for m in members):
            holder = next(m.name for m in members if m.public == public_key)
            raise CmtkError.of("member-key-exists", holder=holder)
        new_team = [*members, roster.Member(name=name, role=role.strip(), public=public_key.strip())]
        changes = [Change(store.root / ".cmtk/recipients.txt", roster.format_recipients(new_team).encode("utf-8"))]
        for generation in store.generations():
            changes.append(
                _key_file(session, generation, session.key(generation), new_team, _authorised(session, generation))
            )
        commit = store.apply(changes, "team add", session.author)
        store.accept_team()
        return commit


def remove_member(session: Session, name: str, progress: Progress | None = None) -> str:
    store = session.store
    with store.locked():
        _require_clean(session)
        _require_trusted_team(session)
        session.current_key()  # refuses a store whose newest known key file is gone
        members = store.members()
        leaving = [m for m in members if m.name.casefold() == name.strip().casefold()]
        if not leaving:
            known = ", ".join(m.name for m in members)
            raise CmtkError.of("no-such-member", name=name, known=known)
        if leaving[0].public == session.me.public:
            raise CmtkError.of("member-remove-self")
        remaining = [m for m in members if m is not leaving[0]]

        old_generations = store.generations()
        for generation in old_generations:
            session.key(generation)  # unlock every generation before anything changes
        new_generation = old_generations[-1] + 1
        new_key = crypto.generate()

        # Key files first: a crash part-way never leaves records encrypted to a key that was not written (review M4).
        changes: list[Change] = [
            _key_file(session, g, session.key(g), remaining, _authorised(session, g)) for g in old_generations
        ]
        changes.append(
            _key_file(
                session,
                new_generation,
                new_key,
                remaining,
                roster.authorisation(session.key(old_generations[-1]), new_generation, new_key.public),
                roster.maker_lines(session.me, new_generation, new_key.public, remaining),
            )
        )
        changes.append(Change(store.root / ".cmtk/recipients.txt", roster.format_recipients(remaining).encode("utf-8")))
        files = list(store.record_files())
        total = len(files)
        for done, path in enumerate(files, start=1):
            record = session.read_record(path)
            plaintext = crypto.pad(records.encode(record.with_generation(new_generation)))
            ciphertext = crypto.encrypt(plaintext, [new_key.recipient])
            if crypto.decrypt(ciphertext, [new_key.identity], store.relative(path)) != plaintext:
                raise CmtkError.of(
                    "team-encryption-unverified", relative=store.relative(path), encryption_check=_ENCRYPTION_CHECK
                )
            changes.append(Change(path, ciphertext))
            faults.point("team.reencrypted")  # in memory only: nothing is written before the journal
            if progress:
                progress(done, total)
        journal = store.root / ".git" / "cmtk" / JOURNAL

        entry = {"operation": "remove", "member": leaving[0].name, "generation": new_generation}
        write_atomic(journal, json.dumps({**entry, "public": new_key.public}).encode("utf-8"))
        faults.point("team.journal-written")
        commit = store.apply(changes, "rotate keys", session.author)
        faults.point("team.committed")
        _trust_new_key(session, new_generation, new_key.public)
        faults.point("team.team-accepted")
        journal.unlink()
        session._keys[new_generation] = new_key
        return commit
