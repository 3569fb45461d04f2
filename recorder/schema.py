"""The batch format as types, for msgspec: ingest checks a batch in C, without building it in Python.

The same rules as `processing.batch_validate` (which takes over for what
msgspec cannot read: nesting deeper than its recursion limit, lone UTF-16
surrogates); tests/test_schema.py holds the two to the same verdicts. The
rules: the envelope's types; each event's type, timestamp and data; inside
events, every type the worker or the player relies on.

Every type is `gc=False`: a batch read from JSON is a tree, never a cycle, so
the collector need not track its thousands of objects (read alone, a batch
decodes about a tenth faster so; under load, collections triggered by one
request's reading land on every other request's time).
"""
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from .wire import ID_LIMIT, step_text_count

MAX_TIMESTAMP = 32_503_680_000_000  # 3000-01-01 in ms

NodeId = Annotated[int, Meta(ge=-ID_LIMIT, le=ID_LIMIT)]
Timestamp = Annotated[int, Meta(ge=0, le=MAX_TIMESTAMP)]
AttributeValue = str | int | float | bool | None
Step = Annotated[int, Meta(ge=-ID_LIMIT, le=ID_LIMIT)]  # docs/protocol.md, "Text changes"


# rrweb-snapshot's serialized nodes, told apart by "type".
class _Node(Struct, tag_field="type", kw_only=True, gc=False):
    id: NodeId
    childNodes: "list[Node] | None" = None


class DocumentNode(_Node, tag=0):
    pass


class DocumentTypeNode(_Node, tag=1):
    pass


class ElementNode(_Node, tag=2):
    tagName: str
    attributes: dict[str, AttributeValue]


class TextNode(_Node, tag=3):
    textContent: str | None = None
    n: "Step | UnsetType" = UNSET  # added in a DOM change: a step of the text it replaces


class CDataNode(_Node, tag=4):
    textContent: str | None = None


class CommentNode(_Node, tag=5):
    textContent: str | None = None


Node = DocumentNode | DocumentTypeNode | ElementNode | TextNode | CDataNode | CommentNode


# rrweb's incremental sources, told apart by "source". A present "id" is always a node id.
class _Source(Struct, tag_field="source", kw_only=True, gc=False):
    id: NodeId | UnsetType = UNSET


class TextChange(Struct, gc=False):
    id: NodeId
    value: str | None = None
    n: Step | UnsetType = UNSET  # a step of the number shown before


class AttributeChange(Struct, gc=False):
    id: NodeId
    attributes: dict[str, str | dict[str, Any] | None]


class Removal(Struct, gc=False):
    parentId: NodeId
    id: NodeId


class Addition(Struct, gc=False):
    parentId: NodeId
    node: Node
    nextId: NodeId | None = None


class Mutation(_Source, tag=0):
    texts: list[TextChange]
    attributes: list[AttributeChange]
    removes: list[Removal]
    adds: list[Addition]
    textSteps: tuple[list[NodeId], list[Step] | str] | UnsetType = UNSET  # text changes as [ids, steps]
    # attribute changes as [[name, ids, values], ...]
    attrColumns: list[tuple[str, list[NodeId], list[str | None]]] | UnsetType = UNSET

    def __post_init__(self):
        if self.textSteps is not UNSET:
            ids, steps = self.textSteps
            if len(ids) != (len(steps) if type(steps) is list else step_text_count(steps)):
                raise ValueError("textSteps must hold as many steps as ids")
        if self.attrColumns is not UNSET and any(len(ids) != len(values) for _, ids, values in self.attrColumns):
            raise ValueError("attrColumns must hold as many values as ids")


class Position(Struct, gc=False):
    x: float
    y: float
    id: NodeId
    timeOffset: float | None = None


class MouseMove(_Source, tag=1):
    positions: list[Position]


class MouseInteraction(_Source, tag=2):
    id: NodeId
    type: int


class Scroll(_Source, tag=3):
    id: NodeId
    x: float
    y: float


class ViewportResize(_Source, tag=4):
    width: float
    height: float


class Input(_Source, tag=5):
    id: NodeId
    text: str | None = None
    isChecked: bool | None = None


class TouchMove(_Source, tag=6):
    positions: list[Position]


class Drag(_Source, tag=12):
    positions: list[Position]


class SelectionRange(Struct, gc=False):
    start: NodeId
    end: NodeId


class Selection(_Source, tag=14):
    ranges: list[SelectionRange]


_OTHER_SOURCES = tuple(
    msgspec.defstruct(f"Source{number}", [], bases=(_Source,), tag=number) for number in (7, 8, 9, 10, 11, 13, 15, 16)
)
Incremental = (
    Mutation | MouseMove | MouseInteraction | Scroll | ViewportResize | Input | TouchMove | Drag | Selection
    | _OTHER_SOURCES[0] | _OTHER_SOURCES[1] | _OTHER_SOURCES[2] | _OTHER_SOURCES[3] | _OTHER_SOURCES[4]
    | _OTHER_SOURCES[5] | _OTHER_SOURCES[6] | _OTHER_SOURCES[7]
)


class FullSnapshotData(Struct, gc=False):
    node: Node
    initialOffset: dict[str, Any] | None = None


class MetaData(Struct, gc=False):
    href: str | None = None
    width: float | None = None
    height: float | None = None


class CustomData(Struct, gc=False):
    tag: str
    payload: Any = None


# rrweb's events, told apart by "type".
class _Event(Struct, tag_field="type", kw_only=True, gc=False):
    timestamp: Timestamp
    ids: Literal["delta"] | UnsetType = UNSET


class DomContentLoaded(_Event, tag=0):
    data: dict[str, Any]


class Load(_Event, tag=1):
    data: dict[str, Any]


class FullSnapshot(_Event, tag=2):
    data: FullSnapshotData


class IncrementalSnapshot(_Event, tag=3):
    data: Incremental


class MetaEvent(_Event, tag=4):
    data: MetaData


class CustomEvent(_Event, tag=5):
    data: CustomData


class Plugin(_Event, tag=6):
    data: dict[str, Any]


Event = DomContentLoaded | Load | FullSnapshot | IncrementalSnapshot | MetaEvent | CustomEvent | Plugin


class Batch(Struct, gc=False):
    wid: Any = None
    vid: Any = None
    sid: Any = None
    seq: Any = None
    sent: Any = None
    events: list[Event] = []


decoder = msgspec.json.Decoder(Batch)
