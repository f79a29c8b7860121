"""SMART checks for case-plan goals and actions, and for one free-text goal.

The Handbook asks that every goal and its actions be SMART:

- S, Specific: it is clear who does what (a named person or a role, and an
  action verb).
- M, Measurable: an output shows when it is done (an account book, a receipt,
  a report card...).
- A, Attainable: realistic. That is a judgement for the caseworker and the
  family; this module flags only what is plainly unrealistic: a deadline that
  has already passed for an action still open, a deadline after the planned
  closure, one person or role holding many open actions due the same week.
- R, Relevant: it moves the child towards reintegration: the goal is linked to
  a wellbeing domain or to benchmark indicators (B1.3 style).
- T, Time-bound: a real calendar date, written day first in Kenya (10-02-2021),
  or ISO (2021-02-10), or with the month's name (10 February 2021).

This is a pure library: no I/O, no store, stdlib only. Findings are data
(`SmartFinding`); the CLI prints them or turns them into JSON. Messages are in
plain English for a caseworker, each saying what to add or change, and never
repeat a child's or a family member's name: they quote only cmtk's own words
(from the lists below), dates, and short codes (an indicator id, a domain).

The word lists below are module-level data. A county or organisation can
extend them (add a role, a local verb, a Kiswahili or Sheng word, a local
savings scheme) without touching the logic: add lowercase words to the tuple
and the checks pick them up when the module is imported.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from functools import cached_property

from cmtk.dates import format_local, parse_date
from cmtk.errors import ValidationError

LETTERS = ("S", "M", "A", "R", "T")

# --------------------------------------------------------------------------
# Word lists. A county can extend any of these: lowercase, one entry per word
# or short phrase; hyphens are read as spaces.
# --------------------------------------------------------------------------

# The six wellbeing domains (case-plan form, `domain` choices) and the labels
# people also write for them.
DOMAINS: dict[str, str] = {
    "education": "Education",
    "protection": "Protection and safety",
    "psychosocial": "Psychosocial wellbeing and community belonging",
    "health": "Health and development",
    "relationship": "Child-caregiver relationship and attachment",
    "economic": "Economic stability",
}

DOMAIN_ALIASES: dict[str, str] = {
    "protection and safety": "protection",
    "safety": "protection",
    "psychosocial wellbeing": "psychosocial",
    "psychosocial wellbeing and belonging": "psychosocial",
    "psychosocial wellbeing and community belonging": "psychosocial",
    "health and development": "health",
    "relationship and attachment": "relationship",
    "child-caregiver relationship and attachment": "relationship",
    "child caregiver relationship and attachment": "relationship",
    "economic stability": "economic",
    # Kiswahili labels used on the printed form
    "elimu": "education",
    "ulinzi na usalama": "protection",
    "afya na ukuaji": "health",
    "uthabiti wa kiuchumi": "economic",
}

# Benchmarks of the case review form 7A (8A uses a subset): benchmark number ->
# (domain, number of indicators). Indicator ids are written B<benchmark>.<n>.
BENCHMARKS: dict[int, tuple[str, int]] = {
    1: ("education", 7),
    2: ("education", 4),
    3: ("protection", 8),
    4: ("psychosocial", 6),
    5: ("psychosocial", 5),
    6: ("psychosocial", 5),
    7: ("health", 2),
    8: ("health", 4),
    9: ("health", 5),
    10: ("relationship", 5),
    11: ("relationship", 7),
    12: ("economic", 7),
}

# Words that tie a sentence to a wellbeing domain (Relevant). English, with a
# few Kiswahili words.
DOMAIN_KEYWORDS: dict[str, tuple[str, ...]] = {
    "education": (
        "school",
        "schools",
        "schooling",
        "school fees",
        "fees for school",
        "education",
        "class",
        "classes",
        "classroom",
        "teacher",
        "teachers",
        "head teacher",
        "term",
        "semester",
        "exam",
        "exams",
        "examination",
        "kcpe",
        "kcse",
        "kpsea",
        "cbc",
        "uniform",
        "uniforms",
        "textbook",
        "textbooks",
        "books",
        "exercise books",
        "stationery",
        "homework",
        "lessons",
        "learning",
        "learner",
        "pupil",
        "student",
        "enrol",
        "enroll",
        "enrolment",
        "enrollment",
        "admission",
        "report card",
        "attendance",
        "tuition",
        "bursary",
        "college",
        "university",
        "vocational",
        "tvet",
        "polytechnic",
        "apprenticeship",
        "ecd",
        "ecde",
        "nursery",
        "kindergarten",
        "special school",
        "special needs education",
        # Kiswahili
        "shule",
        "elimu",
        "karo",
        "mwalimu",
        "darasa",
        "sare",
    ),
    "protection": (
        "violence",
        "violent",
        "abuse",
        "abused",
        "safe",
        "safety",
        "protection",
        "protect",
        "exploitation",
        "neglect",
        "harm",
        "harsh",
        "punishment",
        "beating",
        "positive discipline",
        "discipline",
        "trafficking",
        "child labour",
        "child labor",
        "early marriage",
        "child marriage",
        "fgm",
        "defilement",
        "police",
        "report violence",
        "reporting",
        "helpline",
        "116",
        "online safety",
        "bullying",
        "bullied",
        "risk",
        "danger",
        # Kiswahili
        "usalama",
        "ulinzi",
        "unyanyasaji",
        "dhuluma",
        "vurugu",
        "ukatili",
    ),
    "psychosocial": (
        "counselling",
        "counseling",
        "counsellor",
        "counselor",
        "self esteem",
        "confidence",
        "resilience",
        "friends",
        "friendship",
        "community",
        "church",
        "mosque",
        "youth group",
        "club",
        "belonging",
        "belong",
        "accepted",
        "acceptance",
        "stigma",
        "sports",
        "football",
        "social support",
        "support group",
        "birth certificate",
        "national id",
        "id card",
        "identity card",
        "grief",
        "sad",
        "sadness",
        "stress",
        "trauma",
        "therapy",
        "hope",
        "hopes",
        "emotional",
        "feelings",
        "psychosocial",
        "wellbeing",
        "well being",
        # Kiswahili
        "ushauri",
        "ushauri nasaha",
        "marafiki",
        "jamii",
        "kanisa",
        "msikiti",
        "kitambulisho",
        "cheti cha kuzaliwa",
    ),
    "health": (
        "health",
        "healthy",
        "clinic",
        "hospital",
        "dispensary",
        "health centre",
        "health center",
        "doctor",
        "nurse",
        "medicine",
        "medicines",
        "medication",
        "treatment",
        "immunisation",
        "immunization",
        "immunise",
        "immunize",
        "vaccination",
        "vaccine",
        "vaccinate",
        "nhif",
        "shif",
        "nutrition",
        "meals",
        "meal",
        "food",
        "diet",
        "balanced diet",
        "malnutrition",
        "weight",
        "growth",
        "development",
        "milestones",
        "physiotherapy",
        "occupational therapy",
        "disability",
        "hiv",
        "arv",
        "arvs",
        "tb",
        "malaria",
        "mosquito net",
        "hygiene",
        "sanitary",
        "sanitary pads",
        "dental",
        "spectacles",
        "glasses",
        "wheelchair",
        "assistive device",
        "alcohol",
        "drugs",
        "substance",
        "rehabilitation",
        "sick",
        "illness",
        # Kiswahili
        "afya",
        "hospitali",
        "zahanati",
        "kliniki",
        "dawa",
        "chakula",
        "lishe",
        "chanjo",
    ),
    "relationship": (
        "relationship",
        "attachment",
        "bond",
        "bonding",
        "quality time",
        "time together",
        "spend time",
        "play together",
        "communication",
        "communicate",
        "talk",
        "listen",
        "parenting",
        "parenting skills",
        "house rules",
        "rules",
        "routine",
        "reunification",
        "reunify",
        "reunite",
        "family visit",
        "home visit",
        "contact",
        "phone call",
        "mentor",
        "mentoring",
        "trust",
        "affection",
        "love",
        # Kiswahili
        "upendo",
        "uhusiano",
        "malezi",
        "mazungumzo",
    ),
    "economic": (
        "income",
        "savings",
        "save",
        "saving",
        "savings account",
        "account",
        "bank",
        "mpesa",
        "m pesa",
        "chama",
        "savings group",
        "vsla",
        "table banking",
        "loan",
        "business",
        "iga",
        "income generating",
        "livelihood",
        "livelihoods",
        "job",
        "employment",
        "employed",
        "farm",
        "farming",
        "poultry",
        "chickens",
        "goats",
        "dairy",
        "kitchen garden",
        "capital",
        "cash transfer",
        "inua jamii",
        "social protection",
        "rent",
        "budget",
        "emergency plan",
        "expenses",
        "shillings",
        "kes",
        "ksh",
        "market",
        "sell",
        "trade",
        "tailoring",
        "money",
        "basic needs",
        # Kiswahili
        "akiba",
        "biashara",
        "mapato",
        "pesa",
        "shamba",
        "mkopo",
        "benki",
    ),
}

# Who (Specific): roles a person can hold in a case plan. Single words and
# short phrases. A named person (a capitalised name) also counts.
ROLES: tuple[str, ...] = (
    "caregiver",
    "caregivers",
    "carer",
    "guardian",
    "guardians",
    "parent",
    "parents",
    "mother",
    "father",
    "mum",
    "mom",
    "dad",
    "grandmother",
    "grandfather",
    "grandparent",
    "grandparents",
    "granny",
    "aunt",
    "auntie",
    "aunty",
    "uncle",
    "cousin",
    "sibling",
    "siblings",
    "brother",
    "sister",
    "stepmother",
    "stepfather",
    "relative",
    "relatives",
    "foster parent",
    "foster parents",
    "foster carer",
    "foster mother",
    "foster father",
    "mentor",
    "child",
    "young person",
    "youth",
    "caseworker",
    "case worker",
    "social worker",
    "case manager",
    "supervisor",
    "teacher",
    "head teacher",
    "headteacher",
    "class teacher",
    "principal",
    "cci staff",
    "staff",
    "house mother",
    "housemother",
    "house parent",
    "chief",
    "assistant chief",
    "sub chief",
    "village elder",
    "elder",
    "chv",
    "chvs",
    "community health volunteer",
    "nurse",
    "doctor",
    "clinician",
    "counsellor",
    "counselor",
    "pastor",
    "imam",
    "priest",
    "sheikh",
    "police",
    "officer",
    "children's officer",
    "scco",
    "dcs",
    "household head",
    "head of household",
    "volunteer",
    "family",
    "household",
    # Kiswahili
    "mama",
    "baba",
    "bibi",
    "babu",
    "shangazi",
    "mjomba",
    "mlezi",
    "walezi",
    "mwalimu",
    "chifu",
    "mzee",
    "kaka",
    "dada",
    "mtoto",
    "mfanyakazi wa kijamii",
)

# Words in a "responsible" cell that name nobody in particular.
VAGUE_WHO: tuple[str, ...] = (
    "someone",
    "somebody",
    "anyone",
    "anybody",
    "everyone",
    "everybody",
    "all",
    "tbd",
    "tbc",
    "n",
    "na",
    "none",
    "nobody",
    "unknown",
    "various",
    "stakeholders",
    "stakeholder",
    "partners",
    "partner",
    "others",
    "other",
    "relevant",
    "concerned",
    "parties",
    "party",
    "the",
    "and",
    "to",
    "be",
    "decided",
    "confirmed",
    "agreed",
    "later",
    "a",
)

# What (Specific): concrete action verbs, base form. Inflections (pays, paid,
# paying...) are derived; irregular past forms are listed in IRREGULAR_VERBS.
ACTION_VERBS: tuple[str, ...] = (
    "open",
    "pay",
    "buy",
    "purchase",
    "enrol",
    "enroll",
    "register",
    "apply",
    "obtain",
    "get",
    "collect",
    "take",
    "bring",
    "deliver",
    "provide",
    "give",
    "send",
    "submit",
    "visit",
    "attend",
    "accompany",
    "escort",
    "meet",
    "call",
    "phone",
    "contact",
    "trace",
    "assess",
    "interview",
    "refer",
    "link",
    "connect",
    "book",
    "schedule",
    "arrange",
    "organise",
    "organize",
    "hold",
    "conduct",
    "train",
    "teach",
    "learn",
    "practise",
    "practice",
    "read",
    "write",
    "sign",
    "complete",
    "fill",
    "start",
    "begin",
    "join",
    "save",
    "deposit",
    "withdraw",
    "borrow",
    "repay",
    "lend",
    "plant",
    "grow",
    "build",
    "repair",
    "fix",
    "construct",
    "install",
    "clean",
    "cook",
    "feed",
    "prepare",
    "pack",
    "move",
    "transfer",
    "travel",
    "return",
    "reunite",
    "reunify",
    "place",
    "follow",
    "check",
    "review",
    "record",
    "report",
    "document",
    "update",
    "inform",
    "tell",
    "explain",
    "discuss",
    "talk",
    "agree",
    "decide",
    "choose",
    "select",
    "identify",
    "find",
    "list",
    "plan",
    "budget",
    "sell",
    "rent",
    "hire",
    "employ",
    "establish",
    "set",
    "create",
    "form",
    "vaccinate",
    "immunise",
    "immunize",
    "treat",
    "test",
    "screen",
    "examine",
    "weigh",
    "measure",
    "counsel",
    "play",
    "share",
    "spend",
    "celebrate",
    "introduce",
    "invite",
    "participate",
    "present",
    "request",
    "ask",
    "approve",
    "allocate",
    "release",
    "replace",
    "renew",
    "issue",
    "print",
    "file",
    "access",
    "use",
    "eat",
    "wash",
    "walk",
    "drive",
    "develop",
    "draw",
    "make",
    "do",
    "go",
    "keep",
    "seek",
    "lead",
    "run",
    "speak",
    "listen",
    "post",
    "photograph",
    "accompany",
    "mediate",
    "negotiate",
    "settle",
    "clear",
    "fetch",
    "drop",
    "pick",
    "install",
    "sew",
    "farm",
    "rear",
    "raise",
    "harvest",
    "stock",
)

IRREGULAR_VERBS: tuple[str, ...] = (
    "bought",
    "took",
    "taken",
    "got",
    "gotten",
    "gave",
    "given",
    "paid",
    "made",
    "wrote",
    "written",
    "brought",
    "met",
    "found",
    "taught",
    "held",
    "sent",
    "led",
    "spent",
    "built",
    "sought",
    "told",
    "kept",
    "chose",
    "chosen",
    "began",
    "begun",
    "went",
    "gone",
    "did",
    "done",
    "ran",
    "spoke",
    "spoken",
    "drew",
    "drawn",
    "read",
    "sold",
    "learnt",
    "grew",
    "grown",
    "drove",
    "driven",
    "ate",
    "eaten",
    "set",
)

# Nouns that name a concrete step ("Payment of school fees", "Home visit").
ACTION_NOUNS: tuple[str, ...] = (
    "payment",
    "enrolment",
    "enrollment",
    "registration",
    "referral",
    "visit",
    "purchase",
    "training",
    "counselling",
    "counseling",
    "assessment",
    "application",
    "tracing",
    "follow up",
    "mediation",
    "meeting",
    "transfer",
    "delivery",
    "vaccination",
    "immunisation",
    "immunization",
    "deposit",
    "installation",
)

# Verbs that, on their own, do not say what will be done.
VAGUE_VERBS: tuple[str, ...] = (
    "improve",
    "support",
    "help",
    "ensure",
    "enhance",
    "strengthen",
    "empower",
    "sensitise",
    "sensitize",
    "facilitate",
    "promote",
    "encourage",
    "assist",
    "address",
    "boost",
    "uplift",
    "maximise",
    "maximize",
    "optimise",
    "optimize",
    "handle",
    "manage",
    "work",
)

# Kiswahili verb stems (concrete and vague), read after a common prefix:
# ku- (to), ata-/wata-/tuta-/nita- (will), ame-/wame- (has), ali-/wali- (did),
# ana-/wana- (does), with an optional object marker (m-, mw-, wa-).
SWAHILI_VERB_STEMS: tuple[str, ...] = (
    "lipa",
    "fungua",
    "nunua",
    "tembelea",
    "peleka",
    "andikisha",
    "sajili",
    "hudhuria",
    "pata",
    "jiunga",
    "omba",
    "weka",
    "zungumza",
    "pika",
    "lima",
    "uza",
    "jenga",
    "leta",
    "chukua",
    "pokea",
    "tafuta",
    "fuatilia",
    "andika",
)
SWAHILI_VAGUE_STEMS: tuple[str, ...] = ("saidia", "boresha", "hakikisha", "wezesha")
SWAHILI_VERB_PREFIXES: tuple[str, ...] = (
    "ku",
    "ata",
    "wata",
    "tuta",
    "nita",
    "uta",
    "mta",
    "ame",
    "wame",
    "ali",
    "wali",
    "ana",
    "wana",
)

# What shows it is done (Measurable) in a free-text goal: checkable things.
OUTPUT_WORDS: tuple[str, ...] = (
    "account",
    "account book",
    "passbook",
    "bank statement",
    "statement",
    "certificate",
    "birth certificate",
    "card",
    "report card",
    "immunisation card",
    "clinic card",
    "id card",
    "national id",
    "receipt",
    "receipts",
    "report",
    "enrolment",
    "enrollment",
    "registration",
    "admission letter",
    "letter",
    "record",
    "register",
    "attendance register",
    "results",
    "result slip",
    "uniform",
    "uniforms",
    "shoes",
    "books",
    "textbooks",
    "mosquito net",
    "prescription",
    "referral form",
    "form",
    "minutes",
    "agreement",
    "contract",
    "membership",
    "permit",
    "licence",
    "license",
    "photo",
    "photograph",
    "budget",
    "plan",
    "safety plan",
    "emergency plan",
    "deposit",
    "loan",
    "business",
    "shop",
    "chickens",
    "goats",
    "kitchen garden",
    "bed",
    "mattress",
    "wheelchair",
    "spectacles",
    "glasses",
    "fees",
    "school fees",
    "medicine",
    "nhif",
    "shif",
    "immunisation",
    "immunization",
    "vaccination",
    # Kiswahili
    "akaunti",
    "cheti",
    "kadi",
    "risiti",
    "barua",
    "ripoti",
    "kitambulisho",
)
# Verbs whose result can itself be checked (enrolled, paid, registered...).
OUTPUT_VERBS: tuple[str, ...] = (
    "enrol",
    "enroll",
    "register",
    "pay",
    "buy",
    "purchase",
    "deposit",
    "immunise",
    "immunize",
    "vaccinate",
    "obtain",
    "submit",
    "sign",
)
# Frequencies and units that make an action countable.
FREQUENCY_WORDS: tuple[str, ...] = (
    "daily",
    "weekly",
    "monthly",
    "fortnightly",
    "twice",
    "once a week",
    "every day",
    "every week",
    "every month",
    "each week",
    "each month",
    "per week",
    "per month",
)
COUNT_UNITS: tuple[str, ...] = (
    "times",
    "sessions",
    "session",
    "days",
    "visits",
    "meetings",
    "meals",
    "kg",
    "kilograms",
    "shillings",
    "ksh",
    "kes",
    "weeks",
    "months",
    "hours",
    "chickens",
    "goats",
    "litres",
    "bags",
)

# An "output" cell that does not show anything.
VAGUE_OUTPUTS: tuple[str, ...] = (
    "done",
    "completed",
    "complete",
    "achieved",
    "yes",
    "ok",
    "okay",
    "n",
    "a",
    "na",
    "none",
    "tbd",
    "improved",
    "improvement",
    "better",
    "good",
    "success",
    "successful",
    "progress",
    "ongoing",
    "in",
    "the",
    "it",
    "is",
    "will",
    "be",
)

# Time words that are not a calendar date (Time-bound).
VAGUE_TIMES: tuple[str, ...] = (
    "as soon as possible",
    "asap",
    "soon",
    "next week",
    "next month",
    "next year",
    "next term",
    "next semester",
    "end of term",
    "end of the term",
    "end of month",
    "end of the month",
    "end of year",
    "end of the year",
    "this week",
    "this month",
    "this year",
    "this term",
    "later",
    "in future",
    "in the future",
    "eventually",
    "when possible",
    "when funds allow",
    "ongoing",
    "continuous",
    "immediately",
    "holidays",
    "the holidays",
    "after placement",
    "before placement",
    # Kiswahili
    "hivi karibuni",
    "karibuni",
    "mwezi ujao",
    "mwaka ujao",
    "wiki ijayo",
    "baadaye",
    "haraka",
)

MONTHS: dict[str, int] = {
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
    # Kiswahili
    "januari": 1,
    "februari": 2,
    "machi": 3,
    "aprili": 4,
    "mei": 5,
    "juni": 6,
    "julai": 7,
    "agosti": 8,
    "septemba": 9,
    "oktoba": 10,
    "novemba": 11,
    "desemba": 12,
}

# Small words that cannot start a person's name or be a subject.
_FUNCTION_WORDS: tuple[str, ...] = (
    "the",
    "a",
    "an",
    "to",
    "by",
    "in",
    "on",
    "for",
    "with",
    "at",
    "from",
    "this",
    "that",
    "these",
    "those",
    "our",
    "my",
    "his",
    "her",
    "their",
    "its",
    "we",
    "i",
    "you",
    "he",
    "she",
    "they",
    "it",
    "all",
    "each",
    "every",
    "before",
    "after",
    "when",
    "if",
    "once",
    "please",
    "and",
    "or",
    "of",
    "goal",
    "action",
    "step",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "kenya",
    "county",
    "semester",
    "term",
    "class",
    "grade",
    "form",
)
# Words between a subject and its verb ("the father will open").
_SUBJECT_LINKS: tuple[str, ...] = (
    "will",
    "shall",
    "to",
    "should",
    "must",
    "can",
    "could",
    "would",
    "may",
    "is",
    "are",
    "was",
    "were",
    "has",
    "have",
    "had",
    "agrees",
    "agreed",
    "plans",
    "intends",
    "commits",
    ":",
    "-",
    "–",
)
# A role or name right after one of these is not the one who acts
# ("open an account at Equity Bank", "pay fees for the child").
_PREPOSITIONS: tuple[str, ...] = (
    "at",
    "in",
    "to",
    "from",
    "with",
    "for",
    "of",
    "into",
    "on",
    "about",
    "towards",
    "toward",
    "under",
    "near",
    "without",
    "within",
    "among",
    "between",
    "via",
    "through",
    "kwa",
)
_DETERMINERS: tuple[str, ...] = (
    "the",
    "a",
    "an",
    "his",
    "her",
    "their",
    "our",
    "my",
    "its",
    "your",
    "this",
    "that",
    "each",
    "both",
)

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
# Words: tokens, and lookups built on first use from the lists above
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tok:
    text: str  # as written (apostrophes normalised)
    low: str  # lowercase, possessive 's removed
    possessive: bool
    capital: bool
    word: bool


def _tokens(text: str) -> list[_Tok]:
    text = text.replace("’", "'").replace("‘", "'")
    found = []
    for match in _LEX.token.finditer(text):
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


class _Lexicon:
    """Lookups and patterns derived from the word lists, built on first use.

    Built lazily so that importing this module stays cheap for commands that
    never check a plan, and so that a county's additions to the lists made
    before the first check are picked up.
    """

    @cached_property
    def token(self) -> re.Pattern:
        return re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*|\d+|[,:;()–-]")

    @cached_property
    def concrete_forms(self) -> frozenset[str]:
        return _all_forms(ACTION_VERBS) | frozenset(IRREGULAR_VERBS)

    @cached_property
    def vague_forms(self) -> frozenset[str]:
        return _all_forms(VAGUE_VERBS) - self.concrete_forms

    @cached_property
    def output_verb_forms(self) -> frozenset[str]:
        return _all_forms(OUTPUT_VERBS) | {"paid", "bought"}

    @staticmethod
    def _swahili(stems) -> re.Pattern:
        return re.compile(r"^(?:{})?(?:mw|m|wa)?({})$".format("|".join(SWAHILI_VERB_PREFIXES), "|".join(stems)))

    @cached_property
    def swahili_verb(self) -> re.Pattern:
        return self._swahili(SWAHILI_VERB_STEMS)

    @cached_property
    def swahili_vague(self) -> re.Pattern:
        return self._swahili(SWAHILI_VAGUE_STEMS)

    @cached_property
    def role_phrases(self):
        return _phrases(ROLES)

    @cached_property
    def action_noun_phrases(self):
        return _phrases(ACTION_NOUNS)

    @cached_property
    def output_phrases(self):
        return _phrases(OUTPUT_WORDS)

    @cached_property
    def frequency_phrases(self):
        return _phrases(FREQUENCY_WORDS)

    @cached_property
    def vague_time_phrases(self):
        return _phrases(VAGUE_TIMES)

    @cached_property
    def domain_phrases(self) -> dict:
        return {domain: _phrases(words) for domain, words in DOMAIN_KEYWORDS.items()}

    @cached_property
    def vague_who(self) -> frozenset[str]:
        return frozenset(VAGUE_WHO)

    @cached_property
    def vague_output(self) -> frozenset[str]:
        return frozenset(VAGUE_OUTPUTS)

    @cached_property
    def function_words(self) -> frozenset[str]:
        return frozenset(_FUNCTION_WORDS)

    @cached_property
    def links(self) -> frozenset[str]:
        return frozenset(_SUBJECT_LINKS)

    @cached_property
    def prepositions(self) -> frozenset[str]:
        return frozenset(_PREPOSITIONS)

    @cached_property
    def determiners(self) -> frozenset[str]:
        return frozenset(_DETERMINERS)

    @cached_property
    def month_names(self) -> frozenset[str]:
        return frozenset(MONTHS)

    @cached_property
    def quantity(self) -> re.Pattern:
        units = "|".join(re.escape(u) for u in COUNT_UNITS)
        return re.compile(rf"\b\d+\s*(?:[^\W\d_]+\s+){{0,2}}(?:{units})\b|\b(?:ksh|kes)\.?\s*\d", re.IGNORECASE)

    @cached_property
    def month_re(self) -> str:
        return "|".join(sorted(MONTHS, key=len, reverse=True))

    @cached_property
    def date_shape(self) -> re.Pattern:
        return re.compile(r"^(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}([-/.])\d{1,2}\1\d{4})$")

    @cached_property
    def numeric_in_text(self) -> re.Pattern:
        return re.compile(r"(?<![\d/.-])\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?!\d)")

    @cached_property
    def day_month_year(self) -> re.Pattern:
        return re.compile(
            rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({self.month_re})\.?,?\s+(\d{{4}})\b", re.IGNORECASE
        )

    @cached_property
    def month_day_year(self) -> re.Pattern:
        return re.compile(rf"\b({self.month_re})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.IGNORECASE)

    @cached_property
    def month_year(self) -> re.Pattern:
        return re.compile(rf"\b({self.month_re})\.?,?\s+(\d{{4}})\b", re.IGNORECASE)

    @cached_property
    def bare_month(self) -> re.Pattern:
        return re.compile(rf"\b(?:by|in|before|end of|mwisho wa)\s+({self.month_re})\b(?!\.?\s*\d)", re.IGNORECASE)

    @cached_property
    def year_only(self) -> re.Pattern:
        return re.compile(r"\b(?:by|in|before)\s+((?:19|20)\d{2})\b(?![-/.]\d)")

    @cached_property
    def indicator(self) -> re.Pattern:
        return re.compile(r"^B?(\d{1,2})\.(\d{1,2})$", re.IGNORECASE)

    @cached_property
    def indicator_split(self) -> re.Pattern:
        return re.compile(r"[,;/\s]+|\band\b|\bna\b", re.IGNORECASE)


_LEX = _Lexicon()


def _is_concrete_verb(tok: _Tok) -> bool:
    return (
        tok.word and not tok.possessive and (tok.low in _LEX.concrete_forms or bool(_LEX.swahili_verb.match(tok.low)))
    )


def _is_vague_verb(tok: _Tok) -> bool:
    return tok.word and (tok.low in _LEX.vague_forms or bool(_LEX.swahili_vague.match(tok.low)))


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


def domains_in(text: str) -> tuple[str, ...]:
    """The wellbeing domains a sentence mentions, in DOMAINS order ("school fees" -> education)."""
    toks = _tokens(text.replace("-", " "))
    return tuple(domain for domain, phrases in _LEX.domain_phrases.items() if _contains(toks, phrases))


# --------------------------------------------------------------------------
# Who and what (Specific)
# --------------------------------------------------------------------------


def _name_run(toks: list[_Tok], i: int) -> int:
    """Length of a run of capitalised name words starting at i (0 if none)."""
    n = 0
    while i + n < len(toks):
        tok = toks[i + n]
        if not (tok.word and tok.capital and len(tok.text) >= 2):
            break
        if (
            tok.low in _LEX.function_words
            or tok.low in _LEX.month_names
            or _is_concrete_verb(tok)
            or _is_vague_verb(tok)
        ):
            break
        n += 1
        if tok.possessive:
            break
    return n


def _candidate_at(toks: list[_Tok], i: int) -> int:
    """A role phrase or a capitalised name starting at i: its length, else 0."""
    return _match_at(toks, i, _LEX.role_phrases) or _name_run(toks, i)


def _preceded_by(toks: list[_Tok], i: int) -> str | None:
    """The word before position i, skipping determiners and possessives ("for the child's")."""
    j = i - 1
    while j >= 0 and toks[j].word and (toks[j].low in _LEX.determiners or toks[j].possessive):
        j -= 1
    return toks[j].low if j >= 0 else None


def _acts(toks: list[_Tok], end: int) -> bool:
    """Whether what follows a candidate ending before `end` makes it the one who acts."""
    j = end
    while j < len(toks):
        tok = toks[j]
        if tok.text in (",", "(", ")"):
            j += 1
            continue
        if tok.low in ("and", "or", "na", "together"):
            nxt = j + 1
            while nxt < len(toks) and toks[nxt].word and toks[nxt].low in _LEX.determiners:
                nxt += 1
            n = _candidate_at(toks, nxt) if nxt < len(toks) else 0
            if n:
                j = nxt + n
                continue
            return tok.low == "together"
        run = _name_run(toks, j)  # an apposition: "the father, John Otieno, will"
        if run:
            j += run
            continue
        return tok.low in _LEX.links or _is_concrete_verb(tok) or _is_vague_verb(tok)
    return False


def _who_in(text: str) -> bool:
    """A named person or a role who acts: the subject of a verb, or the agent after "by"."""
    toks = _tokens(text)
    i = 0
    while i < len(toks):
        tok = toks[i]
        n = _candidate_at(toks, i) if tok.word else 0
        if not n:
            i += 1
            continue
        last = toks[i + n - 1]
        before = _preceded_by(toks, i)
        if before == "by":
            return True
        if not last.possessive and before not in _LEX.prepositions and _acts(toks, i + n):
            return True
        i += n
    return False


def _verbs_in(text: str) -> tuple[bool, str | None]:
    """(has a concrete action word, first vague verb seen)."""
    toks = _tokens(text)
    concrete = any(_is_concrete_verb(t) for t in toks) or _contains(toks, _LEX.action_noun_phrases) is not None
    vague = next((t.low for t in toks if _is_vague_verb(t)), None)
    return concrete, vague


def _all_in(text: str, words: frozenset[str]) -> bool:
    """Empty of meaning: no word at all, or every word is in `words`."""
    toks = [t for t in _tokens(text) if t.word]
    return all(t.low in words for t in toks)


_WHO_EXAMPLE = '(e.g. "father, John Otieno", "caregiver", "caseworker")'
_VERB_EXAMPLE = "pay, enrol, buy, visit or open"


def _specific(
    who_ok: bool, who_vague: str | None, what_ok: bool, vague_verb: str | None, empty_what: bool
) -> str | None:
    problems, fixes = [], []
    if not who_ok:
        if who_vague:
            problems.append(f"'{who_vague}' does not say who does it")
        else:
            problems.append("nobody is named to do it")
    if not what_ok:
        if empty_what:
            problems.append("no step is written")
        elif vague_verb:
            problems.append(f"'{vague_verb}' does not say what will be done")
        else:
            problems.append("there is no action verb, so it is not clear what will be done")
    if not problems:
        return None
    if not who_ok and not what_ok:
        fixes.append('write who does what, e.g. "the father, John Otieno, will open a savings account"')
    elif not who_ok:
        fixes.append(f"write who does it: a named person or a role {_WHO_EXAMPLE}")
    else:
        fixes.append(f"say what will be done with an action verb such as {_VERB_EXAMPLE}")
    return " and ".join(problems) + "; " + "; ".join(fixes)


# --------------------------------------------------------------------------
# Dates (Time-bound)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _DateReading:
    kind: str  # ok, empty, impossible, partial, no_day, vague, unreadable
    value: _dt.date | None = None
    shown: str = ""


def _month_date(day: str, month: str, year: str, shown: str) -> _DateReading:
    try:
        return _DateReading("ok", _dt.date(int(year), MONTHS[month.lower()], int(day)), shown)
    except ValueError:
        return _DateReading("impossible", None, shown)


def _read_numeric(text: str, order: str) -> _DateReading:
    try:
        return _DateReading("ok", parse_date(text, field="deadline", order=order), text)
    except ValidationError:
        if _LEX.date_shape.match(text):
            return _DateReading("impossible", None, text)
        return _DateReading("partial", None, text)


def _read_date(value: object, order: str = "DMY") -> _DateReading:
    """One deadline cell: a date, or what is wrong with it."""
    if isinstance(value, _dt.datetime):
        return _DateReading("ok", value.date())
    if isinstance(value, _dt.date):
        return _DateReading("ok", value)
    raw = "" if value is None else str(value).strip()
    raw = re.sub(r"^(?:by|before|on|kufikia|tarehe)\s+", "", raw, flags=re.IGNORECASE).rstrip(". ")
    if not raw:
        return _DateReading("empty")
    if _LEX.numeric_in_text.fullmatch(raw):
        return _read_numeric(raw, order)
    for pattern, swap in ((_LEX.day_month_year, False), (_LEX.month_day_year, True)):
        match = pattern.fullmatch(raw)
        if match:
            a, b, year = match.groups()
            day, month = (b, a) if swap else (a, b)
            return _month_date(day, month, year, raw)
    readings = _dates_in(raw, order)
    if readings:
        return readings[0]
    return _DateReading("unreadable")


def _dates_in(text: str, order: str = "DMY") -> list[_DateReading]:
    """Every date, partial date or vague time in a sentence, in that order of strength."""
    found: list[_DateReading] = []
    rest = text
    for match in _LEX.numeric_in_text.finditer(text):
        found.append(_read_numeric(match.group(0), order))
    rest = _LEX.numeric_in_text.sub(" ", rest)
    for match in _LEX.day_month_year.finditer(rest):
        day, month, year = match.groups()
        found.append(_month_date(day, month, year, match.group(0)))
    rest = _LEX.day_month_year.sub(" ", rest)
    for match in _LEX.month_day_year.finditer(rest):
        month, day, year = match.groups()
        found.append(_month_date(day, month, year, match.group(0)))
    rest = _LEX.month_day_year.sub(" ", rest)
    for pattern in (_LEX.month_year, _LEX.bare_month, _LEX.year_only):
        for match in pattern.finditer(rest):
            found.append(_DateReading("no_day", None, match.group(0).strip()))
        rest = pattern.sub(" ", rest)
    vague = _contains(_tokens(rest.replace("-", " ")), _LEX.vague_time_phrases)
    if vague:
        found.append(_DateReading("vague", None, " ".join(vague)))
    return found


def _time_message(reading: _DateReading, order: str, what: str = "deadline") -> str:
    example = format_local(EXAMPLE_DATE, order)
    form = "day-month-year" if order == "DMY" else "month/day/year"
    if reading.kind == "impossible":
        return f"'{reading.shown}' is not a real date; check the day and the month and write it {form}, like {example}"
    if reading.kind == "partial":
        return f"'{reading.shown}' is not a full date; write the day, the month and the 4-digit year, like {example}"
    if reading.kind == "no_day":
        return f"'{reading.shown}' does not say which day; write the calendar date it is due, like {example}"
    if reading.kind == "vague":
        return f"'{reading.shown}' is not a calendar date; write the date it is due, like {example} ({form})"
    if reading.kind == "unreadable":
        return f"the {what} is not a calendar date; write the date it is due, like {example} ({form})"
    return f"there is no {what}; write the date it is due, like {example} ({form})"


# --------------------------------------------------------------------------
# Indicators and domains (Relevant)
# --------------------------------------------------------------------------


def _indicator_problems(text: object) -> tuple[list[str], list[str]]:
    """(valid indicator ids normalised as B1.3, messages for the ones that are not)."""
    valid, problems = [], []
    raw = "" if text is None else str(text)
    for part in _LEX.indicator_split.split(raw):
        part = part.strip().rstrip(".")
        if not part:
            continue
        shown = part if len(part) <= 12 else part[:9] + "..."
        match = _LEX.indicator.match(part)
        if not match:
            problems.append(f"'{shown}' is not a benchmark indicator; write indicators like B1.3, separated by commas")
            continue
        bench, number = int(match.group(1)), int(match.group(2))
        if bench not in BENCHMARKS:
            problems.append(f"'{shown}': there is no benchmark B{bench}; benchmarks run from B1 to B12, e.g. B1.3")
            continue
        count = BENCHMARKS[bench][1]
        if not 1 <= number <= count:
            problems.append(
                f"there is no indicator B{bench}.{number}; benchmark B{bench} has B{bench}.1 to B{bench}.{count}"
            )
            continue
        valid.append(f"B{bench}.{number}")
    return valid, problems


def normalise_domain(value: object) -> str | None:
    """A domain id from an id or a label ("Economic stability" -> "economic"); None if not one."""
    if value is None:
        return None
    text = " ".join(str(value).replace("_", " ").split()).lower()
    if text in DOMAINS:
        return text
    return DOMAIN_ALIASES.get(text)


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


def _action_specific(action: dict) -> str | None:
    responsible = _text(action.get("responsible"))
    what = _text(action.get("action"))
    who_vague = None
    if responsible:
        who_ok = not _all_in(responsible, _LEX.vague_who)
        if not who_ok:
            words = [t.low for t in _tokens(responsible) if t.word]
            who_vague = next((w for w in words if w not in ("the", "a", "and", "to", "be")), None)
    else:
        who_ok = bool(what) and _who_in(what)
    concrete, vague_verb = _verbs_in(what) if what else (False, None)
    return _specific(who_ok, who_vague, concrete, vague_verb, empty_what=not what)


def _action_measurable(action: dict) -> str | None:
    output = _text(action.get("output"))
    if not any(t.word or t.text.isdigit() for t in _tokens(output)):
        return f'no output says how we will know it is done; add one (e.g. "{EXAMPLE_OUTPUT}")'
    if _all_in(output, _LEX.vague_output):
        word = next((t.low for t in _tokens(output) if t.word and t.low in _LEX.vague_output), "this")
        return (
            f"'{word}' does not show it is done; name something you can see or check, "
            f'e.g. a receipt, a report card or "{EXAMPLE_OUTPUT}"'
        )
    return None


def check_plan(
    goals: list[dict],
    actions: list[dict],
    *,
    today: _dt.date,
    planned_closure: _dt.date | None = None,
    busy_week_limit: int = 4,
    order: str = "DMY",
) -> list[SmartFinding]:
    """Check a case plan's goals and actions against SMART; findings in plan order.

    `today` judges deadlines already passed; `planned_closure`, when known,
    judges deadlines after it; `busy_week_limit` open actions for one person
    or role due in the same ISO week are flagged as not attainable. Dropped
    actions are not checked for A; done actions are not flagged for a passed
    deadline. `order` is the store's date order for deadlines written as text.
    """
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
    readings = [_read_date(a.get("deadline"), order) for a in actions]

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
                busy[m] = (
                    f"the same person or role has {len(members)} open actions due in the week of "
                    f"{format_local(monday, order)} (actions {ids}); spread them over more weeks "
                    "or share them with someone else"
                )

    def check_action(n: int, goal: str | None) -> None:
        action = actions[n]
        aid = action_ids[n]
        status = _status(action.get("status"))
        message = _action_specific(action)
        if message:
            add(goal, aid, "S", message)
        message = _action_measurable(action)
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
                    f"the deadline {deadline} has already passed and the action is not done; "
                    "record it as done with the date, or agree a new date with the family and write why",
                )
            if planned_closure is not None and reading.value > planned_closure:
                add(
                    goal,
                    aid,
                    "A",
                    f"the deadline {deadline} is after the planned closure on "
                    f"{format_local(planned_closure, order)}; bring it forward or agree a later closure date",
                )
            if n in busy:
                add(goal, aid, "A", busy[n])
        if goal is not None and goal not in known_goals:
            add(
                goal,
                aid,
                "R",
                "this action's goal number is not in the plan; link it to one of the plan's goals "
                f"({', '.join(goal_ids) or 'add the goal first'})",
            )
        if reading.kind != "ok":
            add(goal, aid, "T", _time_message(reading, order))

    checked: set[int] = set()
    seen_goals: set[str] = set()
    for gid, goal in zip(goal_ids, goals, strict=False):
        # R: a domain, or benchmark indicators, and the indicators must be real.
        domain_raw = _text(goal.get("domain"))
        domain = normalise_domain(domain_raw)
        valid, problems = _indicator_problems(goal.get("indicators"))
        if domain_raw and domain is None:
            shown = domain_raw if len(domain_raw) <= 20 else domain_raw[:17] + "..."
            add(
                gid, None, "R", f"'{shown}' is not one of the six wellbeing domains; choose one of {', '.join(DOMAINS)}"
            )
        elif not domain and not valid:
            hint = domains_in(" ".join(_text(goal.get(k)) for k in ("goal", "need_or_gap")))
            suggestion = f" (its words suggest {' or '.join(hint)})" if hint else ""
            add(
                gid,
                None,
                "R",
                "the goal is not linked to a wellbeing domain or a benchmark indicator; choose its domain"
                f"{suggestion} or add the indicators it works towards, like B1.3",
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
                "the goal has no actions, so nobody is doing anything yet; "
                "add at least one action saying who does what",
            )
            add(
                gid,
                None,
                "M",
                "the goal has no actions, so nothing will show it is done; add at least one action with an output "
                f'(e.g. "{EXAMPLE_OUTPUT}")',
            )
            add(
                gid,
                None,
                "T",
                "the goal has no actions, so it has no deadline; add at least one action with a date like "
                f"{format_local(EXAMPLE_DATE, order)}",
            )
        seen_goals.add(gid)
        for n in mine:
            check_action(n, gid)
    for n, owner in enumerate(action_goal):
        if owner is None or owner not in known_goals:
            check_action(n, owner)
            if owner is None:
                add(None, action_ids[n], "R", "this action has no goal number; write which goal it works towards")

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


def check_sentence(sentence: str, *, today: _dt.date | None = None, order: str = "DMY") -> TextCheck:
    return TextCheck(check_text(sentence, today=today, order=order))


def check_text(sentence: str, *, today: _dt.date | None = None, order: str = "DMY") -> list[SmartFinding]:
    """Judge one free-text goal sentence, as a trainer would; at most one finding per letter.

    The Handbook's example passes: "The child's father, John Otieno, will open
    a savings account at Equity Bank to save for the child's school fees for
    semester 2 by 10-02-2021." `today`, when given, flags a date already past (A).
    """
    text = sentence or ""
    toks = _tokens(text)
    findings: list[SmartFinding] = []

    concrete, vague_verb = _verbs_in(text)
    message = _specific(_who_in(text), None, concrete, vague_verb, empty_what=not any(t.word for t in toks))
    if message:
        findings.append(SmartFinding(None, None, "S", message))

    lowered = text.replace("-", " ")
    measurable = (
        _contains(_tokens(lowered), _LEX.output_phrases) is not None
        or _contains(_tokens(lowered), _LEX.frequency_phrases) is not None
        or any(t.low in _LEX.output_verb_forms for t in toks if t.word)
        or bool(_LEX.quantity.search(text))
    )
    if not measurable:
        findings.append(
            SmartFinding(
                None,
                None,
                "M",
                "nothing in it can be checked to show it is done; name an output such as an account, "
                "a receipt, a certificate, a report card or an enrolment",
            )
        )

    readings = _dates_in(text, order)
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
                    f"this date has already passed ({format_local(past[0], order)}); "
                    f"choose a date after {format_local(today, order)} that the family agrees is realistic",
                )
            )

    if not domains_in(text):
        findings.append(
            SmartFinding(
                None,
                None,
                "R",
                "nothing ties it to the child's wellbeing; say which domain it serves, e.g. school fees "
                "(education), a clinic visit (health), savings (economic stability), time together (relationship)",
            )
        )

    if bad:
        findings.append(SmartFinding(None, None, "T", _time_message(bad[0], order, "date")))
    elif not good:
        first = readings[0] if readings else _DateReading("empty")
        findings.append(SmartFinding(None, None, "T", _time_message(first, order, "date")))
    return findings
