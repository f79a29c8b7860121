"""Sync across remote topologies and faults (issue 21, items 4, 5, 6, 8, 10): a bundle rewritten for a new
team, damaged and full sticks, two remotes with criss-cross histories, hand-made git merges."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from cmtk.casework import cases
from cmtk.errors import CmtkError
from cmtk.store import create, identity
from cmtk.store.session import Store
from cmtk.team import remotes, rotation, sync


@dataclasses.dataclass
class Laptop:
    name: str
    key: Path
    root: Path

    def session(self):
        return Store(self.root).unlock(self.key)

    def sync(self, remote: str | None = None) -> sync.Outcome:
        return sync.sync(self.session(), remote)


def _team(tmp_path: Path, kind: str = "bundle", names=("Amina", "Baraka", "Chebet")) -> tuple[list[Laptop], str]:
    keys = {n: tmp_path / f"{n.lower()}.key" for n in names}
    pairs = {n: identity.create(keys[n]) for n in names}
    first = tmp_path / f"{names[0].lower()}-laptop"
    create.create_store(first, organisation="Test CCI", me=pairs[names[0]], worker=names[0])
    session = Store(first).unlock(keys[names[0]])
    for other in names[1:]:
        rotation.add_member(session, other, pairs[other].public)
    if kind == "bundle":
        (tmp_path / "usb").mkdir()
        url = str(tmp_path / "usb" / "cci.age")
    else:
        url = str(tmp_path / "office.git")
    remotes.add_remote(session.store, "office" if kind != "bundle" else "usb", url)
    sync.sync(session)
    laptops = [Laptop(names[0], keys[names[0]], first)]
    for other in names[1:]:
        root = tmp_path / f"{other.lower()}-laptop"
        remotes.clone(url, root, pairs[other])
        laptops.append(Laptop(other, keys[other], root))
    return laptops, url


def _case(laptop: Laptop, first_name: str) -> str:
    return cases.create_case(
        laptop.session(),
        "identification",
        {"biographical": {"first_name": first_name, "surname": "Testing", "sex": "female"}},
    )


# -- item 5: a team change rewrites the bundle ---------------------------------------------------------------


def test_a_member_added_can_clone_the_stick_after_everyone_syncs(tmp_path):
    (amina, baraka, chebet), url = _team(tmp_path)
    _case(amina, "Neema")  # Amina works meanwhile: her sync merges and writes the stick
    edna_key = tmp_path / "edna.key"
    edna = identity.create(edna_key)
    rotation.add_member(baraka.session(), "Edna", edna.public)
    baraka.sync()
    amina.sync()
    chebet.sync()
    baraka.sync()
    copy = remotes.clone(url, tmp_path / "edna-laptop", edna)
    assert copy.member == "Edna"
    # the stick is written once for the new team, not at every sync
    before = Path(url).read_bytes()
    amina.sync()
    baraka.sync()
    assert Path(url).read_bytes() == before
    assert Store(amina.root).git.run("for-each-ref", "refs/cmtk/") == ""

