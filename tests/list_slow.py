"""Write tests/slow.txt: the tests that take longer than the fast loop can afford (`make slow-list`).

Runs the whole suite over both cores with a JUnit report, adds up each test's setup, call and teardown, and
lists every test at or above THRESHOLD seconds. conftest.py marks the listed tests `slow`, so `make test-fast`
(`-m "not slow"`) leaves them out and `make test` still runs them. Run it on an idle machine after adding or
changing tests that start processes, set up several laptops or generate stores; a test not listed is fast.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
THRESHOLD = 0.4  # seconds: about 300 tests under it fit in half a minute on two cores
HEADER = """\
# Tests left out of `make test-fast` because each takes {threshold} s or more (setup + call), measured by
# `make slow-list` (tests/list_slow.py) on {cores} cores. conftest.py marks them `slow`; `make test` runs them.
# A parametrized test is listed once for all its cases when every case is slow, else case by case.
"""


def node_id(case: ET.Element) -> tuple[str, str]:
    """(test id without parameters, parameters) from a JUnit testcase, whose classname is the module's dotted
    path followed by the test class, if any."""
    parts = case.get("classname", "").split(".")
    cut = next(
        (n for n in range(len(parts), 0, -1) if (HERE.parent / "/".join(parts[:n])).with_suffix(".py").is_file()), 0
    )
    base, _, params = case.get("name", "").partition("[")
    test = "::".join(["/".join(parts[:cut]) + ".py", *parts[cut:], base])
    return test, f"[{params}" if params else ""


def write(seconds: dict[str, dict[str, float]], kept: Sequence[str] = ()) -> int:
    """Write tests/slow.txt from {test id: {parameters: seconds}} and the entries `kept` from before; returns the
    number of entries."""
    listed = list(kept)
    for test, cases in sorted(seconds.items()):
        slow = [params for params, taken in cases.items() if taken >= THRESHOLD]
        if slow and len(slow) == len(cases):
            listed.append(test)
        else:
            listed += [test + params for params in sorted(slow)]
    header = HEADER.format(threshold=THRESHOLD, cores=os.cpu_count())
    (HERE / "slow.txt").write_text(header + "".join(f"{test}\n" for test in sorted(set(listed))))
    return len(set(listed))


def collected(pytest_args: list[str]) -> set[str]:
    """The ids of the tests pytest collects now, with and without their parameters."""
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", *pytest_args],  # one -q (pyproject): one id a line
        cwd=HERE.parent,
        capture_output=True,
        text=True,
    ).stdout
    ids = {line.strip() for line in out.splitlines() if "::" in line}
    return ids | {test.split("[", 1)[0] for test in ids}


def main() -> None:
    """`list_slow.py [--fast-only] [pytest options]`. --fast-only measures only the tests not yet slow and adds
    those now too slow to the list, keeping the entries that still name a test (a few minutes, not the whole
    suite: after adding or renaming tests)."""
    args = sys.argv[1:]
    fast_only = "--fast-only" in args
    args = [a for a in args if a != "--fast-only"]
    kept: list[str] = []
    if fast_only:
        existing = collected(args)
        listed = [line.strip() for line in (HERE / "slow.txt").read_text().splitlines() if line.strip()]
        kept = [entry for entry in listed if not entry.startswith("#") and entry in existing]
        args = [*args, "-m", "not slow"]
    with tempfile.TemporaryDirectory() as work:
        report = Path(work) / "report.xml"
        subprocess.run(
            [sys.executable, "-m", "pytest", "-n", "2", "-q", f"--junitxml={report}", *args], cwd=HERE.parent
        )
        seconds: dict[str, dict[str, float]] = defaultdict(dict)
        for case in ET.parse(report).getroot().iter("testcase"):
            test, params = node_id(case)
            seconds[test][params] = float(case.get("time", "0"))
    print(f"{write(seconds, kept)} slow entries written to tests/slow.txt")


if __name__ == "__main__":
    main()
