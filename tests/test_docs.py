"""The documentation is checked mechanically: console examples run and print what the docs show;
the command reference is generated from --help and up to date."""

from __future__ import annotations

import os
from pathlib import Path

import doccheck
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ["docs/tutorial.md", "README.md", "docs/sync.md"]


@pytest.mark.slow
@pytest.mark.parametrize("name", DOCUMENTS)
def test_console_examples_print_what_the_docs_show(name, tmp_path, monkeypatch):
    for variable in ("CMTK_TODAY", "CMTK_STORE", "CMTK_IDENTITY"):
        monkeypatch.delenv(variable, raising=False)
    markdown = (ROOT / name).read_text()
    items = doccheck.examples(markdown)
    assert items, f"{name} has no console examples"
    outputs = doccheck.run(
        items, tmp_path, ROOT / "docs", {"HOME": str(tmp_path), "CMTK_CONFIG_DIR": str(tmp_path / "cfg")}
    )
    if os.environ.get("CMTK_UPDATE_DOCS") == "1":
        (ROOT / name).write_text(doccheck.update(markdown, items, outputs))
        pytest.skip(f"{name} rewritten from the real output")
    case_ids = doccheck.new_case_ids(outputs)
    doc_ids = doccheck.new_case_ids(["\n".join(item.expected) for item in items])
    for item, output in zip(items, outputs, strict=False):
        assert doccheck.matches(item.expected, output, case_ids, doc_ids), (
            f"{name} line {item.line}: `{item.command}` printed:\n{output}\n--- but the document shows:\n"
            + "\n".join(item.expected)
        )


def test_command_reference_is_generated_from_help():
    from cmtk.cli import dev as reference

    committed = (ROOT / "docs" / "commands.md").read_text()
    assert committed == reference.markdown(), (
        "docs/commands.md is out of date: run `cmtk dev reference > docs/commands.md`"
    )


def test_every_command_is_in_the_reference():
    from typer.main import get_command

    from cmtk.cli.main import register

    text = (ROOT / "docs" / "commands.md").read_text()

    def walk(command, path):
        for name, sub in getattr(command, "commands", {}).items():
            if not sub.hidden:
                yield " ".join([*path, name])
                yield from walk(sub, [*path, name])

    for path in walk(get_command(register()), ["cmtk"]):
        assert f"## {path}" in text, path
