import os
import stat

import pyrage
import pytest

from cmtk.errors import IdentityError, UsageError
from cmtk.store import crypto, identity, ids
from cmtk.team import roster


def test_case_ids_are_opaque_random_and_normalised():
    made = {ids.new_case_id() for _ in range(2000)}
    assert len(made) == 2000
    for case_id in list(made)[:50]:
        assert ids.is_case_id(case_id)
        assert ids.normalise_case_id(case_id.lower()) == case_id
    assert ids.normalise_case_id("k7q2-mx4p") == "K7Q2MX4P"
    assert ids.normalise_case_id("K7Q2MXOP") == "K7Q2MX0P"  # O read as zero


def test_new_case_id_redraws_when_taken():
    seen = []

    def taken(candidate):
        seen.append(candidate)
        return len(seen) < 3

    result = ids.new_case_id(taken)
    assert result == seen[-1] and len(seen) == 3


@pytest.mark.parametrize("bad", ["../etc", "AB/CD/EF", "K7Q2MX4", "K7Q2MX4PP", "", "..", "K7Q2MX4P/"])
def test_case_ids_refuse_paths_and_wrong_lengths(bad):
    with pytest.raises(UsageError, match="not a case id"):
        ids.normalise_case_id(bad)


@pytest.mark.parametrize("size", [0, 1, 100, 1022, 1023, 1024, 1025, 2047, 5000])
def test_padding_fills_whole_buckets_and_keeps_content(size):
    text = b"a" * size
    padded = crypto.pad(text)
    assert len(padded) % 1024 == 0
    assert padded.startswith(text)


def test_identity_file_is_private_and_readable_by_age_keygen_rules(tmp_path):
    path = tmp_path / "id.txt"
    pair = identity.create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert text.startswith("# created: ")
    assert f"# public key: {pair.public}" in text
    assert identity.load(path) == pair


def test_identity_refuses_overwrite(tmp_path):
    path = tmp_path / "id.txt"
    identity.create(path)
    with pytest.raises(IdentityError, match="already exists"):
        identity.create(path)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_group_or_world_readable_identity_is_refused(tmp_path, mode):
    path = tmp_path / "id.txt"
    identity.create(path)
    os.chmod(path, mode)
    with pytest.raises(IdentityError, match="chmod 600"):
        identity.load(path)


def test_age_keygen_style_file_with_comments_is_accepted(tmp_path):
    key = pyrage.x25519.Identity.generate()
    path = tmp_path / "keygen.txt"
    path.write_text(f"# created: 2026-01-01T00:00:00Z\n# public key: {key.to_public()}\n\n{key}\n")
    os.chmod(path, 0o600)
    assert identity.load(path).public == str(key.to_public())


@pytest.mark.slow
def test_passphrase_identity_unlocks_in_memory(tmp_path, monkeypatch):
    path = tmp_path / "id.age"
    pair = identity.create(path, passphrase="correct horse battery staple")
    assert b"AGE-SECRET-KEY" not in path.read_bytes()
    assert identity.is_protected(path)
    monkeypatch.setenv("CMTK_PASSPHRASE", "correct horse battery staple")
    assert identity.load(path) == pair
    monkeypatch.setenv("CMTK_PASSPHRASE", "wrong")
    with pytest.raises(IdentityError, match="wrong passphrase"):
        identity.load(path)


def test_passphrase_hint():
    assert identity.passphrase_hint("short") is not None
    assert identity.passphrase_hint("aaaaaaaaaaaaaaaa") is not None
    assert identity.passphrase_hint("river mango lantern seven") is None


def test_ssh_keys_are_not_accepted_as_members():
    with pytest.raises(IdentityError, match="ssh keys are not accepted"):
        crypto.parse_recipient("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ")


def test_recipients_file_round_trip():
    members = [
        roster.Member("Amina Otieno", "case manager", str(pyrage.x25519.Identity.generate().to_public())),
        roster.Member("Peter", "", str(pyrage.x25519.Identity.generate().to_public())),
    ]
    assert roster.parse_recipients(roster.format_recipients(members)) == members


def test_recipients_file_refuses_duplicates():
    key = str(pyrage.x25519.Identity.generate().to_public())
    with pytest.raises(IdentityError, match="twice"):
        roster.parse_recipients(f"{key}\n{key}\n")
