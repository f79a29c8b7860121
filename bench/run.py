"""The benchmark of issue 8: `make bench` (BENCH_SIZES="1000 10000" by default).

Generates stores of each size once (cached in bench/cache/), then measures,
as medians of several runs, each command as a caseworker would run it, and
the floors to compare with: a typer hello-world app, a reference loop that
only decrypts and parses every record with the same libraries, and a shell
loop of `age -d` over every record. Prints a table and writes
bench/results.json. No timing is asserted in the test suite: this is the measure.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
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


def first_case(folder: Path) -> str:
    out = subprocess.run(
        [*CMTK, "case", "list", "--format", "json"], cwd=folder, env=ENV, capture_output=True, text=True
    ).stdout
    return json.loads(out)[0]["case"]


def measure(size: int) -> dict:
    folder = store_for(size)
    hello = CACHE / "hello.py"
    hello.write_text(HELLO)
    case_id = first_case(folder)
    result = {"cases": size, "records": sum(1 for _ in (folder / "store" / "cases").rglob("*.age"))}
    result["version"] = timed([*CMTK, "--version"], runs=9)
    result["typer_hello"] = timed([PY, str(hello)], runs=9)
    result["case_show"] = timed([*CMTK, "case", "show", case_id], cwd=folder)
    subprocess.run([*CMTK, "report", "overdue"], cwd=folder, env=ENV, capture_output=True)  # warm the index
    result["overdue_warm"] = timed([*CMTK, "report", "overdue"], cwd=folder)
    result["benchmarks_warm"] = timed([*CMTK, "report", "benchmarks", "--format", "json"], cwd=folder)
    result["caseload_warm"] = timed([*CMTK, "report", "caseload"], cwd=folder)
    visits = []
    for _n in range(3):
        start = time.perf_counter()
        subprocess.run(
            [*CMTK, "visit", case_id, "--date", AS_OF, "--mode", "phone"],
            cwd=folder,
            env=ENV,
            capture_output=True,
            check=True,
        )
        visits.append(time.perf_counter() - start)
    result["visit_write_commit"] = statistics.median(visits)
    result.update(measure_sync(folder, case_id))
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


def measure_sync(folder: Path, case_id: str) -> dict:
    """Two laptops cloned from a shared folder: a sync with nothing to do, one that sends, one that merges."""
    work = CACHE / "sync-work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = {**ENV, "CMTK_IDENTITY": str(folder / "demo-identity.txt")}
    try:
        subprocess.run(["git", "clone", "-q", "--bare", str(folder / "store"), str(work / "office.git")], check=True)
        found = {"clone": timed([*CMTK, "clone", str(work / "office.git"), str(work / "a")], runs=1, env=env)}
        subprocess.run(
            [*CMTK, "clone", str(work / "office.git"), str(work / "b")], env=env, check=True, capture_output=True
        )
        found["sync_nothing_to_do"] = timed([*CMTK, "--store", str(work / "a"), "sync"], runs=3, env=env)
        for laptop in ("a", "b"):
            subprocess.run(
                [*CMTK, "--store", str(work / laptop), "visit", case_id, "--date", AS_OF, "--mode", "phone"],
                env=env,
                check=True,
                capture_output=True,
            )
        found["sync_send"] = timed([*CMTK, "--store", str(work / "a"), "sync"], runs=1, env=env)
        found["sync_merge"] = timed([*CMTK, "--store", str(work / "b"), "sync"], runs=1, env=env)
        found["sync_receive"] = timed([*CMTK, "--store", str(work / "a"), "sync"], runs=1, env=env)
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


def main() -> None:
    if os.environ.get("BENCH_ONLY") == "printing":  # `BENCH_ONLY=printing make bench`: only the printing figures
        measure_printing()
        return
    # Byte-compile cmtk first: with PYTHONDONTWRITEBYTECODE set (as on this machine) every run
    # would otherwise compile its modules again, which no installed copy does.
    subprocess.run([PY, "-m", "compileall", "-q", str(HERE.parent / "cmtk")], check=True)
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "1000 10000").split()]
    results = [measure(size) for size in sizes]
    if os.environ.get("BENCH_QUICK") and (HERE / "results.json").is_file():
        earlier = {r["cases"]: r for r in json.loads((HERE / "results.json").read_text())}
        measured = {r["cases"]: {**earlier.get(r["cases"], {}), **r} for r in results}
        results = [measured.get(size, earlier.get(size)) for size in sorted(set(earlier) | set(measured))]
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    keys = list(dict.fromkeys(k for r in results for k in r if k not in ("cases", "records")))
    print(f"{'seconds (median)':<26}" + "".join(f"{r['cases']:>12} cases" for r in results))
    for key in keys:
        print(f"{key:<26}" + "".join(f"{r.get(key, float('nan')):>18.3f}" for r in results))
    measure_printing()
    for r in results:
        if "rebuild_one_core" not in r:
            continue
        print(f"\n{r['cases']} cases, {r['records']} records:")
        print(f"  --version / typer hello      {r['version'] / r['typer_hello']:.2f}x (target <= 1.3x, <= 0.15 s)")
        print(f"  overdue warm / --version     {r['overdue_warm'] / r['version']:.2f}x (target <= 2.5x, <= 0.3 s)")
        print(
            f"  rebuild 1 core / reference   {r['rebuild_one_core'] / r['reference_decrypt_parse']:.2f}x (target <= 1.3x)"
        )
        print(
            f"  rebuild all cores / reference {r['rebuild_all_cores'] / r['reference_decrypt_parse']:.2f}x (target < 1)"
        )
        if "age_shell_loop" in r:
            slowest = max(r[k] for k in ("overdue_warm", "benchmarks_warm", "caseload_warm") if k in r)
            print(f"  age loop / slowest report    {r['age_shell_loop'] / slowest:.0f}x (target >= 50x)")


if __name__ == "__main__":
    main()
