"""The encrypted summary index: what reports need from each case, without decrypting every record.

One age file outside the tracked tree (`.git/cmtk/summary.age`), encrypted to
the current store key, holding per case the git tree hash of its folder and
a few fields: worker, status, step, dates, the names `case find` searches,
the due items of the schedule, and the moves between steps. Columnar JSON:
one list per field, which decodes in a few milliseconds for thousands of
cases.

It is never trusted over the records: on every use, one `git ls-tree` lists
each case folder's tree hash, and any case whose hash differs (or that the
index lacks) is read again from its records. The policy's hash is stored too:
a policy change makes every entry stale. `cmtk index rebuild` rebuilds it on
all cores; `cmtk doctor` checks it matches the records.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cmtk import __version__
from cmtk.casework import cases, schedule, scoring, supervision, workflow
from cmtk.casework import cases as cases_module
from cmtk.casework import policy as policy_module
from cmtk.errors import CmtkError, DecryptError, UsageError, ValidationError
from cmtk.store import crypto, gitio, paths
from cmtk.store.files import write_atomic
from cmtk.store.paths import builtin_forms_dir
from cmtk.store.session import CASES_DIR, Session, Store

FORMAT = 9
INDEX_FILE = "summary.age"
LARGE_FILE = "summary-reviews.age"  # columns only some reports need, in a file of their own
LARGE_COLUMNS = ("bench", "activity")
COLUMNS = (
    "tree", "worker", "status", "step", "opened", "name", "names", "born", "namekey", "due", "events", "conflicts",
    "decisions", "bench", "activity",
)  # fmt: skip


def index_path(session: Session) -> Path:
    return session.store.root / ".git" / "cmtk" / INDEX_FILE


def case_trees(session: Session) -> dict[str, str]:
    """Every case folder's tree hash at HEAD, from one `git ls-tree`."""
    result = gitio.run_git(
        ["-C", str(session.store.root), "ls-tree", "-r", "-d", "HEAD", f"{CASES_DIR}/"],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        if "Not a valid object name HEAD" in result.stderr or "not a tree object" in result.stderr:
            return {}
        raise CmtkError.of("git-ls-tree-failed")
    trees = {}
    for line in result.stdout.splitlines():
        meta, _, path = line.partition("\t")
        parts = path.split("/")
        if len(parts) == 3:
            trees[parts[2]] = meta.split()[2]
    return trees


def policy_hash(session: Session) -> str:
    """Summaries depend on the policy, the workflow and cmtk's own version: any change makes them stale."""

    digest = hashlib.sha256(__version__.encode())

    # The review forms hold the pass marks that benchmark totals depend on. Size and time of change
    # stand for the content: this runs before every report and must not read files.
    reviews = [
        folder / f"{name}.yaml"
        for folder in (builtin_forms_dir(), session.store.root / ".cmtk" / "forms")
        for name in ("case-review", "case-review-young-person")
    ]
    for path in (session.store.root / ".cmtk" / "policy.yaml", paths.defaults_dir() / "workflow.yaml", *reviews):
        try:
            stat = path.stat()
        except OSError:
            continue
        digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    digest.update(str(FORMAT).encode())
    return digest.hexdigest()[:16]


def summarise(case, policy: dict) -> dict[str, Any]:
    """The fields reports need from one case (JSON-able)."""

    bio = case.biographical
    names = " ".join(str(bio.get(k) or "") for k in cases_module.NAME_FIELDS)
    due = [[i.kind, i.due.isoformat(), i.detail, i.ref] for i in schedule.due_items(case, policy)]
    events = [
        [
            e["date"].isoformat() if isinstance(e.get("date"), _dt.date) else None,
            e.get("from"),
            e.get("to"),
            str(e.get("what", "")),
        ]
        for e in case.events
    ]
    return {
        "worker": case.worker,
        "status": case.status,
        "step": workflow.step_of(case),
        "opened": case.opened.isoformat() if case.opened else None,
        "name": case.name,
        "names": names,
        "born": bio["date_of_birth"].isoformat() if isinstance(bio.get("date_of_birth"), _dt.date) else None,
        "namekey": cases_module.name_key(bio),
        "due": due,
        "events": events,
        "conflicts": sum(len(r.extra.get("conflicts") or []) for r in case.records),  # left by a sync: `cmtk conflicts`
        "decisions": [  # conference decisions kept with the case: [date, kind, conference id or ""]
            [
                _iso(r.body.get("decision", {}).get("conference_date") or r.date),
                str(r.body.get("decision", {}).get("kind") or ""),
                str(r.body.get("decision", {}).get("conference_id") or ""),
            ]
            for r in case.records
            if r.form == "conference-decision"
        ],
    }


def _iso(day: Any) -> str | None:
    return day.isoformat() if isinstance(day, _dt.date) else None


def summarise_case(session: Session, case_id: str, policy: dict) -> dict[str, Any]:

    case = cases.read_case(session, case_id)
    row = summarise(case, policy)
    row["activity"] = supervision.activity(case, policy)
    row["bench"] = scoring.bench_to_json(scoring.case_benchmarks(session, case, policy))
    return row


class Index:
    """Columnar: one JSON text per column, decoded only when a command asks for that column."""

    def __init__(
        self,
        policy: str,
        generation: int,
        rows: dict[str, dict[str, Any]] | None = None,
        head: str | None = None,
        ids: list[str] | None = None,
        raw: dict[str, str] | None = None,
        large: Callable[[], dict[str, str]] | None = None,
        stamp: str = "",
    ) -> None:
        self.policy = policy
        self.generation = generation
        self.head = head  # the commit it was checked against: an unchanged HEAD means nothing to re-read
        self._rows = rows if rows is not None else (None if raw is not None else {})
        self._ids = ids or []
        self._raw = raw or {}
        self._decoded: dict[str, list] = {}
        self._large = large
        self.stamp = stamp

    @property
    def ids(self) -> list[str]:
        return sorted(self._rows) if self._rows is not None else self._ids

    def column(self, name: str) -> list:
        if self._rows is not None:
            return [self._rows[i].get(name) for i in self.ids]
        if name not in self._decoded:
            if name not in self._raw and self._large is not None:
                self._raw.update(self._large())
            self._decoded[name] = json.loads(self._raw[name])
        return self._decoded[name]

    @property
    def rows(self) -> dict[str, dict[str, Any]]:
        if self._rows is None:
            columns = {name: self.column(name) for name in COLUMNS}
            self._rows = {case_id: {name: columns[name][n] for name in COLUMNS} for n, case_id in enumerate(self._ids)}
        return self._rows

    def encode(self) -> tuple[bytes, bytes]:
        """The main file and the file of large columns, tied by a random stamp."""
        import secrets

        ids = self.ids
        self.stamp = secrets.token_hex(8)
        raw = {name: json.dumps(self.column(name), ensure_ascii=False, separators=(",", ":")) for name in COLUMNS}
        main = {
            "format": FORMAT,
            "policy": self.policy,
            "generation": self.generation,
            "head": self.head,
            "stamp": self.stamp,
            "cases": ids,
            "columns": {k: v for k, v in raw.items() if k not in LARGE_COLUMNS},
        }
        large = {"stamp": self.stamp, "columns": {k: raw[k] for k in LARGE_COLUMNS}}
        dump = lambda data: json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")  # noqa: E731
        return dump(main), dump(large)

    @classmethod
    def decode(cls, data: bytes, large: Callable[[], bytes]) -> Index:
        table = json.loads(data)
        if table.get("format") != FORMAT or set(table["columns"]) | set(LARGE_COLUMNS) != set(COLUMNS):
            raise ValueError("old format")
        stamp = table.get("stamp", "")

        def load_large() -> dict[str, str]:
            extra = json.loads(large())
            if extra.get("stamp") != stamp:
                raise CmtkError.of("index-damaged")
            return extra["columns"]

        return cls(
            table["policy"],
            table["generation"],
            head=table.get("head"),
            ids=table["cases"],
            raw=table["columns"],
            large=load_large,
            stamp=stamp,
        )


def _decrypt(session: Session, path: Path) -> bytes:
    return crypto.decrypt(path.read_bytes(), [session.current_key().identity], f".git/cmtk/{path.name}")


def _read(session: Session) -> Index | None:
    path = index_path(session)
    if not path.is_file():
        return None
    try:
        return Index.decode(_decrypt(session, path), lambda: _decrypt(session, path.with_name(LARGE_FILE)))
    except (DecryptError, ValueError, KeyError, TypeError):
        return None  # unreadable or from another key generation: rebuilt below


def _write(session: Session, index: Index) -> None:

    path = index_path(session)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    main, large = index.encode()
    recipient = [session.current_key().recipient]
    write_atomic(path.with_name(LARGE_FILE), crypto.encrypt(large, recipient))
    write_atomic(path, crypto.encrypt(main, recipient))


def load(session: Session, *, progress: Callable[[int, int], None] | None = None) -> dict[str, dict[str, Any]]:
    """Summaries of every case by case id, refreshed where the records changed."""
    return load_index(session, progress=progress).rows


def load_index(session: Session, *, progress: Callable[[int, int], None] | None = None) -> Index:
    """The index, refreshed where the records changed and rewritten if needed."""

    current_policy = policy_hash(session)
    generation = session.store.current_generation
    head = session.store.head_commit()
    index = _read(session)
    if index is None or index.policy != current_policy or index.generation != generation:
        index = Index(current_policy, generation, {})
    elif head is not None and index.head == head:
        return index  # cmtk commits every change: the same HEAD means the same records
    trees = case_trees(session)
    left_out = False
    stale = [case_id for case_id, tree in trees.items() if index.rows.get(case_id, {}).get("tree") != tree]
    gone = [case_id for case_id in index.rows if case_id not in trees]
    if stale or gone:
        policy = policy_module.load(session.store.root)
        for done, case_id in enumerate(stale, start=1):
            try:
                row = summarise_case(session, case_id, policy)
            except CmtkError as error:
                # One damaged case must not stop the caseload's reports (invariant 9): name it, go on.
                import sys

                print(f"Warning: case {case_id} left out: {error.message}", file=sys.stderr)
                index.rows.pop(case_id, None)
                left_out = True
                continue
            row["tree"] = trees[case_id]
            index.rows[case_id] = row
            if progress:
                progress(done, len(stale))
        for case_id in gone:
            del index.rows[case_id]
    checked = None if left_out else head
    if stale or gone or index.head != checked:
        index.head = checked
        _write(session, index)
    return index


# Each rebuild worker process opens its own read-only session once (set by _worker_init).
_WORKER: Session | None = None
_POLICY: dict = {}


def _worker_init(store_root: str, secret: str) -> None:
    global _WORKER, _POLICY

    store = Store(store_root)
    session = Session.reading_with(store, store.current_generation, crypto.parse_identity_text(secret, "store key"))
    _WORKER = session
    _POLICY = policy_module.load(store.root)


def _worker_summary(item: tuple[str, str]) -> tuple[str, dict]:
    case_id, tree = item
    assert _WORKER is not None, "_worker_init runs first in every worker"
    row = summarise_case(_WORKER, case_id, _POLICY)
    row["tree"] = tree
    return case_id, row


def rebuild(
    session: Session, *, processes: int | None = None, progress: Callable[[int, int], None] | None = None
) -> int:
    """Read every case again, in parallel (pyrage holds the GIL: processes, not threads)."""
    import multiprocessing

    trees = case_trees(session)
    index = Index(policy_hash(session), session.store.current_generation, {})
    items = sorted(trees.items())
    workers = processes or os.cpu_count() or 1
    if workers <= 1 or len(items) < 50:
        _worker_init(str(session.store.root), session.current_key().secret)
        results: Iterable = map(_worker_summary, items)
    else:
        # "spawn" exists everywhere; "fork" does not on Windows and is unsafe on macOS (issue 20).
        context = multiprocessing.get_context("spawn")
        pool = context.Pool(
            workers, initializer=_worker_init, initargs=(str(session.store.root), session.current_key().secret)
        )
        results = pool.imap_unordered(_worker_summary, items, chunksize=64)
    try:
        for done, (case_id, row) in enumerate(results, start=1):
            index.rows[case_id] = row
            if progress:
                progress(done, len(items))
    finally:
        if workers > 1 and len(items) >= 50:
            pool.close()
            pool.join()
    _write(session, index)
    return len(items)


class Verifier:
    """Compares stored summaries with the records, one case at a time (for `cmtk doctor`)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.index = _read(session)
        self.trees = case_trees(session) if self.index is not None else {}
        self.policy = policy_module.load(session.store.root) if self.index is not None else {}

    @property
    def case_ids(self) -> list[str]:
        """The cases the index holds, in its order."""
        return list(self.index.rows) if self.index is not None else []

    def wrong(self, case_id: str) -> bool:
        """The stored summary of this case differs from what its records say now."""
        row = self.index.rows.get(case_id) if self.index is not None else None
        if row is None or self.trees.get(case_id) != row.get("tree"):
            return False  # not indexed, or stale: stale entries are refreshed on next use, not wrong
        fresh = summarise_case(self.session, case_id, self.policy)
        return any(fresh[k] != row.get(k) for k in fresh)


FIND_COLUMNS = ["case", "name", "nickname", "worker", "status", "step"]


@dataclass(frozen=True)
class NameSearch:
    """Cases whose names hold every part of the query; when none do, cases whose names come close."""

    matches: list[cases.Case]
    near: list[cases.Case]

    @staticmethod
    def _row(case: cases.Case) -> list[Any]:
        nickname = case.biographical.get("nickname") or None
        return [case.id, case.name, nickname, case.worker, case.status, workflow.step_of(case)]

    def to_json(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "matches": [dict(zip(FIND_COLUMNS, self._row(c), strict=True)) for c in self.matches],
            "near": [dict(zip(FIND_COLUMNS, self._row(c), strict=True)) for c in self.near],
        }

    def to_rows(self) -> tuple[list[str], list[list[Any]]]:
        rows = [[*self._row(c), "exact"] for c in self.matches] + [[*self._row(c), "near"] for c in self.near]
        return [*FIND_COLUMNS, "match"], rows


def search_names(session: Session, text: str) -> NameSearch:
    """Find children by name or nickname: every part of `text`, in any order, must be in one of the child's
    names ("Kito Ouma" finds "Ouma Kito Baraka"). When nothing matches, names one or two letters away
    ("Kitto" for "Kito") are offered instead. Searched in the encrypted summary index; matches are then read
    from their records."""
    parts = cases.fold(text).split()
    if not parts:
        raise ValidationError.of("find-name-empty")
    rows = load(session)
    tokens = {case_id: cases.fold(row["names"]).split() for case_id, row in rows.items()}

    def holds(case_tokens: list[str], part: str) -> bool:
        return any(part in token for token in case_tokens)

    matches = sorted(case_id for case_id, words in tokens.items() if all(holds(words, p) for p in parts))
    if matches:
        return NameSearch([cases.read_case(session, c) for c in matches], [])
    vocabulary = sorted({token for words in tokens.values() for token in words})
    close = {part: set(difflib.get_close_matches(part, vocabulary, n=8, cutoff=0.75)) for part in parts}
    near = sorted(
        case_id for case_id, words in tokens.items() if all(holds(words, p) or close[p] & set(words) for p in parts)
    )
    return NameSearch([], [cases.read_case(session, c) for c in near[:10]])


def find_cases(session: Session, text: str) -> list[cases.Case]:
    """Cases whose child's names hold every part of `text` (see `search_names`)."""
    return search_names(session, text).matches


# -- listings for `cmtk case list` and `cmtk case find` -------------------------------------------

STATUSES = ("open", "closed", "transferred", "all")
LIST_COLUMNS = ["case", "name", "worker", "opened", "step", "status"]


@dataclass(frozen=True)
class CaseListing:
    """Cases that match a listing's filters, from the summary index; `store_has_cases` tells an empty store apart."""

    cases: list[cases.Listed]
    store_has_cases: bool

    def to_json(self) -> list[dict[str, Any]]:
        return [
            {"case": c.id, "name": c.name, "worker": c.worker, "opened": c.opened, "status": c.status, "step": c.step}
            for c in self.cases
        ]

    def to_rows(self) -> tuple[list[str], list[list[Any]]]:
        return LIST_COLUMNS, [[c.id, c.name, c.worker, c.opened, c.step, c.status] for c in self.cases]


def check_status(status: str) -> None:
    if status not in STATUSES:
        raise UsageError.of("status-option", status=status, statuses=", ".join(STATUSES))


def list_cases(
    session: Session, *, status: str = "open", worker: str | None = None, step: int | None = None
) -> CaseListing:
    """Cases with this status ("all": any), caseworker (any case of letters) and step, by case id."""

    check_status(status)
    wanted = worker.casefold() if worker else None
    found = [
        cases.Listed(case_id, row)
        for case_id, row in sorted(load(session).items())
        if (status == "all" or row["status"] == status)
        and (wanted is None or row["worker"].casefold() == wanted)
        and (step is None or row["step"] == step)
    ]
    return CaseListing(found, bool(found) or bool(session.store.case_ids()))
