"""git's merge driver for a hand-run `git merge` / `git pull` on records (`cmtk merge-driver`)."""

from __future__ import annotations

from pathlib import Path

from cmtk.errors import CmtkError, GitError
from cmtk.store.session import Session
from cmtk.team import merge
from cmtk.team.keyring import KeyRing, key_blobs


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
        raise CmtkError.of("merge-older-key", path=path)
    result = merge.merge_record(base, ring.open(ours_file.read_bytes(), path)[0], theirs)
    ours_file.write_bytes(ring.seal(result.content, max(ring.keys), path))
    return [c["field"] for c in result.new_conflicts]
