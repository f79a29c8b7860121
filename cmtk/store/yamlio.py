"""One YAML dialect (YAML 1.2, ruamel's safe mode with its C parser) for reading and writing.

Errors report line and column only: ruamel's own messages quote the offending
lines, and for a decrypted record those lines are plaintext about a child.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from cmtk.errors import RecordError

if TYPE_CHECKING:
    from ruamel.yaml import YAML

_loader: YAML | None = None
_text_loader: YAML | None = None
_dumper: YAML | None = None
# Tags whose plain scalars a person's input keeps as typed text (issue 21, item 9): `0712345678` is a
# phone number, not the integer 712345678; the form's declared type converts it (cmtk.forms.validate).
_TEXT_TAGS = ("int", "float", "bool", "timestamp")


def _yaml(kind: str):
    global _loader, _text_loader, _dumper
    from ruamel.yaml import YAML

    if kind == "text":
        if _text_loader is None:
            from ruamel.yaml.constructor import SafeConstructor

            class TextConstructor(SafeConstructor):
                """Every scalar as the text it was typed as; only null (`~`, `null`, nothing) stays empty."""

            for tag in _TEXT_TAGS:
                TextConstructor.add_constructor(f"tag:yaml.org,2002:{tag}", SafeConstructor.construct_yaml_str)
            _text_loader = YAML(typ="safe", pure=False)
            _text_loader.Constructor = TextConstructor
            _text_loader.allow_duplicate_keys = False
        return _text_loader
    if kind == "load":
        if _loader is None:
            _loader = YAML(typ="safe", pure=False)
            _loader.allow_duplicate_keys = False
        return _loader
    if _dumper is None:
        _dumper = YAML(typ="safe", pure=False)
        _dumper.default_flow_style = False
        _dumper.allow_unicode = True
        _dumper.width = 4096
        # ruamel's YAML.__init__ sets this to None, so its inferred type is None; it takes a bool
        _dumper.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
        # No anchors/aliases: a record must read the same to any YAML reader.
        _dumper.representer.ignore_aliases = lambda *args: True
    return _dumper


def uses_c_parser() -> bool:
    """True when ruamel.yaml.clib is in use (without it parsing is ~5x slower)."""
    parser = _yaml("load").Parser
    return parser.__name__ == "CParser" and parser.__module__.endswith("_ruamel_yaml")


def loads(text: str | bytes, source: str, *, allow_aliases: bool = False, as_text: bool = False) -> Any:
    """Parse YAML; on error name `source` with line and column, never the content.

    `as_text`: what a person typed (`--from` files, the `case edit` buffer): numbers, yes/no words and
    dates stay the text they were written as, and the form's field types convert them.
    """
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise RecordError.of("yaml-not-utf8", source=source) from None
    _check_depth(text, source)
    try:
        data = _yaml("text" if as_text else "load").load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        raise RecordError.of("yaml-error", source=source, where=where) from None
    except YAMLError:
        raise RecordError.of("yaml-invalid", source=source) from None
    except (ValueError, TypeError, RecursionError):
        raise RecordError.of("yaml-value", source=source) from None
    if not allow_aliases:
        _reject_shared(data, source)
    return data


MAX_DEPTH = 64


def _check_depth(text: str, source: str) -> None:
    """Refuse nesting deeper than any form needs before the C parser sees it (deep input crashes it)."""
    if text.count("[") + text.count("{") > MAX_DEPTH:
        _check_brackets(text, source)
    if len(text) > 4 * MAX_DEPTH:
        indents = [len(line) - len(line.lstrip(" ")) for line in text.splitlines()]
        if indents and max(indents) > 2 * MAX_DEPTH + 40:
            raise RecordError.of("yaml-too-deep", source=source, max_depth=MAX_DEPTH)


def _check_brackets(text: str, source: str) -> None:
    depth = deepest = 0
    for char in text:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    if deepest > MAX_DEPTH:
        raise RecordError.of("yaml-too-deep", source=source, max_depth=MAX_DEPTH)


def _reject_shared(data: Any, source: str) -> None:
    """Records never use YAML anchors and aliases; refuse them (an alias bomb expands when printed)."""
    seen: set[int] = set()
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (dict, list)):
            if id(item) in seen:
                raise RecordError.of("yaml-aliases", source=source)
            seen.add(id(item))
            stack.extend(item.values() if isinstance(item, dict) else item)


def dumps(data: Any) -> str:
    stream = io.StringIO()
    _yaml("dump").dump(data, stream)
    return stream.getvalue()
