"""The message catalogue (cmtk/messages.py) is the one place findings are worded (issue 14, item 5).

Every catalogue key the code base uses exists, with exactly the parameters its template fills; every placeholder
is one that cannot hold case data; the one kind of message that echoes typed input never reaches `doctor`.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pytest
from helpers import make_store, minimal_body

from cmtk import messages
from cmtk.casework import cases, conference
from cmtk.findings import Finding
from cmtk.forms import definitions, validate
from cmtk.store import doctor
from cmtk.team import roster

PACKAGE = Path(__file__).resolve().parent.parent / "cmtk"
TODAY = dt.date(2026, 3, 1)

# Modules that word every finding through the catalogue: none of them may build a Finding by hand.
MOVED = [
    "store/doctor.py",
    "forms/validate.py",
    "team/transport.py",
    "casework/cases.py",
    "casework/conference.py",
    "casework/workflow.py",
]
# Helpers that take (where, KEY, **params): the catalogue's `finding` and the local wrappers around it.
HELPERS = {"finding", "add", "problem", "_check"}


def _constants(node: ast.AST) -> list[str]:
    """The string constants an argument can be: itself, or the branches of `a if x else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _constants(node.body) + _constants(node.orelse)
    return []


def _calls() -> list[tuple[str, int, str, set[str] | None]]:
    """(file, line, key, keyword names or None when **params are passed) of every helper call with a literal key."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if (
                name in ("text", "coded")
                and isinstance(node.func, ast.Attribute)
                and getattr(node.func.value, "id", "") == "messages"
            ):
                index = 0
            elif name in HELPERS and (name == "finding" or str(path).endswith(tuple(MOVED))):
                index = 1
            elif name in ("_item", "_everyone") and str(path).endswith("casework/conference.py"):
                # a checklist item: the label's key, then the keys saying how it stands (third; for an
                # "every participant" line, fourth and fifth); PARAMS fill them all
                keyed = (0, 2) if name == "_item" else (0, 3, 4)
                for arg in (node.args[i] for i in keyed if i < len(node.args)):
                    for key in _constants(arg):
                        found.append((str(path.relative_to(PACKAGE)), node.lineno, key, None))
                continue
            else:
                continue
            if len(node.args) <= index:
                continue
            key = node.args[index]
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                continue
            keywords = None if any(k.arg is None for k in node.keywords) else {k.arg for k in node.keywords if k.arg}
            if name == "_check" and keywords is not None:
                keywords.discard("wait_until")  # the Check's own field, not a placeholder
            found.append((str(path.relative_to(PACKAGE)), node.lineno, key.value, keywords))
    return found


def test_the_scan_finds_the_moved_checks():
    files = {file for file, *_ in _calls()}
    assert set(MOVED) <= files  # the scan would otherwise pass on nothing


def _wrong_uses(calls: list[tuple[str, int, str, set[str] | None]], table: dict[str, messages.Message]) -> list[str]:
    """The calls that name a key TABLE lacks, or pass other parameters than its template fills."""
    wrong = []
    for file, line, key, keywords in calls:
        if key not in table:
            wrong.append(f"{file}:{line}: unknown code {key!r}")
            continue
        wanted = messages.placeholders(table[key].template)
        if keywords is not None and keywords != wanted:
            wrong.append(f"{file}:{line}: {key} takes {sorted(wanted)}, given {sorted(keywords)}")
    return wrong


def _unused(calls: list[tuple[str, int, str, set[str] | None]], table: dict[str, messages.Message]) -> list[str]:
    return sorted(set(table) - {key for *_, key, _ in calls})


def test_every_key_used_is_in_the_catalogue_with_its_parameters():
    assert _wrong_uses(_calls(), messages.CATALOGUE) == []


def test_every_catalogue_entry_is_used():
    assert _unused(_calls(), messages.CATALOGUE) == []


def test_the_use_checks_can_fail():
    calls = [("x.py", 1, "no-such-code", None), ("x.py", 2, "date-format", {"field"})]
    assert _wrong_uses(calls, messages.ERRORS) == [
        "x.py:1: unknown code 'no-such-code'",
        "x.py:2: date-format takes ['field', 'hint', 'shown'], given ['field']",
    ]
    assert "date-format" not in _unused(calls, messages.ERRORS) and "git-missing" in _unused(calls, messages.ERRORS)


def test_moved_modules_build_no_finding_by_hand():
    by_hand = []
    for rel in MOVED:
        tree = ast.parse((PACKAGE / rel).read_text("utf-8"))
        by_hand += [
            f"{rel}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Finding"
        ]
    assert by_hand == []


def test_every_placeholder_is_one_that_cannot_hold_case_data():
    unsafe = {
        f"{key}: {{{name}}}"
        for key, entry in messages.CATALOGUE.items()
        for name in messages.placeholders(entry.template)
        if name not in messages.SAFE_PLACEHOLDERS
        and not (entry.quotes_input and name in messages.TYPED_PLACEHOLDERS)
        and not (entry.shows_record and name in messages.RECORD_PLACEHOLDERS)
    }
    assert sorted(unsafe) == []
    lists = (messages.SAFE_PLACEHOLDERS, messages.TYPED_PLACEHOLDERS, messages.RECORD_PLACEHOLDERS)
    assert all(reason.strip() for names in lists for reason in names.values())
    # a name is on one list only: its reason says what it holds
    assert sum(len(names) for names in lists) == len(set().union(*lists))


def test_record_placeholders_appear_only_in_messages_marked_as_showing_a_record():
    shows = {key for key, entry in messages.CATALOGUE.items() if entry.shows_record}
    assert shows  # the conference checklist shows names
    for key in shows:
        assert messages.placeholders_of(key) & set(messages.RECORD_PLACEHOLDERS), key  # marked for a reason


def test_keys_are_stable_codes():
    for key in messages.CATALOGUE:
        code, _, variant = key.partition(":")
        assert code and code == code.lower() and " " not in key, key
        assert messages.code_of(key) == code
    assert messages.code_of("unexpected-file:misplaced") == "unexpected-file"


def test_only_value_problems_echo_input_and_doctor_never_prints_them():
    quoting = {messages.code_of(k) for k, entry in messages.CATALOGUE.items() if entry.quotes_input}
    # SMART echoes the words of the sentence or plan it checks, for the person checking it; doctor never runs it
    checks = {code for code in quoting if not code.startswith("smart-")}
    assert checks == {"value", "before-opening"}
    # doctor prints a validation finding as where + the kind of its code, never its message
    assert checks <= set(messages.KINDS)


def test_text_refuses_a_missing_or_unexpected_parameter():
    assert messages.text("old-key", generation=2, current=3) == (
        "encrypted to store key generation 2, not the current 3"
    )
    with pytest.raises(KeyError, match="old-key"):
        messages.text("old-key", generation=2)
    with pytest.raises(KeyError, match="no-key"):
        messages.text("no-key", case="c1")
    with pytest.raises(KeyError):
        messages.text("no-such-message")


def test_finding_carries_the_code_and_where():
    made = messages.finding("cases/ab/x.age", "unexpected-file:misplaced")
    assert made == Finding(
        "cases/ab/x.age", "unexpected-file", messages.CATALOGUE["unexpected-file:misplaced"].template
    )
    assert made.where == "cases/ab/x.age"
    assert str(made).startswith("cases/ab/x.age: not where cmtk keeps attached files")


def test_the_team_warning_is_worded_once():
    assert roster.TEAM_TAMPERED is messages.TEAM_TAMPERED
    assert messages.CATALOGUE["key-team"].template.startswith(messages.TEAM_TAMPERED)


# -- tests assert codes and places, not wording: validation ----------------------------------------


def test_validation_reports_codes_and_places():
    form = definitions.load_form("identification")
    section = form.sections[0]
    _, findings = validate.validate_body(form, {section.id: {"no_such_field": "x"}, "no_such_section": {}}, today=TODAY)
    got = {(f.where, f.code) for f in findings}
    assert ("identification: no_such_section", "unknown-section") in got
    assert (f"identification: {section.id}.no_such_field", "unknown-field") in got
    _, findings = validate.validate_body(form, ["not", "a", "mapping"], today=TODAY)
    assert [(f.where, f.code) for f in findings] == [("identification", "shape")]


def test_a_refused_value_is_a_value_finding_and_doctor_hides_it():
    form = definitions.load_form("identification")
    where, field = next((s.id, f) for s, f in form.all_fields() if f.type == "select_one")
    _, findings = validate.validate_body(form, {where: {field.name: "Wambui-secret"}}, today=TODAY)
    refused = [f for f in findings if f.code == "value"]
    assert [f.where for f in refused] == [f"identification: {where}.{field.name}"]
    assert "Wambui-secret" in refused[0].message  # echoed to the person typing it


def test_doctor_reports_a_refused_value_by_its_kind_only(tmp_path):
    session, _ = make_store(tmp_path)
    case_id = cases.create_case(session, "identification", {"biographical": {"sex": "Wambui-secret"}})
    found = [f for f in doctor.check(session) if f.code == "invalid"]
    assert any(f"biographical.sex: {messages.kind('value')}" in f.message for f in found)
    assert all(case_id in f.message and "Wambui-secret" not in f.message for f in found)


# -- what a valid record cannot say about its case; the conference checklist ----------------------


def test_a_date_before_birth_names_the_field_but_never_the_date_of_birth(tmp_path):
    session, _ = make_store(tmp_path)
    case_id = cases.create_case(
        session, "identification", {"biographical": {"first_name": "Amani", "date_of_birth": dt.date(2014, 4, 12)}}
    )
    case = cases.read_case(session, case_id)
    form = definitions.load_form("case-notes")
    found = cases.case_findings(case, form, {}, dt.date(1999, 3, 1))
    assert [(f.where, f.code) for f in found] == [("case-notes: --date", "before-birth")]
    assert "2014" not in found[0].message and "1999" not in found[0].message


def test_the_conference_checklist_items_are_findings_with_codes(tmp_path):
    session, _ = make_store(tmp_path)
    conference_id = conference.create(session, day=dt.date(2026, 3, 10), kind="internal", chair="Asha", venue="")
    items = conference.checklist(session, conference.read(session, conference_id), TODAY)
    assert [i.code for i in items] == [
        "check-cases",
        "check-venue",
        "check-participants",
        "check-invitations",
        "check-confirmations",
        "check-agreements",
        "check-report",
        "check-closed",
    ]
    assert all(isinstance(i, Finding) for i in items)
    venue = items[1]
    assert (venue.label, venue.met, venue.detail) == ("Venue booked", False, "no venue recorded")
    assert str(venue) == "Venue booked: no venue recorded"


# -- every user-facing error is a catalogue entry with a code (messages.ERRORS) ---------------------

# Helpers that take a finished message as their first argument: they must be given `messages.error_text(...)`.
MESSAGE_HELPERS = {"_refuse", "_Problem"}


def _error_classes() -> set[str]:
    """Every class in cmtk/ that derives, directly or not, from CmtkError (by name)."""
    bases: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
    family = {"CmtkError"}
    while True:
        more = {name for name, parents in bases.items() if parents & family} - family
        if not more:
            return family
        family |= more


def _literal_text(node: ast.AST) -> bool:
    """A message written in place: a string, an f-string, or one joined with + from them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) or isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _literal_text(node.left) or _literal_text(node.right)
    return False


def _sources():
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name in ("messages.py", "errors.py"):
            continue
        yield str(path.relative_to(PACKAGE)), ast.parse(path.read_text("utf-8"))


def _error_calls() -> list[tuple[str, int, str, set[str] | None]]:
    """(file, line, code, keyword names or None) of every `X.of("code", ...)` and `messages.error_text("code", ...)`."""
    family = _error_classes()
    found = []
    for file, tree in _sources():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args):
                continue
            of = node.func.attr == "of" and getattr(node.func.value, "id", None) in family
            text = node.func.attr == "error_text" and getattr(node.func.value, "id", None) == "messages"
            if not (of or text):
                continue
            code = node.args[0]
            assert isinstance(code, ast.Constant) and isinstance(code.value, str), f"{file}:{node.lineno}: code"
            keywords = None if any(k.arg is None for k in node.keywords) else {k.arg for k in node.keywords if k.arg}
            found.append((file, node.lineno, code.value, keywords))
    return found


def test_no_error_is_worded_in_place():
    family = _error_classes()
    assert {"CmtkError", "UsageError", "ValidationError", "GitError", "DefinitionError", "PageRefused"} <= family
    in_place = []
    for file, tree in _sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", None)
            if (name in family or name in MESSAGE_HELPERS) and _literal_text(node.args[0]):
                in_place.append(f"{file}:{node.lineno}: {ast.unparse(node)[:80]}")
    assert in_place == []


def test_the_error_scan_finds_every_folder():
    folders = {file.split("/")[0] for file, *_ in _error_calls()}
    assert {"store", "team", "casework", "forms", "index", "output", "smart", "dev", "cli", "dates.py"} <= folders


def test_every_error_code_used_exists_with_its_parameters():
    assert _wrong_uses(_error_calls(), messages.ERRORS) == []


def test_every_error_code_is_used():
    assert _unused(_error_calls(), messages.ERRORS) == []


def test_error_placeholders_follow_the_rule_and_the_marks_are_needed():
    wrong = []
    for code, entry in messages.ERRORS.items():
        assert code == code.lower() and " " not in code, code
        names = messages.placeholders(entry.template)
        for name in names:
            if name in messages.SAFE_PLACEHOLDERS:
                continue
            if entry.quotes_input and name in messages.TYPED_PLACEHOLDERS:
                continue
            if entry.shows_record and name in messages.RECORD_PLACEHOLDERS:
                continue
            wrong.append(f"{code}: {{{name}}}")
        # a mark says the message carries such a value: it must fill one
        if entry.quotes_input and not names & set(messages.TYPED_PLACEHOLDERS):
            wrong.append(f"{code}: marked quotes_input but echoes nothing typed")
        if entry.shows_record and not names & set(messages.RECORD_PLACEHOLDERS):
            wrong.append(f"{code}: marked shows_record but shows nothing recorded")
    assert wrong == []


def test_an_error_raised_by_code_keeps_its_code_and_exit_status():
    from cmtk.errors import CmtkError, GitError, UsageError, ValidationError

    error = UsageError.of("print-format-option", given="yaml", formats="table, json")
    assert (error.code, error.exit_code, str(error)) == (
        "print-format-option",
        2,
        "--format: 'yaml' is not one of table, json",
    )
    assert isinstance(error, CmtkError)
    again = ValidationError.like(error)
    assert (again.code, again.exit_code, again.message) == ("print-format-option", 1, error.message)
    assert GitError.of("git-busy").detail == ""
    assert CmtkError("composed elsewhere").code == ""
    with pytest.raises(KeyError, match="print-format-option"):
        UsageError.of("print-format-option", given="yaml")
    with pytest.raises(KeyError):
        messages.error_text("no-such-error")


def test_workflow_gates_word_their_findings_through_the_catalogue():
    tree = ast.parse((PACKAGE / "casework/workflow.py").read_text("utf-8"))
    by_hand = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Check"
    ]
    assert len(by_hand) == 1  # the one inside `_check`, which takes a catalogue key
    gates = [key for key in messages.CATALOGUE if key.startswith("gate-")]
    assert len(gates) > 40


def test_a_gate_result_carries_its_code(tmp_path):
    from cmtk.casework import policy as policy_module
    from cmtk.casework import workflow

    session, _ = make_store(tmp_path)
    case_id = cases.open_case(session, minimal_body("identification"))
    case = cases.read_case(session, case_id)
    found = workflow.requirements(
        case, 2, policy=policy_module.load(session.store.root), today=TODAY, form_loader=definitions.load_form
    )
    assert found and all(r.code.startswith("gate-") for r in found)
    assert all("code" not in r.to_json() for r in found)  # JSON output is unchanged
    missing = [r for r in found if not r.met]
    assert missing and {r.code for r in missing} <= {messages.code_of(k) for k in messages.CATALOGUE}


def test_smart_findings_carry_the_code_of_their_message():
    from cmtk.smart import checker

    found = checker.check_text("We will help the family soon")
    assert found and all(f.code.startswith("smart-") for f in found)
    assert all(type(f.message) is str for f in found)  # a plain str once in a finding
    by_letter = {f.letter: f.code for f in found}
    assert by_letter["M"] == "smart-text-not-measurable"
    as_finding = found[0].as_finding()
    assert isinstance(as_finding, Finding) and as_finding.where == "text" and as_finding.code == found[0].code
    assert str(checker.SmartFinding("G2", None, "R", "x")) == "goal G2: R: x"  # built by hand: no code
    assert checker.SmartFinding("G2", None, "R", "x").code == ""
    plan = checker.check_plan([{"goal_id": "1", "goal": "x"}], [], today=TODAY)
    assert {f.code for f in plan} >= {"smart-goal-no-actions-who", "smart-goal-no-actions-deadline"}


def test_coded_text_is_the_text_with_its_code():
    worded = messages.coded("smart-no-deadline", thing="deadline", example="10-02-2026", date_form="day-month-year")
    assert worded == messages.text(
        "smart-no-deadline", thing="deadline", example="10-02-2026", date_form="day-month-year"
    )
    assert worded.code == "smart-no-deadline"


# -- how a code is named (docs/decisions.md, "One message catalogue for every error") ---------------------------
# A code names the subject first, then the problem (`attachment-content-mismatch`, `identity-inside-store`), in at
# most five kebab-case words. The words below are the marks of a code cut from a message's first words (as about
# 330 codes once were: `content-does-match-record` said the opposite of its problem): helper verbs and pronouns,
# a possessive's `s`, advice that belongs to the message (`...-remove`, `...-see`), or a problem word in front.
CODE_WORD = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
NEVER_IN_A_CODE = {
    *("s", "cmtk", "does", "do", "did", "could", "would", "must", "should", "your", "yourself", "that", "which"),
    *("than", "been", "so", "there", "e", "way", "something", "nothing", "entr", "though", "but", "let", "neither"),
    *("nor", "longer"),
}
NEVER_LAST = {
    *("a", "an", "the", "in", "at", "for", "with", "by", "from", "and", "or", "is", "be", "it", "its", "one"),
    *("first", "as", "if", "each", "any", "some", "such"),
    *("remove", "resolve", "add", "save", "copy", "choose", "print", "see", "keep", "give", "leave", "run", "ask"),
    *("check", "use", "make", "delete", "try", "create"),
}
NEVER_FIRST = {
    *("holds", "already", "contains", "below", "above", "larger", "too", "cannot", "exists", "says", "keeps", "two"),
    *("same", "another", "other", "second", "named", "starts", "claims", "damaged", "add", "give", "write", "make"),
    *("decrypts", "opens", "names", "both", "printed", "future", "may", "would", "could", "does", "your", "that"),
    *("you", "must", "over", "protected", "encrypted", "regular", "symbolic", "inside", "link", "plain", "o", "such"),
}


def _naming_problems(key: str) -> list[str]:
    """What is wrong with how KEY (a code, or `code:variant`) is named; empty when nothing is."""
    problems = []
    for position, part in enumerate(key.split(":")):
        words = part.split("-")
        if not CODE_WORD.match(part):
            problems.append(f"{part!r} is not kebab-case")
        if len(words) > 5:
            problems.append(f"{part!r} has more than 5 words")
        if len(set(words)) < len(words):
            problems.append(f"{part!r} repeats a word")
        problems += [f"{part!r} holds {word!r}" for word in words if word in NEVER_IN_A_CODE]
        if words[-1] in NEVER_LAST:
            problems.append(f"{part!r} ends in {words[-1]!r}")
        if position == 0 and words[0] in NEVER_FIRST:
            problems.append(f"{part!r} starts with {words[0]!r}")
    return problems


def test_every_code_is_named_subject_first_in_a_few_plain_words():
    keys = [*messages.ERRORS, *messages.CATALOGUE]
    assert {key: _naming_problems(key) for key in keys if _naming_problems(key)} == {}
    codes = [*messages.ERRORS, *{messages.code_of(key) for key in messages.CATALOGUE}]
    assert len(codes) == len(set(codes))  # an error code never shares its name with a finding code


@pytest.mark.parametrize(
    ("generated", "problem"),
    [
        ("content-does-match-record", "holds 'does'"),
        ("record-date-date", "repeats a word"),
        ("file-point-identity-your", "holds 'your'"),
        ("encryption-could-verified-nothing", "holds 'could'"),
        ("org-give-organisation-s", "holds 's'"),
        ("identity-file-create-one", "ends in 'one'"),
        ("plain-file-remove", "ends in 'remove'"),
        ("holds-secret-keys-cmtk", "starts with 'holds'"),
        ("smart-policy-list-not-a-mapping", "more than 5 words"),
        ("Date_Format", "not kebab-case"),
        ("unexpected-file:Misplaced", "not kebab-case"),
    ],
)
def test_the_naming_rule_refuses_codes_cut_from_a_message(generated, problem):
    assert any(problem in found for found in _naming_problems(generated)), _naming_problems(generated)
