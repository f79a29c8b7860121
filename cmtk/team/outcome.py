"""What a sync did, and the questions it may put to the user (callbacks the CLI supplies)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cmtk.team import roster

Say = Callable[[str], None]


@dataclass
class Outcome:
    remote: str
    received: int = 0
    sent: int = 0
    merged_records: int = 0
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (record path, field)
    reencrypted: int = 0
    team_added: list[str] = field(default_factory=list)
    team_removed: list[str] = field(default_factory=list)
    finished_interrupted: bool = False
    finished_git_merge: bool = False  # a `git merge` or `git pull` left half-done, merged again by cmtk
    redone_merges: int = 0  # merge commits made with git by hand, merged again by cmtk
    new_generation: int | None = None  # made by a merge of two offline team removals
    team_confirmed: bool = False
    kept_keys: dict[int, str] = field(default_factory=dict)
    waiting: dict[str, int] = field(
        default_factory=dict
    )  # record path -> listed conflicts, for records this sync brought

    @property
    def open_conflicts(self) -> int:
        """Fields in the records this sync brought or merged that wait for `cmtk resolve` (counted from
        those records alone: the summary index of a fresh copy would take minutes to build)."""
        return sum(self.waiting.values())


ConfirmTeam = Callable[[list[roster.Member]], bool]

ConfirmSettings = Callable[[list[str], str], bool]  # (changed settings, policy or form files, their diff)


@dataclass(frozen=True)
class Confirmations:
    """The questions a merge may ask the person syncing; without an answer, what needs one is refused."""

    team: ConfirmTeam | None = None
    settings: ConfirmSettings | None = None


NO_QUESTIONS = Confirmations()
