"""One case for another agency (`cmtk share`) and taking one in (`cmtk case import`).

A share is one age file encrypted to the receiver's own X25519 public key,
never to the store key: only that person can open it, with cmtk or with the
`age` tool alone. Inside is a self-describing YAML document (format version,
a random share id, when and by whom it was made, the sending organisation,
the source case id) and the chosen records as plain envelopes, padded like
records so the file's size says little about how much it holds. Attached
files go only when asked for (`--attachments`), each with its content.

Importing checks everything before writing anything: the document's shape,
each record's envelope, that this store has each form, and every body
against this store's form definitions, as `cmtk record` does, and every
attached file as `cmtk attach` checks a new one. The case gets
a new id and new record ids, in one commit. Its case file keeps the step and
status, names the importing user as caseworker, gains an `imported` event and
says where it came from (`imported_from`), which is how a second import of
the same file is recognised.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cmtk import dates, messages
from cmtk.casework import attachments as attached_files
from cmtk.casework import cases, file_checks
from cmtk.casework import policy as policy_module
from cmtk.errors import CmtkError, IdentityError, RecordError, UsageError
from cmtk.forms import definitions
from cmtk.index import summary
from cmtk.output.userfiles import check_new, write_new
from cmtk.store import crypto, ids, paths, signing, yamlio
from cmtk.store.records import Record
from cmtk.store.session import Change

if TYPE_CHECKING:
    from cmtk.casework.cases import Case
    from cmtk.store.records import Record
    from cmtk.store.session import Session

FORMAT = 1
MAX_ATTACHMENTS = 20
MAX_ATTACHED_BYTES = 64 * 1024 * 1024  # attached files in one share, together (base64 makes them a third larger)
MAX_BUNDLE_BYTES = 16 * 1024 * 1024 + MAX_ATTACHED_BYTES * 3 // 2
MAX_RECORDS = 5000
CASE_FILE = "case-file"  # cmtk.casework.cases.CASE_FILE (not imported: this module stays light for `cmtk export`)
IMPORTED = "imported"  # the `what` of the case-file event an import adds; reports and export read it
LAST_STEP = 8  # cmtk.casework.workflow.LAST_STEP
STATUSES = ("open", "closed", "transferred")

_DOCUMENT_KEYS = ("cmtk_share", "share", "created", "organisation", "shared_by", "training", "case", "forms", "records")
_DOCUMENT_OPTIONAL = ("attachments",)
_ATTACHMENT_KEYS = ("attachment", "kind", "date", "created", "created_by", "extension", "content")
_ATTACHMENT_OPTIONAL = ("about", "note", "profile")
_RECORD_REQUIRED = ("cmtk_record", "case", "record", "form", "date", "created", "created_by", "body")
_RECORD_OPTIONAL = ("updated", "updated_by")
_CASE_KEYS = ("worker", "status", "opened", "step", "imported_from")
_CASE_FILE_KEYS = ("case", "events")
_EVENT_KEYS = ("date", "from", "to", "by", "what")
_FORM_ID = re.compile(r"^[a-z][a-z0-9-]{0,63}$")
_SHARE_ID = re.compile(rf"^[{ids.ALPHABET}]{{{ids.RECORD_ID_LENGTH}}}$")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class BundleRefused(CmtkError):
    """An import refused; `lines` is what the CLI prints (the first line says nothing was imported)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        super().__init__(lines[0])


# -- files the user asked for: outside the store, never over another file ------------------------


# -- sharing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shared:
    path: Path
    case: str
    recipient: str
    records: int
    forms: tuple[str, ...]  # the forms in the file, the case file left out
    attachments: int = 0


def recipient(text: str):
    """The receiver's X25519 public key; anything else (an ssh key, a secret key, a typo) is refused."""

    value = str(text).strip()
    if value.upper().startswith(crypto.SECRET_PREFIX):
        raise IdentityError.of("share-to-secret-key")
    return crypto.parse_recipient(value, "--to")


def parse_forms(text: str | None) -> list[str] | None:
    """`--forms a,b` as a list of form ids; None when the option was not given."""
    if text is None:
        return None
    wanted = [part.strip().lower() for part in str(text).split(",") if part.strip()]
    if not wanted:
        raise UsageError.of("share-forms-format")
    return list(dict.fromkeys(wanted))


def choose_records(case: Case, wanted: list[str] | None) -> list[Record]:
    """The case file and the records of the chosen forms (all when `wanted` is None)."""
    recorded = sorted({r.form for r in case.forms()})
    if wanted is not None:
        unknown = [w for w in wanted if w != CASE_FILE and w not in recorded]
        if unknown:
            raise CmtkError.of(
                "share-form-not-recorded",
                id=case.id,
                unknown=", ".join(repr(u) for u in unknown),
                recorded=", ".join(recorded) or "none",
            )
    case_files = [r for r in case.records if r.form == CASE_FILE]
    if len(case_files) != 1:
        raise CmtkError.of("case-file-duplicated", id=case.id, count=len(case_files))
    with_conflicts = [r for r in case.records if r.extra.get("conflicts")]
    if with_conflicts:
        raise CmtkError.of("share-case-conflicts", id=case.id)
    chosen = [r for r in case.records if r.form == CASE_FILE or (wanted is None or r.form in wanted)]
    return [r for r in chosen if r.form != cases.ATTACHMENT]  # attached files go only when asked for


def choose_attachments(case: Case, given: str | None) -> list[attached_files.Attachment]:
    """`--attachments ID[,ID...]` (or `all`: every attachment that is not void)."""
    if given is None:
        return []
    known = attached_files.of_case(case)
    if given.strip().lower() == "all":
        chosen = [a for a in known if not a.voided]
    else:
        wanted = [part for part in given.replace(" ", ",").split(",") if part.strip()]
        if not wanted:
            raise UsageError.of("share-attachments-format")
        chosen = [attached_files.find(case, w) for w in dict.fromkeys(wanted)]
        void = [a.id for a in chosen if a.voided]
        if void:
            raise CmtkError.of("share-attachment-void", void=void[0])
    if len(chosen) > MAX_ATTACHMENTS:
        raise CmtkError.of("share-too-many-files", max_attachments=MAX_ATTACHMENTS)
    total = sum(a.size for a in chosen if isinstance(a.size, int))
    if total > MAX_ATTACHED_BYTES:
        raise CmtkError.of(
            "share-too-large",
            megabytes=file_checks.megabytes(total),
            megabytes2=file_checks.megabytes(MAX_ATTACHED_BYTES),
        )
    return chosen


def attachment_entry(session: Session, item: attached_files.Attachment) -> dict[str, Any]:
    """An attached file as the receiver gets it: what it is and its content (its key stays here)."""
    entry: dict[str, Any] = {
        "attachment": item.id,
        "kind": item.kind,
        "date": item.date,
        "created": item.record.created,
        "created_by": item.record.created_by,
        "extension": item.extension,
        "content": attached_files.content(session, item),
    }
    for key, value in (("about", item.about), ("note", item.note or None), ("profile", item.profile or None)):
        if value is not None:
            entry[key] = value
    return entry


def envelope(record: Record) -> dict[str, Any]:
    """A record as the receiver reads it: no store key generation (it means nothing outside this store)."""
    out: dict[str, Any] = {
        "cmtk_record": 1,
        "case": record.case,
        "record": record.record,
        "form": record.form,
        "date": record.date,
        "created": record.created,
        "created_by": record.created_by,
    }
    if record.updated:
        out["updated"], out["updated_by"] = record.updated, record.updated_by
    out["body"] = record.body
    return out


def document(
    session: Session,
    case: Case,
    chosen: list[Record],
    wanted: list[str] | None,
    files: list[attached_files.Attachment] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    found = {
        "cmtk_share": FORMAT,
        "share": ids.new_record_id(),
        "created": dates.now_utc().replace(microsecond=0).isoformat(),
        "organisation": str(session.store.settings.get("organisation") or ""),
        "shared_by": session.author,
        # fictional cases never go into a real store, nor real ones into a training store
        "training": session.store.training,
        "case": case.id,
        "forms": "all" if wanted is None else [w for w in wanted if w != CASE_FILE],
        "records": [envelope(r) for r in chosen],
    }
    if files:
        found["attachments"] = [attachment_entry(session, item) for item in files]
    return found


def default_name(case_id: str, today: _dt.date) -> Path:
    return Path.cwd() / f"share-{case_id}-{today.isoformat()}.age"


def share_case(
    session: Session,
    case_id: str,
    to: str,
    *,
    forms: str | None = None,
    output: str | os.PathLike | None = None,
    today: _dt.date | None = None,
    attachments: str | None = None,
) -> Shared:
    """Write the chosen records (and attached files) of one case to a new file that only the holder of `to` can open."""

    key = recipient(to)
    wanted = parse_forms(forms)
    case = cases.read_case(session, case_id)
    chosen = choose_records(case, wanted)
    files = choose_attachments(case, attachments)
    path = Path(output) if output is not None else default_name(case.id, today or dates.today())
    check_new(path, session.store.root, "--output")  # before any work: a refusal costs nothing
    text = yamlio.dumps(document(session, case, chosen, wanted, files)).encode("utf-8")
    plaintext = crypto.pad(text + signature_line(session.me, str(key), text))
    written = write_new(path, crypto.encrypt(plaintext, [key]), session.store.root, "--output")
    in_file = tuple(dict.fromkeys(r.form for r in chosen if r.form != CASE_FILE))
    return Shared(written, case.id, str(key), len(chosen), in_file, len(files))


# -- who made a share (security review round 4, L9) ------------------------------------------------------
# The YAML document is followed by one comment line, `# cmtk-signature: SIGNING-KEY SIGNATURE`: an Ed25519
# signature over the document and the receiver's key, made with the signing key derived from the sender's
# identity. The receiver checks it against the signing keys they accepted (`cmtk key accept`); a file opened
# with `age` alone reads the line as a YAML comment.

SIGNATURE_MARK = b"# cmtk-signature: "


def _signed_message(receiver: str, text: bytes) -> bytes:
    return b"cmtk share 1\n" + receiver.encode("ascii") + b"\n" + text


def signature_line(me, receiver: str, text: bytes) -> bytes:
    public = signing.signing_public(me)
    return SIGNATURE_MARK + f"{public} {signing.sign(me, _signed_message(receiver, text))}\n".encode("ascii")


@dataclass(frozen=True)
class Sender:
    """What a share proves about who made it: `accepted` names the sender when their key is one this laptop
    accepted; `key` is the signing key when the file is signed at all."""

    key: str | None
    accepted: str | None


def check_signature(session: Session, plaintext: bytes) -> Sender:
    start = plaintext.find(b"\n" + SIGNATURE_MARK)
    if start < 0:
        return Sender(None, None)
    line = plaintext[start + 1 :].split(b"\n", 1)[0][len(SIGNATURE_MARK) :].decode("ascii", errors="replace")
    parts = line.split()
    if len(parts) != 2 or not signing.verify(
        parts[0], _signed_message(session.me.public, plaintext[: start + 1]), parts[1]
    ):
        raise _refuse(messages.error_text("share-signature-invalid"))
    return Sender(parts[0], signing.accepted_senders(session.store.root).get(parts[0]))


# -- importing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Imported:
    case: str
    source_case: str
    organisation: str
    shared: _dt.date
    shared_by: str
    records: int
    step: int
    status: str
    earlier: tuple[str, ...]  # cases imported before from the same source case (a different share of it)
    has_identification: bool
    sender: Sender
    attachments: int = 0
    metadata_removed: int = 0  # attached images whose metadata the check took out


def _refuse(message: str) -> BundleRefused:
    return BundleRefused([message])


def decrypt_bundle(session: Session, path: Path) -> bytes:
    """The bundle's plaintext, opened with the user's own identity (never the store key)."""

    name = str(path)
    if not path.is_file():
        raise _refuse(messages.error_text("share-no-such-file", name=name))
    if path.stat().st_size > MAX_BUNDLE_BYTES:
        raise _refuse(
            messages.error_text("share-file-too-large", name=name, max_bundle_bytes=MAX_BUNDLE_BYTES // (1024 * 1024))
        )
    data = path.read_bytes()
    if not data.strip():
        raise _refuse(messages.error_text("share-file-empty", name=name))
    if not crypto.is_encrypted(data):
        raise _refuse(messages.error_text("share-not-age-file", name=name))
    try:
        return crypto.decrypt(data, [session.me.identity], name)
    except CmtkError:
        raise _refuse(messages.error_text("share-not-for-you", name=name, public=session.me.public[:16])) from None


def _text(value: Any, where: str, *, empty: bool = True, limit: int = 200) -> str:
    if not isinstance(value, str) or (not empty and not value.strip()) or len(value) > limit or _CONTROL.search(value):
        raise _refuse(messages.error_text("share-not-text", where=where))
    return value


def _date(value: Any, where: str, *, optional: bool = True) -> _dt.date | None:
    if value is None and optional:
        return None
    if isinstance(value, _dt.datetime) or not isinstance(value, _dt.date):
        raise _refuse(messages.error_text("share-not-a-date", where=where))
    return value


def _step(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= LAST_STEP:
        raise _refuse(messages.error_text("share-not-a-step", where=where, last_step=LAST_STEP))
    return value


def _keys(data: dict, required: tuple[str, ...], allowed: tuple[str, ...], where: str) -> None:
    missing = [k for k in required if k not in data]
    if missing:
        raise _refuse(messages.error_text("share-lacks-key", where=where, missing=missing[0]))
    unknown = [k for k in data if k not in allowed]
    if unknown:  # their names are not shown: they come from an unknown file
        raise _refuse(
            messages.error_text(
                "share-unknown-entries", where=where, count=len(unknown), plural="y" if len(unknown) == 1 else "ies"
            )
        )


@dataclass(frozen=True)
class Bundle:
    share: str
    created: _dt.datetime
    organisation: str
    shared_by: str
    training: bool
    case: str
    records: list[dict[str, Any]]
    attachments: list[dict[str, Any]] = dataclasses.field(default_factory=list)


def read_document(data: Any, name: str) -> Bundle:
    """The document's shape and every record's envelope, checked strictly (bodies are checked later)."""
    if not isinstance(data, dict) or "cmtk_share" not in data:
        raise _refuse(messages.error_text("share-no-header", name=name))
    version = data["cmtk_share"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise _refuse(messages.error_text("share-format-not-number", name=name))
    if version != FORMAT:
        hint = "; upgrade cmtk to import it" if version > FORMAT else ""
        raise _refuse(messages.error_text("share-format-unsupported", name=name, version=version, hint=hint))
    _keys(data, _DOCUMENT_KEYS, _DOCUMENT_KEYS + _DOCUMENT_OPTIONAL, name)
    share = data["share"]
    if not isinstance(share, str) or not _SHARE_ID.match(share):
        raise _refuse(messages.error_text("share-id-damaged", name=name))
    try:
        created = _dt.datetime.fromisoformat(_text(data["created"], f"{name}: created", empty=False, limit=40))
    except ValueError:
        raise _refuse(messages.error_text("share-created-invalid", name=name)) from None
    organisation = _text(data["organisation"], f"{name}: organisation", empty=False)
    shared_by = _text(data["shared_by"], f"{name}: shared_by")
    if not isinstance(data["training"], bool):
        raise _refuse(messages.error_text("share-training-not-bool", name=name))
    case_id = data["case"]
    if not isinstance(case_id, str) or not ids.is_case_id(case_id):
        raise _refuse(messages.error_text("share-case-not-id", name=name))
    forms_given = data["forms"]
    if forms_given != "all" and not (isinstance(forms_given, list) and all(isinstance(f, str) for f in forms_given)):
        raise _refuse(messages.error_text("share-forms-invalid", name=name))
    found = data["records"]
    if not isinstance(found, list) or not found:
        raise _refuse(messages.error_text("share-records-not-list", name=name))
    if len(found) > MAX_RECORDS:
        raise _refuse(messages.error_text("share-too-many-records", name=name, max_records=MAX_RECORDS))
    checked = [_envelope(item, f"{name}: record {n} of {len(found)}", case_id) for n, item in enumerate(found, start=1)]
    case_files = [r for r in checked if r["form"] == CASE_FILE]
    if len(case_files) != 1:
        raise _refuse(messages.error_text("share-case-file-count", name=name, count=len(case_files)))
    files = data.get("attachments", [])
    if not isinstance(files, list) or len(files) > MAX_ATTACHMENTS:
        raise _refuse(messages.error_text("share-attachments-invalid", name=name, max_attachments=MAX_ATTACHMENTS))
    files = [_attachment(item, f"{name}: attached file {n} of {len(files)}") for n, item in enumerate(files, start=1)]
    return Bundle(share, created, organisation, shared_by, data["training"], case_id, checked, files)


def _attachment(item: Any, where: str) -> dict[str, Any]:
    """An attached file's entry: its shape only (its content is checked like a new attachment later)."""
    if not isinstance(item, dict):
        raise _refuse(messages.error_text("share-not-an-attachment", where=where))
    _keys(item, _ATTACHMENT_KEYS, _ATTACHMENT_KEYS + _ATTACHMENT_OPTIONAL, where)
    if not isinstance(item["attachment"], str) or not ids.is_record_id(item["attachment"]):
        raise _refuse(messages.error_text("share-entry-id-damaged", where=where))
    if not isinstance(item["kind"], str) or not _FORM_ID.match(item["kind"]):
        raise _refuse(messages.error_text("share-kind-damaged", where=where))
    if not isinstance(item["extension"], str) or not re.fullmatch(r"[a-z0-9]{1,8}", item["extension"]):
        raise _refuse(messages.error_text("share-extension-damaged", where=where))
    if not isinstance(item["content"], bytes) or not item["content"]:
        raise _refuse(messages.error_text("share-content-missing", where=where))
    _date(item["date"], f"{where}: date", optional=False)
    _text(item["created"], f"{where}: created", limit=40)
    _text(item["created_by"], f"{where}: created_by")
    if item.get("about") is not None and (not isinstance(item["about"], str) or not ids.is_record_id(item["about"])):
        raise _refuse(messages.error_text("share-about-not-id", where=where))
    if item.get("note") is not None:
        _text(item["note"], f"{where}: note", limit=attached_files.MAX_NOTE)
    if item.get("profile") is not None and not isinstance(item["profile"], bool):
        raise _refuse(messages.error_text("share-profile-not-bool", where=where))
    return item


def _envelope(item: Any, where: str, case_id: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise _refuse(messages.error_text("share-not-a-record", where=where))
    _keys(item, _RECORD_REQUIRED, _RECORD_REQUIRED + _RECORD_OPTIONAL, where)
    if item["cmtk_record"] != 1 or isinstance(item["cmtk_record"], bool):
        raise _refuse(messages.error_text("share-record-format", where=where))
    if item["case"] != case_id:
        raise _refuse(messages.error_text("share-record-other-case", where=where))
    if not isinstance(item["record"], str) or not isinstance(item["form"], str) or not _FORM_ID.match(item["form"]):
        raise _refuse(messages.error_text("share-record-ids-damaged", where=where))
    _date(item["date"], f"{where}: date")
    _text(item["created"], f"{where}: created", limit=40)
    _text(item["created_by"], f"{where}: created_by")
    for key in _RECORD_OPTIONAL:
        if item.get(key) is not None:
            _text(item[key], f"{where}: {key}", limit=200)
    if not isinstance(item["body"], dict):
        raise _refuse(messages.error_text("share-body-not-a-mapping", where=where))
    return item


def _case_file(item: dict[str, Any], where: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The case file's own shape: `case` (step, status, ...) and `events` (moves between steps)."""
    body = item["body"]
    _keys(body, ("case",), _CASE_FILE_KEYS, f"{where} (the case file)")
    info = body["case"]
    if not isinstance(info, dict):
        raise _refuse(messages.error_text("share-case-not-a-mapping", where=where))
    _keys(info, ("status",), _CASE_KEYS, f"{where} (the case file)")
    if info["status"] not in STATUSES:
        raise _refuse(messages.error_text("share-status-unknown", where=where, statuses=", ".join(STATUSES)))
    _step(info.get("step", 1), f"{where} (the case file): step")
    _date(info.get("opened"), f"{where} (the case file): opened")
    events = body.get("events") or []
    if not isinstance(events, list):
        raise _refuse(messages.error_text("share-events-not-list", where=where))
    for n, event in enumerate(events, start=1):
        at = f"{where} (the case file): event {n}"
        if not isinstance(event, dict):
            raise _refuse(messages.error_text("share-not-a-mapping", at=at))
        _keys(event, ("from", "to", "what"), _EVENT_KEYS, at)
        _date(event.get("date"), f"{at}: date")
        _step(event["from"], f"{at}: from")
        _step(event["to"], f"{at}: to")
        _text(event.get("by", ""), f"{at}: by")
        _text(event["what"], f"{at}: what")
    return dict(info), [dict(e) for e in events]


def _check_bodies(session: Session, bundle: Bundle, name: str, today: _dt.date) -> list[dict[str, Any]]:
    """Every form record against this store's definitions, as `cmtk record` checks them; cleaned bodies."""

    known = set(definitions.form_ids(session.store.root))
    loaded: dict[str, Any] = {}
    total = len(bundle.records)
    cleaned: list[dict[str, Any]] = []
    for n, item in enumerate(bundle.records, start=1):
        form_id = item["form"]
        if form_id == CASE_FILE:
            cleaned.append(item)
            continue
        where = f"{name}: record {n} of {total}"
        if form_id not in known:
            raise _refuse(messages.error_text("share-form-unknown", where=where, form_id=form_id))
        if form_id not in loaded:
            loaded[form_id] = definitions.load_form(form_id, session.store.root)
        form = loaded[form_id]
        if form.subject != "case":
            raise _refuse(messages.error_text("share-conference-form", where=where, form_id=form_id))
        try:
            clean = cases.check_body(session, form, item["body"], today)
        except cases.InvalidRecord as error:
            day = item["date"].isoformat() if item["date"] else "no date"
            raise BundleRefused(
                [
                    f"{where} ({form_id} of {day}) does not pass this store's checks; nothing was imported",
                    *[f"  {line}" for line in error.lines],
                ]
            ) from None
        cleaned.append({**item, "body": clean})
    repeated = [
        f for f, form in loaded.items() if not form.repeatable and sum(r["form"] == f for r in bundle.records) > 1
    ]
    if repeated:
        raise _refuse(messages.error_text("share-form-repeated", name=name, repeated=repeated[0]))
    return cleaned


def earlier_imports(session: Session) -> list[tuple[str, dict[str, Any]]]:
    """(case id, imported_from) of every case imported into this store; only those cases are decrypted."""

    index = summary.load_index(session)
    found = []
    for case_id, events in zip(index.ids, index.column("events"), strict=False):
        if any(len(e) > 3 and e[3] == IMPORTED for e in events or []):
            origin = cases.read_case(session, case_id).case_file.get("imported_from")
            if isinstance(origin, dict):
                found.append((case_id, origin))
    return found


def import_bundle(session: Session, path: str | os.PathLike, *, today: _dt.date | None = None) -> Imported:
    """Check a shared case completely, then add it to this store as a new case in one commit."""
    import dataclasses

    today = today or dates.today()
    path = paths.expand(path)
    name = str(path)
    plaintext = decrypt_bundle(session, path)
    try:
        data = yamlio.loads(plaintext, name)
    except RecordError as error:
        reason = error.message.removeprefix(f"{name}: ")
        raise _refuse(messages.error_text("share-unreadable", name=name, reason=reason)) from None
    sender = check_signature(session, plaintext)
    bundle = read_document(data, name)
    if bundle.training and not session.store.training:
        raise _refuse(messages.error_text("share-training-into-real", name=name))
    if session.store.training and not bundle.training:
        raise _refuse(messages.error_text("share-real-into-training", name=name))
    case_file_item = next(r for r in bundle.records if r["form"] == CASE_FILE)
    info, events = _case_file(
        case_file_item, f"{name}: record {bundle.records.index(case_file_item) + 1} of {len(bundle.records)}"
    )

    earlier = []
    for case_id, origin in earlier_imports(session):
        if origin.get("share") == bundle.share:
            raise _refuse(messages.error_text("share-already-imported", name=name, case_id=case_id))
        if origin.get("case") == bundle.case and origin.get("organisation") == bundle.organisation:
            earlier.append(case_id)
    cleaned = _check_bodies(session, bundle, name, today)
    files = _check_attachments(session, bundle, name)

    new_id = session.new_case_id()
    now = dates.now_utc().isoformat()
    step = _step(info.get("step", 1), "step")
    info.update(
        worker=session.author,
        step=step,
        imported_from={
            "case": bundle.case,
            "organisation": bundle.organisation,
            "shared": bundle.created.date(),
            "shared_by": bundle.shared_by,
            "share": bundle.share,
        },
    )
    events.append({"date": today, "from": step, "to": step, "by": session.author, "what": IMPORTED})
    used: set[str] = set()
    renamed: dict[str, str] = {}  # the sender's record ids -> this store's
    new_records: list[Record] = []
    for item in cleaned:
        record_id = ids.new_record_id()
        while record_id in used:
            record_id = ids.new_record_id()
        used.add(record_id)
        record = Record(
            case=new_id,
            record=record_id,
            form=item["form"],
            body=item["body"],
            date=item["date"],
            created=item["created"],
            created_by=item["created_by"],
            updated=item.get("updated"),
            updated_by=item.get("updated_by"),
        )
        if item["form"] == CASE_FILE:
            record = dataclasses.replace(
                record, body={"case": info, "events": events}, updated=now, updated_by=session.author
            )
        new_records.append(record)
        renamed[item["record"]] = record_id
    changes: list[Change] = []
    for entry, checked in files:
        about = renamed.get(entry.get("about") or "")
        record, blob = attached_files.new_attachment(
            session,
            new_id,
            checked,
            entry["kind"],
            date=entry["date"],
            about=about,
            note=entry.get("note"),
            profile=bool(entry.get("profile")),
            taken=used,
            created=(entry["created"], entry["created_by"]),
        )
        used.add(record.record)
        new_records.append(record)
        changes.append(blob)
    with session.store.locked():
        changes += [Change(session.record_path(r), session.seal(r)) for r in new_records]
        session.store.apply(changes, f"create {new_id}", session.author)
    return Imported(
        new_id,
        bundle.case,
        bundle.organisation,
        bundle.created.date(),
        bundle.shared_by,
        len(new_records),
        step,
        str(info["status"]),
        tuple(earlier),
        any(r.form == cases.INTAKE_FORM for r in new_records),
        sender,
        len(files),
        sum(1 for _, checked in files if checked.removed),
    )


def _check_attachments(session: Session, bundle: Bundle, name: str) -> list[tuple[dict[str, Any], file_checks.Checked]]:
    """Every attached file checked as `cmtk attach` checks a new one: kind, size, type, script, metadata."""
    if not bundle.attachments:
        return []
    policy = policy_module.load(session.store.root)
    known = attached_files.kinds(policy)
    limit = attached_files.max_bytes(policy)
    found = []
    for n, entry in enumerate(bundle.attachments, start=1):
        where = f"{name}: attached file {n} of {len(bundle.attachments)}"
        kind = known.get(entry["kind"])
        if kind is None:
            raise _refuse(messages.error_text("share-kind-unknown", where=where, kind=entry["kind"]))
        if len(entry["content"]) > limit:
            raise _refuse(
                messages.error_text("share-attachment-too-large", where=where, megabytes=file_checks.megabytes(limit))
            )
        try:
            checked = file_checks.check(Path(f"{where}.{entry['extension']}"), entry["content"], kind.types, kind.id)
        except CmtkError as error:
            raise _refuse(messages.error_text("share-import-refused", detail=error.message.split("; ", 1)[0])) from None
        found.append((entry, checked))
    return found
