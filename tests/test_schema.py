"""The fast check at ingest (msgspec, recorder/schema.py) and the full one agree on every batch.

`batch_check` lets msgspec accept a batch quickly and leaves every refusal to
`batch_validate`; so the one thing that must never happen is msgspec
accepting what the full check refuses, or refusing what it accepts.
"""
import copy
import json
import sys

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from recorder.processing import BatchError, _huge_number, _json_decode, _schema_read, batch_validate
from tests.test_ingest_properties import events, json_values, good_events, typed_events

BASE = {"v": 1, "wid": 3, "vid": "visitor-schema", "sid": "6c1b4e0e-43d5-4a8c-9b8a-5d2b0b1c9c11", "seq": 0}


def verdicts(text: bytes) -> tuple[bool | None, bool]:
    """(msgspec accepted it, or None if it could not tell; the full check accepted it)."""
    fast = _schema_read(text)
    try:
        batch_validate(_json_decode(text), max_events=5000)
        full = True
    except BatchError:
        full = False
    return (None if fast is None else True), full


def encoded(batch: dict) -> bytes:
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(20_000)
    try:
        return json.dumps(batch).encode()
    finally:
        sys.setrecursionlimit(limit)


@hsettings(max_examples=1500, deadline=None)
@given(batch_events=st.lists(typed_events | events, min_size=1, max_size=3),
       stamp=st.integers(0, 2**44) | st.integers(-5, 2**50))
def test_msgspec_accepts_exactly_what_the_full_check_accepts(batch_events, stamp):
    for event in batch_events:
        event["timestamp"] = stamp
    text = encoded({**BASE, "events": batch_events})
    fast, full = verdicts(text)
    if fast is not None:
        assert full, "msgspec accepted a batch the full check refuses"
    elif full:
        # Only what msgspec cannot read may take the slow path: lone surrogates, deep trees, huge numbers.
        assert b"\\ud" in text or nesting(text) > 500 or _huge_number(text), "the schema refuses a good batch"


def places(value, found=None) -> list:
    """Every (container, key) inside a JSON value."""
    found = [] if found is None else found
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, child in items:
        found.append((value, key))
        places(child, found)
    return found


@hsettings(max_examples=1500, deadline=None)
@given(data=st.data(), batch_events=st.lists(good_events, min_size=1, max_size=2), stamp=st.integers(0, 2**44))
def test_the_two_checks_agree_on_a_good_batch_with_one_thing_wrong(data, batch_events, stamp):
    """Single faults find a schema that drifted from the full check far sooner than random batches."""
    for event in batch_events:
        event["timestamp"] = stamp
    text = encoded({**BASE, "events": batch_events})
    fast, full = verdicts(text)
    assert fast is None or full, "msgspec accepted a batch the full check refuses"
    if not full:
        return
    assert fast or b"\\ud" in text or _huge_number(text), "the schema refuses a good batch"
    container, key = data.draw(st.sampled_from(places(batch_events)))
    if isinstance(container, dict) and data.draw(st.booleans()):
        del container[key]
    else:
        container[key] = data.draw(json_values)
    text = encoded({**BASE, "events": batch_events})
    fast, full = verdicts(text)
    assert fast is None or full, "msgspec accepted a batch the full check refuses"
    assert fast or not full or b"\\ud" in text or _huge_number(text), "the schema refuses a good batch"


def nesting(text: bytes) -> int:
    """The deepest nesting of brackets outside strings."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in text:
        if in_string:
            escaped, in_string = (False, True) if escaped else (byte == 0x5C, byte != 0x22)
        elif byte == 0x22:
            in_string = True
        elif byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b"]}":
            depth -= 1
    return deepest


@pytest.mark.parametrize("junk", ["1e999", "-2e400", "1" * 400, '"\\ud83d"'])
def test_what_msgspec_reads_loosely_goes_to_the_full_check(junk):
    text = ('{"wid":3,"vid":"visitor-schema","sid":"%s","seq":0,"events":[{"type":4,"timestamp":1,'
            '"data":{"junk":%s}}]}' % (BASE["sid"], junk)).encode()
    assert _schema_read(text) is None


NODES = [
    {"type": 0, "id": 1, "childNodes": [
        {"type": 1, "id": 2, "name": "html"},
        {"type": 2, "id": 3, "tagName": "p", "attributes": {"class": "a", "n": 1, "b": True, "x": None}, "childNodes": [
            {"type": 3, "id": 4, "textContent": "hi"}, {"type": 4, "id": 5, "textContent": ""},
            {"type": 5, "id": 6, "textContent": "note"}]}]},
]
EVENTS = [
    {"type": 0, "data": {}}, {"type": 1, "data": {}}, {"type": 6, "data": {"plugin": "x"}},
    {"type": 2, "data": {"node": NODES[0], "initialOffset": {"left": 0, "top": 0}}},
    {"type": 3, "data": {"source": 0, "texts": [{"id": 4, "value": "x"}, {"id": 4, "n": -3}],
                         "attributes": [{"id": 3, "attributes": {"class": "b", "style": {"color": "red"}, "x": None}}],
                         "removes": [{"parentId": 3, "id": 5}],
                         "adds": [{"parentId": 3, "nextId": None, "previousId": 4, "node": NODES[0]["childNodes"][1]},
                                  {"parentId": 3, "nextId": None, "node": {"type": 3, "id": 7, "n": 2}}],
                         "textSteps": [[4, 3], [1, -2]]}},
    {"type": 3, "data": {"source": 0, "texts": [], "attributes": [], "removes": [], "adds": [],
                         "textSteps": [[4, 3, 1], "o~-120,!"]}},
    {"type": 3, "data": {"source": 0, "texts": [], "attributes": [], "removes": [], "adds": [],
                         "attrColumns": [["class", [4, -1], ["up", None]], ["style", [3], ["color: red"]]]}},
    {"type": 3, "data": {"source": 1, "positions": [{"x": 1, "y": 2.5, "id": 3, "timeOffset": -5}]}},
    {"type": 3, "data": {"source": 2, "type": 2, "id": 3, "x": 1, "y": 2}},
    {"type": 3, "data": {"source": 3, "id": 3, "x": 0, "y": 10}},
    {"type": 3, "data": {"source": 4, "width": 800, "height": 600}},
    {"type": 3, "data": {"source": 5, "id": 3, "text": "typed", "isChecked": False}},
    {"type": 3, "data": {"source": 6, "positions": [{"x": 1, "y": 2, "id": 3, "timeOffset": 0}]}},
    {"type": 3, "data": {"source": 12, "positions": [{"x": 1, "y": 2, "id": 3, "timeOffset": 0}]}},
    {"type": 3, "data": {"source": 14, "ranges": [{"start": 3, "startOffset": 0, "end": 4, "endOffset": 1}]}},
    *({"type": 3, "data": {"source": source, "id": 3}} for source in (7, 8, 9, 10, 11, 13, 15, 16)),
    {"type": 4, "data": {"href": "https://a.test/", "width": 800, "height": 600}},
    {"type": 5, "data": {"tag": "hs.page", "payload": {"url": "https://a.test/"}}},
]
WRONG = [None, "x", 1.5, -1, True, [], {}]


def single_faults():
    """Every event above with one of its values deleted or replaced by a value of another type."""
    for event in EVENTS:
        for count, (_, key) in enumerate(places(copy.deepcopy(event))):
            for wrong in ["delete", *WRONG]:
                changed = copy.deepcopy(event)
                target, name = places(changed)[count]
                if wrong == "delete" and isinstance(target, list):
                    continue
                if wrong == "delete":
                    del target[name]
                else:
                    target[name] = wrong
                yield changed


@pytest.mark.parametrize("event", [pytest.param(e, id=str(n)) for n, e in enumerate(EVENTS)])
def test_every_kind_of_good_event_is_accepted_by_both_checks(event):
    assert verdicts(encoded({**BASE, "events": [{**event, "timestamp": 1000}]})) == (True, True)


def test_the_two_checks_agree_on_every_single_fault_of_every_kind_of_event():
    disagreements = []
    for event in single_faults():
        fast, full = verdicts(encoded({**BASE, "events": [{**event, "timestamp": 1000}]}))
        if bool(fast) != full:
            disagreements.append((json.dumps(event)[:300], "fast" if fast else "full"))
    assert not disagreements, f"{len(disagreements)} disagreements, e.g. {disagreements[:3]}"


@pytest.mark.parametrize("vid", ["9e744c1d0a", "E123", "a1e999b"])
def test_ids_that_look_like_exponents_take_the_fast_path(vid):
    """Hex ids are full of `e` and digits: only a number token with a huge exponent is sent the slow way."""
    batch = {**BASE, "vid": vid, "events": [{"type": 5, "timestamp": 1, "data": {"tag": "t", "payload": {"s": "1e400"}}}]}
    assert _schema_read(encoded(batch)) is not None


@pytest.mark.parametrize("number", ["1e400", "-2.5E+308", "[1E999]", " 7e308"])
def test_a_number_that_overflows_a_double_is_sent_to_the_full_check(number):
    text = b'{"v":1,"wid":3,"vid":"v","sid":"6c1b4e0e-43d5-4a8c-9b8a-5d2b0b1c9c11","seq":0,"events":[' + \
        b'{"type":5,"timestamp":1,"data":{"tag":"t","payload":{"n":' + number.encode() + b'}}}]}'
    assert _huge_number(text) and _schema_read(text) is None
