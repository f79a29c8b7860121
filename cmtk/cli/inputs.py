"""Reading a record from a file or standard input (`--from FILE|-`)."""

from __future__ import annotations

import sys

from cmtk.errors import CmtkError
from cmtk.store import paths, yamlio

MAX_INPUT_BYTES = 2 * 1024 * 1024


def read_yaml(source: str):

    if source == "-":
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        name = "standard input"
    else:
        path = paths.expand(source)
        if not path.is_file():
            raise CmtkError(f"--from: {source}: no such file")
        if path.stat().st_size > MAX_INPUT_BYTES:
            raise CmtkError(f"--from: {source}: larger than 2 MB; a form is never that big, check the file")
        data = path.read_bytes()
        name = source
    if len(data) > MAX_INPUT_BYTES:
        raise CmtkError(f"--from: {name}: larger than 2 MB; a form is never that big, check the input")
    if not data.strip():
        raise CmtkError(f"--from: {name}: is empty; write the form as YAML (see `cmtk form show FORM`)")
    return yamlio.loads(data, f"--from {name}", as_text=True)  # typed values keep every digit (issue 21, item 9)
