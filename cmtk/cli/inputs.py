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
            raise CmtkError.of("from-not-found", source=source)
        if path.stat().st_size > MAX_INPUT_BYTES:
            raise CmtkError.of("from-file-too-large", source=source)
        data = path.read_bytes()
        name = source
    if len(data) > MAX_INPUT_BYTES:
        raise CmtkError.of("from-input-too-large", name=name)
    if not data.strip():
        raise CmtkError.of("from-empty", name=name)
    return yamlio.loads(data, f"--from {name}", as_text=True)  # typed values keep every digit (issue 21, item 9)
