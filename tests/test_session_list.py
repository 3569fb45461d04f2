"""The dashboard's session list: every filter alone and together, both sorts, keyset pages, access, cost.

Sessions are made the way visitors make them: a batch posted to ingest and stored by the
worker's task (to S3 over HTTP), so identity, tags, pages, errors and device come from events
and the User-Agent, not from hand-set rows. Only the pagination and query-count tests, which
need many sessions and nothing from their events, create rows directly.
"""
import html
import re
import uuid
from datetime import datetime, timedelta, timezone as dt_timezone
from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from recorder.models import Chunk, Session
from recorder.tasks import chunk_process
from sites.models import Membership
from tests.conftest import leased_wait, make_batch, post_batch
from tests.factories import SessionFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db

AGENTS = {
    "chrome-windows": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                      "Chrome/126.0.0.0 Safari/537.36",
    "firefox-linux": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "safari-iphone": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                     "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "safari-ipad": "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                   "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
}
SHOP = "https://shop.example.com"


def custom(tag: str, payload: dict, timestamp: int) -> dict:
    return {"type": 5, "data": {"tag": tag, "payload": payload}, "timestamp": timestamp}


def visit_events(start: int, *, duration_s: float, paths, identity: str | None, tags: dict | None,
                 errors: int) -> list[dict]:
    """A visit of `duration_s` seconds from `start` (ms): pages, identity, tags, errors, a last click."""
    events = [{"type": 4, "data": {"href": SHOP + paths[0], "width": 1280, "height": 720}, "timestamp": start}]
    for index, path in enumerate(paths):
        kind = "load" if index == 0 else "push"
        events.append(custom("hs.page", {"url": SHOP + path, "title": path, "kind": kind, "referrer": ""},
                             start + index * 10))
    if identity is not None:
        events.append(custom("hs.identify", {"id": identity}, start + 50))
    if tags:
        events.append(custom("hs.tag", {"tags": tags}, start + 60))
    for number in range(errors):
        events.append(custom("hs.error", {"kind": "error", "message": f"Boom {number}", "source": "", "line": 1,
                                          "col": 1, "stack": ""}, start + 70 + number))
    events.append({"type": 3, "data": {"source": 2, "type": 2, "id": 1, "x": 5, "y": 5},
                   "timestamp": start + int(duration_s * 1000)})
    return events


def store_session(client, site, *, started: datetime, duration_s: float = 5, paths=("/",), identity=None,
                  tags=None, errors: int = 0, agent: str = "chrome-windows", vid: str = "visitor-0001") -> Session:
    """Post one batch to ingest as a browser would and store it with the worker's task."""
    events = visit_events(int(started.timestamp() * 1000), duration_s=duration_s, paths=list(paths),
                          identity=identity, tags=tags, errors=errors)
    batch = make_batch(site.pk, sid=str(uuid.uuid4()), vid=vid, events=events)
    assert post_batch(client, batch, HTTP_USER_AGENT=AGENTS[agent]).status_code == 202
    chunk = Chunk.objects.get(session_id=batch["sid"], seq=0)
    chunk_process.apply(args=[chunk.pk])
    leased_wait([chunk.pk])
    return Session.objects.get(pk=batch["sid"])


def catalog(client, site) -> dict[str, Session]:
    """Four visitors who differ in every way a filter can tell; only alice is still live."""
    now = timezone.now().replace(microsecond=0)
    sessions = {
        "alice": store_session(client, site, started=now - timedelta(days=1), duration_s=40,
                               paths=("/", "/checkout"), identity="alice@example.com",
                               tags={"plan": "gold", "role": "admin"}, errors=1, agent="chrome-windows"),
        "bob": store_session(client, site, started=now - timedelta(days=3), duration_s=12, paths=("/",),
                             identity="bob@corp.test", tags={"plan": "free"}, agent="firefox-linux"),
        "carol": store_session(client, site, started=now - timedelta(days=10), duration_s=3, paths=("/blog/tea",),
                               tags={"vip": "true"}, agent="safari-iphone"),
        "dave": store_session(client, site, started=now - timedelta(days=20), duration_s=90,
                              paths=("/checkout/pay",), identity="Alice Cooper", errors=2, agent="safari-ipad"),
    }
    Session.objects.exclude(pk=sessions["alice"].pk).update(
        status=Session.FINISHED, received_at=now - timedelta(hours=1))
    return sessions


def day(days_ago: int) -> str:
    return (timezone.now() - timedelta(days=days_ago)).date().isoformat()


# (query, names expected in list order, newest first unless sorted). Shared with the API's tests.
FILTER_CASES = [
    pytest.param({}, ["alice", "bob", "carol", "dave"], id="no-filter"),
    pytest.param({"date_from": lambda: day(5)}, ["alice", "bob"], id="date-from"),
    pytest.param({"date_to": lambda: day(5)}, ["carol", "dave"], id="date-to"),
    # A date as the end of the range takes in that whole day.
    pytest.param({"date_to": lambda: day(3)}, ["bob", "carol", "dave"], id="date-to-is-inclusive"),
    pytest.param({"date_from": lambda: day(12), "date_to": lambda: day(5)}, ["carol"], id="date-range"),
    pytest.param({"date_from": lambda: (timezone.now() - timedelta(days=2)).isoformat()}, ["alice"],
                 id="date-from-iso-time"),
    pytest.param({"min_duration": "12"}, ["alice", "bob", "dave"], id="min-duration"),
    pytest.param({"max_duration": "12"}, ["bob", "carol"], id="max-duration"),
    pytest.param({"min_duration": "10", "max_duration": "60"}, ["alice", "bob"], id="duration-range"),
    pytest.param({"identity": "alice@example.com"}, ["alice"], id="identity-exact"),
    pytest.param({"identity": "alice"}, [], id="identity-exact-is-not-contains"),
    pytest.param({"identity_contains": "ALICE"}, ["alice", "dave"], id="identity-contains-any-case"),
    pytest.param({"identity_contains": "corp"}, ["bob"], id="identity-contains"),
    pytest.param({"tag": "plan"}, ["alice", "bob"], id="tag-key"),
    pytest.param({"tag": "plan", "tag_value": "gold"}, ["alice"], id="tag-value"),
    pytest.param({"tag": "role", "tag_value": "gold"}, [], id="tag-value-of-another-key"),
    pytest.param({"tag": "vip"}, ["carol"], id="bare-tag"),
    pytest.param({"url": "checkout"}, ["alice", "dave"], id="visited-url"),
    pytest.param({"url": "/blog/"}, ["carol"], id="visited-url-path"),
    pytest.param({"errors": "1"}, ["alice", "dave"], id="with-errors"),
    pytest.param({"browser": "firefox"}, ["bob"], id="browser-any-case"),
    pytest.param({"browser": "Mobile Safari"}, ["carol", "dave"], id="browser"),
    pytest.param({"os": "iOS"}, ["carol", "dave"], id="os"),
    pytest.param({"os": "windows"}, ["alice"], id="os-any-case"),
    pytest.param({"device": "desktop"}, ["alice", "bob"], id="device-desktop"),
    pytest.param({"device": "mobile"}, ["carol"], id="device-mobile"),
    pytest.param({"device": "tablet"}, ["dave"], id="device-tablet"),
    pytest.param({"live": "1"}, ["alice"], id="live-now"),
    pytest.param({"sort": "longest"}, ["dave", "alice", "bob", "carol"], id="sort-longest"),
    pytest.param({"sort": "newest"}, ["alice", "bob", "carol", "dave"], id="sort-newest"),
    pytest.param({"errors": "1", "device": "desktop"}, ["alice"], id="errors-and-device"),
    pytest.param({"tag": "plan", "min_duration": "20", "url": "checkout"}, ["alice"], id="tag-duration-url"),
    pytest.param({"identity_contains": "alice", "device": "tablet"}, ["dave"], id="identity-and-device"),
    pytest.param({"url": "checkout", "sort": "longest", "date_to": lambda: day(0)}, ["dave", "alice"],
                 id="url-date-sorted-longest"),
    pytest.param({"os": "iOS", "max_duration": "5", "tag": "vip", "date_from": lambda: day(15)}, ["carol"],
                 id="four-together"),
    pytest.param({"browser": "firefox", "errors": "1"}, [], id="nothing-matches"),
    # Malformed values are ignored, not a server error.
    pytest.param({"min_duration": "ten", "date_from": "yesterday", "errors": "yes"},
                 ["alice", "bob", "carol", "dave"], id="malformed-values-ignored"),
    pytest.param({"date_from": "2025-02-30", "date_to": "2025-13-45T10:00:00"},
                 ["alice", "bob", "carol", "dave"], id="impossible-dates-ignored"),
    pytest.param({"max_duration": "9" * 30}, ["alice", "bob", "carol", "dave"], id="huge-number"),
    pytest.param({"min_duration": "9" * 30}, [], id="huge-minimum"),
]


def query_of(params: dict) -> dict:
    return {name: value() if callable(value) else value for name, value in params.items()}


def names_of(ids, sessions: dict[str, Session]) -> list[str]:
    by_id = {str(session.pk): name for name, session in sessions.items()}
    return [by_id[str(pk)] for pk in ids]


def listed_ids(response) -> list[str]:
    return re.findall(r'<tr data-session="([0-9a-f-]+)"', response.content.decode())


@pytest.mark.parametrize("params, expected", FILTER_CASES)
def test_the_list_shows_exactly_the_sessions_a_filter_selects(client, site, owner, params, expected):
    sessions = catalog(client, site)
    client.force_login(owner)

    response = client.get(reverse("session-list", args=[site.pk]), query_of(params))

    assert response.status_code == 200
    assert names_of(listed_ids(response), sessions) == expected


def test_the_list_row_shows_what_the_events_said(client, site, owner):
    sessions = catalog(client, site)
    client.force_login(owner)

    page = client.get(reverse("session-list", args=[site.pk])).content.decode()

    row = re.search(rf'<tr data-session="{sessions["alice"].pk}">(.*?)</tr>', page, re.S).group(1)
    assert "alice@example.com" in row
    assert "plan: gold" in row and "role: admin" in row
    assert "0:40" in row
    assert "1 err" in row
    assert re.search(r">Chrome <span[^>]*>Windows · desktop</span>", row)
    assert ">live</span>" in row
    bob = re.search(rf'<tr data-session="{sessions["bob"].pk}">(.*?)</tr>', page, re.S).group(1)
    assert ">live</span>" not in bob and "err</span>" not in bob


@pytest.mark.parametrize("raw, shown", [
    ("https://shop.example.com/caf%C3%A9%20menu?q=%E2%9C%93", "https://shop.example.com/café menu?q=✓"),
    # What would change the address, malformed escapes and characters that reorder or hide text stay escaped.
    ("/a%2Fb?x=1%262%3D3%23", "/a%2Fb?x=1%262%3D3%23"),
    ("/bad%E2%9C/%ZZ/%", "/bad%E2%9C/%ZZ/%"),
    ("/x%E2%80%AEgpj.exe%00", "/x%E2%80%AEgpj.exe%00"),
    ("/100%25", "/100%"),
])
def test_addresses_read_decoded_as_the_player_shows_them(raw, shown):
    from replay.templatetags.hindsight import readable_url

    assert readable_url(raw) == shown


def test_the_list_shows_an_entry_page_decoded_with_its_raw_address_in_its_tooltip(client, site, owner):
    """Its path first, then its host: cut to the column's width, the whole address showed only the host
    (`https://shop.example.co…`), the same in every row."""
    raw = "https://shop.example.com/caf%C3%A9/men%C3%BC?q=%E2%9C%93"
    SessionFactory(site=site, entry_url=raw, started_at=timezone.now(), duration_ms=5000, chunk_count=1)
    client.force_login(owner)

    page = client.get(reverse("session-list", args=[site.pk])).content.decode()

    cell = re.search(r'<td data-label="Entry page" class="url" title="([^"]*)">(.*?)</td>', page)
    assert cell.groups() == (raw, '<span class="entry-path">/café/menü?q=✓</span>'
                                  '<span class="system muted">shop.example.com</span>')


def test_the_filter_form_keeps_the_values_it_was_given(client, site, owner):
    catalog(client, site)
    client.force_login(owner)
    params = {"identity_contains": "alice", "tag": "plan", "tag_value": "gold", "device": "tablet",
              "sort": "longest", "errors": "1", "min_duration": "7"}

    page = client.get(reverse("session-list", args=[site.pk]), params).content.decode()

    assert 'name="identity_contains" value="alice"' in page
    assert 'name="tag_value" value="gold"' in page
    assert 'name="min_duration" value="7"' in page
    assert '<option value="tablet" selected>' in page
    assert '<option value="longest" selected>' in page
    assert 'name="errors" value="1" checked' in page


def test_the_filter_form_offers_and_keeps_bots_as_the_api_does(client, site, owner):
    """`device=bot` (a documented value) showed "Any" in the form: applying another filter dropped it."""
    client.force_login(owner)

    page = client.get(reverse("session-list", args=[site.pk]), {"device": "bot"}).content.decode()

    assert '<option value="bot" selected>Bot</option>' in page


def test_replay_links_carry_the_filters_to_the_player(client, site, owner):
    sessions = catalog(client, site)
    client.force_login(owner)

    page = client.get(reverse("session-list", args=[site.pk]), {"errors": "1"}).content.decode()

    player = reverse("session-player", args=[site.pk, sessions["alice"].pk])
    assert f'href="{player}?errors=1"' in page


def test_each_replay_link_is_named_by_its_sessions_identity_and_start(client, site, owner, settings):
    """Every link read just "Replay": a screen reader's list of links could not tell them apart."""
    settings.TIME_ZONE = "UTC"
    for identity, hour in (("alice@example.com", 9), ("", 10)):
        SessionFactory(site=site, status=Session.FINISHED, chunk_count=1, duration_ms=5000, page_count=1,
                       identity=identity, started_at=datetime(2026, 1, 5, hour, 0, tzinfo=dt_timezone.utc))
    client.force_login(owner)

    page = client.get(reverse("session-list", args=[site.pk])).content.decode()

    assert 'aria-label="Replay the session of alice@example.com started 2026-01-05 09:00">Replay</a>' in page
    assert 'aria-label="Replay the session of an anonymous visitor started 2026-01-05 10:00">Replay</a>' in page


def test_an_empty_result_says_so_and_offers_to_clear(client, site, owner):
    catalog(client, site)
    client.force_login(owner)

    page = client.get(reverse("session-list", args=[site.pk]), {"identity": "nobody"}).content.decode()

    assert "No sessions match these filters" in page
    assert "Clear the filters" in page


def test_a_site_without_sessions_says_so_whatever_the_order_asked_for(client, site, owner):
    """The order is no filter: a new site sorted by length has no sessions yet, not none matching."""
    client.force_login(owner)
    for params in ({}, {"sort": "longest"}, {"sort": "friction"}, {"date_from": "2025-02-30"}):
        page = client.get(reverse("session-list", args=[site.pk]), params).content.decode()
        assert "No sessions yet" in page, params
        assert reverse("site-install", args=[site.pk]) in page
        assert "match these filters" not in page


def test_the_folded_filters_count_the_filters_in_use_but_not_the_order(client, site, owner):
    """The summary said "Filters 7" for six filters and a sort: the order narrows nothing."""
    client.force_login(owner)
    url = reverse("session-list", args=[site.pk])
    count = re.compile(r'<span class="filters-count">(\d+)<')

    filtered = client.get(url, {"errors": "1", "browser": "firefox", "sort": "longest"}).content.decode()
    ordered = client.get(url, {"sort": "friction"}).content.decode()

    assert count.findall(filtered) == ["2"]
    assert count.findall(ordered) == []


def test_a_page_past_the_end_of_the_list_leads_back_to_its_first_page(client, site, owner):
    """Its sessions deleted since it was linked, the page says so rather than that no session matches."""
    sessions = catalog(client, site)
    client.force_login(owner)
    oldest = sessions["dave"]
    cursor = f"{oldest.started_at.isoformat()}_{oldest.pk}"

    page = client.get(reverse("session-list", args=[site.pk]), {"errors": "1", "after": cursor}).content.decode()

    assert "No more sessions" in page and "match these filters" not in page
    assert 'href="?errors=1">Back to the first page' in page


def test_the_player_s_heading_says_a_live_session_is_in_progress_instead_of_its_length_so_far(client, site, owner):
    now = timezone.now()
    live = SessionFactory(site=site, status=Session.ACTIVE, received_at=now, started_at=now - timedelta(seconds=1),
                          duration_ms=1000, page_count=1)
    done = SessionFactory(site=site, status=Session.FINISHED, received_at=now, started_at=now - timedelta(minutes=5),
                          duration_ms=95_000, page_count=3)
    client.force_login(owner)

    def facts(session) -> str:
        page = client.get(reverse("session-player", args=[site.pk, session.pk])).content.decode()
        return re.search(r'class="player-title">.*?<p class="muted"[^>]*>([^<]*)', page, re.DOTALL).group(1)

    assert "in progress" in facts(live) and "page" not in facts(live)
    assert "in progress" not in facts(done) and "3 pages" in facts(done)


def test_a_length_filter_takes_in_the_lengths_the_list_shows_for_its_seconds(client, site, owner):
    # Lengths are shown in whole seconds: a session of 9.9 s reads 0:09, and "at most 9 s" must list it.
    short = SessionFactory(site=site, status=Session.FINISHED, chunk_count=1, duration_ms=9_900,
                           started_at=timezone.now() - timedelta(hours=1))
    SessionFactory(site=site, status=Session.FINISHED, chunk_count=1, duration_ms=10_000,
                   started_at=timezone.now() - timedelta(hours=2))
    client.force_login(owner)

    response = client.get(reverse("session-list", args=[site.pk]), {"min_duration": "9", "max_duration": "9"})

    assert listed_ids(response) == [str(short.pk)]
    assert '<td data-label="Length">0:09</td>' in response.content.decode()


def test_deleting_from_the_player_goes_back_to_the_list_as_it_was_filtered(client, site, owner):
    session = SessionFactory(site=site, status=Session.FINISHED, chunk_count=1, started_at=timezone.now(),
                             identity="bob@corp.test")
    client.force_login(owner)
    filters = {"identity": "bob@corp.test", "sort": "longest"}

    player = client.get(reverse("session-player", args=[site.pk, session.pk]), {**filters, "t": "3"}).content.decode()
    delete_url = html.unescape(re.search(r'data-testid="delete-session" href="([^"]+)"', player).group(1))
    assert delete_url == reverse("session-delete", args=[site.pk, session.pk]) + "?" + urlencode(filters)
    confirm = client.get(delete_url).content.decode()
    assert f'href="{reverse("session-player", args=[site.pk, session.pk])}?{html.escape(urlencode(filters))}">Cancel' in confirm

    response = client.post(delete_url)

    assert response["Location"] == reverse("session-list", args=[site.pk]) + "?" + urlencode(filters)
    assert not Session.objects.filter(pk=session.pk).exists()


def test_start_times_say_the_time_zone_they_are_shown_in(client, site, owner, settings):
    # The dashboard shows times in TIME_ZONE, not the viewer's own: a viewer elsewhere must be told which.
    settings.TIME_ZONE = "America/New_York"
    session = SessionFactory(site=site, status=Session.FINISHED, chunk_count=1, duration_ms=5000, page_count=1,
                             started_at=datetime(2026, 1, 5, 15, 0, tzinfo=dt_timezone.utc))
    client.force_login(owner)

    listed = client.get(reverse("session-list", args=[site.pk])).content.decode()
    assert '<th scope="col">Started (America/New_York)</th>' in listed
    assert 'data-label="Started (America/New_York)"' in listed and ">2026-01-05 10:00</time>" in listed
    player = client.get(reverse("session-player", args=[site.pk, session.pk])).content.decode()
    assert "2026-01-05 10:00:00 EST · " in player
    delete = client.get(reverse("session-delete", args=[site.pk, session.pk])).content.decode()
    assert "<dd>2026-01-05 10:00:00 EST</dd>" in delete
    audit = client.get(reverse("site-audit", args=[site.pk])).content.decode()
    assert '<th scope="col">Time (America/New_York)</th>' in audit


# --- previous / next in the player follow the filtered, sorted list --------------------------------

def neighbour_links(client, site, session, params) -> tuple[str | None, str | None]:
    url = reverse("session-player", args=[site.pk, session.pk])
    page = client.get(url, params).content.decode()

    def link(testid):
        found = re.search(rf'data-testid="{testid}" href="([^"]+)"', page)
        return html.unescape(found.group(1)) if found else None

    return link("prev-session"), link("next-session")


@pytest.mark.parametrize("params, current, expected", [
    pytest.param({}, "bob", ("alice", "carol"), id="newest"),
    pytest.param({"errors": "1"}, "alice", (None, "dave"), id="errors-skips-bob-and-carol"),
    pytest.param({"errors": "1"}, "dave", ("alice", None), id="errors-last"),
    pytest.param({"sort": "longest"}, "alice", ("dave", "bob"), id="longest"),
    pytest.param({"tag": "plan", "sort": "longest"}, "bob", ("alice", None), id="tag-longest"),
])
def test_previous_and_next_follow_the_filtered_list(client, site, owner, params, current, expected):
    sessions = catalog(client, site)
    client.force_login(owner)

    previous, following = neighbour_links(client, site, sessions[current], params)

    query = "&".join(f"{k}={v}" for k, v in params.items())
    for link, name in zip((previous, following), expected):
        if name is None:
            assert link is None
        else:
            target = reverse("session-player", args=[site.pk, sessions[name].pk])
            assert link == (f"{target}?{query}" if query else target)


def test_the_player_deep_link_time_is_not_carried_to_the_neighbours(client, site, owner):
    sessions = catalog(client, site)
    client.force_login(owner)

    previous, following = neighbour_links(client, site, sessions["bob"], {"t": "30", "sort": "newest"})

    assert previous.endswith("?sort=newest") and following.endswith("?sort=newest")


@pytest.mark.parametrize("params, order", [
    pytest.param({}, lambda s: (s.started_at, s.pk), id="newest"),
    pytest.param({"sort": "longest"}, lambda s: (s.duration_ms, s.pk), id="longest"),
])
def test_next_and_previous_walk_the_whole_list_through_ties(client, site, owner, params, order):
    sessions = sorted(many_sessions(site, 16), key=order, reverse=True)
    client.force_login(owner)

    forward, current = [sessions[0].pk], sessions[0]
    while (following := neighbour_links(client, site, current, params)[1]) is not None:
        current = Session.objects.get(pk=following.split("/sessions/")[1].split("/")[0])
        forward.append(current.pk)
    backward = [current.pk]
    while (previous := neighbour_links(client, site, current, params)[0]) is not None:
        current = Session.objects.get(pk=previous.split("/sessions/")[1].split("/")[0])
        backward.append(current.pk)

    assert forward == [s.pk for s in sessions]
    assert backward == forward[::-1]


# --- keyset pages --------------------------------------------------------------------------------

def many_sessions(site, count: int, *, start: datetime | None = None) -> list[Session]:
    """`count` sessions; runs of five share a start time and runs of three a length, to test tie-breaks."""
    start = start or timezone.now().replace(microsecond=123456)
    return [
        SessionFactory(site=site, started_at=start - timedelta(minutes=number // 5),
                       duration_ms=1000 * (number // 3 % 17 + 1), chunk_count=1,
                       error_count=number % 2, identity=f"user-{number}")
        for number in range(count)
    ]


def pager_link(response, rel: str) -> tuple[str, str] | None:
    """(query, label) of the pager's `next` or `prev` link, or None."""
    found = re.search(rf'<a class="button" rel="{rel}" href="\?([^"]+)">([^<]+)</a>', response.content.decode())
    return (html.unescape(found.group(1)), found.group(2).strip(" ←→")) if found else None


def walk_pages(client, url: str, params: dict | str, rel: str = "next") -> list[list[str]]:
    """Every page of the list from `params` on, following the page's own next (or previous) link."""
    pages, query = [], params
    while True:
        response = client.get(url, query) if isinstance(query, dict) else client.get(f"{url}?{query}")
        assert response.status_code == 200
        pages.append(listed_ids(response))
        link = pager_link(response, rel)
        if not link:
            return pages
        query = link[0]
        assert len(pages) < 10, "the pages never end"


def last_page_query(client, url: str, params: dict) -> str:
    query = urlencode(params)
    while link := pager_link(client.get(f"{url}?{query}"), "next"):
        query = link[0]
    return query


@pytest.mark.parametrize("params, order", [
    pytest.param({}, lambda s: (s.started_at, s.pk), id="newest"),
    pytest.param({"sort": "longest"}, lambda s: (s.duration_ms, s.pk), id="longest"),
])
def test_pages_hold_fifty_sessions_without_overlap_or_gap(client, site, owner, params, order):
    sessions = many_sessions(site, 123)
    client.force_login(owner)

    pages = walk_pages(client, reverse("session-list", args=[site.pk]), params)

    assert [len(page) for page in pages] == [50, 50, 23]
    expected = [str(s.pk) for s in sorted(sessions, key=order, reverse=True)]
    assert sum(pages, []) == expected


def test_later_pages_keep_the_filters(client, site, owner):
    sessions = many_sessions(site, 130)
    client.force_login(owner)

    pages = walk_pages(client, reverse("session-list", args=[site.pk]), {"errors": "1", "sort": "longest"})

    with_errors = [s for s in sessions if s.error_count]
    assert [len(page) for page in pages] == [50, 15]
    expected = sorted(with_errors, key=lambda s: (s.duration_ms, s.pk), reverse=True)
    assert sum(pages, []) == [str(s.pk) for s in expected]


@pytest.mark.parametrize("params, labels", [
    pytest.param({}, ("Newer sessions", "Older sessions"), id="newest"),
    pytest.param({"errors": "1", "sort": "longest"}, ("Longer sessions", "Shorter sessions"), id="filtered-longest"),
])
def test_later_pages_link_back_page_by_page_to_the_first_with_the_filters(client, site, owner, params, labels):
    many_sessions(site, 260)
    client.force_login(owner)
    url = reverse("session-list", args=[site.pk])
    forward = walk_pages(client, url, params)
    assert len(forward) >= 3

    last = last_page_query(client, url, params)
    backward = walk_pages(client, url, last, rel="prev")

    assert backward == forward[::-1]
    first = client.get(url, params)
    assert pager_link(first, "prev") is None
    second = client.get(f"{url}?{pager_link(first, 'next')[0]}")
    back, label = pager_link(second, "prev")
    assert label == labels[0] and pager_link(first, "next")[1] == labels[1]
    assert {k: v for k, v in QueryDict(back).items() if k != "after"} == params


def test_a_bad_cursor_gives_the_first_page(client, site, owner):
    many_sessions(site, 60)
    client.force_login(owner)
    url = reverse("session-list", args=[site.pk])

    first = listed_ids(client.get(url))
    for after in ("nonsense", "not-a-date_123", "_", "12_x"):
        response = client.get(url, {"after": after})
        assert response.status_code == 200
        assert listed_ids(response) == first


@pytest.mark.parametrize("query", [{}, {"identity_contains": "user", "min_duration": "1", "sort": "longest"}],
                         ids=["unfiltered", "filtered"])
@pytest.mark.parametrize("count", [3, 30])
def test_the_list_costs_the_same_queries_however_many_sessions(client, site, owner, count, query,
                                                               django_assert_num_queries):
    many_sessions(site, count)
    client.force_login(owner)
    url = reverse("session-list", args=[site.pk])

    # session, user, membership with its site, one page of sessions
    with django_assert_num_queries(4):
        response = client.get(url, query)
    assert len(listed_ids(response)) == count


# --- who may see it --------------------------------------------------------------------------------

@pytest.fixture
def viewer(site):
    user = UserFactory(username="viewer")
    Membership.objects.create(site=site, user=user, role=Membership.VIEWER)
    return user


def test_an_outsider_gets_404_for_the_list_and_the_player(client, site):
    session = SessionFactory(site=site, started_at=timezone.now(), chunk_count=1)
    outsider = UserFactory(username="outsider")
    SiteFactory(owner=outsider)
    client.force_login(outsider)

    assert client.get(reverse("session-list", args=[site.pk])).status_code == 404
    assert client.get(reverse("session-player", args=[site.pk, session.pk])).status_code == 404


def test_a_session_of_another_site_is_404_through_this_site(client, site, owner):
    other = SessionFactory(started_at=timezone.now(), chunk_count=1)
    client.force_login(owner)

    assert client.get(reverse("session-player", args=[site.pk, other.pk])).status_code == 404


def test_anonymous_is_sent_to_log_in(client, site):
    session = SessionFactory(site=site, started_at=timezone.now(), chunk_count=1)
    for url in (reverse("session-list", args=[site.pk]), reverse("session-player", args=[site.pk, session.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_a_viewer_sees_sessions_but_no_settings_or_delete(client, site, owner, viewer):
    session = SessionFactory(site=site, started_at=timezone.now(), chunk_count=1)
    settings_url = reverse("site-settings", args=[site.pk])
    delete_url = reverse("session-delete", args=[site.pk, session.pk])

    client.force_login(viewer)
    listing = client.get(reverse("session-list", args=[site.pk])).content.decode()
    player = client.get(reverse("session-player", args=[site.pk, session.pk])).content.decode()

    assert str(session.pk) in listing
    assert settings_url not in listing and settings_url not in player
    assert 'data-testid="delete-session"' not in player and delete_url not in player

    client.force_login(owner)
    player = client.get(reverse("session-player", args=[site.pk, session.pk])).content.decode()
    assert settings_url in player and delete_url in player


def test_a_session_whose_browser_is_unknown_shows_no_stray_separators(client, site, owner):
    """A session with no browser, system or device known (an agent the parser cannot read)."""
    session = SessionFactory(site=site, browser="", os="", device_type="", duration_ms=8000, chunk_count=1,
                             started_at=timezone.now())
    client.force_login(owner)

    listed = client.get(reverse("session-list", args=[site.pk])).content.decode()
    header = client.get(reverse("session-player", args=[site.pk, session.pk])).content.decode()

    cell = re.search(r'<td data-label="Browser"[^>]*>(.*?)</td>', listed, re.S).group(1)
    assert "Unknown" in cell and "·" not in cell
    assert not re.search(r"· +on +<|· +on +$| on </p>", header)
    assert "page" in header
