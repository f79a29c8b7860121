"""What a command's row reference means: a label people see (goal 2, action 2.1, referral 3) or a row's ref.

A label is kept from the day its row was made and never renumbered, so on this laptop it always
names the row it named before. Two laptops working offline can each give a new row the same label;
after they sync, that label names two rows and is refused as ambiguous, with the refs that tell the
rows apart (`cmtk plan show`). A ref (cmtk.store.rows) names one row on every laptop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from cmtk.errors import CmtkError

T = TypeVar("T")

_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


@dataclass(frozen=True)
class Candidate(Generic[T]):
    label: str  # what people see and type: "2", "2.1"
    ref: str  # what never changes: a row's ref, or a record id
    item: T


def normalise_ref(text: str) -> str:
    return str(text).strip().upper().replace("-", "").replace(" ", "").translate(_READ_AS)


def pick(kind: str, owner: str, reference: str, candidates: Sequence[Candidate[T]], hint: str) -> T:
    """The one candidate `reference` names (its ref, a unique start of a record id, or its label), or a
    one-line refusal: not found, or a label that names more than one row. `hint` is where to look
    (e.g. "`cmtk plan show K7Q2MX4P`")."""
    wanted = str(reference).strip()
    as_ref = normalise_ref(wanted)
    by_ref = [c for c in candidates if c.ref.upper() == as_ref]
    if len(by_ref) == 1:
        return by_ref[0].item
    by_label = [c for c in candidates if c.label == wanted]
    if len(by_label) == 1:
        return by_label[0].item
    if len(by_label) > 1:
        refs = ", ".join(c.ref for c in by_label)
        raise CmtkError.of(
            "row-number-ambiguous", kind=kind, wanted=wanted, owner=owner, count=len(by_label), refs=refs, hint=hint
        )
    if len(as_ref) >= 4:  # the start of a record id, as `cmtk case show` prints them
        by_start = [c for c in candidates if len(c.ref) > 6 and c.ref.upper().startswith(as_ref)]
        if len(by_start) == 1:
            return by_start[0].item
    raise CmtkError.of("no-such-row", owner=owner, kind=kind, wanted=wanted, hint=hint)


def next_label(labels: Sequence[str], prefix: str = "") -> str:
    """One more than the highest number among `labels` that start with `prefix` ("2." for goal 2's actions)."""
    numbers = [label[len(prefix) :] for label in labels if label.startswith(prefix)]
    highest = max((int(n) for n in numbers if n.isdigit()), default=0)
    return f"{prefix}{highest + 1}"
