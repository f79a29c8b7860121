"""Bad input at every command that reads a file or an argument: one clear error, exit 1 or 2,
no traceback, and the store byte-for-byte unchanged.

Every combination runs as a real process (marked slow); each bad file, id and date also runs once
in-process through typer's runner, for the one-minute loop (`make test-fast`).

"The store" is the working tree and the git repository; cmtk's own derived
files in .git/cmtk/ (the lock, the summary index, the settings cache) are
left out of the comparison because reading may refresh them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import make_store, minimal_body, run_in_process
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cmtk.casework import cases

BAD_FILES = {
    "empty": b"",
    "truncated": b"biographical:\n  first_name: Ama\n  surname: [unclosed\n",
    "binary": bytes(range(256)) * 4,
    "huge": b"biographical:\n  first_name: " + b"x" * (10 * 1024 * 1024) + b"\n",
    "deeply-nested": b"biographical: " + b"[" * 5000 + b"]" * 5000 + b"\n",
    "wrong-type": b"- just\n- a list\n",
    "wrong-field-type": b"biographical:\n  first_name: [1, 2]\n  surname: X\n  sex: female\n",
    "unicode-rtl": "biographical:\n  first_name: \u202eailA\n  surname: عربي\n  sex: female\n".encode(),
    "alias-bomb": (
        b"a: &a [x, x, x, x, x, x, x, x, x]\n"
        b"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    ),
    "custom-tag": b"biographical: !!python/object/apply:os.system ['touch /tmp/cmtk-pwned']\n",
    "impossible-date": b"biographical:\n  first_name: A\n  surname: B\n  sex: female\n  date_of_birth: 31-02-2026\n",
    "month-13": b"biographical:\n  first_name: A\n  surname: B\n  sex: female\n  date_of_birth: 2026-13-01\n",
    "duplicate-keys": b"biographical:\n  first_name: A\n  first_name: B\n",
    "not-utf8": "biographical:\n  first_name: Amína\n".encode("latin-1"),
}
BAD_IDS = ["ZZZZZZZZ", "../../etc", "a/b", "", "K7Q2MX4", "-rf", "cases/AB/ABCDEFGH"]
BAD_DATES = ["31-02-2026", "2026-13-01", "soon", "24/11/26", "2026-02-30", ""]


def fingerprint(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(".git/cmtk") or not path.is_file():
            continue
        digest.update(rel.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("bad")
    session, key_path = make_store(tmp_path)
    case_id = cases.open_case(session, minimal_body("identification"))
    env = {"CMTK_STORE": str(session.store.root), "CMTK_IDENTITY": str(key_path), "CMTK_TODAY": "2026-11-24"}
    run(["report", "overdue"], env)  # warm the derived files once
    return session.store.root, case_id, env, tmp_path


def run(args, env):
    import os

    return subprocess.run(
        [sys.executable, "-m", "cmtk", *args], capture_output=True, text=True, env={**os.environ, **env}, timeout=120
    )


def check(result, root, before, code: str | None = None):
    """Refused cleanly, nothing changed; with CODE (the run had --debug), refused with that catalogue code."""
    assert result.returncode in (1, 2), (result.returncode, result.stdout[-300:], result.stderr[-300:])
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and any(line.startswith(("Error:", "Usage:")) for line in lines), result.stderr
    assert fingerprint(root) == before
    if code is not None:
        assert f"(error code: {code})" in result.stderr, result.stderr


# The catalogue code (cmtk/messages.py) each bad form file is refused with (`record ... --from FILE`).
FILE_CODES = {
    "empty": "from-empty",
    "truncated": "yaml-error",
    "binary": "yaml-not-utf8",
    "huge": "from-file-too-large",
    "deeply-nested": "yaml-too-deep",
    "wrong-type": "invalid-record",
    "wrong-field-type": "invalid-record",
    "unicode-rtl": "invalid-record",
    "alias-bomb": "yaml-aliases",
    "custom-tag": "yaml-error",
    "impossible-date": "invalid-record",
    "month-13": "invalid-record",
    "duplicate-keys": "yaml-error",
    "not-utf8": "yaml-not-utf8",
}
# ... each bad case id (`case show ID`); "-rf" is an unknown option to click, which has no code.
ID_CODES = {"ZZZZZZZZ": "no-such-case-hint", "-rf": None}
# ... each bad date given as an option (`visit ID --date DATE`).
DATE_CODES = {
    "31-02-2026": "date-not-real",
    "2026-13-01": "date-not-real",
    "soon": "date-format",
    "24/11/26": "date-two-digit-year",
    "2026-02-30": "date-not-real",
    "": "date-format",
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(BAD_FILES))
@pytest.mark.parametrize(
    "command", ["case new", "record", "conference minutes", "review", "plan goal", "case transfer"]
)
def test_bad_files(world, kind, command):
    root, case_id, env, tmp_path = world
    path = tmp_path / f"{kind}.yaml"
    path.write_bytes(BAD_FILES[kind])
    before = fingerprint(root)
    args = {
        "case new": ["case", "new", "--from", str(path)],
        "record": ["record", case_id, "case-notes", "--from", str(path)],
        "conference minutes": ["conference", "minutes", "ABCDEFGH", "--from", str(path)],
        "review": ["review", case_id, "--from", str(path)],
        "plan goal": ["plan", "goal", case_id, "--domain", "education", "--from", str(path)],
        "case transfer": ["case", "transfer", case_id, "--from", str(path)],
    }[command]
    check(run(args, env), root, before)
    assert not Path("/tmp/cmtk-pwned").exists()


@pytest.mark.slow
@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize(
    "command",
    [
        ["case", "show"],
        ["step"],
        ["advance"],
        ["case", "history"],
        ["plan", "show"],
        ["smart", "check"],
        ["report", "benchmarks"],
        ["case", "edit", "{id}", "identification"],
    ],
)
def test_bad_case_ids(world, bad, command):
    root, _, env, _ = world
    before = fingerprint(root)
    args = [part.replace("{id}", bad) for part in command] if "{id}" in command else [*command, bad]
    check(run(args, env), root, before)


@pytest.mark.slow
@pytest.mark.parametrize("bad", BAD_DATES)
@pytest.mark.parametrize(
    "command",
    [
        ["visit", "{id}", "--date"],
        ["advance", "{id}", "--date"],
        ["plan", "done", "{id}", "1.1", "--date"],
        ["report", "overdue", "--as-of"],
        ["case", "show", "{id}", "--at"],
        ["case", "new", "--date"],
    ],
)
def test_bad_dates(world, bad, command):
    root, case_id, env, tmp_path = world
    before = fingerprint(root)
    args = [part.replace("{id}", case_id) for part in command] + [bad]
    if args[:2] == ["case", "new"]:
        intake = tmp_path / "intake.yaml"
        intake.write_text("biographical:\n  first_name: A\n  surname: B\n  sex: female\n  estimated_age: 9\n")
        args += ["--from", str(intake)]
    result = run(args, env)
    check(result, root, before)
    assert result.returncode == 2, result.stderr  # a malformed date on the command line is a usage error


def test_a_bad_date_inside_a_form_file_is_invalid_input_not_a_usage_error(world):
    root, case_id, env, tmp_path = world
    before = fingerprint(root)
    note = tmp_path / "note.yaml"
    note.write_text("note:\n  date: 31-02-2026\n  text: A visit\n")
    result = run_in_process(["--debug", "record", case_id, "case-notes", "--from", str(note)], env)
    check(result, root, before, "invalid-record")
    assert result.returncode == 1


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ["case", "--from", "x", "new"],
        ["--as-of", "2026-01-01", "report", "overdue"],
        ["report", "overdue", "--format", "xml"],
        ["form", "show", "../../etc/passwd"],
        ["form", "render", "identification", "--lang", "fr"],
        ["team", "add"],
        ["visit", "{id}", "--date"],
        ["refer", "{id}", "--to", "Clinic"],
        ["conference", "new", "--kind", "party", "--date", "2026-01-01", "--chair", "X"],
    ],
)
def test_options_and_arguments_in_the_wrong_place(world, args):
    root, case_id, env, _ = world
    before = fingerprint(root)
    check(run([a.replace("{id}", case_id) for a in args], env), root, before)


@pytest.mark.slow
@given(st.binary(max_size=400))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_random_bytes_as_a_form(world, data):
    root, case_id, env, tmp_path = world
    path = tmp_path / "random.yaml"
    path.write_bytes(data)
    before = fingerprint(root)
    result = run(["record", case_id, "case-notes", "--from", str(path)], env)
    if result.returncode == 0:  # random bytes that happen to be a valid case note are recorded: fine, not an error
        return
    check(result, root, before)


@pytest.mark.slow
@pytest.mark.parametrize("bad", ["", "31-02-2026"])
def test_conference_dates_that_default_to_today_still_refuse_bad_input(world, bad):
    """Review: an empty --date on `conference invite` was silently read as today."""
    root, _, env, _ = world
    before = fingerprint(root)
    check(run(["conference", "invite", "ABCDEFGH", "Someone", "--date", bad], env), root, before)


def _bad_bundles(tmp_path: Path, key_path: Path) -> dict[str, bytes]:
    """BAD_FILES, plus age files that open but hold no git bundle, or that are for someone else."""
    from cmtk.store import crypto, identity

    mine = identity.load(key_path)
    stranger = crypto.generate()
    found = {kind: data for kind, data in BAD_FILES.items() if kind != "huge"}
    found["age-with-garbage-inside"] = crypto.encrypt(b"# v2 git bundle\nnot really\n", [mine.recipient])
    found["age-yaml-inside"] = crypto.encrypt(BAD_FILES["alias-bomb"], [mine.recipient])
    found["age-for-someone-else"] = crypto.encrypt(b"anything", [stranger.recipient])
    found["age-truncated"] = crypto.encrypt(b"x" * 5000, [mine.recipient])[:300]
    return found


@pytest.mark.slow
def test_bad_bundle_files_for_sync_and_clone(world):
    """Issue 10 for issue 9's inputs: a USB bundle that is empty, truncated, binary, not a bundle, for another key."""
    root, _, env, tmp_path = world
    key_path = Path(env["CMTK_IDENTITY"])
    bundle = tmp_path / "stick" / "cci.age"
    bundle.parent.mkdir(exist_ok=True)
    assert run(["remote", "add", "stick", str(bundle)], env).returncode == 0
    for kind, data in _bad_bundles(tmp_path, key_path).items():
        bundle.write_bytes(data)
        before = fingerprint(root)
        check(run(["sync", "stick"], env), root, before)
        target = tmp_path / f"clone-{kind}"
        result = run(["clone", str(bundle), str(target)], env)
        check(result, root, before)
        assert not target.exists(), kind
    assert run(["remote", "remove", "stick"], env).returncode == 0


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_each_bad_file_in_process(world, kind):
    root, case_id, env, tmp_path = world
    path = tmp_path / f"inprocess-{kind}.yaml"
    path.write_bytes(BAD_FILES[kind])
    before = fingerprint(root)
    result = run_in_process(["--debug", "record", case_id, "case-notes", "--from", str(path)], env)
    check(result, root, before, FILE_CODES[kind])


@pytest.mark.parametrize("bad", BAD_IDS)
def test_each_bad_case_id_in_process(world, bad):
    root, _, env, _ = world
    before = fingerprint(root)
    result = run_in_process(["--debug", "case", "show", bad], env)
    check(result, root, before, ID_CODES.get(bad, "case-id-format"))


@pytest.mark.parametrize("bad", BAD_DATES)
def test_each_bad_date_in_process_is_a_usage_error(world, bad):
    root, case_id, env, _ = world
    before = fingerprint(root)
    result = run_in_process(["--debug", "visit", case_id, "--date", bad], env)
    check(result, root, before, DATE_CODES[bad])
    assert result.returncode == 2, result.stderr


def test_the_code_tables_cover_every_bad_input():
    assert set(FILE_CODES) == set(BAD_FILES) and set(DATE_CODES) == set(BAD_DATES)
    from cmtk import messages

    used = {*FILE_CODES.values(), *DATE_CODES.values(), *ID_CODES.values(), "case-id-format"} - {None, "invalid-record"}
    assert used <= set(messages.ERRORS)


def test_a_bad_date_inside_a_form_file_is_a_value_finding(world):
    """Through the library: the record is refused with findings that carry codes, not only text."""
    from cmtk.casework.cases import InvalidRecord, check_body
    from cmtk.forms import definitions
    from cmtk.store.session import Store

    root, _, env, _ = world
    session = Store(root).unlock(Path(env["CMTK_IDENTITY"]))
    form = definitions.load_form("case-notes")
    with pytest.raises(InvalidRecord) as refused:
        check_body(session, form, {"note": {"date": "31-02-2026", "text": "A visit"}}, dt.date(2026, 11, 24))
    assert refused.value.code == "invalid-record"
    assert [(f.where, f.code) for f in refused.value.findings] == [("case-notes: note.date", "value")]
