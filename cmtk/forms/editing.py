"""`cmtk case edit`: a record in $EDITOR without leaving plaintext on disk.

On Linux the decrypted YAML is written only to a private (0700) folder in
memory (/dev/shm or $XDG_RUNTIME_DIR). macOS and Windows have no such folder:
there it goes to the user's own temporary folder, on the disk, and cmtk says so
(FileVault or BitLocker then protects it). The editor's swap, backup and undo
files are turned off where the editor allows it. The folder is removed in
`finally`, also on SIGTERM, SIGHUP (SIGBREAK on Windows), and leftovers of
killed runs are removed at the next start (see leftovers.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from cmtk import dates, system
from cmtk.casework import cases
from cmtk.errors import CmtkError, RecordError
from cmtk.forms import definitions
from cmtk.store import leftovers, yamlio
from cmtk.store.leftovers import PREFIX, remove_leftovers  # noqa: F401 - kept importable from here
from cmtk.store.session import Session

HEADER = (
    "# Edit the values below, save and close the editor to check and store them.\n"
    "# Close without saving (or empty the file) to cancel. Sections and field names: `cmtk form show {form}`.\n"
)


def memory_folder() -> Path | None:
    return system.memory_folder()


VIM_FAMILY = ("vi", "vim", "nvim", "gvim", "view", "rvim", "vim.basic", "vim.tiny", "vim.nox", "vim.gtk3")
_VIM_OFF = "set nobackup nowritebackup noundofile noswapfile"
# Editors that keep no copy of a file elsewhere (sed -i writes its temporary file beside the file).
KEEP_NO_COPIES = ("sed", "ed", "true", "cat")


def editor_command(path: Path) -> list[str]:
    """The user's editor with its swap, backup and undo files switched off, *after* the user's own settings.

    vim and nano read ~/.vimrc and ~/.nanorc after any option cmtk could put first, and a `set backup` or
    `set undofile` there copied the decrypted record into the user's backup folder (security review round 4,
    M6): cmtk starts them without the user's configuration (vim -u NONE, nano -I, emacs -Q). The editor is
    run by its full path, looked up on PATH only (never in the current folder, which Windows would search
    first and which is often the store).
    """
    command = system.split_command(os.environ.get("VISUAL") or os.environ.get("EDITOR") or system.default_editor())
    if not command:
        command = [system.default_editor()]
    found = system.find_program(command[0])
    if found is None:
        raise CmtkError.of("editor-not-installed", command=command[0])
    name = editor_name(command)
    command[0] = found
    if name in VIM_FAMILY:
        no_gui = ["-U", "NONE"] if name != "nvim" else []
        command += ["-u", "NONE", *no_gui, "-i", "NONE", "-n", "--cmd", _VIM_OFF, "-c", _VIM_OFF]
    elif name in ("nano", "rnano"):
        command += ["-I"]  # --ignorercfiles: no `set backup`, `backupdir` or `positionlog` from ~/.nanorc
    elif name in ("emacs", "emacs-nox"):
        command += ["-Q", "--eval", "(setq make-backup-files nil auto-save-default nil create-lockfiles nil)"]
    return [*command, str(path)]


def editor_name(command: list[str]) -> str:
    """The editor's program name without folder or .exe."""
    return os.path.basename(command[0]).lower().removesuffix(".exe") if command else ""


def known_editor(command: list[str]) -> bool:
    """An editor whose copies of the file cmtk knows how to switch off (or that keeps none)."""
    return editor_name(command) in (*VIM_FAMILY, "nano", "rnano", "emacs", "emacs-nox", *KEEP_NO_COPIES)


def confirm_unknown_editor(command: list[str]) -> None:
    """Warn about an editor cmtk does not know, and let the user choose (a terminal) or go on (a script)."""
    if known_editor(command):
        return
    print(
        f"Warning: cmtk does not know how to stop '{os.path.basename(command[0])}' from keeping backup, undo or "
        "recovery copies of the file, which would hold the decrypted record outside cmtk's private folder. "
        "vim, nano and emacs are safe (set EDITOR).",
        file=sys.stderr,
    )
    if sys.stdin.isatty():
        answer = input("Edit with it anyway? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            raise CmtkError.of("editor-unsafe-declined")


def edit_base(allow_disk: bool) -> Path:
    """Where the decrypted form may be while the editor has it, saying so when it is on the disk."""
    base = memory_folder()
    if base is not None:
        return base
    if system.windows() or system.macos():
        # No memory-backed folder an ordinary program can use: the user's own temporary folder (private to
        # them on both systems), said plainly, every time.
        print(
            "Note: this computer has no memory-only folder, so the form is decrypted into your private "
            f"temporary folder on the disk while you edit, and deleted afterwards; keep {system.disk_encryption()} "
            "switched on",
            file=sys.stderr,
        )
        return Path(tempfile.gettempdir())
    if not allow_disk:
        raise CmtkError.of("edit-no-memory-folder")
    return Path(tempfile.gettempdir())


@contextlib.contextmanager
def private_folder(allow_disk: bool):
    base = edit_base(allow_disk)
    remove_leftovers(base)
    folder = Path(tempfile.mkdtemp(prefix=PREFIX, dir=base))  # 0700 (an owner-only access list on Windows)
    try:
        alive = leftovers.hold(folder)  # other cmtk commands leave the folder alone while this one runs
    except BaseException:
        leftovers.remove(folder)
        raise

    def on_signal(number, frame):
        raise KeyboardInterrupt

    try:
        with system.handled_signals(on_signal, system.editor_signals()):
            yield folder
    finally:
        alive.release()
        leftovers.remove(folder)  # retried while an antivirus scanner holds the file; a warning if it stays


def edit_record(
    session: Session, case_id: str, form_id: str, *, record_id: str | None = None, allow_disk: bool = False
) -> str:
    case = cases.read_case(session, case_id)
    candidates = [r for r in case.records if r.form == form_id and (record_id is None or r.record == record_id.upper())]
    if not candidates:
        recorded = sorted({r.form for r in case.forms()})
        raise CmtkError.of(
            "edit-no-such-record",
            case_id=case_id,
            form_id=form_id,
            suggest=definitions.suggest(form_id, recorded),
            recorded=", ".join(recorded) or "none",
        )
    original = candidates[-1]
    form = definitions.load_form(form_id, session.store.root)
    today = dates.today()
    with private_folder(allow_disk) as folder:
        path = folder / "record.yaml"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(HEADER.format(form=form_id) + yamlio.dumps(original.body))
        confirm_unknown_editor(editor_command(path))
        while True:
            command = editor_command(path)
            try:
                result = subprocess.run(command)
            except FileNotFoundError:
                raise CmtkError.of("editor-not-runnable", command=command[0]) from None
            if result.returncode != 0:
                raise CmtkError.of("editor-exit-error")
            text = path.read_text("utf-8")
            if not text.strip() or all(line.startswith("#") or not line.strip() for line in text.splitlines()):
                return "Empty file: nothing was changed."
            try:
                body = yamlio.loads(text, "the edited form", as_text=True)
                clean = cases.check_for_case(session, case, form, body, today, original.date)
                break
            except (RecordError, cases.InvalidRecord) as error:
                for line in getattr(error, "lines", None) or [error.message]:
                    print(f"Error: {line}", file=sys.stderr)
                if not (sys.stdin.isatty() and _again()):
                    raise CmtkError.of("edited-form-invalid") from None
    if clean == original.body:
        return "No changes."
    updated = dataclasses.replace(original, body=clean, updated=dates.now_utc().isoformat(), updated_by=session.author)
    session.save(case.id, [updated], "update")  # merges with anything saved while the editor was open
    note = ""
    if session.merged_meanwhile:
        both = sum(session.merged_meanwhile)
        note = (
            " It had changed while you were editing; both changes were kept."
            if not both
            else f" It had changed while you were editing; {both} field(s) changed both ways: "
            f"see `cmtk conflicts {case.id}`."
        )
    return f"Saved {form_id} for {case.id}.{note}"


def _again() -> bool:
    answer = input("Edit again? [Y/n] ").strip().lower()
    return answer in ("", "y", "yes")
