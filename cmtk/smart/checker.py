"""SMART checks for case-plan goals and actions, and for one free-text goal.

The Handbook asks that every goal and its actions be SMART:

- S, Specific: it is clear who does what (a named person or a role, and an
  action verb). A relative a child may have more than one of ("the
  grandfather") needs a name.
- M, Measurable: an output shows when it is done (an account book, a receipt,
  a report card...), or the action can be counted ("two sessions", "weekly").
  Talking about something, or reading it, leaves nothing to check by itself.
- A, Attainable: realistic. That is a judgement for the caseworker and the
  family; this module flags only what is plainly unrealistic: a deadline that
  has already passed for an action still open, a deadline after the planned
  closure, one person or role holding many open actions due the same week.
- R, Relevant: it moves the child towards reintegration: the goal is linked to
  a wellbeing domain or to benchmark indicators (B1.3 style).
- T, Time-bound: a real calendar date, written day first in Kenya (10-02-2021),
  or ISO (2021-02-10), or with the month's name (10 February 2021).

The words it reads with are data (`cmtk/smart/rules.py`): cmtk's lists in
`cmtk/defaults/smart.yaml`, a store's own under `smart:` in its
`.cmtk/policy.yaml`, and the domains and indicators of its form definitions.
Counties change those, never this module. Findings are data
(`SmartFinding`); the CLI prints them or turns them into JSON. Messages are in
plain English for a caseworker, each saying what to add or change, and never
repeat a child's or a family member's name: they quote only cmtk's own words
(from the lists), dates, and short codes (an indicator id, a domain).
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from functools import cached_property

from cmtk import messages
from cmtk.dates import format_local, parse_date
from cmtk.errors import ValidationError
from cmtk.findings import Finding
from cmtk.smart import rules as smart_rules
from cmtk.smart.rules import Rules

LETTERS = ("S", "M", "A", "R", "T")

EXAMPLE_DATE = _dt.date(2026, 2, 10)  # shown in messages as 10-02-2026
EXAMPLE_OUTPUT = "account book with first deposit"


# --------------------------------------------------------------------------
# Findings
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class SmartFinding:
    """One way a goal or action is not SMART: where, which letter, what to do."""

    goal: str | None
    action: str | None
    letter: str  # "S", "M", "A", "R" or "T"
    message: str
    code: str = ""  # the catalogue code (cmtk/messages.py); by default the one its message was worded with

    def __post_init__(self) -> None:
        if not self.code:
            object.__setattr__(self, "code", getattr(self.message, "code", ""))
        object.__setattr__(self, "message", str(self.message))  # a plain str from here on (JSON, YAML, equality)

    def as_finding(self) -> Finding:
        """The same as the one finding type: where is `goal G1 / action A2` (or `text`); the letter leads."""
        return Finding(self.where() or "text", self.code, f"{self.letter}: {self.message}")

    def to_json(self, case_id: str | None) -> dict:
        """The `cmtk smart check --format json` item (cli.md)."""
        return {
            "case": case_id,
            "goal": self.goal,
            "action": self.action,
            "letter": self.letter,
            "message": self.message,
        }

    def where(self) -> str:
        parts = []
        if self.goal is not None:
            parts.append(f"goal {self.goal}")
        if self.action is not None:
            parts.append(f"action {self.action}")
        return " / ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        prefix = f"{where}: " if where else ""
        return f"{prefix}{self.letter}: {self.message}"


# --------------------------------------------------------------------------
# Words: tokens, and lookups built from a Rules' lists on first use
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tok:
    text: str  # as written (apostrophes normalised)
    low: str  # lowercase, possessive 's removed
    possessive: bool
    capital: bool
    word: bool


_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*|\d+|[,:;()–-]")


def _tokens(text: str) -> list[_Tok]:
    text = text.replace("’", "'").replace("‘", "'")
    found = []
    for match in _TOKEN.finditer(text):
        raw = match.group(0)
        low = raw.lower()
        possessive = low.endswith("'s") or (low.endswith("s'") and len(low) > 2)
        if low.endswith("'s"):
            low = low[:-2]
        elif low.endswith("s'"):
            low = low[:-1]
        word = raw[0].isalpha()
        found.append(_Tok(raw, low, possessive, word and raw[0].isupper(), word))
    return found


def _phrase(text: str) -> tuple[str, ...]:
    return tuple(t.low for t in _tokens(text.replace("-", " ")) if t.word or t.text.isdigit())


def _phrases(entries) -> tuple[tuple[str, ...], ...]:
    """Longest first, so "head teacher" wins over "teacher"."""
    built = {_phrase(entry) for entry in entries}
    return tuple(sorted((p for p in built if p), key=len, reverse=True))


def _verb_forms(verb: str) -> set[str]:
    forms = {verb}
    consonant_y = verb.endswith("y") and len(verb) > 1 and verb[-2] not in "aeiou"
    if verb.endswith(("s", "sh", "ch", "x", "z", "o")):
        forms.add(verb + "es")
    elif consonant_y:
        forms.add(verb[:-1] + "ies")
    else:
        forms.add(verb + "s")
    if verb.endswith("e"):
        forms.update({verb + "d", verb[:-1] + "ing" if not verb.endswith("ee") else verb + "ing"})
    elif consonant_y:
        forms.update({verb[:-1] + "ied", verb + "ing"})
    else:
        forms.update({verb + "ed", verb + "ing", verb + verb[-1] + "ed", verb + verb[-1] + "ing"})
    return forms


def _all_forms(verbs) -> frozenset[str]:
    out: set[str] = set()
    for verb in verbs:
        out |= _verb_forms(verb)
    return frozenset(out)


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True) if w)


def _word_set(list_name: str) -> cached_property[frozenset[str]]:
    """A `_Lexicon` attribute: one word list of the rules as a set, built on first use."""

    def words(self: _Lexicon) -> frozenset[str]:
        return frozenset(self.rules.words(list_name))

    return cached_property(words)


def _month_pattern(pattern: str) -> cached_property[re.Pattern]:
    """A `_Lexicon` attribute: `pattern` with MONTHS standing for any month name of the rules, ignoring case."""

    def compiled(self: _Lexicon) -> re.Pattern:
        return re.compile(pattern.replace("MONTHS", self.month_re), re.IGNORECASE)

    return cached_property(compiled)


def _phrase_list(list_name: str) -> cached_property[tuple[tuple[str, ...], ...]]:
    """A `_Lexicon` attribute: one word list of the rules as phrases, longest first, built on first use."""

    def phrases(self: _Lexicon) -> tuple[tuple[str, ...], ...]:
        return _phrases(self.rules.words(list_name))

    return cached_property(phrases)


class _Lexicon:
    """Lookups and patterns derived from one Rules' word lists, built on first use."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules

    @cached_property
    def concrete_forms(self) -> frozenset[str]:
        return _all_forms(self.rules.words("action_verbs")) | frozenset(self.rules.words("irregular_verbs"))

    @cached_property
    def vague_forms(self) -> frozenset[str]:
        return _all_forms(self.rules.words("vague_verbs")) - self.concrete_forms

    @cached_property
    def talk_forms(self) -> frozenset[str]:
        return _all_forms(self.rules.words("talk_verbs")) | {"told", "read", "spoke", "spoken", "thought"}

    @cached_property
    def output_verb_forms(self) -> frozenset[str]:
        return _all_forms(self.rules.words("output_verbs")) | {"paid", "bought", "built"}

    def _swahili(self, stems) -> re.Pattern:
        prefixes = _alternation(self.rules.words("swahili_verb_prefixes"))
        return re.compile(r"^(?:{})?(?:mw|m|wa)?({})$".format(prefixes, _alternation(stems) or "(?!)"))

    @cached_property
    def swahili_verb(self) -> re.Pattern:
        return self._swahili(self.rules.words("swahili_verb_stems"))

    @cached_property
    def swahili_vague(self) -> re.Pattern:
        return self._swahili(self.rules.words("swahili_vague_stems"))

    @cached_property
    def swahili_output(self) -> re.Pattern:
        return self._swahili([w.split()[0] for w in self.rules.words("swahili_output_stems")])

    @cached_property
    def swahili_talk(self) -> re.Pattern:
        stems = [w for w in self.rules.words("talk_verbs") if w in set(self.rules.words("swahili_verb_stems"))]
        return self._swahili(stems)

    role_phrases = _phrase_list("roles")
    relative_phrases = _phrase_list("relatives_to_name")

    @cached_property
    def person_phrases(self):
        return _phrases((*self.rules.words("roles"), *self.rules.words("relatives_to_name")))

    action_noun_phrases = _phrase_list("action_nouns")
    output_phrases = _phrase_list("output_words")

    @cached_property
    def frequency(self) -> re.Pattern:
        """ "weekly", "every week", "once a month", "each morning", "kila wiki"."""
        words = _alternation(self.rules.words("frequency_words")) or "(?!)"
        leads = _alternation(self.rules.words("frequency_leads")) or "(?!)"
        periods = _alternation(self.rules.words("periods")) or "(?!)"
        return re.compile(rf"\b(?:{words})\b|\b(?:{leads})\s+(?:{periods})s?\b", re.IGNORECASE)

    vague_time_phrases = _phrase_list("vague_times")

    @cached_property
    def domain_phrases(self) -> dict:
        return {domain: _phrases(words) for domain, words in self.rules.domain_keywords.items()}

    vague_who = _word_set("vague_who")
    vague_output = _word_set("vague_outputs")
    function_words = _word_set("function_words")
    links = _word_set("subject_links")
    prepositions = _word_set("prepositions")
    determiners = _word_set("determiners")

    @cached_property
    def months(self) -> dict[str, int]:
        return {str(k).lower(): int(v) for k, v in (self.rules.data.get("months") or {}).items()}

    @cached_property
    def quantity(self) -> re.Pattern:
        """A count: "3 sessions", "a one-hour session", "KES 500", Kiswahili "vikao vitatu", "mara mbili"."""
        units = _alternation(self.rules.words("count_units"))
        numbers = _alternation(self.rules.words("number_words"))
        sw_units = _alternation(self.rules.words("swahili_count_units"))
        sw_prefix = _alternation(self.rules.words("swahili_number_prefixes"))
        english = rf"\b(?:\d+|{numbers})[\s-]*(?:[^\W\d_]+[\s-]+){{0,2}}(?:{units})\b"
        kiswahili = rf"\b(?:{sw_units})\s+(?:(?:{sw_prefix})?(?:{numbers})|\d+)\b" if sw_units else r"(?!)"
        money = r"\b(?:ksh|kes)\.?\s*\d"
        return re.compile(f"{english}|{kiswahili}|{money}", re.IGNORECASE)

    @cached_property
    def month_re(self) -> str:
        return _alternation(self.months)

    # Date shapes that need no word list, compiled once.
    date_shape = re.compile(r"^(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}([-/.])\d{1,2}\1\d{4})$")
    numeric_in_text = re.compile(r"(?<![\d/.-])\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?!\d)")
    year_only = re.compile(r"\b(?:by|in|before)\s+((?:19|20)\d{2})\b(?![-/.]\d)")
    indicator = re.compile(r"^B?(\d{1,2})\.(\d{1,2})$", re.IGNORECASE)
    indicator_split = re.compile(r"[,;/\s]+|\band\b|\bna\b", re.IGNORECASE)

    # Date shapes with month names: MONTHS stands for any month name of the rules.
    day_month_year = _month_pattern(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(MONTHS)\.?,?\s+(\d{4})\b")
    month_day_year = _month_pattern(r"\b(MONTHS)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")
    month_year = _month_pattern(r"\b(MONTHS)\.?,?\s+(\d{4})\b")
    bare_month = _month_pattern(r"\b(?:by|in|before|on|end of|mwisho wa)\s+(MONTHS)\b(?!\.?\s*\d{4})")


def _lex(rules: Rules | None) -> _Lexicon:
    """The lookups of a Rules (cmtk's defaults when None), built once per Rules."""
    rules = rules or smart_rules.default()
    found = rules.__dict__.get("_lexicon")
    if found is None:
        found = rules.__dict__["_lexicon"] = _Lexicon(rules)
    return found


def _is_concrete_verb(lex: _Lexicon, tok: _Tok) -> bool:
    return tok.word and not tok.possessive and (tok.low in lex.concrete_forms or bool(lex.swahili_verb.match(tok.low)))


def _is_vague_verb(lex: _Lexicon, tok: _Tok) -> bool:
    return tok.word and (tok.low in lex.vague_forms or bool(lex.swahili_vague.match(tok.low)))


def _is_talk_verb(lex: _Lexicon, tok: _Tok) -> bool:
    return tok.word and (tok.low in lex.talk_forms or bool(lex.swahili_talk.match(tok.low)))


def _match_at(toks: list[_Tok], i: int, phrases) -> int:
    """Length of the longest phrase starting at token i (0 if none)."""
    for phrase in phrases:
        n = len(phrase)
        if i + n <= len(toks) and tuple(t.low for t in toks[i : i + n]) == phrase:
            return n
    return 0


def _contains(toks: list[_Tok], phrases) -> tuple[str, ...] | None:
    words = [t for t in toks if t.word or t.text.isdigit()]
    for i in range(len(words)):
        n = _match_at(words, i, phrases)
        if n:
            return tuple(t.low for t in words[i : i + n])
    return None


def domains_in(text: str, rules: Rules | None = None) -> tuple[str, ...]:
    """The wellbeing domains a sentence mentions, in the forms' order ("school fees" -> education)."""
    lex = _lex(rules)
    toks = _tokens(text.replace("-", " "))
    return tuple(domain for domain, phrases in lex.domain_phrases.items() if _contains(toks, phrases))


# --------------------------------------------------------------------------
# Who and what (Specific)
# --------------------------------------------------------------------------


def _name_run(lex: _Lexicon, toks: list[_Tok], i: int) -> int:
    """Length of a run of capitalised name words starting at i (0 if none); a role word is not a name."""
    n = 0
    while i + n < len(toks):
        tok = toks[i + n]
        if not (tok.word and tok.capital and len(tok.text) >= 2):
            break
        if (
            tok.low in lex.function_words
            or tok.low in lex.vague_who
            or tok.low in lex.months
            or _is_concrete_verb(lex, tok)
            or _is_vague_verb(lex, tok)
            or _match_at(toks, i + n, lex.person_phrases)
        ):
            break
        n += 1
        if tok.possessive:
            break
    return n


def _candidate_at(lex: _Lexicon, toks: list[_Tok], i: int) -> int:
    """A role phrase or a capitalised name starting at i: its length, else 0."""
    return _match_at(toks, i, lex.person_phrases) or _name_run(lex, toks, i)


def _preceded_by(lex: _Lexicon, toks: list[_Tok], i: int) -> str | None:
    """The word before position i, skipping determiners and possessives ("for the child's")."""
    j = i - 1
    while j >= 0 and toks[j].word and (toks[j].low in lex.determiners or toks[j].possessive):
        j -= 1
    return toks[j].low if j >= 0 else None


@dataclass
class _Person:
    """One of the people a sentence says will act: a role, a name, or a relative who must be named."""

    words: tuple[str, ...]
    relative: bool
    named: bool


def _person_at(lex: _Lexicon, toks: list[_Tok], i: int) -> tuple[_Person, int]:
    """The candidate at i and the position after it, a name written beside it included."""
    n = _candidate_at(lex, toks, i)
    words = tuple(t.low for t in toks[i : i + n])
    relative = _match_at(toks, i, lex.relative_phrases) == n
    named = not _match_at(toks, i, lex.person_phrases)  # a name, not a role
    j = i + n
    k = j
    while k < len(toks) and toks[k].text in (",", "("):
        k += 1
    run = _name_run(lex, toks, k) if k < len(toks) else 0
    if run:  # "the grandfather, Joseph Kamau", "Grandfather (Peter Njoroge)", "Mama Wanjiru"
        named = True
        j = k + run
        while (
            j < len(toks)
            and toks[j].text in (")", "-")
            or (j < len(toks) and toks[j].word and toks[j].capital and toks[j - 1].text == "-")
        ):
            j += 1
    return _Person(words, relative, named), j


def _acting_people(lex: _Lexicon, toks: list[_Tok], i: int) -> tuple[list[_Person], bool]:
    """The people starting at i ("the father, John, and the caseworker") and whether they are the subject."""
    first, j = _person_at(lex, toks, i)
    people = [first]
    while j < len(toks):
        tok = toks[j]
        if tok.text in (",", "(", ")"):
            j += 1
            continue
        if tok.low in ("and", "or", "na", "together"):
            nxt = j + 1
            while nxt < len(toks) and toks[nxt].word and toks[nxt].low in lex.determiners:
                nxt += 1
            if nxt < len(toks) and _candidate_at(lex, toks, nxt):
                person, j = _person_at(lex, toks, nxt)
                people.append(person)
                continue
            return people, tok.low == "together"
        if tok.low == "to":  # "the father to open ..." acts; "take the child to school" does not
            after = toks[j + 1] if j + 1 < len(toks) else None
            return people, after is not None and (_is_concrete_verb(lex, after) or _is_vague_verb(lex, after))
        return people, tok.low in lex.links or _is_concrete_verb(lex, tok) or _is_vague_verb(lex, tok)
    return people, False


def _who(lex: _Lexicon, text: str) -> tuple[bool, str | None]:
    """(someone named or a role acts, the first relative who acts without a name).

    The one who acts is the subject of a verb, or the agent after "by".
    """
    toks = _tokens(text)
    i = 0
    while i < len(toks):
        tok = toks[i]
        n = _candidate_at(lex, toks, i) if tok.word else 0
        if not n:
            i += 1
            continue
        last = toks[i + n - 1]
        before = _preceded_by(lex, toks, i)
        people, acting = _acting_people(lex, toks, i)
        if before == "by" or (not last.possessive and before not in lex.prepositions and acting):
            unnamed = next((p for p in people if p.relative and not p.named), None)
            return True, " ".join(unnamed.words) if unnamed else None
        i += n
    return False, None


def _unnamed_relative(lex: _Lexicon, text: str) -> str | None:
    """In a "responsible" cell: a relative with no name anywhere beside it ("Grandfather")."""
    toks = _tokens(text)
    for i in range(len(toks)):
        if toks[i].word and _match_at(toks, i, lex.relative_phrases):
            person, _end = _person_at(lex, toks, i)
            others = any(_name_run(lex, toks, k) for k in range(len(toks)) if toks[k].word)
            if person.relative and not person.named and not others:
                return " ".join(person.words)
    return None


def _verbs_in(lex: _Lexicon, text: str) -> tuple[bool, str | None]:
    """(has a concrete action word, first vague verb seen)."""
    toks = _tokens(text)
    concrete = any(_is_concrete_verb(lex, t) for t in toks) or _contains(toks, lex.action_noun_phrases) is not None
    vague = next((t.low for t in toks if _is_vague_verb(lex, t)), None)
    return concrete, vague


def _all_in(text: str, words: frozenset[str]) -> bool:
    """Empty of meaning: no word at all, or every word is in `words`."""
    toks = [t for t in _tokens(text) if t.word]
    return all(t.low in words for t in toks)


_WHO_EXAMPLE = '(e.g. "father, John Otieno", "caregiver", "caseworker")'
_VERB_EXAMPLE = "pay, enrol, buy, visit or open"


def _specific(
    who_ok: bool,
    who_vague: str | None,
    what_ok: bool,
    vague_verb: str | None,
    empty_what: bool,
    unnamed: str | None = None,
) -> str | None:
    problems, fixes = [], []
    if unnamed and who_ok:
        problems.append(messages.coded("smart-who-ambiguous", unnamed=unnamed))
    if not who_ok:
        if who_vague:
            problems.append(messages.coded("smart-who-vague", who_vague=who_vague))
        else:
            problems.append(messages.coded("smart-who-missing"))
    if not what_ok:
        if empty_what:
            problems.append(messages.coded("smart-what-missing"))
        elif vague_verb:
            problems.append(messages.coded("smart-what-vague", vague_verb=vague_verb))
        else:
            problems.append(messages.coded("smart-what-no-verb"))
    if not problems:
        return None
    if not who_ok and not what_ok:
        fixes.append(messages.coded("smart-fix-who-what"))
    elif not who_ok:
        fixes.append(messages.coded("smart-fix-who", who_example=_WHO_EXAMPLE))
    elif unnamed:
        fixes.append(messages.coded("smart-fix-name", unnamed=unnamed))
    if who_ok and not what_ok:
        fixes.append(messages.coded("smart-fix-what", verb_example=_VERB_EXAMPLE))
    return messages.coded("smart-not-specific", smart_problems=" and ".join(problems), smart_fixes="; ".join(fixes))


# --------------------------------------------------------------------------
# Dates (Time-bound)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _DateReading:
    kind: str  # ok, empty, impossible, partial, no_day, vague, unreadable
    value: _dt.date | None = None
    shown: str = ""


def _month_date(lex: _Lexicon, day: str, month: str, year: str, shown: str) -> _DateReading:
    try:
        return _DateReading("ok", _dt.date(int(year), lex.months[month.lower()], int(day)), shown)
    except ValueError:
        return _DateReading("impossible", None, shown)


def _read_numeric(lex: _Lexicon, text: str, order: str) -> _DateReading:
    try:
        return _DateReading("ok", parse_date(text, field="deadline", order=order), text)
    except ValidationError:
        if lex.date_shape.match(text):
            return _DateReading("impossible", None, text)
        return _DateReading("partial", None, text)


def _read_date(lex: _Lexicon, value: object, order: str = "DMY") -> _DateReading:
    """One deadline cell: a date, or what is wrong with it."""
    if isinstance(value, _dt.datetime):
        return _DateReading("ok", value.date())
    if isinstance(value, _dt.date):
        return _DateReading("ok", value)
    raw = "" if value is None else str(value).strip()
    raw = re.sub(r"^(?:by|before|on|kufikia|tarehe)\s+", "", raw, flags=re.IGNORECASE).rstrip(". ")
    if not raw:
        return _DateReading("empty")
    if lex.numeric_in_text.fullmatch(raw):
        return _read_numeric(lex, raw, order)
    for pattern, swap in ((lex.day_month_year, False), (lex.month_day_year, True)):
        match = pattern.fullmatch(raw)
        if match:
            a, b, year = match.groups()
            day, month = (b, a) if swap else (a, b)
            return _month_date(lex, day, month, year, raw)
    readings = _dates_in(lex, raw, order)
    if readings:
        return readings[0]
    return _DateReading("unreadable")


def _dates_in(lex: _Lexicon, text: str, order: str = "DMY") -> list[_DateReading]:
    """Every date, partial date or vague time in a sentence, in that order of strength."""
    found: list[_DateReading] = []
    rest = text
    for match in lex.numeric_in_text.finditer(text):
        found.append(_read_numeric(lex, match.group(0), order))
    rest = lex.numeric_in_text.sub(" ", rest)
    for match in lex.day_month_year.finditer(rest):
        day, month, year = match.groups()
        found.append(_month_date(lex, day, month, year, match.group(0)))
    rest = lex.day_month_year.sub(" ", rest)
    for match in lex.month_day_year.finditer(rest):
        month, day, year = match.groups()
        found.append(_month_date(lex, day, month, year, match.group(0)))
    rest = lex.month_day_year.sub(" ", rest)
    for pattern in (lex.month_year, lex.bare_month, lex.year_only):
        for match in pattern.finditer(rest):
            found.append(_DateReading("no_day", None, match.group(0).strip()))
        rest = pattern.sub(" ", rest)
    vague = _contains(_tokens(rest.replace("-", " ")), lex.vague_time_phrases)
    if vague:
        found.append(_DateReading("vague", None, " ".join(vague)))
    return found


def _time_message(reading: _DateReading, order: str, what: str = "deadline") -> str:
    example = format_local(EXAMPLE_DATE, order)
    form = "day-month-year" if order == "DMY" else "month/day/year"
    if reading.kind == "impossible":
        return messages.coded("smart-date-not-real", shown=reading.shown, date_form=form, example=example)
    if reading.kind == "partial":
        return messages.coded("smart-date-partial", shown=reading.shown, example=example)
    if reading.kind == "no_day":
        return messages.coded("smart-date-no-day", shown=reading.shown, example=example)
    if reading.kind == "vague":
        return messages.coded("smart-date-vague", shown=reading.shown, example=example, date_form=form)
    if reading.kind == "unreadable":
        return messages.coded("smart-deadline-unreadable", thing=what, example=example, date_form=form)
    return messages.coded("smart-no-deadline", thing=what, example=example, date_form=form)


# --------------------------------------------------------------------------
# Indicators and domains (Relevant)
# --------------------------------------------------------------------------


def _indicator_problems(lex: _Lexicon, text: object) -> tuple[list[str], list[str]]:
    """(valid indicator ids normalised as B1.3, messages for the ones that are not)."""
    valid: list[str] = []
    problems: list[str] = []
    raw = "" if text is None else str(text)
    benchmarks = None
    for part in lex.indicator_split.split(raw):
        part = part.strip().rstrip(".")
        if not part:
            continue
        shown = part if len(part) <= 12 else part[:9] + "..."
        match = lex.indicator.match(part)
        if not match:
            problems.append(messages.coded("smart-not-an-indicator", shown=shown))
            continue
        benchmarks = benchmarks if benchmarks is not None else lex.rules.benchmarks
        bench, number = int(match.group(1)), int(match.group(2))
        if bench not in benchmarks:
            last = max(benchmarks, default=0)
            problems.append(messages.coded("smart-no-such-benchmark", shown=shown, bench=bench, last_bench=last))
            continue
        count = benchmarks[bench].indicators
        if not 1 <= number <= count:
            problems.append(messages.coded("smart-no-such-indicator", bench=bench, number=number, count=count))
            continue
        valid.append(f"B{bench}.{number}")
    return valid, problems


def normalise_domain(value: object, rules: Rules | None = None) -> str | None:
    """A domain id from an id or a label ("Economic stability" -> "economic"); None if not one."""
    if value is None:
        return None
    rules = rules or smart_rules.default()
    text = " ".join(str(value).replace("_", " ").replace("-", " ").split()).lower()
    if text in rules.domains:
        return text
    return rules.domain_aliases.get(text)


# --------------------------------------------------------------------------
# Case plans
# --------------------------------------------------------------------------


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _status(value: object) -> str:
    text = _text(value).lower()
    if text in ("done", "yes", "completed", "complete", "imefanyika"):
        return "done"
    if text in ("dropped", "imeachwa", "cancelled", "canceled"):
        return "dropped"
    return "open"


def _who_key(text: str) -> str:
    """Group the same person or role however it is written ("The caregiver" = "caregiver")."""
    words = [t.low for t in _tokens(text) if t.word and t.low not in ("the", "a", "an")]
    return " ".join(words)


def _action_specific(lex: _Lexicon, action: dict) -> str | None:
    responsible = _text(action.get("responsible"))
    what = _text(action.get("action"))
    who_vague = None
    unnamed = None
    if responsible:
        who_ok = not _all_in(responsible, lex.vague_who)
        if not who_ok:
            words = [t.low for t in _tokens(responsible) if t.word]
            who_vague = next((w for w in words if w not in ("the", "a", "and", "to", "be")), None)
        else:
            unnamed = _unnamed_relative(lex, responsible)
    else:
        who_ok, unnamed = _who(lex, what) if what else (False, None)
    concrete, vague_verb = _verbs_in(lex, what) if what else (False, None)
    return _specific(who_ok, who_vague, concrete, vague_verb, empty_what=not what, unnamed=unnamed)


def _action_measurable(lex: _Lexicon, action: dict) -> str | None:
    output = _text(action.get("output"))
    if not any(t.word or t.text.isdigit() for t in _tokens(output)):
        return messages.coded("smart-no-output", example_output=EXAMPLE_OUTPUT)
    if _all_in(output, lex.vague_output):
        word = next((t.low for t in _tokens(output) if t.word and t.low in lex.vague_output), "this")
        return messages.coded("smart-output-vague", plan_word=word, example_output=EXAMPLE_OUTPUT)
    return None


def check_plan(
    goals: list[dict],
    actions: list[dict],
    *,
    today: _dt.date,
    planned_closure: _dt.date | None = None,
    busy_week_limit: int | None = None,
    order: str = "DMY",
    rules: Rules | None = None,
) -> list[SmartFinding]:
    """Check a case plan's goals and actions against SMART; findings in plan order.

    `today` judges deadlines already passed; `planned_closure`, when known,
    judges deadlines after it; `busy_week_limit` open actions for one person
    or role due in the same ISO week are flagged as not attainable (default:
    the rules' `busy_week_limit`). Dropped actions are not checked for A; done
    actions are not flagged for a passed deadline. `order` is the store's date
    order for deadlines written as text; `rules` the store's words and forms.
    """
    lex = _lex(rules)
    if busy_week_limit is None:
        busy_week_limit = int(lex.rules.data.get("busy_week_limit") or 4)
    goals = list(goals or [])
    actions = list(actions or [])
    goal_ids = [_text(g.get("goal_id")) or f"#{n}" for n, g in enumerate(goals, 1)]
    by_item: dict[tuple[str | None, str | None], list[SmartFinding]] = {}
    item_order: list[tuple[str | None, str | None]] = []

    def add(goal: str | None, action: str | None, letter: str, message: str) -> None:
        key = (goal, action)
        if key not in by_item:
            by_item[key] = []
            item_order.append(key)
        by_item[key].append(SmartFinding(goal, action, letter, message))

    action_ids = [_text(a.get("action_id")) or f"#{n}" for n, a in enumerate(actions, 1)]
    action_goal = [_text(a.get("goal_id")) or None for a in actions]
    known_goals = set(goal_ids)
    readings = [_read_date(lex, a.get("deadline"), order) for a in actions]

    # Busy weeks: one person or role with many open actions due the same ISO week.
    weeks: dict[tuple[str, int, int], list[int]] = {}
    for n, action in enumerate(actions):
        reading = readings[n]
        who = _who_key(_text(action.get("responsible")))
        if _status(action.get("status")) != "open" or reading.value is None or not who:
            continue
        year, week, _ = reading.value.isocalendar()
        weeks.setdefault((who, year, week), []).append(n)
    busy: dict[int, str] = {}
    for (_, year, week), members in weeks.items():
        if len(members) >= busy_week_limit:
            monday = _dt.date.fromisocalendar(year, week, 1)
            ids = ", ".join(action_ids[m] for m in members)
            for m in members:
                busy[m] = messages.coded(
                    "smart-busy-week", count=len(members), monday=format_local(monday, order), ids=ids
                )

    def check_action(n: int, goal: str | None) -> None:
        action = actions[n]
        aid = action_ids[n]
        status = _status(action.get("status"))
        message = _action_specific(lex, action)
        if message:
            add(goal, aid, "S", message)
        message = _action_measurable(lex, action)
        if message:
            add(goal, aid, "M", message)
        reading = readings[n]
        if status == "open" and reading.value is not None:
            deadline = format_local(reading.value, order)
            if reading.value < today:
                add(
                    goal,
                    aid,
                    "A",
                    messages.coded("smart-deadline-passed", deadline=deadline),
                )
            if planned_closure is not None and reading.value > planned_closure:
                add(
                    goal,
                    aid,
                    "A",
                    messages.coded(
                        "smart-deadline-after-closure",
                        deadline=deadline,
                        planned_closure=format_local(planned_closure, order),
                    ),
                )
            if n in busy:
                add(goal, aid, "A", busy[n])
        if goal is not None and goal not in known_goals:
            add(
                goal,
                aid,
                "R",
                messages.coded("smart-action-goal-unknown", goal_ids=", ".join(goal_ids) or "add the goal first"),
            )
        if reading.kind != "ok":
            add(goal, aid, "T", _time_message(reading, order))

    checked: set[int] = set()
    seen_goals: set[str] = set()
    for gid, goal in zip(goal_ids, goals, strict=False):
        # R: a domain, or benchmark indicators, and the indicators must be real.
        domain_raw = _text(goal.get("domain"))
        domain = normalise_domain(domain_raw, lex.rules)
        valid, problems = _indicator_problems(lex, goal.get("indicators"))
        if domain_raw and domain is None:
            shown = domain_raw if len(domain_raw) <= 20 else domain_raw[:17] + "..."
            add(
                gid,
                None,
                "R",
                messages.coded("smart-domain-unknown", shown=shown, domains=", ".join(lex.rules.domains)),
            )
        elif not domain and not valid:
            hint = domains_in(" ".join(_text(goal.get(k)) for k in ("goal", "need_or_gap")), lex.rules)
            suggestion = f" (its words suggest {' or '.join(hint)})" if hint else ""
            add(
                gid,
                None,
                "R",
                messages.coded("smart-goal-not-linked", suggestion=suggestion),
            )
        for problem in problems:
            add(gid, None, "R", problem)
        mine = [n for n, owner in enumerate(action_goal) if owner == gid and n not in checked]
        checked.update(mine)
        if not mine and gid not in seen_goals:
            add(
                gid,
                None,
                "S",
                messages.coded("smart-goal-no-actions-who"),
            )
            add(
                gid,
                None,
                "M",
                messages.coded("smart-goal-no-actions-output", example_output=EXAMPLE_OUTPUT),
            )
            add(
                gid,
                None,
                "T",
                messages.coded("smart-goal-no-actions-deadline", example_date=format_local(EXAMPLE_DATE, order)),
            )
        seen_goals.add(gid)
        for n in mine:
            check_action(n, gid)
    for n, owner in enumerate(action_goal):
        if owner is None or owner not in known_goals:
            check_action(n, owner)
            if owner is None:
                add(None, action_ids[n], "R", messages.coded("smart-action-no-goal"))

    rank = {letter: i for i, letter in enumerate(LETTERS)}
    out: list[SmartFinding] = []
    for key in item_order:
        out.extend(sorted(by_item[key], key=lambda f: rank[f.letter]))
    return out


# --------------------------------------------------------------------------
# One sentence (for trainers)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class TextCheck:
    """What `cmtk smart text` found in one sentence: at most one finding per letter."""

    findings: list[SmartFinding]

    def to_json(self) -> list[dict]:
        return [{"letter": f.letter, "message": f.message} for f in self.findings]

    def to_rows(self) -> tuple[list[str], list[list]]:
        return ["letter", "message"], [[f.letter, f.message] for f in self.findings]


def check_sentence(
    sentence: str, *, today: _dt.date | None = None, order: str = "DMY", rules: Rules | None = None
) -> TextCheck:
    return TextCheck(check_text(sentence, today=today, order=order, rules=rules))


def _measurable(lex: _Lexicon, text: str) -> bool:
    """Something in the sentence can be checked once it is done.

    A count or a frequency always can. An output word ("receipt", "account")
    can, unless the only things done are talking, reading or thinking: "will
    talk about the school fees" leaves no receipt behind.
    """
    toks = _tokens(text)
    spaced = _tokens(text.replace("-", " "))
    if lex.quantity.search(text) or lex.frequency.search(text.replace("-", " ")):
        return True
    doing = _main_verbs(lex, toks)
    if any(t.low in lex.output_verb_forms or lex.swahili_output.match(t.low) for t in doing):
        return True
    talk_only = bool(doing) and all(_is_talk_verb(lex, t) for t in doing)
    return not talk_only and _contains(spaced, lex.output_phrases) is not None


def _main_verbs(lex: _Lexicon, toks: list[_Tok]) -> list[_Tok]:
    """The verbs saying what will be done: first in the sentence, after "will" or "to", after
    "and", or right after the person who does it ("the father opens"). Nouns that look like
    verbs ("the case plan", "a savings account book") are left out. Every concrete verb when none is found."""
    after_person: set[int] = set()
    i = 0
    while i < len(toks):
        n = _candidate_at(lex, toks, i) if toks[i].word else 0
        if n:
            _person, end = _person_at(lex, toks, i)
            after_person.add(end)
            i = max(end, i + 1)
        else:
            i += 1
    found = []
    for index, tok in enumerate(toks):
        if not _is_concrete_verb(lex, tok):
            continue
        before = toks[index - 1].low if index else ""
        if index == 0 or before in lex.links or before in ("and", "or", "then", ";") or index in after_person:
            found.append(tok)
    return found or [t for t in toks if _is_concrete_verb(lex, t)]


def check_text(
    sentence: str, *, today: _dt.date | None = None, order: str = "DMY", rules: Rules | None = None
) -> list[SmartFinding]:
    """Judge one free-text goal sentence, as a trainer would; at most one finding per letter.

    The Handbook's savings example passes (a named parent opens a bank account
    for the child's school fees, by a dated deadline). `today`, when given,
    flags a date already past (A).
    """
    lex = _lex(rules)
    text = sentence or ""
    toks = _tokens(text)
    findings: list[SmartFinding] = []

    concrete, vague_verb = _verbs_in(lex, text)
    who_ok, unnamed = _who(lex, text)
    message = _specific(who_ok, None, concrete, vague_verb, empty_what=not any(t.word for t in toks), unnamed=unnamed)
    if message:
        findings.append(SmartFinding(None, None, "S", message))

    if not _measurable(lex, text):
        findings.append(
            SmartFinding(
                None,
                None,
                "M",
                messages.coded("smart-text-not-measurable"),
            )
        )

    readings = _dates_in(lex, text, order)
    good = [r.value for r in readings if r.kind == "ok" and r.value is not None]
    bad = [r for r in readings if r.kind in ("impossible", "partial")]
    if today is not None:
        past = [day for day in good if day < today]
        if past:
            findings.append(
                SmartFinding(
                    None,
                    None,
                    "A",
                    messages.coded(
                        "smart-text-date-passed",
                        past=format_local(past[0], order),
                        today=format_local(today, order),
                    ),
                )
            )

    if not domains_in(text, lex.rules):
        findings.append(
            SmartFinding(
                None,
                None,
                "R",
                messages.coded("smart-text-not-relevant"),
            )
        )

    if bad:
        findings.append(SmartFinding(None, None, "T", _time_message(bad[0], order, "date")))
    elif not good:
        first = readings[0] if readings else _DateReading("empty")
        findings.append(SmartFinding(None, None, "T", _time_message(first, order, "date")))
    return findings
