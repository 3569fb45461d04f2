"""Batch decoding and validation: pure functions, no database."""
import copy
import gzip
import itertools
import json
import random
import subprocess
import uuid
from concurrent import futures
from pathlib import Path

import pytest
import zstandard

from recorder import processing, wire
from recorder.processing import (
    CHUNK_ZSTD_LEVEL, BatchError, batch_summarise, batch_validate, body_decode, events_decode, events_encode,
    events_restore,
)
from recorder.wire import number_apply, step_text_count, steps_read

GOOD = {
    "v": 1, "wid": 3, "vid": "abcdefgh12", "sid": str(uuid.uuid4()), "seq": 0, "sent": 1,
    "events": [{"type": 4, "data": {"href": "https://a.test/", "width": 800, "height": 600}, "timestamp": 1000}],
}


def test_plain_and_gzip_bodies_decode_to_the_same_batch():
    raw = json.dumps(GOOD).encode()
    assert body_decode(raw, max_inflated=10_000) == body_decode(gzip.compress(raw), max_inflated=10_000)


def test_a_body_of_several_gzip_members_is_one_text():
    raw = json.dumps(GOOD).encode()
    members = b"".join(gzip.compress(raw[i:i + 40]) for i in range(0, len(raw), 40))
    assert body_decode(members, max_inflated=10_000) == GOOD
    with pytest.raises(BatchError) as caught:
        body_decode(members + b"\x1f\x8b\x08garbage", max_inflated=10_000)
    assert caught.value.code == "bad_gzip"
    with pytest.raises(BatchError) as caught:
        body_decode(members, max_inflated=len(raw) - 1)
    assert caught.value.status == 413


def test_a_body_of_a_great_many_gzip_members_is_refused_at_once():
    """200,000 empty members (4 MB) took 10 s of CPU when the rest of the body was copied after each."""
    raw = json.dumps(GOOD).encode()
    members = gzip.compress(raw, mtime=0) + gzip.compress(b"", mtime=0) * 999
    assert body_decode(members, max_inflated=10_000) == GOOD  # up to 1000 members
    with pytest.raises(BatchError) as caught:
        body_decode(members + gzip.compress(b"", mtime=0), max_inflated=10_000)
    assert caught.value.code == "bad_gzip" and "1000" in caught.value.detail
    # Members longer than the steps the body is fed in, back to back, and one cut short.
    parts = [bytes([65 + i]) * (70_000 + i * 1_000) for i in range(4)]
    body = b"".join(gzip.compress(part) for part in parts)
    assert processing._gunzip_bounded(body, 10**6) == b"".join(parts)
    with pytest.raises(BatchError) as caught:
        processing._gunzip_bounded(body[:-100], 10**6)
    assert caught.value.code == "bad_gzip"


def test_gzip_bomb_is_refused_without_inflating_it_whole():
    bomb = gzip.compress(b"[" + b" " * 50_000_000 + b"]")
    with pytest.raises(BatchError) as caught:
        body_decode(bomb, max_inflated=1_000_000)
    assert caught.value.status == 413


@pytest.mark.parametrize("body, status, code", [
    (b"{not json", 400, "malformed_json"),
    (b"\xff\xfe\x00garbage", 415, "bad_encoding"),
    (b"\x1f\x8b\x08\x00broken", 415, "bad_gzip"),
    (gzip.compress(b'{"a": 1}')[:-6], 415, "bad_gzip"),
])
def test_undecodable_bodies_are_refused(body, status, code):
    with pytest.raises(BatchError) as caught:
        body_decode(body, max_inflated=10_000)
    assert (caught.value.status, caught.value.code) == (status, code)


@pytest.mark.parametrize("field, value", [
    ("wid", "3"), ("wid", 0), ("wid", True), ("wid", None), ("wid", 2**40),
    ("seq", -1), ("seq", 1.5), ("seq", "0"),
    ("vid", 12345678), ("vid", "short"), ("vid", "has spaces in it"), ("vid", "x" * 65),
    ("sid", "not-a-uuid"), ("sid", 5),
    ("sent", "yesterday"),
    ("events", []), ("events", {}), ("events", "[]"),
    ("events", [1]), ("events", [{"type": 9, "data": {}, "timestamp": 1}]),
    ("events", [{"type": "2", "data": {}, "timestamp": 1}]),
    ("events", [{"type": 2, "data": [], "timestamp": 1}]),
    ("events", [{"type": 2, "data": {}, "timestamp": -5}]),
    ("events", [{"type": 2, "data": {}, "timestamp": "now"}]),
    ("events", [{"type": 2, "data": {}, "timestamp": 10**16}]),
    ("events", [{"type": 2, "data": {}, "timestamp": 1, "ids": "absolute"}]),
])
def test_a_wrong_type_in_any_field_is_a_400_naming_it(field, value):
    with pytest.raises(BatchError) as caught:
        batch_validate({**GOOD, field: value}, max_events=100)
    assert caught.value.status == 400
    assert field in caught.value.detail


def test_a_body_that_is_not_an_object_is_refused():
    with pytest.raises(BatchError):
        batch_validate([GOOD], max_events=100)


def test_too_many_events_is_a_413():
    events = GOOD["events"] * 11
    with pytest.raises(BatchError) as caught:
        batch_validate({**GOOD, "events": events}, max_events=10)
    assert caught.value.status == 413


def test_a_good_batch_validates():
    batch = batch_validate(GOOD, max_events=100)
    assert (batch.wid, batch.seq, batch.vid) == (3, 0, "abcdefgh12")
    assert isinstance(batch.sid, uuid.UUID)


def test_summary_reads_pages_identity_tags_errors_and_viewport():
    def custom(tag, payload, ts):
        return {"type": 5, "data": {"tag": tag, "payload": payload}, "timestamp": ts}

    events = [
        {"type": 4, "data": {"href": "https://a.test/", "width": 800, "height": 600}, "timestamp": 1000},
        custom("hs.page", {"url": "https://a.test/", "title": "A", "kind": "load"}, 1000),
        custom("hs.identify", {"id": "first"}, 1100),
        custom("hs.identify", {"id": "user-1"}, 1200),
        custom("hs.tag", {"tags": {"plan": "free"}}, 1300),
        custom("hs.tag", {"tags": {"plan": "pro", "role": "admin"}}, 1400),
        custom("hs.error", {"kind": "error", "message": "boom"}, 1500),
        custom("hs.error", {"kind": "console.warn", "message": "meh"}, 1600),
        {"type": 3, "data": {"source": 4, "width": 400, "height": 700}, "timestamp": 1700},
    ]
    summary = batch_summarise(events)
    assert (summary.first_ts, summary.last_ts, summary.event_count) == (1000, 1700, 9)
    assert [p["url"] for p in summary.pages] == ["https://a.test/"]
    assert summary.identity == "user-1"
    assert summary.tags == {"plan": "pro", "role": "admin"}
    assert summary.error_count == 1
    assert summary.viewport == (400, 700)


def test_a_switch_back_to_a_tab_or_a_url_replaced_in_place_is_not_a_page_view():
    """hs.page of kind `tab` marks where the replay switches back to a page already counted (docs/protocol.md,
    "Tabs"), `fragment` a page replacing its URL's fragment as the reader scrolls, `state` its query (a search
    box's, at each key); a page shown again by the back button (`back`) is a view, as a load would have been."""
    def page(url, kind, ts):
        return {"type": 5, "data": {"tag": "hs.page", "payload": {"url": url, "title": "", "kind": kind}}, "timestamp": ts}

    summary = batch_summarise([page("https://a.test/", "load", 1000), page("https://a.test/cart", "load", 2000),
                               page("https://a.test/", "tab", 3000), page("https://a.test/cart", "back", 4000),
                               page("https://a.test/cart#total", "fragment", 5000),
                               page("https://a.test/cart?q=t#total", "state", 6000)])
    assert [(p["url"], p["kind"]) for p in summary.pages] == [
        ("https://a.test/", "load"), ("https://a.test/cart", "load"), ("https://a.test/cart", "back")]


def test_a_page_rewritten_by_document_open_is_no_page_view_even_first_in_its_batch():
    """hs.page of kind `open` says what a page that rewrote itself now shows, at the same address: the
    Pages panel lists it, the page count does not (alone in a later batch, nothing before it in that batch
    had the same address to tell it apart)."""
    event = {"type": 5, "data": {"tag": "hs.page", "payload": {"url": "https://a.test/", "title": "Ad", "kind": "open"}},
             "timestamp": 1000}
    assert batch_summarise([event]).pages == []


def test_a_navigation_said_after_the_events_that_followed_it_is_a_page_view_at_its_own_moment():
    """The recorder sends a navigation's hs.page once the route has its title, stamped with the navigation's
    time: events stamped later (a click on the new page) may come before it in the batch."""
    page = {"type": 5, "data": {"tag": "hs.page", "payload": {"url": "https://a.test/cart", "title": "Cart", "kind": "push"}},
            "timestamp": 1200}
    load = {"type": 5, "data": {"tag": "hs.page", "payload": {"url": "https://a.test/", "title": "Home", "kind": "load"}},
            "timestamp": 1000}
    click = {"type": 5, "data": {"tag": "hs.click", "payload": {"s": "button", "x": 5, "y": 5}}, "timestamp": 1500}
    summary = batch_summarise([load, click, page])
    assert [(p["at"], p["url"], p["title"]) for p in summary.pages] == [
        (1000, "https://a.test/", "Home"), (1200, "https://a.test/cart", "Cart")]
    assert (summary.first_ts, summary.last_ts) == (1000, 1500)
    assert [mark[:2] for mark in summary.marks] == [["p", 1000], ["p", 1200], ["c", 1500]]  # the click on the new page


def test_a_page_pushing_addresses_in_a_loop_counts_each_address_it_moves_to_once_and_a_batch_few_views():
    def page(url, kind, ts):
        return {"type": 5, "data": {"tag": "hs.page", "payload": {"url": url, "title": "", "kind": kind}}, "timestamp": ts}

    same = [page("https://a.test/feed", "load", 1000)] + [page("https://a.test/feed", "push", 1001 + n) for n in range(3000)]
    same += [page("https://a.test/item", "push", 9000), page("https://a.test/feed", "pop", 9500)]
    # A site's virtualPage is a view even where the address stays (a wizard's steps).
    same += [page("https://a.test/feed", "virtual", 9600), page("https://a.test/feed", "virtual", 9700)]
    assert [(p["url"], p["kind"]) for p in batch_summarise(same).pages] == [
        ("https://a.test/feed", "load"), ("https://a.test/item", "push"), ("https://a.test/feed", "pop"),
        ("https://a.test/feed", "virtual"), ("https://a.test/feed", "virtual")]
    # Another address each time: no person reads that many pages in a batch's ten seconds.
    distinct = [page(f"https://a.test/feed?page={n}", "push", 1000 + n) for n in range(3000)]
    pages = batch_summarise(distinct).pages
    assert len(pages) == processing.MAX_PAGE_VIEWS and pages[0]["url"] == "https://a.test/feed?page=0"


def test_stored_form_round_trips_and_is_deterministic():
    events = GOOD["events"]
    assert events_decode(events_encode(events)) == events
    assert events_encode(events) == events_encode(events)


def test_each_thread_compresses_a_chunk_whole_with_its_own_kept_compressor():
    """The compressor a thread keeps writes each chunk as a fresh one would: alone, its size in the frame."""
    big = [{"type": 5, "timestamp": 1000 + n, "data": {"tag": "t", "payload": {"n": n, "text": "x" * n}}}
           for n in range(300)]
    fresh = zstandard.ZstdCompressor(level=CHUNK_ZSTD_LEVEL, write_content_size=True)
    with futures.ThreadPoolExecutor(max_workers=4) as pool:
        blobs = list(pool.map(events_encode, [big, GOOD["events"]] * 20))
    for blob, events in zip(blobs, [big, GOOD["events"]] * 20):
        assert blob == fresh.compress(json.dumps(events, separators=(",", ":"), ensure_ascii=False).encode())
        assert zstandard.ZstdDecompressor().decompress(blob) and events_decode(blob) == events


RECORDER = Path(__file__).resolve().parent.parent / "static" / "recorder-js"

# A full snapshot (an element's childNodes come before its id) and a DOM
# change with every id-like key, null, negative ids and an element whose
# `id` attribute is a string.
NODE_EVENTS = [
    {"type": 2, "timestamp": 1000, "data": {"node": {"type": 0, "childNodes": [
        {"type": 1, "name": "html", "id": 2},
        {"type": 2, "tagName": "html", "attributes": {"id": "root"}, "childNodes": [
            {"type": 2, "tagName": "body", "attributes": {}, "childNodes": [
                {"type": 3, "textContent": "hi", "id": 5},
                {"type": 2, "tagName": "input", "attributes": {"id": "7", "value": "**"}, "childNodes": [], "id": 6},
            ], "id": 4},
        ], "id": 3},
    ], "id": 1}, "initialOffset": {"left": 0, "top": 0}}},
    {"type": 3, "timestamp": 1200, "data": {"source": 0,
        "texts": [{"id": 5, "value": "12.5"}, {"id": 905, "value": "13"}],
        "attributes": [{"id": 6, "attributes": {"style": {"height": "4px"}}}],
        "removes": [{"parentId": 4, "id": 900}, {"parentId": -1, "id": 901, "isShadow": True}],
        "adds": [{"parentId": 4, "nextId": None, "previousId": 6, "node": {"type": 2, "tagName": "p", "attributes": {}, "childNodes": [], "id": 904}},
                 {"parentId": 904, "nextId": 6, "node": {"type": 3, "textContent": "x", "id": 905}}]}},
    {"type": 3, "timestamp": 1300, "data": {"source": 2, "type": 2, "id": 6, "x": 1, "y": 2}},
]


def recorder_encode(events: list[dict]) -> list[dict]:
    """The events as the recorder's own encoder writes them (node, src/encode.js)."""
    script = (
        "import { eventJson } from './src/encode.js';"
        "import { readFileSync } from 'node:fs';"
        "const events = JSON.parse(readFileSync(0, 'utf8'));"
        "process.stdout.write('[' + events.map(eventJson).join(',') + ']')"
    )
    out = subprocess.run(["node", "--input-type=module", "-e", script], input=json.dumps(events),
                         cwd=RECORDER, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_node_ids_written_as_differences_by_the_recorder_are_restored():
    encoded = recorder_encode(NODE_EVENTS)
    assert [e.get("ids") for e in encoded] == ["delta", "delta", None]
    snapshot_ids = [n["id"] for n in encoded[0]["data"]["node"]["childNodes"]]
    assert snapshot_ids == [2, -1], "the encoder wrote absolute ids"
    batch = batch_validate({**GOOD, "events": copy.deepcopy(encoded)}, max_events=100)
    assert events_restore(batch.events) == NODE_EVENTS


def test_ids_of_a_dom_nested_past_the_walks_recursion_are_restored():
    node = {"type": 3, "textContent": "bottom", "id": 900}
    for level in range(300, 0, -1):  # 600 levels of JSON: past WALK_RECURSION_DEPTH, then walked with a stack
        node = {"type": 2, "tagName": "div", "attributes": {"title": f"level {level} of the page"}, "childNodes": [node],
                "id": level + 1}
    events = [{"type": 2, "timestamp": 1000, "data": {"node": {"type": 0, "childNodes": [node], "id": 1},
                                                     "initialOffset": {"left": 0, "top": 0}}}]
    encoded = recorder_encode(events)
    assert encoded[0].get("ids") == "delta"
    assert events_restore(encoded) == events


@pytest.mark.parametrize("depth", [0, wire.WALK_RECURSION_DEPTH])
def test_ids_whose_differences_add_up_past_what_the_player_holds_are_stored_null(monkeypatch, depth):
    """Each difference is a node id ingest takes; their sum, which a hostile client chooses, is not."""
    monkeypatch.setattr(wire, "WALK_RECURSION_DEPTH", depth)  # the walk's calls, and its stack
    big = wire.ID_LIMIT
    moves = [{"x": 1, "y": 1, "id": step, "timeOffset": 0} for step in (big, big, 5, -big, -big + 2)]
    event = {"type": 3, "timestamp": 1000, "ids": "delta", "data": {"source": 1, "positions": moves}}
    batch = batch_validate({**GOOD, "events": [event]}, max_events=10)  # ingest's checks
    restored = events_restore(batch.events)[0]["data"]["positions"]
    assert [move["id"] for move in restored] == [big, None, None, None, 7]  # the sum goes on, back to 7


def test_node_ids_in_columns_that_add_up_past_what_the_player_holds_are_left_out():
    big = wire.ID_LIMIT
    event = _texts_event([{"id": 3, "value": "1"}])
    event["data"]["textSteps"] = [[3, big - 10, big], [1, 1, 1]]
    event["data"]["attrColumns"] = [["class", [big, big, -big], ["a", "b", "c"]]]
    data = events_restore(batch_validate({**GOOD, "events": [event]}, max_events=10).events)[0]["data"]
    assert [change["id"] for change in data["texts"]] == [3, 3, big - 7]
    assert data["attributes"] == [{"id": big, "attributes": {"class": "a"}}, {"id": big, "attributes": {"class": "c"}}]


@pytest.mark.parametrize("seed", range(40))
def test_the_id_walk_is_the_same_with_a_stack_at_any_depth(monkeypatch, seed):
    """What the walk restores and finds does not depend on where it turns from calls to a stack."""
    rng = random.Random(seed)

    def value(depth: int):
        roll = rng.random()
        if depth < 8 and roll < 0.25:
            return {rng.choice(["id", "parentId", "nextId", "previousId", "x", "childNodes", "attributes"]): value(depth + 1)
                    for _ in range(rng.randint(0, 5))}
        if depth < 8 and roll < 0.4:
            return [value(depth + 1) for _ in range(rng.randint(0, 4))]
        return rng.choice([rng.randint(-50, 50), True, None, 1.5, "short", "4012 8888 8888 1881", "é"])

    event = {"type": 3, "timestamp": 1, "data": value(0), "ids": "delta"}
    wanted = lambda text: len(text) >= 13 or not text.isascii()
    results = []
    for depth in (0, 1, 3, wire.WALK_RECURSION_DEPTH):
        monkeypatch.setattr(wire, "WALK_RECURSION_DEPTH", depth)
        copied = copy.deepcopy(event)
        found = wire.node_ids_restore(copied, wanted, 13)
        results.append((copied, [container[key] for container, key in found]))
    assert all(result == results[0] for result in results)


NUMBERS = json.loads((RECORDER / "test" / "numbers.json").read_text())


@pytest.mark.parametrize("text, step, want", NUMBERS["apply"])
def test_numbers_in_text_are_stepped_as_the_recorder_steps_them(text, step, want):
    assert number_apply(text, step) == want


@pytest.mark.parametrize("steps, text", NUMBERS["steps"])
def test_a_column_of_steps_written_as_a_string_reads_back(steps, text):
    assert steps_read(text) == steps and step_text_count(text) == len(steps)


def test_columns_of_steps_the_recorder_writes_as_strings_read_back():
    """Random columns (small steps, steps alike, large ones), through the recorder's own writer and back."""
    rng = random.Random(11)
    columns = []
    for _ in range(300):
        column = []
        for _ in range(rng.randint(1, 40)):
            kind = rng.random()
            column.append(rng.randint(-50, 50) if kind < 0.6 else column[-1] + rng.randint(-1, 1) if column and kind < 0.8
                          else rng.randint(-2**52, 2**52) if kind < 0.85 else rng.randint(-5000, 5000))
        columns.append(column)
    script = (
        "import { stepText } from './src/encode.js';"
        "import { readFileSync } from 'node:fs';"
        "process.stdout.write(JSON.stringify(JSON.parse(readFileSync(0, 'utf8')).map(stepText)))"
    )
    out = subprocess.run(["node", "--input-type=module", "-e", script], input=json.dumps(columns),
                         cwd=RECORDER, capture_output=True, text=True, check=True)
    texts = json.loads(out.stdout)
    assert sum(len(t) for t in texts) < sum(len(json.dumps(c)) for c in columns)
    assert [steps_read(t) for t in texts] == columns


def _texts_event(texts: list[dict], removes: list[dict] | None = None, adds: list[dict] | None = None) -> dict:
    return {"type": 3, "timestamp": 1000,
            "data": {"source": 0, "texts": texts, "attributes": [], "removes": removes or [], "adds": adds or []}}


def test_text_changes_written_as_number_steps_by_the_recorder_are_restored():
    """Random texts a live page might show, one batch of changes, through the real encoder and back."""
    rng = random.Random(7)
    shapes = ["{:.2f}", "{:+.2f}%", "{:.1f}M", "{} items", "${:,.2f}", "{:d}", "{:05d}", "12:{:02d}", "{:.3e}"]
    events, values, cells, ids = [], {}, {}, itertools.count(1000)
    for _ in range(300):
        texts = []
        for node in rng.sample(range(1, 40), rng.randint(1, 6)):
            shape = shapes[node % len(shapes)]
            values[node] = values.get(node, rng.uniform(-50, 500)) + rng.uniform(-3, 3)
            number = values[node]
            texts.append({"id": node, "value": rng.choice([
                shape.format(int(number) if "d}" in shape else number), "****", "n/a", None, "", "-0.00",
            ]) if rng.random() < 0.15 else shape.format(int(number) if "d}" in shape else number)})
        if rng.random() < 0.1:
            texts.append(dict(texts[0]))  # a node changed twice before rrweb wrote the change: the same text twice
        # Cells whose textContent is set: their text node is removed and a new one added.
        removes, adds = [], []
        for parent in rng.sample(range(100, 120), rng.randint(0, 5)):
            values[parent] = values.get(parent, rng.uniform(0, 99)) + rng.uniform(-1, 1)
            old = cells.get(parent, [])
            removes += [{"parentId": parent, "id": node} for node in old]
            cells[parent] = [next(ids) for _ in range(rng.choice([1, 1, 1, 2]))]  # at times two nodes
            adds += [{"parentId": parent, "nextId": None, "node": {"type": 3, "textContent": f"{values[parent]:.2f} EUR",
                                                                   "id": node}} for node in cells[parent]]
            adds.append({"parentId": parent, "nextId": None, "node": {"type": 2, "tagName": "i", "attributes": {},
                                                                      "childNodes": [], "id": next(ids)}})
        events.append(_texts_event(texts, removes, adds))
    encoded = recorder_encode(events)
    inline = sum("n" in change for event in encoded for change in event["data"]["texts"])
    columns = sum(len(event["data"].get("textSteps", [[]])[0]) for event in encoded)
    assert inline > 20 and columns > 300, "the encoder wrote few number steps: the test no longer exercises them"
    added = sum("n" in add["node"] for event in encoded for add in event["data"]["adds"])
    assert added > 100, "the encoder wrote few steps for replaced text nodes"
    batch = batch_validate({**GOOD, "events": copy.deepcopy(encoded)}, max_events=1000)
    restored = events_restore(batch.events)
    # Steps from columns join a change's texts after the others: the same changes, each node once.
    for event in restored + events:
        event["data"]["texts"].sort(key=lambda change: change["id"])
    assert restored == events


def test_a_number_step_with_nothing_before_it_becomes_a_null_text():
    events = [_texts_event([{"id": 3, "n": 1}, {"id": 4, "value": "n/a"}, {"id": 4, "n": 2}, {"id": 5, "value": "7"},
                            {"id": 5, "n": 2, "value": "12"}]),
              _texts_event([{"id": 5, "n": 1}, {"id": 6, "value": "1"}, {"id": 6, "n": 2**53}])]
    assert [t["value"] for e in events_restore(events) for t in e["data"]["texts"]] == [None, "n/a", None, "7", "12", "13", "1", None]
    assert all("n" not in t for e in events for t in e["data"]["texts"])
    # An added text node steps from the one text node removed from its parent in the same change.
    shown = [_texts_event([{"id": 3, "value": "1.5"}, {"id": 4, "value": "2"}, {"id": 5, "value": "9"}])]
    replaced = _texts_event([], [{"parentId": 1, "id": 3}, {"parentId": 2, "id": 4}, {"parentId": 2, "id": 5},
                                 {"parentId": 6, "id": 99}],
                            [{"parentId": p, "nextId": None, "node": {"type": 3, "id": i, "n": 1}} for p, i in
                             [(1, 10), (2, 11), (6, 12), (7, 13)]])
    assert [a["node"]["textContent"] for a in events_restore(shown + [replaced])[1]["data"]["adds"]] == ["1.6", None, None, None]


def test_steps_and_columns_restore_to_a_bounded_size_whatever_a_hostile_batch_repeats():
    """A step is a whole text again, a column's entry repeats its name: a few hundred bytes made 300 MB."""
    texts = [{"id": 4, "value": "1" + "x" * 1_000_000}] + [{"id": 4, "n": 0} for _ in range(300)]
    restored = events_restore([_texts_event(texts)])[0]["data"]["texts"]
    values = [change["value"] for change in restored]
    assert values[:9] == ["1" + "x" * 1_000_000] * 9 and set(values[9:]) == {None}  # 8 MB of stepped text
    column = {**_texts_event([]), "data": {**_texts_event([])["data"], "attrColumns": [
        ["d" + "x" * 100_000, [4] + [0] * 999, [None] * 1000], ["class", [5, 1], ["a", "b"]]]}}
    changes = events_restore([column])[0]["data"]["attributes"]
    assert len(json.dumps(changes)) < wire.RESTORED_MAX_CHARS + 100_000
    assert 0 < len([change for change in changes if change["id"] == 4]) < 100
    # The recorder's own batches never come near: a column of 10,000 changes is restored whole.
    busy = {**_texts_event([]), "data": {**_texts_event([])["data"], "attrColumns": [["class", [1] * 10_000, ["on"] * 10_000]]}}
    assert len(events_restore([busy])[0]["data"]["attributes"]) == 10_000


def test_number_steps_in_columns_join_the_text_changes():
    events = [_texts_event([{"id": 3, "value": "1.50"}, {"id": 5, "value": "+7"}, {"id": 6, "value": "x"}]),
              {**_texts_event([{"id": 6, "value": "y"}]), "data": {**_texts_event([{"id": 6, "value": "y"}])["data"],
                                                                  "textSteps": [[3, 2, 9], [25, -10, 1]]}}]
    as_text = copy.deepcopy(events)
    as_text[1]["data"]["textSteps"][1] = "V7&"  # the same steps: 25, -10, 1
    assert steps_read("V7&") == [25, -10, 1]
    for batch in (events, as_text):
        restored = events_restore(batch_validate({**GOOD, "events": batch}, max_events=10).events)
        assert restored[1]["data"]["texts"] == [{"id": 6, "value": "y"}, {"id": 3, "value": "1.75"},
                                                {"id": 5, "value": "-3"}, {"id": 14, "value": None}]
        assert "textSteps" not in restored[1]["data"]


def test_number_steps_in_columns_of_a_broken_shape_restore_nothing():
    """Ingest refuses these; the restore still never fails on them."""
    for columns in ([1, 2], [[1], 2], ["12", [3]], None, [[1], "~"], [[1], '"'], ["1", "a"]):
        event = _texts_event([{"id": 3, "value": "1"}])
        event["data"]["textSteps"] = columns
        assert events_restore([event])[0]["data"]["texts"] == [{"id": 3, "value": "1"}]


@pytest.mark.parametrize("columns", [[[1], []], [[1]], [[1], [2], [3]], [[1.5], [2]], [[1], ["2"]], [[True], [1]],
                                     [[1], [2**53 + 1]], {"ids": [1]}, "1,2", None,
                                     # steps as a string: one step per character, `~` then a step and `,`
                                     [[1], ""], [[1], "ab"], [[1, 2], "a"], [[1], "~"], [[1], "~5"], [[1], "~-,"],
                                     [[1], '"'], [[1], "\\"], [[1], "\u00e9"], [[1], "\n"], [[1], "~\u0663,"],
                                     [[1], "~12345678901234567,"], [[1], f"~{2**52 + 1},"], ["ab", "ab"]])
def test_number_steps_in_columns_that_do_not_pair_up_are_a_400(columns):
    event = _texts_event([{"id": 3, "value": "1"}])
    event["data"]["textSteps"] = columns
    with pytest.raises(BatchError) as error:
        batch_validate({**GOOD, "events": [event]}, max_events=10)
    assert error.value.status == 400 and "textSteps" in error.value.detail


def _attributes_event(attributes: list[dict]) -> dict:
    return {"type": 3, "timestamp": 1000,
            "data": {"source": 0, "texts": [], "attributes": attributes, "removes": [], "adds": []}}


def test_attribute_changes_written_in_columns_by_the_recorder_are_restored():
    """Random attribute changes of a live page, through the real encoder and back: the same list, in order."""
    rng = random.Random(11)
    names = ["class", "style", "aria-valuenow", "data-state", "hidden", "title"]
    values = ["up", "down", "width: 41%;", "color: rgb(0, 128, 0);", "", "on", None, "\u00e9 \U0001f600"]
    events = []
    for _ in range(200):
        nodes = sorted(rng.sample(range(1, 300), rng.randint(1, 12)))
        if rng.random() < 0.2:
            rng.shuffle(nodes)  # not in id order: written as rrweb wrote them
        items = [{"id": node, "attributes": {rng.choice(names): rng.choice(values)}} for node in nodes]
        if rng.random() < 0.1:
            items[0]["attributes"]["title"] = "two at once"
        events.append(_attributes_event(items))
    encoded = recorder_encode(events)
    in_columns = sum(len(column[1]) for event in encoded for column in event["data"].get("attrColumns", []))
    inline = sum(len(event["data"]["attributes"]) for event in encoded)
    assert in_columns > 700 and inline > 100, "the encoder's two forms are no longer both exercised"
    batch = batch_validate({**GOOD, "events": copy.deepcopy(encoded)}, max_events=1000)
    assert events_restore(batch.events) == events


def test_attribute_columns_join_the_attribute_changes_in_id_order():
    event = _attributes_event([{"id": 2, "attributes": {"class": "a", "title": "b"}}])
    event["data"]["attrColumns"] = [["class", [9, -4], ["x", None]], ["style", [7], ["color: red"]]]
    restored = events_restore(batch_validate({**GOOD, "events": [event]}, max_events=10).events)[0]["data"]
    assert restored["attributes"] == [{"id": 2, "attributes": {"class": "a", "title": "b"}},
                                      {"id": 5, "attributes": {"class": None}},
                                      {"id": 7, "attributes": {"style": "color: red"}},
                                      {"id": 9, "attributes": {"class": "x"}}]
    assert "attrColumns" not in restored


@pytest.mark.parametrize("columns", [None, "class", {"class": [[1], ["a"]]}, [None], [["class", [1]]],
                                     [["class", [1], ["a"], []]], [[None, [1], ["a"]]], [[1, [1], ["a"]]],
                                     [["class", [1, 2], ["a"]]], [["class", [1], []]], [["class", 1, ["a"]]],
                                     [["class", [1], "a"]], [["class", [1.5], ["a"]]], [["class", [True], ["a"]]],
                                     [["class", ["1"], ["a"]]], [["class", [2**53 + 1], ["a"]]], [["class", [1], [1]]],
                                     [["style", [1], [{"color": "red"}]]], [["class", [1], [["a"]]]]])
def test_attribute_columns_of_a_broken_shape_are_a_400_and_restore_nothing(columns):
    event = _attributes_event([{"id": 3, "attributes": {"class": "a"}}])
    event["data"]["attrColumns"] = columns
    with pytest.raises(BatchError) as error:
        batch_validate({**GOOD, "events": [copy.deepcopy(event)]}, max_events=10)
    assert error.value.status == 400 and "attrColumns" in error.value.detail
    restored = events_restore([event])[0]["data"]  # the restore never fails on them either
    assert restored["attributes"][0] == {"id": 3, "attributes": {"class": "a"}} and "attrColumns" not in restored


@pytest.mark.parametrize("step", [1.5, "1", True, None, 2**53 + 1])
def test_a_number_step_that_is_not_an_integer_is_a_400(step):
    added = {"parentId": 1, "nextId": None, "node": {"type": 3, "id": 4, "n": step}}
    for event, where in [(_texts_event([{"id": 3, "value": "1"}, {"id": 3, "n": step}]), "texts[1].n"),
                         (_texts_event([], [], [added]), "adds[0].node.n")]:
        with pytest.raises(BatchError) as error:
            batch_validate({**GOOD, "events": [event]}, max_events=10)
        assert error.value.status == 400 and where in error.value.detail
