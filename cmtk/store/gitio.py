"""Git through the git binary, never its pure-Python index.

Commit messages are a generic verb and an opaque id only (store.md, invariant 5).

Nothing stored in a repository cmtk did not make is executed or obeyed (security review rounds 1 and 4):
every git command runs with SAFE_OPTIONS (no hooks, no fsmonitor program) and without the caller's GIT_*
environment (GIT_DIR, GIT_CONFIG_PARAMETERS, GIT_EXEC_PATH... would point git elsewhere); the git that
runs *inside* a folder remote (upload-pack, receive-pack) gets the same treatment through
`remote_side_options`, because git drops command-line settings when it starts that process.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from cmtk import system
from cmtk.errors import CmtkError, GitError
from cmtk.store import faults, paths

_SAFE_MESSAGE = re.compile(r"^[a-z]+( [a-z]+)?( [0-9A-Z]{8})?$")

# Every git command cmtk runs ignores hooks and fsmonitor programs that a store copied from elsewhere
# could carry in its .git/config (security review M3). /dev/null, not an empty folder: nothing can ever be
# put inside it.
SAFE_OPTIONS = ("-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false")

# The git that runs in a folder remote's repository (a shared folder, another copy) reads that repository's
# own config and hooks, and git does not pass `-c` settings on to it: these say the same for it, and switch
# off everything in a repository's config that can start a program or change files there (review 4, H1).
REMOTE_SIDE_SETTINGS = (
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "core.alternateRefsCommand=true",
    "receive.denyCurrentBranch=refuse",
    "receive.denyDeleteCurrent=refuse",
    "receive.autogc=false",
    "receive.updateServerInfo=false",
    "gc.auto=0",
    "uploadpack.allowFilter=false",
)

# Variables that only choose how to reach an ssh server or which of the user's own config files git reads,
# which the user set on purpose; every other GIT_*
# variable is dropped for cmtk's git (GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE, GIT_CONFIG_*, GIT_EXEC_PATH,
# GIT_ALTERNATE_OBJECT_DIRECTORIES, GIT_EXTERNAL_DIFF, GIT_TRACE*... would make git act on, run or log
# something else).
KEPT_GIT_VARIABLES = frozenset(
    {"GIT_SSH", "GIT_SSH_COMMAND", "GIT_SSH_VARIANT", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM"}
)

# Everything a store holds is ciphertext, which neither compresses nor deltas: git is told not to try, for
# objects it writes and packs it makes (commits, gc, bundles, pushes). Attached scans of several MB each
# made a USB sync spend most of its time in delta search and zlib (issue 18: 27 s of 28 for 150 MB).
PACKING = ("-c", "core.bigFileThreshold=256k", "-c", "pack.compression=0", "-c", "core.looseCompression=0")

# What git prints when a disk is full (its messages run in the C locale, see git_env).
DISK_FULL = ("No space left on device", "Disk quota exceeded")

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


def git_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a git process: the caller's without GIT_* variables, plus cmtk's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in KEPT_GIT_VARIABLES}
    env.update(
        {
            "GIT_TERMINAL_PROMPT": "0",
            "LC_ALL": "C",
            "LANGUAGE": "C",
        }
    )
    env.update(extra or {})
    return env


def remote_side_options(program: str) -> tuple[str, ...]:
    """`--upload-pack=...` or `--receive-pack=...` for a folder remote: git with hooks and programs off.

    git runs this through the shell with the repository's path after it, on this laptop, inside the
    remote repository; a repository cmtk did not make decides nothing here.
    """
    settings = " ".join(f"-c {setting}" for setting in REMOTE_SIDE_SETTINGS)
    command = f"git {settings} {program}"
    return (f"--{program}={command}",)


NO_HOOKS_FOLDER = "no-git-hooks"  # in cmtk's config folder, on Windows


def hooks_off() -> str:
    """A core.hooksPath where no hook can be: /dev/null on Linux and macOS; on Windows, where git's
    handling of /dev/null and NUL differs between builds, an empty folder of cmtk's own, private to the user."""
    if not system.windows():
        return "/dev/null"
    folder = paths.config_dir() / NO_HOOKS_FOLDER
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        system.make_private(folder)
    if any(folder.iterdir()):
        raise CmtkError.of("hooks-folder-not-empty", folder=folder)
    return str(folder)


def safe_options() -> tuple[str, ...]:
    """SAFE_OPTIONS with this system's place where no hook can be."""
    return ("-c", f"core.hooksPath={hooks_off()}", "-c", "core.fsmonitor=false")


def command(*args: str) -> list[str]:
    """A git command line: git by its full path (never a git.exe in the store's folder), then the safe options."""
    return [system.git_program(), *safe_options(), *PACKING, *args]


def run_git(args: list[str], *, cwd: str | os.PathLike | None = None, env: dict | None = None, **kwargs):
    """subprocess.run of `git SAFE_OPTIONS args` with the cleaned environment (for callers that need bytes or stdin).

    Text mode always means UTF-8: never the locale's code page (Windows), never an EncodingWarning."""
    if kwargs.get("text") or kwargs.get("universal_newlines"):
        kwargs.setdefault("encoding", "utf-8")
        kwargs.setdefault("errors", "replace")
    return subprocess.run(command(*args), cwd=cwd, env=git_env(env), **kwargs)


class Git:
    """A store's git repository."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def run(self, *args: str, env: dict[str, str] | None = None, strip: bool = True) -> str:
        result = run_git(list(args), cwd=self.root, env=env, capture_output=True, stdin=subprocess.DEVNULL)
        out = result.stdout.decode("utf-8", errors="replace")
        if result.returncode == 0:
            return out[:-1] if strip and out.endswith("\n") else out
        text = result.stderr.decode("utf-8", errors="replace")
        detail = text.strip().splitlines()
        first = detail[-1].strip(" '") if detail else f"exit status {result.returncode}"
        if any(sign in text for sign in DISK_FULL):  # before index.lock: git could not create it (issue 21.8)
            error = GitError.of("disk-full-git", root=self.root)
        elif "index.lock" in first or "index.lock': File exists" in text:
            error = GitError.of("git-busy")
        else:
            error = GitError.of("git-failed", subcommand=_subcommand(args), said=first[:200])
        error.detail = text
        raise error

    def init(self) -> None:
        """An empty repository; its settings (STORE_CONFIG and more) come from team.remotes.configure_copy."""
        self.run("init", "-q", "-b", "main")

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
            faults.point("write.staged")
        tree = self.run("write-tree")
        parent = self.head()
        commit = self.run("commit-tree", tree, *(["-p", parent] if parent else []), "-m", message, env=identity)
        faults.point("write.commit-made")
        self.run("update-ref", "-m", f"commit: {message}", "HEAD", commit, *([parent] if parent else []))
        faults.point("write.committed")
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
        if not specs:
            return []
        result = run_git(
            ["-C", str(self.root), "cat-file", "--batch"],
            input=("\n".join(specs) + "\n").encode("utf-8"),
            capture_output=True,
            check=False,
        )
        if result.returncode != 0:
            raise GitError.of("git-cat-file-failed")
        out, pos = result.stdout, 0
        blobs: list[bytes | None] = []
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
        "HOME": os.environ.get("HOME") or str(Path.home()),
    }
