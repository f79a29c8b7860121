"""Merging two histories in memory: key chains, the team, records field by field, and the commit.

Only records changed on both sides are decrypted and merged (cmtk.team.merge). The merged tree is
written to a private index and committed with plumbing; the working tree moves to it last, under a
journal, so a sync killed half-way is finished by the next one (store.md, invariant 10).
"""

from __future__ import annotations

import json
import re

from cmtk.errors import CmtkError, GitError
from cmtk.store import crypto, faults, gitio
from cmtk.store.files import write_atomic
from cmtk.store.gitio import _author_env
from cmtk.store.session import KEYS_DIR, RECIPIENTS, RECORD_DIRS, Session, Store
from cmtk.store.session import SYNC_JOURNAL as JOURNAL
from cmtk.team import merge, roster
from cmtk.team.incoming import ZERO, changed_paths, check_incoming, count_commits, is_record, require_settings_accepted
from cmtk.team.keyring import KEY_FILE, KeyRing, key_blobs, ls_tree
from cmtk.team.outcome import NO_QUESTIONS, Confirmations, ConfirmTeam, Outcome
from cmtk.team.transport import is_ancestor, private_temp, run_git

MERGE_MESSAGE = "merge sync"


def integrate(session: Session, theirs: str | None, outcome: Outcome, confirm: Confirmations = NO_QUESTIONS) -> None:
    store = session.store
    ours = store.git.head()
    if theirs is None:  # an empty remote: everything goes
        outcome.sent += int(store.git.run("rev-list", "--count", "HEAD")) if ours else 0
        return
    if theirs == ours:
        return
    if ours is None:
        raise CmtkError.of("store-no-commit")
    if is_ancestor(store, theirs, ours):
        outcome.sent += count_commits(store, theirs, ours)
        return
    base = merge_base(session, ours, theirs, outcome.remote)
    outcome.received += count_commits(store, ours, theirs)
    incoming = changed_paths(store, base, theirs)
    ring = check_incoming(session, base, theirs, incoming, outcome)
    require_settings_accepted(store, base, theirs, incoming, outcome.remote, confirm.settings)
    if base == ours or merges_only_of(store, ours, theirs):
        move_to(store, ours, theirs)
        return
    outcome.sent += count_commits(store, theirs, ours)
    merged = _merge_commits(session, base, ours, theirs, incoming, ring, outcome, confirm.team)
    faults.point("sync.merge-commit-made")
    move_to(store, ours, merged)
    trust = store.trust()
    if outcome.new_generation:  # this laptop's own numbering gave way to the remote's (see _merge_commits)
        trust["keys"] = {str(g): public for g, public in outcome.kept_keys.items()}
    if outcome.team_confirmed:
        trust["team"] = sorted(m.public for m in store.members())
    store.save_trust(trust)


def merges_only_of(store: Store, ours: str, theirs: str, depth: int = 0) -> bool:
    """Our tip is made only of sync merges of commits the other copy already holds (it merged the same changes,
    through another remote). Taking the other copy's tip loses nothing, and merging the two again would make
    yet another merge commit at every sync, through each remote in turn, so that copies never reach the same
    commit (issue 21.4)."""
    if depth > 32:
        return False
    parents, _, subject = store.git.run("log", "-1", "--format=%P%x00%s", ours).partition("\0")
    if subject != MERGE_MESSAGE or len(parents.split()) < 2:
        return False
    return all(
        is_ancestor(store, parent, theirs) or merges_only_of(store, parent, theirs, depth + 1)
        for parent in parents.split()
    )


def merge_base(session: Session, ours: str, theirs: str, remote: str) -> str:
    """The common commit of two histories. With several (a criss-cross: two laptops each merged the same two
    changes, say one through the shared folder and one through the stick), they are merged in memory into one
    virtual common commit, as git's recursive merge does: measured from any single one of them, a case opened
    in the other would look opened on both sides, and a change made in the other would look made twice
    (issue 21.4). The virtual commit is never part of any branch."""
    store = session.store
    try:
        bases = run_git(store, "merge-base", "--all", ours, theirs).split()
    except GitError:
        bases = []
    if not bases:
        raise CmtkError.of("remote-unrelated-store", remote=remote)
    base = bases[0]
    for other in bases[1:]:
        base = _virtual_merge(session, base, other, remote, depth=0)
    return base


def _virtual_merge(session: Session, one: str, two: str, remote: str, depth: int) -> str:
    """Two commits of this laptop's own history (already checked when they arrived) merged without a question:
    the team and settings they hold were accepted then."""
    store = session.store
    if is_ancestor(store, one, two):
        return two
    if is_ancestor(store, two, one):
        return one
    bases = run_git(store, "merge-base", "--all", one, two).split()
    if not bases or depth > 8:
        return one
    base = bases[0]
    for other in bases[1:]:
        base = _virtual_merge(session, base, other, remote, depth + 1)
    scratch = Outcome(remote)
    try:
        ring = KeyRing(session)
        ring.load(key_blobs(store, base), "the common history")
        ring.load(key_blobs(store, two), "the common history", allow_repin=set(key_blobs(store, one)))
        merged = _merge_commits(
            session, base, one, two, changed_paths(store, base, two), ring, scratch, lambda members: True
        )
    except CmtkError:
        return one  # what one merge base alone says: no worse than before criss-crosses were merged
    if scratch.new_generation:  # two offline removals met inside the history: keep it simple
        return one
    return merged


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
    mine = changed_paths(store, base, ours)
    clash, newer_here = _join_key_chains(session, ring, base, ours)
    opened_here, opened_there = _new_case_folders(store, base, mine), _new_case_folders(store, base, other)
    if opened_here & opened_there:  # 40 random bits each: about one chance in a million for a store of 1,000 cases
        raise CmtkError.of("case-id-collision", opened_here=sorted(opened_here & opened_there)[0])

    # Start from our tree: take what only the other side changed, then merge what both changed.
    updates: Updates = {p: (mode, None if sha == ZERO else sha) for p, (mode, sha) in other.items() if p not in mine}
    both = [p for p in other if p in mine and mine[p][1] != other[p][1]]
    if clash:
        _make_fresh_generation(ring, newer_here, updates, outcome)
    team_paths = [p for p in both if p == RECIPIENTS or KEY_FILE.match(p)]
    if team_paths or clash:
        updates.update(_merge_team_confirmed(store, ring, base, ours, theirs, outcome, confirm_team))
    for path in [p for p in both if p not in team_paths and not is_record(p)]:
        updates[path] = ("100644", _merge_plain(store, path, base, ours, theirs))
    generation = max(ring.keys)
    _merge_records(store, ring, [p for p in both if is_record(p)], base, ours, theirs, generation, updates, outcome)
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
        _require_made_by_a_member(session, ring, base_keys, ours_ring.texts[max(newer_here)])
        ring.extra = [(g, ours_ring.keys[g]) for g in sorted(newer_here)]
    else:
        for generation in newer_here:
            ring.keys[generation], ring.texts[generation] = ours_ring.keys[generation], ours_ring.texts[generation]
    return clash, newer_here


def _require_made_by_a_member(session: Session, ring: KeyRing, base_keys: dict, our_newest_text: str) -> None:
    """Both copies made store keys past the common history, and this laptop's came from a removal: whoever it
    removed still holds the older key and could have made the other copy's. Each of the other copy's new
    generations must prove it was made by a member of this laptop's team as it is now (review 4, M4);
    otherwise nothing of that copy is taken: not its key, its records or its team list."""
    team = set(roster.key_file_recipients(our_newest_text))
    for generation in sorted(g for g in ring.keys if g > max(base_keys)):
        maker = roster.key_maker(session.me, ring.texts[generation], generation, ring.keys[generation].public)
        if maker is None or maker not in team:
            raise CmtkError.of("incoming-key-from-removed", generation=generation)


def _make_fresh_generation(ring: KeyRing, newer_here: set[int], updates: Updates, outcome: Outcome) -> None:
    """Both laptops removed someone offline and each made generation N+1. The remote's numbering is kept; a
    fresh generation after it, made here for the merged team, takes every record, so no one removed on
    either side can read what is written from now on."""
    new_generation = max(ring.keys) + 1
    new_key = crypto.generate()
    previous = ring.keys[new_generation - 1]
    ring.texts[new_generation] = f"# authorised: {roster.authorisation(previous, new_generation, new_key.public)}\n"
    ring.keys[new_generation] = new_key
    ring.fresh = new_generation
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
        raise CmtkError.of("incoming-members-unaccepted", remote=outcome.remote, names=names)
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
        stale = {p: (ours, sha) for p, (_, sha) in ls_tree(store, ours, *RECORD_DIRS).items() if is_record(p)}
        stale.update({p: (theirs, sha) for p, (_, sha) in other.items() if is_record(p) and p not in mine})
        sources = [
            (p, c)
            for p, (c, sha) in stale.items()
            if sha != ZERO and p not in updates or (p in updates and isinstance(updates[p][1], str))
        ]
    else:
        sources = []
        for side, changed in ((ours, mine), (theirs, other)):
            if max(key_blobs(store, side)) < generation:
                sources += [
                    (p, side)
                    for p, (_, sha) in changed.items()
                    if is_record(p) and sha != ZERO and not isinstance(updates.get(p, ("", None))[1], bytes)
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
        raise CmtkError.of("member-name-collision")
    recipients = [crypto.parse_recipient(m.public) for m in merged]
    updates: Updates = {RECIPIENTS: ("100644", roster.format_recipients(merged).encode("utf-8"))}
    for generation, pair in sorted(ring.keys.items()):
        authorised = roster.key_file_authorisation(ring.texts[generation])
        if generation == ring.fresh:  # made by this merge: this laptop's member makes it, for the merged team
            maker = roster.maker_lines(ring.session.me, generation, pair.public, merged)
        else:
            maker = roster.key_file_maker_lines(ring.texts[generation])
        text = roster.key_file_text(pair, generation, merged, authorised, maker)
        updates[f"{KEYS_DIR}/{generation}.age"] = ("100644", crypto.encrypt(text.encode("utf-8"), recipients))
    return updates, merged


def _merge_plain(store: Store, path: str, base: str, ours: str, theirs: str) -> bytes:
    """Settings, policy and form files hold no personal data: git's own line merge, or a clear refusal."""
    blobs = store.git.cat_files([f"{c}:{path}" for c in (ours, base, theirs)])
    with private_temp(store) as folder:
        files = []
        for label, blob in zip(("ours", "base", "theirs"), blobs, strict=False):
            file = folder / label
            file.write_bytes(blob or b"")
            files.append(str(file))
        result = gitio.run_git(["merge-file", "-p", *files], capture_output=True)
    if result.returncode != 0:
        raise CmtkError.of("merge-same-lines", path=path)
    return result.stdout


def _commit_tree(store: Store, ours: str, theirs: str, updates: Updates, author: str) -> str:
    with private_temp(store) as folder:
        new_blobs = {p: data for p, (_, data) in updates.items() if isinstance(data, bytes)}
        shas: dict[str, str] = {}
        if new_blobs:
            files = []
            for number, blob in enumerate(new_blobs.values()):
                file = folder / f"blob-{number}"
                file.write_bytes(blob)
                files.append(str(file))
            out = store.git.run("hash-object", "-w", "--no-filters", *files)
            shas = dict(zip(new_blobs, out.split(), strict=False))
        lines = []
        for path, (mode, data) in sorted(updates.items()):
            sha = shas.get(path) if isinstance(data, bytes) else data
            lines.append(f"0 {ZERO}\t{path}" if sha is None else f"{mode} {sha}\t{path}")
        env = {"GIT_INDEX_FILE": str(folder / "index")}
        store.git.run("-c", "core.splitIndex=false", "read-tree", ours, env=env)
        if lines:
            result = gitio.run_git(
                ["-c", "core.splitIndex=false", "-C", str(store.root), "update-index", "--index-info"],
                input="\n".join(lines) + "\n",
                encoding="utf-8",
                capture_output=True,
                env=env,
            )
            if result.returncode != 0:
                raise GitError.of("git-update-index-failed")
        tree = store.git.run("-c", "core.splitIndex=false", "write-tree", env=env)

    return store.git.run("commit-tree", tree, "-p", ours, "-p", theirs, "-m", MERGE_MESSAGE, env=_author_env(author))


def move_to(store: Store, start: str, target: str) -> None:
    """Working tree, index, then HEAD to `target`, under a journal that lets the next sync finish the move."""
    journal = store.root / ".git" / "cmtk" / JOURNAL
    write_atomic(journal, json.dumps({"from": start, "to": target}).encode("utf-8"))
    faults.point("sync.journal-written")
    store.git.run("read-tree", "--reset", "-u", target)
    faults.point("sync.tree-moved")
    head = store.git.head()
    if head != target:
        store.git.run("update-ref", "-m", "sync", "HEAD", target, *([head] if head else []))
        faults.point("sync.head-moved")
    journal.unlink()
    faults.point("sync.journal-removed")
    store.git.maintain()


# -- the plain-git path: a `git merge` or `git pull` run by hand (issue 21.6) --------------------------------

GIT_MERGE_FILES = ("MERGE_HEAD", "MERGE_MSG", "MERGE_MODE", "AUTO_MERGE")


def git_merge_heads(store: Store) -> list[str]:
    """The commits a `git merge` or `git pull` left half-done is merging in (its .git/MERGE_HEAD)."""
    try:
        text = (store.root / ".git" / "MERGE_HEAD").read_text("ascii", errors="replace")
    except OSError:
        return []
    return [line.strip() for line in text.splitlines() if re.fullmatch(r"[0-9a-f]{40}", line.strip())]


def finish_git_merge(session: Session, outcome: Outcome, confirm: Confirmations = NO_QUESTIONS) -> bool:
    """A half-done git merge (a copy without cmtk's merge driver stops on every record both sides changed):
    put the files back as this laptop's last commit has them, then merge what git was merging in through cmtk,
    with every check a sync makes. Both sides are whole commits, so nothing is lost by starting again."""
    store = session.store
    heads = git_merge_heads(store)
    if not (store.root / ".git" / "MERGE_HEAD").exists():
        return False
    for head in heads:
        if store.git.run("cat-file", "-t", head) != "commit":
            raise CmtkError.of("merge-head-invalid")
    store.git.run("read-tree", "--reset", "-u", "HEAD")
    for name in GIT_MERGE_FILES:
        (store.root / ".git" / name).unlink(missing_ok=True)
    for head in heads:
        integrate(session, head, outcome, confirm)
    return True


def hand_made_merges(store: Store) -> list[str]:
    """Merge commits git made (not `merge sync`), oldest first, that no remote has yet."""
    out = store.git.run("log", "--merges", "--reverse", "--format=%H %s", "HEAD", "--not", "--remotes")
    done = _redone(store)
    return [
        line.split(" ", 1)[0]
        for line in out.splitlines()
        if line.partition(" ")[2] != MERGE_MESSAGE and line.split(" ", 1)[0] not in done
    ]


REDONE = "redone-merges.txt"  # in .git/cmtk: hand-made merges already merged again (still in the history)


def _redone(store: Store) -> set[str]:
    try:
        return set((store.root / ".git" / "cmtk" / REDONE).read_text("ascii").split())
    except OSError:
        return set()


def redo_hand_made_merge(session: Session, outcome: Outcome, confirm: Confirmations = NO_QUESTIONS) -> bool:
    """A merge commit made with git by hand (`git commit -a` after a stopped `git pull` keeps one side of every
    record both changed): merged again by cmtk from its two parents, with every check a sync makes, and the
    commits made on top of it carried over. Refused, with what to do, when the commit holds changes of its own."""
    store = session.store
    found = hand_made_merges(store)
    if not found:
        return False
    hand = found[0]
    parents = store.git.run("rev-parse", f"{hand}^@").split()
    if len(parents) != 2:
        raise CmtkError.of("merge-octopus", hand=hand[:10], count=len(parents))
    ours, theirs = parents
    base = merge_base(session, ours, theirs, outcome.remote)
    _refuse_own_changes(store, hand, base, ours, theirs)
    head = store.git.head() or hand
    scratch = Outcome(outcome.remote)
    incoming = changed_paths(store, base, theirs)
    ring = check_incoming(session, base, theirs, incoming, scratch)
    require_settings_accepted(store, base, theirs, incoming, outcome.remote, confirm.settings)
    redone = _merge_commits(session, base, ours, theirs, incoming, ring, scratch, confirm.team)
    if head != hand:  # carry over what was committed on top of the hand-made merge: a merge with it as base
        later = changed_paths(store, hand, head)
        ring = KeyRing(session)
        ring.load(key_blobs(store, hand), "this laptop")
        ring.load(key_blobs(store, head), "this laptop")
        redone = _merge_commits(session, hand, redone, head, later, ring, Outcome(outcome.remote), confirm.team)
    if head != hand:
        done = sorted(_redone(store) | {hand})
        write_atomic(store.root / ".git" / "cmtk" / REDONE, ("\n".join(done) + "\n").encode("ascii"))
    move_to(store, head, redone)
    outcome.merged_records += scratch.merged_records
    outcome.conflicts.extend(scratch.conflicts)
    outcome.waiting.update(scratch.waiting)
    outcome.redone_merges += 1
    return True


def _refuse_own_changes(store: Store, hand: str, base: str, ours: str, theirs: str) -> None:
    """A file the hand-made merge commit holds in a version neither side had, where only one side changed it,
    is a change made in the merge itself: cmtk would drop it by merging again, so it refuses."""
    both = set(changed_paths(store, base, ours)) & set(changed_paths(store, base, theirs))
    own = set(changed_paths(store, ours, hand)) & set(changed_paths(store, theirs, hand))
    if own - both:
        raise CmtkError.of("merge-by-hand", hand=hand[:10], own=sorted(own - both)[0])
