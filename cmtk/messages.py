"""Every finding's message in one place: a stable code, a template, and the placeholders it may fill.

A check reports `finding(where, KEY, **params)`; KEY is a finding code (`unexpected-file`), or a code and a
variant (`unexpected-file:misplaced`) when one kind of problem is worded for different places. The finding
carries the code only: JSON output, `doctor`'s summary of validation problems and the tests go by the code,
never by the wording.

Review rule (issue 14, item 5): a template may fill only the placeholders in `SAFE_PLACEHOLDERS`, names that
cannot hold what a case record says (ids, form structure, paths, counts, dates of the store's own
bookkeeping). The one exception is marked `quotes_input`: a validation message that echoes back, to the person
typing, the value they just typed, so they can see which one is wrong. `doctor` never prints those messages
(it prints the code's kind instead), and tests/test_messages.py keeps both rules.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from cmtk.findings import Finding


@dataclass(frozen=True)
class Message:
    template: str
    quotes_input: bool = False  # the message echoes the value the user typed (see the module docstring)
    shows_record: bool = False  # the message shows what a record holds, to a key holder (see RECORD_PLACEHOLDERS)


# Placeholder names a template may use, and why none can hold case data.
SAFE_PLACEHOLDERS: dict[str, str] = {
    "case": "an opaque case id (random, says nothing about the child)",
    "form": "a form id from the form definitions",
    "section": "a section id: from the form definition, or the key the user typed in its place",
    "sections": "the form definition's section ids, comma-separated",
    "columns": "the column names of a table field in the form definition, comma-separated",
    "title": "a section title from the form definition",
    "label": "a field or column label from the form definition",
    "condition": "a `show_if` condition in words: question labels and choice labels from the definition",
    "hint": "'did you mean' text naming ids from the form definition",
    "member": "a team member's name as the (plaintext) team file lists it: staff, never a child or family",
    "path": "a file or folder outside the store, as the user or a settings file named it (a remote's place)",
    "remote": "a remote's name, chosen by the team (`usb`, `office`)",
    "count": "a number of things, or the word 'some'",
    "held": "a number of things this laptop holds",
    "generation": "a store key generation number",
    "current": "a store key generation number",
    "setting": "a git configuration key",
    "detail": "a message built elsewhere under the same rule (a CmtkError's message or another check's "
    "problem); that source is where it is reviewed",
    "opened": "the date a case was opened (its intake): the case's bookkeeping, not about the child",
    "low": "a number from the store's policy",
    "high": "a number from the store's policy",
    "others": "a number of things",
    "due": "a date cmtk worked out from the store's policy (a deadline)",
    "status": "a status word cmtk writes (`open`, `closed`)",
    "recorded": "the date a record was made (the store's bookkeeping)",
}

# Placeholders that carry what the user just typed. Only `quotes_input` messages may fill them: they go back to
# the person typing, so they can see which value is refused, and never into `doctor`'s output.
TYPED_PLACEHOLDERS: dict[str, str] = {
    "typed": "the value the person just typed or gave in a file, echoed back so they can see which one is wrong",
}

# Placeholders that carry what a record holds. Only `shows_record` messages may fill them: they are printed on
# screen for the person who unlocked the store and asked for that record (`conference show`, `smart check`),
# exactly as the record itself would be; they never reach an error line, a log, a file name or `doctor`.
RECORD_PLACEHOLDERS: dict[str, str] = {
    "participants": "a conference's participants as recorded: staff by name; a child or family member by the case "
    "they come for, never by name (cmtk lists them so), though a store may hold older entries",
    "venue": "where a conference is held, as recorded",
}


TEAM_TAMPERED = (
    "the team list (.cmtk/recipients.txt) differs from the people the newest store key was encrypted to; "
    "cmtk always changes the two together, so the list was edited by hand or tampered with"
)


_NEW_FOLDER = (
    " (or start a new shared folder: `cmtk remote remove {remote}`, `cmtk remote add {remote} NEW-FOLDER`, "
    "`cmtk sync {remote}`)"
)

CATALOGUE: dict[str, Message] = {
    # -- validation of a record body against its form (cmtk/forms/validate.py) --------------------------
    "shape:body": Message("expects a mapping of section ids to their fields (see `cmtk form show {form}`)"),
    "shape:section": Message("expects a mapping of field names to values"),
    "shape:table": Message("a table expects a list of rows, each a mapping of column names to values"),
    "shape:row": Message("each row must be a mapping of column names to values"),
    "unknown-section": Message("no such section in {form}{hint}; sections: {sections}"),
    "missing-section": Message("this section ({title}) must be filled in"),
    "unknown-field": Message("no such field in section {section}{hint}"),
    "unknown-field:column": Message("no such column{hint}; columns: {columns}"),
    "note": Message("is printed text only and takes no answer; remove it"),
    "value": Message("{detail}", quotes_input=True),
    "value:row-ref": Message("is the row's reference, made by cmtk; leave it as it was"),
    "skipped": Message(
        "is answered, but it is asked only when {condition}; remove this answer or correct the one it depends on"
    ),
    "skipped:column": Message("is answered, but it is asked only when {condition}"),
    "required": Message("is required ({label}); fill it in"),
    "required:other": Message("say what 'other' is"),
    "required:column": Message("is required in every row ({label})"),
    # -- cmtk doctor (cmtk/store/doctor.py) ---------------------------------------------------------------
    "interrupted-team-change": Message(
        "removing {member} from the team was interrupted; `cmtk doctor --repair` finishes it"
    ),
    "interrupted-sync": Message(
        "a sync was interrupted while updating the files; `cmtk sync` or `cmtk doctor --repair` finishes it"
    ),
    "git-merge": Message(
        "a `git merge` or `git pull` run by hand stopped half-way (git cannot merge encrypted records); "
        "`cmtk sync` (or `cmtk doctor --repair`) finishes it with cmtk's own merge, and nothing is lost"
    ),
    "interrupted-write": Message(
        "a change was interrupted while its files were put in place; `cmtk doctor --repair` (or the next "
        "change) finishes it"
    ),
    "leftover-temp": Message("temporary file left by an interrupted write; `cmtk doctor --repair` removes it"),
    "unexpected-file": Message("not a cmtk file and may be plaintext: move it out of the store and delete it"),
    "unexpected-file:misplaced": Message("not where cmtk keeps attached files: move it out of the store and delete it"),
    "empty-folder": Message(
        "an empty case folder (a `case new` that was interrupted); `cmtk doctor --repair` removes it"
    ),
    "team": Message("{detail}"),
    "no-key": Message("no store key file; the store cannot be read"),
    "key-unreadable": Message("{detail}"),
    # Never advise a team change here: it would encrypt the store key to whoever was slipped into the team
    # file (security review round 4, H3).
    "key-team": Message(
        TEAM_TAMPERED + ": do not change the team or accept the list; ask your case manager "
        "(`git log -p .cmtk/recipients.txt` shows who changed it)"
    ),
    "key-team:stanzas": Message(
        "has more or fewer recipient stanzas than its list of recipients: it may have been "
        "tampered with; ask your case manager"
    ),
    "plaintext": Message("not age ciphertext: this file may expose data; restore it from git or delete it"),
    "record": Message("{detail}"),
    "old-key": Message("encrypted to store key generation {generation}, not the current {current}"),
    "attachment": Message("{detail}"),
    "attachment:orphan": Message(
        "an attached file without its record: it cannot be opened; restore it from git or delete it"
    ),
    "clock": Message("{case}: {detail}"),
    "invalid": Message("{case}: {detail}; correct it with `cmtk case edit {case} {form}`"),
    "index": Message("the summary of case {case} differs from its records; run `cmtk index rebuild`"),
    "cachetextconv": Message("{setting} stores decrypted text inside .git; run `git config --unset {setting}`"),
    "rerere": Message("rerere keeps conflict text in .git/rr-cache; run `git config rerere.enabled false`"),
    "textconv-cache": Message("cached decrypted diffs exist; delete them with `git update-ref -d`"),
    "rerere-cache": Message("recorded merge conflicts may hold plaintext; delete the folder"),
    "fsck:status": Message("git cannot read the working tree state: {detail}"),
    "fsck": Message("git fsck reports damage: {detail}"),
    "uncommitted": Message("changed but not committed (an interrupted command?); `cmtk doctor --repair` commits it"),
    # -- a remote's health (cmtk/team/transport.py, `cmtk doctor --remote`) ---------------------------------
    "remote-missing": Message("{path}: no bundle file; is the USB stick plugged in?"),
    "remote-missing:folder": Message("{path}: no such folder; is the shared drive connected?"),
    "remote-key": Message("{path}: the bundle does not open with your key"),
    "remote-unchecked": Message("a server over ssh is checked on the server: run `git fsck` there"),
    "remote-damaged": Message(
        "{path}: the bundle is damaged; `cmtk sync {remote} --new-bundle` replaces it with this laptop's copy"
    ),
    "remote-damaged:folder-here": Message(
        "{path}: git finds {count} damaged or missing object(s) there, so other laptops cannot fetch; "
        "`cmtk doctor --remote {remote} --repair` puts back the {held} this laptop holds" + _NEW_FOLDER
    ),
    "remote-damaged:folder-elsewhere": Message(
        "{path}: git finds {count} damaged or missing object(s) there, so other laptops cannot fetch; "
        "this laptop does not hold them: run the repair on the laptop that sent them last" + _NEW_FOLDER
    ),
    # -- what a valid record still cannot say about its case (cmtk/casework/cases.py) ---------------------
    # The child's date of birth is not printed (issue 14, item 5): the field and the rule say enough.
    "before-birth": Message("this date is before the child's date of birth; check the year"),
    "before-opening": Message("{typed} is before case {case} was opened ({opened}); check the year", quotes_input=True),
    "na-not-allowed": Message(
        "N/A is not allowed for {label}: it applies to this child, and the form gives no case where it does not; "
        "answer yes or no"
    ),
    # -- a conference's checklist, form 3 (cmtk/casework/conference.py): the item, then how it stands ----
    "check-cases": Message("Cases nominated"),
    "check-cases:count": Message("{count} case(s)"),
    "check-venue": Message("Venue booked"),
    "check-venue:booked": Message("{venue}", shows_record=True),
    "check-venue:none": Message("no venue recorded"),
    "check-participants": Message("Participants: {low} to {high}"),
    "check-participants:count": Message("{count} participant(s)"),
    "check-participants:with-family": Message("{count} participant(s), and {others} child or family participant(s)"),
    "check-invitations": Message("Invitations sent by {due}"),
    "check-invitations:on-time": Message("all on time"),
    "check-invitations:late": Message("not yet or late: {participants}", shows_record=True),
    "check-confirmations": Message("Confirmations by {due}"),
    "check-confirmations:all": Message("all confirmed"),
    "check-confirmations:missing": Message("missing: {participants}", shows_record=True),
    "check-agreements": Message("Confidentiality agreements"),
    "check-agreements:all": Message("every participant"),
    "check-agreements:missing": Message("missing: {participants}", shows_record=True),
    "check-report": Message("Report within 24 hours (by {due})"),
    "check-report:recorded": Message("recorded {recorded}"),
    "check-report:overdue": Message("overdue"),
    "check-report:not-yet": Message("not yet"),
    "check-closed": Message("Action points followed up (conference closed)"),
    "check-closed:status": Message("{status}"),
}


# What `doctor` prints for a validation finding instead of its message (which may quote the stored value):
# the kind of problem, by code.
KINDS: dict[str, str] = {
    "required": "is required but empty",
    "value": "holds a value the form does not accept",
    "shape": "has the wrong shape (a list or mapping expected)",
    "unknown-field": "is not a field of this form",
    "unknown-section": "is not a section of this form",
    "missing-section": "section is missing",
    "note": "is a note and cannot hold a value",
    "before-opening": "is before the case was opened",
}


def kind(code: str) -> str:
    """The kind of a validation finding's problem, in words that quote nothing."""
    return KINDS.get(code, "not valid")


def code_of(key: str) -> str:
    """The finding code a catalogue key reports (`unexpected-file:misplaced` -> `unexpected-file`)."""
    return key.split(":", 1)[0]


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def placeholders_of(key: str) -> set[str]:
    """The parameters catalogue entry KEY takes."""
    return placeholders(CATALOGUE[key].template)


def text(key: str, /, **params: Any) -> str:
    """The message of catalogue entry KEY, filled in; a missing or unexpected parameter is a bug (KeyError)."""
    template = CATALOGUE[key].template
    wanted = placeholders(template)
    if set(params) != wanted:
        raise KeyError(f"{key}: takes {sorted(wanted)}, given {sorted(params)}")
    return template.format(**params)


def finding(where: str, key: str, /, **params: Any) -> Finding:
    """A finding at WHERE (a file, or `form: section.field`) with the message of catalogue entry KEY."""
    return Finding(where, code_of(key), text(key, **params))
