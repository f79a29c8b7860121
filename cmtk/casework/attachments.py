"""A case's attached files: attaching a scan or photo, listing, reading back, voiding, the profile photo.

Each attachment is an internal record (form `attachment`) in the case folder plus the encrypted file
itself (cmtk.store.attachments). The record says what the file is (kind, type, size, pages, what
metadata was removed), what it is about (a record of the case), a short note, and holds the file's
own key and SHA-256. Attachments are never changed or deleted: a wrong one is voided, with a reason,
by updating its record; the file stays in the history as every record version does.

Kinds and the size limit are policy (`attachments:` in `.cmtk/policy.yaml`).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cmtk import dates
from cmtk.casework import cases, file_checks
from cmtk.casework import policy as policy_module
from cmtk.casework.cases import ATTACHMENT, Case
from cmtk.errors import CmtkError, RecordError, UsageError, ValidationError
from cmtk.forms.definitions import Text
from cmtk.store import attachments as blobs
from cmtk.store import ids
from cmtk.store.records import Record
from cmtk.store.session import Change, Session

SECTION = "attachment"
VOID = "void"
PHOTO = "photo"  # the kind whose attachments can be the child's profile photo
TYPES = (file_checks.PDF, file_checks.JPEG, file_checks.PNG, file_checks.ANY)
MAX_NOTE = 500
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


# -- kinds and limits (policy) ----------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    id: str
    label: Text
    types: tuple[str, ...]


def kinds(policy: dict) -> dict[str, Kind]:
    """The kinds of attachment this store knows (`attachments.kinds` in its policy)."""
    where = ".cmtk/policy.yaml: attachments.kinds"
    found = (policy.get("attachments") or {}).get("kinds")
    if not isinstance(found, dict) or not found:
        raise CmtkError.of("policy-kinds-format", where=where)
    result: dict[str, Kind] = {}
    for kind_id, item in found.items():
        if not isinstance(item, dict) or not re.fullmatch(r"[a-z][a-z0-9-]{0,39}", str(kind_id)):
            raise CmtkError.of("policy-kind-format", where=where, kind_id=kind_id)
        label = item.get("label")
        if isinstance(label, dict) and isinstance(label.get("en"), str):
            text = Text(label["en"], label.get("sw") if isinstance(label.get("sw"), str) else None)
        elif isinstance(label, str):
            text = Text(label)
        else:
            raise CmtkError.of("policy-kind-label", where=where, kind_id=kind_id)
        types = item.get("types")
        if not isinstance(types, list) or not types or any(t not in TYPES for t in types):
            raise CmtkError.of("policy-kind-types", where=where, kind_id=kind_id, types=", ".join(TYPES))
        result[str(kind_id)] = Kind(str(kind_id), text, tuple(types))
    return result


def max_bytes(policy: dict) -> int:
    value = (policy.get("attachments") or {}).get("max_megabytes", 10)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 100:
        raise CmtkError.of("policy-max-megabytes")
    return int(value * 1024 * 1024)


def find_kind(policy: dict, given: str) -> Kind:
    known = kinds(policy)
    wanted = str(given).strip().lower().replace(" ", "-").replace("_", "-")
    if wanted not in known:
        raise UsageError.of("attachment-kind-option", given=str(given)[:30], known=", ".join(known))
    return known[wanted]


# -- one attachment, as its record says -----------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    record: Record

    @property
    def info(self) -> dict[str, Any]:
        found = self.record.body.get(SECTION)
        return found if isinstance(found, dict) else {}

    id = property(lambda self: self.record.record)
    case = property(lambda self: self.record.case)
    date = property(lambda self: self.record.date)
    kind = property(lambda self: str(self.info.get("kind") or ""))
    note = property(lambda self: str(self.info.get("note") or ""))
    about = property(lambda self: self.info.get("about"))
    type = property(lambda self: str(self.info.get("type") or ""))
    media_type = property(lambda self: str(self.info.get("media_type") or "application/octet-stream"))
    extension = property(lambda self: str(self.info.get("extension") or "bin"))
    size = property(lambda self: self.info.get("size"))
    pages = property(lambda self: self.info.get("pages"))
    profile = property(lambda self: bool(self.info.get("profile")) and not self.voided)

    @property
    def voided(self) -> dict[str, Any] | None:
        found = self.record.body.get(VOID)
        return found if isinstance(found, dict) else None

    @property
    def is_image(self) -> bool:
        return self.type in (file_checks.JPEG, file_checks.PNG)

    def describe(self) -> str:
        """'PDF, 2 pages, 1.2 MB' or 'JPEG image 1200 x 1600, 310 KB'."""
        size = file_checks.megabytes(self.size) if isinstance(self.size, int) else "?"
        if self.type == file_checks.PDF:
            pages = self.pages or 0
            return f"PDF, {pages} page{'s' if pages != 1 else ''}, {size}"
        if self.is_image:
            dims = f" {self.info.get('width')} x {self.info.get('height')}" if self.info.get("width") else ""
            return f"{self.type.upper()} image{dims}, {size}"
        return f".{self.extension} file, {size}"


def of_case(case: Case) -> list[Attachment]:
    """Every attachment of a case, voided ones too, in date order."""
    return [Attachment(r) for r in case.records if r.form == ATTACHMENT]


def find(case: Case, attachment_id: str) -> Attachment:
    wanted = blobs.normalise_id(attachment_id)
    found = [a for a in of_case(case) if a.id == wanted]
    if not found:
        raise CmtkError.of("no-such-attachment", id=case.id, wanted=wanted)
    return found[0]


def profile_photo(case: Case) -> Attachment | None:
    """The photo marked as the child's profile photo (the latest marked, if several), never a voided one."""
    marked = [a for a in of_case(case) if a.profile and a.is_image]
    return marked[-1] if marked else None


def content(session: Session, attachment: Attachment) -> bytes:
    """The attached file as it was attached: decrypted in memory and checked against its record."""
    path = blobs.blob_path(session.store.case_dir(attachment.case), attachment.id)
    source = session.store.relative(path)
    if not path.is_file():
        raise RecordError.of("attachment-file-missing", source=source, id=attachment.id)
    info = attachment.info
    return blobs.open_blob(
        path.read_bytes(),
        str(info.get("file_key") or ""),
        int(info.get("size") or 0),
        str(info.get("sha256") or ""),
        source,
    )


# -- changing a case's attachments --------------------------------------------------------


@dataclass(frozen=True)
class Attached:
    attachment: Attachment
    checked: file_checks.Checked
    commit: str | None


def clean_text(value: str | None, option: str, required: bool = False) -> str | None:
    if value is None or not str(value).strip():
        if required:
            raise UsageError.of("attachment-reason-needed", option=option)
        return None
    text = " ".join(str(value).split())
    if len(text) > MAX_NOTE or _CONTROL.search(text):
        raise UsageError.of("attachment-note-too-long", option=option, max_note=MAX_NOTE)
    return text


def _about(case: Case, given: str | None) -> str | None:
    """`--about`: a record id of this case, or a form id (its latest record)."""
    if given is None:
        return None
    records = [r for r in case.records if r.form not in cases.INTERNAL_FORMS]
    text = str(given).strip()
    if re.fullmatch(r"[a-z][a-z0-9-]*", text):
        found = [r for r in records if r.form == text]
        if not found:
            recorded = ", ".join(sorted({r.form for r in records})) or "none"
            raise CmtkError.of("about-form-not-recorded", id=case.id, text=text, recorded=recorded)
        return found[-1].record
    record_id = ids.normalise_record_id(text, "record", f"see `cmtk case show {case.id}`")
    if not any(r.record == record_id for r in records):
        raise CmtkError.of("about-no-such-record", id=case.id, record_id=record_id)
    return record_id


def attach(
    session: Session,
    case_id: str,
    path: str | Path,
    kind: str,
    *,
    about: str | None = None,
    note: str | None = None,
    date: _dt.date | None = None,
    profile: bool = False,
    today: _dt.date | None = None,
) -> Attached:
    """Check the file, then write its encrypted copy and its record in one commit."""
    today = today or dates.today()
    policy = policy_module.load(session.store.root)
    chosen = find_kind(policy, kind)
    note = clean_text(note, "--note")
    when = date or today
    if when > today:
        raise ValidationError.of("attachment-date-future", when=when.isoformat())
    case = cases.read_case(session, case_id)
    about_id = _about(case, about)
    if profile and chosen.id != PHOTO:
        raise UsageError.of("profile-kind-not-photo", photo=PHOTO, id=chosen.id)
    file = Path(path).expanduser()
    checked = file_checks.check(file, file_checks.read_file(file, max_bytes(policy)), chosen.types, chosen.id)
    taken = {r.record for r in case.records}
    record, blob = new_attachment(
        session, case.id, checked, chosen.id, date=when, about=about_id, note=note, profile=profile, taken=taken
    )
    unmarked = _unmark_profiles(session, case, except_id=record.record) if profile else []
    with session.store.locked():
        changes = [blob, Change(session.record_path(record), session.seal(record))]
        changes += [Change(session.record_path(r), session.seal(r)) for r in unmarked]
        commit = session.store.apply(changes, f"update {case.id}", session.author)
    return Attached(Attachment(record.with_generation(session.store.current_generation)), checked, commit)


def new_attachment(
    session: Session,
    case_id: str,
    checked: file_checks.Checked,
    kind: str,
    *,
    date: _dt.date,
    about: str | None = None,
    note: str | None = None,
    profile: bool = False,
    taken: set[str] = frozenset(),  # type: ignore[assignment]
    created: tuple[str, str] | None = None,
) -> tuple[Record, Change]:
    """The record of a checked file and the change that writes the file, encrypted (nothing written yet).

    `created` is (time, by) when the attachment was made elsewhere (an imported share)."""
    attachment_id = ids.new_record_id()
    while attachment_id in taken:
        attachment_id = ids.new_record_id()
    blob = blobs.blob_path(session.store.case_dir(case_id), attachment_id)
    sealed = blobs.seal(checked.data, session.store.relative(blob))
    info: dict[str, Any] = {
        "kind": kind,
        "type": checked.type,
        "media_type": checked.media_type,
        "extension": checked.extension,
        "size": sealed.size,
        "sha256": sealed.sha256,
        "file_key": sealed.file_key,
    }
    for key, value in (("pages", checked.pages), ("width", checked.width), ("height", checked.height)):
        if value is not None:
            info[key] = value
    if checked.removed:
        info["metadata_removed"] = list(checked.removed)
    if about:
        info["about"] = about
    if note:
        info["note"] = note
    if profile:
        info["profile"] = True
    record = dataclasses.replace(
        cases.new_record(session, case_id, ATTACHMENT, {SECTION: info}, date), record=attachment_id
    )
    if created is not None:
        record = dataclasses.replace(record, created=created[0], created_by=created[1])
    return record, Change(blob, sealed.ciphertext)


def _unmark_profiles(session: Session, case: Case, except_id: str) -> list[Record]:
    """Records of the other photos marked as profile photo, with the mark taken off."""
    changed = []
    for other in of_case(case):
        if other.id != except_id and other.info.get("profile"):
            body = {**other.record.body, SECTION: {**other.info, "profile": False}}
            changed.append(_updated(session, other.record, body))
    return changed


def _updated(session: Session, record: Record, body: dict[str, Any]) -> Record:
    return dataclasses.replace(record, body=body, updated=dates.now_utc().isoformat(), updated_by=session.author)


def void(
    session: Session, case_id: str, attachment_id: str, reason: str, *, today: _dt.date | None = None
) -> Attachment:
    """Mark an attachment void (attached by mistake, to the wrong case, unreadable): it stays in the
    history but is no longer listed as part of the case file or printed."""
    text = clean_text(reason, "--reason", required=True)
    case = cases.read_case(session, case_id)
    found = find(case, attachment_id)
    if found.voided:
        raise CmtkError.of("attachment-already-void", id=found.id, id2=case.id, voided=found.voided.get("date"))
    body = {**found.record.body, VOID: {"date": today or dates.today(), "by": session.author, "reason": text}}
    if found.info.get("profile"):
        body[SECTION] = {**found.info, "profile": False}
    updated = _updated(session, found.record, body)
    session.save(case.id, [updated], "update")
    return Attachment(updated)


def mark_profile(session: Session, case_id: str, attachment_id: str) -> Attachment:
    """Make a photo the child's profile photo (printed in the photo box of the identification form)."""
    case = cases.read_case(session, case_id)
    found = find(case, attachment_id)
    if found.voided:
        raise CmtkError.of("profile-photo-void", id=found.id)
    if found.kind != PHOTO or not found.is_image:
        raise CmtkError.of("profile-not-a-photo", id=found.id, kind=found.kind or "file", photo=PHOTO)
    if found.profile:
        return found
    marked = _updated(session, found.record, {**found.record.body, SECTION: {**found.info, "profile": True}})
    session.save(case.id, [marked, *_unmark_profiles(session, case, except_id=found.id)], "update")
    return Attachment(marked)


# -- checks (doctor) ------------------------------------------------------------------------------


def problems(session: Session, record: Record) -> list[str]:
    """What is wrong with an attachment record and its file (for `cmtk doctor`); never its content."""
    attachment = Attachment(record)
    info = attachment.info
    found = []
    for key, kind in (("kind", str), ("type", str), ("size", int), ("sha256", str), ("file_key", str)):
        if not isinstance(info.get(key), kind):
            found.append(f"its record lacks a valid '{key}'")
    if found:
        return found
    try:
        known = kinds(policy_module.load(session.store.root))
    except CmtkError:
        known = {}
    if known and attachment.kind not in known:
        found.append(f"its kind '{attachment.kind}' is not one of this store's kinds (policy attachments.kinds)")
    try:
        content(session, attachment)
    except CmtkError as error:
        found.append(error.message.split(": ", 1)[-1].removesuffix("; see `cmtk doctor`"))
    return found
