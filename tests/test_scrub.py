"""The server scrubber: no planted secret survives, whatever a client sends."""
import itertools
import json
import re
from urllib.parse import unquote_plus

import pytest
from hypothesis import assume, example, given, settings as hsettings, strategies as st

from pathlib import Path

from privacy.scrub import (
    ScrubState, StringScrub, _card_digits, cards_scrub, events_scrub, is_sensitive_input, long_number, luhn_valid,
    page_url, params_masked, secret_name, text_scrub, url_names_parse,
)
from recorder.processing import events_restore

CARDS = ["4111111111111111", "5500005555555559", "340000000000009", "6011000990139424", "4242424242424242"]


def luhn_complete(prefix: str) -> str:
    for digit in "0123456789":
        if luhn_valid(prefix + digit):
            return prefix + digit
    raise AssertionError


card_numbers = st.builds(
    lambda length, body: luhn_complete(body[: length - 1]),
    st.integers(min_value=13, max_value=19),
    st.text(alphabet="0123456789", min_size=18, max_size=18),
)
# No-break, narrow no-break, thin and figure spaces, and dots, as pages write them.
separators = st.sampled_from(["", " ", "-", ".", "\u00a0", "\u202f", "\u2009", "\u2007"])
surrounding = st.text(max_size=40)


def formatted(number: str, sep: str) -> str:
    return sep.join(number[i:i + 4] for i in range(0, len(number), 4))


@pytest.mark.parametrize("number", CARDS)
def test_known_card_numbers_are_luhn_valid(number):
    assert luhn_valid(number)


@hsettings(max_examples=300, deadline=None)
@given(number=card_numbers, sep=separators, before=surrounding, after=surrounding)
def test_no_planted_card_number_survives_in_text(number, sep, before, after):
    # Digits glued to the number make one longer number of it (a 64-bit id, an order number), and with a
    # dot after them a decimal (`1796233748.120`): the shapes the rule leaves alone, as the README says.
    assume(not before[-1:].isdigit() and not after[:1].isdigit())
    text = before + formatted(number, sep) + after
    scrubbed = text_scrub(text, emails=False)
    assert number not in digits_only(scrubbed)
    assert len(scrubbed) == len(text)


def digits_only(text: str) -> str:
    return re.sub(r"[^0-9*]", "", text)


# Separators as an address writes them: `+` in a query string, percent-encoded spaces, dashes and dots.
encoded_separators = st.sampled_from(["%20", "+", "%2D", "%2d", "%2E", "%C2%A0", "%E2%80%89", "%20%20", "-%20", "%2D+", " %20"])
address_text = st.text(alphabet=st.characters(blacklist_characters="%+", blacklist_categories=("Cs",)), max_size=40)


@hsettings(max_examples=300, deadline=None)
@given(number=card_numbers, sep=encoded_separators, before=address_text, after=address_text)
def test_no_card_number_survives_with_its_groups_separated_as_an_address_writes_them(number, sep, before, after):
    """`/pay?card=4111%201111%201111%201111` (a search form's GET, a link built with encodeURIComponent):
    the digits of `%20` stood between the groups, so no run of the rule was a card number."""
    assume(not before[-1:].isdigit() and not after[:1].isdigit())
    text = before + formatted(number, sep) + after
    scrubbed = text_scrub(text, emails=False)
    assert number not in digits_only(unquote_plus(scrubbed))
    assert len(scrubbed) == len(text)
    assert all(a == b or (a in "0123456789" and b == "*") for a, b in zip(text, scrubbed))  # the encoding stays


@pytest.mark.parametrize("text", [
    "/cart?price=129.99+4.99+12.50&qty=1",
    "/search?q=1234+5678+9012+3456",  # Luhn-invalid
    "/orders/2026%2012%2006/1796233740429%2F4111",
    "/a?ids=4111%2C1111%2C1111%2C1111",  # commas do not join groups, encoded or not
    "/a?b=%204111111111111111111111%20",  # 22 digits: no card number
    "/x?page=1+2+3+4+5+6+7+8+9+10+11+12+13+14",
])
def test_numbers_in_addresses_that_are_no_card_numbers_are_kept(text):
    assert StringScrub(False).mend(text) == text


@pytest.mark.parametrize("slot", ["page", "title", "request", "console", "text", "link"])
def test_a_card_number_written_with_percent_encoded_spaces_is_masked_wherever_a_card_number_is(slot):
    written = "4111%201111%201111%201111"
    url = f"https://shop.test/pay?card={written}&step=2"
    event = {
        "page": {"type": 5, "data": {"tag": "hs.page", "payload": {"url": url, "title": "Pay", "referrer": url}}},
        "title": {"type": 5, "data": {"tag": "hs.page", "payload": {"url": "/", "title": f"Paying {written}"}}},
        "request": {"type": 5, "data": {"tag": "hs.net", "payload": {"kind": "fetch", "url": f"https://shop.test/api/cards/{written}/charge"}}},
        "console": {"type": 5, "data": {"tag": "hs.error", "payload": {"message": f"GET {url} 404", "stack": f"at {url}:1:2"}}},
        "text": snapshot(text_node(2, f"Sent to {url}")),
        "link": snapshot(element(2, "a", href=url, title=written)),
    }[slot]
    event["timestamp"] = 1
    for scrubbed in (events_scrub([json.loads(json.dumps(event))], ScrubState()),
                     events_scrub(events_restore([json.loads(json.dumps(event))], StringScrub(False)), ScrubState(), strings=False)):
        out = json.dumps(scrubbed)
        assert "4111" not in out and "1111" not in out
        assert "****%20****%20****%20****" in out


json_leaves = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@hsettings(max_examples=200, deadline=None)
@given(data=st.data(), number=card_numbers, sep=separators, tree=json_leaves)
def test_no_planted_card_number_survives_anywhere_in_an_event(data, number, sep, tree):
    # The junk beside it may hold the same digits inside a longer number, which the rule leaves alone.
    assume(number not in digits_only(json.dumps(tree)))
    planted = f"card {formatted(number, sep)} end"
    slot = data.draw(st.sampled_from(["text", "attribute", "input", "custom", "path", "nested"]))
    event = {
        "text": {"type": 3, "data": {"source": 0, "texts": [{"id": 4, "value": planted}], "adds": [], "removes": [], "attributes": []}, "timestamp": 1},
        "attribute": {"type": 3, "data": {"source": 0, "attributes": [{"id": 4, "attributes": {"title": planted}}], "adds": [], "removes": [], "texts": []}, "timestamp": 1},
        "input": {"type": 3, "data": {"source": 5, "id": 9, "text": planted, "isChecked": False}, "timestamp": 1},
        "custom": {"type": 5, "data": {"tag": "hs.net", "payload": {"url": f"/pay?n={planted}"}}, "timestamp": 1},
        "path": {"type": 5, "data": {"tag": "hs.net", "payload": {"url": f"https://a.test/cards/{planted}/charge?x=*"}}, "timestamp": 1},
        "nested": {"type": 2, "data": {"node": {"type": 0, "childNodes": [{"type": 3, "textContent": planted}]}, "junk": tree}, "timestamp": 1},
    }[slot]
    out = json.dumps(events_scrub([event], ScrubState()), ensure_ascii=False)
    assert number not in digits_only(out)


def snapshot(*children) -> dict:
    return {"type": 2, "data": {"node": {"type": 0, "id": 1, "childNodes": list(children)}, "initialOffset": {"top": 0, "left": 0}}, "timestamp": 1}


def element(node_id: int, tag: str, **attributes) -> dict:
    return {"type": 2, "id": node_id, "tagName": tag, "attributes": attributes, "childNodes": []}


@pytest.mark.parametrize("attributes", [
    {"type": "password"}, {"type": "text", "autocomplete": "one-time-code"}, {"autocomplete": "cc-number"},
    {"autocomplete": "cc-csc"}, {"autocomplete": "cc-exp"}, {"name": "cardNumber"}, {"id": "cvv"}, {"name": "security_code"},
])
def test_values_of_password_and_card_fields_are_masked_in_snapshots_and_later_input(attributes):
    state = ScrubState()
    events = events_scrub([
        snapshot(element(7, "input", value="s3cret-VALUE", **attributes)),
        {"type": 3, "data": {"source": 5, "id": 7, "text": "typed-s3cret", "isChecked": False}, "timestamp": 2},
    ], state)
    out = json.dumps(events)
    assert "s3cret" not in out
    assert 7 in state.sensitive_ids


def option(node_id: int, value: str, **attributes) -> dict:
    return {**element(node_id, "option", value=value, **attributes), "childNodes": [text_node(node_id + 100, value)]}


def test_which_options_of_a_card_field_select_are_chosen_is_never_stored():
    """The recorder writes an option chosen (`selected`) where its select's value is not masked; a card
    field's choice never is, whatever a client sends, in a snapshot or added later, in an optgroup too."""
    month = {**element(7, "select", name="expiry_month"), "childNodes": [
        option(8, "01"), {**element(9, "optgroup", label="late"), "childNodes": [option(10, "11", selected="")]}]}
    plan = {**element(11, "select", name="plan"), "childNodes": [option(12, "basic"), option(13, "pro", selected="")]}
    year = element(20, "select", autocomplete="cc-exp-year")
    later = {"type": 3, "timestamp": 2, "data": {"source": 0, "texts": [], "removes": [], "attributes": [], "adds": [
        {"parentId": 21, "nextId": None, "node": option(22, "2031", selected="")},  # (listed before its parent)
        {"parentId": 20, "nextId": None, "node": element(21, "optgroup")},
        {"parentId": 1, "nextId": None, "node": year},
        {"parentId": 11, "nextId": None, "node": option(23, "team", selected="")},
    ]}}
    state = ScrubState()
    events = events_scrub([snapshot(month, plan), later], state)
    chosen = [node["attributes"]["value"] for node in walk_nodes(events) if "selected" in node.get("attributes", {})]
    assert chosen == ["pro", "team"]
    assert state.sensitive_ids == {7, 8, 9, 10, 20, 21, 22}  # the card fields, their optgroups and options


def test_an_option_of_a_card_field_select_chosen_by_its_attribute_later_is_never_stored():
    """A script may choose an option by setting its `selected` attribute, a change of its own in a later
    batch: for a card field's select that names its value, and goes. Another select's stays."""
    month = {**element(7, "select", name="cc-exp-month"), "childNodes": [
        option(8, "01"), {**element(9, "optgroup", label="late"), "childNodes": [option(10, "11")]}]}
    plan = {**element(11, "select", name="plan"), "childNodes": [option(12, "basic"), option(13, "pro")]}
    year = element(20, "select", autocomplete="cc-exp-year")
    state = ScrubState()
    events_scrub([snapshot(month, plan), {"type": 3, "timestamp": 2, "data": {"source": 0, "texts": [], "removes": [],
                  "attributes": [], "adds": [{"parentId": 1, "nextId": None, "node": year},
                                             {"parentId": 20, "nextId": None, "node": option(21, "2031")}]}}], state)
    later = ScrubState(sensitive_ids=set(state.sensitive_ids))  # (the next batch: the ids the session kept)
    changes = [{"id": 8, "attributes": {"selected": None}}, {"id": 10, "attributes": {"selected": ""}},
               {"id": 21, "attributes": {"selected": "selected", "class": "on"}}, {"id": 13, "attributes": {"selected": ""}}]
    events_scrub([{"type": 3, "timestamp": 3, "data": {"source": 0, "texts": [], "removes": [], "adds": [],
                                                      "attributes": changes}}], later)
    assert [c["attributes"] for c in changes] == [{}, {}, {"class": "on"}, {"selected": ""}]


def walk_nodes(events: list[dict]):
    for event in events:
        data = event["data"]
        stack = [data["node"]] if "node" in data else [add["node"] for add in reversed(data.get("adds", []))]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.get("childNodes", [])))


def test_a_field_that_becomes_a_password_field_is_masked_from_then_on():
    state = ScrubState()
    events = events_scrub([
        snapshot(element(7, "input", type="text", value="")),
        {"type": 3, "data": {"source": 0, "adds": [], "removes": [], "texts": [], "attributes": [{"id": 7, "attributes": {"type": "password"}}]}, "timestamp": 2},
        {"type": 3, "data": {"source": 5, "id": 7, "text": "hunter2hunter2", "isChecked": False}, "timestamp": 3},
    ], state)
    assert "hunter2" not in json.dumps(events)


def test_a_card_number_next_to_other_digits_is_still_masked():
    assert "4111" not in text_scrub("qty 2 4111 1111 1111 1111 total 30", emails=False)
    assert "4111111111111111" not in text_scrub("ref 0099 4111111111111111", emails=False)


def test_plain_inputs_and_ordinary_numbers_are_kept():
    events = [snapshot(element(7, "input", type="text", value="hello 12345 world"))]
    assert json.dumps(events_scrub(events, ScrubState())) == json.dumps(events)


def test_emails_are_masked_only_when_the_site_asks():
    text = "write to jane.doe@example.com today"
    assert text_scrub(text, emails=False) == text
    assert "jane.doe@example.com" not in text_scrub(text, emails=True)
    assert len(text_scrub(text, emails=True)) == len(text)


@pytest.mark.parametrize("tag, attributes, sensitive", [
    ("input", {"type": "password"}, True),
    ("input", {"type": "email"}, False),
    ("div", {"type": "password"}, False),
    ("input", {"autocomplete": "cc-exp-month"}, True),
])
def test_is_sensitive_input(tag, attributes, sensitive):
    assert is_sensitive_input(tag, attributes) is sensitive


def test_file_input_names_are_never_kept():
    events = events_scrub([
        snapshot(element(8, "input", type="file", value="C:\\fakepath\\jane-medical.pdf")),
        {"type": 3, "data": {"source": 5, "id": 99, "text": "C:\\fakepath\\jane-medical.pdf", "isChecked": False}, "timestamp": 2},
    ], ScrubState())
    assert "jane-medical" not in json.dumps(events)


def naive_card_digits(digits: str, starts: list[int]) -> list[bool]:
    masked = [False] * len(digits)
    for start in starts:
        for end in [*starts[1:], len(digits)]:
            if 13 <= end - start <= 19 and luhn_valid(digits[start:end]):
                masked[start:end] = [True] * (end - start)
    return masked


@hsettings(max_examples=300, deadline=None)
@given(groups=st.lists(st.text(alphabet="0123456789", min_size=1, max_size=9), max_size=12))
def test_windows_found_with_prefix_sums_are_the_windows_of_whole_groups_that_pass_luhn(groups):
    digits = "".join(groups)
    starts = [0, *itertools.accumulate(len(group) for group in groups[:-1])] if groups else []
    assert _card_digits(digits, starts) == naive_card_digits(digits, starts)


@pytest.mark.parametrize("text", [
    "[ 0 .. 9223372036854776000 ]",  # a 64-bit integer's range in API docs: 19 digits, some 13-19 of which pass Luhn
    "order 2026120412345678901",
    "id 12345678901234567890123456789",
])
def test_long_numbers_are_not_card_numbers(text):
    assert text_scrub(text, emails=False) == text


@pytest.mark.parametrize("text", [
    "Page 1 2 3 4 5 6 7 8 9 10 11 12 13 14",  # a pager is not a card number
    "12 34 56 78 90 12 34 56 78",
    "1.2.3.4.5.6.7.8.9.10.11.12",
    "started 1796233748.120",  # a timestamp in seconds: its 13 digits pass Luhn, but it is a decimal
])
def test_numbers_in_short_groups_are_kept(text):
    assert text_scrub(text, emails=False) == text


def test_a_megabyte_of_digits_is_scrubbed_quickly():
    import time
    started = time.perf_counter()
    text_scrub("7" * 1_000_000, emails=False)
    assert time.perf_counter() - started < 20


def text_node(node_id: int, text: str) -> dict:
    return {"type": 3, "id": node_id, "textContent": text}


def span(node_id: int, *children) -> dict:
    return {**element(node_id, "span"), "childNodes": list(children)}


@pytest.mark.parametrize("first, second", [
    ("Card: 4012 8888", " 8888 1881"),
    ("4012 8888 ", "8888 1881 ok"),
    ("4000.0566.", "5566.5556"),
    ("3530\u00a01113\u00a0", "3330\u00a00000"),
])
def test_a_card_number_split_across_text_nodes_of_a_snapshot_is_masked(first, second):
    events = events_scrub([snapshot(span(2, text_node(3, first)), text_node(4, "\n  "), span(5, text_node(6, second)))],
                          ScrubState())
    out = json.dumps(events, ensure_ascii=False)
    digits = re.sub(r"[^0-9]", "", first + second)
    assert digits not in digits_only(out)
    for half in (first, second):
        assert half not in out
    node = events[0]["data"]["node"]
    assert len(node["childNodes"][0]["childNodes"][0]["textContent"]) == len(first)


def test_a_card_number_split_across_added_nodes_is_masked_whatever_their_order_in_the_mutation():
    adds = [
        {"parentId": 1, "nextId": None, "node": element(12, "span")},
        {"parentId": 12, "nextId": None, "node": text_node(13, " 8888 1881")},
        {"parentId": 1, "nextId": 12, "node": element(11, "span")},
        {"parentId": 11, "nextId": None, "node": text_node(14, "4012 8888")},
    ]
    event = {"type": 3, "data": {"source": 0, "adds": adds, "texts": [], "attributes": [], "removes": []}, "timestamp": 1}
    out = json.dumps(events_scrub([event], ScrubState()))
    assert "4012 8888" not in out and "8888 1881" not in out


def test_a_card_number_split_across_added_nodes_in_rrwebs_order_is_masked():
    # rrweb 2.1.6 lists the text of `<p>a<span>b</span>...` added at once as k f a b e c d j g h l m n
    adds = [
        {"parentId": 1, "nextId": None, "node": element(10, "p")},
        {"parentId": 10, "nextId": None, "node": text_node(14, "ok")},
        {"parentId": 10, "nextId": 13, "node": text_node(11, "Card ")},
        {"parentId": 10, "nextId": 14, "node": element(13, "span")},
        {"parentId": 10, "nextId": 13, "node": element(12, "span")},
        {"parentId": 13, "nextId": None, "node": text_node(16, " 8888 1881 ")},
        {"parentId": 12, "nextId": None, "node": text_node(15, "4012 8888")},
    ]
    adds[2]["nextId"] = 12
    event = {"type": 3, "data": {"source": 0, "adds": adds, "texts": [], "attributes": [], "removes": []}, "timestamp": 1}
    out = json.dumps(events_scrub([event], ScrubState()))
    assert "4012 8888" not in out and "8888 1881" not in out


def test_a_card_number_split_across_changed_texts_is_masked():
    texts = [{"id": 3, "value": "5105 1051"}, {"id": 6, "value": " 0510 5100"}]
    event = {"type": 3, "data": {"source": 0, "adds": [], "texts": texts, "attributes": [], "removes": []}, "timestamp": 1}
    out = json.dumps(events_scrub([event], ScrubState()))
    assert "5105 1051" not in out and "0510 5100" not in out


def test_text_nodes_without_a_card_number_are_kept_as_they_are():
    events = [snapshot(span(2, text_node(3, "Order 1234")), span(5, text_node(6, " of 5678 items")))]
    assert json.dumps(events_scrub(json.loads(json.dumps(events)), ScrubState())) == json.dumps(events)
    assert cards_scrub(["a", "b"]) == ["a", "b"]


@pytest.mark.parametrize("cells", [
    ["1800", "1850", "1900", "1950", "2000", "2050", "2100"],  # a chart's axis, one label per node
    ["\n  1800\n", "\n  1850\n", "\n  1900\n", "\n  1950\n", "\n  2000\n"],  # pretty-printed table cells
    ["19.94", "19.98", "19.96", "20.01", "19.97", "20.03"],  # prices on a trading board
    ["143.23", "143.19", "143.23"],  # read as one text, 15 digits that pass the Luhn check
])
def test_numbers_in_neighbouring_nodes_are_not_read_as_a_card_number(cells):
    children = [span(10 + 2 * index, text_node(11 + 2 * index, cell)) for index, cell in enumerate(cells)]
    events = [snapshot(*children)]
    assert json.dumps(events_scrub(json.loads(json.dumps(events)), ScrubState())) == json.dumps(events)
    texts = [{"id": 11 + 2 * index, "value": cell} for index, cell in enumerate(cells)]
    event = {"type": 3, "data": {"source": 0, "adds": [], "texts": texts, "attributes": [], "removes": []}, "timestamp": 1}
    assert events_scrub([json.loads(json.dumps(event))], ScrubState())[0] == event


def test_added_prices_need_no_ordering_but_a_card_number_cut_across_added_nodes_does():
    """A live board's cells (prices, changes, volumes, a count, a clock) cannot make a card number in
    any order: their texts are not put in document order. A number cut across nodes can."""
    from privacy.scrub import _split_card_possible

    assert not _split_card_possible(["142.87", "-0.32", "65,322", "+0.54", "248", "16:32:18", "1234.56"])
    for texts in (["Card 4012 888 ", "888 881 881 ok"], ["401 ", "288 ", "888 ", "888 ", "1881"],
                  ["Card 4222 2222 ", "2222 2 ok"], ["4012.8888.", "8888.1881"]):
        assert _split_card_possible(texts), texts
        assert cards_scrub(texts) != texts


def test_a_card_number_in_one_node_next_to_numbers_in_others_is_still_masked():
    parts = cards_scrub(["2", " 4111 1111 1111 1111", " 12"])
    assert parts == ["2", " **** **** **** ****", " 12"]
    assert cards_scrub(["Card ", "4012", " ", "8888", " ", "8888", " ", "1881"]) == [
        "Card ", "****", " ", "****", " ", "****", " ", "****"]


def test_hostile_adds_with_cycles_and_duplicate_ids_are_scrubbed_and_end():
    adds = [
        {"parentId": 5, "nextId": 5, "node": text_node(5, "4012 8888")},
        {"parentId": 5, "nextId": 5, "node": text_node(5, " 8888 1881")},
        {"parentId": 7, "nextId": 6, "node": element(6, "b")},
        {"parentId": 6, "nextId": 7, "node": element(7, "i")},
        "junk", {"node": None}, {"parentId": [], "node": {"id": {}}},
    ]
    event = {"type": 3, "data": {"source": 0, "adds": adds, "texts": [None, {"value": 3}], "attributes": [], "removes": []}, "timestamp": 1}
    events_scrub([event], ScrubState())


# Strings of every kind the scrubber acts on: card numbers (whole or split across nodes), e-mail
# addresses, lone surrogates, number texts a step applies to, and plain ones.
scrubbed_text = st.one_of(
    st.builds(formatted, card_numbers, separators), st.sampled_from(["4012 8888", " 8888 1881", "a@b.example.com",
                                                                     "\ud83d", "x\ude00", "1,234.50", "Total 99"]),
    st.text(alphabet="0123456789 .-a@\u00a0", max_size=24),
)
small_id = st.integers(min_value=-3, max_value=12)


def walked_events():
    text_node_ = st.builds(lambda i, text: {"type": 3, "id": i, "textContent": text}, small_id, scrubbed_text)
    stepped_node = st.builds(lambda i, step: {"type": 3, "id": i, "n": step}, small_id, st.integers(-9, 9))
    field = st.builds(lambda i, text: {"type": 2, "id": i, "tagName": "input",
                                       "attributes": {"type": "password", "value": text}, "childNodes": []},
                      small_id, scrubbed_text)
    nodes = st.one_of(text_node_, stepped_node, field)
    snapshot_ = st.builds(lambda kids: {"type": 2, "data": {"node": {"type": 0, "id": 1, "childNodes": kids}}},
                          st.lists(nodes, max_size=5))
    attribute_name = st.sampled_from(["value", "type", "title", "class"])
    attribute_value = st.one_of(st.none(), st.just("password"), scrubbed_text)
    # Attribute changes in the recorder's columns by name (docs/protocol.md), as well as inline.
    column = st.builds(lambda name, pairs: [name, [i for i, _ in pairs], [value for _, value in pairs]],
                       attribute_name, st.lists(st.tuples(small_id, attribute_value), max_size=3))
    mutation = st.builds(
        lambda texts, adds, removes, attributes, columns: {
            "type": 3, "data": {"source": 0, "texts": texts, "adds": adds, "removes": removes, "attributes": attributes,
                                **({"attrColumns": columns} if columns else {})}},
        st.lists(st.one_of(st.builds(lambda i, t: {"id": i, "value": t}, small_id, scrubbed_text),
                           st.builds(lambda i, n: {"id": i, "n": n}, small_id, st.integers(-9, 9))), max_size=4),
        st.lists(st.builds(lambda p, node: {"parentId": p, "nextId": None, "node": node}, small_id, nodes), max_size=4),
        st.lists(st.builds(lambda p, i: {"parentId": p, "id": i}, small_id, small_id), max_size=2),
        st.lists(st.builds(lambda i, attributes: {"id": i, "attributes": attributes}, small_id,
                           st.dictionaries(attribute_name, attribute_value, max_size=2)), max_size=2),
        st.lists(column, max_size=2),
    )
    custom = st.builds(lambda payload: {"type": 5, "data": {"tag": "hs.error", "payload": payload}},
                       st.dictionaries(scrubbed_text, st.one_of(scrubbed_text, st.lists(scrubbed_text, max_size=2)),
                                       max_size=3))
    event = st.builds(lambda e, delta, at: {**e, "timestamp": at, **({"ids": "delta"} if delta else {})},
                      st.one_of(snapshot_, mutation, custom), st.booleans(), st.integers(0, 10**13))
    return st.lists(event, min_size=1, max_size=5)


@hsettings(max_examples=300, deadline=None)
@given(events=walked_events(), emails=st.booleans())
def test_scrubbing_in_the_restoring_walk_stores_what_restoring_then_scrubbing_stores(events, emails):
    """The worker scrubs each string in the walk that restores ids (services._prepare): the same
    stored bytes, and the same inputs learnt, as restoring every event first and scrubbing after."""
    from recorder import jsontext
    from recorder.processing import events_restore
    from privacy.scrub import StringScrub

    apart, together = ScrubState(emails=emails), ScrubState(emails=emails)
    expected = jsontext.dumps(events_scrub(events_restore(json.loads(json.dumps(events))), apart))
    walked = events_scrub(events_restore(json.loads(json.dumps(events)), StringScrub(emails)), together, strings=False)
    assert jsontext.dumps(walked) == expected
    assert together.sensitive_ids == apart.sensitive_ids


@pytest.mark.parametrize("text, masked", [
    ("4111 111", True), ("my card 5500 0055 5555 555", True), ("4111111", True), ("phone 030 1234567", True),
    ("4111 11", False), ("order 123456", False), ("2026-12-03", False), ("total 1,234,567.89", False),
    ("1 2 3 4 5 6 7 8", False),
    # digits of other scripts: a Persian keyboard's, a Japanese input method's (full width)
    ("تلفن ۰۹۱۲۳۴۵۶۷۸۹", True), ("０９０１２３４５６７８", True), ("کد ۱۲۳۴", False),
])
def test_a_typed_value_with_more_than_six_digits_in_a_run_is_masked_whole(text, masked):
    """Typed values are recorded keystroke by keystroke: a card number typed into a search box would
    otherwise be stored fifteen digits at a time before the sixteenth made it pass the Luhn check."""
    typed = {"type": 3, "data": {"source": 5, "id": 9, "text": text, "isChecked": False}, "timestamp": 1}
    field = element(9, "input", type="search", value=text)
    changed = {"type": 3, "data": {"source": 0, "adds": [], "texts": [], "removes": [],
                                   "attributes": [{"id": 9, "attributes": {"value": text}}]}, "timestamp": 2}
    events = events_scrub(json.loads(json.dumps([typed, snapshot(field), changed])), ScrubState())
    values = [events[0]["data"]["text"], events[1]["data"]["node"]["childNodes"][0]["attributes"]["value"],
              events[2]["data"]["attributes"][0]["attributes"]["value"]]
    if masked:  # masked whole (or its digits already, as part of a Luhn-valid run): no digit of the run is left
        assert all(value in ("*" * len(text), text_scrub(text, emails=False)) and not long_number(value) for value in values)
        assert text not in values
    else:
        assert values == [text] * 3


def _cut(text: str, cuts: list[int]) -> list[str]:
    points = sorted({0, len(text), *(cut % (len(text) + 1) for cut in cuts)})
    return [text[a:b] for a, b in zip(points, points[1:])]


def added_nodes():
    """A mutation's adds as rrweb lists them, shuffled: text nodes in a row (chained by nextId) that
    show a card number cut into pieces among other texts, and elements (inputs too)."""
    noise = st.one_of(st.text(alphabet="0123456789 .-$a\u00a0", max_size=10),
                      st.sampled_from(["--", "-0.61", "$129.00", " ", "1111 ", "Card "]))
    card = st.builds(lambda number, sep, cuts: _cut(formatted(number, sep), cuts),
                     card_numbers, st.sampled_from([" ", "-", "\u00a0"]), st.lists(st.integers(0, 30), max_size=3))
    texts = st.builds(lambda before, pieces, after: before + pieces + after,
                      st.lists(noise, max_size=3), st.one_of(card, st.lists(noise, max_size=2)), st.lists(noise, max_size=3))
    element_ = st.builds(lambda i, tag, kind, value: {"type": 2, "id": i, "tagName": tag, "childNodes": [],
                                                      "attributes": {"type": kind, "value": value} if tag == "input" else {}},
                         st.integers(100, 110), st.sampled_from(["span", "td", "input"]), st.sampled_from(["text", "password"]),
                         noise)

    def adds(texts, elements):
        row = [{"parentId": 1, "nextId": 3 + index if index + 1 < len(texts) else None,
                "node": {"type": 3, "id": 2 + index, "textContent": text}} for index, text in enumerate(texts)]
        return row + [{"parentId": 1, "nextId": None, "node": element} for element in elements]

    return st.builds(adds, texts, st.lists(element_, max_size=3)).flatmap(st.permutations)


@hsettings(max_examples=400, deadline=None)
@given(adds=added_nodes())
@example(adds=[  # an empty text joins "…0000 1" and "25" into one group: a 14-digit number read across it
    {"parentId": 1, "nextId": 2 + index + 1 if index < 3 else None, "node": {"type": 3, "id": 2 + index, "textContent": text}}
    for index, text in enumerate(["0710 3", "000 0000 0000 1", "", "25"])])
def test_the_quick_checks_of_added_nodes_skip_only_work_that_would_change_nothing(adds):
    """The scrubber orders a mutation's added texts and reads across them only when a card number could
    lie between them (`_split_card_possible`), and a node added alone gets no tree walk: the same
    result as walking every node and ordering every time. (It fails when the check is too strict.)"""
    from privacy.scrub import _adds_in_order, _is_text, _node_scrub, _texts_scrub

    event = {"type": 3, "data": {"source": 0, "adds": adds, "texts": [], "attributes": [], "removes": []}, "timestamp": 1}
    quick_state, slow_state = ScrubState(), ScrubState()
    quick = events_scrub([json.loads(json.dumps(event))], quick_state, strings=False)[0]
    slow = json.loads(json.dumps(event))
    for added in slow["data"]["adds"]:
        _node_scrub(added["node"], slow_state)
    _texts_scrub([node for node in _adds_in_order(slow["data"]["adds"]) if _is_text(node)], "textContent")
    assert quick == slow
    assert quick_state.sensitive_ids == slow_state.sensitive_ids


@hsettings(max_examples=1000, deadline=None)
@given(text=st.text(alphabet="0123456789 .-\u200b\u00a0\u2009a,", max_size=80))
def test_the_runs_read_as_possible_card_numbers_are_exactly_those_starting_with_13_run_characters(text):
    """Masking reads only LONG_DIGIT_RUN's runs: the same runs DIGIT_RUN finds, less those too short to
    hold 13 digits. (It fails if the look-ahead shifts or splits a run.)"""
    from privacy.scrub import CARD_CANDIDATE, DIGIT_RUN, LONG_DIGIT_RUN

    every = [match.span() for match in DIGIT_RUN.finditer(text)]
    assert [match.span() for match in LONG_DIGIT_RUN.finditer(text)] == [
        span for span in every if CARD_CANDIDATE.match(text, span[0])]


URLS = json.loads((Path(__file__).parent.parent / "static" / "recorder-js" / "test" / "urls.json").read_text())


@pytest.mark.parametrize(("name", "secret"), URLS["names"])
def test_url_parameters_that_carry_credentials_are_told_as_the_recorder_tells_them(name, secret):
    assert secret_name(name) is secret


@pytest.mark.parametrize(("url", "names", "stored"), URLS["page"])
def test_a_page_address_is_stored_as_the_recorder_sends_it(url, names, stored):
    names = url_names_parse("\n".join(names))
    assert page_url(url, True if "*" in names else names) == stored
    assert page_url(stored, True if "*" in names else names) == stored  # what the recorder sent stays as it is


def test_secrets_in_urls_are_masked_in_every_string_and_the_page_address_as_the_site_says():
    """What a client that bypasses the recorder sends: credentials in the page's address, its referrer, links,
    images, text, errors and requests. The site names `q` and masks every value of the page's address."""
    state = ScrubState(url_names=url_names_parse("*\nQ"))
    link = {"type": 2, "tagName": "a", "attributes": {"href": "https://shop.test/r?token=LinkSecret1&q=x&p=2"}, "childNodes": [
        {"type": 3, "textContent": "see https://shop.test/v?api_key=TextSecret22 and &amp;sig=AmpSecret333", "id": 3},
    ], "id": 2}
    events = [
        {"type": 4, "data": {"href": "https://ann:Hunter2Secret@shop.test/s?q=tea&page=2", "width": 1, "height": 1}, "timestamp": 1},
        {"type": 2, "data": {"node": {"type": 0, "childNodes": [link], "id": 1}, "initialOffset": {"left": 0, "top": 0}}, "timestamp": 1},
        {"type": 3, "data": {"source": 0, "texts": [], "removes": [], "adds": [], "attributes": [
            {"id": 2, "attributes": {"src": "https://cdn.test/a.png?X-Amz-Signature=ImgSecret4444&w=4"}},
        ]}, "timestamp": 2},
        {"type": 5, "data": {"tag": "hs.page", "payload": {
            "url": "https://shop.test/cb#access_token=FragSecret55555&x=1", "referrer": "https://idp.test/?SAMLResponse=SamlSecret6",
            "title": "t", "kind": "push"}}, "timestamp": 3},
        {"type": 5, "data": {"tag": "hs.error", "payload": {
            "kind": "error", "message": "bad", "source": "https://shop.test/s?session_id=ErrSecret777", "line": 1, "col": 1,
            "stack": "at https://shop.test/s?session_id=ErrSecret777:1:1"}}, "timestamp": 4},
        {"type": 5, "data": {"tag": "hs.net", "payload": {"url": "https://api.test/me?jwt=eyJhbGciOi.eyJzdWIiOi.x&id=5&q=tea"}}, "timestamp": 5},
    ]
    stored = json.dumps(events_scrub(events, state))
    for secret in ("LinkSecret1", "TextSecret22", "AmpSecret333", "Hunter2Secret", "ImgSecret4444", "FragSecret55555",
                   "SamlSecret6", "ErrSecret777", "eyJhbGciOi", "tea"):
        assert secret not in stored, secret
    assert events[0]["data"]["href"] == "https://shop.test/s?q=*&page=*"  # the page's address: every value
    assert events[3]["data"]["payload"]["url"] == "https://shop.test/cb#access_token=*&x=*"
    assert link["attributes"]["href"] == "https://shop.test/r?token=*&q=*&p=2"  # a link: credentials and `q` only
    assert events[5]["data"]["payload"]["url"] == "https://api.test/me?jwt=*&id=5&q=*"


def test_a_meta_element_named_for_a_credential_has_its_content_masked():
    head = {"type": 2, "tagName": "head", "attributes": {}, "childNodes": [
        {"type": 2, "tagName": "meta", "attributes": {"name": "_csrf", "content": "CsrfSecret99"}, "childNodes": [], "id": 3},
        {"type": 2, "tagName": "meta", "attributes": {"property": "og:title", "content": "The shop"}, "childNodes": [], "id": 4},
    ], "id": 2}
    events_scrub([{"type": 2, "data": {"node": {"type": 0, "childNodes": [head], "id": 1}}, "timestamp": 1}], ScrubState())
    assert [meta["attributes"]["content"] for meta in head["childNodes"]] == ["************", "The shop"]


def test_a_srcdoc_frames_markup_is_never_stored():
    """An older recorder sent an <iframe srcdoc> as it was: the frame's HTML, ignored and masked parts and all."""
    markup = "<p class='hindsight-ignore'>Ignored words</p>"
    frame = {"type": 2, "tagName": "iframe", "attributes": {"id": "mail", "srcdoc": markup}, "childNodes": [], "id": 3}
    body = {"type": 2, "tagName": "body", "attributes": {}, "childNodes": [json.loads(json.dumps(frame))], "id": 2}
    change = {"source": 0, "texts": [], "removes": [], "attributes": [{"id": 3, "attributes": {"srcdoc": markup}}],
              "adds": [{"parentId": 2, "nextId": None, "node": json.loads(json.dumps(frame))}]}
    events = [{"type": 2, "data": {"node": {"type": 0, "childNodes": [body], "id": 1}}, "timestamp": 1},
              {"type": 3, "data": change, "timestamp": 2}]
    events_scrub(events, ScrubState())
    assert "Ignored" not in json.dumps(events)
    assert body["childNodes"][0]["attributes"] == change["adds"][0]["node"]["attributes"] == {"id": "mail"}


def test_urls_without_credentials_are_stored_as_they_came():
    events = [
        {"type": 4, "data": {"href": "https://shop.test/s?q=tea&author=ann#faq", "width": 1, "height": 1}, "timestamp": 1},
        {"type": 5, "data": {"tag": "hs.page", "payload": {"url": "https://shop.test/#/cart?step=2", "referrer": "", "title": "t",
                                                         "kind": "load"}}, "timestamp": 1},
    ]
    before = json.dumps(events)
    assert json.dumps(events_scrub(events, ScrubState())) == before
    assert params_masked("a=b; c=d ? e=f") == "a=b; c=d ? e=f"


@pytest.mark.parametrize("path, stored", [
    ("/api/cards/4111111111111111/charge", "/api/cards/****************/charge"),
    ("/api/cards/4111-1111-1111-1111/charge", "/api/cards/****-****-****-****/charge"),
    ("/orders/1796233740429/items", "/orders/1796233740429/items"),  # a long number that is no card stays
])
def test_a_card_number_in_a_request_path_is_masked_as_in_a_link(path, stored):
    """What the recorder sends with "Keep query strings" off: the query's values are `*`, the path as it is."""
    from recorder.processing import events_restore
    from privacy.scrub import StringScrub

    link = {"type": 2, "tagName": "a", "attributes": {"href": f"https://shop.test{path}?x=*"}, "childNodes": [], "id": 2}
    events = [
        {"type": 2, "data": {"node": {"type": 0, "childNodes": [link], "id": 1}}, "timestamp": 1},
        {"type": 5, "data": {"tag": "hs.net", "payload": {"kind": "fetch", "url": f"https://shop.test{path}?x=*"}}, "timestamp": 2},
    ]
    state = ScrubState()
    events = events_scrub(events_restore(events, StringScrub(False)), state, strings=False)  # as the worker does
    assert events[1]["data"]["payload"]["url"] == link["attributes"]["href"] == f"https://shop.test{stored}?x=*"


def test_coordinates_styles_and_image_addresses_keep_numbers_that_pass_the_card_check():
    """A chart's path, a transform or an image's name holds long numbers, a tenth of which pass the Luhn
    check: they are drawn, never read, and masking them broke the replay. Text beside them still is masked."""
    from recorder.processing import events_restore
    from privacy.scrub import StringScrub

    path = "M186.87050846691056,222.53609677821882L238.558069669709,41.12"  # 18687050846691056 passes Luhn
    assert "*" in StringScrub(False).mend(path)  # as text, it would be masked
    style = "transform:translate(847.4337369372327px,40px)"
    image = "/media/1506744038139.jpg"
    node = {"type": 0, "id": 1, "childNodes": [
        {"type": 2, "id": 2, "tagName": "path", "isSVG": True, "attributes": {"d": path, "title": "card 4111 1111 1111 1111"}, "childNodes": []},
        {"type": 2, "id": 3, "tagName": "div", "attributes": {"style": style}, "childNodes": []},
        {"type": 2, "id": 4, "tagName": "img", "attributes": {"src": image, "srcset": f"{image} 2x"}, "childNodes": []},
        {"type": 2, "id": 5, "tagName": "style", "attributes": {}, "childNodes": [
            {"type": 3, "id": 6, "isStyle": True, "textContent": f".a {{ {style} }}"}]},
        {"type": 3, "id": 7, "textContent": "paid with 4111 1111 1111 1111"},
    ]}
    change = {"type": 3, "timestamp": 2, "data": {"source": 0, "texts": [], "adds": [], "removes": [], "attributes": [],
              "attrColumns": [["d", [2], [path]], ["title", [2], ["4111 1111 1111 1111"]], ["transform", [3], [style]]]}}
    events = [{"type": 2, "timestamp": 1, "data": {"node": node, "initialOffset": {"top": 0, "left": 0}}}, change]
    for walked in (True, False):
        copy = json.loads(json.dumps(events))
        if walked:  # the worker: each string scrubbed in the walk that restores the events
            out = events_scrub(events_restore(copy, StringScrub(False)), ScrubState(), strings=False)
        else:
            out = events_scrub(events_restore(copy), ScrubState())
        text = json.dumps(out)
        for kept in (path, style, image):
            assert kept in text
        assert "4111" not in text


@pytest.mark.parametrize("text", [
    "eyJ" * 350_000,  # no JSON Web Token, a million characters that each start like one
    "@" + "a" * 1_000_000,  # no e-mail address, a million characters that could each end one
    "a" * 1_000_000 + "@",
    "x@" + "b." * 500_000 + "1",
    "111%20" * 170_000,  # a million characters of groups an address separates, no card number among them
])
def test_hostile_strings_that_almost_match_are_scrubbed_and_end(text):
    """Each pattern tried at every position took seconds to minutes (quadratic in the string's length),
    holding the interpreter: every request of the worker's process waited. Linear now: a million
    characters take milliseconds; the generous limit only tells "ends" from "hangs"."""
    import subprocess
    import sys

    # In a process of its own: a regular expression holds the interpreter, so no thread could time it out.
    script = "import sys; from privacy.scrub import StringScrub; t = sys.stdin.read(); print(StringScrub(emails=True).mend(t) == t)"
    done = subprocess.run([sys.executable, "-c", script], input=text, capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.stdout.strip() == "True", done.stderr


@pytest.mark.parametrize("parts, masked", [
    (["کارت ۴۱۱۱ ۱۱۱۱ ۱۱۱۱ ۱۱۱۱"], ["کارت **** **** **** ****"]),  # Persian digits
    (["بطاقة ٤٠١٢٨٨٨٨٨٨٨٨١٨٨١"], ["بطاقة ****************"]),  # Arabic-Indic
    (["カード ４２４２ ４２４２ ４２４２ ４２４２"], ["カード **** **** **** ****"]),  # full width
    (["۴۰۱۲ ۸۸۸۸", " ۸۸۸۸ ۱۸۸۱"], ["**** ****", " **** ****"]),  # across text nodes
    (["۴۱۱۱ ۱۱۱۱ ۱۱۱۱ ۱۱۱۲"], ["۴۱۱۱ ۱۱۱۱ ۱۱۱۱ ۱۱۱۲"]),  # not Luhn-valid
    # an address's groups, separated as an address writes them (`+`, `%20`), as ASCII digits' are
    (["/pay?card=۴۱۱۱+۱۱۱۱+۱۱۱۱+۱۱۱۱"], ["/pay?card=****+****+****+****"]),
    (["/pay?card=４１１１%20１１１１%20１１１１%20１１１１"], ["/pay?card=****%20****%20****%20****"]),
])
def test_card_numbers_in_other_scripts_digits_are_masked_where_they_stand(parts, masked):
    assert cards_scrub(parts) == masked
