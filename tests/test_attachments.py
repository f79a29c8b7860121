"""Attachments (issue 18): scans and photos kept with a case, encrypted, checked on the way in, immutable.

Every command through the CLI, the `age` CLI alone opening an attached file, sync of attachments
between two copies, sharing them, doctor finding a swapped file, and each bad input refused with one
line and nothing written.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
from pathlib import Path

import pytest
from conftest import needs_age
from helpers import invoke, make_store, minimal_body
from test_bad_input import fingerprint

from cmtk.casework import attachments, cases
from cmtk.errors import CmtkError
from cmtk.store import attachments as blobs
from cmtk.store import records, yamlio
from cmtk.store.session import Store

TODAY = "2026-11-24"
GPS_MAKER = "Tecnophonia"  # a distinctive phone maker in the EXIF of the test photo


def jpeg_with_gps(path: Path, size=(600, 800)) -> Path:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).rectangle((50, 50, 300, 200), outline="black", width=4)
    exif = Image.Exif()
    exif[0x010F] = GPS_MAKER
    exif[0x0110] = "Model 7"
    exif[0x0112] = 6  # rotated: the orientation must survive
    exif[0x8825] = {1: "S", 2: (1.0, 17.0, 30.0), 3: "E", 4: (36.0, 49.0, 0.0)}
    image.save(
        path,
        "JPEG",
        exif=exif.tobytes(),
        comment=b"scanned at the Ndovutaka office",
        xmp=b"<x:xmpmeta>" + GPS_MAKER.encode() + b" XMP</x:xmpmeta>",
        quality=85,
    )
    return path


def png(path: Path, size=(300, 400)) -> Path:
    from PIL import Image

    Image.new("RGB", size, "lightblue").save(path, "PNG")
    return path


def pdf(path: Path, pages: int = 2, action: dict | None = None) -> Path:
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    if action:
        entry = DictionaryObject(
            {NameObject(k): (NameObject(v) if v.startswith("/") else TextStringObject(v)) for k, v in action.items()}
        )
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(entry)
    with path.open("wb") as handle:
        writer.write(handle)
    return path


@pytest.fixture
def world(tmp_path):
    session, key_path = make_store(tmp_path)
    case_id = cases.open_case(session, minimal_body("identification"), today=dt.date(2026, 11, 24))
    env = {"CMTK_STORE": str(session.store.root), "CMTK_IDENTITY": str(key_path), "CMTK_TODAY": TODAY}
    files = tmp_path / "scans"
    files.mkdir()
    return session.store.root, case_id, env, files, key_path


def run(env, *args):
    return invoke(list(args), env=env)


def test_attach_list_get_void_through_the_cli(world, tmp_path):
    root, case_id, env, files, _ = world
    scan = pdf(files / "consent.pdf", pages=2)
    done = run(env, "attach", case_id, str(scan), "--kind", "consent", "--about", "identification", "--note", "signed")
    assert done.exit_code == 0, done.output
    assert "Attached consent to case" in done.output and "PDF, 2 pages" in done.output
    assert f"{scan} is still on this computer" in done.output  # the reminder about the original
    assert scan.exists()
    attachment_id = done.output.split("as attachment ")[1].split()[0]
    assert Store(root).git.run("log", "-1", "--format=%s") == f"update {case_id}"

    listed = run(env, "attachment", "list", case_id)
    assert attachment_id in listed.output and "consent" in listed.output and "signed" in listed.output
    shown = run(env, "case", "show", case_id)
    assert "Attached files (1" in shown.output and attachment_id in shown.output
    assert "attachment " not in shown.output.split("Attached files")[0]  # not listed among the forms

    out = tmp_path / "out" / "back.pdf"
    out.parent.mkdir()
    got = run(env, "attachment", "get", case_id, attachment_id, "-o", str(out))
    assert got.exit_code == 0, got.output
    assert out.read_bytes() == scan.read_bytes()
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    again = run(env, "attachment", "get", case_id, attachment_id, "-o", str(out))
    assert again.exit_code == 1 and "already exists" in again.output
    inside = run(env, "attachment", "get", case_id, attachment_id, "-o", str(root / "x.pdf"))
    assert inside.exit_code == 1 and "inside the store folder" in inside.output

    voided = run(env, "attachment", "void", case_id, attachment_id, "--reason", "wrong child")
    assert voided.exit_code == 0, voided.output
    assert "VOID (wrong child)" in run(env, "attachment", "list", case_id).output
    twice = run(env, "attachment", "void", case_id, attachment_id, "--reason", "again")
    assert twice.exit_code == 1 and "already void" in twice.output
    assert blobs.blob_path(Store(root).case_dir(case_id), attachment_id).is_file()  # void keeps the file


def test_image_metadata_is_removed_and_said_so_and_the_orientation_kept(world, tmp_path):
    from PIL import Image

    root, case_id, env, files, key_path = world
    photo = jpeg_with_gps(files / "photo.jpg")
    done = run(env, "attach", case_id, str(photo), "--kind", "photo", "--profile")
    assert done.exit_code == 0, done.output
    assert "Removed from the image before it was stored: GPS position, camera or phone make" in done.output
    assert "profile photo" in done.output
    session = Store(root).unlock(key_path)
    found = attachments.profile_photo(cases.read_case(session, case_id))
    data = attachments.content(session, found)
    assert GPS_MAKER.encode() not in data and b"Ndovutaka" not in data
    stored = Image.open(io.BytesIO(data))
    assert dict(stored.getexif()) == {0x0112: 6}
    assert stored.size == (600, 800)
    assert "metadata_removed" in found.info


@needs_age
def test_the_age_tool_alone_opens_an_attached_file(world, tmp_path):
    root, case_id, env, files, key_path = world
    scan = pdf(files / "letter.pdf", pages=1)
    attachment_id = (
        run(env, "attach", case_id, str(scan), "--kind", "approval-letter").output.split("attachment ")[1].split()[0]
    )
    store = Store(root)
    shm = tmp_path / "shm"
    shm.mkdir(mode=0o700)

    def age(*args):
        return subprocess.run(["age", *args], capture_output=True, check=True).stdout

    # The steps docs/store.md shows: store key, then the attachment's record, then its file.
    (shm / "store-key.txt").write_bytes(age("-d", "-i", str(key_path), str(store.key_path(1))))
    folder = store.case_dir(case_id)
    record = records.decode(age("-d", "-i", str(shm / "store-key.txt"), str(folder / f"{attachment_id}.age")), "age")
    info = record.body["attachment"]
    (shm / "file-key.txt").write_text(info["file_key"] + "\n")
    padded = age("-d", "-i", str(shm / "file-key.txt"), str(folder / "files" / f"{attachment_id}.age"))
    assert padded[: info["size"]] == scan.read_bytes()
    assert len(padded) == blobs.bucket(info["size"])


def test_sizes_are_padded_to_buckets():
    assert blobs.bucket(1) == 64 * 1024
    assert blobs.bucket(64 * 1024) == 64 * 1024
    assert blobs.bucket(64 * 1024 + 1) > 64 * 1024
    sizes = [blobs.bucket(n) for n in range(1, 12 * 1024 * 1024, 9973)]
    assert len(set(sizes)) < 40  # a few dozen buckets up to 12 MB
    for n in (100_000, 1_000_000, 3_000_000, 10_000_000):
        assert n <= blobs.bucket(n) <= n * 1.2 + 4096 and blobs.bucket(n) % 4096 == 0
    assert blobs.pad(b"abc")[:3] == b"abc" and len(blobs.pad(b"abc")) == 64 * 1024


def test_a_swapped_or_stray_attached_file_is_found_by_doctor_and_refused_on_reading(world):
    root, case_id, env, files, key_path = world
    first = run(env, "attach", case_id, str(pdf(files / "a.pdf")), "--kind", "consent").output
    second = run(env, "attach", case_id, str(png(files / "b.png")), "--kind", "photo").output
    first_id, second_id = (text.split("as attachment ")[1].split()[0] for text in (first, second))
    assert run(env, "doctor").exit_code == 0
    folder = Store(root).case_dir(case_id) / "files"
    (folder / f"{first_id}.age").write_bytes((folder / f"{second_id}.age").read_bytes())
    (folder / "ZZZZZZZZZZ.age").write_bytes((folder / f"{second_id}.age").read_bytes())
    report = run(env, "doctor")
    assert report.exit_code == 1
    assert f"files/{first_id}.age: does not open with the key its record holds" in report.output
    assert "files/ZZZZZZZZZZ.age: an attached file without its record" in report.output
    got = run(env, "attachment", "get", case_id, first_id, "-o", str(files / "back.pdf"))
    assert got.exit_code == 1 and "does not open with the key its record holds" in got.output
    assert not (files / "back.pdf").exists()


def test_profile_photo_moves_and_only_photos_qualify(world):
    root, case_id, env, files, key_path = world
    one = run(env, "attach", case_id, str(png(files / "one.png")), "--kind", "photo", "--profile").output
    two = run(env, "attach", case_id, str(png(files / "two.png")), "--kind", "photo").output
    letter = run(env, "attach", case_id, str(pdf(files / "l.pdf")), "--kind", "consent").output
    one_id, two_id, letter_id = (t.split("as attachment ")[1].split()[0] for t in (one, two, letter))
    session = Store(root).unlock(key_path)
    assert attachments.profile_photo(cases.read_case(session, case_id)).id == one_id
    assert run(env, "attachment", "profile", case_id, two_id).exit_code == 0
    case = cases.read_case(Store(root).unlock(key_path), case_id)
    assert attachments.profile_photo(case).id == two_id
    assert [a.id for a in attachments.of_case(case) if a.info.get("profile")] == [two_id]
    refused = run(env, "attachment", "profile", case_id, letter_id)
    assert refused.exit_code == 1 and "only a photo" in refused.output
    flag = run(env, "attach", case_id, str(pdf(files / "m.pdf")), "--kind", "consent", "--profile")
    assert flag.exit_code == 2 and "--profile" in flag.output
    run(env, "attachment", "void", case_id, two_id, "--reason", "blurred")
    assert attachments.profile_photo(cases.read_case(Store(root).unlock(key_path), case_id)) is None


def test_attachment_history_and_the_case_at_a_date_skip_the_files(world):
    root, case_id, env, files, _ = world
    done = run(env, "attach", case_id, str(pdf(files / "a.pdf")), "--kind", "consent").output
    attachment_id = done.split("as attachment ")[1].split()[0]
    run(env, "attachment", "void", case_id, attachment_id, "--reason", "duplicate")
    history = run(env, "case", "history", case_id)
    assert history.exit_code == 0, history.output
    assert "attachment" in history.output and "void.reason" in history.output
    assert "AGE-SECRET-KEY" not in history.output
    at = run(env, "case", "show", case_id, "--at", dt.date.today().isoformat())  # commits carry the real time
    assert at.exit_code == 0, at.output
    assert attachment_id in at.output


def test_the_summary_index_never_holds_an_attached_file(world):
    root, case_id, env, files, key_path = world
    run(env, "attach", case_id, str(jpeg_with_gps(files / "p.jpg")), "--kind", "photo", "--note", "Kipepeo-note")
    assert run(env, "report", "overdue").exit_code == 0
    session = Store(root).unlock(key_path)
    index = session.store.root / ".git" / "cmtk" / "summary.age"
    plain = session.decrypt_file(index)
    attachment = attachments.of_case(cases.read_case(session, case_id))[0]
    content = attachments.content(session, attachment)
    assert content[1000:1064] not in plain and b"Kipepeo-note" not in plain and b"AGE-SECRET-KEY" not in plain


# -- bad input: one line each, nothing written ------------------------------------------------


def _bomb(path: Path) -> Path:
    from PIL import Image

    Image.new("1", (9000, 9000)).save(path, "PNG")  # 81 million pixels in a few kilobytes
    return path


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _truncated(path: Path, tmp: Path) -> Path:
    full = jpeg_with_gps(tmp / "full.jpg").read_bytes()
    path.write_bytes(full[: len(full) // 2])
    return path


BAD = {
    "missing": (lambda d, t: d / "nothing.pdf", "consent", "no such file"),
    "folder": (lambda d, t: d, "consent", "is a folder"),
    "empty": (lambda d, t: _write(d / "e.pdf", b""), "consent", "is empty (0 bytes)"),
    "oversized": (
        lambda d, t: _write(d / "big.pdf", b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024)),
        "consent",
        "over this store's limit of 1 MB",
    ),
    "mislabelled": (
        lambda d, t: _write(d / "fake.pdf", png(t / "x.png").read_bytes()),
        "consent",
        "named .pdf but is not a PDF (it is a PNG image)",
    ),
    "not-a-pdf-at-all": (
        lambda d, t: _write(d / "notes.pdf", b"hello"),
        "consent",
        "named .pdf but is not a PDF (its content is something else, or it is damaged)",
    ),
    "javascript": (
        lambda d, t: pdf(d / "js.pdf", action={"/S": "/JavaScript", "/JS": "app.alert(1)"}),
        "consent",
        "the PDF carries JavaScript",
    ),
    "launch": (
        lambda d, t: pdf(d / "run.pdf", action={"/S": "/Launch", "/F": "cmd.exe"}),
        "consent",
        "a launch action",
    ),
    "damaged-pdf": (
        lambda d, t: _write(d / "cut.pdf", b"%PDF-1.7\n1 0 obj\n<< /Type"),
        "consent",
        "cannot be read as one",
    ),
    "image-bomb": (lambda d, t: _bomb(d / "bomb.png"), "photo", "more than 60 million pixels"),
    "truncated-image": (lambda d, t: _truncated(d / "cut.jpg", t), "photo", "damaged or cut short"),
    "unknown-type": (
        lambda d, t: _write(d / "notes.txt", b"hello"),
        "consent",
        "attach it with --kind other",
    ),
    "pdf-as-photo": (lambda d, t: pdf(d / "p.pdf"), "photo", "a photo attachment must be JPEG image or PNG image"),
    "unknown-kind": (lambda d, t: pdf(d / "k.pdf"), "passport", "is not a kind of attachment"),
}


def test_a_cut_short_image_is_refused_even_after_weasyprint_was_imported(world, tmp_path):
    pytest.importorskip("weasyprint")  # it tells Pillow to accept cut-short images, for the whole process
    root, case_id, env, files, _ = world
    result = run(env, "attach", case_id, str(_truncated(files / "cut.jpg", tmp_path)), "--kind", "photo")
    assert result.exit_code == 1 and "damaged or cut short" in result.output


@pytest.mark.parametrize("kind", sorted(BAD))
def test_a_bad_file_is_refused_with_one_line_and_nothing_written(world, tmp_path, kind):
    root, case_id, env, files, _ = world
    policy = root / ".cmtk" / "policy.yaml"  # a store may lower the limit
    policy.write_text(policy.read_text().replace("max_megabytes: 10", "max_megabytes: 1"))
    Store(root).git.commit([".cmtk/policy.yaml"], "update policy", "Amina Otieno")
    make, attachment_kind, expected = BAD[kind]
    target = make(files, tmp_path)
    before = fingerprint(root)
    result = run(env, "attach", case_id, str(target), "--kind", attachment_kind)
    assert result.exit_code in (1, 2), result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and expected in errors[0], result.output
    assert "Traceback" not in result.output
    assert fingerprint(root) == before


def test_other_kind_takes_any_file_but_a_disguised_pdf_is_still_checked(world):
    root, case_id, env, files, _ = world
    notes = files / "notes.txt"
    notes.write_text("minutes of the family meeting")
    assert run(env, "attach", case_id, str(notes), "--kind", "other").exit_code == 0
    disguised = files / "innocent.bin"
    disguised.write_bytes(pdf(files / "js.pdf", action={"/S": "/JavaScript", "/JS": "x"}).read_bytes())
    refused = run(env, "attach", case_id, str(disguised), "--kind", "other")
    assert refused.exit_code == 1 and "JavaScript" in refused.output


def test_bad_options_are_refused(world):
    root, case_id, env, files, _ = world
    scan = pdf(files / "s.pdf")
    before = fingerprint(root)
    for args, expected in [
        (["--about", "ZZZZZZZZZZ"], "has no record ZZZZZZZZZZ"),
        (["--about", "closure"], "has no closure record"),
        (["--date", "2030-01-01"], "in the future"),
        (["--note", "x" * 600], "at most 500 characters"),
    ]:
        result = run(env, "attach", case_id, str(scan), "--kind", "consent", *args)
        assert result.exit_code in (1, 2) and expected in result.output, (args, result.output)
    missing = run(env, "attach", "K7Q2MX4P", str(scan), "--kind", "consent")
    assert missing.exit_code == 1 and "no case K7Q2MX4P" in missing.output
    bad_id = run(env, "attachment", "get", case_id, "../../x", "-o", str(files / "o"))
    assert bad_id.exit_code == 2 and "is not an attachment id" in bad_id.output
    assert run(env, "attachment", "void", case_id, "ZZZZZZZZZZ", "--reason", " ").exit_code == 2
    assert fingerprint(root) == before


def test_a_real_subprocess_attaches_and_the_store_holds_no_plaintext(world):
    from helpers import run_cmtk

    root, case_id, env, files, key_path = world
    photo = jpeg_with_gps(files / "photo.jpg")
    done = run_cmtk(["attach", case_id, str(photo), "--kind", "photo"], env=env)
    assert done.returncode == 0, done.stderr
    from helpers import all_bytes_of_store

    everything = all_bytes_of_store(root)
    assert GPS_MAKER.encode() not in everything and b"Ndovutaka" not in everything
    assert b"JFIF" not in everything  # no image bytes outside ciphertext
    assert os.path.exists(photo)


def test_library_refuses_a_voided_profile_and_unknown_ids(world):
    root, case_id, env, files, key_path = world
    session = Store(root).unlock(key_path)
    with pytest.raises(CmtkError, match="has no attachment"):
        attachments.find(cases.read_case(session, case_id), "ZZZZZZZZZZ")
    made = attachments.attach(session, case_id, png(files / "a.png"), "photo", today=dt.date(2026, 11, 24))
    attachments.void(session, case_id, made.attachment.id, "wrong", today=dt.date(2026, 11, 24))
    with pytest.raises(CmtkError, match="is void"):
        attachments.mark_profile(Store(root).unlock(key_path), case_id, made.attachment.id)


def test_kinds_come_from_the_policy(world):
    root, case_id, env, files, _ = world
    listed = run(env, "attachment", "kinds")
    assert "birth-certificate" in listed.output and "photo" in listed.output
    policy = root / ".cmtk" / "policy.yaml"  # a store adds a kind in its policy
    text = policy.read_text().replace(
        "    other:\n", "    court-order:\n      label: {en: Court order}\n      types: [pdf]\n    other:\n"
    )
    policy.write_text(text)
    Store(root).git.commit([".cmtk/policy.yaml"], "update policy", "Amina Otieno")
    assert run(env, "attach", case_id, str(pdf(files / "c.pdf")), "--kind", "court order").exit_code == 0
    assert yamlio.loads(policy.read_text(), "policy")["attachments"]["kinds"]["court-order"]["types"] == ["pdf"]


# -- everywhere a case goes: sync and share ------------------------------------------------------


def test_attachments_sync_between_two_copies_with_voids_and_no_conflicts(tmp_path):
    from test_sync import _case, _team

    (amina, baraka, _chebet), _url = _team(tmp_path)
    case_id = _case(amina, "Neema")
    amina.sync()
    baraka.sync()
    files = tmp_path / "scans"
    files.mkdir()
    mine = attachments.attach(amina.session(), case_id, pdf(files / "a.pdf"), "consent", today=dt.date(2026, 11, 24))
    theirs = attachments.attach(baraka.session(), case_id, png(files / "b.png"), "photo", today=dt.date(2026, 11, 24))
    attachments.void(amina.session(), case_id, mine.attachment.id, "unreadable scan")
    amina.sync()
    outcome = baraka.sync()
    assert not outcome.conflicts
    amina.sync()
    for laptop in (amina, baraka):
        session = laptop.session()
        found = {a.id: a for a in attachments.of_case(cases.read_case(session, case_id))}
        assert set(found) == {mine.attachment.id, theirs.attachment.id}
        assert found[mine.attachment.id].voided["reason"] == "unreadable scan"
        assert attachments.content(session, found[theirs.attachment.id]) == theirs.checked.data
        assert attachments.content(session, found[mine.attachment.id]) == (files / "a.pdf").read_bytes()
    heads = {Store(laptop.root).git.head() for laptop in (amina, baraka)}
    assert len(heads) == 1


def test_a_sync_that_changes_an_attached_file_is_refused(tmp_path):
    from test_sync import _case, _team

    (amina, baraka, _chebet), _url = _team(tmp_path)
    case_id = _case(amina, "Neema")
    files = tmp_path / "scans"
    files.mkdir()
    made = attachments.attach(amina.session(), case_id, pdf(files / "a.pdf"), "consent", today=dt.date(2026, 11, 24))
    amina.sync()
    baraka.sync()
    store = Store(amina.root)
    blob = blobs.blob_path(store.case_dir(case_id), made.attachment.id)
    blob.write_bytes(blobs.seal(b"%PDF-1.4 forged", "x").ciphertext)  # a hand-made change, pushed with git
    rel = store.relative(blob)
    store.git.commit([rel], "update cases", "Amina")
    amina.sync()
    before = Store(baraka.root).git.head()
    with pytest.raises(CmtkError, match="changed after it was attached"):
        baraka.sync()
    assert Store(baraka.root).git.head() == before


def test_share_with_attachments_round_trip_and_checks_on_import(tmp_path):
    from test_share import Side, _open, _seal

    sender = Side(tmp_path / "sender", "Amina Otieno", "Tumaini Children's Home")
    receiver = Side(tmp_path / "receiver", "Rita Wekesa", "Upendo Rescue Centre")
    session = sender.session
    case_id = cases.open_case(session, minimal_body("identification"), today=dt.date(2026, 11, 24))
    files = tmp_path / "scans"
    files.mkdir()
    letter = attachments.attach(
        session, case_id, pdf(files / "l.pdf"), "approval-letter", about="identification", today=dt.date(2026, 11, 24)
    )
    photo = attachments.attach(
        session, case_id, jpeg_with_gps(files / "p.jpg"), "photo", profile=True, today=dt.date(2026, 11, 24)
    )
    left_out = attachments.attach(session, case_id, png(files / "x.png"), "photo", today=dt.date(2026, 11, 24))
    out = tmp_path / "out"
    out.mkdir()
    plain = sender.run("share", case_id, "--to", receiver.public, "-o", str(out / "plain.age"))
    assert plain.exit_code == 0 and "attached" not in plain.output
    assert "attachments" not in _open(out / "plain.age", receiver.key_path)

    ids = f"{letter.attachment.id},{photo.attachment.id}"
    shared = sender.run("share", case_id, "--to", receiver.public, "--attachments", ids, "-o", str(out / "s.age"))
    assert shared.exit_code == 0, shared.output
    assert "and 2 attached file(s)" in shared.output
    document = _open(out / "s.age", receiver.key_path)
    assert "file_key" not in str(document) and left_out.attachment.id not in str(document)

    imported = receiver.run("case", "import", str(out / "s.age"))
    assert imported.exit_code == 0, imported.output
    assert "and 2 attached file(s)" in imported.output
    new_id = receiver.session.store.case_ids()[0]
    case = cases.read_case(receiver.session, new_id)
    found = {a.kind: a for a in attachments.of_case(case)}
    assert set(found) == {"approval-letter", "photo"}
    assert attachments.content(receiver.session, found["approval-letter"]) == (files / "l.pdf").read_bytes()
    assert found["approval-letter"].about == case.latest("identification").record  # the new record id
    assert attachments.profile_photo(case).id == found["photo"].id
    assert receiver.run("doctor").exit_code == 0

    # A hostile sender: a PDF with script inside an otherwise good share is refused; nothing is imported.
    document["share"] = "ZZZZZZZZZZ"
    document["attachments"][0]["content"] = pdf(files / "js.pdf", action={"/S": "/JavaScript", "/JS": "x"}).read_bytes()
    (out / "evil.age").write_bytes(_seal(document, receiver.public))
    before = fingerprint(receiver.root)
    refused = receiver.run("case", "import", str(out / "evil.age"))
    assert refused.exit_code == 1 and "the PDF carries JavaScript" in refused.output
    assert fingerprint(receiver.root) == before
    voided = sender.run("attachment", "void", case_id, left_out.attachment.id, "--reason", "blurred")
    assert voided.exit_code == 0
    refused = sender.run(
        "share", case_id, "--to", receiver.public, "--attachments", left_out.attachment.id, "-o", str(out / "v.age")
    )
    assert refused.exit_code == 1 and "is void" in refused.output


def test_metadata_is_taken_out_losslessly_and_what_follows_the_picture_is_dropped(tmp_path):
    from PIL import Image

    from cmtk.casework import file_checks

    original = jpeg_with_gps(tmp_path / "p.jpg").read_bytes() + b"MAKER-TRAILER " + GPS_MAKER.encode()
    checked = file_checks.check(tmp_path / "p.jpg", original, ("jpeg",), "photo")
    assert GPS_MAKER.encode() not in checked.data and b"MAKER-TRAILER" not in checked.data
    assert b"Ndovutaka" not in checked.data and b"xmpmeta" not in checked.data
    assert checked.removed[:3] == ("GPS position", "camera or phone make", "camera or phone model")
    assert "XMP data" in checked.removed and "a comment" in checked.removed
    before, after = Image.open(io.BytesIO(original)), Image.open(io.BytesIO(checked.data))
    assert before.tobytes() == after.tobytes()  # the picture itself is not encoded again
    assert checked.data.endswith(b"\xff\xd9")

    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Ndovutaka office")
    Image.new("RGB", (40, 30), "red").save(tmp_path / "t.png", "PNG", pnginfo=info)
    data = (tmp_path / "t.png").read_bytes()
    cleaned = file_checks.check(tmp_path / "t.png", data, ("png",), "photo")
    assert b"Ndovutaka" not in cleaned.data and "text notes" in cleaned.removed
    assert Image.open(io.BytesIO(cleaned.data)).tobytes() == Image.open(io.BytesIO(data)).tobytes()


def test_an_unreadable_file_is_one_line_and_nothing_written(world, monkeypatch):
    root, case_id, env, files, _ = world
    locked = pdf(files / "locked.pdf")
    real_open = Path.open

    def refuse(self, *args, **kwargs):  # as a file without read permission does (root could read one anyway)
        if self == locked:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    before = fingerprint(root)
    result = run(env, "attach", case_id, str(locked), "--kind", "consent")
    assert result.exit_code == 1
    assert f"Error: {locked}: cannot be read (Permission denied); check its permissions" in result.output
    assert fingerprint(root) == before
