"""Store keys by generation, read from the key files of any commit (for sync and the merge driver)."""

from __future__ import annotations

import re
from collections.abc import Set

from cmtk.errors import CmtkError, DecryptError
from cmtk.store import crypto, records, yamlio
from cmtk.store.session import KEYS_DIR, Session, Store
from cmtk.team import roster

KEY_FILE = re.compile(r"^\.cmtk/keys/(\d+)\.age$")


class KeyRing:
    """Store keys by generation, read from key-file blobs of any commit and checked like Session.key.

    A generation this laptop has not pinned must be authorised by the previous
    one (roster.authorisation), so a copy from a remote cannot slip in a key that
    its writer knows.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.keys: dict[int, crypto.KeyPair] = {}
        self.texts: dict[int, str] = {}
        self.extra: list[tuple[int, crypto.KeyPair]] = []  # keys that open records but leave the kept chain
        self.fresh: int | None = None  # a generation made by the merge in progress (see integrate)

    def load(self, blobs: dict[int, bytes], source: str, allow_repin: Set[int] = frozenset()) -> None:
        for generation in sorted(blobs):
            try:
                text = crypto.decrypt(
                    blobs[generation], [self.session.me.identity], f"{source} key {generation}"
                ).decode("utf-8")
            except DecryptError:
                raise CmtkError.of("incoming-key-not-for-you", source=source, generation=generation) from None
            pair = crypto.parse_identity_text(text, f"{source} key {generation}")
            known = self.keys.get(generation)
            if known is not None and known.public != pair.public:
                raise CmtkError.of("store-key-generation-differs", source=source, generation=generation)
            pinned = self.session.store.trust()["keys"].get(str(generation))
            if pinned is not None and pinned != pair.public and generation not in allow_repin:
                raise CmtkError.of("incoming-key-generation-differs", source=source, generation=generation)
            if (pinned is None or pinned != pair.public) and generation > 1:
                previous = self.keys.get(generation - 1)
                proof = roster.key_file_authorisation(text)
                if previous is None or not proof or proof != roster.authorisation(previous, generation, pair.public):
                    raise CmtkError.of(
                        "incoming-key-not-by-holder",
                        source=source,
                        generation=generation,
                        generation2=generation - 1,
                    )
            self.keys[generation] = pair
            self.texts[generation] = text

    def open(self, data: bytes, source: str) -> tuple[dict, int]:
        """Decrypt a record blob found at path `source`; refuse one that claims another generation or place.

        The same checks as Session.read_record (security review round 2, M3): a removed member who kept
        an old store key must not pass a record off as current, or as another case's.
        """
        candidates = [(g, self.keys[g]) for g in sorted(self.keys, reverse=True)] + list(self.extra)
        shown = repr(source)
        for generation, pair in candidates:
            try:
                plaintext = crypto.decrypt(data, [pair.identity], shown)
            except DecryptError:
                continue
            content = yamlio.loads(records.unpad(plaintext), shown)
            if not isinstance(content, dict) or content.get("cmtk_record") != records.FORMAT:
                raise CmtkError.of("keyring-not-a-record", shown=shown)
            if content.get("key_generation") != generation:
                raise CmtkError.of(
                    "keyring-generation-mismatch",
                    shown=shown,
                    claimed=content.get("key_generation"),
                    generation=generation,
                )
            parts = source.split("/")
            if parts[-1] != f"{content.get('record')}.age" or parts[-2] != content.get("case"):
                raise CmtkError.of("keyring-record-misplaced", shown=shown)
            return content, generation
        raise CmtkError.of("record-no-store-key", shown=shown)

    def seal(self, content: dict, generation: int, source: str) -> bytes:
        record = records.from_envelope({**content, "key_generation": generation}, source)  # still a valid record
        plaintext = records.encode(record)
        key = self.keys[generation]
        padded = crypto.pad(plaintext)
        ciphertext = crypto.encrypt(padded, [key.recipient])
        if crypto.decrypt(ciphertext, [key.identity], source) != padded:
            raise CmtkError.of("keyring-encryption-unverified", source=source)
        return ciphertext


def ls_tree(store: Store, commit: str, *paths: str) -> dict[str, tuple[str, str]]:
    out = store.git.run("ls-tree", "-r", "-z", commit, "--", *paths, strip=False)
    entries = {}
    for item in out.split("\0"):
        if not item:
            continue
        meta, _, path = item.partition("\t")
        mode, _kind, sha = meta.split()
        entries[path] = (mode, sha)
    return entries


def key_blobs(store: Store, commit: str) -> dict[int, bytes]:
    listing = ls_tree(store, commit, KEYS_DIR)
    generations = {int(m.group(1)): sha for path, (_, sha) in listing.items() if (m := KEY_FILE.match(path))}
    blobs = store.git.cat_files(list(generations.values()))
    return {g: b for g, b in zip(generations, blobs, strict=False) if b is not None}
