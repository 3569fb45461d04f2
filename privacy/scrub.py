"""Server-side scrubbing of recorded events, before anything is stored.

The recorder already masks what the privacy rules protect; this is the second
line of defence against an old, broken or hostile client. It works on plain
data (rrweb events) and keeps their shape, replacing protected characters by
`*` so that the replay's layout stays the same.
"""
import bisect
import functools
import itertools
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from recorder.jsontext import text_repair
from recorder.processing import string_key

MASK = "*"
# A run of digits in groups split by whitespace of any kind (no-break and thin
# spaces too), or by a dot or a dash and maybe whitespace. Every group but the
# last has 3 digits or more (3 to 6 before a dot), as in card numbers (4-4-4-4,
# 4-6-5), so that neither a pager ("1 2 3 ... 12 13") nor a decimal
# ("1796233740.429") is one run.
# static/recorder-js/src/luhn.js matches the same runs in the browser.
DIGIT_RUN = re.compile(r"(?:[0-9]{3,6}\.[\s\u200b]*|[0-9]{3,}(?:-[\s\u200b]*|[\s\u200b]+))*[0-9]+")
CARD_MIN, CARD_MAX = 13, 19
# What every such run of 13 digits or more starts with: a cheap test first.
CARD_CANDIDATE = re.compile(r"[0-9][0-9.\-\s\u200b]{12}")
# The runs that start so: no shorter run can be a card number, and a text of prices has hundreds.
LONG_DIGIT_RUN = re.compile(f"(?={CARD_CANDIDATE.pattern})(?:{DIGIT_RUN.pattern})")
NOT_DIGIT = re.compile(r"[^0-9]+")
# Digits of other scripts are digits too: a Persian or an Arabic keyboard types ۴۱۱۱, a Japanese input
# method ４１１１. Each is read as its ASCII digit, and masked where it stands (the recorder: the same ones).
DIGIT_ZEROS = (0x660, 0x6F0, 0x966, 0x9E6, 0xFF10)
ASCII_DIGITS = str.maketrans({chr(zero + digit): str(digit) for zero in DIGIT_ZEROS for digit in range(10)})
SHORT_GROUP = re.compile(r"(?<![0-9])[0-9]{1,2}(?![0-9])")  # a group of digits that cannot go on in a run
# What may stand between a run's digit groups, and where a number may go on from one text node into the next.
RUN_SEPARATORS = ".-\u200b" + "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
RUN_CHARS = "0123456789" + RUN_SEPARATORS  # what a run is made of
# Separators as an address writes them: `+` (a space in a query string) and percent-encoded bytes
# (`%20`, `%2D`, `%C2%A0`), read as the separators they encode (_encoded_cards_masked).
ENCODED = re.compile(r"(?:\+|%[0-9A-Fa-f]{2})++")
# A group of digits (and maybe a separator) before what may encode one: the first byte of whitespace, a
# dot or a dash (0x09-0x0D, 0x1C-0x20, 0x2D, 0x2E), or of a space above ASCII (0xC2, 0xE1-0xE3).
ENCODED_CANDIDATE = re.compile(r"[0-9]{3}[\s.\-\u200b]*+(?:\+|%(?:[01][0-9A-Fa-f]|2[0DEde]|[Cc]2|[Ee][1-3]))")
# Each starts only where its first run starts (a lookbehind), and a run it has read is never read again
# (possessive): "@" then 100,000 letters, or "eyJ" 60,000 times, took seconds to minutes of the worker
# (and of every request of its process, which waited for the interpreter) when every position was tried.
EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]++@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
CARD_AUTOCOMPLETE = re.compile(r"^cc-(number|csc|exp|exp-month|exp-year)$")
CARD_NAME = re.compile(r"card.?num|cc.?num|cvc|cvv|csc|security.?code|expiry|expiration|cc.?exp", re.I)
TEXT_ATTRIBUTES = ("value", "placeholder", "title", "alt", "aria-label")
# Attributes that never hold text a person reads, only numbers and the addresses of what the page shows:
# styles (the attribute, a stylesheet's text), a drawing's coordinates and transforms, an image's or a
# video's address. A card number is not looked for there, as the recorder does not look: a coordinate
# such as 186.87050846691056, or a timestamp in an image's name, passes the Luhn check about one time in
# ten, and masking it broke the replay (a chart's line gone, an image not found). Credentials in URLs and
# e-mail addresses are still masked there; links, page and request addresses are scrubbed whole.
NUMBERS_ONLY = frozenset((
    "style _cssText d points transform gradientTransform patternTransform viewBox x y x1 x2 y1 y2 cx cy r rx ry"
    " dx dy width height offset rotate values keyTimes keySplines pathLength stroke-dasharray stroke-dashoffset"
    " src srcset poster background xlink:href"
).split())
# URL parameters that carry credentials (a reset link's token, an OAuth code, a signed URL's
# signature, a session id): their values are masked in every string. The recorder masks the same
# in the browser (static/recorder-js/src/urls.js; test/urls.json there holds the cases both answer
# alike). A name carries one when one of its words says so, or it ends in one run together.
SECRET_WORDS = frozenset((
    "token tokens secret secrets password passwd pwd pass pw pin passcode passphrase auth authorization oauth apikey"
    " key sig signature credential credentials jwt otp nonce verifier saml session sessionid sessid sid hmac code csrf"
    " xsrf"
).split())
SECRET_END = re.compile(r"(token|secret|password|passwd|signature|apikey|sessionid|sessid)$")
JWT = re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}+\.[A-Za-z0-9_-]{4,}+\.[A-Za-z0-9_-]*+")  # a JSON Web Token
# A parameter in a URL, or in text that holds one: after `?`, `&`, `#` or `;`. (A site's url_mask_params
# are names as PARAM_NAME reads them.)
PARAM_NAME = r"""[^=&#?;\s"'<>]{1,64}"""
PARAM = re.compile(rf"""([?&#;])({PARAM_NAME})=([^&#?;\s"'<>)]+)""")
CREDENTIALS = re.compile(r"^([a-z][a-z0-9+.-]*://)[^/?#@]*@", re.I)
ACRONYM, CAMEL = re.compile(r"([A-Z]+)([A-Z][a-z])"), re.compile(r"([a-z0-9])([A-Z])")  # SAMLResponse, apiKey
NOT_WORD = re.compile(r"[^a-z0-9]+")

# rrweb constants (rrweb-snapshot NodeType and IncrementalSource).
FULL_SNAPSHOT, INCREMENTAL, META, CUSTOM = 2, 3, 4, 5
ELEMENT, TEXT = 2, 3
MUTATION, INPUT = 0, 5


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card_digits(digits: str, starts: list[int]) -> list[bool]:
    """Which digits lie in a window of 13-19 digits that passes Luhn and begins and ends with one of the
    run's groups (`starts`: the digit index where each group begins, in order).

    Prefix sums make each window O(1): a hostile batch may hold a megabyte of
    digits. In a window ending before `end`, the digits doubled are those
    whose index has the parity of `end`.
    """
    sums = ([0], [0])  # sums[p][i]: digits before i, doubling those with index parity p
    for index, char in enumerate(digits):
        value = ord(char) - 48
        doubled = value * 2 - 9 if value > 4 else value * 2
        sums[0].append(sums[0][-1] + (doubled if index % 2 == 0 else value))
        sums[1].append(sums[1][-1] + (value if index % 2 == 0 else doubled))
    ends = set(starts[1:]) | {len(digits)}  # a group ends where the next begins
    cover = [0] * (len(digits) + 1)
    for start in starts:
        for end in range(start + CARD_MIN, min(start + CARD_MAX, len(digits)) + 1):
            if end in ends:
                prefix = sums[end % 2]
                if (prefix[end] - prefix[start]) % 10 == 0:
                    cover[start] += 1
                    cover[end] -= 1
    masked, depth = [], 0
    for step in cover[:-1]:
        depth += step
        masked.append(depth > 0)
    return masked


def _mask_card(match: re.Match) -> str:
    """Mask every window of 13-19 digits of the run that passes Luhn and is made of whole groups, keeping the
    separators.

    Windows, not the whole run: a card number next to other digits
    ("qty 123 4111 1111 1111 1111", "ref 0099 4111111111111111") must not
    hide inside a longer run. Whole groups, not any digits: a card number is
    written apart from the digits around it, while nearly every long number
    (an order or tracking number, a 64-bit id) holds some 13-19 digits that
    pass the Luhn check by chance (95% of 19-digit numbers did).
    """
    text = match.group(0)
    if len(text) < CARD_MIN:
        return text
    positions = [index for index, char in enumerate(text) if "0" <= char <= "9"]
    starts = [k for k in range(len(positions)) if k == 0 or positions[k] != positions[k - 1] + 1]
    masked = _card_digits("".join(text[index] for index in positions), starts)
    if not any(masked):
        return text
    chars = list(text)
    for flag, index in zip(masked, positions):
        if flag:
            chars[index] = MASK
    return "".join(chars)


def cards_scrub(parts: list[str], *, each_scrubbed: bool = False) -> list[str]:
    """Mask card numbers in strings read as one text, such as adjacent text nodes
    (`<span>4012 8888</span><span> 8888 1881</span>`); the lengths stay.

    Within one string every Luhn-valid window is masked (text_scrub). Across
    strings, a number reads on only where the text shows a gap between them
    (whitespace, a dot or a dash on either side), and a run that crosses from
    one string into the next is masked only when its digits are one whole
    card number: cells of a table or prices side by side ("143.19",
    "143.23", ...) make long runs, one of whose windows would pass the Luhn
    check by chance.
    """
    own = parts if each_scrubbed else [text_scrub(part, emails=False) for part in parts]
    out, first = [], 0
    for index in range(1, len(own) + 1):
        if index == len(own) or not _gap_between(own[index - 1], own[index]):
            out += _runs_across(own[first:index])
            first = index
    return parts if out == parts else out


def _gap_between(before: str, after: str) -> bool:
    return not before or not after or before[-1] in RUN_SEPARATORS or after[0] in RUN_SEPARATORS


def _gap_anywhere(parts: list[str]) -> bool:
    """Whether two of these strings, next to each other in some order, would have a gap between them:
    without one, cards_scrub reads no number on from one string into another, in whatever order."""
    return any(not part or part[0] in RUN_SEPARATORS or part[-1] in RUN_SEPARATORS for part in parts)


def _runs_across(group: list[str]) -> list[str]:
    """The strings of `group`, read as one text, with the runs that cross from one into the next
    masked where they are one whole card number."""
    text = "".join(group).translate(ASCII_DIGITS)
    if len(group) < 2 or not CARD_CANDIDATE.search(text):
        return group
    ends = list(itertools.accumulate(len(part) for part in group[:-1]))
    masked = LONG_DIGIT_RUN.sub(lambda match: _mask_whole_card(match, ends), text)
    if masked == text:
        return group
    masked = _masked_where("".join(group), text, masked)
    out, start = [], 0
    for part in group:
        out.append(masked[start:start + len(part)])
        start += len(part)
    return out


def _mask_whole_card(match: re.Match, ends: list[int]) -> str:
    """A run that crosses a string's end (`ends`: where each string but the last ends, in order),
    masked when all its digits make one card number."""
    run, start = match.group(0), match.start()
    after = bisect.bisect_right(ends, start)
    if after == len(ends) or ends[after] >= start + len(run):
        return run  # inside one string: text_scrub has seen it
    digits = NOT_DIGIT.sub("", run)
    if not CARD_MIN <= len(digits) <= CARD_MAX or not luhn_valid(digits):
        return run
    return "".join(MASK if "0" <= char <= "9" else char for char in run)


def text_scrub(text: str, *, emails: bool, cards: bool = True) -> str:
    """Mask Luhn-valid card numbers (unless `cards` is off) and e-mail addresses (when asked) in a string."""
    plain = text.translate(ASCII_DIGITS) if cards else text
    if cards and CARD_CANDIDATE.search(plain):
        text = _masked_where(text, plain, LONG_DIGIT_RUN.sub(_mask_card, plain))
    if cards and ("%" in text or "+" in text) and ENCODED_CANDIDATE.search(plain := text.translate(ASCII_DIGITS)):
        text = _masked_where(text, plain, _encoded_cards_masked(plain))
    if emails and "@" in text:
        text = EMAIL.sub(lambda m: MASK * len(m.group(0)), text)
    return text


def _masked_where(text: str, plain: str, masked: str) -> str:
    """`text` with what was masked in `plain` (its digits in ASCII) masked where it stands."""
    return text if masked == plain else "".join(now if now != was else char for char, was, now in zip(text, plain, masked))


def _encoded_cards_masked(text: str) -> str:
    """Mask card numbers whose groups an address separates with `+` or percent-encoded separators
    (`/pay?card=4111%201111%201111%201111`): the runs are read with those between digits decoded, and
    the digits they mask are masked where they stand (the encoded separators stay, and the length)."""
    ends, shifts = [], []  # where each decoded gap ends in the view, and how much longer `text` is up to there

    def decoded(match: re.Match) -> str:
        start, end = match.span()
        gap = unquote_plus(match.group(0))
        if gap.strip(RUN_SEPARATORS) or not (0 < start and end < len(text)) or not (
                text[start - 1] in RUN_CHARS and text[end] in RUN_CHARS):
            return match.group(0)
        shift = (shifts[-1] if shifts else 0) + end - start - len(gap)
        ends.append(end - shift)
        shifts.append(shift)
        return gap

    view = ENCODED.sub(decoded, text)
    masked = LONG_DIGIT_RUN.sub(_mask_card, view) if shifts and CARD_CANDIDATE.search(view) else view
    if masked == view:
        return text
    chars = list(text)
    for index, (was, now) in enumerate(zip(view, masked)):
        if was != now:  # a digit, which no gap holds
            gap = bisect.bisect_right(ends, index)
            chars[index + (shifts[gap - 1] if gap else 0)] = MASK
    return "".join(chars)


def long_number(text: str) -> bool:
    """Whether a typed value holds a run of more than six digits: what a card number typed into any field
    shows before it is whole (the first six, its issuer, are as much of it as may be shown). Such a
    value is masked whole; static/recorder-js/src/luhn.js does the same in the browser."""
    text = text.translate(ASCII_DIGITS)
    return len(text) > 6 and any(len(NOT_DIGIT.sub("", run)) > 6 for run in DIGIT_RUN.findall(text))


@functools.lru_cache(maxsize=1024)
def secret_name(name: str) -> bool:
    words = CAMEL.sub(r"\1 \2", ACRONYM.sub(r"\1 \2", name)).lower()
    if any(word in SECRET_WORDS for word in NOT_WORD.split(words)):
        return True
    return bool(SECRET_END.search(NOT_WORD.sub("", words)))


def params_masked(text: str, mask: "frozenset[str] | bool" = frozenset()) -> str:
    """`text` with JSON Web Tokens and the values of URL parameters that carry credentials as `*`, and those
    named in `mask` (lower case), or every value when `mask` is True (only for a page's own address)."""
    if "eyJ" in text:
        text = JWT.sub(MASK, text)
    if "=" not in text:
        return text

    def masked(match: re.Match) -> str:
        separator, name, value = match.groups()
        if value == MASK or not (mask is True or secret_name(name) or name.lower() in mask):
            return match.group(0)
        return f"{separator}{name}={MASK}"

    return PARAM.sub(masked, text)


def page_url(url: str, mask: "frozenset[str] | bool" = frozenset()) -> str:
    """A page's address as it may be stored: no user name or password, values masked as `params_masked` says."""
    return params_masked(CREDENTIALS.sub(r"\1", url) if "@" in url else url, mask)


def url_names_parse(text: str) -> frozenset[str]:
    """The names of a site's `url_mask_params`, one a line, lower case (`*`: every value of a page's address)."""
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


FORM_TAGS = ("input", "textarea", "select")


def is_sensitive_input(tag: str, attributes: dict) -> bool:
    """Whether an element's value must never be stored, whatever the settings."""
    if tag not in FORM_TAGS:
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
    """What scrubbing learns across the batches of one session: ids of sensitive inputs (and of the options
    and optgroups of sensitive selects)."""

    emails: bool = False
    sensitive_ids: set[int] = field(default_factory=set)
    url_names: frozenset[str] = frozenset()  # the site's url_mask_params (url_names_parse)


class StringScrub:
    """What scrubbing does to each string on its own (`recorder.processing.StringWork`): mend a lone
    surrogate, mask card numbers and the values of URL parameters that carry
    credentials or that the site names, and e-mail addresses when the site asks.

    `wants` is asked of every string of every batch, so it only rules out
    what cannot need work: an ASCII string shorter than a card number,
    without "@" when e-mail addresses are scrubbed. (The shortest parameter that
    carries a credential with 8 characters of value, `?sid=12345678`, is that long.)
    """

    def __init__(self, emails: bool, url_names: frozenset[str] = frozenset()):
        self.emails = emails
        self.url_names = url_names
        self.floor = 0 if emails else CARD_MIN  # what `wants` rules out at once, for the walk to ask first

    def wants(self, value: str) -> bool:
        return len(value) >= CARD_MIN or not value.isascii() or (self.emails and "@" in value)

    def mend(self, value: str, key: Any = None) -> str:
        """`value` as it may be stored; `key` is where it stands (an attribute's name, say: NUMBERS_ONLY)."""
        text = text_scrub(text_repair(value), emails=self.emails, cards=key not in NUMBERS_ONLY)
        return params_masked(text, self.url_names) if "=" in text or "eyJ" in text else text


def events_scrub(events: list[dict], state: ScrubState, *, strings: bool = True) -> list[dict]:
    """Scrub the events in place and return them; `state.sensitive_ids` grows as inputs are seen.

    Every string value is also mended: a lone UTF-16 surrogate, which a
    browser sends when a page cuts a string inside an emoji, becomes U+FFFD
    (keys are mended by the JSON writer, recorder/jsontext.py). With
    `strings` off, each string on its own has been scrubbed already (a
    `StringScrub` given to `recorder.processing.events_restore`): only
    what spans strings or depends on the element is left.
    """
    mend = StringScrub(state.emails, state.url_names)
    page_mask = True if MASK in state.url_names else state.url_names
    for event in events:
        if strings:
            _strings_scrub(event, mend)
        kind = event.get("type")
        if kind == FULL_SNAPSHOT:
            _node_scrub(event["data"].get("node"), state)
        elif kind == INCREMENTAL:
            _incremental_scrub(event["data"], state)
        elif kind == META or kind == CUSTOM:
            _addresses_scrub(event["data"], page_mask)
    return events


def _addresses_scrub(data: Any, mask: "frozenset[str] | bool") -> None:
    """The page's address in a Meta event and in hs.page (and where the visitor came from): no user name
    or password, and every value masked when the site says `*`."""
    if type(data) is not dict:
        return
    if data.get("tag") == "hs.page":
        data = data.get("payload")
        keys = ("url", "referrer") if type(data) is dict else ()
    else:
        keys = ("href",) if "tag" not in data else ()
    for key in keys:
        if type(data.get(key)) is str:
            data[key] = page_url(data[key], mask)


def _strings_scrub(root: Any, scrub: StringScrub) -> None:
    """Scrub every string value under `root` in place, with a stack: a DOM may be thousands of elements deep."""
    wants, mend = scrub.wants, scrub.mend
    stack = [root]
    pop, push = stack.pop, stack.append
    while stack:
        container = pop()
        for key, value in (container.items() if type(container) is dict else enumerate(container)):
            kind = type(value)
            if kind is str:
                if wants(value):
                    container[key] = mend(value, string_key(container, key))
            elif kind is dict or kind is list:
                push(value)


def _node_scrub(node: Any, state: ScrubState) -> None:
    """Walk a serialized node tree; mask the value of every sensitive input in place,
    and card numbers split across its text nodes."""
    texts = []
    stack = [node]
    pop, extend = stack.pop, stack.extend
    while stack:
        current = pop()
        if not isinstance(current, dict):
            continue
        kind = current.get("type")
        if kind == ELEMENT:
            tag = current.get("tagName")
            if tag in FORM_TAGS:  # _element_scrub has nothing to do for other elements
                _element_scrub(current, state)
            elif tag == "meta":
                _meta_scrub(current)
            elif tag == "iframe":
                _srcdoc_drop(current.get("attributes"))
        elif kind == TEXT and isinstance(current.get("textContent"), str) and not current.get("isStyle"):
            texts.append(current)
        children = current.get("childNodes")
        if isinstance(children, list) and children:
            extend(reversed(children))  # document order
    _texts_scrub(texts, "textContent")


def _element_scrub(element: dict, state: ScrubState) -> None:
    """Mask a form element's value that must never be stored (and keep a sensitive input's id), or that
    holds a long number."""
    tag = element.get("tagName")
    attributes = element.get("attributes")
    if tag not in FORM_TAGS or not isinstance(attributes, dict):
        return  # is_sensitive_input and _long_value ask nothing of other elements
    if is_sensitive_input(tag, attributes):
        if isinstance(element.get("id"), int):
            state.sensitive_ids.add(element["id"])
        _mask_attribute(attributes, "value")
        if tag == "select":
            _options_unchosen(element, state)
    elif tag != "select" and _long_value(attributes):
        _mask_attribute(attributes, "value")


def _options_unchosen(select: dict, state: ScrubState) -> None:
    """Which options of a sensitive select are chosen is its value: their `selected` goes (in optgroups too),
    and their ids are kept, for a later change of their `selected` attribute (_attribute_change_scrub)."""
    stack = [select]
    while stack:
        children = stack.pop().get("childNodes")
        for child in children if isinstance(children, list) else ():
            if isinstance(child, dict) and child.get("tagName") in ("option", "optgroup"):
                if isinstance(child.get("attributes"), dict):
                    child["attributes"].pop("selected", None)
                if isinstance(child.get("id"), int):
                    state.sensitive_ids.add(child["id"])
                stack.append(child)


def _meta_scrub(element: dict) -> None:
    """Mask the content of a <meta> whose name says it holds a credential (`_csrf`, `api-key`)."""
    attributes = element.get("attributes")
    if isinstance(attributes, dict) and isinstance(attributes.get("name"), str) and secret_name(attributes["name"]):
        _mask_attribute(attributes, "content")


def _texts_scrub(holders: list[dict], key: str) -> None:
    """Mask card numbers across the strings `holder[key]`, read in the order given."""
    if len(holders) < 2:
        return  # a single string was scrubbed on its own
    parts = [holder[key] for holder in holders]
    if not _gap_anywhere(parts) or not CARD_CANDIDATE.search("".join(parts)):
        return
    for holder, before, after in zip(holders, parts, cards_scrub(parts, each_scrubbed=True)):
        if after is not before:
            holder[key] = after


def _adds_in_order(adds: list) -> list[dict]:
    """The nodes a mutation adds, in document order as far as their parentId and nextId tell.

    rrweb lists them in no useful order, one node each. Siblings are chained
    by nextId; subtrees are visited depth first. Hostile ids (cycles,
    duplicates) only cost order, never a loop.
    """
    adds = [add for add in adds if isinstance(add, dict) and isinstance(add.get("node"), dict)]
    by_id = {_int(add["node"].get("id")): add for add in adds}
    by_id.pop(None, None)
    children: dict[int | None, list[dict]] = {}
    for add in adds:
        children.setdefault(_int(add.get("parentId")), []).append(add)
    for parent, siblings in children.items():
        if len(siblings) > 1:
            children[parent] = _chained(siblings, by_id)
    roots = [add for parent, siblings in children.items() if parent not in by_id for add in siblings]
    ordered, visited = [], set()
    stack = list(reversed(adds)) + list(reversed(roots))  # roots first, leftovers (cycles) last
    while stack:
        add = stack.pop()
        if id(add) in visited:
            continue
        visited.add(id(add))
        ordered.append(add["node"])
        stack.extend(reversed(children.get(_int(add["node"].get("id")), [])))
    return ordered


def _chained(siblings: list[dict], by_id: dict) -> list[dict]:
    """Siblings in nextId order: each chain from a sibling that no other points to."""
    pointed = {_int(add.get("nextId")) for add in siblings}
    ordered, seen = [], set()
    for head in siblings:
        add = head
        if _int(add["node"].get("id")) in pointed:
            continue
        while add is not None and id(add) not in seen and add.get("parentId") == head.get("parentId"):
            seen.add(id(add))
            ordered.append(add)
            add = by_id.get(_int(add.get("nextId")))
    return ordered + [add for add in siblings if id(add) not in seen]


def _int(value: Any) -> int | None:
    return value if type(value) is int else None


def _incremental_scrub(data: dict, state: ScrubState) -> None:
    source = data.get("source")
    if source == MUTATION:
        adds = data.get("adds") or []
        texts = []  # what the added text nodes say, in the order listed
        for added in adds:
            node = added.get("node") if isinstance(added, dict) else None
            if not isinstance(node, dict):
                continue
            children, kind = node.get("childNodes"), node.get("type")
            if isinstance(children, list) and children:
                _node_scrub(node, state)
            elif kind == ELEMENT and node.get("tagName") in FORM_TAGS:  # rrweb adds one node at a time
                _element_scrub(node, state)
            elif kind == ELEMENT and node.get("tagName") == "iframe":
                _srcdoc_drop(node.get("attributes"))
            if kind == TEXT and _is_text(node):  # alone it was scrubbed as a string; across nodes, below
                texts.append(node["textContent"])
        if isinstance(adds, list) and _split_card_possible(texts):
            _texts_scrub([node for node in _adds_in_order(adds) if _is_text(node)], "textContent")
        if isinstance(adds, list) and state.sensitive_ids:
            _added_options_unchosen(adds, state.sensitive_ids)
        for change in data.get("attributes") or []:
            attributes = change.get("attributes") if type(change) is dict else None
            if type(attributes) is dict and ("value" in attributes or "type" in attributes or "selected" in attributes):
                _attribute_change_scrub(change, state)  # (what it reads: a class or style change needs nothing)
            if type(attributes) is dict:
                _srcdoc_drop(attributes)
        texts = data.get("texts")
        if isinstance(texts, list):
            _texts_scrub([text for text in texts if isinstance(text, dict) and isinstance(text.get("value"), str)], "value")
    elif source == INPUT and isinstance(data.get("text"), str):
        # A file input's value is "C:\\fakepath\\<file name>": names are never kept.
        if data.get("id") in state.sensitive_ids or data["text"].startswith("C:\\fakepath\\") or long_number(data["text"]):
            data["text"] = MASK * len(data["text"])


def _added_options_unchosen(adds: list, sensitive_ids: set[int]) -> None:
    """Options a change adds under a sensitive select (rrweb adds one node at a time, in no useful order;
    an option may sit in an optgroup): no `selected`, as in a snapshot (_options_unchosen)."""
    children: dict[int | None, list[dict]] = {}
    for add in adds:
        node = add.get("node") if isinstance(add, dict) else None
        if isinstance(node, dict) and node.get("tagName") in ("option", "optgroup"):
            children.setdefault(_int(add.get("parentId")), []).append(node)
    stack = [parent for parent in children if parent in sensitive_ids]
    while stack:
        for node in children.pop(stack.pop(), ()):  # (each parent's once: hostile ids cost no loop)
            if isinstance(node.get("attributes"), dict):
                node["attributes"].pop("selected", None)
            if _int(node.get("id")) is not None:
                sensitive_ids.add(node["id"])  # (as in a snapshot: _options_unchosen)
                stack.append(node["id"])


def _split_card_possible(texts: list[str]) -> bool:
    """Whether these texts (of added text nodes) may hold a card number between them, in whatever order.

    Ordering them is not free. A number read across nodes runs from the end
    of one node (its tail of digits and separators), through whole nodes,
    into the start of another (its head), with 13 digits or more. A run's
    digit groups but its last have 3 digits or more, so a whole node in it has
    no shorter group, and a tail counts only when its last group has 3: at
    most the digits of such whole nodes, the longest such tail and the
    longest head. That holds where texts meet at a gap; an empty text between
    two others joins them with none, so with one any number may cross. A board of prices ("129.45",
    "-0.45", "65,322", "248") passes in any order. static/recorder-js/src/luhn.js (crossable) does the same.
    """
    texts = [text.translate(ASCII_DIGITS) for text in texts]
    if len(texts) < 2 or not _gap_anywhere(texts) or len(NOT_DIGIT.sub("", "".join(texts))) < CARD_MIN:
        return False
    if "" in texts:
        return True  # an empty text joins its neighbours with no gap between them: their edge groups may become one
    whole = tails = heads = 0
    for text in texts:
        head = text[:len(text) - len(text.lstrip(RUN_CHARS))]
        head_digits = len(NOT_DIGIT.sub("", head))
        if len(head) == len(text) and not SHORT_GROUP.search(text):
            whole += head_digits  # the whole text is its head
        heads = max(heads, head_digits)
        groups = [group for group in NOT_DIGIT.split(text[len(text.rstrip(RUN_CHARS)):]) if group]
        if groups and len(groups[-1]) >= 3:
            tails = max(tails, sum(map(len, groups)))
    return whole + heads + tails >= CARD_MIN


def _is_text(node: dict) -> bool:
    return node.get("type") == TEXT and isinstance(node.get("textContent"), str) and not node.get("isStyle")


def _attribute_change_scrub(change: Any, state: ScrubState) -> None:
    if not isinstance(change, dict) or not isinstance(change.get("attributes"), dict):
        return
    attributes = change["attributes"]
    if str(attributes.get("type", "")).lower() == "password" and isinstance(change.get("id"), int):
        state.sensitive_ids.add(change["id"])
    if change.get("id") in state.sensitive_ids:
        # A script may choose an option by its `selected` attribute: which option of a sensitive select it
        # chose is that select's value.
        attributes.pop("selected", None)
    if change.get("id") in state.sensitive_ids or _long_value(attributes):
        _mask_attribute(attributes, "value")


def _srcdoc_drop(attributes: Any) -> None:
    """A srcdoc frame's markup, with whatever its ignore and mask classes cover (the recorder drops it; the
    frame's DOM is recorded and scrubbed as any frame's)."""
    if isinstance(attributes, dict):
        attributes.pop("srcdoc", None)


def _long_value(attributes: dict) -> bool:
    value = attributes.get("value")
    return isinstance(value, str) and len(value) > 6 and long_number(value)


def _mask_attribute(attributes: dict, name: str) -> None:
    value = attributes.get(name)
    if isinstance(value, str):
        attributes[name] = MASK * len(value)
