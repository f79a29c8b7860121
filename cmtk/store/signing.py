"""Proof of who made something, from the member's own age identity (security review round 4, items 4 and 9).

Two uses, both with the `cryptography` package (X25519, Ed25519, HKDF), never hand-made primitives:

- **A new store key generation names its maker.** Its key file carries, for each member it is encrypted to,
  an HMAC keyed with the X25519 shared secret of the maker and that member: each member checks the line
  meant for them with their own identity. Only the maker could have written it, so a removed member who
  kept the previous store key can make a key (the HMAC chain of `roster.authorisation` allows that) but
  cannot pass it off as a colleague's.
- **A share is signed.** An Ed25519 signing key is derived from the identity (HKDF), so there is no second
  secret to keep; its public half is shown by `cmtk key show` and accepted by receivers once.

The identity stays the only secret a member keeps.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

from cmtk.errors import IdentityError, UsageError
from cmtk.store import crypto

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
SIGNING_PREFIX = "cmtk-sign-"


def _bech32_data(text: str) -> bytes:
    """The 32 key bytes of an age key in bech32 (`age1...`, `AGE-SECRET-KEY-1...`), checked by pyrage before."""
    lowered = text.strip().lower()
    data = lowered[lowered.rindex("1") + 1 : -6]  # after the separator, without the 6-character checksum
    accumulator, bits, out = 0, 0, bytearray()
    for char in data:
        accumulator = (accumulator << 5) | _CHARSET.index(char)
        bits += 5
        if bits >= 8:
            bits -= 8
            out.append((accumulator >> bits) & 0xFF)
    if len(out) != 32:
        raise IdentityError.of("age-key-length")
    return bytes(out)


def _shared_key(me: crypto.KeyPair, other_public: str, purpose: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    mine = X25519PrivateKey.from_private_bytes(_bech32_data(me.secret))
    shared = mine.exchange(X25519PublicKey.from_public_bytes(_bech32_data(other_public)))
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(shared)


def pair_proof(me: crypto.KeyPair, other_public: str, message: str) -> str:
    """What only `me` and the holder of `other_public` can compute about `message` (hex)."""
    key = _shared_key(me, other_public, b"cmtk pair proof v1")
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


def check_pair_proof(me: crypto.KeyPair, maker_public: str, message: str, proof: str) -> bool:
    try:
        expected = pair_proof(me, maker_public, message)
    except (ValueError, IdentityError):
        return False
    return hmac.compare_digest(expected, proof)


def _signing_private(me: crypto.KeyPair):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"cmtk share signing key v1").derive(
        _bech32_data(me.secret)
    )
    return Ed25519PrivateKey.from_private_bytes(seed)


def signing_public(me: crypto.KeyPair) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = _signing_private(me).public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return SIGNING_PREFIX + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def parse_signing_public(text: str, where: str) -> str:
    value = text.strip()
    raw = _decode_signing(value)
    if raw is None:
        raise IdentityError.of("not-a-signing-key", where=where, signing_prefix=SIGNING_PREFIX)
    return value


def _decode_signing(value: str) -> bytes | None:
    if not value.startswith(SIGNING_PREFIX):
        return None
    body = value[len(SIGNING_PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (ValueError, TypeError):
        return None
    return raw if len(raw) == 32 else None


def sign(me: crypto.KeyPair, message: bytes) -> str:
    return base64.urlsafe_b64encode(_signing_private(me).sign(message)).decode("ascii").rstrip("=")


def verify(public: str, message: bytes, signature: str) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    raw = _decode_signing(public)
    if raw is None:
        return False
    try:
        sig = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        Ed25519PublicKey.from_public_bytes(raw).verify(sig, message)
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


# -- the signing keys a laptop accepted (kept in the store's .git/cmtk/, never synced) ----------------------

SENDERS_FILE = "senders.json"


def accepted_senders(store_root: Path) -> dict[str, str]:
    """Signing key -> the name the user gave its owner."""
    try:
        data = json.loads((store_root / ".git" / "cmtk" / SENDERS_FILE).read_text("utf-8"))
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def accept_sender(store_root: Path, name: str, key: str) -> None:
    from cmtk.store.files import write_atomic

    key = parse_signing_public(key, "SIGNING-KEY")
    name = name.strip()
    if not name or len(name) > 80 or any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in name):
        raise UsageError.of("sender-name-format")
    senders = accepted_senders(store_root)
    senders[key] = name
    folder = store_root / ".git" / "cmtk"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_atomic(folder / SENDERS_FILE, json.dumps(senders, indent=1, sort_keys=True).encode("utf-8"))
