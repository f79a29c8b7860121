"""`cmtk share` and `cmtk case import`: one case to another agency's store, readable by its receiver only."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path

import pyrage
import pytest
from helpers import CANARY_FIRST, CANARY_NICK, CANARY_SURNAME, canary_body, invoke, record_on, run_cmtk
from test_bad_input import fingerprint

from cmtk.casework import cases
from cmtk.dev import demo
from cmtk.index import summary
from cmtk.output import sharing
from cmtk.store import crypto, yamlio
from cmtk.store.session import Store

TODAY = "2026-11-24"


class Side:
    """One organisation: its store, its caseworker's identity and the environment that makes cmtk use them."""

    def __init__(self, folder: Path, name: str, org: str) -> None:
        from cmtk.store import create, identity

        folder.mkdir(parents=True)
        self.key_path = folder / "identity.txt"
        me = identity.create(self.key_path)
        self.public = me.public
        self.root = folder / "store"
        create.create_store(self.root, organisation=org, me=me, worker=name)
        self.env = {"CMTK_STORE": str(self.root), "CMTK_IDENTITY": str(self.key_path), "CMTK_TODAY": TODAY}

    @property
    def session(self):
        return Store(self.root).unlock(self.key_path)

    def run(self, *args: str):
        return invoke(list(args), env=self.env)


@pytest.fixture
def world(tmp_path):
    sender = Side(tmp_path / "sender", "Amina Otieno", "Tumaini Children's Home")
    receiver = Side(tmp_path / "receiver", "Rita Wekesa", "Upendo Rescue Centre")
    session = sender.session
    body = canary_body()
    body.pop("notes")
    case_id = cases.open_case(session, body, date=dt.date(2026, 10, 1), today=dt.date(2026, 11, 24))
    cases.record_form(
        session,
        case_id,
        "case-notes",
        {"note": {"date": "2026-10-02", "text": "Visited the aunt in Molo"}},
        date=dt.date(2026, 10, 2),
        today=dt.date(2026, 11, 24),
    )
    record_on(session, case_id, "child-assent", dt.date(2026, 10, 3), dt.date(2026, 11, 24))
    out = tmp_path / "out"
    out.mkdir()
    return sender, receiver, case_id, out


def _open(path: Path, key_path: Path) -> dict:
    pair = crypto.parse_identity_text(key_path.read_text(), "test")
    return yamlio.loads(pyrage.decrypt(path.read_bytes(), [pair.identity]), "test")


def _seal(document, public: str) -> bytes:
    text = document if isinstance(document, bytes) else yamlio.dumps(document).encode()
    return pyrage.encrypt(text, [pyrage.x25519.Recipient.from_str(public)])


def _share(world, *extra: str, name: str = "case.age") -> Path:
    sender, receiver, case_id, out = world
    result = sender.run("share", case_id, "--to", receiver.public, "-o", str(out / name), *extra)
    assert result.exit_code == 0, result.output
    return out / name


# -- sharing ---------------------------------------------------------------------------------------


def test_share_round_trip_into_another_organisations_store(world):
    sender, receiver, case_id, out = world
    before = fingerprint(sender.root)
    result = sender.run("share", case_id, "--to", receiver.public, "-o", str(out / "case.age"))
    assert result.exit_code == 0, result.output
    assert f"Wrote {out / 'case.age'}: 4 record(s) of case {case_id}" in result.output
    assert f"encrypted to {receiver.public} only" in result.output
    assert (out / "case.age").stat().st_mode & 0o777 == 0o600
    assert fingerprint(sender.root) == before, "sharing must not change the sender's store"

    imported = receiver.run("case", "import", str(out / "case.age"))
    assert imported.exit_code == 0, imported.output
    assert f"Imported case {case_id} of Tumaini Children's Home (shared {TODAY} by Amina Otieno)" in imported.output
    assert "step 1, open. You are its caseworker." in imported.output
    session = receiver.session
    [new_id] = session.store.case_ids()
    assert f"as case {new_id}: 4 record(s)" in imported.output
    source = cases.read_case(sender.session, case_id)
    copy = cases.read_case(session, new_id)
    assert sorted(r.form for r in copy.records) == sorted(r.form for r in source.records)
    assert not {r.record for r in copy.records} & {r.record for r in source.records}
    for form in ("identification", "case-notes", "child-assent"):
        theirs, ours = source.latest(form), copy.latest(form)
        assert (ours.body, ours.date, ours.created, ours.created_by) == (
            theirs.body,
            theirs.date,
            theirs.created,
            theirs.created_by,
        )
        assert ours.case == new_id and ours.key_generation == session.store.current_generation
    info = copy.case_file
    assert info["worker"] == "Rita Wekesa" and info["status"] == "open" and info["step"] == 1
    assert info["opened"] == dt.date(2026, 10, 1)
    assert info["imported_from"]["case"] == case_id
    assert info["imported_from"]["organisation"] == "Tumaini Children's Home"
    assert info["imported_from"]["shared"] == dt.date(2026, 11, 24)
    assert copy.events[-1] == {
        "date": dt.date(2026, 11, 24),
        "from": 1,
        "to": 1,
        "by": "Rita Wekesa",
        "what": "imported",
    }
    assert copy.name == f"{CANARY_FIRST} {CANARY_SURNAME}"
    # one commit, `create NEWID`, by the receiver
    log = subprocess.run(
        ["git", "-C", str(receiver.root), "log", "-1", "--format=%an|%s"], capture_output=True, text=True
    ).stdout
    assert log.strip() == f"Rita Wekesa|create {new_id}"

    listed = json.loads(receiver.run("case", "list", "--format", "json").output)
    assert [(c["case"], c["name"], c["worker"], c["step"]) for c in listed] == [
        (new_id, f"{CANARY_FIRST} {CANARY_SURNAME}", "Rita Wekesa", 1)
    ]
    found = receiver.run("case", "find", CANARY_NICK)
    assert found.exit_code == 0 and new_id in found.output
    overdue = json.loads(receiver.run("report", "overdue", "--format", "json").output)
    assert {(i["case"], i["kind"], i["worker"]) for i in overdue["items"]} == {
        (new_id, "initial-assessment", "Rita Wekesa"),
        (new_id, "comprehensive-assessment", "Rita Wekesa"),
        (new_id, "conference-presentation", "Rita Wekesa"),  # a new case here: to be presented at a conference
    }
    caseload = json.loads(receiver.run("report", "caseload", "--format", "json").output)
    assert caseload["workers"]["Rita Wekesa"]["open"] == 1
    assert receiver.run("doctor").exit_code == 0


def test_forms_option_shares_only_those_forms_and_the_case_file(world):
    sender, receiver, case_id, out = world
    path = _share(world, "--forms", " Case-Notes ,identification")
    document = _open(path, receiver.key_path)
    assert sorted(r["form"] for r in document["records"]) == ["case-file", "case-notes", "identification"]
    assert document["forms"] == ["case-notes", "identification"]
    assert document["cmtk_share"] == 1 and document["case"] == case_id
    assert document["organisation"] == "Tumaini Children's Home" and document["shared_by"] == "Amina Otieno"
    assert document["training"] is False
    assert all("key_generation" not in r for r in document["records"])
    assert receiver.run("case", "import", str(path)).exit_code == 0
    [new_id] = receiver.session.store.case_ids()
    assert sorted(r.form for r in cases.read_case(receiver.session, new_id).records) == [
        "case-file",
        "case-notes",
        "identification",
    ]


def test_only_the_case_file_when_it_is_the_only_form_asked_for(world):
    sender, receiver, case_id, out = world
    path = _share(world, "--forms", "case-file")
    assert [r["form"] for r in _open(path, receiver.key_path)["records"]] == ["case-file"]
    result = receiver.run("case", "import", str(path))
    assert result.exit_code == 0
    assert "no identification form, so `cmtk case find` cannot find it by name" in result.output


def test_the_age_tool_alone_opens_a_share_with_the_receivers_identity(world):
    sender, receiver, case_id, out = world
    path = _share(world)
    data = path.read_bytes()
    assert data.startswith(b"age-encryption.org/v1\n"), "binary age, not armoured"
    header = data.split(b"\n---", 1)[0]
    assert header.count(b"\n-> X25519 ") == 1, "encrypted to one key only"
    assert CANARY_FIRST.encode() not in data
    plaintext = subprocess.run(
        ["age", "-d", "-i", str(receiver.key_path), str(path)], capture_output=True, check=True
    ).stdout
    assert len(plaintext) % crypto.PAD_BUCKET == 0, "padded like records"
    document = yamlio.loads(plaintext, "age")
    assert document["cmtk_share"] == 1
    assert CANARY_FIRST.encode() in plaintext and b"Visited the aunt in Molo" in plaintext
    refused = subprocess.run(["age", "-d", "-i", str(sender.key_path), str(path)], capture_output=True)
    assert refused.returncode != 0, "the sender's own identity cannot open it"


@pytest.mark.parametrize(
    "bad",
    [
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
        "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ",
        "age1qqqqqqqq",
        "age1lyd5dj4dvtu0fakkajczyhse94yvav5w2c8dlh6j8m9wc3axuapsn8avvX",
        "",
    ],
)
def test_anything_but_an_x25519_public_key_is_refused(world, bad):
    sender, receiver, case_id, out = world
    result = sender.run("share", case_id, "--to", bad, "-o", str(out / "x.age"))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: --to:")
    assert not (out / "x.age").exists()
    if bad.startswith("AGE-SECRET"):
        assert "secret key" in lines[0] and bad[16:] not in lines[0]


def test_unknown_forms_are_refused_naming_the_cases_forms(world):
    sender, receiver, case_id, out = world
    result = sender.run(
        "share", case_id, "--to", receiver.public, "--forms", "identification,placement", "-o", str(out / "x.age")
    )
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: --forms: case {case_id} has no 'placement' record; "
        "its forms are: case-notes, child-assent, identification"
    )
    assert not (out / "x.age").exists()
    empty = sender.run("share", case_id, "--to", receiver.public, "--forms", " , ", "-o", str(out / "x.age"))
    assert empty.exit_code == 2 and "--forms" in empty.output


def test_default_file_name_holds_only_the_case_id_and_date_and_is_never_overwritten(world, monkeypatch):
    sender, receiver, case_id, out = world
    monkeypatch.chdir(out)
    first = sender.run("share", case_id, "--to", receiver.public)
    assert first.exit_code == 0, first.output
    path = out / f"share-{case_id}-{TODAY}.age"
    assert path.is_file() and path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in out.iterdir()] == [path.name]
    data = path.read_bytes()
    again = sender.run("share", case_id, "--to", receiver.public)
    assert again.exit_code == 1 and "already exists" in again.output and "--output" in again.output
    assert path.read_bytes() == data


def test_never_inside_the_store_and_never_through_a_link(world, monkeypatch):
    sender, receiver, case_id, out = world
    before = fingerprint(sender.root)
    inside = sender.run("share", case_id, "--to", receiver.public, "-o", str(sender.root / "cases" / "x.age"))
    assert inside.exit_code == 1 and "inside the store folder" in inside.output
    monkeypatch.chdir(sender.root)
    default = sender.run("share", case_id, "--to", receiver.public)
    assert default.exit_code == 1 and "inside the store folder" in default.output and "--output" in default.output
    (out / "link.age").symlink_to(out / "elsewhere.age")
    linked = sender.run("share", case_id, "--to", receiver.public, "-o", str(out / "link.age"))
    assert linked.exit_code == 1 and "already exists" in linked.output
    assert not (out / "elsewhere.age").exists()
    missing = sender.run("share", case_id, "--to", receiver.public, "-o", str(out / "nowhere" / "x.age"))
    assert missing.exit_code == 1 and "not a folder" in missing.output
    assert fingerprint(sender.root) == before
    assert not list(sender.root.rglob("*.age.part")) and not (sender.root / "x.age").exists()


def test_unknown_case_and_conflicted_case_are_refused(world):
    sender, receiver, case_id, out = world
    unknown = sender.run("share", "ZZZZZZZZ", "--to", receiver.public, "-o", str(out / "x.age"))
    assert unknown.exit_code == 1 and "no case ZZZZZZZZ" in unknown.output
    import dataclasses

    session = sender.session
    record = cases.read_case(session, case_id).latest("case-notes")
    session.save(
        case_id,
        [dataclasses.replace(record, extra={"conflicts": [{"field": "note.text", "kept": "a", "other": "b"}]})],
        "update",
    )
    conflicted = sender.run("share", case_id, "--to", receiver.public, "-o", str(out / "x.age"))
    assert conflicted.exit_code == 1 and "`cmtk conflicts`" in conflicted.output
    assert not (out / "x.age").exists()


# -- importing -------------------------------------------------------------------------------------


def test_importing_the_same_file_twice_is_refused_naming_the_case(world):
    sender, receiver, case_id, out = world
    path = _share(world)
    assert receiver.run("case", "import", str(path)).exit_code == 0
    [new_id] = receiver.session.store.case_ids()
    before = fingerprint(receiver.root)
    again = receiver.run("case", "import", str(path))
    assert again.exit_code == 1
    assert (
        again.output.strip() == f"Error: {path} was already imported as case {new_id}; "
        f"nothing was imported again (see `cmtk case show {new_id}`)"
    )
    assert fingerprint(receiver.root) == before


def test_a_second_share_of_the_same_case_is_a_second_case_with_a_warning(world):
    sender, receiver, case_id, out = world
    first = _share(world, name="first.age")
    second = _share(world, name="second.age")
    assert receiver.run("case", "import", str(first)).exit_code == 0
    [earlier] = receiver.session.store.case_ids()
    result = receiver.run("case", "import", str(second))
    assert result.exit_code == 0
    assert f"Warning: the same case of Tumaini Children's Home was imported before as case {earlier}" in result.output
    assert len(receiver.session.store.case_ids()) == 2


def _good_document(world) -> dict:
    sender, receiver, case_id, out = world
    return _open(_share(world, name="good.age"), receiver.key_path)


def _record(document: dict, form: str) -> dict:
    return next(r for r in document["records"] if r["form"] == form)


def _mutate(kind: str, document: dict) -> dict | list | bytes:
    if kind == "wrong-type":
        return ["just", "a", "list"]
    if kind == "no-header":
        document.pop("cmtk_share")
    if kind == "newer-format":
        document["cmtk_share"] = 2
    if kind == "unknown-top-key":
        document["password"] = "x"
    if kind == "no-records":
        document["records"] = []
    if kind == "record-not-a-mapping":
        document["records"].append("identification")
    if kind == "record-of-another-case":
        _record(document, "case-notes")["case"] = "ZZZZZZZZ"
    if kind == "unknown-form":
        _record(document, "case-notes")["form"] = "secret-form"
    if kind == "conference-form":
        _record(document, "case-notes")["form"] = "conference-minutes"
    if kind == "invalid-body":
        _record(document, "identification")["body"]["biographical"]["favourite_colour"] = "blue"
    if kind == "body-not-a-mapping":
        _record(document, "child-assent")["body"] = ["a", "list"]
    if kind == "no-case-file":
        document["records"] = [r for r in document["records"] if r["form"] != "case-file"]
    if kind == "two-case-files":
        document["records"].append(dict(_record(document, "case-file")))
    if kind == "bad-step":
        _record(document, "case-file")["body"]["case"]["step"] = 12
    if kind == "bad-status":
        _record(document, "case-file")["body"]["case"]["status"] = "deleted"
    if kind == "bad-date":
        _record(document, "case-notes")["date"] = "yesterday"
    if kind == "twice-a-form-that-is-once":
        document["records"].append({**_record(document, "identification"), "record": "ANOTHER123"})
    if kind == "training-case":
        document["training"] = True
    if kind == "alias-bomb":
        return (
            b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\ncmtk_share: 1\n"
        )
    if kind == "deeply-nested":
        return b"cmtk_share: " + b"[" * 5000 + b"]" * 5000 + b"\n"
    if kind == "custom-tag":
        return b"cmtk_share: !!python/object/apply:os.system ['touch /tmp/cmtk-pwned']\n"
    if kind == "not-utf8":
        return "cmtk_share: 1\norganisation: Amína\n".encode("latin-1")
    if kind == "not-yaml":
        return b"cmtk_share: [unclosed\n"
    return document


BAD_DOCUMENTS = [
    "wrong-type",
    "no-header",
    "newer-format",
    "unknown-top-key",
    "no-records",
    "record-not-a-mapping",
    "record-of-another-case",
    "unknown-form",
    "conference-form",
    "invalid-body",
    "body-not-a-mapping",
    "no-case-file",
    "two-case-files",
    "bad-step",
    "bad-status",
    "bad-date",
    "twice-a-form-that-is-once",
    "training-case",
    "alias-bomb",
    "deeply-nested",
    "custom-tag",
    "not-utf8",
    "not-yaml",
]
EXPECTED = {
    "wrong-type": "not a case shared with `cmtk share`",
    "no-header": "no cmtk_share header",
    "newer-format": "upgrade cmtk",
    "unknown-top-key": "not made by `cmtk share`",
    "no-records": "not a list of records",
    "record-not-a-mapping": "is not a record",
    "record-of-another-case": "belongs to another case",
    "unknown-form": "'secret-form' form, which this store does not have",
    "conference-form": "belongs to a case conference",
    "invalid-body": "does not pass this store's checks",
    "body-not-a-mapping": "body is not a mapping",
    "no-case-file": "0 case file records",
    "two-case-files": "2 case file records",
    "bad-step": "not a step from 1 to 8",
    "bad-status": "status is not one of",
    "bad-date": "date is not a date",
    "twice-a-form-that-is-once": "more than one 'identification' record",
    "training-case": "TRAINING store",
    "alias-bomb": "anchors and aliases",
    "deeply-nested": "nested more than",
    "custom-tag": "YAML",
    "not-utf8": "not UTF-8",
    "not-yaml": "YAML error at line",
}


FAST_DOCUMENTS = {"wrong-type", "invalid-body", "training-case", "alias-bomb"}  # one of each kind of check


@pytest.mark.parametrize(
    "kind", [k if k in FAST_DOCUMENTS else pytest.param(k, marks=pytest.mark.slow) for k in BAD_DOCUMENTS]
)
def test_a_bad_document_is_refused_with_one_error_and_the_store_unchanged(world, kind):
    sender, receiver, case_id, out = world
    document = _good_document(world)
    receiver.run("report", "overdue")  # warm the derived files
    before = fingerprint(receiver.root)
    path = out / f"{kind}.age"
    path.write_bytes(_seal(_mutate(kind, document), receiver.public))
    result = receiver.run("case", "import", str(path))
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith(f"Error: {path}") and EXPECTED[kind] in lines[0], lines
    if kind == "invalid-body":
        assert lines[1] == "  identification: biographical.favourite_colour: no such field in section biographical"
    else:
        assert len(lines) == 1, lines
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert CANARY_FIRST not in result.output
    assert fingerprint(receiver.root) == before
    assert receiver.session.store.case_ids() == []
    assert not os.path.exists("/tmp/cmtk-pwned")


@pytest.mark.parametrize(
    "kind",
    [
        "someone-elses-key",
        "truncated",
        *(
            pytest.param(kind, marks=pytest.mark.slow)
            for kind in ("binary", "empty", "plaintext", "armoured-garbage", "missing", "huge")
        ),
    ],
)
def test_a_bad_file_is_refused_with_one_error_and_the_store_unchanged(world, kind):
    sender, receiver, case_id, out = world
    good = _share(world, name="good.age").read_bytes()
    before = fingerprint(receiver.root)
    path = out / f"{kind}.age"
    contents = {
        "someone-elses-key": lambda: _seal(
            _open(
                _share(
                    world,
                    name="for-sender.age",
                ),
                receiver.key_path,
            ),
            sender.public,
        ),
        "truncated": lambda: good[: len(good) // 2],
        "binary": lambda: bytes(range(256)) * 16,
        "empty": lambda: b"",
        "plaintext": lambda: yamlio.dumps(_open(out / "good.age", receiver.key_path)).encode(),
        "armoured-garbage": lambda: (
            b"-----BEGIN AGE ENCRYPTED FILE-----\nnot really\n-----END AGE ENCRYPTED FILE-----\n"
        ),
        "huge": lambda: b"age-encryption.org/v1\n",
    }
    if kind != "missing":
        path.write_bytes(contents[kind]())
    if kind == "huge":  # sparse: only its size matters
        with path.open("r+b") as handle:
            handle.truncate(sharing.MAX_BUNDLE_BYTES + 1)
    result = receiver.run("case", "import", str(path))
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {path}"), lines
    expected = {
        "someone-elses-key": "cannot be opened with your key",
        "truncated": "cannot be opened with your key",
        "binary": "not an age file",
        "empty": "is empty",
        "plaintext": "not an age file",
        "armoured-garbage": "cannot be opened with your key",
        "missing": "no such file",
        "huge": f"larger than {sharing.MAX_BUNDLE_BYTES // (1024 * 1024)} MB",
    }
    assert expected[kind] in lines[0]
    assert fingerprint(receiver.root) == before


def test_a_share_from_a_training_store_never_enters_a_real_one_nor_the_reverse(tmp_path, world):
    sender, receiver, case_id, out = world
    built = demo.build(tmp_path / "demo", dt.date(2026, 11, 24))
    env = {"CMTK_STORE": str(built.store), "CMTK_IDENTITY": str(built.identity), "CMTK_TODAY": TODAY}
    demo_case = Store(built.store).case_ids()[0]
    made = invoke(["share", demo_case, "--to", receiver.public, "-o", str(out / "training.age")], env=env)
    assert made.exit_code == 0, made.output
    before = fingerprint(receiver.root)
    refused = receiver.run("case", "import", str(out / "training.age"))
    assert refused.exit_code == 1 and "fictional case from a TRAINING store" in refused.output
    assert fingerprint(receiver.root) == before
    demo_public = crypto.parse_identity_text(built.identity.read_text(), "demo").public
    real = sender.run("share", case_id, "--to", demo_public, "-o", str(out / "real.age"))
    assert real.exit_code == 0
    refused = invoke(["case", "import", str(out / "real.age")], env=env)
    assert refused.exit_code == 1 and "a real child's case, and this is a TRAINING store" in refused.output


@pytest.mark.slow
def test_every_demo_case_survives_a_round_trip_with_its_step_schedule_and_scores(tmp_path, monkeypatch):
    """Two training stores: each fictional case shared and imported keeps what the reports read from it."""
    source = demo.build(tmp_path / "a", dt.date(2026, 11, 24))
    target = demo.build(tmp_path / "b", dt.date(2026, 11, 24))
    sender = Store(source.store).unlock(source.identity)
    receiver = Store(target.store).unlock(target.identity)
    monkeypatch.setenv("CMTK_TODAY", TODAY)
    mapping = {}
    for case_id in sender.store.case_ids():
        path = tmp_path / f"{case_id}.age"
        sharing.share_case(sender, case_id, receiver.me.public, output=path)
        mapping[case_id] = sharing.import_bundle(receiver, path).case
    theirs, ours = summary.load(sender), summary.load(receiver)
    for old, new in mapping.items():
        a, b = theirs[old], ours[new]
        assert (b["status"], b["step"], b["opened"], b["name"], b["bench"]) == (
            a["status"],
            a["step"],
            a["opened"],
            a["name"],
            a["bench"],
        )
        assert b["worker"] == "Trainer"
        assert [d[:2] for d in b["due"]] == [d[:2] for d in a["due"]]
        assert b["events"][:-1] == a["events"] and b["events"][-1] == [TODAY, a["step"], a["step"], "imported"]
    benchmarks = invoke(
        ["report", "benchmarks", mapping["XV51SGSH"], "--format", "json"],
        env={"CMTK_STORE": str(target.store), "CMTK_IDENTITY": str(target.identity)},
    )
    assert benchmarks.exit_code == 0 and json.loads(benchmarks.stdout)["closure_ready"] is True
    assert (
        invoke(["doctor"], env={"CMTK_STORE": str(target.store), "CMTK_IDENTITY": str(target.identity)}).exit_code == 0
    )


def test_an_imported_case_counts_in_the_export_from_the_day_it_was_imported(world):
    sender, receiver, case_id, out = world
    assert receiver.run("case", "import", str(_share(world))).exit_code == 0

    def figure(*args):
        rows = [line.split(",") for line in receiver.run("export", *args).output.splitlines()]
        return {(r[0], r[1]): r[2] for r in rows[1:] if len(r) > 2}

    assert figure()[("cases", "total")] == "1"
    assert figure("--as-of", "2026-11-23")[("cases", "total")] == "0"


@pytest.mark.slow
def test_share_and_import_through_real_processes(world):
    sender, receiver, case_id, out = world
    path = out / "proc.age"
    made = run_cmtk(["share", case_id.lower(), "--to", receiver.public, "--output", str(path)], env=sender.env)
    assert made.returncode == 0, made.stderr
    assert "only: nobody else can open it" in made.stdout
    taken = run_cmtk(["case", "import", str(path)], env=receiver.env)
    assert taken.returncode == 0, taken.stderr
    assert "You are its caseworker" in taken.stdout and "delete it" in taken.stdout
    again = run_cmtk(["case", "import", str(path)], env=receiver.env)
    assert again.returncode == 1 and again.stderr.startswith("Error: ") and "already imported" in again.stderr
    assert again.stderr.count("\n") == 1
