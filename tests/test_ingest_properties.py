"""Property: whatever ingest accepts, the worker stores and the events API serves as valid JSON.

Hypothesis builds batches a broken or hostile client could send: rrweb
events of every type with fields of the wrong type, odd strings (lone
surrogates, NUL, emoji), odd numbers, deep node trees. Ingest either refuses
one with a 4xx JSON error and stores nothing, or the worker stores all of it.
"""
import json
import sys
import uuid

import pytest
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from recorder import jsontext
from recorder.models import Chunk, Session
from tests.conftest import post_batch, process_pending

pytestmark = pytest.mark.django_db

odd_text = st.text(alphabet=st.sampled_from(["a", "é", "😀", "\x00", "\ud83d", "\ude00", "<", "\"", "\\", "4"]), max_size=12)
DEEP = 1200  # deeper than any JSON reader with a recursion limit goes
numbers = st.integers(min_value=-(2**63), max_value=2**63) | st.floats(allow_nan=False, allow_infinity=False)
scalars = st.none() | st.booleans() | numbers | odd_text
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(odd_text, inner, max_size=3), max_leaves=8,
)
def maybe(strategy):
    """Mostly a field of the right type, sometimes anything at all."""
    return st.one_of(*[strategy] * 9, json_values)


node_id = st.integers(min_value=-5, max_value=10**6)


def node_tree(depth: int) -> dict:
    node = {"type": 3, "textContent": "leaf", "id": depth + 2}
    for level in range(depth, 0, -1):
        node = {"type": 2, "tagName": "div", "attributes": {"class": "x"}, "childNodes": [node], "id": level + 1}
    return node


def shallow_nodes(maybe=maybe):
    return st.builds(node_tree, st.sampled_from([0, 1, 3])) | st.fixed_dictionaries({
        "type": maybe(st.integers(0, 5)), "id": maybe(node_id), "tagName": maybe(odd_text),
        "attributes": maybe(st.dictionaries(odd_text, scalars, max_size=3)), "textContent": maybe(odd_text),
        "childNodes": maybe(st.just([])),
    })


def typed(nodes, maybe=maybe):
    """Events of a known type whose fields are mostly (with `maybe`) or always of the right type."""
    mutation = st.fixed_dictionaries({
        "source": st.just(0),
        "texts": maybe(st.lists(st.fixed_dictionaries({"id": maybe(node_id), "value": maybe(odd_text)}), max_size=2)),
        "attributes": maybe(st.lists(st.fixed_dictionaries(
            {"id": maybe(node_id), "attributes": maybe(st.dictionaries(odd_text, scalars, max_size=2))}), max_size=2)),
        "removes": maybe(st.lists(st.fixed_dictionaries({"parentId": maybe(node_id), "id": maybe(node_id)}), max_size=2)),
        "adds": maybe(st.lists(st.fixed_dictionaries(
            {"parentId": maybe(node_id), "nextId": st.none() | node_id, "node": nodes}), max_size=2)),
    })
    incremental = mutation | st.fixed_dictionaries({
        "source": maybe(st.integers(1, 16)), "id": maybe(node_id), "text": maybe(odd_text), "x": maybe(numbers),
        "y": maybe(numbers), "type": maybe(st.integers(0, 9)), "width": maybe(numbers), "height": maybe(numbers),
        "positions": maybe(st.lists(st.fixed_dictionaries(
            {"x": maybe(numbers), "y": maybe(numbers), "id": maybe(node_id), "timeOffset": numbers}), max_size=2)),
        "ranges": maybe(st.lists(st.fixed_dictionaries({"start": node_id, "end": maybe(node_id)}), max_size=1)),
    })
    custom = st.fixed_dictionaries({
        "tag": maybe(st.sampled_from(["hs.page", "hs.tag", "hs.identify", "hs.error", "x"])), "payload": json_values,
    })
    return st.one_of(
        st.builds(lambda data: {"type": 3, "data": data}, incremental),
        st.builds(lambda node: {"type": 2, "data": {"node": node, "initialOffset": {"left": 0, "top": 0}}}, nodes),
        st.builds(lambda data: {"type": 5, "data": data}, custom),
        st.builds(lambda data: {"type": 4, "data": data}, st.fixed_dictionaries(
            {"href": maybe(odd_text), "width": maybe(numbers), "height": maybe(numbers)})),
    )


typed_events = typed(st.builds(node_tree, st.just(DEEP)) | shallow_nodes() | shallow_nodes() | shallow_nodes())


def exactly(strategy):
    return strategy


# Events of a known type with every field of the right type (odd values still: strings, numbers).
good_events = typed(shallow_nodes(exactly), exactly)
# Mostly events of a known type with odd fields; sometimes any type with any data.
events = st.one_of(*[typed_events] * 6, st.builds(lambda kind, data: {"type": kind, "data": data},
                                                 st.integers(0, 7), json_values))


def browser_json(value) -> bytes:
    """JSON as JSON.stringify writes it: lone surrogates as \\udXXX escapes; deep trees too."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(20_000)
    try:
        return json.dumps(value).encode()
    finally:
        sys.setrecursionlimit(limit)


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(batch_events=st.lists(events, min_size=1, max_size=3), stamp=st.integers(0, 2**41))
def test_whatever_ingest_accepts_the_worker_stores(client, site, batch_events, stamp):
    sid = str(uuid.uuid4())
    for event in batch_events:
        event["timestamp"] = stamp
    batch = {"v": 1, "wid": site.pk, "vid": "visitor-prop", "sid": sid, "seq": 0, "events": batch_events}
    body = browser_json(batch)

    response = post_batch(client, body)

    if response.status_code != 202:
        assert 400 <= response.status_code < 500 and response.json()["error"]
        assert not Chunk.objects.filter(session_id=sid).exists()
        return
    assert process_pending() == 1
    assert Chunk.objects.get(session_id=sid).status == Chunk.STORED
    client.force_login(get_user_model().objects.get(username="owner"))
    served = b"".join(client.get(f"/api/v1/sessions/{sid}/events/").streaming_content)
    assert len(jsontext.loads(served.decode("utf-8"))) == len(batch_events)
    assert Session.objects.get(pk=sid).event_count == len(batch_events)
