"""The TRAINING store: fictional cases with dates around today and a throwaway key beside the store."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path

from cmtk import cases, dates, forms, identity, ids, initstore, paths, yamlio
from cmtk.errors import CmtkError
from cmtk.store import Store


@dataclass(frozen=True)
class DemoStore:
    folder: Path
    store: Path
    identity: Path
    cases: int


def _data() -> dict:
    source = Path(__file__).parent / "defaults" / "demo.yaml"
    return yamlio.loads(source.read_text("utf-8"), str(source))


def _valid(session, form_id: str, body: dict, today: _dt.date) -> dict:
    """Demo data goes through the same validation as real input."""
    return cases.check_body(session, forms.load_form(form_id, session.store.root), body, today)


def build(folder: Path, today: _dt.date | None = None) -> DemoStore:
    """Create `folder/store` and `folder/demo-identity.txt`; refuse a folder that is not empty."""
    today = today or dates.today()
    if folder.exists() and any(folder.iterdir()):
        raise CmtkError(f"{folder}: exists and is not empty; choose a new folder for the demo")
    data = _data()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    key_path = folder / paths.DEMO_IDENTITY
    me = identity.create(key_path)
    store_root = folder / paths.DEMO_STORE
    initstore.create_store(
        store_root,
        organisation=data["organisation"],
        me=me,
        worker=data["trainer"],
        role="trainer",
        county=data.get("county"),
        training=True,
    )
    session = Store(store_root).unlock(key_path)
    new_records = []
    taken: set[str] = set()
    for child in data["children"]:
        opened = today - _dt.timedelta(days=int(child["days_ago"]))
        case_id = ids.new_case_id(taken.__contains__)
        taken.add(case_id)
        case_file = {"case": {"worker": data["trainer"], "status": "open", "opened": opened}}
        new_records.append(cases.new_record(session, case_id, cases.CASE_FILE, case_file, opened))
        body = {"biographical": dict(child["biographical"])}
        new_records.append(cases.new_record(session, case_id, cases.INTAKE_FORM, _valid(session, cases.INTAKE_FORM, body, today), opened))
        if child.get("notes"):
            note = {"note": {"date": opened, "text": child["notes"]}}
            new_records.append(cases.new_record(session, case_id, "case-notes", _valid(session, "case-notes", note, today), opened))
    session.save(None, new_records, "create")
    count = len(taken)
    return DemoStore(folder=folder, store=store_root, identity=key_path, cases=count)
