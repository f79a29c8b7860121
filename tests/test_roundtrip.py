"""Property: any record written and read back is equal (hypothesis)."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt

import pytest
from helpers import make_store
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cmtk.casework import cases
from cmtk.store import crypto, records, rows, yamlio

# Text as people type it: any unicode except surrogates and the few control
# characters YAML cannot carry; line breaks and tabs included.
_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\x85\u2028\u2029\ufeff").filter(
        lambda c: c in "\n\t" or (ord(c) >= 0x20 and not 0x7F <= ord(c) <= 0x9F)
    ),
    max_size=60,
)
_scalar = st.one_of(
    _text,
    st.integers(min_value=-(10**12), max_value=10**12),
    st.booleans(),
    st.none(),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.sampled_from(["no", "NO", "yes", "Off", "0123", "1:30", "1e3", "~", "null", "2026-01-02", "0x1F", ".inf", "-"]),
)
_key = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=20)
_value = st.recursive(
    _scalar,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(_key, children, max_size=4)),
    max_leaves=12,
)
_body = st.dictionaries(_key, st.dictionaries(_key, _value, max_size=5), max_size=4)


@pytest.mark.slow
@given(_body)
@settings(max_examples=300, deadline=None)
def test_yaml_round_trip(body):
    assert yamlio.loads(yamlio.dumps(body), "x") == body


@pytest.mark.slow  # 60 stores' worth of examples
@given(body=_body, date=st.one_of(st.none(), st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 1, 1))))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_record_round_trip_through_encryption(tmp_path_factory, body, date):
    session = _session(tmp_path_factory)
    record = cases.new_record(session, "K7Q2MX4P", "case-notes", body, date)
    ciphertext = session.seal(record)
    plaintext = crypto.decrypt(ciphertext, [session.current_key().identity], "x")
    # rows of tables read back with the refs every laptop derives for rows saved without one (cmtk.store.rows)
    expected = dataclasses.replace(record, body=rows.migrate(copy.deepcopy(body), record.record))
    assert records.decode(plaintext, "x") == expected.with_generation(1)


def test_record_round_trip_through_the_store(tmp_path):
    session, _ = make_store(tmp_path)
    body = {
        "biographical": {"first_name": "Ñjeri", "note": "line one\nline two\n\n  indented", "d": dt.date(2024, 2, 29)},
        "table": {"rows": [{"a": 1, "b": [1, 2, {"c": None}]}, {"a": "no"}]},
    }
    case_id = cases.create_case(session, "identification", body, dt.date(2026, 1, 31))
    (record,) = session.case_records(case_id)
    assert record.body == body and record.date == dt.date(2026, 1, 31)


_SESSION = {}


def _session(factory):
    if "s" not in _SESSION:
        _SESSION["s"], _ = make_store(factory.mktemp("rt"))
    return _SESSION["s"]


def test_yaml_uses_the_c_parser():
    """Without ruamel.yaml.clib the safe loader silently runs about five times slower (performance.md)."""
    assert yamlio.uses_c_parser()
