"""Invariant 2: the data outlives cmtk. The `age` CLI alone opens the store, and cmtk reads what age wrote."""

from __future__ import annotations

import fcntl
import os
import pty
import subprocess
import termios
import time

import pytest
from conftest import needs_age
from helpers import CANARY_FIRST, add_canary_case, make_store

from cmtk.store import records, yamlio

pytestmark = needs_age


def _age(*args, input_bytes=None):
    return subprocess.run(["age", *args], input=input_bytes, capture_output=True, check=True).stdout


def test_member_identity_opens_store_key_and_store_key_opens_every_record(tmp_path):
    session, key_path = make_store(tmp_path)
    add_canary_case(session)
    store_key = tmp_path / "store-key.txt"
    store_key.write_bytes(_age("-d", "-i", str(key_path), str(session.store.key_path(1))))
    os.chmod(store_key, 0o600)
    files = list(session.store.record_files())
    assert files
    for path in files:
        plaintext = _age("-d", "-i", str(store_key), str(path))
        record = records.decode(plaintext, "age")
        assert record.record == path.stem
    assert CANARY_FIRST.encode() in b"".join(_age("-d", "-i", str(store_key), str(p)) for p in files)


def test_record_written_by_age_cli_is_read_by_cmtk(tmp_path):
    session, _ = make_store(tmp_path)
    case_id = add_canary_case(session)
    public = session.current_key().public
    plaintext = yamlio.dumps(
        {
            "cmtk_record": 1,
            "case": case_id,
            "record": "AGEC11WR1T",
            "form": "case-notes",
            "key_generation": 1,
            "date": None,
            "created": "",
            "created_by": "age",
            "body": {"note": {"text": "written with the age CLI"}},
        }
    ).encode()
    target = session.store.case_dir(case_id) / "AGEC11WR1T.age"
    target.write_bytes(_age("-r", public, input_bytes=plaintext))
    found = {r.record: r for r in session.case_records(case_id)}
    assert found["AGEC11WR1T"].body == {"note": {"text": "written with the age CLI"}}
    armored = session.store.case_dir(case_id) / "AGEC11WR2T.age"
    armored.write_bytes(_age("-a", "-r", public, input_bytes=plaintext.replace(b"AGEC11WR1T", b"AGEC11WR2T")))
    assert "AGEC11WR2T" in {r.record for r in session.case_records(case_id)}


def test_recipients_file_is_a_valid_age_recipients_file(tmp_path):
    session, key_path = make_store(tmp_path)
    ciphertext = _age("-R", str(session.store.root / ".cmtk/recipients.txt"), input_bytes=b"hello")
    assert _age("-d", "-i", str(key_path), input_bytes=ciphertext) == b"hello"


def _run_with_terminal(command: list[str], answer: str) -> bytes:
    """Run `command` with a real controlling terminal and type `answer` at its prompt (age reads /dev/tty)."""
    master, slave = pty.openpty()

    def make_controlling_terminal():
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(
        command, stdin=slave, stdout=subprocess.PIPE, stderr=slave, preexec_fn=make_controlling_terminal
    )
    os.close(slave)
    time.sleep(0.5)
    os.write(master, answer.encode() + b"\n")
    output, _ = process.communicate(timeout=60)
    os.close(master)
    assert process.returncode == 0
    return output


@pytest.mark.slow  # scrypt
def test_passphrase_protected_identity_is_accepted_by_age_cli(tmp_path, monkeypatch):
    from cmtk.store import create, identity
    from cmtk.store.session import Store

    passphrase = "mango river lantern seven"
    key_path = tmp_path / "protected.age"
    me = identity.create(key_path, passphrase)
    create.create_store(tmp_path / "store", organisation="CCI", me=me, worker="Amina")
    # age itself decrypts the wrapped identity with the passphrase...
    unwrapped = _run_with_terminal(["age", "-d", str(key_path)], passphrase)
    assert me.secret.encode() in unwrapped
    # ...and uses it directly as an identity (it asks for the passphrase).
    store_key = _run_with_terminal(
        ["age", "-d", "-i", str(key_path), str(tmp_path / "store/.cmtk/keys/1.age")], passphrase
    )
    assert b"AGE-SECRET-KEY-1" in store_key
    monkeypatch.setenv("CMTK_PASSPHRASE", passphrase)
    assert Store(tmp_path / "store").unlock(key_path).author == "Amina"
