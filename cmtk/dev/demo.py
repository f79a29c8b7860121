"""The TRAINING store: fictional cases at every step, dated around the demo's day.

The store lives in `PATH/store` with a throwaway identity in
`PATH/demo-identity.txt` (outside the repository); commands run inside PATH
find both. Every record goes through the same validation as real input, and
the whole store is written in one commit.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cmtk import dates
from cmtk.casework import cases, schedule
from cmtk.casework import policy as policy_module
from cmtk.errors import CmtkError
from cmtk.forms import definitions
from cmtk.store import create, crypto, identity, ids, paths, yamlio
from cmtk.store.records import Record
from cmtk.store.session import Session, Store
from cmtk.team import rotation

FILLER = "Training example (fictional)."
STAGE_STEP = {
    "identified": 1,
    "assessment": 2,
    "awaiting-conference": 3,
    "awaiting-approval": 4,
    "preparation": 5,
    "placed": 7,
    "monitoring": 7,
    "ready-for-closure": 7,
    "closed": 8,
    "transferred": 3,
}


@dataclass(frozen=True)
class DemoStore:
    folder: Path
    store: Path
    identity: Path
    cases: int


def _data() -> dict:
    source = paths.defaults_dir() / "demo.yaml"
    return yamlio.loads(source.read_text("utf-8"), str(source))


def plain_value(field: definitions.Field, day: _dt.date, text: str = FILLER) -> Any:
    """A plain valid answer for a field (the demo's and the tests' filler for required fields)."""
    if field.type == "date":
        return day
    if field.type in ("integer", "number"):
        return int(field.min or 1)
    if field.type in ("yes_no", "yes_no_na"):
        return "yes"
    if field.type == "select_one":
        return field.choices[0].value
    if field.type == "select_many":
        return [field.choices[0].value]
    if field.type == "table":
        return [{c.name: plain_value(c, day, text) for c in field.columns if c.required or c is field.columns[0]}]
    return text


class _Builder:
    """Writes one fictional case's records, step by step, as a caseworker would have."""

    def __init__(self, session: Session, today: _dt.date) -> None:
        self.session = session
        self.today = today
        self.policy = policy_module.load(session.store.root)
        self.records: list[Record] = []
        self._forms: dict[str, definitions.FormDef] = {}

    def form(self, form_id: str) -> definitions.FormDef:
        if form_id not in self._forms:
            self._forms[form_id] = definitions.load_form(form_id, self.session.store.root)
        return self._forms[form_id]

    def body(self, form_id: str, day: _dt.date, values: dict[str, Any] | None = None) -> dict:
        """The story's own values ("section.field": value), then every required field that is asked filled plainly."""
        body: dict[str, dict] = {}
        answers: dict[str, Any] = {}
        for path, value in (values or {}).items():
            section_id, name = path.split(".", 1)
            body.setdefault(section_id, {})[name] = value
            answers[name] = value
        for section in self.form(form_id).sections:
            for field in section.fields:
                given = body.get(section.id, {})
                if field.name in given or not field.answers or not definitions.shown(field, answers):
                    continue
                if field.required:
                    body.setdefault(section.id, {})[field.name] = answers[field.name] = plain_value(field, day)
        return cases.check_body(self.session, self.form(form_id), body, self.today)

    def add(
        self, case_id: str, form_id: str, day: _dt.date, values: dict | None = None, body: dict | None = None
    ) -> None:
        record = cases.new_record(
            self.session, case_id, form_id, body if body is not None else self.body(form_id, day, values), day
        )
        self.records.append(record)

    def build(self, case_id: str, child: dict, trainer: str) -> None:
        today = self.today
        stage = child["stage"]
        if stage not in STAGE_STEP:
            raise CmtkError.of("demo-data-unknown-stage", stage=stage)
        opened = today - _dt.timedelta(days=int(child["opened"]))
        placed = today - _dt.timedelta(days=int(child["placed"])) if "placed" in child else None
        worker = child.get("worker", trainer)
        events: list[dict] = []
        step = 1

        def move(day: _dt.date, to: int, what: str = "advance") -> None:
            nonlocal step
            events.append({"date": day, "from": step, "to": to, "by": worker, "what": what})
            step = to

        bio = {f"biographical.{k}": v for k, v in child["biographical"].items()}
        self.add(case_id, "identification", opened, bio)
        if child.get("note"):
            self.add(case_id, "case-notes", opened, {"note.date": opened, "note.text": child["note"]})
        target = STAGE_STEP[stage]
        day = opened
        if target >= 2:
            day = opened + _dt.timedelta(days=1)
            move(day, 2)
            self.add(case_id, "child-assent", day)
            if stage == "assessment":
                self.add(case_id, "child-assessment", day, body=self._unfinished_assessment(day))
            else:
                self.add(case_id, "child-assessment", opened + _dt.timedelta(days=6))
        if target >= 3:
            day = opened + _dt.timedelta(days=7)
            move(day, 3)
            households = child.get("households", ["(training household)"])
            self.add(
                case_id,
                "tracing",
                opened + _dt.timedelta(days=8),
                {"outcome.outcome": "relatives_found", "outcome.found_who": households[0]},
            )
            for number, household in enumerate(households):
                visit_day = opened + _dt.timedelta(days=14 + 7 * number)
                self.add(case_id, "family-assessment", visit_day, {"household.household_head": household})
                self.add(case_id, "caregiver-consent", visit_day, {"caregiver.household": household})
            self.add(case_id, "child-profile", opened + _dt.timedelta(days=21))
            if stage == "transferred":
                self.add(
                    case_id,
                    "transfer",
                    today - _dt.timedelta(days=3),
                    {
                        "transfer.receiving_organisation": child.get("transfer_to", FILLER),
                        "transfer.transfer_date": today - _dt.timedelta(days=3),
                    },
                )
                events.append(
                    {
                        "date": today - _dt.timedelta(days=3),
                        "from": step,
                        "to": step,
                        "by": worker,
                        "what": "transferred",
                    }
                )
                self._case_file(case_id, worker, opened, step, "transferred", events)
                return
            if target >= 4:  # every new case is presented at the CCI's monthly case conference (SOP 14)
                self.add(
                    case_id,
                    "conference-decision",
                    opened + _dt.timedelta(days=21),
                    {
                        "decision.kind": "other",
                        "decision.decision_text": "Presented at the monthly internal case conference; tracing agreed.",
                        "decision.case_manager_present": "yes",
                    },
                )
            if len(households) > 1 and target >= 4:
                self.add(
                    case_id,
                    "conference-decision",
                    opened + _dt.timedelta(days=30),
                    {"decision.kind": "family_choice", "decision.recommended_household": households[0]},
                )
        if target >= 4:
            day = opened + _dt.timedelta(days=35)
            move(day, 4)
            self.add(case_id, "case-plan", day, body=self._plan(child, day, placed))
            self.add(case_id, "case-file-checklist", day + _dt.timedelta(days=5))
        if target >= 5:
            day = opened + _dt.timedelta(days=50)
            self.add(
                case_id,
                "placement-approval",
                day,
                {
                    "approval.approver_name": "SCCO Training Officer (fictional)",
                    "approval.approval_reference": f"DCS/TRAIN/{case_id}",
                },
            )
            move(day, 5)
            self.add(case_id, "child-preparation", day + _dt.timedelta(days=20))
            if stage != "preparation":
                self.add(case_id, "family-preparation", day + _dt.timedelta(days=25))
        if target >= 7 and placed:
            move(placed - _dt.timedelta(days=3), 6)
            care = "supported_independent_living" if child.get("young_person") else "kinship"
            self.add(case_id, "placement", placed, {"placement.placement_date": placed, "placement.care_type": care})
            move(placed, 7)
            self._monitoring(case_id, child, placed, stage)
        status = "open"
        if stage == "closed":
            closure = self._closure(case_id, placed, today - _dt.timedelta(days=60))
            move(closure, 8)
            status = "closed"
        if stage == "ready-for-closure":
            self._closure(case_id, placed, today)
        self._case_file(case_id, worker, opened, step, status, events)

    def _case_file(self, case_id, worker, opened, step, status, events) -> None:
        body = {"case": {"worker": worker, "status": status, "opened": opened, "step": step}, "events": events}
        self.records.insert(0, cases.new_record(self.session, case_id, cases.CASE_FILE, body, opened))

    def _unfinished_assessment(self, day: _dt.date) -> dict:
        """One 45-minute session held, the conclusion still to come."""
        session = {
            "session_date": day,
            "duration_minutes": 45,
            "session_place": "CCI library",
            "people_present": "the child, the caseworker",
        }
        body = self.body(
            "child-assessment",
            day,
            {"sessions.assessor_name": "Otieno Demo", "sessions.assessment_sessions": [session]},
        )
        body.pop("conclusion", None)
        return body

    def _plan(self, child: dict, day: _dt.date, placed: _dt.date | None) -> dict:
        action = child.get("action") or {
            "action": "Caseworker links the family to the local savings group",
            "responsible": "Caseworker",
            "output": "Membership card of the savings group",
        }
        goals = [
            {
                "goal_id": "1",
                "domain": "education" if "school" in str(child.get("goal", "school")) else "economic",
                "goal": child.get("goal", "The child goes to school every day after going home"),
                "indicators": "B1.2, B1.3",
            }
        ]
        deadline = day + _dt.timedelta(days=40)
        actions = [
            {
                "action_id": "1.1",
                "goal_id": "1",
                **action,
                "deadline": deadline,
                "status": "done" if deadline < self.today else "open",
                **({"completed_date": deadline} if deadline < self.today else {}),
            }
        ]
        values = {"plan.phase": "pre_placement", "plan.plan_date": day, "plan.goals": goals, "plan.actions": actions}
        if placed or child["stage"] == "preparation":
            values["plan.planned_placement_date"] = placed or self.today + _dt.timedelta(days=21)
        return self.body("case-plan", day, values)

    def _monitoring(self, case_id: str, child: dict, placed: _dt.date, stage: str) -> None:
        cutoff = self.today - _dt.timedelta(days=45 if child.get("missed_visit") else 2)
        last = None
        while True:
            due = schedule.next_visit_due(placed, last, self.policy)
            if due > cutoff:
                break
            self.add(
                case_id, "monitoring", due, {"visit.visit_date": due, "visit.mode": "home", "visit.child_seen": "yes"}
            )
            last = due
        form_id = "case-review-young-person" if child.get("young_person") else "case-review"
        review_day = dates.add_duration(placed, {"months": 6})
        review_days = []
        while review_day <= cutoff:
            review_days.append(review_day)
            review_day = dates.add_duration(review_day, {"months": 6})
        for number, day in enumerate(review_days):
            # Early reviews score lower so that the trend (red towards green) shows in the reports.
            later = len(review_days) - 1 - number
            zeros = set(child.get("review_zeros", [])) if later == 0 else self._early_zeros(form_id, later)
            self.add(case_id, form_id, day, body=self._review(form_id, day, zeros))
        if stage in ("ready-for-closure", "closed"):
            final = self.today - _dt.timedelta(days=100 if stage == "closed" else 40)
            self.add(case_id, form_id, final, body=self._review(form_id, final, set()))

    def _early_zeros(self, form_id: str, reviews_to_go: int) -> set[str]:
        """Every third (then every sixth...) indicator of each domain not yet achieved."""
        step = 6 // min(reviews_to_go, 2) if reviews_to_go else 0
        zeros = set()
        for section in self.form(form_id).sections:
            indicators = [f.indicator for f in section.fields if f.indicator]
            zeros |= set(indicators[1::step]) if step else set()
        return zeros

    def _review(self, form_id: str, day: _dt.date, zeros: set[str]) -> dict:
        body: dict[str, dict] = {"review": {"review_date": day}}
        for section in self.form(form_id).sections:
            if section.domain:
                body[section.id] = {
                    f.name: ("no" if f.indicator in zeros else "yes") for f in section.fields if f.indicator
                }
        return self.body(form_id, day, {f"{s}.{k}": v for s, values in body.items() for k, v in values.items()})

    def _closure(self, case_id: str, placed: _dt.date | None, day: _dt.date) -> _dt.date:
        self.add(
            case_id,
            "conference-decision",
            day - _dt.timedelta(days=10),
            {
                "decision.kind": "closure_approval",
                "decision.approved": "yes",
                "decision.scco_present": "yes",
                "decision.case_manager_present": "yes",
            },
        )
        self.add(case_id, "closure", day, {"closure.closure_date": day})
        return day


def build(folder: Path, today: _dt.date | None = None) -> DemoStore:
    """Create `folder/store` and `folder/demo-identity.txt`; refuse a folder that is not empty."""
    today = today or dates.today()
    if folder.exists() and any(folder.iterdir()):
        raise CmtkError.of("demo-folder-not-empty", folder=folder)
    data = _data()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    key_path = folder / paths.DEMO_IDENTITY
    me = identity.create(key_path)
    store_root = folder / paths.DEMO_STORE
    create.create_store(
        store_root,
        organisation=data["organisation"],
        me=me,
        worker=data["trainer"],
        role="trainer",
        county=data.get("county"),
        training=True,
    )
    session = Store(store_root).unlock(key_path)
    for member in data.get("team", []):
        # Colleagues exist only as public keys: their secret halves are thrown away.
        rotation.add_member(session, member["name"], crypto.generate().public, member.get("role", "caseworker"))
    builder = _Builder(session, today)
    taken: set[str] = set()
    for child in data["children"]:
        bio = child["biographical"]
        case_id = ids.seeded_case_id(f"cmtk demo {bio['first_name']} {bio['surname']}")
        if case_id in taken:
            raise CmtkError.of("demo-data-two-children", case_id=case_id)
        taken.add(case_id)
        builder.build(case_id, child, data["trainer"])
    session.save(None, builder.records, "create")
    return DemoStore(folder=folder, store=store_root, identity=key_path, cases=len(taken))
