"""Git through the git binary (GitPython's command interface), never its pure-Python index.

Commit messages are a generic verb and an opaque id only (store.md, invariant 5).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from cmtk.errors import GitError

_SAFE_MESSAGE = re.compile(r"^[a-z]+( [a-z]+)?( [0-9A-Z]{8})?$")

# Every git command cmtk runs ignores hooks and fsmonitor programs that a store copied from elsewhere
# could carry in its .git/config (security review M3).
SAFE_OPTIONS = ("-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false")

# Everything a store holds is ciphertext, which neither compresses nor deltas: git is told not to try, for
# objects it writes and packs it makes (commits, gc, bundles, pushes). Attached scans of several MB each
# made a USB sync spend most of its time in delta search and zlib (issue 18: 27 s of 28 for 150 MB).
PACKING = ("-c", "core.bigFileThreshold=256k", "-c", "pack.compression=0", "-c", "core.looseCompression=0")

# Local settings every store gets (textconv is added by the store, with the path to cmtk).
STORE_CONFIG = {
    "core.autocrlf": "false",
    "core.safecrlf": "false",
    "core.quotepath": "true",
    "core.splitIndex": "true",
    "core.untrackedCache": "true",
    "rerere.enabled": "false",
    "gc.autoDetach": "true",
    "commit.gpgsign": "false",
    "diff.cmtk.binary": "true",
}


class Git:
    """A store's git repository."""

    def __init__(self, root: Path) -> None:
        import git  # GitPython: imported only by commands that touch git

        self.root = root
        self._git = git.Git(str(root))
        self._error = git.GitCommandError

    def run(self, *args: str, env: dict[str, str] | None = None, strip: bool = True) -> str:
        full_env = {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
        if env:
            full_env.update(env)
        try:
            return self._git.execute(
                ["git", *SAFE_OPTIONS, *PACKING, *args],
                env=full_env,
                strip_newline_in_stdout=strip,
                stdout_as_string=True,
            )
        except self._error as error:
            detail = (error.stderr or "").strip().splitlines()
            first = detail[-1] if detail else f"exit status {error.status}"
            first = first.replace("stderr: ", "").strip(" '")
            if "index.lock" in first:
                raise GitError(
                    "git is busy in this store (.git/index.lock exists); if no git or cmtk command is running, "
                    "delete .git/index.lock and try again"
                ) from None
            raise GitError(f"git {_subcommand(args)} failed: {first[:200]}") from None

    def init(self) -> None:
        self.run("init", "-q", "-b", "main")
        for key, value in STORE_CONFIG.items():
            self.run("config", "--local", key, value)

    def set_config(self, key: str, value: str) -> None:
        self.run("config", "--local", key, value)

    def commit(self, paths: list[str], message: str, author: str) -> str:
        """Stage exactly `paths` (added, changed or deleted) and commit them; return the commit id.

        Through git's plumbing (update-index, write-tree, commit-tree, update-ref): `git commit`
        re-checks every file of the working tree, which costs most of a second in a store of
        150,000 records; the plumbing touches only the changed entries (performance.md).
        """
        if not _SAFE_MESSAGE.match(message):
            raise ValueError(f"commit message {message!r} is not a generic verb and opaque id")
        identity = _author_env(author)
        if paths:
            self.run("update-index", "--add", "--remove", "--", *paths)
        tree = self.run("write-tree")
        parent = self.head()
        commit = self.run("commit-tree", tree, *(["-p", parent] if parent else []), "-m", message, env=identity)
        self.run("update-ref", "-m", f"commit: {message}", "HEAD", commit, *([parent] if parent else []))
        self.maintain()
        return commit

    def maintain(self) -> None:
        """Let git pack loose objects now and then (in the background): thousands of loose objects
        make every lookup slow. Plumbing commands never trigger it themselves."""
        try:
            self.run("gc", "--auto", "--quiet")
        except GitError:
            pass

    def head(self) -> str | None:
        try:
            return self.run("rev-parse", "--verify", "-q", "HEAD")
        except GitError:
            return None

    def restore(self, paths: list[str]) -> None:
        """Put `paths` back as HEAD has them (dropping what HEAD does not have)."""
        tracked = self.run("ls-files", "--", *paths).splitlines() if paths else []
        if tracked:
            self.run("checkout", "-q", "HEAD", "--", *tracked)
        self.run("reset", "-q", "--", *paths) if paths else None

    def cat_files(self, specs: list[str]) -> list[bytes | None]:
        """Many blobs in one `git cat-file --batch` (spec: `<commit>:<path>` or a hash); None when missing."""
        import subprocess

        if not specs:
            return []
        result = subprocess.run(
            ["git", *SAFE_OPTIONS, "-C", str(self.root), "cat-file", "--batch"],
            input=("\n".join(specs) + "\n").encode("utf-8"),
            capture_output=True,
            check=False,
        )
        if result.returncode != 0:
            raise GitError("git cat-file failed; run `cmtk doctor`")
        out, pos, blobs = result.stdout, 0, []
        for _ in specs:
            end = out.index(b"\n", pos)
            header = out[pos:end].split()
            pos = end + 1
            if header[-1] == b"missing" or len(header) != 3:
                blobs.append(None)
                continue
            size = int(header[2])
            blobs.append(out[pos : pos + size])
            pos += size + 1
        return blobs

    def status(self) -> list[str]:
        out = self.run("status", "--porcelain", "--untracked-files=all", strip=False)
        return [line for line in out.splitlines() if line]


def _subcommand(args: tuple[str, ...]) -> str:
    """The git command's name for a message, past any `-c key=value` options in front of it."""
    rest = list(args)
    while len(rest) >= 2 and rest[0] == "-c":
        rest = rest[2:]
    return rest[0] if rest else "command"


def _author_env(author: str) -> dict[str, str]:
    name = author or "cmtk"
    email = "cmtk@localhost"
    return {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
        "HOME": os.environ.get("HOME", "/"),
    }
