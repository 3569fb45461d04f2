"""The server scrubber: no planted secret survives, whatever a client sends."""
import json

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from privacy.scrub import ScrubState, events_scrub, is_sensitive_input, luhn_valid, text_scrub

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
separators = st.sampled_from(["", " ", "-"])
surrounding = st.text(max_size=40)


def formatted(number: str, sep: str) -> str:
    return sep.join(number[i:i + 4] for i in range(0, len(number), 4))


@pytest.mark.parametrize("number", CARDS)
def test_known_card_numbers_are_luhn_valid(number):
    assert luhn_valid(number)


@hsettings(max_examples=300, deadline=None)
@given(number=card_numbers, sep=separators, before=surrounding, after=surrounding)
def test_no_planted_card_number_survives_in_text(number, sep, before, after):
    text = before + formatted(number, sep) + after
    scrubbed = text_scrub(text, emails=False)
    assert number not in scrubbed.replace(" ", "").replace("-", "")
    assert len(scrubbed) == len(text)


json_leaves = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@hsettings(max_examples=200, deadline=None)
@given(data=st.data(), number=card_numbers, sep=separators, tree=json_leaves)
def test_no_planted_card_number_survives_anywhere_in_an_event(data, number, sep, tree):
    planted = f"card {formatted(number, sep)} end"
    slot = data.draw(st.sampled_from(["text", "attribute", "input", "custom", "nested"]))
    event = {
        "text": {"type": 3, "data": {"source": 0, "texts": [{"id": 4, "value": planted}], "adds": [], "removes": [], "attributes": []}, "timestamp": 1},
        "attribute": {"type": 3, "data": {"source": 0, "attributes": [{"id": 4, "attributes": {"title": planted}}], "adds": [], "removes": [], "texts": []}, "timestamp": 1},
        "input": {"type": 3, "data": {"source": 5, "id": 9, "text": planted, "isChecked": False}, "timestamp": 1},
        "custom": {"type": 5, "data": {"tag": "hs.net", "payload": {"url": f"/pay?n={planted}"}}, "timestamp": 1},
        "nested": {"type": 2, "data": {"node": {"type": 0, "childNodes": [{"type": 3, "textContent": planted}]}, "junk": tree}, "timestamp": 1},
    }[slot]
    out = json.dumps(events_scrub([event], ScrubState()))
    assert number not in out.replace(" ", "").replace("-", "")


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
