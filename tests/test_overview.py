"""The overview page: sessions per day, totals and top pages from a fixed number of aggregate queries."""
import hashlib
import re
from datetime import datetime, time, timedelta
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from recorder.models import PageView, SiteUrl
from recorder.rollups import rollups_rebuild
from sites.models import Membership
from sites.selectors import site_overview
from tests.factories import SessionFactory, UserFactory

pytestmark = pytest.mark.django_db


def at(days_ago: int, hour: int = 12):
    day = timezone.localdate() - timedelta(days=days_ago)
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone())


def visit(site, days_ago: int, *, seconds=60, errors=0, pages=("https://shop.example.com/",), stored=True):
    started = at(days_ago)
    session = SessionFactory(site=site, started_at=started, duration_ms=seconds * 1000, error_count=errors,
                             chunk_count=1 if stored else 0)
    PageView.objects.bulk_create(PageView(session=session, url=url, at=started) for url in pages)
    rollups_rebuild()  # made without the worker, which keeps the roll-ups as it stores chunks
    return session


def test_overview_counts_sessions_per_day_totals_and_top_pages(site):
    visit(site, 0, seconds=30, pages=["https://shop.example.com/", "https://shop.example.com/cart"])
    visit(site, 0, seconds=90, errors=2, pages=["https://shop.example.com/"])
    visit(site, 3, seconds=60, pages=["https://shop.example.com/", "https://shop.example.com/pay"])
    visit(site, 29, seconds=120, pages=["https://shop.example.com/pay"])
    visit(site, 30, seconds=999, errors=1, pages=["https://shop.example.com/old"])  # before the window
    visit(site, 1, stored=False, pages=["https://shop.example.com/unstored"])  # never stored: not shown

    overview = site_overview(site)

    assert len(overview.days) == 30
    assert overview.days[0]["day"] == timezone.localdate() - timedelta(days=29)
    counts = {d["day"]: d["sessions"] for d in overview.days}
    assert counts[timezone.localdate()] == 2
    assert counts[timezone.localdate() - timedelta(days=3)] == 1
    assert counts[timezone.localdate() - timedelta(days=29)] == 1
    assert sum(counts.values()) == overview.sessions == 4
    assert overview.peak == 2 and overview.days[-1]["height"] == 100
    assert overview.average_ms == (30 + 90 + 60 + 120) * 1000 // 4
    assert overview.with_errors == 1
    assert overview.top_pages == [
        {"url": "https://shop.example.com/", "sessions": 3},
        {"url": "https://shop.example.com/pay", "sessions": 2},
        {"url": "https://shop.example.com/cart", "sessions": 1},
    ]


def test_overview_ignores_other_sites(site):
    visit(site, 0)
    other = SessionFactory(started_at=at(0), duration_ms=1000, chunk_count=1)
    PageView.objects.create(session=other, url="https://elsewhere.example/", at=at(0))
    rollups_rebuild()
    overview = site_overview(site)
    assert overview.sessions == 1
    assert [p["url"] for p in overview.top_pages] == ["https://shop.example.com/"]


def test_top_pages_are_at_most_ten(site):
    visit(site, 0, pages=[f"https://shop.example.com/p{n}" for n in range(15)])
    assert len(site_overview(site).top_pages) == 10


def test_overview_page_renders_for_any_member(client, site):
    visit(site, 0, seconds=65, errors=1)
    viewer = UserFactory(username="viewer")
    Membership.objects.create(site=site, user=viewer, role=Membership.VIEWER)
    client.force_login(viewer)

    response = client.get(reverse("site-overview", args=[site.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="total-sessions">1<' in html
    assert 'data-testid="average-duration">1:05<' in html
    assert 'data-testid="error-sessions">1<' in html
    assert "https://shop.example.com/" in html
    assert html.count('class="bar"') == 30


def test_the_average_length_counts_whole_seconds_as_the_list_shows_each_length(client, site, owner):
    """Sessions of 3.5 s and 9.7 s are 0:03 and 0:09 in the list; their average of 6.6 s showed 0:07."""
    visit(site, 0, seconds=3.5)
    visit(site, 0, seconds=9.7)
    client.force_login(owner)

    overview = client.get(reverse("site-overview", args=[site.pk])).content.decode()
    listed = client.get(reverse("session-list", args=[site.pk])).content.decode()

    assert 'data-testid="average-duration">0:06<' in overview
    assert '"Length">0:03<' in listed and '"Length">0:09<' in listed


def test_empty_overview_says_there_is_nothing_yet(client, site, owner):
    client.force_login(owner)
    response = client.get(reverse("site-overview", args=[site.pk]))
    assert "No sessions in the last 30 days." in response.content.decode()


@pytest.mark.parametrize("sessions", [1, 40])
def test_overview_query_count_is_fixed(client, site, owner, sessions, django_assert_num_queries):
    for number in range(sessions):
        visit(site, number % 30, errors=number % 2,
              pages=[f"https://shop.example.com/{number % 12}", "https://shop.example.com/"])
    client.force_login(owner)

    # session, user, membership, sessions per day (with totals), top pages
    with django_assert_num_queries(6):  # and the frustration per page
        response = client.get(reverse("site-overview", args=[site.pk]))

    assert response.context["overview"].sessions == sessions


def test_the_overview_lists_pages_by_their_path_with_the_whole_address_in_reach(client, site, owner):
    """On a narrow screen each row of a site showed the same first characters of its address."""
    from replay.templatetags.hindsight import page_path

    assert page_path("https://shop.example.com/teas/?p=2#top") == "/teas/?p=2#top"
    assert page_path("https://shop.example.com") == "https://shop.example.com"
    assert page_path("http://[oops/x") == "http://[oops/x"
    assert page_path("not a url") == "not a url"


def test_the_overview_lists_a_page_decoded_with_its_raw_address_in_reach(client, site, owner):
    raw = "https://shop.example.com/caf%C3%A9/men%C3%BC?q=%E2%9C%93"
    visit(site, 0, pages=(raw,))
    client.force_login(owner)

    html = client.get(reverse("site-overview", args=[site.pk])).content.decode()

    assert f'title="{raw}"' in html
    assert ">/café/menü?q=✓</a>" in html


def test_a_most_visited_page_links_to_the_sessions_of_that_very_page(client, site, owner):
    """/demo/'s link listed the sessions that only visited /demo/checkout/ too (its URL contains /demo/); a
    session that came back to /demo/ counted twice beside its one row, and the list took in visits older than
    the overview's 30 days."""
    demo, checkout = "https://shop.example.com/demo/", "https://shop.example.com/demo/checkout/"
    for pages in ([demo], [demo, checkout, demo, demo], [checkout]):
        visit(site, 0, pages=pages)
    visit(site, 29, pages=[demo])  # the overview's first day
    visit(site, 30, errors=1, pages=[demo, checkout])  # the day before it
    PageView.objects.update(site=site)  # as the worker writes them, for "visited URL contains" as well
    SiteUrl.objects.bulk_create(SiteUrl(site=site, key=hashlib.md5(url.encode()).hexdigest(), url=url) for url in (demo, checkout))
    client.force_login(owner)

    html = client.get(reverse("site-overview", args=[site.pk])).content.decode()
    rows = re.findall(r'<td class="url" title="([^"]+)"><a href="([^"]+)">.*?<td class="num">(\d+)</td>', html)

    assert [(url, int(sessions)) for url, _, sessions in rows] == [(demo, 3), (checkout, 2)]
    for url, link, sessions in rows:
        listed = client.get(unescape(link)).content.decode().count("<tr data-session=")
        query = dict(parse_qsl(urlsplit(unescape(link)).query))
        api = client.get(f"/api/v1/sites/{site.pk}/sessions/", query).json()["results"]
        assert query["page_url"] == url
        assert listed == len(api) == int(sessions), url


def test_the_overviews_totals_link_to_the_sessions_they_count(client, site, owner):
    for days_ago, errors in ((0, 0), (0, 2), (29, 1), (30, 1), (45, 0)):
        visit(site, days_ago, errors=errors)
    client.force_login(owner)

    html = client.get(reverse("site-overview", args=[site.pk])).content.decode()

    for name, figure in (("total-sessions", 3), ("error-sessions", 2)):
        link, shown = re.search(rf'<a class="stat-value" href="([^"]+)" data-testid="{name}">(\d+)</a>', html).groups()
        assert int(shown) == figure
        assert client.get(unescape(link)).content.decode().count("<tr data-session=") == figure, name


def test_a_page_where_visitors_struggle_links_to_the_sessions_that_struggled_there(client, site, owner):
    """The link listed every session whose URL contained the page's (all of them, for the home page), and
    counted signals from sessions started before the overview's days or too short for the list."""
    from insights.models import Signal

    home, cart = "https://shop.example.com/", "https://shop.example.com/cart"
    site.min_session_sec = 5
    site.save(update_fields=["min_session_sec"])
    signals = [  # (days ago, seconds long, [(kind, url)])
        (0, 60, [("rage", cart), ("rage", cart), ("dead", home)]),
        (29, 60, [("rage", cart), ("quick_back", cart)]),
        (3, 60, [("error", home)]),
        (30, 60, [("rage", cart)]),  # the day before the overview's first
        (0, 2, [("rage", cart)]),  # shorter than the site's minimum: not listed
        (1, 60, []),
    ]
    for days_ago, seconds, found in signals:
        session = visit(site, days_ago, seconds=seconds, pages=[home, cart])
        Signal.objects.bulk_create(Signal(site=site, session=session, kind=kind, ts=1, url=url) for kind, url in found)
    client.force_login(owner)

    html = client.get(reverse("site-overview", args=[site.pk])).content.decode()
    table = html[html.index('data-testid="frustrating-pages"'):]
    rows = re.findall(r'<td class="url" title="([^"]+)"><a href="([^"]+)">.*?</a></td>'
                      r'<td class="num">(\d+)</td><td class="num">(\d+)</td>', table)

    assert [(url, int(sessions), int(rage)) for url, _, sessions, rage in rows] == [(cart, 2, 3), (home, 2, 0)]
    for url, link, sessions, _ in rows:
        listed = client.get(unescape(link)).content.decode()
        assert listed.count("<tr data-session=") == int(sessions), url
        assert f"Frustrated on {url}" in listed  # its chip
        query = dict(parse_qsl(urlsplit(unescape(link)).query))
        assert len(client.get(f"/api/v1/sites/{site.pk}/sessions/", query).json()["results"]) == int(sessions)


@pytest.mark.django_db(transaction=True)
def test_the_migration_counts_each_pages_sessions_once(site):
    """Roll-ups written before counted page views: a session back on a page twice counted two."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from recorder.models import PageRollup

    executor = MigrationExecutor(connection)
    executor.migrate([("recorder", "0011_session_created_at_database_clock")])
    try:
        home, pay = "https://shop.example.com/", "https://shop.example.com/pay"
        for pages in ([home, pay, home], [home], [pay, pay]):
            session = SessionFactory(site=site, started_at=at(2), duration_ms=60_000, chunk_count=1)
            PageView.objects.bulk_create(PageView(session=session, url=url, at=at(2)) for url in pages)
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO recorder_pagerollup (site_id, day, url, views) VALUES (%s, %s, %s, 3), "
                           "(%s, %s, %s, 3)", [site.pk, at(2).date(), home, site.pk, at(2).date(), pay])
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    assert sorted(PageRollup.objects.values_list("url", "sessions")) == [(home, 2), (pay, 2)]
