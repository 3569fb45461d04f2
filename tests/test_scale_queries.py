"""The list, the player and the overview cost a fixed number of queries, and on Postgres every list query
reads an index (an EXPLAIN check on 20,000 sessions), whatever the filter, sort or page."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from recorder.models import PageView
from replay.filters import sessions_filter, sessions_sort, sort_field
from replay.pagination import cursor_of, keyset_after
from replay.selectors import sessions_for_site
from recorder.rollups import site_urls_rebuild
from tests.factories import SessionFactory
from tests.test_session_list import store_session

pytestmark = pytest.mark.django_db


def many(site, count: int):
    now = timezone.now()
    return [SessionFactory(site=site, started_at=now - timedelta(minutes=n), duration_ms=1000 * (n % 7), chunk_count=1,
                           browser="Chrome", os="Windows", device_type="desktop", error_count=n % 2)
            for n in range(count)]


@pytest.mark.parametrize("count", [3, 30])
@pytest.mark.parametrize("query", [{}, {"errors": "1", "url": "shop", "sort": "longest", "browser": "chrome"}],
                         ids=["unfiltered", "filtered"])
def test_the_player_page_costs_the_same_queries_however_many_sessions(client, site, owner, count, query,
                                                                      django_assert_num_queries):
    sessions = many(site, count)
    client.force_login(owner)
    # session, user, membership with its site, the session, the audit entry (2), previous, next;
    # and with "visited URL contains", the site URLs that match
    with django_assert_num_queries(8 + ("url" in query)):
        response = client.get(reverse("session-player", args=[site.pk, sessions[count // 2].pk]), query)
    assert response.status_code == 200


@pytest.mark.parametrize("count", [3, 30])
def test_the_api_list_costs_the_same_queries_on_a_deep_page(client, site, owner, count, django_assert_num_queries):
    from rest_framework.authtoken.models import Token

    sessions = many(site, count)
    token = Token.objects.create(user=owner)
    after = cursor_of(sessions[1], "started_at")
    from replay.pagination import cursor_encode

    # token with its user, membership with its site, one page of sessions
    with django_assert_num_queries(3):
        response = client.get(reverse("api-site-sessions", args=[site.pk]), {"cursor": cursor_encode(after)},
                              HTTP_AUTHORIZATION=f"Token {token.key}")
    assert [row["id"] for row in response.json()["results"]] == [str(s.pk) for s in sessions[2:]]


@pytest.mark.parametrize("typed, expected", [
    ("chrome", {"chrome", "headless"}), ("CHROME", {"chrome", "headless"}), ("Chrome 126", {"chrome", "headless"}),
    ("chrome/126.0.1", {"chrome", "headless"}), ("HeadlessChrome", {"headless"}), ("firefox", {"firefox"}),
])
def test_the_browser_filter_matches_by_name_ignoring_case_and_version(client, site, owner, typed, expected):
    agents = {
        "chrome": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/126.0.0.0 Safari/537.36",
        "headless": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                    "HeadlessChrome/126.0.0.0 Safari/537.36",
        "firefox": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    }
    from tests import test_session_list

    made = {}
    for name, agent in agents.items():
        test_session_list.AGENTS[f"test-{name}"] = agent
        made[name] = store_session(client, site, started=timezone.now(), agent=f"test-{name}", vid=f"visitor-{name}")
    client.force_login(owner)
    response = client.get(reverse("session-list", args=[site.pk]), {"browser": typed})
    shown = set(test_session_list.listed_ids(response))
    assert shown == {str(made[name].pk) for name in expected}


# --- plans on Postgres ------------------------------------------------------------------------------

PLAN_CASES = [
    {}, {"sort": "longest"}, {"errors": "1"}, {"live": "1"}, {"device": "bot"}, {"browser": "opera"},
    {"os": "chrome os"}, {"identity_contains": "user77"}, {"identity": "user77@example.com"},
    {"url": "/blog/post-1"}, {"url": "checkout"}, {"url": "product/2"}, {"tag": "plan", "tag_value": "enterprise"}, {"visitor": "v77"},
    {"date_from": "@-3", "date_to": "@-2"}, {"min_duration": "3000"}, {"page_url": "https://shop.example.com/checkout"},
    {"frustrated_on": "https://shop.example.com/checkout", "date_from": "@-30", "sort": "friction"},
]


def _plan(sql: str, params) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def twenty_thousand(site):
    """20,000 sessions (and 2 pages each) on the site, 20,000 on another, made by generate_series."""
    from tests.factories import SiteFactory

    other = SiteFactory()
    with connection.cursor() as cursor:
        for site_id in (site.pk, other.pk):
            cursor.execute(f"""
                INSERT INTO recorder_session (id, site_id, visitor_id, identity, tags, created_at, started_at,
                    last_activity_at, received_at, duration_ms, page_count, event_count, error_count, chunk_count,
                    stored_bytes, user_agent, browser, os, device_type, language, timezone, entry_url, referrer,
                    scrub_ids, status)
                SELECT md5('{site_id}-' || g)::uuid, {site_id}, 'v' || g, CASE WHEN g % 3 = 0 THEN 'user' || g ||
                    '@example.com' ELSE '' END,
                    CASE WHEN g % 5 = 0 THEN jsonb_build_object('plan', (ARRAY['free', 'pro', 'enterprise'])[1 + g % 3])
                         ELSE '{{}}'::jsonb END, now(), now() - g * interval '3 minutes',
                    now() - g * interval '3 minutes' + interval '1 minute', now() - g * interval '3 minutes', 1000 * (g % 600),
                    2, 10, (g % 40 = 0)::int, 1, 1000, '',
                    (ARRAY['Chrome', 'Firefox', 'Safari', 'Edge', 'Chrome Mobile', 'Mobile Safari', 'Opera'])[1 + g % 7 * (g % 13 / 12)],
                    (ARRAY['Windows', 'Mac OS X', 'iOS', 'Android', 'Linux', 'Chrome OS'])[1 + g % 6 * (g % 11 / 10)],
                    (ARRAY['desktop', 'mobile', 'tablet', 'bot'])[1 + g % 4 * (g % 17 / 16)], '', '', '', '', '[]',
                    CASE WHEN g < 5 THEN 'active' ELSE 'finished' END
                FROM generate_series(1, 20000) g""")
            cursor.execute(f"""
                INSERT INTO recorder_pageview (session_id, site_id, url, title, kind, at)
                SELECT s.id, s.site_id, 'https://shop.example.com/' || (ARRAY['cart', 'checkout', 'product/' ||
                    (n * 7 + length(s.visitor_id)) % 90, 'blog/post-' || (length(s.visitor_id) * n) % 40])[1 + n % 4],
                    '', 'load', s.started_at FROM recorder_session s, generate_series(1, 2) n WHERE s.site_id = {site_id}""")
    site_urls_rebuild()  # what the worker keeps as it writes page views
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE recorder_session")
        cursor.execute("ANALYZE recorder_pageview")
    return site


@pytest.mark.postgres
def test_every_list_query_reads_an_index_not_the_whole_table(twenty_thousand):
    today = timezone.localdate()
    middle = sessions_for_site(twenty_thousand)[10_000]
    plans = {}
    for raw in PLAN_CASES:
        params = QueryDict(mutable=True)
        params.update({k: (str(today + timedelta(days=int(v[1:]))) if v.startswith("@") else v) for k, v in raw.items()})
        sessions = sessions_sort(sessions_filter(sessions_for_site(twenty_thousand), params), params)
        deep = keyset_after(sessions, sort_field(params), (getattr(middle, sort_field(params)), middle.pk))
        for name, query in ((f"{raw} page 1", sessions), (f"{raw} deep page", deep)):
            plans[name] = _plan(*query[:51].query.sql_with_params())
    # A URL no page view has makes a plan that reads nothing at all ("One-Time Filter: false").
    scanned = {name: plan for name, plan in plans.items()
               if "Seq Scan on recorder_session" in plan or "Seq Scan on recorder_pageview" in plan
               or ("Index" not in plan and "One-Time Filter: false" not in plan)}
    assert not scanned, scanned


@pytest.mark.postgres
@pytest.mark.parametrize("url", ["", "https://shop.example.com/product/16"])
def test_the_heatmaps_page_reads_page_views_by_index(client, twenty_thousand, url):
    # The pages it offers are the last ones recorded: read from the newest sessions, not by sorting every page
    # view; and the page view a heatmap is drawn on is found by its URL's index, anchors of it too.
    client.force_login(twenty_thousand.owner)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("site-heatmaps", args=[twenty_thousand.pk]), {"url": url} if url else {})
    plans = [_plan(q["sql"].replace("%", "%%"), None) for q in queries.captured_queries if "recorder_pageview" in q["sql"]]
    assert plans and not [plan for plan in plans if "Seq Scan on recorder_pageview" in plan], plans
    if url:
        assert 'id="hs-heatmap"' in page.content.decode()


@pytest.mark.postgres
def test_the_keyset_condition_is_one_row_comparison_the_index_applies(twenty_thousand):
    params = QueryDict()
    middle = sessions_for_site(twenty_thousand)[10_000]
    sessions = keyset_after(sessions_sort(sessions_for_site(twenty_thousand), params), "started_at",
                            (middle.started_at, middle.pk))
    sql, sql_params = sessions[:51].query.sql_with_params()
    plan = _plan(sql, sql_params)
    assert "Index Cond: ((site_id = " in plan and "ROW(started_at, id) <" in plan, plan
    assert PageView.objects.count() == 80_000


def test_the_api_previous_link_walks_back_the_same_pages(client, site, owner):
    from rest_framework.authtoken.models import Token

    many(site, 130)
    headers = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=owner).key}"}
    pages, body = [], client.get(reverse("api-site-sessions", args=[site.pk]), {"sort": "longest"}, **headers).json()
    assert body["previous"] is None
    while True:
        pages.append([row["id"] for row in body["results"]])
        if not body["next"]:
            break
        body = client.get(body["next"], **headers).json()
    back = []
    while body["previous"]:
        body = client.get(body["previous"], **headers).json()
        back.append([row["id"] for row in body["results"]])
    assert [len(p) for p in pages] == [50, 50, 30]
    assert back == pages[-2::-1]
