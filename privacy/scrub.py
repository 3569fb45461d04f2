"""Server-side scrubbing of recorded events, before anything is stored.

The recorder already masks what the privacy rules protect; this is the second
line of defence against an old, broken or hostile client. It works on plain
data (rrweb events) and keeps their shape, replacing protected characters by
`*` so that the replay's layout stays the same.
"""
import re
from dataclasses import dataclass, field
from typing import Any

from recorder.jsontext import text_repair

MASK = "*"
# A run of 13 or more digits, optionally split by single spaces or dashes.
DIGIT_RUN = re.compile(r"[0-9](?:[ -]?[0-9]){12,}")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
CARD_AUTOCOMPLETE = re.compile(r"^cc-(number|csc|exp|exp-month|exp-year)$")
CARD_NAME = re.compile(r"card.?num|cc.?num|cvc|cvv|csc|security.?code|expiry|expiration|cc.?exp", re.I)
TEXT_ATTRIBUTES = ("value", "placeholder", "title", "alt", "aria-label")

# rrweb constants (rrweb-snapshot NodeType and IncrementalSource).
FULL_SNAPSHOT, INCREMENTAL = 2, 3
ELEMENT = 2
MUTATION, INPUT = 0, 5


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _mask_card(match: re.Match) -> str:
    """Mask every 13-19 digit window of the run that passes Luhn.

    Windows, not the whole run: a card number next to other digits
    ("qty 2 4111 1111 1111 1111") must not hide inside a longer number.
    """
    text = match.group(0)
    positions = [index for index, char in enumerate(text) if char.isdigit()]
    digits = "".join(text[index] for index in positions)
    masked = [False] * len(digits)
    for length in range(13, min(19, len(digits)) + 1):
        for start in range(len(digits) - length + 1):
            if luhn_valid(digits[start:start + length]):
                masked[start:start + length] = [True] * length
    if not any(masked):
        return text
    chars = list(text)
    for flag, index in zip(masked, positions):
        if flag:
            chars[index] = MASK
    return "".join(chars)


def text_scrub(text: str, *, emails: bool) -> str:
    """Mask Luhn-valid card numbers (and e-mail addresses when asked) in a string."""
    text = DIGIT_RUN.sub(_mask_card, text)
    if emails and "@" in text:
        text = EMAIL.sub(lambda m: MASK * len(m.group(0)), text)
    return text


def is_sensitive_input(tag: str, attributes: dict) -> bool:
    """Whether an element's value must never be stored, whatever the settings."""
    if tag not in ("input", "textarea", "select"):
        return False
    kind = str(attributes.get("type", "")).lower()
    autocomplete = str(attributes.get("autocomplete", "")).lower().strip()
    names = f"{attributes.get('name', '')} {attributes.get('id', '')}"
    return (
        kind in ("password", "file")
        or autocomplete == "one-time-code"
        or bool(CARD_AUTOCOMPLETE.match(autocomplete))
        or bool(CARD_NAME.search(names))
    )


@dataclass
class ScrubState:
    """What scrubbing learns across the batches of one session: ids of sensitive inputs."""

    emails: bool = False
    sensitive_ids: set[int] = field(default_factory=set)


def events_scrub(events: list[dict], state: ScrubState) -> list[dict]:
    """Scrub the events in place and return them; `state.sensitive_ids` grows as inputs are seen.

    Every string (keys too) is also mended: a lone UTF-16 surrogate, which a
    browser sends when a page cuts a string inside an emoji, becomes U+FFFD.
    """
    for event in events:
        _strings_scrub(event, state.emails)
        if event.get("type") == FULL_SNAPSHOT:
            _node_scrub(event["data"].get("node"), state)
        elif event.get("type") == INCREMENTAL:
            _incremental_scrub(event["data"], state)
    return events


def _strings_scrub(root: Any, emails: bool) -> None:
    """Scrub every string under `root` in place, with a stack: a DOM may be thousands of elements deep.

    This visits every value of every batch, so it skips what cannot need work:
    an ASCII string shorter than a card number, without "@" when e-mail
    addresses are scrubbed, holds neither a card number nor a lone surrogate.
    """
    stack = [root]
    pop, push = stack.pop, stack.append
    while stack:
        container = pop()
        if type(container) is dict:
            renamed = []
            for key, value in container.items():
                kind = type(value)
                if kind is str:
                    if len(value) >= 13 or not value.isascii() or (emails and "@" in value):
                        container[key] = text_scrub(text_repair(value), emails=emails)
                elif kind is dict or kind is list:
                    push(value)
                if not key.isascii() and text_repair(key) != key:
                    renamed.append(key)
            for key in renamed:
                container[text_repair(key)] = container.pop(key)
        else:
            for index, value in enumerate(container):
                kind = type(value)
                if kind is str:
                    if len(value) >= 13 or not value.isascii() or (emails and "@" in value):
                        container[index] = text_scrub(text_repair(value), emails=emails)
                elif kind is dict or kind is list:
                    push(value)


def _node_scrub(node: Any, state: ScrubState) -> None:
    """Walk a serialized node tree; mask the value of every sensitive input in place."""
    stack = [node]
    while stack:
        current = stack.pop()
        if not isinstance(current, dict):
            continue
        if current.get("type") == ELEMENT:
            attributes = current.get("attributes")
            if isinstance(attributes, dict) and is_sensitive_input(str(current.get("tagName", "")), attributes):
                if isinstance(current.get("id"), int):
                    state.sensitive_ids.add(current["id"])
                _mask_attribute(attributes, "value")
        children = current.get("childNodes")
        if isinstance(children, list):
            stack.extend(children)


def _incremental_scrub(data: dict, state: ScrubState) -> None:
    source = data.get("source")
    if source == MUTATION:
        for added in data.get("adds") or []:
            if isinstance(added, dict):
                _node_scrub(added.get("node"), state)
        for change in data.get("attributes") or []:
            _attribute_change_scrub(change, state)
    elif source == INPUT and isinstance(data.get("text"), str):
        # A file input's value is "C:\\fakepath\\<file name>": names are never kept.
        if data.get("id") in state.sensitive_ids or data["text"].startswith("C:\\fakepath\\"):
            data["text"] = MASK * len(data["text"])


def _attribute_change_scrub(change: Any, state: ScrubState) -> None:
    if not isinstance(change, dict) or not isinstance(change.get("attributes"), dict):
        return
    attributes = change["attributes"]
    if str(attributes.get("type", "")).lower() == "password" and isinstance(change.get("id"), int):
        state.sensitive_ids.add(change["id"])
    if change.get("id") in state.sensitive_ids:
        _mask_attribute(attributes, "value")


def _mask_attribute(attributes: dict, name: str) -> None:
    value = attributes.get(name)
    if isinstance(value, str):
        attributes[name] = MASK * len(value)
