"""`cmtk case edit`: a record in $EDITOR without leaving plaintext on disk.

The decrypted YAML is written only to a private (0700) folder in memory
(/dev/shm or $XDG_RUNTIME_DIR), with the editor's swap, backup and undo files
turned off where the editor allows it. The folder is removed in `finally`,
also on SIGTERM and SIGHUP, and leftovers of killed runs are removed at the
next start.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from cmtk import dates
from cmtk.casework import cases
from cmtk.errors import CmtkError, RecordError
from cmtk.forms import definitions
from cmtk.store import yamlio
from cmtk.store.leftovers import PREFIX, remove_leftovers  # noqa: F401 - kept importable from here
from cmtk.store.session import Session

HEADER = (
    "# Edit the values below, save and close the editor to check and store them.\n"
    "# Close without saving (or empty the file) to cancel. Sections and field names: `cmtk form show {form}`.\n"
)


def memory_folder() -> Path | None:
    for candidate in ("/dev/shm", os.environ.get("XDG_RUNTIME_DIR")):
        if candidate and os.path.isdir(candidate) and os.access(candidate, os.W_OK):
            return Path(candidate)
    return None


def editor_command(path: Path) -> list[str]:
    """The user's editor with its swap, backup and undo files switched off where we know how."""
    command = shlex.split(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "nano")
    if not command:
        command = ["nano"]
    name = os.path.basename(command[0])
    if name in ("vi", "vim", "nvim", "gvim", "view"):
        command += ["-n", "-i", "NONE", "--cmd", "set nobackup nowritebackup noundofile noswapfile viminfo="]
    elif name == "emacs":
        command += ["--eval", "(setq make-backup-files nil auto-save-default nil create-lockfiles nil)"]
    return [*command, str(path)]


@contextlib.contextmanager
def private_folder(allow_disk: bool):
    base = memory_folder()
    if base is None:
        if not allow_disk:
            raise CmtkError(
                "no memory-backed folder (/dev/shm) to edit in, so the decrypted form would touch the disk; "
                "pass --allow-disk-temp to accept that, or record a corrected form with `cmtk record`"
            )
        base = Path(tempfile.gettempdir())
    remove_leftovers(base)
    folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=base))
    os.chmod(folder, 0o700)

    def on_signal(number, frame):
        raise KeyboardInterrupt

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        for number, handler in previous.items():
            signal.signal(number, handler)


def edit_record(
    session: Session, case_id: str, form_id: str, *, record_id: str | None = None, allow_disk: bool = False
) -> str:
    case = cases.read_case(session, case_id)
    candidates = [r for r in case.records if r.form == form_id and (record_id is None or r.record == record_id.upper())]
    if not candidates:
        recorded = sorted({r.form for r in case.forms()})
        raise CmtkError(
            f"case {case_id} has no {form_id} record{definitions.suggest(form_id, recorded)}; recorded forms: {', '.join(recorded) or 'none'}"
        )
    original = candidates[-1]
    form = definitions.load_form(form_id, session.store.root)
    today = dates.today()
    with private_folder(allow_disk) as folder:
        path = folder / "record.yaml"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(HEADER.format(form=form_id) + yamlio.dumps(original.body))
        while True:
            command = editor_command(path)
            try:
                result = subprocess.run(command)
            except FileNotFoundError:
                raise CmtkError(
                    f"the editor '{command[0]}' is not installed; set EDITOR to one you have "
                    "(for example EDITOR=vi or EDITOR=nano), or record a corrected form with `cmtk record`"
                ) from None
            if result.returncode != 0:
                raise CmtkError("the editor exited with an error; nothing was changed")
            text = path.read_text("utf-8")
            if not text.strip() or all(line.startswith("#") or not line.strip() for line in text.splitlines()):
                return "Empty file: nothing was changed."
            try:
                body = yamlio.loads(text, "the edited form")
                clean = cases.check_for_case(session, case, form, body, today, original.date)
                break
            except (RecordError, cases.InvalidRecord) as error:
                for line in getattr(error, "lines", None) or [error.message]:
                    print(f"Error: {line}", file=sys.stderr)
                if not (sys.stdin.isatty() and _again()):
                    raise CmtkError("the edited form is not valid; nothing was changed") from None
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
            else f" It had changed while you were editing; {both} field(s) changed both ways: see `cmtk conflicts {case.id}`."
        )
    return f"Saved {form_id} for {case.id}.{note}"


def _again() -> bool:
    answer = input("Edit again? [Y/n] ").strip().lower()
    return answer in ("", "y", "yes")
