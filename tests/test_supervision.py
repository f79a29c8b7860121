"""The supervision dashboard: indicators computed by hand from fixed cases, the page self-contained, and
(where Debian's chromium is installed) rendered in a real browser that makes no request."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess

import pytest
from helpers import run_cmtk

from cmtk.casework import policy as policy_module
from cmtk.casework import supervision as activity_module
from cmtk.casework.cases import CASE_FILE, Case
from cmtk.index import supervision
from cmtk.output import supervision_page
from cmtk.store.records import Record

D = dt.date
POLICY = policy_module.load(None)
AS_OF = D(2026, 11, 24)


def rec(form: str, body: dict, day: dt.date, n: int) -> Record:
    return Record(case="K7Q2MX4P", record=f"R{n:09d}", form=form, body=body, date=day, created=f"{day}T{n:02d}")


def visit(day: dt.date, n: int, seen: str = "yes") -> Record:
    body = {"visit": {"visit_date": day, "mode": "home" if seen == "yes" else "phone", "child_seen": seen}}
    return rec("monitoring", body, day, n)


def test_activity_pairs_each_visit_with_the_date_it_was_due():
    placed = D(2026, 3, 2)  # every 2 weeks for 2 months, then monthly
    case = Case(
        "K7Q2MX4P",
        (
            rec(CASE_FILE, {"case": {"worker": "Amina", "status": "open", "opened": D(2026, 1, 5)}}, D(2026, 1, 5), 0),
            rec("placement", {"placement": {"placement_date": placed}}, placed, 1),
            visit(D(2026, 3, 16), 2),  # due 16 Mar: on time
            visit(D(2026, 4, 6), 3),  # due 30 Mar: late
            visit(D(2026, 4, 10), 4, seen="no"),  # a phone call is not a visit
            rec("referral", {"referral": {"referral_date": D(2026, 4, 1)}}, D(2026, 4, 1), 5),
        ),
    )
    done = activity_module.activity(case, POLICY)
    assert done["visits"] == [["2026-03-16", "2026-03-16"], ["2026-04-06", "2026-03-30"]]
    assert done["referrals"] == [["2026-04-01", None, "2026-05-01"]]
    assert done["reviews"] == [] and done["plans"] == []


def test_months_initials_and_ratios():
    assert supervision._months(D(2026, 11, 15), D(2027, 2, 1)) == ["2026-11", "2026-12", "2027-01", "2027-02"]
    assert supervision._initials("Neema Wairimu Kamau") == "N.W.K."
    ratio = supervision.Ratio()
    assert ratio.percent is None
    for ok in (True, True, False):
        ratio.add(ok)
    assert (ratio.done, ratio.of, ratio.percent) == (2, 3, 67)


def test_trend_chart_is_black_and_white_svg_with_labels():
    svg = supervision_page.trend_svg([50, None, 100], ["2026-09", "2026-10", "2026-11"])
    assert svg.startswith("<svg") and ">50<" in svg and ">100<" in svg and ">10<" in svg
    colours = set(re.findall(r'(?:fill|stroke)="(#[0-9a-f]{3,6})"', svg))
    assert colours <= {"#000", "#bbb", "#888", "#777"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("supervision") / "demo"
    made = run_cmtk(["demo", str(folder), "--as-of", AS_OF.isoformat()])
    assert made.returncode == 0, made.stderr
    return folder


def test_json_figures_from_the_demo(demo):
    out = run_cmtk(["report", "supervision", "--format", "json", "--as-of", AS_OF.isoformat()], cwd=demo)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {"from", "to", "commit", "caseload_limit", "caseload", "board", "overdue", "indicators"}
    assert data["to"] == "2026-11-24" and data["from"] == "2026-08-25" and data["caseload_limit"] == 20
    assert set(data["indicators"]) == set(supervision.INDICATORS)
    on_board = sum(len(v) for v in data["board"].values())
    assert on_board == sum(data["caseload"].values()) == 10  # the demo's open cases, each in one column
    for by_month in data["indicators"].values():
        assert list(by_month) == ["2026-08", "2026-09", "2026-10", "2026-11"]
        for ratio in by_month.values():
            assert 0 <= ratio["done"] <= ratio["of"]
    csv_out = run_cmtk(["report", "supervision", "--format", "csv", "--as-of", AS_OF.isoformat()], cwd=demo)
    assert csv_out.stdout.splitlines()[0] == "indicator,month,done,of,percent"


def test_the_page_shows_initials_not_names_and_loads_nothing(demo, tmp_path):
    page = tmp_path / "page.html"
    out = run_cmtk(["report", "supervision", "-o", str(page), "--as-of", AS_OF.isoformat()], cwd=demo)
    assert out.returncode == 0, out.stderr
    html = page.read_text()
    head = html.split("<head>", 1)[1].lstrip()
    assert head.startswith('<meta http-equiv="Content-Security-Policy" content="default-src \'none\';')
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "Neema" not in html and "N.W.K." in html  # a demo child, by initials only
    named = tmp_path / "named.html"
    assert run_cmtk(["report", "supervision", "-o", str(named), "--names"], cwd=demo).returncode == 0
    assert "Neema" in named.read_text()


def test_without_a_file_the_figures_print_as_a_table(demo):
    out = run_cmtk(["report", "supervision", "--as-of", AS_OF.isoformat()], cwd=demo)
    assert out.returncode == 0 and out.stdout.startswith("Supervision 2026-08-25 to 2026-11-24")
    assert "Monitoring visits done by their due date" in out.stdout and "add -o page.html" in out.stdout


def test_a_date_that_does_not_exist_names_the_option_the_user_typed(demo):
    out = run_cmtk(["report", "supervision", "--as-of", "2026-02-30"], cwd=demo)
    assert out.returncode == 2 and "--as-of" in out.stderr and "not a real calendar date" in out.stderr
    assert "Traceback" not in out.stderr


def _page_requests(page, tmp_path, name: str) -> list[str]:
    """URLs the page itself asked for while headless Chromium showed it (from Chromium's network log:
    the browser's own traffic has no page origin as its initiator)."""
    netlog, shot = tmp_path / f"{name}.json", tmp_path / f"{name}.png"
    command = [
        "chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--log-net-log={netlog}", "--window-size=1400,1000", f"--screenshot={shot}", page.as_uri(),
    ]  # fmt: skip
    subprocess.run(command, timeout=120, capture_output=True, check=True)
    assert shot.stat().st_size > 5_000  # something was drawn
    log = json.loads(netlog.read_text())
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [
        e["params"]["url"]
        for e in log["events"]
        if e["type"] == start_job and "url" in e.get("params", {}) and e["params"].get("initiator") != "not an origin"
        and not e["params"]["url"].startswith(("file:", "data:"))
    ]  # fmt: skip


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed")
def test_chromium_renders_the_page_on_one_landscape_sheet_without_requests(demo, tmp_path):
    control = tmp_path / "control.html"
    control.write_text('<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/probe.png">x</body></html>')
    assert _page_requests(control, tmp_path, "control") == ["http://127.0.0.1:9/probe.png"]  # the check sees loads
    page = tmp_path / "page.html"
    assert run_cmtk(["report", "supervision", "-o", str(page), "--as-of", AS_OF.isoformat()], cwd=demo).returncode == 0
    assert _page_requests(page, tmp_path, "page") == []
    pdf = tmp_path / "page.pdf"
    subprocess.run(
        ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
         f"--print-to-pdf={pdf}", page.as_uri()],
        timeout=120, capture_output=True, check=True,
    )  # fmt: skip
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    box = reader.pages[0].mediabox
    assert len(reader.pages) == 1 and float(box.width) > float(box.height)  # one A4 landscape sheet
    shutil.copy(tmp_path / "page.png", tmp_path.parent / "supervision-chromium.png")  # for a person to look at


def test_activity_judges_plans_with_the_stores_smart_words():
    """A plan SMART by the store's own word list counts as SMART on the supervision page too."""
    day = D(2026, 2, 10)
    goal = {"goal_id": "1", "goal": "The child goes to school every day", "domain": "education"}
    action = {
        "action_id": "1",
        "goal_id": "1",
        "action": "Mentor the child on homework every week",
        "responsible": "Mother",
        "output": "homework book signed",
        "deadline": D(2026, 6, 1),
    }
    case = Case("K7Q2MX4P", (rec("case-plan", {"plan": {"goals": [goal], "actions": [action]}}, day, 1),))
    assert activity_module.activity(case, POLICY)["plans"] == [["2026-02-10", False]]  # "mentor": no action verb
    extended = {**POLICY, "smart": {"action_verbs": {"add": ["mentor"]}}}
    assert activity_module.activity(case, extended)["plans"] == [["2026-02-10", True]]
