"""The benchmark of issue 8: `make bench` (BENCH_SIZES="2000 10000" by default, issue 21).

Generates stores of each size once (cached in bench/cache/), then measures,
as medians of several runs, each command as a caseworker would run it, and
the floors to compare with: a typer hello-world app, a reference loop that
only decrypts and parses every record with the same libraries, and a shell
loop of `age -d` over every record. Prints a table and writes
bench/results.json. No timing is asserted in the test suite: this is the measure.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / "cache"
PY = sys.executable
CMTK = [PY, "-m", "cmtk"]
AS_OF = "2026-11-24"
ENV = {**os.environ, "CMTK_TODAY": AS_OF}

HELLO = "import typer\napp = typer.Typer()\n@app.command()\ndef hello():\n    print('hi')\napp()\n"

REFERENCE = """
import sys, pathlib, pyrage
from ruamel.yaml import YAML
root = pathlib.Path(sys.argv[1])
from cmtk.store.session import Store
session = Store(root / 'store').unlock(root / 'demo-identity.txt')
key = session.current_key().identity
yaml = YAML(typ='safe', pure=False)
count = 0
for path in (root / 'store' / 'cases').rglob('*.age'):
    yaml.load(pyrage.decrypt(path.read_bytes(), [key]).decode())
    count += 1
print(count)
"""


def timed(command: list[str], cwd: Path | None = None, runs: int = 5, env=None) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(command, cwd=cwd, env=env or ENV, capture_output=True)
        samples.append(time.perf_counter() - start)
        if result.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(command)} failed: {result.stderr.decode()[:300]}")
    return statistics.median(samples)


def store_for(size: int) -> Path:
    folder = CACHE / f"store-{size}"
    if not (folder / "store" / ".cmtk").is_dir():
        shutil.rmtree(folder, ignore_errors=True)
        CACHE.mkdir(parents=True, exist_ok=True)
        print(f"generating {size} cases (cached for next time)...", flush=True)
        subprocess.run(
            [*CMTK, "dev", "generate", str(folder), "--cases", str(size), "--as-of", AS_OF], env=ENV, check=True
        )
    return folder


def visit_command(case_id: str, *store: str) -> list[str]:
    """`cmtk [--store S] visit CASE`: a phone visit with its answers (a visit records what changed and the
    follow-up, as the paper form does)."""
    answers = CACHE / "visit.yaml"
    CACHE.mkdir(parents=True, exist_ok=True)
    answers.write_text("changes:\n  plan_progress: School fees paid for term 2.\nfollow_up:\n  risk_found: no\n")
    return [*CMTK, *store, "visit", case_id, "--date", AS_OF, "--mode", "phone", "--from", str(answers)]


def first_case(folder: Path) -> str:
    out = subprocess.run(
        [*CMTK, "case", "list", "--format", "json"], cwd=folder, env=ENV, capture_output=True, text=True
    ).stdout
    return json.loads(out)[0]["case"]


def measure_reports(folder: Path) -> dict:
    """The reports a caseworker or supervisor waits on, with the summary index warm."""
    subprocess.run([*CMTK, "report", "overdue"], cwd=folder, env=ENV, capture_output=True)  # warm the index
    page = folder.parent / "supervision.html"
    wall, cpu = cpu_timed([*CMTK, "report", "supervision", "-o", str(page)], cwd=folder, runs=5)  # target < 2 s
    return {
        "overdue_warm": timed([*CMTK, "report", "overdue"], cwd=folder),
        "benchmarks_warm": timed([*CMTK, "report", "benchmarks", "--format", "json"], cwd=folder),
        "caseload_warm": timed([*CMTK, "report", "caseload"], cwd=folder),
        "supervision_warm": wall,
        "supervision_warm_cpu": cpu,
    }


def measure(size: int) -> dict:
    folder = store_for(size)
    hello = CACHE / "hello.py"
    hello.write_text(HELLO)
    case_id = first_case(folder)
    result = {"cases": size, "records": sum(1 for _ in (folder / "store" / "cases").rglob("*.age"))}
    result["version"] = timed([*CMTK, "--version"], runs=9)
    result["typer_hello"] = timed([PY, str(hello)], runs=9)
    result["case_show"] = timed([*CMTK, "case", "show", case_id], cwd=folder)
    result.update(measure_reports(folder))
    visits = []
    for _n in range(3):
        start = time.perf_counter()
        subprocess.run(
            visit_command(case_id),
            cwd=folder,
            env=ENV,
            capture_output=True,
            check=True,
        )
        visits.append(time.perf_counter() - start)
    result["visit_write_commit"] = statistics.median(visits)
    result.update(measure_sync(folder, case_id))
    result.update(measure_doctor(folder, case_id))
    if os.environ.get("BENCH_QUICK"):
        return result  # start-up, reads, reports and writes only: the cold measures take half an hour at 10,000 cases
    result["rebuild_one_core"] = timed([*CMTK, "index", "rebuild", "-j", "1"], cwd=folder, runs=1)
    result["rebuild_all_cores"] = timed([*CMTK, "index", "rebuild"], cwd=folder, runs=1)
    result["reference_decrypt_parse"] = timed([PY, "-c", REFERENCE, str(folder)], runs=1)
    if shutil.which("age"):
        key = subprocess.run(
            ["age", "-d", "-i", str(folder / "demo-identity.txt"), str(folder / "store/.cmtk/keys/1.age")],
            capture_output=True,
            check=True,
        ).stdout
        key_file = CACHE / "store-key.txt"
        key_file.write_bytes(key)
        os.chmod(key_file, 0o600)
        loop = (
            f"find {folder}/store/cases -name '*.age' | while read f; do age -d -i {key_file} \"$f\" > /dev/null; done"
        )
        result["age_shell_loop"] = timed(["bash", "-c", loop], runs=1)
        key_file.unlink()
    return result


@contextlib.contextmanager
def _office(folder: Path, name: str) -> Iterator[tuple[Path, dict]]:
    """A fresh work folder (removed afterwards) holding office.git, a bare copy of the demo store, and the
    environment that opens it with the demo identity."""
    work = CACHE / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = {**ENV, "CMTK_IDENTITY": str(folder / "demo-identity.txt")}
    try:
        subprocess.run(["git", "clone", "-q", "--bare", str(folder / "store"), str(work / "office.git")], check=True)
        yield work, env
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _quietly(command: list[str], env: dict) -> None:
    subprocess.run(command, env=env, check=True, capture_output=True)


def _visit(store: Path, case_id: str, env: dict) -> None:
    """Record a phone visit on the case in `store` (a change to sync or to check)."""
    _quietly(visit_command(case_id, "--store", str(store)), env)


def measure_sync(folder: Path, case_id: str) -> dict:
    """Two laptops cloned from a shared folder: a sync with nothing to do, one that sends, one that merges."""
    with _office(folder, "sync-work") as (work, env):
        found = {"clone": timed([*CMTK, "clone", str(work / "office.git"), str(work / "a")], runs=1, env=env)}
        _quietly([*CMTK, "clone", str(work / "office.git"), str(work / "b")], env)
        found["sync_nothing_to_do"] = timed([*CMTK, "--store", str(work / "a"), "sync"], runs=3, env=env)
        for laptop in ("a", "b"):
            _visit(work / laptop, case_id, env)
        found["sync_send"] = timed([*CMTK, "--store", str(work / "a"), "sync"], runs=1, env=env)
        found["sync_merge"] = timed([*CMTK, "--store", str(work / "b"), "sync"], runs=1, env=env)
        found["sync_receive"] = timed([*CMTK, "--store", str(work / "a"), "sync"], runs=1, env=env)
        # the same store through an encrypted bundle on a "stick" (issue 21): the first write, then a receive
        (work / "usb").mkdir()
        for laptop in ("a", "b"):
            _quietly([*CMTK, "--store", str(work / laptop), "remote", "add", "usb", str(work / "usb" / "cci.age")], env)
        found["sync_stick_first_write"] = timed([*CMTK, "--store", str(work / "a"), "sync", "usb"], runs=1, env=env)
        found["sync_stick_receive"] = timed([*CMTK, "--store", str(work / "b"), "sync", "usb"], runs=1, env=env)
        found["sync_stick_nothing_to_do"] = timed([*CMTK, "--store", str(work / "b"), "sync", "usb"], runs=3, env=env)
        return found


def measure_doctor(folder: Path, case_id: str) -> dict:
    """`cmtk doctor` (issue 21.10) on a copy of the store: the first, full check (cold: nothing checked before),
    `--full` again, a check with nothing changed since the last clean one (warm; target < 10 s at 2,000 cases),
    and one after a visit was recorded."""
    with _office(folder, "doctor-work") as (work, env):
        _quietly([*CMTK, "clone", str(work / "office.git"), str(work / "a")], env)
        doctor = [*CMTK, "--store", str(work / "a"), "doctor"]
        found: dict = {}
        found["doctor_first"], found["doctor_first_cpu"] = cpu_timed(doctor, runs=1, env=env)
        found["doctor_full"], found["doctor_full_cpu"] = cpu_timed([*doctor, "--full"], runs=1, env=env)
        found["doctor_warm"], found["doctor_warm_cpu"] = cpu_timed(doctor, runs=3, env=env)
        _visit(work / "a", case_id, env)
        found["doctor_after_a_visit"] = timed(doctor, runs=1, env=env)
        return found


SCAN_SCRIPT = """
import io, sys
from PIL import Image, ImageDraw
width, height, quality, path = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
noise = Image.effect_noise((width, height), 40).convert("RGB")
page = Image.blend(Image.new("RGB", (width, height), "white"), noise, 0.35)
draw = ImageDraw.Draw(page)
for y in range(height // 20, height - height // 20, max(20, height // 60)):
    draw.text((width // 16, y), "I agree that my child may return home. " * 4, fill="black")
page.save(path, "JPEG", quality=quality)
"""


def cpu_timed(command: list[str], cwd: Path | None = None, runs: int = 3, env=None) -> tuple[float, float]:
    """Median wall-clock and CPU seconds (user + system of the command and its children, git included):
    on a shared machine the CPU time says what the command costs when the machine is idle."""
    import resource

    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = subprocess.run(command, cwd=cwd, env=env or ENV, capture_output=True)
        if result.returncode not in (0, 1):  # 1: the command ran and reported findings (doctor)
            raise SystemExit(f"{' '.join(command)} failed: {result.stderr.decode()[:300]}")
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def scan(path: Path, width: int, height: int, quality: int) -> Path:
    """A scanned-page JPEG: A4 at 300 dpi (2480 x 3508) is about 3.5 MB, at 150 dpi about 0.6 MB."""
    if not path.exists():
        subprocess.run([PY, "-c", SCAN_SCRIPT, str(width), str(height), str(quality), str(path)], check=True)
    return path


def case_with_records(folder: Path, at_least: int) -> str:
    """The case with the fewest records of those with at least this many (the case file counts as one), and no
    attached file yet (an earlier run attached some)."""
    counts = sorted(
        (len(list(case.glob("*.age"))), case.name)
        for case in (folder / "store" / "cases").glob("*/*")
        if not (case / "files").exists()
    )
    return next((name for count, name in counts if count >= at_least), counts[-1][1])


def measure_attachments(folder: Path) -> dict:
    """Issue 18's targets: attach a 3 MB scan and commit (< 1 s); print a case of 20 records and 5 scans (< 10 s)."""
    big = scan(CACHE / "scan-3mb.jpg", 2480, 3508, 85)
    case_id = case_with_records(folder, 21)  # the case file and 20 forms
    records = len(list((folder / "store" / "cases" / case_id[:2] / case_id).glob("*.age")))
    found: dict = {"attach_case_records": records}
    attach = [*CMTK, "attach", case_id, str(big), "--kind", "consent"]
    found["attach_3mb_scan"], found["attach_3mb_scan_cpu"] = cpu_timed(attach, cwd=folder, runs=5)
    out = CACHE / "case-file.pdf"
    out.unlink(missing_ok=True)
    printing = [*CMTK, "case", "print", case_id, "-o", str(out)]
    found["case_print_20_records_5_scans"], found["case_print_20_records_5_scans_cpu"] = cpu_timed(printing, folder)
    html = [*CMTK, "case", "print", case_id, "-o", str(CACHE / "case-file.html")]
    found["case_print_html"], found["case_print_html_cpu"] = cpu_timed(html, folder)
    return found


STICK_SCRIPT = """
import sys, datetime
from pathlib import Path
from cmtk.casework import attachments
from cmtk.store.session import Store
root, identity, scan, per_child = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
session = Store(root).unlock(identity)
for case_id in session.store.case_ids():
    for _ in range(per_child):
        attachments.attach(session, case_id, scan, "consent", today=datetime.date(2026, 11, 24))
"""


def measure_stick(children: int = 200, per_child: int = 2) -> dict:
    """200 children with 2 scans each (150 dpi, about 0.6 MB a page): the first sync that writes them to a new
    USB stick, and the sync that brings them into a second laptop's copy (< 1 minute)."""
    work = CACHE / "stick-work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    small = scan(CACHE / "scan-150dpi.jpg", 1240, 1754, 85)
    try:
        subprocess.run(
            [*CMTK, "dev", "generate", str(work / "a"), "--cases", str(children), "--as-of", AS_OF],
            env=ENV,
            check=True,
            capture_output=True,
        )
        identity = work / "a" / "demo-identity.txt"
        env = {**ENV, "CMTK_IDENTITY": str(identity)}
        (work / "usb").mkdir()
        stick = work / "usb" / "cci.age"
        laptop_a, laptop_b = work / "a" / "store", work / "b"
        subprocess.run(
            [*CMTK, "--store", str(laptop_a), "remote", "add", "usb", str(stick)],
            env=env,
            check=True,
            capture_output=True,
        )
        subprocess.run([*CMTK, "--store", str(laptop_a), "sync"], env=env, check=True, capture_output=True)
        subprocess.run([*CMTK, "clone", str(stick), str(laptop_b)], env=env, check=True, capture_output=True)
        adding = [PY, "-c", STICK_SCRIPT, str(laptop_a), str(identity), str(small), str(per_child)]
        found: dict = {}
        found["stick_attach_400_scans"], found["stick_attach_400_scans_cpu"] = cpu_timed(adding, runs=1, env=env)
        send = [*CMTK, "--store", str(laptop_a), "sync"]
        found["stick_sync_send_400_scans"], found["stick_sync_send_400_scans_cpu"] = cpu_timed(send, runs=1, env=env)
        found["stick_bundle_mb"] = round(stick.stat().st_size / 1024 / 1024, 1)
        receive = [*CMTK, "--store", str(laptop_b), "sync"]
        found["stick_sync_receive_400_scans"], found["stick_sync_receive_400_scans_cpu"] = cpu_timed(
            receive, runs=1, env=env
        )
        return found
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure_printing(runs: int = 1) -> dict:
    """Printing: one form as PDF (one WeasyPrint run), and the whole workshop pack in both languages.

    The pack is one WeasyPrint run over about 200 pages (issue 17: under 60 s on the
    workshop laptop); a run per form costs a few seconds each. Written to bench/printing.json.
    """
    out = CACHE / "printing"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)

    def render(name: str, *args: str) -> list[str]:
        target = out / name
        return ["sh", "-c", f"rm -f {target} && {' '.join([*CMTK, *args, '-o', str(target)])}"]

    results = {
        "form_render_pdf": timed(render("one.pdf", "form", "render", "identification"), runs=3),
        "form_pack_en_pdf": timed(render("en.pdf", "form", "pack", "--lang", "en"), runs=runs),
        "form_pack_both_pdf": timed(render("both.pdf", "form", "pack", "--lang", "both"), runs=runs),
        "form_pack_both_html": timed(render("both.html", "form", "pack", "--lang", "both"), runs=3),
    }
    (HERE / "printing.json").write_text(json.dumps(results, indent=2) + "\n")
    for key, seconds in results.items():
        print(f"{key:<26}{seconds:>10.1f} s")
    return results


def merge_into_results(results: list[dict]) -> list[dict]:
    """Write these measures into bench/results.json over the earlier ones of the same sizes; returns all."""
    earlier = {}
    if (HERE / "results.json").is_file():
        earlier = {r["cases"]: r for r in json.loads((HERE / "results.json").read_text())}
    measured = {r["cases"]: {**earlier.get(r["cases"], {}), **r} for r in results}
    merged = [measured.get(size, earlier.get(size)) for size in sorted(set(earlier) | set(measured))]
    (HERE / "results.json").write_text(json.dumps(merged, indent=2) + "\n")
    return merged


def main() -> None:
    if os.environ.get("BENCH_ONLY") == "printing":  # `BENCH_ONLY=printing make bench`: only the printing figures
        measure_printing()
        return
    # Byte-compile cmtk first: with PYTHONDONTWRITEBYTECODE set (as on this machine) every run
    # would otherwise compile its modules again, which no installed copy does.
    subprocess.run([PY, "-m", "compileall", "-q", str(HERE.parent / "cmtk")], check=True)
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "2000 10000").split()]
    # BENCH_ONLY=attachments: only issue 18's measures; BENCH_ONLY=reports: the warm reports and the supervision
    # page only (issue 19); BENCH_ONLY=sync: sync and doctor only (issue 21). Each is merged into the earlier
    # results.
    only = os.environ.get("BENCH_ONLY")
    if only == "sync":  # BENCH_ONLY=sync: sync and doctor only (issue 21)
        results = []
        for size in sizes:
            folder = store_for(size)
            case_id = first_case(folder)
            results.append({"cases": size, **measure_sync(folder, case_id), **measure_doctor(folder, case_id)})
            merge_into_results(results[-1:])  # each size as soon as it is measured: 10,000 cases take an hour
    elif only == "reports":
        results = [{"cases": size, **measure_reports(store_for(size))} for size in sizes]
    elif only == "attachments":
        results = [{"cases": size, **measure_attachments(store_for(size))} for size in sizes]
        if sizes:
            results[0].update(measure_stick())
    else:
        results = [measure(size) for size in sizes]
        for size, result in zip(sizes, results, strict=False):
            result.update(measure_attachments(store_for(size)))
        if results:
            results[0].update(measure_stick())
    if os.environ.get("BENCH_QUICK") or only:
        results = merge_into_results(results)
    else:
        (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    keys = list(dict.fromkeys(k for r in results for k in r if k not in ("cases", "records")))
    print(f"{'seconds (median)':<26}" + "".join(f"{r['cases']:>12} cases" for r in results))
    for key in keys:
        print(f"{key:<26}" + "".join(f"{r.get(key, float('nan')):>18.3f}" for r in results))
    if not only:
        measure_printing()
    for r in results:
        if "rebuild_one_core" not in r:
            continue
        print(f"\n{r['cases']} cases, {r['records']} records:")
        print(f"  --version / typer hello      {r['version'] / r['typer_hello']:.2f}x (target <= 1.3x, <= 0.15 s)")
        print(f"  overdue warm / --version     {r['overdue_warm'] / r['version']:.2f}x (target <= 2.5x, <= 0.3 s)")
        print(
            f"  rebuild 1 core / reference   "
            f"{r['rebuild_one_core'] / r['reference_decrypt_parse']:.2f}x (target <= 1.3x)"
        )
        print(
            f"  rebuild all cores / reference {r['rebuild_all_cores'] / r['reference_decrypt_parse']:.2f}x (target < 1)"
        )
        if "age_shell_loop" in r:
            slowest = max(r[k] for k in ("overdue_warm", "benchmarks_warm", "caseload_warm") if k in r)
            print(f"  age loop / slowest report    {r['age_shell_loop'] / slowest:.0f}x (target >= 50x)")


if __name__ == "__main__":
    main()
