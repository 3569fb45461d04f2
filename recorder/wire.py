"""The recorder's wire encodings, undone: what the recorder sends becomes plain rrweb events.

Pure functions, no I/O, no recursion (a page's DOM may be thousands of
elements deep). docs/protocol.md describes each encoding.
"""
from typing import Any

ID_KEYS = frozenset({"id", "parentId", "nextId", "previousId"})


def node_ids_restore(event: dict) -> None:
    """Undo the recorder's id encoding (docs/protocol.md, "Node ids"), in place.

    With `"ids": "delta"`, each integer under an id-like key is its value
    minus the previous value of the same key, in the event's JSON order,
    which is the order json.loads keeps.
    """
    if event.pop("ids", None) is None:
        return
    last = dict.fromkeys(ID_KEYS, 0)
    # Depth-first in document order (an element's "childNodes" come before its
    # "id"), with a stack of iterators instead of recursion.
    # This runs on every node of every batch: exact type checks (bool is not
    # an id), no helper calls.
    stack: list[tuple[Any, Any]] = [(event, iter(event.items()))]
    while stack:
        container, items = stack[-1]
        for key, value in items:
            kind = type(value)
            if kind is int:
                if key in ID_KEYS:
                    container[key] = last[key] = value + last[key]
            elif kind is dict:
                stack.append((value, iter(value.items())))
                break
            elif kind is list:
                stack.append((value, iter(enumerate(value))))
                break
        else:
            stack.pop()
