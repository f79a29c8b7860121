"""Where a store syncs to (remotes), and making a new copy of a store (`cmtk clone`).

A remote is an ordinary git remote (a bare repository in a shared folder or
on a server) or, for a USB stick, one age-encrypted git bundle file, kept in
the store's local git config as `cmtk-bundle.NAME.path`.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cmtk import system
from cmtk.errors import CmtkError, DecryptError, GitError, UsageError
from cmtk.store import crypto, paths
from cmtk.store import session as store_module
from cmtk.store.gitio import STORE_CONFIG, Git, remote_side_options
from cmtk.store.session import Session, Store
from cmtk.team import incoming, roster

BRANCH = "main"
BUNDLE_KEY = "cmtk-bundle"
# Every git command that talks to a remote: no ext:: or fd:: transports (a URL must never run a program).
TRANSPORT = ("-c", "protocol.ext.allow=never", "-c", "protocol.fd.allow=never")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
ATTRIBUTES_LINE = "*.age -text -eol -filter -ident -working-tree-encoding diff=cmtk merge=cmtk\n"


@dataclass
class Remote:
    name: str
    url: str
    bundle: bool
    bundle_to: set[str] | None = None  # the members the bundle read at this sync says it is encrypted to


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise UsageError.of("remote-name-format")
    return name


def check_url(url: str) -> str:
    url = url.strip()
    if not url or url.startswith("-") or "\n" in url:
        raise UsageError.of("remote-url-format")
    if "::" in url.split("/")[0] or url.startswith(("ext:", "fd:")):
        raise UsageError.of("remote-url-helper")
    return url


def is_local(url: str) -> bool:
    """git's own rule (connect.c, url_is_local_not_ssh): a path unless a colon comes before any slash,
    as in `user@server:cci.git`; on Windows a drive letter (`E:\\cci-store.age`, `Z:/cci.git`) is a path too,
    and so is a network share (`\\\\office\\share\\cci.git`: no colon at all)."""
    if url.startswith("file://"):
        return True
    if system.windows():
        if re.match(r"^[A-Za-z]:", url):
            return True
        url = url.replace("\\", "/")
    colon, slash = url.find(":"), url.find("/")
    return colon < 0 or (0 <= slash < colon)


def side_options(url: str, program: str) -> tuple[str, ...]:
    """For a folder remote: the options that make the git running inside it obey nothing stored there, after
    checking the folder holds nothing that would send git elsewhere (review 4, H1). Empty for ssh remotes:
    their git runs on the server, not on this laptop."""
    if not is_local(url):
        return ()
    check_folder(local_path(url))
    return remote_side_options(program)


def check_folder(path: Path) -> None:
    """A folder remote must be a repository in that folder: no `.git` file pointing elsewhere and no
    alternates (another folder's objects and refs, read and advertised as if they were the remote's)."""
    git_dir = path / ".git" if (path / ".git").exists() or (path / ".git").is_symlink() else path
    if git_dir != path and not git_dir.is_dir() or git_dir.is_symlink():
        raise CmtkError.of("remote-git-elsewhere", path=path)
    info = git_dir / "objects" / "info"
    for name in ("alternates", "http-alternates"):
        if (info / name).exists() or (info / name).is_symlink():
            raise CmtkError.of("remote-alternates", path=path, name=name)


def local_path(url: str) -> Path:
    return Path(os.path.normpath(paths.expand(url[len("file://") :] if url.startswith("file://") else url).absolute()))


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
        found[name] = Remote(name, value, kind == BUNDLE_KEY)
    return sorted(found.values(), key=lambda r: r.name)


def add_remote(store: Store, name: str, url: str, bundle: bool | None = None) -> tuple[Remote, str]:
    """Record a remote; a local folder that does not exist yet becomes an empty bare repository."""
    name, url = check_name(name), check_url(url)
    if any(r.name == name for r in remotes(store)):
        raise CmtkError.of("remote-exists", name=name)
    is_bundle = url.endswith(".age") if bundle is None else bundle
    note = ""
    if is_bundle:
        if not is_local(url):
            raise UsageError.of("bundle-url-not-path")
        path = local_path(url)
        if not path.parent.is_dir():
            raise CmtkError.of("bundle-folder-missing", parent=path.parent)
        if path.exists() and path.is_dir():
            raise UsageError.of("bundle-url-is-folder", path=path)
        url = str(path)
        store.git.run("config", "--local", f"{BUNDLE_KEY}.{name}.path", url)
        note = "the file is written at the first sync"
    else:
        if is_local(url):
            path = local_path(url)
            if not path.exists():
                if not path.parent.is_dir():
                    raise CmtkError.of("remote-no-folder-drive", parent=path.parent)
                store.git.run("init", "-q", "--bare", "-b", BRANCH, str(path))
                note = f"created an empty shared repository at {path}"
            elif not (path / "HEAD").is_file() and not (path / ".git").exists():
                raise CmtkError.of("remote-not-a-repository", path=path)
            url = str(path)
        store.git.run("remote", "add", name, url)
    return Remote(name, url, is_bundle), note


def remove_remote(store: Store, name: str) -> None:
    remote = find_remote(store, name)
    if remote.bundle:
        store.git.run("config", "--local", "--remove-section", f"{BUNDLE_KEY}.{name}")
    else:
        store.git.run("remote", "remove", name)


def find_remote(store: Store, name: str | None) -> Remote:
    known = remotes(store)
    if not known:
        raise CmtkError.of("no-remote")
    if name is None:
        if len(known) == 1:
            return known[0]
        names = ", ".join(r.name for r in known)
        raise UsageError.of("remote-name-needed", names=names)
    for remote in known:
        if remote.name == name:
            return remote
    raise CmtkError.of("no-such-remote", name=name, name2=", ".join(r.name for r in known))


def bundle_used(store: Store, name: str) -> bool:
    """This laptop has read or written the bundle of remote `name` before (so a missing file is a problem)."""
    try:
        return store.git.run("config", "--local", "--get", f"{BUNDLE_KEY}.{name}.used") == "true"
    except GitError:
        return False


def mark_bundle_used(store: Store, name: str) -> None:
    store.git.run("config", "--local", f"{BUNDLE_KEY}.{name}.used", "true")


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
    # Also pinned here, above anything a synced .gitattributes could say: ciphertext is never converted
    # (security review round 2, M4: `*.age text eol=crlf` corrupted records).
    line = ATTRIBUTES_LINE
    attributes = info / "attributes"
    kept = [
        existing
        for existing in (attributes.read_text("utf-8").splitlines(keepends=True) if attributes.is_file() else [])
        if not existing.startswith("*.age ")
    ]
    attributes.write_text("".join(kept) + line, "utf-8", newline="\n")


def ensure_configured(store: Store) -> None:
    """Stores made before sync existed lack the merge driver and the pinned attributes: add them once."""
    attributes = store.root / ".git" / "info" / "attributes"
    try:
        if ATTRIBUTES_LINE in attributes.read_text("utf-8"):
            return
    except OSError:
        pass
    configure_copy(store)


def configure_copy(store: Store) -> None:
    """Local git settings every copy of a store needs (init and clone)."""

    for key, value in STORE_CONFIG.items():
        store.git.set_config(key, value)
    store.git.set_config("diff.cmtk.textconv", store_module.textconv_command())
    install_merge_driver(store)


@dataclass
class Copy:
    store: Store
    member: str  # the cloning user's name in the team
    fingerprint: str  # the store's fingerprint (it covers the store keys and the team)


def clone(
    url: str, target: Path, identity_pair: crypto.KeyPair, bundle: bool | None = None, expect: str | None = None
) -> Copy:
    """A new copy of a store from a remote (a shared repository or an encrypted bundle), ready to sync with it.

    `expect`: the fingerprint the user was given (`cmtk team fingerprint` on a laptop they trust); the
    copy is refused, and nothing kept, when it differs or cannot be checked.
    """

    url = check_url(url)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise CmtkError.of("clone-folder-not-empty", target=target)
    is_bundle = url.endswith(".age") if bundle is None else bundle
    source = local_path(url) if is_bundle or is_local(url) else None
    if is_bundle and source is not None and not source.is_file():
        raise CmtkError.of("clone-no-bundle", source=source)
    if source is not None and not source.exists():
        raise CmtkError.of("clone-no-folder", source=source)
    with paths.new_store_folder(target):
        runner = Git(target.parent)
        if is_bundle and source is not None:
            _clone_bundle(runner, source, target, identity_pair)
        else:
            try:
                runner.run(
                    *TRANSPORT,
                    "clone",
                    "-q",
                    "--no-checkout",
                    "--no-local",  # never hard links or copies of the shared folder's files (review 5)
                    "--template=",
                    *side_options(url, "upload-pack"),
                    "-b",
                    BRANCH,
                    "-c",
                    "core.autocrlf=false",
                    url if source is None else str(source),
                    str(target),
                )
            except GitError as error:
                reason = str(error).split(": ", 1)[-1]
                raise CmtkError.of("clone-failed", url=url, reason=reason) from None
        copy = Store(target)
        if is_bundle:
            copy.git.run("remote", "remove", "origin")
            copy.git.run("config", "--local", f"{BUNDLE_KEY}.origin.path", str(source))
            mark_bundle_used(copy, "origin")
        configure_copy(copy)
        try:
            commit = copy.git.run("rev-parse", "--verify", "-q", f"refs/heads/{BRANCH}^{{commit}}")
        except GitError:
            raise CmtkError.of("clone-no-branch", url=url, branch=BRANCH) from None
        # Every check a sync makes on what another copy sends, before a single file is written out (review 4, H2).
        incoming.check_copy_files(copy, commit, url)
        copy.git.run("checkout", "-q", BRANCH)
        if not (target / ".cmtk" / "settings.yaml").is_file():
            raise CmtkError.of("clone-not-a-store", url=url)
        member = next((m.name for m in copy.members() if m.public == identity_pair.public), None)
        if member is None:
            raise CmtkError.of("clone-not-in-team", public=identity_pair.public)
        session = Session(copy, identity_pair)
        incoming.check_copy_content(session, commit, url)
        found = roster.fingerprint(session)
        wanted = "".join(ch for ch in (expect or "").upper() if ch.isalnum())
        if expect is not None and wanted != found.replace("-", ""):
            raise CmtkError.of("clone-fingerprint-mismatch", found=found, expect=expect.strip())
        copy.accept_team()  # the team as cloned is the one this laptop accepts (hence the fingerprint)
        return Copy(copy, member, found)


def _clone_bundle(runner, source: Path, target: Path, identity_pair: crypto.KeyPair) -> None:
    try:
        data = crypto.decrypt(source.read_bytes(), [identity_pair.identity], str(source))
    except DecryptError:
        raise CmtkError.of("bundle-not-for-you", source=source) from None
    staging = Path(tempfile.mkdtemp(prefix=".cmtk-clone-", dir=target.parent))
    try:
        (staging / "incoming.bundle").write_bytes(data)
        runner.run(
            *TRANSPORT,
            "clone",
            "-q",
            "--no-checkout",
            "--template=",
            "-b",
            BRANCH,
            "-c",
            "core.autocrlf=false",
            str(staging / "incoming.bundle"),
            str(target),
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
