"""A store of many realistic fictional cases, for tests and the benchmark (`cmtk dev generate`).

Children get invented names and a random stage of the procedure; their
records are built exactly as the demo builds them (visits, reviews, plans,
conferences' decisions), then written in batches, one commit per batch.
"""

from __future__ import annotations

import datetime as _dt
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cmtk.dev import demo
from cmtk.errors import CmtkError
from cmtk.store import create, crypto, identity, ids
from cmtk.store.session import Store
from cmtk.team import rotation

FIRST = (
    "Achieng",
    "Baraka",
    "Chebet",
    "Daudi",
    "Eshe",
    "Faraji",
    "Gathoni",
    "Halima",
    "Imani",
    "Jabari",
    "Kamau",
    "Lulu",
    "Makena",
    "Nuru",
    "Omondi",
    "Pendo",
    "Rehema",
    "Subira",
    "Tumaini",
    "Wanjiru",
    "Zawadi",
    "Kito",
    "Amani",
)
LAST = (
    "Mwangi",
    "Otieno",
    "Kiprop",
    "Wekesa",
    "Njoroge",
    "Chepkoech",
    "Ouma",
    "Kilonzo",
    "Barasa",
    "Langat",
    "Simiyu",
    "Gitau",
    "Achieng",
    "Mutua",
    "Rotich",
    "Wambua",
    "Nyaga",
    "Kariuki",
    "Odhiambo",
    "Koech",
)
STAGES = (
    ("identified", 5),
    ("assessment", 8),
    ("awaiting-conference", 6),
    ("awaiting-approval", 8),
    ("preparation", 8),
    ("placed", 5),
    ("monitoring", 40),
    ("ready-for-closure", 5),
    ("closed", 10),
    ("transferred", 5),
)


def child(rng: random.Random, number: int, today: _dt.date) -> dict:
    stage = rng.choices([s for s, _ in STAGES], weights=[w for _, w in STAGES])[0]
    sex = rng.choice(("female", "male"))
    born = today - _dt.timedelta(days=rng.randint(4 * 365, 17 * 365))
    entry: dict[str, Any] = {
        "stage": stage,
        "worker": f"Caseworker {number % 8 + 1} (generated)",
        "biographical": {
            "first_name": rng.choice(FIRST),
            "other_names": rng.choice(FIRST),
            "surname": f"{rng.choice(LAST)}-Gen{number}",
            "nickname": rng.choice(FIRST)[:4],
            "sex": sex,
            "date_of_birth": born,
        },
        "households": [f"Relative {n + 1} of child {number} (generated)" for n in range(rng.choice((1, 1, 2)))],
        "note": "Generated fictional case for testing and benchmarks.",
    }
    placed_days = {
        "placed": rng.randint(1, 14),
        "monitoring": rng.randint(30, 380),
        "ready-for-closure": rng.randint(400, 500),
        "closed": rng.randint(500, 700),
    }.get(stage)
    low, high = {
        "identified": (1, 3),
        "assessment": (8, 20),
        "awaiting-conference": (40, 90),
        "awaiting-approval": (60, 120),
        "preparation": (100, 150),
        "transferred": (60, 200),
    }.get(stage, (90, 150))
    entry["opened"] = (placed_days or 0) + rng.randint(low, high)
    if placed_days:
        entry["placed"] = placed_days
        entry["missed_visit"] = rng.random() < 0.2
        if stage == "monitoring" and rng.random() < 0.3:
            entry["review_zeros"] = rng.sample(["B1.3", "B5.5", "B12.2", "B12.6", "B4.5", "B9.2"], 2)
    if stage == "transferred":
        entry["transfer_to"] = "Another CCI (generated)"
    return entry


def generate(
    folder: Path,
    cases: int,
    *,
    today: _dt.date,
    seed: int = 1,
    batch: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Create `folder/store` (and its identity in `folder/`) with `cases` generated cases."""
    if folder.exists() and any(folder.iterdir()):
        raise CmtkError.of("generate-folder-not-empty", folder=folder)
    if cases < 1:
        raise CmtkError.of("cases-option")
    folder.mkdir(parents=True, mode=0o700)
    try:
        return _fill(folder, cases, today=today, seed=seed, batch=batch, progress=progress)
    except BaseException:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        raise


def _fill(folder: Path, cases: int, *, today, seed, batch, progress) -> Path:
    key_path = folder / "demo-identity.txt"
    me = identity.create(key_path)
    root = folder / "store"
    create.create_store(
        root, organisation="Generated CCI (TRAINING)", me=me, worker="Generator", role="trainer", training=True
    )
    session = Store(root).unlock(key_path)
    for number in range(1, 9):
        rotation.add_member(session, f"Caseworker {number} (generated)", crypto.generate().public)
    rng = random.Random(seed)
    taken: set[str] = set()
    done = 0
    while done < cases:
        builder = demo._Builder(session, today)
        for number in range(done, min(cases, done + batch)):
            case_id = ids.new_case_id(taken.__contains__)
            taken.add(case_id)
            builder.build(case_id, child(rng, number, today), "Generator")
        session.save(None, builder.records, "create")
        done = min(cases, done + batch)
        if progress:
            progress(done, cases)
    session.store.git.run("repack", "-a", "-d", "-q")  # a real store gets there through git's automatic packing
    session.store.git.run("update-index", "--split-index")  # a fresh shared index: small writes stay small
    return root
