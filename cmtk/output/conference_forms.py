"""Conference forms prefilled from a conference: agenda, presentations, attendance, minutes, report."""

from __future__ import annotations

from typing import Any

from cmtk.casework import cases, plan, workflow
from cmtk.casework.conference import Conference
from cmtk.forms import definitions
from cmtk.output import render
from cmtk.store.session import Session

FORM_OF = {
    "agenda": "conference-agenda",
    "presentation": "conference-presentation",
    "preparation": "conference-case-preparation",
    "attendance": "conference-attendance",
    "confidentiality": "confidentiality-agreement",
    "checklist": "conference-checklist",
    "minutes": "conference-minutes",
    "report": "conference-report",
}


def fit(form: definitions.FormDef, values: dict[str, Any]) -> dict[str, Any]:
    """Keep only the sections, fields and columns the form defines (definitions differ by country)."""
    kept: dict[str, Any] = {}
    for section_id, fields in values.items():
        section = form.section(section_id)
        if section is None:
            continue
        for name, value in fields.items():
            field = section.field(name)
            if field is None:
                continue
            if field.type == "table" and isinstance(value, list):
                columns = {c.name for c in field.columns}
                value = [{k: v for k, v in row.items() if k in columns} for row in value]
            kept.setdefault(section_id, {})[name] = value
    return kept


def _presentation(session: Session, conference: Conference, case_id: str, presenter: str) -> dict:
    case = cases.read_case(session, case_id)
    current = plan.plans(case)
    open_goals = [
        f"Goal {g.get('goal_id')} ({g.get('domain')}): {g.get('goal')}" for p in current.values() for g in p.goals
    ]
    done = [
        f"{a.get('action_id')}: {a.get('action')}"
        for p in current.values()
        for a in p.actions
        if a.get("status") == "done"
    ]
    waiting = [
        f"{a.get('action_id')}: {a.get('action')} (by {a.get('deadline')})"
        for p in current.values()
        for a in p.actions
        if a.get("status", "open") == "open"
    ]
    return {
        "case": {
            "case_id": case.id,
            "presenter": presenter,
            "presentation_date": conference.date,
            "date_case_opened": case.opened,
            "current_step": workflow.step_of(case),
        },
        "presentation": {
            "actions_so_far": "\n".join(done) or None,
            "actions_pending": "\n".join(waiting) or None,
            "gaps": "\n".join(["Open goals:", *open_goals]) if open_goals else None,
        },
    }


def _preparation(session: Session, conference: Conference, case_id: str) -> dict:
    """Form 2's first questions, from the case: no names, only what the template asks."""
    case = cases.read_case(session, case_id)
    bio = case.biographical
    return {
        "background": {
            "case_id": case.id,
            "date_case_opened": case.opened,
            "child_sex": bio.get("sex"),
            "child_nationality": bio.get("nationality"),
        }
    }


def render_page(session: Session, conference: Conference, what: str, case_id: str | None = None) -> str:
    form = definitions.load_form(FORM_OF[what], session.store.root)
    info = conference.info
    common = {
        "organisation": str(session.store.settings.get("organisation") or ""),
        "training": session.store.training,
        "templates": render.override_dir(session.store.root),
    }
    if what in ("presentation", "preparation"):
        chosen = [c for c in conference.cases if case_id is None or c["case"] == case_id.upper()]
        pages = [
            render.render_html(
                form,
                values=fit(
                    form,
                    _presentation(session, conference, c["case"], c.get("presenter", ""))
                    if what == "presentation"
                    else _preparation(session, conference, c["case"]),
                ),
                case_id=c["case"],
                **common,
            )
            for c in chosen
        ]
        return "\n".join(pages) if pages else render.render_html(form, **common)
    recorded = conference.latest(FORM_OF[what])
    if recorded is not None:
        values = recorded.body
    else:
        people = [
            {
                "attendee_name": p["name"],
                "participant_name": p["name"],
                "organisation": p.get("organisation"),
                "designation": p.get("role"),
                "participant_role": p.get("role"),
            }
            for p in conference.participants
        ]
        meeting = {
            "conference_date": info["date"],
            "venue": info.get("venue"),
            "chair": info.get("chair"),
            "kind": info.get("kind"),
        }
        values = {
            section.id: {
                **meeting,
                "attendees": people,
                "items": [
                    {"item_no": f"4.{n}", "case_id": c["case"], "led_by": c.get("presenter")}
                    for n, c in enumerate(conference.cases, start=1)
                ],
            }
            for section in form.sections
        }
    return render.render_html(form, values=fit(form, values), case_id=conference.id, **common)
