"""The team file (`.cmtk/recipients.txt`) and the store key files (`.cmtk/keys/<gen>.age`).

recipients.txt is an ordinary age recipients file (`age -R` reads it): one
`age1...` key per member, with a comment line before it naming the member and
role. A store key file holds, encrypted to every member, an age identity in
`age-keygen` layout whose comments also list the recipients it was encrypted
to, so `doctor` can prove each key file matches the current team.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cmtk import messages
from cmtk.errors import GitError, IdentityError, RecordError, UsageError
from cmtk.store import crypto, signing

_MEMBER_LINE = re.compile(r"^#\s*member:\s*(?P<name>.*?)\s*(\|\s*role:\s*(?P<role>.*?)\s*)?$")
_NAME_OK = re.compile(r"^[^\x00-\x1f\x7f|#\u200e\u200f\u202a-\u202e\u2066-\u2069]{1,80}$")
HEADER = (
    "# The people who can open this store: one age public key per member.\n"
    "# Change it with `cmtk team add` / `cmtk team remove`, not by hand.\n"
)


@dataclass(frozen=True)
class Member:
    name: str
    role: str
    public: str


@dataclass(frozen=True)
class Team:
    """The members whose keys open the store, as `cmtk team list` shows them."""

    members: list[Member]

    def to_json(self) -> list[dict[str, str]]:
        return [{"name": m.name, "role": m.role, "public_key": m.public} for m in self.members]

    def to_rows(self) -> tuple[list[str], list[list[str]]]:
        return ["name", "role", "public_key"], [[m.name, m.role, m.public] for m in self.members]


def check_name(name: str) -> str:
    cleaned = name.strip()
    if not _NAME_OK.match(cleaned):
        raise UsageError.of("member-name-format")
    return cleaned


def parse_recipients(text: str, source: str = ".cmtk/recipients.txt") -> list[Member]:
    members: list[Member] = []
    pending_name, pending_role = "", ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            match = _MEMBER_LINE.match(line)
            if match:
                pending_name, pending_role = match["name"], match["role"] or ""
            continue
        crypto.parse_recipient(line, f"{source} line {number}")
        name = pending_name or f"member {len(members) + 1}"
        members.append(Member(name=name, role=pending_role, public=line))
        pending_name, pending_role = "", ""
    keys = [m.public for m in members]
    if len(set(keys)) != len(keys):
        raise IdentityError.of("team-key-twice", source=source)
    names = [m.name.casefold() for m in members]
    if len(set(names)) != len(names):
        raise IdentityError.of("team-name-twice", source=source)
    return members


def format_recipients(members: list[Member]) -> str:
    parts = [HEADER]
    for member in members:
        role = f" | role: {member.role}" if member.role else ""
        parts.append(f"# member: {member.name}{role}\n{member.public}\n")
    return "\n".join(parts)


def key_file_text(
    pair: crypto.KeyPair,
    generation: int,
    members: list[Member],
    authorised: str | None = None,
    maker: list[str] | None = None,
) -> str:
    comments = [
        f"cmtk store key, generation {generation}",
        f"recipients: {' '.join(m.public for m in members)}",
    ]
    if authorised:
        comments.append(f"authorised: {authorised}")
    comments += maker or []
    return crypto.identity_text(pair, comments)


def _maker_message(generation: int, public: str, maker: str) -> str:
    return f"cmtk store key {generation} {public} made by {maker}"


def maker_lines(me: crypto.KeyPair, generation: int, public: str, members: list[Member]) -> list[str]:
    """Who made store key generation `generation`, provable to each member with their own identity alone.

    The previous generation's HMAC (`authorisation`) shows the maker held the previous store key, which a
    removed member still does; these lines show which member made it: a removed member cannot pass a
    generation of their own off as a colleague's (security review round 4, M4).
    """
    message = _maker_message(generation, public, me.public)
    proofs = [f"proof: {m.public} {signing.pair_proof(me, m.public, message)}" for m in members]
    return [f"made-by: {me.public}", *proofs]


def key_file_maker_lines(text: str) -> list[str]:
    """A key file's maker lines, carried over unchanged when the file is encrypted to a changed team."""
    return [line[2:] for line in text.splitlines() if line.startswith(("# made-by: ", "# proof: "))]


def key_maker(me: crypto.KeyPair, text: str, generation: int, public: str) -> str | None:
    """The public key of the member who made this generation, when the proof meant for `me` checks out."""
    lines = key_file_maker_lines(text)
    makers = [line.split(": ", 1)[1].strip() for line in lines if line.startswith("made-by: ")]
    mine = [line.split()[2] for line in lines if line.startswith("proof: ") and line.split()[1:2] == [me.public]]
    if len(makers) != 1 or len(mine) != 1:
        return None
    message = _maker_message(generation, public, makers[0])
    return makers[0] if signing.check_pair_proof(me, makers[0], message, mine[0]) else None


def authorisation(previous: crypto.KeyPair, generation: int, public: str) -> str:
    """Proof that generation N was made by someone holding generation N-1's secret.

    Members' public keys are readable in recipients.txt, so anyone who can write
    to a store could add a key file encrypted to the team: without this, the
    team would start encrypting to a key the writer knows (security review H2).
    """
    import hashlib
    import hmac

    message = f"cmtk store key {generation} {public}".encode()
    return hmac.new(previous.secret.encode(), message, hashlib.sha256).hexdigest()


def key_file_authorisation(text: str) -> str | None:
    for line in text.splitlines():
        if line.startswith("# authorised:"):
            return line.split(":", 1)[1].strip()
    return None


def key_file_recipients(text: str) -> list[str]:
    for line in text.splitlines():
        if line.startswith("# recipients:"):
            return line.split(":", 1)[1].split()
    raise RecordError.of("store-key-no-recipients")


def fingerprint(session) -> str:
    """A short code naming a store as it is now: its first store key (which never changes), its newest one
    (which changes at each removal) and the team, every member's name and key. Compared by voice or on paper
    before trusting a copy made from a USB stick or a server: a look-alike store, a stale copy from before a
    removal, or a team file with a key added or swapped shows another code (security review rounds 2-4)."""
    import hashlib

    current = session.store.current_generation
    team = "".join(f"\n{m.name}\t{m.public}" for m in sorted(session.store.members(), key=lambda m: m.public))
    text = f"cmtk store {session.key(1).public} {current} {session.key(current).public}{team}"
    digest = hashlib.sha256(text.encode()).hexdigest()[:16].upper()
    return "-".join(digest[i : i + 4] for i in range(0, 16, 4))


def team_matches_keys(members: list[Member], newest_key_text: str) -> bool:
    """The team file lists exactly the keys the newest store key file was encrypted to. cmtk always writes the
    two together, so a difference means someone changed the team file alone (security review round 4, H3)."""
    return sorted(m.public for m in members) == sorted(key_file_recipients(newest_key_text))


TEAM_TAMPERED = messages.TEAM_TAMPERED  # the wording lives in the message catalogue


def former_names(store) -> dict[str, str]:
    """Names the team file's history gave each public key (to name a removed member; recipients.txt holds no
    personal data beyond the team's names)."""
    try:
        log = store.git.run("log", "--format=", "-p", "--", ".cmtk/recipients.txt")
    except GitError:  # no history yet: no names
        return {}
    names: dict[str, str] = {}
    pending = ""
    for line in log.splitlines():
        text = line[1:].strip() if line[:1] in "+- " else ""
        match = _MEMBER_LINE.match(text)
        if match:
            pending = match["name"]
        elif text.startswith("age1") and pending:
            names.setdefault(text, pending)
            pending = ""
    return names
