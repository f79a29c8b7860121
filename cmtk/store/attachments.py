"""Attached files (scans, photos) as the store keeps them: padded, encrypted, immutable.

An attachment is two files under one opaque id in the case folder:

    cases/K7/K7Q2MX4P/3F9A0QX2MB.age        its record (form `attachment`): kind, note, type, size,
                                            SHA-256 and the file's own age key, like any record
    cases/K7/K7Q2MX4P/files/3F9A0QX2MB.age  the file itself, padded to a size bucket and encrypted
                                            to that key

The file's key is a fresh age X25519 identity for each attachment, kept only inside the record,
which is encrypted to the store key. A new store key generation therefore re-encrypts the small
record and never the large file: the file is written once and never changed, so it never conflicts
in a sync and never grows the history again. The SHA-256 in the record ties the file to it: a file
swapped or copied from elsewhere is refused when it is opened.

With the `age` tool alone: open the record with the store key, put its `file_key` line into a
file in /dev/shm, open the file with it, and keep the first `size` bytes (docs/store.md).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from cmtk.errors import CmtkError, DecryptError, RecordError
from cmtk.store import crypto, ids
from cmtk.store.session import ATTACHMENTS_DIR

MIN_BUCKET = 64 * 1024
STEPS_PER_DOUBLING = 4  # each bucket about 19% larger than the one below: at most that much padding
ALIGN = 4096


def bucket(size: int) -> int:
    """The padded size of a file of `size` bytes: 64 KiB, then steps of a quarter of a doubling,
    rounded up to 4 KiB. A size says only which of a few dozen buckets a file falls in."""
    step = 0
    while True:
        limit = int(MIN_BUCKET * 2 ** (step / STEPS_PER_DOUBLING))
        limit = -(-limit // ALIGN) * ALIGN
        if size <= limit:
            return limit
        step += 1


def pad(data: bytes) -> bytes:
    """Zero bytes after the content, up to its bucket (JPEG, PNG and PDF readers ignore them)."""
    return data + b"\0" * (bucket(len(data)) - len(data))


def blob_path(case_dir: Path, attachment_id: str) -> Path:
    return case_dir / ATTACHMENTS_DIR / f"{attachment_id}.age"


def normalise_id(text: str) -> str:
    """An attachment id as typed (lower case, spaces and dashes forgiven); refuses anything else."""
    return ids.normalise_record_id(text, "attachment", "see `cmtk attachment list CASE`")


@dataclass(frozen=True)
class Sealed:
    """A file ready to be written: its ciphertext and what its record must hold to open it again."""

    ciphertext: bytes
    file_key: str
    size: int
    sha256: str


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def seal(data: bytes, source: str) -> Sealed:
    """Pad and encrypt to a new key of its own; check that it decrypts back before anything is written."""
    pair = crypto.generate()
    padded = pad(data)
    ciphertext = crypto.encrypt(padded, [pair.recipient])
    if crypto.decrypt(ciphertext, [pair.identity], source) != padded:
        raise CmtkError.of("attachment-encryption-unverified", source=source)
    return Sealed(ciphertext, pair.secret, len(data), sha256(data))


def open_blob(ciphertext: bytes, file_key: str, size: int, digest: str, source: str) -> bytes:
    """The attached file's content: decrypted with its key, cut to its size and checked against its SHA-256."""
    try:
        pair = crypto.parse_identity_text(str(file_key), source)
    except CmtkError:
        raise RecordError.of("attachment-file-key-unusable", source=source) from None
    try:
        plaintext = crypto.decrypt(ciphertext, [pair.identity], source)
    except DecryptError:
        raise RecordError.of("attachment-wrong-key", source=source) from None
    if not isinstance(size, int) or size < 0 or size > len(plaintext) or plaintext[size:].strip(b"\0"):
        raise RecordError.of("attachment-length-mismatch", source=source)
    content = plaintext[:size]
    if sha256(content) != digest:
        raise RecordError.of("attachment-content-mismatch", source=source)
    return content
