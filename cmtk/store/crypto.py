"""age encryption through pyrage: identities, recipients, records.

Only X25519 keys are used: ssh recipients carry a tag that links a file to a key.
Records are padded before encryption so ciphertext length hides form length.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

import pyrage

from cmtk.errors import DamagedError, DecryptError, IdentityError

SECRET_PREFIX = "AGE-SECRET-KEY-1"
PUBLIC_PREFIX = "age1"
AGE_MAGIC = b"age-encryption.org/v1\n"
ARMOR_BEGIN = b"-----BEGIN AGE ENCRYPTED FILE-----"
PAD_BUCKET = 1024  # every padded size is a multiple of this
MIN_PADDED = 2048

_SECRET_LINE = re.compile(r"^\s*(AGE-SECRET-KEY-1[0-9A-Z]+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class KeyPair:
    """An age X25519 identity held in memory."""

    secret: str
    public: str

    @property
    def identity(self) -> pyrage.x25519.Identity:
        return pyrage.x25519.Identity.from_str(self.secret)

    @property
    def recipient(self) -> pyrage.x25519.Recipient:
        return pyrage.x25519.Recipient.from_str(self.public)


def generate() -> KeyPair:
    identity = pyrage.x25519.Identity.generate()
    return KeyPair(secret=str(identity), public=str(identity.to_public()))


def identity_text(pair: KeyPair, comments: list[str] | None = None) -> str:
    """The same layout `age-keygen` writes, so the `age` CLI reads it with `-i`."""
    created = _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
    lines = [f"# created: {created}", f"# public key: {pair.public}"]
    lines += [f"# {comment}" for comment in comments or []]
    lines.append(pair.secret)
    return "\n".join(lines) + "\n"


def parse_identity_text(text: str, source: str) -> KeyPair:
    """Read the `AGE-SECRET-KEY-1...` line of an identity file (comments allowed)."""
    found = _SECRET_LINE.findall(text)
    if not found:
        raise IdentityError.of("identity-no-secret-key", source=source)
    if len(found) > 1:
        raise IdentityError.of("identity-several-secret-keys", source=source, count=len(found))
    try:
        identity = pyrage.x25519.Identity.from_str(found[0])
    except pyrage.IdentityError:
        raise IdentityError.of("identity-secret-key-damaged", source=source) from None
    return KeyPair(secret=found[0], public=str(identity.to_public()))


def is_encrypted(data: bytes) -> bool:
    """True for age ciphertext, binary or armoured."""
    head = data.lstrip()[: len(ARMOR_BEGIN)]
    return data.startswith(AGE_MAGIC) or head == ARMOR_BEGIN


def is_passphrase_file(data: bytes) -> bool:
    if data.startswith(AGE_MAGIC):
        return b"\n-> scrypt " in data[:400]
    return data.lstrip().startswith(ARMOR_BEGIN)


def wrap_with_passphrase(text: str, passphrase: str) -> bytes:
    """age's own passphrase format (armoured), so `age -d` can open it too."""
    return pyrage.passphrase.encrypt(text.encode("utf-8"), passphrase, armored=True)


def unwrap_with_passphrase(data: bytes, passphrase: str, source: str) -> str:
    try:
        return pyrage.passphrase.decrypt(data, passphrase).decode("utf-8")
    except pyrage.DecryptError:
        raise IdentityError.of("wrong-passphrase", source=source) from None


def parse_recipient(text: str, source: str = "public key") -> pyrage.x25519.Recipient:
    value = text.strip()
    if not value.startswith(PUBLIC_PREFIX):
        raise IdentityError.of("not-an-age-key", source=source, typed=value[:16])
    try:
        return pyrage.x25519.Recipient.from_str(value)
    except pyrage.RecipientError:
        problem = (
            "is too short or too long" if len(value) != 62 else "has a mistyped character (its checksum does not match)"
        )
        raise IdentityError.of("age-key-invalid", source=source, typed=value[:16], problem=problem) from None


def padded_size(length: int) -> int:
    """The size a plaintext of `length` bytes is padded to: 2 KiB, then the next power of two.

    One size for nearly every record whatever its form, so that a file's size does not tell a thief which
    form it is (a case review is about 1.2 KiB, most forms less; security review round 4, L7). Past 2 KiB the
    size says only the order of magnitude (4, 8, 16 KiB...).
    """
    size = MIN_PADDED
    while size < length:
        size *= 2
    return size


def pad(plaintext: bytes) -> bytes:
    """Grow plaintext to `padded_size` with YAML comment lines (ignored on read)."""
    if not plaintext.endswith(b"\n"):
        plaintext += b"\n"
    missing = padded_size(len(plaintext) + 2) - len(plaintext)  # room for at least one padding line
    chunks = []
    while missing > 0:
        width = min(missing, 80)
        if 0 < missing - width < 2:
            width -= 2
        chunks.append(b"#" + b" " * (width - 2) + b"\n")
        missing -= width
    return plaintext + b"".join(chunks)


def encrypt(plaintext: bytes, recipients: list) -> bytes:
    return pyrage.encrypt(plaintext, recipients)


def decrypt(ciphertext: bytes, identities: list, source: str) -> bytes:
    try:
        return pyrage.decrypt(ciphertext, identities)
    except pyrage.DecryptError as error:
        if not is_encrypted(ciphertext):
            raise DecryptError.of("not-an-age-file", source=source) from None
        if "no matching keys" not in str(error).lower():  # the header opened: the content is what is broken
            raise DamagedError.of("age-file-corrupt", source=source) from None
        raise DecryptError.of("decrypt-wrong-key", source=source) from None
