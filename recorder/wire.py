"""The recorder's wire encodings, undone: what the recorder sends becomes plain rrweb events.

Pure functions, no I/O, no recursion (a page's DOM may be thousands of
elements deep). docs/protocol.md describes each encoding.
"""
import itertools
import re
from typing import Any, Callable

ID_KEYS = frozenset({"id", "parentId", "nextId", "previousId"})
ID_LIMIT = 2**53  # node ids beyond this do not survive the player's JSON.parse (a double)
NO_IDS: frozenset = frozenset()

# Steps in a column written as a string, one character each (docs/protocol.md, "Text changes"): the 93
# printable ASCII characters JSON writes as they are; the first three are the step before -1, +0, +1;
# the next 89 the steps 0, -1, 1, -2, ... 44; `~` then a step in decimal and `,` any other.
STEP_CHARS = "".join(chr(code) for code in range(32, 127) if chr(code) not in '"\\')
_STEP_CHAR = {char: (index < 3, index - 1 if index < 3 else (index - 3) // 2 if index % 2 else -(index - 2) // 2)
              for index, char in enumerate(STEP_CHARS[:-1])}
STEP_TEXT = re.compile(r"(?:[ !#-\[\]-}]|~-?[0-9]{1,16},)*")
_STEP_ESCAPE = re.compile(r"~(-?[0-9]{1,16}),")
_STEP_TOKEN = re.compile(r"~(-?[0-9]{1,16}),|([^~])")
STEP_ESCAPE_LIMIT = 2**52  # then no run of +1 steps in a string reaches 2**53


def step_text_count(text: str) -> int | None:
    """How many steps a column's string holds, or None when it is not one (what ingest checks)."""
    if not STEP_TEXT.fullmatch(text):
        return None
    escapes = _STEP_ESCAPE.findall(text)
    if any(abs(int(step)) > STEP_ESCAPE_LIMIT for step in escapes):
        return None
    return len(text) - sum(len(step) + 1 for step in escapes)


def steps_read(text: str) -> list[int] | None:
    """The steps a column's string holds, or None when it is not one."""
    if step_text_count(text) is None:
        return None
    steps, last = [], 0
    for escaped, char in _STEP_TOKEN.findall(text):
        if char:
            relative, value = _STEP_CHAR[char]
            last = last + value if relative else value
        else:
            last = int(escaped)
        steps.append(last)
    return steps


def node_ids_restore(event: dict, wanted: Callable[[str], bool] | None = None, floor: int = 0) -> list[tuple[Any, Any]]:
    """Undo the recorder's id encoding (docs/protocol.md, "Node ids") of one event, in place; see
    `events_ids_restore`."""
    return events_ids_restore([event], wanted, floor)[0]


WALK_RECURSION_DEPTH = 200  # then a stack: a page's DOM may be thousands of elements deep


def events_ids_restore(events: list, wanted: Callable[[str], bool] | None = None,
                       floor: int = 0) -> list[list[tuple[Any, Any]]]:
    """Undo the recorder's id encoding (docs/protocol.md, "Node ids") of each event, in place.

    With `"ids": "delta"`, each integer under an id-like key is its value
    minus the previous value of the same key, in the event's JSON order,
    which is the order json.loads keeps. Each difference is within ID_LIMIT
    (ingest checks it) but their sum need not be: what a hostile client's
    sum takes past ID_LIMIT is written null, an id the player cannot hold
    (the sum itself goes on, so later ids are as the client meant them).
    Knowing it at ingest would take this walk on the request's path. With `wanted`, the walk also visits
    events without that encoding and returns, for each event, where the string values are
    (container and key or index, in objects and arrays) for which `wanted`
    says yes (`wanted` is not asked of an ASCII string shorter than `floor`): the scrubber finds its
    work in the same walk.

    The walk goes depth first in document order (an element's "childNodes"
    come before its "id"). It runs on every value of every batch: exact type
    checks (bool is not an id), no helper calls but `wanted`. An object or
    array is a call (cheaper than a stack's bookkeeping) down to
    WALK_RECURSION_DEPTH levels; what is nested deeper is walked by `deep`,
    the same steps with a stack. Its functions are made once per batch: a
    batch is mostly small events (mouse moves, a text change), for which
    making them cost as much as the walk.
    """
    last = dict.fromkeys(ID_KEYS, 0)
    ids: frozenset = ID_KEYS
    limit = ID_LIMIT
    found: list[tuple[Any, Any]] = []

    def walk(container: dict | list, items: Any, depth: int) -> None:
        for key, value in items:
            kind = type(value)
            if kind is int:
                if key in ids:  # (an array's index is never in it)
                    container[key] = last[key] = value = value + last[key]
                    if value > limit or value < -limit:
                        container[key] = None
            elif kind is str:
                if wanted is not None and (len(value) >= floor or not value.isascii()) and wanted(value):
                    found.append((container, key))
            elif kind is dict:
                if depth < WALK_RECURSION_DEPTH:
                    walk(value, value.items(), depth + 1)
                else:
                    deep(value)
            elif kind is list:
                if depth < WALK_RECURSION_DEPTH:
                    walk(value, enumerate(value), depth + 1)
                else:
                    deep(value)

    def deep(root: dict | list) -> None:
        stack: list[tuple[Any, Any]] = [(root, iter(root.items() if type(root) is dict else enumerate(root)))]
        while stack:
            container, items = stack[-1]
            for key, value in items:
                kind = type(value)
                if kind is int:
                    if key in ids:  # (an array's index is never in it)
                        container[key] = last[key] = value = value + last[key]
                        if value > limit or value < -limit:
                            container[key] = None
                elif kind is str:
                    if wanted is not None and (len(value) >= floor or not value.isascii()) and wanted(value):
                        found.append((container, key))
                elif kind is dict:
                    stack.append((value, iter(value.items())))
                    break
                elif kind is list:
                    stack.append((value, iter(enumerate(value))))
                    break
            else:
                stack.pop()

    out = []
    for event in events:
        delta = event.pop("ids", None) is not None
        found = []
        if delta or wanted is not None:
            ids = ID_KEYS if delta else NO_IDS
            for key in ID_KEYS:
                last[key] = 0
            walk(event, event.items(), 0)
        out.append(found)
    walk = deep = None  # `walk` calls itself: unbound, it goes now, not at a collection
    return out


# A number in a text (docs/protocol.md, "Text changes"); static/recorder-js/src/text.js reads it the same way.
NUMBER = re.compile(r"([^0-9+-]*)([+-]?)([0-9]+(?:,[0-9]{3})*)(?:\.([0-9]+))?([\s\S]*)")
NUMBER_DIGITS = 15
SAFE_INTEGER = 2**53 - 1


def number_apply(text: str, step: int) -> str | None:
    """`text` with its number plus `step` (in units of its last digit), the same decimals (and commas
    between groups of three digits, if `text` had them) and the same text around it; a positive number
    keeps a sign where `text` had one. None when `text` holds no such number or the result leaves the
    integers a double holds exactly."""
    match = NUMBER.fullmatch(text)
    if match is None:
        return None
    before, sign, grouped, decimals, after = match.groups(default="")
    whole = grouped.replace(",", "")
    if len(whole) + len(decimals) > NUMBER_DIGITS:
        return None
    value = int(whole + decimals) * (-1 if sign == "-" else 1) + step
    if abs(value) > SAFE_INTEGER:
        return None
    digits = str(abs(value)).zfill(len(decimals) + 1)
    whole, decimals = digits[:len(digits) - len(decimals)], digits[len(digits) - len(decimals):]
    if "," in grouped:
        whole = f"{int(whole):,}"
    return before + ("-" if value < 0 else "+" if sign else "") + whole + (f".{decimals}" if decimals else "") + after


# What a batch's number steps and attribute columns may add when they are restored, in characters: each
# step is a whole text again, and each column's entry repeats its attribute's name, so a hostile batch of
# a few hundred bytes could make hundreds of megabytes of events. The recorder's batches add far less
# (a batch is at most 800,000 characters of JSON before it is encoded); past this, a step is a null text
# and a column's further changes are left out (docs/protocol.md).
RESTORED_MAX_CHARS = 8 * 1024 * 1024


class RestoreBudget:
    """What one batch's number steps and attribute columns may still add when restored, in characters."""

    def __init__(self):
        self.chars = RESTORED_MAX_CHARS


class TextsShown:
    """The text each node was last given in a batch's DOM changes, to undo the recorder's number steps.

    One per batch; the texts its steps make are paid from the batch's RestoreBudget."""

    def __init__(self, budget: RestoreBudget):
        self.shown: dict = {}
        self.budget = budget

    def _step_paid(self, before: Any, step: Any) -> str | None:
        """The text `step` makes of `before`, paid from the budget; None once the budget is spent."""
        text = _stepped(before, step)
        if text is not None:
            self.budget.chars -= len(text)
            if self.budget.chars < 0:
                return None
        return text

    def restore(self, event: dict) -> list[tuple[dict, str]]:
        """Give back, in place, each text written as a step (ids already restored): a text change
        `{"id": …, "n": k}` steps from the node's text before; an added text node `{"type": 3, "id": …,
        "n": k}` from the text of the one text node removed from the same parent in the same change;
        steps in columns (`"textSteps": [ids, steps]`, the steps a list or a string) join the text changes,
        after the others. A
        step with nothing to apply it to (a hostile or broken client) becomes a null text, as rrweb writes
        a text that went away. Returns where it wrote a text (object and key)."""
        made: list[tuple[dict, str]] = []
        data = event.get("data")
        if event.get("type") != 3 or type(data) is not dict or data.get("source") != 0:
            return made
        shown = self.shown
        columns = data.pop("textSteps", None)
        steps = columns[1] if type(columns) is list and len(columns) == 2 else None
        if type(steps) is str:
            steps = steps_read(steps)
        if type(steps) is list and type(columns[0]) is list and type(data.get("texts")) is list:
            # Steps written in two columns: ids as differences (the first as it is), then the steps.
            node = 0
            for difference, step in zip(columns[0], steps):
                if type(difference) is int:
                    node += difference
                    if -ID_LIMIT <= node <= ID_LIMIT:  # (a hostile list's sum may leave what the player reads)
                        data["texts"].append({"id": node, "n": step})
        for change in _dicts(data.get("texts")):
            node = change.get("id")
            if type(node) is not int:
                continue  # ingest refuses it; nothing to key a text by
            if "n" in change:
                step = change.pop("n")
                if "value" not in change:
                    change["value"] = self._step_paid(shown.get(node), step)
                    made.append((change, "value"))
            shown[node] = change.get("value")
        removed: dict = {}  # parentId -> the text of the one text node removed from it, or None when several
        for removal in _dicts(data.get("removes")):
            text = shown.get(removal.get("id")) if type(removal.get("id")) is int else None
            parent = removal.get("parentId")
            if type(text) is str and type(parent) is int:
                removed[parent] = None if parent in removed else text
        for add in _dicts(data.get("adds")):
            node = add.get("node")
            if type(node) is not dict or node.get("type") != 3 or type(node.get("id")) is not int:
                continue
            if "n" in node:
                step = node.pop("n")
                if "textContent" not in node:
                    parent = add.get("parentId")
                    node["textContent"] = self._step_paid(removed.get(parent) if type(parent) is int else None, step)
                    made.append((node, "textContent"))
            shown[node["id"]] = node.get("textContent")
        return made


def attribute_columns_restore(event: dict, budget: RestoreBudget | None = None) -> None:
    """Give back, in place, attribute changes written in columns by attribute name (docs/protocol.md,
    "Attribute changes"): `"attrColumns": [[name, ids, values], ...]`, the ids as differences within the
    column (the first as it is), become `{"id": …, "attributes": {name: value}}` after the event's other
    attribute changes, in ascending id order, which is the order the recorder found them in. What the
    batch's `budget` cannot take of the names repeated is left out."""
    data = event.get("data")
    if event.get("type") != 3 or type(data) is not dict or "attrColumns" not in data:
        return
    changes = []
    columns = data.pop("attrColumns")
    for column in columns if type(columns) is list else ():
        if (type(column) is not list or len(column) != 3 or type(column[0]) is not str
                or type(column[1]) is not list or type(column[2]) is not list):
            continue  # ingest refuses it
        node = 0
        pairs = zip(column[1], column[2])
        if budget is not None:
            cost = len(column[0]) + 32  # an entry as JSON: its name, and {"id": …, "attributes": {…: …}}
            fits = max(0, budget.chars) // cost
            budget.chars -= min(fits, len(column[1])) * cost
            pairs = itertools.islice(pairs, fits)
        for difference, value in pairs:
            if type(difference) is int:
                node += difference
                if -ID_LIMIT <= node <= ID_LIMIT:  # (a hostile list's sum may leave what the player reads)
                    changes.append((node, column[0], value))
    changes.sort(key=lambda change: change[0])
    attributes = data["attributes"] if type(data.get("attributes")) is list else data.setdefault("attributes", [])
    attributes.extend({"id": node, "attributes": {name: value}} for node, name, value in changes)


def _dicts(items: Any) -> list:
    return [item for item in items if type(item) is dict] if type(items) is list else []


def _stepped(before: Any, step: Any) -> str | None:
    return number_apply(before, step) if type(step) is int and type(before) is str else None
