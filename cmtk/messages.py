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
    "state": "a conference's status word as cmtk writes it (`open`, `closed`)",
    "recorded": "the date a record was made (the store's bookkeeping), or form ids recorded on a case",
    "allowed": "step numbers from the workflow",
    "article": "the article 'a' or 'an'",
    "at": "a place in a file cmtk reads",
    "attachment_id": "an opaque attachment id",
    "both": "a number of things",
    "branch": "the name of cmtk's git branch",
    "case_id": "an opaque case id",
    "case_id_length": "a length cmtk fixes",
    "cause": "a phrase cmtk writes saying why (`CMTK_TODAY is set`, `--as-of`)",
    "changed": "paths inside the store: random ids and cmtk's own file names",
    "checklist_form": "a form id cmtk fixes",
    "command": "the editor program named in EDITOR or VISUAL",
    "conference_id": "an opaque conference id",
    "coord": "spreadsheet cell coordinates (B4:C5)",
    "coordinate": "a spreadsheet cell coordinate (B4)",
    "count2": "a number of things",
    "dated": "the date a write would carry, from the clock or --as-of",
    "default_identity_path": "where cmtk keeps an identity by default",
    "domains": "the wellbeing domains' ids",
    "duration": "a duration from the store's policy file (rules, not case data), shown with repr",
    "duration_units": "the duration units cmtk reads",
    "encryption_check": "a sentence cmtk writes",
    "expected": "what a field expects, in cmtk's words (from the form definition)",
    "field": "a field's name, an option's name or a place in a form",
    "file": "a form definition file",
    "filename": "a template file's name",
    "folder": "a folder outside the store, as the user named it",
    "formats": "the output formats cmtk offers",
    "found": "a store's fingerprint (a hash of its first key)",
    "gate": "a gate id from the workflow file",
    "generation2": "a store key generation number",
    "hand": "a git commit id",
    "here": "a folder outside the store (where the command ran)",
    "hits": "`section.field` places in a form (never the name found there)",
    "holder": "a team member's name as the (plaintext) team file lists it",
    "home": "a folder outside the store",
    "id": "an opaque case, conference, attachment or record id, or a form id",
    "id2": "an opaque case or conference id",
    "identity_file": "the identity file's path (outside the store)",
    "key": "a key of a mapping cmtk reads (a question, an envelope or policy key)",
    "key_generation": "a store key generation number",
    "keys_dir": "a folder name cmtk fixes",
    "kind_id": "an attachment kind's id from the store's policy",
    "kinds": "the kinds cmtk offers",
    "known": "ids, kinds or team members' names cmtk offers in place of a wrong one",
    "lang_choices": "the languages cmtk offers",
    "languages": "the languages cmtk offers",
    "last_step": "a step number",
    "limit": "a size or number from cmtk or the store's policy",
    "line": "a line number",
    "lineno": "a line number",
    "max": "a number from the form definition",
    "max_attachments": "a limit cmtk fixes",
    "max_bundle_bytes": "a limit cmtk fixes",
    "max_bytes": "a limit cmtk fixes",
    "max_depth": "a limit cmtk fixes",
    "max_note": "a limit cmtk fixes",
    "max_pixels": "a limit cmtk fixes",
    "max_records": "a limit cmtk fixes",
    "max_rows": "a limit cmtk fixes",
    "megabytes": "a size",
    "megabytes2": "a size",
    "min": "a number from the form definition",
    "modes": "the modes cmtk offers",
    "more": "', and N more'",
    "name2": "the names of the store's remotes (chosen by the team)",
    "named": "a plan's phase (pre or post)",
    "needed": "field names from the form definition",
    "newest": "a store key generation number",
    "number": "a number",
    "oldest_allowed": "a store key generation number",
    "opened_here": "an opaque case id",
    "opened_with": "a store key generation number",
    "option": "an option's name (`--from`)",
    "options": "the choices of a field, from the form definition",
    "ord": "a character's code point",
    "output": "a file outside the store, as the user named it",
    "own": "a path inside the store (random ids)",
    "parent": "a folder outside the store, as the user named it",
    "participant_kinds": "the participant kinds cmtk offers",
    "passphrase_env": "an environment variable's name",
    "phase": "a plan's phase (pre or post)",
    "photo": "an attachment kind's id cmtk fixes",
    "plural": "a plural ending",
    "printable": "what cmtk can print",
    "problem": "a problem in cmtk's words, found by a check",
    "problems": "problems in cmtk's words, found by checks",
    "public": "a public key (public by design)",
    "public2": "a public key (public by design)",
    "questions": "question keys from the form definition",
    "real_today": "the computer's date",
    "recipients": "a file name cmtk fixes",
    "record": "an opaque record id",
    "record_id": "an opaque record id",
    "record_id_length": "a length cmtk fixes",
    "reference_of": "a row's reference (a number and a random ref)",
    "reference_of2": "a row's reference (a number and a random ref)",
    "refs": "rows' random refs",
    "relative": "a path inside the store (random ids and cmtk's own file names)",
    "repeated": "a form id",
    "replayed": "a path inside the store (random ids)",
    "root": "the store's folder",
    "rule": "a rule name from the workflow file",
    "settings": "a file name cmtk fixes",
    "shown2": "a file type's name",
    "signing_prefix": "a prefix cmtk fixes",
    "source": "a file: outside the store as the user named it, or inside it (random ids, cmtk's file names)",
    "stage": "a demo stage's name",
    "statuses": "the statuses cmtk knows",
    "step": "a step number",
    "step_of": "a step number",
    "steps": "step numbers",
    "strerror": "the operating system's reason (about a file, never its content)",
    "suffix": "a file name's ending",
    "suggest": "'did you mean' text naming ids cmtk knows",
    "team_tampered": "a sentence cmtk writes",
    "templates_dir": "cmtk's templates folder",
    "to_step": "a step number",
    "today": "today's date",
    "type_name": "a Python type's name",
    "types": "the file types cmtk accepts",
    "url": "a remote's address, as the team set it",
    "version": "a share format number",
    "void": "an opaque attachment id",
    "voided": "the date a record was voided (bookkeeping)",
    "where": "a place in a file cmtk reads: a settings key path, a share's entry, a line and column",
    "words": "command words, or a rule's words from the workflow file (`placed 3 months`)",
    "dotted": "a key path in the store's policy file (`conferences.over_max`)",
    "owner": "'case ID' or 'conference ID' (opaque ids)",
    "conference_kind": "a conference's kind id (internal, external, aac), checked when the conference was made",
    "max_cases": "a limit from the store's policy",
    "subcommand": "the git subcommand cmtk ran",
    "said": "the last line git printed about its failure (git's words about the store's own files)",
    "system": "what to install on this operating system, in cmtk's words",
    "goal": "what was asked, in cmtk's words: a step number, or a closure route's label from the workflow",
    "date": "the date a record was made or is dated (the store's bookkeeping)",
    "since": "cmtk's words for since when records count (`since the case went back to step 3 on DATE`)",
    "since_text": "the same words with a leading space, or nothing",
    "possible": "a date cmtk worked out from a record's date and the policy",
    "review_date": "a case review's date",
    "closure_day": "the closure date being checked",
    "describe_duration": "a duration from the store's policy, in words",
    "need": "a number from the workflow file",
    "extra": "cmtk's words: how many records name no household",
    "decision_form": "a form id from the workflow file",
    "who": "the staff member an approval names (staff, never a child or family)",
    "kept": "cmtk's words from the catalogue (`N visit(s) with the child seen since DATE`)",
    "due_dates": "dates cmtk worked out from the visit schedule",
    "verdict": "cmtk's words on a review's score",
    "earliest": "a date cmtk worked out",
    "empty": "field labels from the form definition",
    "start": "the date from which cmtk counts visits",
    "record_kind": "a form id, or cmtk's word for a kind of record (`case review`)",
    "how_many": "' (N recorded)', or nothing",
    "verb_example": "example verbs cmtk writes",
    "who_example": "example people cmtk writes",
    "thing": "'deadline' or 'date'",
    "example": "an example date cmtk writes",
    "date_form": "'day-month-year' or 'month/day/year'",
    "bench": "a benchmark number",
    "last_bench": "the last benchmark's number",
    "example_output": "an example output cmtk writes",
    "example_date": "an example date cmtk writes",
    "suggestion": "domain ids cmtk suggests, in its words",
}

# Placeholders that carry what the user just typed. Only `quotes_input` messages may fill them: they go back to
# the person typing, so they can see which value is refused, and never into `doctor`'s output.
TYPED_PLACEHOLDERS: dict[str, str] = {
    "form_id": "a form id: from the form definitions, or as the user typed it (`no form 'x'`)",
    "typed": "the value the person just typed or gave in a file, echoed back so they can see which one is wrong",
    "choice": "an option's value as typed",
    "day": "a date or a day number, as typed or as the history holds it",
    "domain": "an option's value as typed",
    "expect": "a fingerprint as typed after --expect",
    "first": "a date as typed after --from",
    "given": "an option's value as typed",
    "heading": "a column heading of the user's spreadsheet",
    "kind": "a kind (of attachment, conference, participant, row), as typed or as the definitions name it",
    "lang": "an option's value as typed",
    "last": "a date as typed after --to",
    "mode": "an option's value as typed",
    "month": "part of a date as typed",
    "name": "a name the user gave: a file, a team member, a remote, a participant, a form",
    "output_format": "an option's value as typed",
    "parsed": "a date as typed",
    "raw": "a date as typed",
    "shown": "what the user gave: a file's name, an id or a date as typed",
    "status": "a case status: cmtk's word, or as typed after --status",
    "subject": "a case or conference id as typed",
    "take": "an option's value as typed",
    "target": "a folder or a field as the user gave it",
    "text": "what the user typed",
    "twice": "a column heading of the user's spreadsheet",
    "unknown": "keys or form ids as the user gave them",
    "unmapped": "a column heading of the user's spreadsheet",
    "unsure": "a column heading of the user's spreadsheet",
    "wanted": "an id or a row number as typed",
    "what": "what the user named, or a thing cmtk names",
    "when": "a date as typed",
    "word": "a word as typed, or from the store's SMART word lists",
    "year": "part of a date as typed",
}

# Placeholders that carry what a record holds. Only `shows_record` messages may fill them: they are printed on
# screen for the person who unlocked the store and asked for that record (`conference show`, `smart check`),
# exactly as the record itself would be; they never reach an error line, a log, a file name or `doctor`.
RECORD_PLACEHOLDERS: dict[str, str] = {
    "participants": "a conference's participants as recorded: staff by name; a child or family member by the case "
    "they come for, never by name (cmtk lists them so), though a store may hold older entries",
    "venue": "where a conference is held, as recorded",
    "action": "an action's id in a case plan, as the plan records it",
    "claimed": "what a damaged record envelope says its key generation is (shown with repr)",
    "cmtk_record": "what a record envelope holds as its format version (shown with repr)",
    "missing": "what is missing: participants' names, field names or keys, as recorded",
    "names": "names as recorded: conference participants, team members, remotes, fields, file types",
    "reason": "a reason: a closure route from the closure record, or git's or a parser's reason",
    "households": "household names as the household assessments record them (family names, places)",
    "named_household": "the household a conference decision names, as recorded",
    "assessed_households": "the households assessed, as recorded",
    "years": "the child's age in years, from the recorded date of birth",
    "adult_on": "the date the child comes of age, from the recorded date of birth",
    "lacking": "what a record lacks: households or field answers, as recorded",
    "smart_problem": "a SMART finding, which may quote the plan's words",
    "record_date": "a date a record holds (a placement or start date)",
    "on_day": "a date from the case's history or its closure",
    "open_items": "closure checklist items not yet done, as recorded",
    "unnamed": "a word from the plan naming a relative without a name (`uncle`)",
    "who_vague": "a word from the plan saying who, too vaguely (`family`)",
    "vague_verb": "a verb from the plan too vague to check (`support`)",
    "plan_word": "a word from the plan's output",
    "monday": "a week's Monday, from the plan's deadlines",
    "ids": "action ids from the plan",
    "goal_ids": "goal ids from the plan",
    "deadline": "a deadline from the plan",
    "planned_closure": "the case's planned closure date",
    "past": "a date from the text being checked",
    "smart_problems": "SMART problems in cmtk's words, which may quote the plan's words",
    "smart_fixes": "SMART fixes in cmtk's words, which may quote the plan's words",
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
    "check-closed:status": Message("{state}"),
    # -- a workflow gate's finding, shown by `steps`, `step`, `advance` (cmtk/casework/workflow.py) ----------
    "gate-approved": Message("approved ({who})"),
    "gate-before": Message("{words} {since}: not before {possible}"),
    "gate-no-birth-date": Message("no date of birth or estimated age recorded"),
    "gate-decision-empty": Message("the decision is not filled in"),
    "gate-every-item-done": Message("every item done"),
    "gate-not-filled": Message("not filled in: {empty}"),
    "gate-form-of": Message("{form} of {date}"),
    "gate-form-of:count": Message("{form} of {date}{how_many}"),
    "gate-plan-smart": Message("{count} goal(s), {count2} action(s), all specific, measurable, relevant and dated"),
    "gate-households-single": Message("{count} household(s) assessed: no conference choice needed"),
    "gate-households-each-assessed": Message("{count} household(s), each with its {form}"),
    "gate-households-chosen": Message("{count} households assessed; a conference chose: {decision_form} of {date}"),
    "gate-households-named-not-assessed": Message(
        "{count} households assessed; the conference of {date} names {named_household}, not one of those assessed "
        "({assessed_households})",
        shows_record=True,
    ),
    "gate-households-no-recommendation": Message("{count} households assessed; no conference recommendation recorded"),
    "gate-households-recommended": Message(
        "{count} households assessed; the conference of {date} recommended {households}", shows_record=True
    ),
    "gate-review-no-date": Message("the latest case review has no date"),
    "gate-review-undated": Message("the latest case review has no review date"),
    "gate-conditions-missing": Message("missing: {missing}", shows_record=True),
    "gate-needed": Message("{count} of the {need} needed"),
    "gate-no-start-date": Message("no start date recorded"),
    "gate-households-not-assessed": Message("none for {lacking}{extra}", shows_record=True),
    "gate-none-since": Message("no {record_kind} recorded {since}"),
    "gate-none-since:earlier": Message("no {record_kind} recorded {since} ({count} earlier record(s) no longer count)"),
    "gate-not-needed": Message("not needed: the {form} does not call for it"),
    "gate-not-recorded": Message("not recorded"),
    "gate-on": Message("on {record_date}", shows_record=True),
    "gate-no-placement": Message("no placement recorded{since_text}"),
    "gate-plan-goals": Message("the plan has no goals"),
    "gate-reached": Message("{words} {since} (reached {possible})"),
    "gate-recorded": Message("no {record_kind} recorded"),
    "gate-date-after-today": Message("recorded as {record_date}, which is after today", shows_record=True),
    "gate-refused": Message("REFUSED ({who})"),
    "gate-review": Message("review of {review_date}: {verdict}"),
    "gate-review-next-due": Message("review of {review_date}; the next is due {due}"),
    "gate-review-overdue": Message("review of {review_date}; the next was due {due}"),
    "gate-review-passes-closure-waits": Message(
        "review of {review_date} passes, but closure must wait until {earliest} ({describe_duration} after it)"
    ),
    "gate-review-passes-closure-later": Message(
        "review of {review_date} passes; closure on {closure_day} is at least {describe_duration} later"
    ),
    "gate-revised": Message("the {record_kind} was not revised {since}"),
    "gate-says": Message("the {form} of {date} says {lacking}", shows_record=True),
    "gate-visits-missed": Message(
        "{kept}; {count} scheduled visit(s) missed (at most {allowed} allowed): due {due_dates}"
    ),
    "gate-set": Message("not set"),
    "gate-set:to": Message("set to {record_date}", shows_record=True),
    "gate-set-before": Message("set to {record_date}, before {label} on {on_day}", shows_record=True),
    "gate-plan-not-smart": Message("{count} SMART problem(s), first: {smart_problem}", shows_record=True),
    "gate-visits-seen": Message("{count} visit(s) with the child seen since {start}"),
    "gate-visits:none-missed": Message("{kept}, none missed"),
    "gate-visits:some-missed": Message("{kept}; {count} missed (due {due}), {allowed} allowed"),
    "gate-of-age": Message("{years} years old on {adult_on}", shows_record=True),
    "gate-not-of-age": Message("{years} years old on {adult_on}; {on_day} is earlier", shows_record=True),
    "gate-not-yet": Message("not yet: {open_items}", shows_record=True),
    # -- SMART checks of a case plan or a goal sentence (cmtk/smart/checker.py) ------------------------------
    "smart-action-no-goal": Message("this action has no goal number; write which goal it works towards"),
    "smart-action-goal-unknown": Message(
        "this action's goal number is not in the plan; link it to one of the plan's goals ({goal_ids})",
        shows_record=True,
    ),
    "smart-fix-name": Message('add the name, e.g. "the {unnamed}, Joseph Kamau"', shows_record=True),
    "smart-date-vague": Message(
        "'{shown}' is not a calendar date; write the date it is due, like {example} ({date_form})", quotes_input=True
    ),
    "smart-who-ambiguous": Message("'{unnamed}' could be more than one person", shows_record=True),
    "smart-text-date-passed": Message(
        "this date has already passed ({past}); choose a date after {today} that the family agrees is realistic",
        shows_record=True,
    ),
    "smart-deadline-after-closure": Message(
        "the deadline {deadline} is after the planned closure on {planned_closure}; bring it forward or "
        "agree a later closure date",
        shows_record=True,
    ),
    "smart-deadline-passed": Message(
        "the deadline {deadline} has already passed and the action is not done; record it as done with the "
        "date, or agree a new date with the family and write why",
        shows_record=True,
    ),
    "smart-deadline-unreadable": Message(
        "the {thing} is not a calendar date; write the date it is due, like {example} ({date_form})"
    ),
    "smart-what-vague": Message("'{vague_verb}' does not say what will be done", shows_record=True),
    "smart-date-no-day": Message(
        "'{shown}' does not say which day; write the calendar date it is due, like {example}", quotes_input=True
    ),
    "smart-who-vague": Message("'{who_vague}' does not say who does it", shows_record=True),
    "smart-output-vague": Message(
        "'{plan_word}' does not show it is done; name something you can see or check, e.g. a receipt, a "
        'report card or "{example_output}"',
        shows_record=True,
    ),
    "smart-date-partial": Message(
        "'{shown}' is not a full date; write the day, the month and the 4-digit year, like {example}", quotes_input=True
    ),
    "smart-goal-no-actions-deadline": Message(
        "the goal has no actions, so it has no deadline; add at least one action with a date like {example_date}"
    ),
    "smart-goal-no-actions-who": Message(
        "the goal has no actions, so nobody is doing anything yet; add at least one action saying who does what"
    ),
    "smart-goal-no-actions-output": Message(
        "the goal has no actions, so nothing will show it is done; add at least one action with an output "
        '(e.g. "{example_output}")'
    ),
    "smart-goal-not-linked": Message(
        "the goal is not linked to a wellbeing domain or a benchmark indicator; choose its "
        "domain{suggestion} or add the indicators it works towards, like B1.3"
    ),
    "smart-no-deadline": Message("there is no {thing}; write the date it is due, like {example} ({date_form})"),
    "smart-no-such-benchmark": Message(
        "'{shown}': there is no benchmark B{bench}; benchmarks run from B1 to B{last_bench}, e.g. B1.3",
        quotes_input=True,
    ),
    "smart-no-such-indicator": Message(
        "there is no indicator B{bench}.{number}; benchmark B{bench} has B{bench}.1 to B{bench}.{count}"
    ),
    "smart-who-missing": Message("nobody is named to do it"),
    "smart-not-an-indicator": Message(
        "'{shown}' is not a benchmark indicator; write indicators like B1.3, separated by commas", quotes_input=True
    ),
    "smart-not-specific": Message("{smart_problems}; {smart_fixes}", shows_record=True),
    "smart-text-not-measurable": Message(
        "nothing in it can be checked to show it is done; name an output such as an account, a receipt, a "
        "certificate, a report card or an enrolment, or say how many times or how often"
    ),
    "smart-text-not-relevant": Message(
        "nothing ties it to the child's wellbeing; say which domain it serves, e.g. school fees (education), "
        "a clinic visit (health), savings (economic stability), time together (relationship)"
    ),
    "smart-domain-unknown": Message(
        "'{shown}' is not one of the six wellbeing domains; choose one of {domains}", quotes_input=True
    ),
    "smart-no-output": Message('no output says how we will know it is done; add one (e.g. "{example_output}")'),
    "smart-date-not-real": Message(
        "'{shown}' is not a real date; check the day and the month and write it {date_form}, like {example}",
        quotes_input=True,
    ),
    "smart-busy-week": Message(
        "the same person or role has {count} open actions due in the week of {monday} (actions {ids}); "
        "spread them over more weeks or share them with someone else",
        shows_record=True,
    ),
    "smart-fix-what": Message("say what will be done with an action verb such as {verb_example}"),
    "smart-what-missing": Message("no step is written"),
    "smart-what-no-verb": Message("there is no action verb, so it is not clear what will be done"),
    "smart-fix-who": Message("write who does it: a named person or a role {who_example}"),
    "smart-fix-who-what": Message('write who does what, e.g. "the father, John Otieno, will open a savings account"'),
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


def _fill(table: dict[str, Message], key: str, params: dict[str, Any]) -> str:
    """Entry KEY of TABLE filled in; a missing or unexpected parameter is a bug (KeyError)."""
    template = table[key].template
    wanted = placeholders(template)
    if set(params) != wanted:
        raise KeyError(f"{key}: takes {sorted(wanted)}, given {sorted(params)}")
    return template.format(**params)


def text(key: str, /, **params: Any) -> str:
    """The message of finding entry KEY (CATALOGUE), filled in."""
    return _fill(CATALOGUE, key, params)


class Text(str):
    """A message that remembers the catalogue code it was worded with (`coded`)."""

    code: str = ""


def coded(key: str, /, **params: Any) -> Text:
    """`text(KEY, ...)`, carrying its code: for checks whose messages pass through helpers before they become
    findings (SMART)."""
    worded = Text(text(key, **params))
    worded.code = code_of(key)
    return worded


def finding(where: str, key: str, /, **params: Any) -> Finding:
    """A finding at WHERE (a file, or `form: section.field`) with the message of catalogue entry KEY."""
    return Finding(where, code_of(key), text(key, **params))


# -- every user-facing error (issue 14, item 5) ---------------------------------------------------------------
# `raise SomeError.of(CODE, **params)` (cmtk/errors.py) words the error by ERRORS[CODE]; helpers that take a
# message (`_refuse` in output/sharing.py, `_Problem` in forms/validate.py) get `error_text(CODE, **params)`.
# The same placeholder rule as for findings: SAFE_PLACEHOLDERS anywhere; TYPED_PLACEHOLDERS only in entries marked
# quotes_input (the error goes back to the person who typed the value); RECORD_PLACEHOLDERS only in entries marked
# shows_record (what a record or another copy's file holds, shown to the person who holds the key).
# A code names the subject, then what is wrong (`attachment-content-mismatch`), in at most five words; the rule is in
# docs/decisions.md and tests/test_messages.py. A released code never changes, however its message is reworded.
ERRORS: dict[str, Message] = {
    # -- cmtk/dates.py --------------------------------------------------------------------------------------------
    "policy-duration": Message("duration {duration!r}: use one of {duration_units}, e.g. {{months: 6}}"),
    "date-two-digit-year": Message(
        "{field}: '{raw}' has a two-digit year; write the year in full, e.g. 24-11-2026",
        quotes_input=True,
    ),
    "date-format": Message("{field}: '{shown}' is not a date; {hint}", quotes_input=True),
    "date-not-real": Message(
        "{field}: '{raw}' is not a real calendar date (day {day}, month {month}, year {year}); {hint}",
        quotes_input=True,
    ),
    # -- cmtk/system.py -------------------------------------------------------------------------------------------
    "git-missing": Message("git is not installed or not on PATH; {hint}"),
    # -- cmtk/store/attachments.py --------------------------------------------------------------------------------
    "attachment-encryption-unverified": Message("{source}: encryption could not be verified; nothing was written"),
    "attachment-length-mismatch": Message("{source}: its length does not match its record; see `cmtk doctor`"),
    "attachment-content-mismatch": Message(
        "{source}: its content does not match its record (SHA-256); see `cmtk doctor`"
    ),
    "attachment-file-key-unusable": Message("{source}: its record holds no usable file key; see `cmtk doctor`"),
    "attachment-wrong-key": Message(
        "{source}: does not open with the key its record holds: it was replaced or damaged; see `cmtk doctor`"
    ),
    # -- cmtk/store/create.py -------------------------------------------------------------------------------------
    "store-already-exists": Message("{root}: is already a cmtk store"),
    "store-folder-not-empty": Message("{root}: exists and is not empty; choose a new folder for the store"),
    "org-name-format": Message("--org: give the organisation's name on one line"),
    # -- cmtk/store/crypto.py -------------------------------------------------------------------------------------
    "identity-no-secret-key": Message("{source}: no AGE-SECRET-KEY-1 line found; is this an age identity file?"),
    "identity-several-secret-keys": Message("{source}: holds {count} secret keys; cmtk needs a file with exactly one"),
    "not-an-age-key": Message(
        "{source}: '{typed}' is not an age X25519 public key (age1...); ssh keys are not accepted, make one "
        "with `cmtk key new` or `age-keygen`",
        quotes_input=True,
    ),
    "identity-secret-key-damaged": Message("{source}: the AGE-SECRET-KEY-1 line is damaged"),
    "wrong-passphrase": Message("{source}: wrong passphrase (or the file is damaged)"),
    "age-key-invalid": Message(
        "{source}: '{typed}...' is not a valid age public key: it {problem}; a key is 62 characters starting "
        "age1: copy it again from `cmtk key show` on its owner's laptop",
        quotes_input=True,
    ),
    "decrypt-wrong-key": Message(
        "{source}: cannot be decrypted with your key (damaged, or encrypted to a key you do not hold)"
    ),
    "not-an-age-file": Message("{source}: not an age file (damaged or plaintext)"),
    "age-file-corrupt": Message("{source}: damaged (it opens with your key, but its content is corrupt)"),
    # -- cmtk/store/doctor.py -------------------------------------------------------------------------------------
    "attachment-orphaned": Message("{relative}: an attached file without its record; delete it"),
    "store-file-refused": Message("{relative}: {problems}; delete it"),
    # -- cmtk/store/files.py --------------------------------------------------------------------------------------
    "store-path-is-link": Message(
        "{relative}: {where} is a link or not a folder; cmtk reads store files only from inside the store (a "
        "copied store may point them at your identity): replace it with a plain file or remove it"
    ),
    "settings-not-a-mapping": Message("{settings}: not a mapping of settings"),
    "store-path-not-plain": Message("{relative}: not a plain path inside the store"),
    "store-file-control-char": Message(
        "{source} line {line}: holds a control or direction character (U+{ord:04X}), which can hide what the "
        "file really says; remove it (cmtk never writes one)"
    ),
    "store-file-not-plain": Message("{relative}: not a plain file; remove it"),
    "store-file-hard-link": Message(
        "{relative}: this file has other names (a hard link), so it may be a file from outside the store; "
        "replace it with a copy"
    ),
    "store-file-too-large": Message("{relative}: larger than any file cmtk keeps there ({limit} KiB)"),
    "store-file-not-utf8": Message("{relative}: not UTF-8 text; save it as UTF-8"),
    "disk-full": Message("the disk is full; free some space and try again (nothing was changed)"),
    "store-file-unreadable": Message("{relative}: cannot read it ({strerror})"),
    # -- cmtk/store/gitio.py --------------------------------------------------------------------------------------
    "disk-full-git": Message(
        "the disk is full: git could not write in {root}; free some space on this laptop and try again (nothing "
        "was lost)"
    ),
    "git-busy": Message(
        "git is busy in this store (.git/index.lock exists); if no git or cmtk command is running, delete "
        ".git/index.lock and try again"
    ),
    "git-failed": Message("git {subcommand} failed: {said}"),
    "hooks-folder-not-empty": Message(
        "{folder}: this folder must stay empty (cmtk points git's hooks at it so that no hook runs); delete "
        "what is in it and try again"
    ),
    "git-cat-file-failed": Message("git cat-file failed; run `cmtk doctor`"),
    # -- cmtk/store/identity.py -----------------------------------------------------------------------------------
    "identity-readable-by-others": Message(
        "{path}: permissions {mode:04o} let other users read your identity; run `chmod 600 {path}` (and "
        "consider making a new key if others may have copied it)",
        quotes_input=True,
    ),
    "identity-folder-writable": Message(
        "{folder}: other users can write to the folder holding your identity and could replace it; run "
        "`chmod go-w {folder}` or move the identity to a private folder"
    ),
    "identity-outside-home": Message(
        "{path}: your identity must be inside your own user folder ({home}), which other accounts on this "
        "computer cannot open; a USB stick or a shared folder lets others copy it. Move it there, for "
        "example to {default_identity_path}, and point --identity at it"
    ),
    "passphrase-no-terminal": Message(
        "a passphrase is needed and there is no terminal to ask it on; set {passphrase_env} or run interactively"
    ),
    "identity-not-found": Message(
        "{path}: no identity file; create one with `cmtk key new`, or point --identity / CMTK_IDENTITY at yours"
    ),
    "identity-not-a-file": Message("{path}: is not a file; point --identity at your age identity file"),
    "identity-too-large": Message("{path}: too large to be an age identity file"),
    "identity-in-onedrive": Message(
        "{path}: your identity is in a OneDrive folder, which copies it to the internet; move it out (for "
        "example to {default_identity_path}) and point --identity at it"
    ),
    "identity-exists": Message(
        "{path}: an identity already exists; keep it, or move it away first if you really want a new one"
    ),
    "identity-binary": Message("{path}: not an age identity file (binary data)"),
    # -- cmtk/store/ids.py ----------------------------------------------------------------------------------------
    "case-id-format": Message(
        "'{shown}' is not a case id: ids are {case_id_length} letters and digits such as K7Q2MX4P; see `cmtk "
        "case list`, or look a child up by name with `cmtk case find`",
        quotes_input=True,
    ),
    "record-id-format": Message(
        "'{text}' is not {article} {what} id: ids are {record_id_length} letters and digits such as 3F9A0QX2MB; {hint}",
        quotes_input=True,
    ),
    # -- cmtk/store/paths.py --------------------------------------------------------------------------------------
    "store-not-found": Message(
        "no cmtk store in {here} or above it; cd into your store's folder (e.g. cd demo) or add --store PATH "
        "(no store yet? `cmtk init PATH --org NAME`, or `cmtk demo PATH` to practise)"
    ),
    "not-a-store": Message(
        "{path}: not a cmtk store (no .cmtk folder); check the path, or create one with `cmtk init {path}`"
    ),
    # -- cmtk/store/records.py ------------------------------------------------------------------------------------
    "record-date-wrong-type": Message("record {record}: its date must be a calendar date, not {type_name}"),
    "record-no-envelope": Message("{source}: decrypts, but is not a cmtk record (no cmtk_record envelope)"),
    "record-format-unsupported": Message(
        "{source}: record format {cmtk_record!r} is not supported by this cmtk; upgrade cmtk",
        shows_record=True,
    ),
    "record-body-not-a-mapping": Message("{source}: the record body is not a mapping of sections"),
    "record-generation-not-number": Message("{source}: key_generation is not a number"),
    "record-date-invalid": Message("{source}: the record date is not a date"),
    "record-envelope-missing-key": Message("{source}: the record envelope lacks '{key}'"),
    # -- cmtk/store/session.py ------------------------------------------------------------------------------------
    "store-settings-missing": Message(
        "{root}: .cmtk/settings.yaml is missing; this store is damaged, see `cmtk doctor`"
    ),
    "store-team-missing": Message("{recipients}: missing; this store has no team, see `cmtk doctor`"),
    "store-key-missing": Message("{keys_dir}: no store key; this store is damaged, see `cmtk doctor`"),
    "sync-interrupted": Message(
        "a sync was interrupted half-way; run `cmtk sync` (or `cmtk doctor --repair`) to finish it before "
        "changing anything"
    ),
    "git-merge-unfinished": Message(
        "a `git merge` or `git pull` run by hand stopped half-way in this store; run `cmtk sync` (or `cmtk "
        "doctor --repair`) to finish it with cmtk's merge before changing anything"
    ),
    "identity-inside-store": Message(
        "{path}: your identity is inside the store folder, where a sync or a backup would copy it; move it "
        "out (for example to your config folder, see `cmtk key show`) and point --identity at it"
    ),
    "not-in-team": Message(
        "your key {public}... is not in this store's team; ask a member to run `cmtk team add YOUR-NAME "
        "{public2}` and then sync"
    ),
    "store-key-generation-unknown": Message(
        "{source}: store key generation {generation} is not the one this laptop knew; the store may have "
        "been tampered with: do not use it, and ask your case manager"
    ),
    "team-list-tampered": Message(
        "{team_tampered}. Nothing was changed: do not change the team; compare the list with `cmtk team "
        "list` and ask your case manager (its history: `git log -p .cmtk/recipients.txt`)"
    ),
    "store-key-file-gone": Message(
        "{keys_dir}/{max}.age: this laptop knew store key generation {max} but its file is gone; writing "
        "with an older key would let a removed member read it. The store may have been tampered with: do not "
        "use it, and ask your case manager"
    ),
    "record-generation-mismatch": Message(
        "{source}: says it was written with store key generation {key_generation} but opens with generation "
        "{opened_with}; it may have been forged by a former member: see `cmtk doctor`"
    ),
    "record-wrong-path": Message(
        "{source}: the record inside belongs to {case}/{record}, not to this path; it was copied or moved by "
        "hand, see `cmtk doctor`"
    ),
    "case-folder-wrong-shard": Message("{source}: case folder is in the wrong shard; see `cmtk doctor`"),
    "no-such-case-hint": Message("no case {case_id} in this store; {hint}see `cmtk case list`"),
    "no-such-conference": Message("no conference {conference_id} in this store; see `cmtk conference list`"),
    "record-encryption-unverified": Message("record {record}: encryption could not be verified; nothing was written"),
    "date-after-clock": Message(
        "this would be dated {dated}, after the computer's date ({real_today}): {cause}; unset CMTK_TODAY "
        "(or drop --as-of) for real work, and practise in a TRAINING store"
    ),
    "store-key-generation-missing": Message(
        "{source}: store key generation {generation} is missing; see `cmtk doctor`"
    ),
    "store-key-not-by-holder": Message(
        "{source}: store key generation {generation} was not made by a holder of generation {generation2}; "
        "the store may have been tampered with: do not use it, and ask your case manager"
    ),
    "store-key-first-duplicated": Message(
        "{source}: a second first-generation store key appeared; the store may have been tampered with"
    ),
    "store-key-not-for-you": Message(
        "{source}: your key cannot open this store key; if you were removed from the team or the key file is "
        "damaged, ask a team member and run `cmtk doctor`"
    ),
    "store-busy": Message(
        "another cmtk command has been changing this store for over {limit:.0f} s; wait for it to finish and try again"
    ),
    # -- cmtk/store/signing.py ------------------------------------------------------------------------------------
    "age-key-length": Message("an age key that is not 32 bytes long"),
    "not-a-signing-key": Message(
        "{where}: not a signing key; it looks like {signing_prefix}... (from `cmtk key show` on the sender's laptop)"
    ),
    "sender-name-format": Message("NAME: give the sender's name, 1-80 characters on one line"),
    # -- cmtk/store/yamlio.py -------------------------------------------------------------------------------------
    "yaml-too-deep": Message("{source}: nested more than {max_depth} levels deep; no form is shaped like that"),
    "yaml-error": Message("{source}: YAML error at {where}"),
    "yaml-invalid": Message("{source}: not valid YAML"),
    "yaml-value": Message("{source}: YAML value cannot be read (a bad date, tag or nesting)"),
    "yaml-not-utf8": Message("{source}: not UTF-8 text"),
    "yaml-aliases": Message(
        "{source}: uses YAML anchors and aliases (& and *), which cmtk does not accept; write values out"
    ),
    # -- cmtk/team/conflicts.py -----------------------------------------------------------------------------------
    "no-such-subject": Message(
        "no case or conference {subject} in this store; see `cmtk case list`",
        quotes_input=True,
    ),
    "take-option": Message("--take: choose kept or other, not '{take}'", quotes_input=True),
    "no-conflicts": Message("{subject} has no conflicts to resolve", quotes_input=True),
    "conflict-number-range": Message(
        "NUMBER: {subject} has {count}; see `cmtk conflicts {subject}`",
        quotes_input=True,
    ),
    "conflict-field-gone": Message("{field}: this field is no longer in the record; resolve it with --take kept"),
    # -- cmtk/team/incoming.py ------------------------------------------------------------------------------------
    "incoming-foreign-changes": Message(
        "the copy on {remote} has changes cmtk never makes: {problems}{more}. Nothing was changed; it may "
        "have been tampered with: ask your case manager"
    ),
    "incoming-no-store-key": Message("the copy on {remote} has no store key; it is not a cmtk store"),
    "incoming-team-tampered": Message(
        "the copy on {remote}: {team_tampered}. Nothing was changed: ask your case manager"
    ),
    "incoming-settings-changed": Message(
        "the copy on {remote} changed {changed}; nothing was changed here. Check the change with whoever "
        "made it, then run `cmtk sync --accept-settings`"
    ),
    "incoming-members-dropped": Message(
        "the copy on {remote} dropped {count} member(s) from the team list without a new store key, which "
        "cmtk's removal always makes: it may have been tampered with. Nothing was changed; ask your case "
        "manager"
    ),
    "incoming-record-missing": Message("the copy on {remote} lacks {path!r}; nothing was changed"),
    "incoming-record-old-key": Message(
        "the copy on {remote} has {path!r} written with store key generation {generation}, older than the "
        "store's (generation {oldest_allowed}): it may have been forged by a removed member. Nothing was "
        "changed; ask your case manager"
    ),
    "incoming-record-replayed": Message(
        "the copy on {remote} puts back an earlier version of {replayed!r} (cmtk never does that): it may "
        "have been tampered with to undo a change. Nothing was changed; ask your case manager"
    ),
    "clone-record-missing": Message("the copy on {remote} lacks {path!r}; nothing was kept"),
    "clone-record-old-key": Message(
        "the copy on {remote} has {path!r} written with store key generation {generation}, older than the "
        "store's (generation {newest}): it may have been forged by a removed member. Nothing was kept; ask "
        "your case manager"
    ),
    # -- cmtk/team/integrate.py -----------------------------------------------------------------------------------
    "store-no-commit": Message("this store has no commit yet; see `cmtk doctor`"),
    "remote-unrelated-store": Message("{remote} holds a different store (no history in common); nothing was changed"),
    "case-id-collision": Message(
        "case id {opened_here} was opened on this laptop and on the other copy for two different children; "
        "nothing was changed: ask for help before syncing again"
    ),
    "incoming-members-unaccepted": Message(
        "{remote} added team members this laptop has not accepted: {names}; nothing was changed. Check each "
        "key with its owner, then run `cmtk sync --accept-team`",
        shows_record=True,
    ),
    "member-name-collision": Message(
        "this laptop and the other copy each added a different key under the same member name; nothing was "
        "changed: remove one of them on one side, then sync again"
    ),
    "merge-same-lines": Message(
        "{path}: this laptop and the other copy changed the same lines; nothing was changed. Make the two "
        "versions agree on one laptop, then sync again"
    ),
    "merge-octopus": Message(
        "commit {hand} merges {count} histories at once, which cmtk cannot redo; nothing was changed: run "
        "`git reset --keep {hand}^1` (your other commits since are kept by the remote's copy only if sent), "
        "then `cmtk sync`"
    ),
    "merge-by-hand": Message(
        "commit {hand} is a merge made with git by hand that also changes {own!r}; cmtk cannot merge it "
        "again without losing that change. Nothing was changed: run `git reset --keep {hand}^1`, make the "
        "change again with cmtk, then `cmtk sync`"
    ),
    "incoming-key-from-removed": Message(
        "the other copy has its own store key generation {generation}, made with the key that a member "
        "removed on this laptop still holds, and not by anyone in this laptop's team: it may be a forgery by "
        "the removed member. Nothing was changed (no key, record or team change of that copy was taken); ask "
        "your case manager before syncing again"
    ),
    "merge-head-invalid": Message(".git/MERGE_HEAD names something that is not a commit; ask for help"),
    "git-update-index-failed": Message("git update-index failed while merging; nothing was changed"),
    # -- cmtk/team/keyring.py -------------------------------------------------------------------------------------
    "record-no-store-key": Message(
        "{shown}: no store key opens this record; nothing was changed, see `cmtk doctor`",
        quotes_input=True,
    ),
    "keyring-encryption-unverified": Message("{source}: encryption could not be verified; nothing was changed"),
    "store-key-generation-differs": Message(
        "{source}: store key generation {generation} differs from the one in the common history; it may have "
        "been tampered with: nothing was changed, ask your case manager"
    ),
    "incoming-key-generation-differs": Message(
        "the copy on {source} has a different store key generation {generation} than this laptop knew; it "
        "may have been tampered with: nothing was changed, ask your case manager"
    ),
    "keyring-not-a-record": Message(
        "{shown}: decrypts but is not a cmtk record; nothing was changed, see `cmtk doctor`",
        quotes_input=True,
    ),
    "keyring-generation-mismatch": Message(
        "{shown}: says it was written with store key generation {claimed!r} but opens with generation "
        "{generation}; it may have been forged: nothing was changed",
        quotes_input=True,
        shows_record=True,
    ),
    "keyring-record-misplaced": Message(
        "{shown}: the record inside belongs elsewhere; it may have been copied or forged: nothing was changed",
        quotes_input=True,
    ),
    "incoming-key-not-for-you": Message(
        "the copy on {source} has a store key (generation {generation}) that your key cannot open: you were "
        "removed from the team there, or your key changed. Nothing was changed; ask your case manager"
    ),
    "incoming-key-not-by-holder": Message(
        "the copy on {source} has a store key generation {generation} not made by a holder of generation "
        "{generation2}; it may have been tampered with: nothing was changed, ask your case manager"
    ),
    # -- cmtk/team/merge_driver.py --------------------------------------------------------------------------------
    "merge-older-key": Message(
        "{path}: the other branch's version uses an older store key than the common one; it may be forged. "
        "Use `cmtk sync`, which checks every change"
    ),
    # -- cmtk/team/remotes.py -------------------------------------------------------------------------------------
    "no-such-remote": Message("no remote called '{name}'; the remotes are: {name2}", quotes_input=True),
    "remote-name-format": Message(
        "NAME: use 1-40 letters, digits, '-' or '_', starting with a letter or digit (e.g. office, usb)"
    ),
    "remote-url-format": Message(
        "URL: give a path (a folder or a .age bundle file) or an ssh address such as user@server:cci.git"
    ),
    "remote-url-helper": Message("URL: remote helpers such as ext:: are not allowed; give a path or an ssh address"),
    "remote-git-elsewhere": Message("{path}: its .git points to another folder; give the shared store's own folder"),
    "remote-exists": Message(
        "there is already a remote called '{name}'; see `cmtk remote list`",
        quotes_input=True,
    ),
    "no-remote": Message("this store has no remote yet; add one with `cmtk remote add NAME URL`"),
    "remote-name-needed": Message(
        "NAME: this store has several remotes ({names}); say which one to sync with",
        shows_record=True,
    ),
    "clone-folder-not-empty": Message(
        "{target}: exists and is not empty; choose a new folder for the copy",
        quotes_input=True,
    ),
    "clone-no-bundle": Message("{source}: no such bundle file; is the USB stick plugged in?"),
    "clone-no-folder": Message("{source}: no such folder; is the drive or share mounted?"),
    "remote-alternates": Message(
        "{path}: the repository borrows objects from another folder (objects/info/{name}), which cmtk never "
        "sets up; it may have been tampered with: ask your case manager",
        quotes_input=True,
    ),
    "bundle-url-not-path": Message("URL: an encrypted bundle must be a file path (for example on a USB stick)"),
    "bundle-folder-missing": Message("{parent}: no such folder; is the USB stick plugged in?"),
    "bundle-url-is-folder": Message("URL: {path} is a folder; give a file name ending in .age for an encrypted bundle"),
    "clone-not-a-store": Message("{url}: this is not a cmtk store (no .cmtk/settings.yaml); nothing was kept"),
    "clone-not-in-team": Message(
        "your key is not in this store's team, so the copy cannot be checked or used; ask a member to run "
        "`cmtk team add YOUR-NAME {public}` and sync, then clone again. Nothing was kept"
    ),
    "clone-fingerprint-mismatch": Message(
        "--expect: this store's fingerprint is {found}, not {expect}; it is not the store you expected (or "
        "it was tampered with). Nothing was kept",
        quotes_input=True,
    ),
    "bundle-not-for-you": Message(
        "{source}: this bundle is not encrypted to your key; ask a team member to add you (`cmtk team add`) "
        "and sync with the stick, then try again"
    ),
    "clone-no-branch": Message("{url}: this is not a cmtk store (it has no {branch} branch); nothing was kept"),
    "remote-no-folder-drive": Message("{parent}: no such folder; is the drive or share mounted?"),
    "remote-not-a-repository": Message(
        "{path}: exists but is not a git repository; give a new folder or an existing shared store"
    ),
    "clone-failed": Message(
        "URL: could not copy a store from {url} ({reason}); give the team's shared folder (a .git folder), "
        "server address or .age bundle",
        shows_record=True,
    ),
    # -- cmtk/team/roster.py --------------------------------------------------------------------------------------
    "store-key-no-recipients": Message("store key file lists no recipients"),
    "member-name-format": Message("member name: use 1-80 characters without '|', '#' or line breaks"),
    "team-key-twice": Message("{source}: the same public key is listed twice; remove the duplicate"),
    "team-name-twice": Message("{source}: two members have the same name; every member needs a different name"),
    # -- cmtk/team/rotation.py ------------------------------------------------------------------------------------
    "team-list-changed": Message(
        "the team list (.cmtk/recipients.txt) changed since this laptop last accepted it ({count} key(s) "
        "added, {count2} removed); check it with `cmtk team trust` before changing the team"
    ),
    "team-uncommitted": Message(
        "the store has changes that are not committed; run `cmtk doctor` (and `cmtk doctor --repair`) before "
        "changing the team"
    ),
    "team-change-key-mismatch": Message(
        "{keys_dir}/{generation}.age is not the key the interrupted team change made; the store may have "
        "been tampered with: ask your case manager"
    ),
    "member-exists": Message(
        "the team already has a member called '{name}'; choose another name",
        quotes_input=True,
    ),
    "member-key-exists": Message("that public key already belongs to '{holder}'"),
    "no-such-member": Message("no team member called '{name}'; the team is: {known}", quotes_input=True),
    "member-remove-self": Message("you cannot remove yourself; ask another team member to remove you"),
    "team-encryption-unverified": Message("{relative}: {encryption_check}; nothing was changed"),
    # -- cmtk/team/sync.py ----------------------------------------------------------------------------------------
    "sync-interrupted-stale": Message(
        "a sync was interrupted and the store has moved on since; ask for help before changing anything (the "
        "sync journal is .git/cmtk/sync.json)"
    ),
    "team-change-interrupted": Message("a team change was interrupted; run `cmtk doctor --repair` before syncing"),
    "sync-uncommitted": Message(
        "the store has changes that are not committed; run `cmtk doctor` (and `cmtk doctor --repair`) before syncing"
    ),
    "remote-keeps-changing": Message(
        "{name} keeps changing under this sync; try again in a minute",
        quotes_input=True,
    ),
    # -- cmtk/team/transport.py -----------------------------------------------------------------------------------
    "stick-full": Message(
        "{parent}: the stick is full: the bundle needs {megabytes} free and the stick has "
        "{megabytes2}{both}. Free space on it or use a larger stick; your changes are safe here"
    ),
    "remote-history-rewritten": Message(
        "the history on {name} was rewritten: it no longer holds what this laptop last exchanged with it "
        "(cmtk never does that). Nothing was changed; it may have been tampered with: ask your case manager",
        quotes_input=True,
    ),
    "remote-no-folder-stick": Message(
        "{parent}: no such folder; is the USB stick plugged in? Your changes are safe here"
    ),
    "remote-folder-missing": Message(
        "{folder}: no such folder; is the shared drive or network folder connected? Nothing was changed"
    ),
    "send-failed": Message(
        "could not send to {name} ({url}): {reason}; your changes are safe here, sync again later",
        quotes_input=True,
        shows_record=True,
    ),
    "bundle-write-failed": Message("{path}: could not write the bundle ({strerror}); your changes are safe here"),
    "bundle-missing": Message(
        "{path}: no bundle file, though this laptop has synced with {name} before: is the right USB stick "
        "plugged in? For a new, empty stick run `cmtk sync {name} --new-bundle`",
        quotes_input=True,
    ),
    "bundle-corrupt": Message(
        "{path}: this bundle is damaged (it opens with your key, but part of it is corrupt: a stick pulled "
        "out while it was written, or a failing stick); nothing was changed. This laptop's copy is intact: "
        "`cmtk sync {name} --new-bundle` replaces the bundle with it, and whoever sent the changes only the "
        "damaged bundle held sends them again at their next sync (or copy a good cci bundle from another "
        "stick or laptop over it)",
        quotes_input=True,
    ),
    "bundle-wrong-key": Message(
        "{path}: this bundle does not open with your key: you may have been removed from the team, your key "
        "may have changed, or it was written before you joined (then a team member's sync fixes it); ask "
        "your case manager"
    ),
    "fetch-failed": Message(
        "could not fetch from {name} ({url}): {reason}; nothing was changed",
        quotes_input=True,
        shows_record=True,
    ),
    "bundle-damaged": Message("{path}: the bundle is damaged or holds a different store; nothing was changed"),
    # -- cmtk/forms/definitions.py --------------------------------------------------------------------------------
    "no-such-form": Message("no form '{form_id}'{hint}; see `cmtk form list`", quotes_input=True),
    "form-definition-error": Message("{file}{at}: {detail}"),
    "form-code-not-id": Message("'{form_id}' is the code of form '{id}'; use the form id: {id}", quotes_input=True),
    "form-file-gone": Message(".cmtk/forms/{name}: no longer there; see `cmtk form list`", quotes_input=True),
    # -- cmtk/forms/editing.py ------------------------------------------------------------------------------------
    "editor-not-installed": Message(
        "the editor '{command}' is not installed; set EDITOR to one you have (for example EDITOR=vi or "
        "EDITOR=nano; on Windows EDITOR=notepad), or record a corrected form with `cmtk record`"
    ),
    "edit-no-memory-folder": Message(
        "no memory-backed folder (/dev/shm) to edit in, so the decrypted form would touch the disk; pass "
        "--allow-disk-temp to accept that, or record a corrected form with `cmtk record`"
    ),
    "edit-no-such-record": Message(
        "case {case_id} has no {form_id} record{suggest}; recorded forms: {recorded}",
        quotes_input=True,
    ),
    "editor-unsafe-declined": Message("nothing was changed; set EDITOR=nano (or vim, emacs) and try again"),
    "editor-exit-error": Message("the editor exited with an error; nothing was changed"),
    "editor-not-runnable": Message(
        "the editor '{command}' is not installed; set EDITOR to one you have (for example EDITOR=vi or "
        "EDITOR=nano), or record a corrected form with `cmtk record`"
    ),
    "edited-form-invalid": Message("the edited form is not valid; nothing was changed"),
    # -- cmtk/forms/validate.py -----------------------------------------------------------------------------------
    "value-not-valid": Message("'{shown}' is not valid; {expected}", quotes_input=True),
    "value-not-a-choice": Message("'{word}' is not one of the choices ({options}){hint}", quotes_input=True),
    "unknown-type": Message("has an unknown type {kind}", quotes_input=True),
    "expects-text": Message("expects text"),
    "value-control-char": Message(
        "contains control or direction-changing characters (they can disguise what a screen shows); retype it"
    ),
    "value-below-min": Message("{typed} is below the smallest allowed value, {min:g}", quotes_input=True),
    "value-above-max": Message("{typed} is above the largest allowed value, {max:g}", quotes_input=True),
    "note-takes-no-answer": Message("is printed text only and takes no answer; remove it"),
    "value-date-future": Message(
        "{parsed} is in the future; this date cannot be after today ({today})",
        quotes_input=True,
    ),
    # -- cmtk/smart/rules.py --------------------------------------------------------------------------------------
    "smart-policy-not-a-list": Message(
        ".cmtk/policy.yaml: smart.{where} must be a list of words or {{add: [...], remove: [...]}}"
    ),
    "smart-policy-not-a-word": Message(
        ".cmtk/policy.yaml: smart.{where}: '{typed}' is not a word; write words as text",
        quotes_input=True,
    ),
    "smart-policy-not-a-mapping": Message(
        ".cmtk/policy.yaml: smart must be a mapping of list names (see cmtk/defaults/smart.yaml)"
    ),
    "smart-policy-list-not-mapping": Message(
        ".cmtk/policy.yaml: smart.{where} must be a mapping, as in cmtk's smart.yaml"
    ),
    "smart-policy-unknown-list": Message(".cmtk/policy.yaml: smart.{key} is not a list the SMART checker reads{hint}"),
    # -- cmtk/casework/attachments.py -----------------------------------------------------------------------------
    "policy-kinds-format": Message(
        "{where} must list the kinds of file, e.g. consent: {{label: ..., types: [pdf, jpeg]}}"
    ),
    "policy-max-megabytes": Message(".cmtk/policy.yaml: attachments.max_megabytes must be a number from 1 to 100"),
    "attachment-kind-option": Message(
        "--kind: '{given}' is not a kind of attachment; use one of {known}",
        quotes_input=True,
    ),
    "no-such-attachment": Message(
        "case {id} has no attachment {wanted}; see `cmtk attachment list {id}`",
        quotes_input=True,
    ),
    "attachment-file-missing": Message("{source}: the file of attachment {id} is missing; see `cmtk doctor`"),
    "attachment-note-too-long": Message("{option}: write at most {max_note} characters of plain text"),
    "about-no-such-record": Message("--about: case {id} has no record {record_id}; see `cmtk case show {id}`"),
    "attachment-date-future": Message(
        "--date: {when} is in the future; give the date of the document",
        quotes_input=True,
    ),
    "profile-kind-not-photo": Message("--profile: only a {photo} can be the child's profile photo, not a {id}"),
    "attachment-already-void": Message("attachment {id} of case {id2} is already void ({voided})"),
    "profile-photo-void": Message("attachment {id} is void; attach the photo again with --profile"),
    "profile-not-a-photo": Message(
        "attachment {id} is a {kind}, not a {photo}: only a photo can be the profile photo",
        quotes_input=True,
    ),
    "policy-kind-format": Message("{where}.{kind_id}: a kind is a short lower-case id with a label and types"),
    "policy-kind-types": Message("{where}.{kind_id}.types: a list of {types}"),
    "attachment-reason-needed": Message("{option}: give a short reason (it is kept with the attachment's record)"),
    "about-form-not-recorded": Message(
        "--about: case {id} has no {text} record; its forms are: {recorded}",
        quotes_input=True,
    ),
    "policy-kind-label": Message("{where}.{kind_id}.label: give a label, e.g. {{en: Birth certificate}}"),
    # -- cmtk/casework/case_file.py -------------------------------------------------------------------------------
    "checklist-label-missing": Message(".cmtk/policy.yaml: {where}: give a label, e.g. {{en: Case plan}}"),
    "checklist-not-a-list": Message(".cmtk/policy.yaml: case_file.checklist must be a list of items"),
    "checklist-item-format": Message(
        ".cmtk/policy.yaml: {where} must be a mapping with a field or a label, and forms or kinds"
    ),
    "checklist-ids-not-lists": Message(".cmtk/policy.yaml: {where}: forms and kinds are lists of ids"),
    "checklist-label-or-field": Message(
        ".cmtk/policy.yaml: {where}: give a label, or the field of the {checklist_form} form it stands for"
    ),
    # -- cmtk/casework/cases.py -----------------------------------------------------------------------------------
    "worker-not-in-team": Message(
        "--worker: '{name}' is not in the team ({known}); add them with `cmtk team add` first",
        quotes_input=True,
    ),
    "record-date-future": Message(
        "--date: {when} is in the future; a form records what already happened",
        quotes_input=True,
    ),
    "form-for-conference": Message("{form_id} is recorded on a case conference, not on a case", quotes_input=True),
    "record-exists": Message(
        "case {case_id} already has a {form_id} record; change it with `cmtk case edit {case_id} {form_id}`",
        quotes_input=True,
    ),
    "no-such-record": Message(
        "case {id} has no record {wanted}; `cmtk case show {id}` lists them",
        quotes_input=True,
    ),
    "void-case-file": Message(
        "record {wanted} is the case file of {id}, not a form; it cannot be voided",
        quotes_input=True,
    ),
    "void-attachment-record": Message(
        "record {wanted} is an attached file; void it with `cmtk attachment void {id} ...`",
        quotes_input=True,
    ),
    "record-already-void": Message(
        "record {wanted} ({form}) is void already; `cmtk record restore` brings it back",
        quotes_input=True,
    ),
    "record-not-void": Message(
        "record {wanted} ({form}) is not void; nothing to restore",
        quotes_input=True,
    ),
    "reason-empty": Message("--reason: say why, in a few words (no names), e.g. 'recorded on the wrong case'"),
    "reason-too-long": Message("--reason: keep it to one plain line of at most 300 characters"),
    # -- cmtk/casework/conference.py ------------------------------------------------------------------------------
    "conference-full": Message(
        "a {conference_kind} conference takes at most {max_cases} cases; hold another conference for the rest "
        "(policy conferences.over_max)"
    ),
    "no-such-participant": Message(
        "no participant called '{name}' in conference {id}; participants: {names}",
        quotes_input=True,
        shows_record=True,
    ),
    "conference-kind": Message("--kind: '{kind}' is not one of {kinds}{suggest}", quotes_input=True),
    "case-already-on-conference": Message("case {id} is already on conference {id2}"),
    "participant-kind": Message("--as: '{kind}' is not one of {participant_kinds}", quotes_input=True),
    "participant-exists": Message("{name} is already a participant of conference {id}", quotes_input=True),
    "agreement-form-invalid": Message(
        "{source}: the confidentiality agreement form needs a participant section with an agreement_form "
        "field that has choices"
    ),
    "participant-not-added": Message(
        "add {name} as a participant first: cmtk conference add-participant {id} ...",
        quotes_input=True,
    ),
    "child-name-in-text": Message(
        "{what}: a child's recorded name or nickname appears in {hits}; write the case id instead (or pass "
        "--allow-names to record it anyway)",
        quotes_input=True,
    ),
    "minutes-agreements-missing": Message(
        "minutes: {count} participant(s) have no confidentiality agreement ({missing}); nothing discussed "
        "can be recorded before it: cmtk conference agree {id} NAME [--verbal]",
        shows_record=True,
    ),
    "conference-already-closed": Message("conference {id} is already closed"),
    "minutes-not-recorded": Message("record the minutes first: cmtk conference minutes {id} --from FILE"),
    "conference-file-missing": Message("conference {id} has no conference file; run `cmtk doctor`"),
    "participant-name-empty": Message("NAME: give the participant's name"),
    "participant-child-named": Message(
        "a {kind}'s name is not written into a conference: they are listed by their case; leave NAME out and "
        "give --case",
        quotes_input=True,
    ),
    "participant-case-needed": Message(
        "--case: a {kind} participant comes for one case on the conference; give its id",
        quotes_input=True,
    ),
    "case-not-on-conference": Message("case {case_id} is not on conference {id}; add it first with `add-case`"),
    "participant-already-agreed": Message("{name} already agreed for this conference", quotes_input=True),
    "agreement-already-given": Message(
        "{name} already gave the confidentiality agreement; it holds for every conference",
        quotes_input=True,
    ),
    "minutes-case-not-listed": Message("minutes: case {case_id} is not on conference {id}; add it or correct the id"),
    # -- cmtk/casework/file_checks.py -----------------------------------------------------------------------------
    "image-too-many-pixels": Message(
        "{shown}: claims more than {max_pixels} million pixels, more than any scan or photo needs (it may be "
        "built to exhaust memory); nothing was attached. Scan or export it smaller",
        quotes_input=True,
    ),
    "image-damaged": Message(
        "{shown}: is damaged or cut short (the image cannot be read to the end); scan it again",
        quotes_input=True,
    ),
    "pdf-damaged": Message(
        "{shown}: starts like a PDF but cannot be read as one (damaged or cut short); scan it again",
        quotes_input=True,
    ),
    "scan-not-found": Message("{shown}: no such file; check the name and the folder", quotes_input=True),
    "scan-is-folder": Message("{shown}: is a folder; give the scanned file inside it", quotes_input=True),
    "scan-not-regular": Message(
        "{shown}: is not a regular file (a device or a pipe); copy the scan to a file first",
        quotes_input=True,
    ),
    "scan-empty": Message("{shown}: is empty (0 bytes); scan the document again", quotes_input=True),
    "scan-too-large": Message(
        "{shown}: is {megabytes}, over this store's limit of {megabytes2} for one file (policy "
        "attachments.max_megabytes); scan it at a lower resolution (200 dpi is enough for a signature) or "
        "split it into parts",
        quotes_input=True,
    ),
    "scan-type-mismatch": Message(
        "{shown}: named {suffix} but is not {shown2} ({what}); nothing was attached. Check that it is the "
        "right file, and give it the extension that matches its content",
        quotes_input=True,
    ),
    "scan-type-not-allowed": Message(
        "{shown}: is {shown2}; a {kind} attachment must be {names}",
        quotes_input=True,
        shows_record=True,
    ),
    "scan-metadata-not-removed": Message(
        "{shown}: its metadata could not be taken out; save it again as a plain JPEG or PNG",
        quotes_input=True,
    ),
    "pdf-active-content": Message(
        "{shown}: the PDF carries {problem}, which can run code when it is opened; nothing was attached. "
        "Print it to a new PDF (or scan the paper again) and attach that",
        quotes_input=True,
    ),
    "scan-unreadable": Message(
        "{shown}: cannot be read ({strerror}); check its permissions",
        quotes_input=True,
    ),
    "scan-format": Message(
        "{shown}: is not a JPEG, PNG or PDF file, the only files a {kind} attachment may be; save the scan "
        "as PDF or JPEG, or attach it with --kind other",
        quotes_input=True,
    ),
    "scan-password-protected": Message(
        "{shown}: is protected with a password, so cmtk cannot check what it holds; save a copy without the "
        "password, then attach that",
        quotes_input=True,
    ),
    "scan-encrypted": Message(
        "{shown}: is encrypted in a way cmtk cannot check; save a copy without protection, then attach that",
        quotes_input=True,
    ),
    # -- cmtk/casework/history.py ---------------------------------------------------------------------------------
    "history-too-early": Message("the store has no history before the end of {day}", quotes_input=True),
    "case-not-yet-opened": Message("case {case_id} did not exist yet at the end of {day}", quotes_input=True),
    "history-no-such-case": Message("no case {case_id} in this store or its history; see `cmtk case list`"),
    # -- cmtk/casework/monitoring.py ------------------------------------------------------------------------------
    "visit-from-shape": Message(
        "--from: expects a mapping of section ids to their fields (see `cmtk form show monitoring`)"
    ),
    "visit-mode": Message("--mode: '{mode}' is not one of {modes}{suggest}", quotes_input=True),
    "visit-phone-seen": Message(
        "--seen with --mode phone: a phone call is recorded, but only seeing the child in person counts as a visit"
    ),
    "visit-contact-missing": Message(
        "monitoring: every contact says {names} ({missing}); give them in the --from file (see `cmtk form "
        "show monitoring`)",
        shows_record=True,
    ),
    "indicators-from-shape": Message(
        "--from: expects a mapping of section ids to their indicators (see `cmtk form show {form_id}`)",
        quotes_input=True,
    ),
    "date-future": Message("--date: {day} is in the future", quotes_input=True),
    # -- cmtk/casework/plan.py ------------------------------------------------------------------------------------
    "action-already-done": Message("action {action} of case {id} is already done", shows_record=True),
    "plan-missing": Message("case {id} has no pre-placement plan yet; add a goal first with `cmtk plan goal`"),
    "phase-option": Message("--phase: '{text}' is not one of pre, post", quotes_input=True),
    "phase-mismatch": Message(
        "'{text}' names the {named} plan but --phase says {phase}; give one of them",
        quotes_input=True,
    ),
    "plan-ref-ambiguous": Message(
        "{kind} {wanted} is in both the pre- and post-placement plans of case {id}; say which: "
        "{reference_of} or {reference_of2}",
        quotes_input=True,
    ),
    # -- cmtk/casework/policy.py ----------------------------------------------------------------------------------
    "policy-setting-missing": Message(".cmtk/policy.yaml: '{dotted}' is missing; add it (see cmtk's default policy)"),
    "policy-not-a-mapping": Message(
        ".cmtk/policy.yaml: must be a mapping of settings; see the comments in the default file"
    ),
    # -- cmtk/casework/references.py ------------------------------------------------------------------------------
    "no-such-row": Message("{owner} has no {kind} {wanted}; see {hint}", quotes_input=True),
    "row-number-ambiguous": Message(
        "{kind} {wanted} of {owner} is ambiguous: {count} {kind}s carry that number (refs {refs}), as when "
        "two laptops each added one before syncing; name it by its ref instead (see {hint})",
        quotes_input=True,
    ),
    # -- cmtk/casework/transitions.py -----------------------------------------------------------------------------
    "not-ready": Message("case {case_id} cannot {goal}: {count} requirement(s) missing"),
    "move-date-future": Message(
        "--date: {day} is in the future; record moves on the day they happen",
        quotes_input=True,
    ),
    "advance-case-not-open": Message(
        "case {id} is {status} at step {step}; nothing to advance (re-open it first if needed)",
        quotes_input=True,
    ),
    "case-already-open": Message("case {id} is already open (step {step_of})"),
    "reopen-step-range": Message("--step: {to_step} is not a step a case can re-open at (1 to {last_step})"),
    "close-case-not-open": Message(
        "case {id} is {status} already; re-open it first if it must close another way",
        quotes_input=True,
    ),
    "closure-form-missing": Message(
        "case {id} has no closure form saying why it closes; record it first: cmtk record {id} closure"
    ),
    "closure-is-transfer": Message(
        "a transfer is recorded with its own form, which names the receiving organisation: cmtk case transfer {id}"
    ),
    "closure-wrong-step": Message(
        "case {id} is at step {step}; a case closes for the reason '{reason}' only at step(s) {allowed}; "
        "correct the reason in the closure form (cmtk case edit {id} closure) if it is wrong",
        shows_record=True,
    ),
    "breakdown-case-not-open": Message(
        "case {id} is {status}; re-open it at the step to work on: cmtk case reopen {id}",
        quotes_input=True,
    ),
    "breakdown-too-early": Message(
        "case {id} is at step {step}: a placement can break down only once the child has moved (step {steps})"
    ),
    "placement-missing": Message("case {id} has no placement recorded; record it first: cmtk record {id} placement"),
    "transfer-case-not-open": Message("case {id} is {status}; only an open case can be transferred", quotes_input=True),
    "transfer-wrong-step": Message("case {id} is at step {step_of}; a transfer is possible at step(s) {steps}"),
    # -- cmtk/casework/workflow.py --------------------------------------------------------------------------------
    "no-such-step": Message("step {number} is not in the workflow; steps are 1 to {last_step}"),
    "closure-reason-unknown": Message(
        "the closure form gives the reason '{reason}', which no closure route of the workflow has (routes: "
        "{known}); add one under workflow: closure: routes in .cmtk/policy.yaml",
        shows_record=True,
    ),
    "case-file-missing": Message("case {id} has no case file record; run `cmtk doctor`"),
    "workflow-rule-unknown": Message("workflow gate '{gate}': unknown rule '{rule}'{suggest}"),
    # -- cmtk/index/reports.py ------------------------------------------------------------------------------------
    "report-no-such-case": Message("no case {case_id} in this store; see `cmtk case list`"),
    "review-missing": Message("case {case_id} has no case review yet; record one with `cmtk review {case_id}`"),
    # -- cmtk/index/sheet_import.py -------------------------------------------------------------------------------
    "sheet-problems": Message("{count} problem(s) in the sheet; nothing was imported"),
    "sheet-file-type": Message(
        "{path}: not a .csv or .xlsx file; save the sheet in one of those forms (Excel: Save As)"
    ),
    "sheet-column-unsure": Message(
        "column '{unsure}' does not name a field of the identification form; write a map with --write-map "
        "MAP.yaml, check it, then import with --map MAP.yaml",
        quotes_input=True,
    ),
    "sheet-no-such-file": Message("{path}: no such file; check the name and the folder"),
    "sheet-file-empty": Message("{path}: the file is empty"),
    "sheet-too-large": Message("{path}: larger than {max_bytes} MB; import the register in parts"),
    "sheet-not-text": Message("{path}: not a text (CSV) file; save the sheet as CSV UTF-8 or .xlsx"),
    "sheet-merged-cells": Message(
        "{path}: cells {coord} are merged; unmerge every cell (Home > Merge & Center off) so each row holds one child"
    ),
    "sheet-no-rows": Message("{path}: the sheet has no rows"),
    "sheet-no-headings": Message("{path}: the first row must hold the column headings"),
    "sheet-heading-twice": Message(
        "{path}: the heading '{twice}' appears twice; give each column its own heading",
        quotes_input=True,
    ),
    "sheet-too-many-rows": Message("{path}: {count} rows; import at most {max_rows} at a time (split the sheet)"),
    "map-not-found": Message("--map: {path}: no such file (make one with --write-map {path})"),
    "map-columns-format": Message(
        "--map: {path}: expects `columns:` mapping each heading to a field (see --write-map)"
    ),
    "map-values-format": Message("--map: {path}: `values:` maps a field to {{sheet word: choice}}, e.g. {{M: male}}"),
    "sheet-column-unmapped": Message(
        "column '{unmapped}' is not in the map; add it (a field, or `ignore`) or make a map with --write-map MAP.yaml",
        quotes_input=True,
    ),
    "sheet-xlsx-unreadable": Message("{path}: not an Excel (.xlsx) file that opens ({type_name})"),
    "sheet-heading-missing": Message("{path}: column {number} has no heading in the first row; name it or delete it"),
    "map-target-unknown": Message(
        "--map: {path}: column '{heading}': '{target}' is not a field{hint}",
        quotes_input=True,
    ),
    "sheet-cell-formula": Message(
        "{path}: cell {coordinate} holds a formula; copy the sheet and paste values only (Paste Special > Values)"
    ),
    # -- cmtk/index/summary.py ------------------------------------------------------------------------------------
    "git-ls-tree-failed": Message("git ls-tree failed: the store's history is damaged; run `cmtk doctor`"),
    "find-name-empty": Message("give part of a name or nickname to search for"),
    "status-option": Message("--status: '{status}' is not one of {statuses}", quotes_input=True),
    "index-damaged": Message("the summary index is damaged (its two files do not match); run `cmtk index rebuild`"),
    # -- cmtk/output/case_print.py --------------------------------------------------------------------------------
    "output-suffix-unknown": Message(
        "-o: {output} ends neither in .pdf nor in .html; choose one, or add --format pdf|html"
    ),
    "format-option": Message("--format: '{output_format}' is not one of {formats}", quotes_input=True),
    "lang-option": Message("--lang: '{lang}' is not one of {languages}", quotes_input=True),
    "print-format-option": Message("--format: '{given}' is not one of {formats}", quotes_input=True),
    "print-page-unplaced": Message("attachment {attachment_id}: its page {number} found no place in the printout"),
    # -- cmtk/output/pack.py --------------------------------------------------------------------------------------
    "pack-lang-option": Message("--lang: '{choice}' is not one of {lang_choices}", quotes_input=True),
    "pack-no-such-form": Message("--forms: no form '{name}'{hint} (see `cmtk form list`)", quotes_input=True),
    # -- cmtk/output/pagecheck.py ---------------------------------------------------------------------------------
    "page-reaches-outside": Message(
        "the printed page could reach outside itself: it would contain {what}; a template in "
        ".cmtk/templates/ may have been tampered with: remove it and print again",
        quotes_input=True,
    ),
    # -- cmtk/output/render.py ------------------------------------------------------------------------------------
    "pdf-needs-weasyprint": Message(
        "PDF output needs WeasyPrint: run `pip install 'cmtk-reintegration[pdf]'`; {system}. Meanwhile print the "
        "HTML output (the default) from a browser"
    ),
    "template-file-missing": Message(
        "template file {name} is missing from {templates_dir}; reinstall cmtk",
        quotes_input=True,
    ),
    "template-path-is-link": Message(
        "{step}: is a link; cmtk reads a store's templates only from inside the store (a copied store may "
        "point them at your identity): replace it with a plain folder or remove it"
    ),
    "template-error": Message("{filename}:{lineno}: template error: {detail}"),
    "template-sandbox": Message(
        "a template tried something templates may not do; remove the store's .cmtk/templates/ copy of {name} "
        "(or the file it includes) and print again",
        quotes_input=True,
    ),
    "template-missing": Message(
        "template {name} is missing; reinstall cmtk or fix the store's .cmtk/templates/",
        quotes_input=True,
    ),
    # -- cmtk/output/sharing.py -----------------------------------------------------------------------------------
    "share-to-secret-key": Message(
        "--to: that is a secret key (AGE-SECRET-KEY-1...), which must never leave its owner; ask the "
        "receiver for the public key that `cmtk key show` prints (age1...)"
    ),
    "share-forms-format": Message(
        "--forms: give one or more form ids separated by commas, e.g. --forms identification,case-plan"
    ),
    "case-file-duplicated": Message("case {id} has {count} case file records instead of one; run `cmtk doctor`"),
    "share-case-conflicts": Message(
        "case {id} has fields a sync could not merge; settle them with `cmtk conflicts` before sharing it"
    ),
    "share-too-many-files": Message(
        "--attachments: at most {max_attachments} files go in one share; choose them by id"
    ),
    "share-too-large": Message(
        "--attachments: the chosen files come to {megabytes}, more than the {megabytes2} one share holds; "
        "share them in two parts"
    ),
    "share-signature-invalid": Message(
        "the file carries a signature that does not match its content or was not made for you: it was "
        "changed after it was made, or forged; nothing was imported, ask the sender to share it again"
    ),
    "share-no-such-file": Message("{name}: no such file", quotes_input=True),
    "share-file-too-large": Message(
        "{name}: larger than {max_bundle_bytes} MB; a shared case is never that big, check the file",
        quotes_input=True,
    ),
    "share-file-empty": Message("{name}: is empty; ask the sender to share the case again", quotes_input=True),
    "share-not-age-file": Message(
        "{name}: not an age file, so not a case shared with `cmtk share`; nothing was imported",
        quotes_input=True,
    ),
    "share-not-text": Message("{where} is not a line of text"),
    "share-not-a-date": Message("{where} is not a date"),
    "share-not-a-step": Message("{where} is not a step from 1 to {last_step}"),
    "share-lacks-key": Message("{where} lacks '{missing}'", shows_record=True),
    "share-unknown-entries": Message(
        "{where} has {count} entr{plural} cmtk does not know; it was not made by `cmtk share`, or by a newer cmtk"
    ),
    "share-no-header": Message(
        "{name}: opens, but is not a case shared with `cmtk share` (no cmtk_share header)",
        quotes_input=True,
    ),
    "share-format-not-number": Message(
        "{name}: its share format is not a number; it was not made by `cmtk share`",
        quotes_input=True,
    ),
    "share-format-unsupported": Message(
        "{name}: share format {version} is not one this cmtk reads{hint}",
        quotes_input=True,
    ),
    "share-id-damaged": Message("{name}: its share id is damaged", quotes_input=True),
    "share-training-not-bool": Message("{name}: training is not true or false", quotes_input=True),
    "share-case-not-id": Message("{name}: case is not a case id", quotes_input=True),
    "share-forms-invalid": Message("{name}: forms is neither 'all' nor a list of form ids", quotes_input=True),
    "share-records-not-list": Message("{name}: records is not a list of records", quotes_input=True),
    "share-too-many-records": Message(
        "{name}: holds more than {max_records} records; no case is that big",
        quotes_input=True,
    ),
    "share-case-file-count": Message(
        "{name}: holds {count} case file records instead of one; ask the sender to share the case again",
        quotes_input=True,
    ),
    "share-attachments-invalid": Message(
        "{name}: attachments is not a list of at most {max_attachments} attached files",
        quotes_input=True,
    ),
    "share-not-an-attachment": Message("{where} is not an attached file"),
    "share-entry-id-damaged": Message("{where}: its id is damaged"),
    "share-kind-damaged": Message("{where}: its kind is damaged"),
    "share-extension-damaged": Message("{where}: its file extension is damaged"),
    "share-content-missing": Message("{where}: its content is missing"),
    "share-about-not-id": Message("{where}: the record it is about is not a record id"),
    "share-profile-not-bool": Message("{where}: profile is not true or false"),
    "share-not-a-record": Message("{where} is not a record"),
    "share-record-format": Message("{where} is in a record format this cmtk does not read"),
    "share-record-other-case": Message("{where} belongs to another case than the one the file shares"),
    "share-record-ids-damaged": Message("{where}: its record id or form id is damaged"),
    "share-body-not-a-mapping": Message("{where}: its body is not a mapping of sections"),
    "share-case-not-a-mapping": Message("{where} (the case file): case is not a mapping"),
    "share-status-unknown": Message("{where} (the case file): status is not one of {statuses}"),
    "share-events-not-list": Message("{where} (the case file): events is not a list"),
    "share-form-repeated": Message(
        "{name}: holds more than one '{repeated}' record, a form a case has only once",
        quotes_input=True,
    ),
    "share-training-into-real": Message(
        "{name} holds a fictional case from a TRAINING store; it cannot go into a real store (import it into "
        "a training store made with `cmtk demo`)",
        quotes_input=True,
    ),
    "share-real-into-training": Message(
        "{name} holds a real child's case, and this is a TRAINING store with a throwaway key; import it into "
        "your organisation's real store",
        quotes_input=True,
    ),
    "share-form-not-recorded": Message(
        "--forms: case {id} has no {unknown} record; its forms are: {recorded}",
        quotes_input=True,
    ),
    "share-attachments-format": Message("--attachments: give attachment ids separated by commas, or all"),
    "share-attachment-void": Message("--attachments: {void} is void; leave it out"),
    "share-not-for-you": Message(
        "{name}: cannot be opened with your key {public}...: it was shared with someone else's key, or it is "
        "damaged; ask the sender to share it again with --to and the key that `cmtk key show` prints",
        quotes_input=True,
    ),
    "share-created-invalid": Message("{name}: created is not a date and time", quotes_input=True),
    "share-not-a-mapping": Message("{at} is not a mapping"),
    "share-form-unknown": Message(
        "{where} is a '{form_id}' form, which this store does not have; add its definition to .cmtk/forms, "
        "or ask the sender to leave it out with --forms",
        quotes_input=True,
    ),
    "share-conference-form": Message(
        "{where} is a '{form_id}' form, which belongs to a case conference, not to a case",
        quotes_input=True,
    ),
    "share-unreadable": Message(
        "{name}: opens, but cannot be read: {reason}; it was not made by `cmtk share`, or it is damaged",
        quotes_input=True,
        shows_record=True,
    ),
    "share-already-imported": Message(
        "{name} was already imported as case {case_id}; nothing was imported again (see `cmtk case show {case_id}`)",
        quotes_input=True,
    ),
    "share-kind-unknown": Message(
        "{where} is a '{kind}', a kind this store does not have; add it to the policy (attachments.kinds), "
        "or ask the sender to leave it out",
        quotes_input=True,
    ),
    "share-attachment-too-large": Message("{where} is larger than this store's limit of {megabytes}"),
    "share-import-refused": Message("{detail}; nothing was imported"),
    # -- cmtk/output/userfiles.py ---------------------------------------------------------------------------------
    "output-exists": Message("{option}: {path} already exists; cmtk never overwrites a file: choose another name"),
    "output-folder-missing": Message("{option}: {parent} is not a folder; create it first or choose another place"),
    "output-is-link": Message("{path}: is a symbolic link; write the file somewhere else"),
    "output-inside-store": Message(
        "{option}: {path} is inside the store folder {root}; write it outside the store, e.g. {option} {home}"
    ),
    "output-create-failed": Message("{option}: {path}: cannot create it ({strerror})"),
    "output-open-failed": Message("{path}: cannot write ({strerror})"),
    "output-write-failed": Message("{option}: {shown}: cannot write it ({strerror})", quotes_input=True),
    "output-disk-full": Message("{option}: the disk is full; {shown} was not written", quotes_input=True),
    # -- cmtk/dev/demo.py -----------------------------------------------------------------------------------------
    "demo-folder-not-empty": Message("{folder}: exists and is not empty; choose a new folder for the demo"),
    "demo-data-unknown-stage": Message("demo data: unknown stage '{stage}'"),
    "demo-data-two-children": Message("demo data: two children share the id {case_id}; rename one"),
    # -- cmtk/dev/generate.py -------------------------------------------------------------------------------------
    "generate-folder-not-empty": Message("{folder}: exists and is not empty; choose a new folder"),
    "cases-option": Message("--cases: give at least 1"),
    # -- cmtk/cli/attach.py ---------------------------------------------------------------------------------------
    "attach-format-option": Message("--format: '{output_format}' is not one of table, json", quotes_input=True),
    # -- cmtk/cli/case.py -----------------------------------------------------------------------------------------
    "record-from-needed": Message(
        "no --from FILE given and no terminal to ask the questions on; use --from FILE or --from -"
    ),
    "record-usage-form": Message(
        "usage: cmtk record CASE FORM [--from FILE] (or: cmtk record void CASE RECORD --reason TEXT)"
    ),
    "reason-not-allowed": Message("--reason goes with `cmtk record void` or `cmtk record restore`"),
    "record-usage": Message("usage: cmtk record {words} CASE RECORD --reason TEXT"),
    "reason-needed": Message("cmtk record {words} needs --reason TEXT: say why, in a few words"),
    # -- cmtk/cli/conference.py -----------------------------------------------------------------------------------
    "participant-name-needed": Message("NAME: give the participant's name at the prompt or on standard input"),
    "print-what": Message("WHAT: '{what}' is not one of {printable}{suggest}", quotes_input=True),
    # -- cmtk/cli/form.py -----------------------------------------------------------------------------------------
    "form-format-option": Message("--format: '{output_format}' is not one of text, json", quotes_input=True),
    # -- cmtk/cli/form_pack.py ------------------------------------------------------------------------------------
    "pack-output-suffix": Message("-o: '{name}' must end in .pdf or .html", quotes_input=True),
    # -- cmtk/cli/form_render.py ----------------------------------------------------------------------------------
    "pdf-needs-output": Message("PDF is a binary file: add -o FILE.pdf"),
    "html-needs-output": Message(
        "HTML is for a browser, not the screen: add -o {form_id}.html, then open it and print",
        quotes_input=True,
    ),
    "filled-form-needs-output": Message(
        "a filled form holds personal data: write it to a file with -o FILE, not to the screen"
    ),
    "conference-form-no-case": Message("'{id}' is a conference form: it cannot be filled from a case; print it blank"),
    "filled-form-not-recorded": Message("case {case_id} has no '{id}' record yet; print a blank form without --case"),
    # -- cmtk/cli/inputs.py ---------------------------------------------------------------------------------------
    "from-input-too-large": Message(
        "--from: {name}: larger than 2 MB; a form is never that big, check the input",
        quotes_input=True,
    ),
    "from-empty": Message(
        "--from: {name}: is empty; write the form as YAML (see `cmtk form show FORM`)",
        quotes_input=True,
    ),
    "from-not-found": Message("--from: {source}: no such file"),
    "from-file-too-large": Message("--from: {source}: larger than 2 MB; a form is never that big, check the file"),
    # -- cmtk/cli/main.py -----------------------------------------------------------------------------------------
    "git-command-failed": Message("a git command failed"),
    # -- cmtk/cli/monitoring.py -----------------------------------------------------------------------------------
    "refer-usage": Message("usage: cmtk refer CASE --to ORG --reason R"),
    "refer-options-needed": Message("cmtk refer CASE needs --to ORG and --reason R"),
    "visit-from-needed": Message(
        "no --from FILE given and no terminal to ask on: a visit records {needed} (see `cmtk form show "
        "monitoring`); use --from FILE or --from -"
    ),
    "refer-done-usage": Message("usage: cmtk refer done CASE REF (REF: the referral's number or record id)"),
    # -- cmtk/cli/plan.py -----------------------------------------------------------------------------------------
    "domain-option": Message("--domain: '{domain}' is not one of {domains}{suggest}", quotes_input=True),
    "from-expects-mapping": Message("--from: expects a mapping with {questions}"),
    "from-unknown-key": Message("--from: unknown key '{unknown}'{suggest}; keys: {questions}", quotes_input=True),
    "from-needed": Message("no --from FILE given and no terminal to ask on; use --from FILE or --from -"),
    "plan-from-required": Message("{key}: is required ({questions})"),
    # -- cmtk/cli/report.py ---------------------------------------------------------------------------------------
    "ics-needs-output": Message("--format ics writes a calendar file: add -o FILE.ics"),
    # -- cmtk/cli/smart.py ----------------------------------------------------------------------------------------
    "smart-case-needed": Message("give one case id, or --all"),
    # -- cmtk/cli/store.py ----------------------------------------------------------------------------------------
    "passphrase-empty": Message("the passphrase is empty; type one, or leave out --passphrase"),
    "passphrase-mismatch": Message("the two passphrases differ; nothing was created"),
    "passphrase-weak": Message("{problem}. Nothing was created (add --weak-passphrase to keep it anyway)"),
    # -- cmtk/cli/supervision.py ----------------------------------------------------------------------------------
    "from-after-to": Message("--from {first} is after --to {last}", quotes_input=True),
    # -- cmtk/cli/sync.py -----------------------------------------------------------------------------------------
    "clone-no-identity": Message(
        "{identity_file}: no identity yet; make one with `cmtk key new`, give your public key to a team "
        "member, then clone"
    ),
    # -- cmtk/cli/team.py -----------------------------------------------------------------------------------------
    "team-remove-needs-yes": Message("removing a member re-encrypts the whole store; add --yes to confirm"),
    "team-accept-needs-yes": Message("add --yes to accept this team list (after checking it)"),
}


def error_text(code: str, /, **params: Any) -> str:
    """The message of error CODE (ERRORS), filled in."""
    return _fill(ERRORS, code, params)
