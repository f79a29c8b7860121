"""The SMART checker's words, as data: cmtk/defaults/smart.yaml, a store's overrides, and the forms.

The word lists (roles, verbs, outputs, times...) live in `cmtk/defaults/smart.yaml`.
A store changes them under `smart:` in its `.cmtk/policy.yaml` (a list replaces,
`{add: [...], remove: [...]}` edits). The six wellbeing domains, their labels
and the benchmark indicators are not listed anywhere in code: they are read
from the form definitions (the case plan's `domain` choices, the case
reviews' indicator fields), so the checker follows the forms a store uses.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from cmtk.errors import CmtkError
from cmtk.forms import definitions
from cmtk.store import paths, yamlio

FormLoader = Callable[[str], definitions.FormDef]
_LISTS_OF_WORDS = frozenset(
    {
        "roles",
        "relatives_to_name",
        "vague_who",
        "action_verbs",
        "irregular_verbs",
        "action_nouns",
        "vague_verbs",
        "talk_verbs",
        "swahili_verb_stems",
        "swahili_vague_stems",
        "swahili_verb_prefixes",
        "swahili_output_stems",
        "output_words",
        "output_verbs",
        "frequency_words",
        "frequency_leads",
        "periods",
        "count_units",
        "number_words",
        "swahili_count_units",
        "swahili_number_prefixes",
        "vague_outputs",
        "vague_times",
        "function_words",
        "subject_links",
        "prepositions",
        "determiners",
    }
)
_MAPPINGS = frozenset({"months", "domain_keywords", "domain_aliases", "forms"})
_SETTINGS = frozenset({"format", "busy_week_limit"})
KEYS = _LISTS_OF_WORDS | _MAPPINGS | _SETTINGS


def defaults() -> dict[str, Any]:
    """cmtk's own lists (a copy: callers may change it)."""
    return copy.deepcopy(_defaults())


@functools.lru_cache(maxsize=1)
def _defaults() -> dict[str, Any]:
    path = paths.defaults_dir() / "smart.yaml"
    data = yamlio.loads(path.read_text("utf-8"), "cmtk/defaults/smart.yaml")
    return data if isinstance(data, dict) else {}


def _edit(base: Any, change: Any, where: str) -> Any:
    """A list replaced by a list, or edited by {add: [...], remove: [...]}; a mapping merged key by key."""
    if isinstance(base, list):
        if isinstance(change, list):
            return [_word(w, where) for w in change]
        if isinstance(change, dict) and set(change) <= {"add", "remove"}:
            added = [_word(w, where) for w in change.get("add") or []]
            removed = {_word(w, where) for w in change.get("remove") or []}
            return [w for w in base if w not in removed] + [w for w in added if w not in base]
        raise CmtkError.of("smart-policy-not-a-list", where=where)
    if isinstance(base, dict):
        if not isinstance(change, dict):
            raise CmtkError.of("smart-policy-list-not-mapping", where=where)
        merged = dict(base)
        for key, value in change.items():
            merged[key] = _edit(base[key], value, f"{where}.{key}") if key in base else _fresh(value, where)
        return merged
    return change


def _fresh(value: Any, where: str) -> Any:
    if isinstance(value, list):
        return [_word(w, where) for w in value]
    if isinstance(value, dict) and set(value) <= {"add", "remove"}:
        return [_word(w, where) for w in value.get("add") or []]
    return value


def _word(value: Any, where: str) -> str:
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise CmtkError.of("smart-policy-not-a-word", where=where, typed=value)
    return str(value).lower()


def merged(overrides: Any) -> dict[str, Any]:
    """cmtk's lists with a store's `smart:` overrides applied; unknown keys are refused by name."""
    data = defaults()
    if overrides is None:
        return data
    if not isinstance(overrides, dict):
        raise CmtkError.of("smart-policy-not-a-mapping")
    for key, value in overrides.items():
        if key not in KEYS:
            hint = definitions.suggest(key, KEYS)
            raise CmtkError.of("smart-policy-unknown-list", key=key, hint=hint)
        data[key] = _edit(data.get(key), value, key) if key in data else _fresh(value, key)
    return data


@dataclass(frozen=True)
class Benchmark:
    number: int
    domain: str
    indicators: int


@dataclass
class Rules:
    """Everything the checker reads: the word lists and what the forms say about domains and indicators.

    `forms` loads a form definition by id (the store's, when there is a store);
    the review forms are read only when an indicator has to be checked.
    """

    data: dict[str, Any]
    forms: FormLoader = field(repr=False)

    def words(self, key: str) -> tuple[str, ...]:
        return tuple(str(w).lower() for w in self.data.get(key) or ())

    @cached_property
    def domains(self) -> dict[str, definitions.Text]:
        """Domain id -> its label, from the case plan form's goals table (`domain` column)."""
        plan = self.forms(str((self.data.get("forms") or {}).get("plan", "case-plan")))
        for _section, fld in plan.all_fields():
            for column in (fld, *fld.columns):
                if column.name == "domain" and column.choices:
                    return {c.value: c.label for c in column.choices}
        return {d: definitions.Text(d) for d in definitions.DOMAINS}

    @cached_property
    def domain_aliases(self) -> dict[str, str]:
        aliases = {_plain(k): v for k, v in (self.data.get("domain_aliases") or {}).items() if v in self.domains}
        for domain, label in self.domains.items():
            aliases[_plain(label.en)] = domain
            if label.sw:
                aliases[_plain(label.sw)] = domain
        return aliases

    @cached_property
    def domain_keywords(self) -> dict[str, tuple[str, ...]]:
        found = {}
        for domain, label in self.domains.items():
            words = [str(w).lower() for w in (self.data.get("domain_keywords") or {}).get(domain) or ()]
            words += [_plain(label.en)] + ([_plain(label.sw)] if label.sw else [])
            found[domain] = tuple(words)
        return found

    @cached_property
    def benchmarks(self) -> dict[int, Benchmark]:
        """Benchmark number -> its domain and how many indicators it has, over every review form."""
        found: dict[int, Benchmark] = {}
        for form_id in (self.data.get("forms") or {}).get("reviews") or ():
            form = self.forms(str(form_id))
            for section in form.sections:
                for fld in section.fields:
                    match = re.fullmatch(r"B(\d+)\.(\d+)", fld.indicator or "")
                    if not match or not section.domain:
                        continue
                    number, index = int(match.group(1)), int(match.group(2))
                    known = found.get(number)
                    count = max(index, known.indicators if known else 0)
                    found[number] = Benchmark(number, section.domain, count)
        return dict(sorted(found.items()))


def _plain(text: str) -> str:
    return " ".join(text.replace("_", " ").replace("-", " ").lower().split())


_cache: dict[tuple, Rules] = {}


def build(overrides: Any = None, forms: FormLoader | None = None, store_root=None) -> Rules:
    """The rules for a store: cmtk's lists, the store's `smart:` overrides, its form definitions.

    Built once per process for each set of overrides and forms.
    """
    key = (json.dumps(overrides, sort_keys=True, default=str), str(store_root), forms is None)
    if key not in _cache:

        def load(form_id: str) -> definitions.FormDef:
            return definitions.load_form(form_id, store_root)

        _cache[key] = Rules(merged(overrides), forms or load)
    return _cache[key]


def default() -> Rules:
    """cmtk's own rules over the shipped forms (for `cmtk smart text` with no store, and for tests)."""
    return build()
