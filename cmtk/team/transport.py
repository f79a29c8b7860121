"""Moving commits between this copy and a remote: fetch, push, and encrypted USB bundles.

Every git command here runs with cmtk's safe options: nothing stored on a share, stick or server
is executed or obeyed (hooks, config, attributes, filters).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
from pathlib import Path

from cmtk import system
from cmtk.errors import CmtkError, DamagedError, DecryptError, GitError
from cmtk.findings import Finding
from cmtk.messages import finding
from cmtk.store import crypto, faults, gitio
from cmtk.store.files import fsync_dir
from cmtk.store.session import Session, Store
from cmtk.team import remotes
from cmtk.team.incoming import ZERO  # noqa: F401 - kept importable from here
from cmtk.team.remotes import BRANCH, TRANSPORT, Remote


def run_git(store: Store, *args: str, env: dict | None = None) -> str:
    return store.git.run(*TRANSPORT, *args, env=env)


def fetch(session: Session, remote: Remote, new_bundle: bool = False) -> str | None:
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
        remove_stick_leftovers(path)
        if not path.exists():
            if not path.parent.is_dir():
                raise CmtkError.of("bundle-folder-missing", parent=path.parent)
            if remotes.bundle_used(store, remote.name) and not new_bundle:
                raise CmtkError.of("bundle-missing", path=path, name=remote.name)
            return None
        try:
            data = crypto.decrypt(path.read_bytes(), [session.me.identity], str(path))
        except DamagedError:
            if new_bundle:  # the user asked to replace it with this laptop's copy
                return None
            raise CmtkError.of("bundle-corrupt", path=path, name=remote.name) from None
        except DecryptError:
            raise CmtkError.of("bundle-wrong-key", path=path) from None
        with private_temp(store) as folder:
            bundle = folder / "incoming.bundle"
            bundle.write_bytes(data)
            try:
                run_git(store, "bundle", "verify", "-q", str(bundle))
            except GitError:
                raise CmtkError.of("bundle-damaged", path=path) from None
            remote.bundle_to = bundle_recipients(run_git(store, "bundle", "list-heads", str(bundle)))
            run_git(store, "fetch", "-q", "--no-tags", str(bundle), f"+refs/heads/{BRANCH}:{ref}")
    else:
        _require_folder(remote)
        try:
            run_git(
                store,
                "fetch",
                "-q",
                "--no-tags",
                *remotes.side_options(remote.url, "upload-pack"),
                remote.name,
                f"+refs/heads/{BRANCH}:{ref}",
            )
        except GitError as error:
            if "couldn't find remote ref" in str(error):
                return None
            raise CmtkError.of("fetch-failed", name=remote.name, url=remote.url, reason=_reason(error)) from None
    try:
        fetched = run_git(store, "rev-parse", "--verify", "-q", ref + "^{commit}")
    except GitError:
        return None
    if (
        previous
        and fetched != previous
        and not is_ancestor(store, previous, fetched)
        and not is_ancestor(store, fetched, previous)
    ):
        run_git(store, "update-ref", ref, previous)
        raise CmtkError.of("remote-history-rewritten", name=remote.name)
    return fetched


def _require_folder(remote: Remote) -> None:
    """A shared folder that is not there: one whole line, before git's several (issue 21.8)."""
    if remotes.is_local(remote.url):
        folder = remotes.local_path(remote.url)
        if not folder.is_dir():
            raise CmtkError.of("remote-folder-missing", folder=folder)


def _reason(error: GitError) -> str:
    """git's own reason for a failed fetch or push, whole: the first `fatal:` or `error:` line it printed."""
    lines = [line.strip() for line in (error.detail or "").splitlines() if line.strip()]
    for line in lines:
        for prefix in ("fatal: ", "error: "):
            if line.startswith(prefix):
                return line[len(prefix) :][:300]
    return str(error).split(": ", 1)[-1]


def push(session: Session, remote: Remote, new_bundle: bool = False) -> bool:
    store = session.store
    head = store.git.head()
    if head is None:
        return True
    remote_head = _remote_head(store, remote)
    if remote.bundle:
        to = bundle_members(store, remote.bundle_to)
        # An unchanged stick is not written again, unless it is not (or not known to be) encrypted to exactly the
        # team: a member added must be able to clone from it at once, a member removed must lose it (issue 21.5).
        if remote_head != head or not Path(remote.url).exists() or remote.bundle_to != set(to):
            _write_bundle(session, Path(remote.url), to, in_place=new_bundle)
            with contextlib.suppress(GitError):
                run_git(store, "update-ref", f"refs/remotes/{remote.name}/{BRANCH}", head)
        remotes.mark_bundle_used(store, remote.name)
        return True
    if remote_head == head:
        return True
    try:
        run_git(
            store,
            "push",
            "-q",
            "--no-verify",
            *remotes.side_options(remote.url, "receive-pack"),
            remote.name,
            f"HEAD:refs/heads/{BRANCH}",
        )
    except GitError as error:
        message = str(error)
        if any(word in message for word in ("rejected", "fetch first", "non-fast-forward")):
            return False
        raise CmtkError.of("send-failed", name=remote.name, url=remote.url, reason=_reason(error)) from None
    with contextlib.suppress(GitError):
        run_git(store, "update-ref", f"refs/remotes/{remote.name}/{BRANCH}", head)
    return True


def _remote_head(store: Store, remote: Remote) -> str | None:
    try:
        return run_git(store, "rev-parse", "--verify", "-q", f"refs/remotes/{remote.name}/{BRANCH}^{{commit}}")
    except GitError:
        return None


RECIPIENT_REFS = "refs/cmtk/to/"  # inside a bundle: one ref per member it is encrypted to (never in a store)


def bundle_recipients(heads: str) -> set[str] | None:
    """The members a bundle says it is encrypted to (its refs/cmtk/to/KEY refs); None for a bundle that does
    not say (written before issue 21), which is then rewritten at the next sync."""
    found = {
        line.split()[1][len(RECIPIENT_REFS) :]
        for line in heads.splitlines()
        if len(line.split()) == 2 and line.split()[1].startswith(RECIPIENT_REFS)
    }
    return {key for key in found if _PUBLIC_KEY.match(key)} or None


_PUBLIC_KEY = re.compile(r"^age1[02-9ac-hj-np-z]{58}$")


def remove_recipient_refs(store: Store) -> None:
    """The refs a bundle write makes for a moment (a killed sync may leave them; the next one removes them)."""
    for ref in store.git.run("for-each-ref", "--format=%(refname)", RECIPIENT_REFS).splitlines():
        with contextlib.suppress(GitError):
            store.git.run("update-ref", "-d", ref)


def bundle_members(store: Store, previous: set[str] | None) -> list[str]:
    """The public keys a bundle is written to: every current member this laptop accepted, and every current
    member the stick was already encrypted to (another member accepted them: dropping them would lock a new
    member out of the stick until this laptop accepts them too). Never a key that is not in the team, and never
    one only this laptop's unaccepted team file names (H2)."""
    accepted = set(store.trust()["team"])
    kept = accepted | (previous or set())
    return sorted(m.public for m in store.members() if not accepted or m.public in kept)


def _write_bundle(session: Session, path: Path, members: list[str], in_place: bool = False) -> None:
    """The whole branch as one git bundle, encrypted to `members`, replaced atomically (`in_place`: the old
    bundle is deleted first when the stick cannot hold both)."""
    store = session.store
    head = store.git.head() or ""
    refs = [f"{RECIPIENT_REFS}{public}" for public in members]
    with private_temp(store) as folder:
        bundle = folder / "outgoing.bundle"
        try:
            for ref in refs:
                store.git.run("update-ref", ref, head)
            run_git(store, "bundle", "create", "-q", str(bundle), BRANCH, *refs)
        finally:
            remove_recipient_refs(store)
        data = crypto.encrypt(bundle.read_bytes(), _padded_recipients(members))
    if not path.parent.is_dir():
        raise CmtkError.of("remote-no-folder-stick", parent=path.parent)
    _write_to_stick(path, data, in_place)


SPACE_MARGIN = 1024 * 1024  # the file system's own bookkeeping


def free_bytes(folder: Path) -> int:
    return shutil.disk_usage(folder).free


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{max(size, 1000) // 1000} kB"


def _stick_full(path: Path, need: int, free: int, old: int) -> CmtkError:
    both = (
        f"; the old bundle ({_megabytes(old)}) stays until the new one is complete. This laptop has just taken "
        f"in everything the old bundle held, so `cmtk sync --new-bundle` may replace it in place"
        if old and free + old >= need
        else ""
    )
    return CmtkError.of(
        "stick-full",
        parent=path.parent,
        megabytes=_megabytes(need),
        megabytes2=_megabytes(free),
        both=both,
    )


def _write_to_stick(path: Path, data: bytes, in_place: bool) -> None:
    """Write to a temporary file beside the bundle, then rename it over the bundle: a stick pulled out or a
    killed sync leaves the old bundle (and a `.tmp-*.part` file the next sync removes)."""
    need = len(data) + SPACE_MARGIN
    old = path.stat().st_size if path.is_file() else 0
    free = free_bytes(path.parent)
    if free < need:
        if not (in_place and free + old >= need):
            raise _stick_full(path, need, free, old)
        path.unlink()
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f"{STICK_TEMP}{path.name}-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        faults.point("bundle.temp-written")
        system.replace(Path(name), path)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(name)
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise _stick_full(path, need, free_bytes(path.parent), old) from None
        raise CmtkError.of("bundle-write-failed", path=path, strerror=error.strerror) from None
    fsync_dir(path.parent)


STICK_TEMP = ".tmp-"


def remove_stick_leftovers(path: Path) -> None:
    """Temporary files of a bundle write that was killed or lost its stick (only ever written by cmtk)."""
    with contextlib.suppress(OSError):
        for leftover in path.parent.glob(f"{STICK_TEMP}*.part"):
            with contextlib.suppress(OSError):
                leftover.unlink()


BUNDLE_STANZAS = 8


def _padded_recipients(publics: list[str]) -> list:
    """The members' keys plus throwaway ones, to a multiple of 8, in random order: an age header has one stanza
    per recipient, and whoever finds the stick must not learn the team's size from it (review 4, L8). The
    throwaway keys' secrets are never kept; their stanzas look like any other."""
    import secrets

    recipients = [crypto.parse_recipient(public) for public in publics]
    while len(recipients) % BUNDLE_STANZAS or not recipients:
        recipients.append(crypto.generate().recipient)
    secrets.SystemRandom().shuffle(recipients)
    return recipients


@contextlib.contextmanager
def private_temp(store: Store):
    base = store.root / ".git" / "cmtk"
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = Path(tempfile.mkdtemp(prefix="sync-", dir=base))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def is_ancestor(store: Store, older: str, newer: str) -> bool:
    try:
        store.git.run("merge-base", "--is-ancestor", older, newer)
        return True
    except GitError:
        return False


# -- checking and repairing a remote (`cmtk doctor --remote NAME`, issue 21.8) ------------------------------

_OBJECT_ID = re.compile(r"\b[0-9a-f]{40}\b")


def _fsck_folder(folder: Path) -> tuple[bool, set[str]]:
    """git's own check of a shared folder's repository, run here with hooks and programs off: (sound, the ids
    of objects it names as damaged or missing)."""
    result = gitio.run_git(
        [f"--git-dir={folder}", "fsck", "--no-progress", "--no-dangling", "--full"],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    text = (result.stdout or "") + "\n" + (result.stderr or "")
    named = {sha for line in text.splitlines() if line.strip() for sha in _OBJECT_ID.findall(line)}
    return result.returncode == 0 and not named, named


def check_remote(session: Session, remote: Remote) -> list[Finding]:
    """What is wrong with a remote: a shared folder through git's fsck, a bundle by opening and verifying it."""
    store = session.store
    where = f"remote {remote.name}"
    if remote.bundle:
        path = Path(remote.url)
        if not path.is_file():
            return [finding(where, "remote-missing", path=path)]
        try:
            data = crypto.decrypt(path.read_bytes(), [session.me.identity], str(path))
        except DamagedError:
            return [finding(where, "remote-damaged", path=path, remote=remote.name)]
        except DecryptError:
            return [finding(where, "remote-key", path=path)]
        with private_temp(store) as folder:
            (folder / "check.bundle").write_bytes(data)
            try:
                run_git(store, "bundle", "verify", "-q", str(folder / "check.bundle"))
            except GitError:
                return [finding(where, "remote-damaged", path=path, remote=remote.name)]
        return []
    if not remotes.is_local(remote.url):
        return [finding(where, "remote-unchecked")]
    folder = remotes.local_path(remote.url)
    if not folder.is_dir():
        return [finding(where, "remote-missing:folder", path=folder)]
    remotes.check_folder(folder)
    sound, named = _fsck_folder(folder)
    if sound:
        return []
    here = [sha for sha in sorted(named) if _intact_here(store, sha)]
    count = len(named) or "some"
    if here:
        return [
            finding(where, "remote-damaged:folder-here", path=folder, count=count, remote=remote.name, held=len(here))
        ]
    return [finding(where, "remote-damaged:folder-elsewhere", path=folder, count=count, remote=remote.name)]


def _intact_here(store: Store, sha: str) -> bool:
    try:
        kind = store.git.run("cat-file", "-t", sha)
    except GitError:
        return False
    data = _object_bytes(store, kind, sha)
    return data is not None and _hash(store, kind, data) == sha


def _object_bytes(store: Store, kind: str, sha: str) -> bytes | None:
    result = gitio.run_git(["-C", str(store.root), "cat-file", kind, sha], capture_output=True)
    return result.stdout if result.returncode == 0 else None


def _hash(store: Store, kind: str, data: bytes, folder: Path | None = None) -> str:
    where = [f"--git-dir={folder}"] if folder else ["-C", str(store.root)]
    result = gitio.run_git(
        [*where, "hash-object", "-t", kind, *(["-w"] if folder else []), "--no-filters", "--stdin"],
        input=data,
        capture_output=True,
    )
    return result.stdout.decode("ascii", errors="replace").strip() if result.returncode == 0 else ""


def repair_remote(session: Session, remote: Remote) -> list[str]:
    """Put back, in a shared folder, every damaged or missing object this laptop holds intact (a damaged loose
    object file is replaced; a damaged packed one gets a sound copy beside its pack, which git then reads)."""
    store = session.store
    if remote.bundle or not remotes.is_local(remote.url):
        return []
    folder = remotes.local_path(remote.url)
    if not folder.is_dir():
        return []
    remotes.check_folder(folder)
    sound, named = _fsck_folder(folder)
    done = []
    for sha in sorted(named):
        if not _intact_here(store, sha):
            continue
        kind = store.git.run("cat-file", "-t", sha)
        data = _object_bytes(store, kind, sha)
        loose = folder / "objects" / sha[:2] / sha[2:]
        if loose.is_file() and not loose.is_symlink():
            loose.unlink()
        if data is not None and _hash(store, kind, data, folder) == sha:
            done.append(f"put back {kind} {sha[:10]} in {remote.name}")
    return done
