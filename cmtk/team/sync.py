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
import re
import shutil

from cmtk.errors import CmtkError
from cmtk.store import faults
from cmtk.store.session import SYNC_JOURNAL as JOURNAL
from cmtk.store.session import Session, Store
from cmtk.team import remotes, rotation, transport
from cmtk.team.integrate import finish_git_merge, integrate, move_to, redo_hand_made_merge
from cmtk.team.outcome import Confirmations, ConfirmSettings, ConfirmTeam, Outcome, Say
from cmtk.team.remotes import find_remote
from cmtk.team.transport import fetch, push


def sync(
    session: Session,
    name: str | None = None,
    say: Say | None = None,
    confirm_team: ConfirmTeam | None = None,
    new_bundle: bool = False,
    confirm_settings: ConfirmSettings | None = None,
) -> Outcome:
    """Fetch from a remote, merge, push back; in one lock, finishing an interrupted sync first.

    `new_bundle`: write a bundle file where a bundle remote this laptop already used has none (a new stick),
    replace a damaged one with this laptop's copy, or replace one in place on a stick too full to hold two.
    """
    store = session.store
    remote = find_remote(store, name)
    outcome = Outcome(remote.name)
    confirm = Confirmations(confirm_team, confirm_settings)
    trusted_before = set(store.trust()["team"]) or {m.public for m in store.members()}
    with store.locked():
        remotes.ensure_configured(store)
        remove_leftovers(store)
        outcome.finished_interrupted = finish_interrupted(store)
        store.finish_interrupted_write()
        outcome.finished_git_merge = finish_git_merge(session, outcome, confirm)
        _require_clean(store)
        for _merge in range(20):  # each hand-made merge that no remote has yet, oldest first
            if not redo_hand_made_merge(session, outcome, confirm):
                break
        for _attempt in range(3):
            theirs = fetch(session, remote, new_bundle)
            faults.point("sync.fetched")
            integrate(session, theirs, outcome, confirm)
            faults.point("sync.integrated")
            if push(session, remote, new_bundle):
                faults.point("sync.pushed")
                break
            if say:
                say(f"{remote.name} changed while this sync ran; fetching again")
        else:
            raise CmtkError.of("remote-keeps-changing", name=remote.name)
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
        raise CmtkError.of("sync-interrupted-stale")
    with contextlib.suppress(FileNotFoundError):
        (store.root / ".git" / "index.lock").unlink()  # left by the killed git; cmtk holds the store lock
    move_to(store, start, target)
    return True


def remove_leftovers(store: Store) -> None:
    """Private temporary folders of a sync that was killed (ciphertext and git bundles only)."""
    base = store.root / ".git" / "cmtk"
    for folder in base.glob("sync-*") if base.is_dir() else []:
        shutil.rmtree(folder, ignore_errors=True)
    transport.remove_recipient_refs(store)


def _require_clean(store: Store) -> None:

    if rotation.interrupted(store):
        raise CmtkError.of("team-change-interrupted")
    if store.git.status():
        raise CmtkError.of("sync-uncommitted")
