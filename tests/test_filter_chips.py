"""The session list's chips, read from the query string: their words, and the list each one links to."""
from urllib.parse import parse_qs

import pytest
from django.http import QueryDict

from replay.templatetags.filter_chips import filter_chips_of


def labels(query: str) -> list[str]:
    return [chip.label for chip in filter_chips_of(QueryDict(query))]


@pytest.mark.parametrize("query, expected", [
    ("", []),
    ("date_from=2026-11-01&date_to=2026-11-30", ["From 2026-11-01", "To 2026-11-30"]),
    ("min_duration=030&max_duration=600", ["At least 30 s long", "At most 600 s long"]),
    ("identity=alice&identity_contains=ali&visitor=v-1", ["Identity is alice", "Identity contains ali", "Visitor v-1"]),
    ("tag=plan", ["Tag plan"]),
    ("tag=plan&tag_value=gold", ["Tag plan = gold"]),
    ("url=checkout&browser=chrome&os=windows&device=tablet",
     ["Visited URL contains checkout", "Browser chrome", "OS windows", "Device tablet"]),
    ("errors=1&live=1&sort=longest", ["With errors", "Live now", "Longest first"]),
    # What the list ignores gets no chip: it would claim a filter that is not applied.
    ("errors=yes&live=0&sort=newest&min_duration=abc&max_duration=-5&tag_value=gold&identity=+&after=1_2&t=5", []),
    # A day that does not exist, or no date at all, filters nothing; nor does a value with a NUL (Postgres refuses it).
    ("date_from=2025-02-30&date_to=yesterday&identity=a%00b&url=%00", []),
    ("date_from=2026-11-01T10:00:00%2B01:00&tag=plan&tag_value=%00", ["From 2026-11-01T10:00:00+01:00", "Tag plan"]),
    # A browser or OS given as a version alone is no filter: the list leaves it out, and so do the chips.
    ("browser=12&os=v10.0", []),
    ("browser=Chrome%20120&os=Windows%2010", ["Browser Chrome 120", "OS Windows 10"]),
    # Form order, whatever the order in the address.
    ("sort=longest&browser=chrome&date_from=2026-11-01", ["From 2026-11-01", "Browser chrome", "Longest first"]),
])
def test_chips_name_each_filter_in_use_in_words(query, expected):
    assert labels(query) == expected


def test_each_chip_links_to_the_list_without_its_filter_and_from_the_first_page():
    params = QueryDict("tag=plan&tag_value=gold&browser=chrome&after=2026-11-01T10:00:00_42&errors=1")

    chips = {chip.label: parse_qs(chip.query) for chip in filter_chips_of(params)}

    assert chips == {
        "Tag plan = gold": {"browser": ["chrome"], "errors": ["1"]},
        "Browser chrome": {"tag": ["plan"], "tag_value": ["gold"], "errors": ["1"]},
        "With errors": {"tag": ["plan"], "tag_value": ["gold"], "browser": ["chrome"]},
    }


def test_the_last_chip_links_to_the_bare_list():
    (chip,) = filter_chips_of(QueryDict("url=%2Fcheckout%3Fa%3D1%26b"))
    assert chip.label == "Visited URL contains /checkout?a=1&b"
    assert chip.query == ""
