"""The session list's active filters as removable chips, read from the query string alone.

Each chip names one filter in words and links to the same list without it (and from its first
page). What the list's filters ignore (a length that is not a number, a flag that is not `1`)
gets no chip, so that no chip claims a filter that is not applied.
"""
from dataclasses import dataclass

from django import template
from django.http import QueryDict
from django.utils.text import Truncator

from replay.filters import family_name, moment_parse, number_parse, param_get

register = template.Library()

# The cursor of the list's later pages: a narrower or wider list starts again from its first page.
_PAGING = ("after",)


# A chip shows this many characters of the values it names (whole in its aria-label).
CHIP_VALUES_SHOWN = 90


class Value(str):
    """What the visitor or the address typed, shown in a <bdi>: a right-to-left override in it reorders
    nothing around it (the chip's words, its other value, its ×)."""


@dataclass(frozen=True)
class Chip:
    parts: tuple[str, ...]  # words, and Values
    query: str  # the query string without this filter ("" for none)
    is_filter: bool = True  # False for the order, which leaves every session in the list

    @property
    def label(self) -> str:
        return "".join(self.parts)

    @property
    def shown(self) -> list[tuple[str, bool]]:
        """(text, is_value) to show, the values cut short together."""
        each = CHIP_VALUES_SHOWN // max(sum(isinstance(p, Value) for p in self.parts), 1)
        return [(Truncator(p).chars(each), True) if isinstance(p, Value) else (p, False) for p in self.parts]


def _label(name: str, value: str, params: QueryDict) -> tuple[str, ...] | None:
    """The words and values of one filter's chip, or None when the list ignores this value."""
    if name in ("date_from", "date_to"):
        if moment_parse(value, end=name == "date_to") is None:
            return None
        return ("From " if name == "date_from" else "To ", Value(value))
    if name in ("min_duration", "max_duration"):
        if (seconds := number_parse(value)) is None:
            return None
        return (f"{'At least' if name == 'min_duration' else 'At most'} {seconds} s long",)
    if name == "tag":
        tag_value = param_get(params, "tag_value")
        return ("Tag ", Value(value), " = ", Value(tag_value)) if tag_value else ("Tag ", Value(value))
    if name in FLAGS:
        return (FLAGS[name],) if value == "1" else None
    if name in ("browser", "os") and not family_name(value):
        return None  # a version alone ("12") names no browser
    if name == "sort":
        order = {"longest": "Longest first", "friction": "Most frustrated first"}.get(value)
        return (order,) if order else None
    words = {
        "identity": "Identity is", "identity_contains": "Identity contains", "visitor": "Visitor",
        "url": "Visited URL contains", "page_url": "Visited", "frustrated_on": "Frustrated on", "browser": "Browser", "os": "OS", "device": "Device",
    }
    return (f"{words[name]} ", Value(value)) if name in words else None


FLAGS = {"errors": "With errors", "live": "Live now", "rage": "Rage clicks", "dead": "Dead clicks",
         "error_click": "Error clicks", "quick_back": "Quick backs"}
# The filters in the order of the form; tag_value is shown and removed with its tag.
FILTERS = ["date_from", "date_to", "min_duration", "max_duration", "identity", "identity_contains", "visitor",
           "tag", "url", "page_url", "frustrated_on", "browser", "os", "device", "errors", "rage", "dead", "error_click", "quick_back", "live", "sort"]
_TOGETHER = {"tag": ("tag", "tag_value")}


def filter_chips_of(params: QueryDict) -> list[Chip]:
    """One chip per filter in use, each with the query string that drops it."""
    chips = []
    for name in FILTERS:
        value = param_get(params, name)  # as the list's filters read it
        parts = _label(name, value, params) if value else None
        if parts is None:
            continue
        rest = params.copy()
        for key in (*_TOGETHER.get(name, (name,)), *_PAGING):
            rest.pop(key, None)
        chips.append(Chip(parts=parts, query=rest.urlencode(), is_filter=name != "sort"))
    return chips


@register.simple_tag
def filter_chips(params: QueryDict) -> list[Chip]:
    """{% filter_chips params as chips %}"""
    return filter_chips_of(params)


@register.filter
def filters_in_use(chips: list[Chip]) -> int:
    """How many chips narrow the list (the order alone does not): the count on the folded form's summary."""
    return sum(chip.is_filter for chip in chips)
