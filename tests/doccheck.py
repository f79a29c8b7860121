"""Run the console examples of a Markdown document and compare their output with what the document shows.

A console block is a fenced block marked `console`. Lines starting with `$ `
are commands; the lines after a command, up to the next command or the end of
the block, are its expected output. All commands of a document run in one
bash session (so `cd` and `export` carry over), in a scratch folder where
`docs` points at the repository's docs. Before comparing, record ids and
commit ids are masked, and a line `...` in the expected output stands for
any number of lines.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MARK = "@@cmtk-doc-step@@"
_MASKS = [
    (re.compile(r"\b[0-9a-f]{10,40}\b"), "<commit>"),
    (re.compile(r"\b[0-9A-Z]{10}\b"), "<record>"),
    (re.compile(r"(?:/tmp|/dev/shm)/[^\s;]*"), "<path>"),  # pytest's folders (make test keeps them in /dev/shm)
]


@dataclass
class Example:
    command: str
    expected: list[str]
    line: int


def examples(markdown: str) -> list[Example]:
    found: list[Example] = []
    inside = False
    for number, line in enumerate(markdown.splitlines(), start=1):
        if line.startswith("```"):
            inside = line.strip() == "```console"
            continue
        if not inside:
            continue
        if line.startswith("$ "):
            found.append(Example(line[2:], [], number))
        elif found:
            found[-1].expected.append(line)
    return found


def mask(text: str, case_ids: set[str] = frozenset()) -> str:
    for case_id in case_ids:
        text = text.replace(case_id, "<case>")
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text.rstrip()


def new_case_ids(outputs: list[str]) -> set[str]:
    """Ids printed alone on a line (as `cmtk case new` does): random, so masked when comparing."""
    return {o.strip() for o in outputs if re.fullmatch(r"[0-9A-Z]{8}", o.strip())}


SKIP = (". .venv/bin/activate",)  # the test runs with cmtk already on PATH


def run(items: list[Example], workdir: Path, docs: Path, env: dict) -> list[str]:
    (workdir / "docs").symlink_to(docs)
    script = "\n".join(f"echo '{MARK}'\n{':' if item.command in SKIP else item.command} 2>&1" for item in items)
    script += f"\necho '{MARK}'\n"
    full_env = dict(os.environ)
    full_env.update(env)
    full_env["PATH"] = f"{Path(sys.executable).parent}:{full_env.get('PATH', '')}"
    full_env["COLUMNS"] = "120"
    result = subprocess.run(
        ["bash", "-c", script], cwd=workdir, env=full_env, capture_output=True, text=True, timeout=600
    )
    chunks = result.stdout.split(MARK + "\n")[1:]
    return [chunk.rstrip("\n") for chunk in chunks[: len(items)]]


def matches(
    expected: list[str], actual: str, case_ids: set[str] = frozenset(), doc_ids: set[str] = frozenset()
) -> bool:
    want = [mask(line, doc_ids) for line in expected]
    got = [mask(line, case_ids) for line in actual.splitlines()]
    while want and not want[-1]:
        want.pop()
    return _match(want, got)


def _match(want: list[str], got: list[str]) -> bool:
    if not want:
        return not got
    if want[0] == "...":
        return any(_match(want[1:], got[i:]) for i in range(len(got) + 1))
    return bool(got) and want[0] == got[0] and _match(want[1:], got[1:])


def update(markdown: str, items: list[Example], outputs: list[str]) -> str:
    """Rewrite each command's expected output with what it printed (for CMTK_UPDATE_DOCS=1)."""
    lines = markdown.splitlines()
    for item, output in sorted(zip(items, outputs, strict=False), key=lambda pair: -pair[0].line):
        start = item.line  # index after the command line
        end = start + len(item.expected)
        lines[start:end] = [_MASKS[-1][0].sub("<path>", line) for line in output.splitlines()] if output else []
    return "\n".join(lines) + "\n"
