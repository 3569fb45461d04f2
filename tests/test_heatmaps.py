"""The heatmaps API and page: parameters, access, and a fixed number of queries whatever the traffic."""
import uuid
from datetime import date, timedelta

import pytest
from django.utils import timezone

from insights.models import HeatCell
from insights.services import page_key
from recorder.models import PageView
from tests.factories import SessionFactory, SiteFactory, UserFactory
from tests.conftest import until_waiting_for_locks
from tests.test_api import auth

pytestmark = pytest.mark.django_db

URL = "https://shop.example.com/pricing"


def cells(site, *, kind="click", days=1, selectors=1, views=1, device="desktop", today=None):
    """Cells as 100,000 page views' worth of aggregates look: many days, elements and places."""
    today = today or timezone.localdate()
    HeatCell.objects.bulk_create(
        HeatCell(site=site, page=page_key(URL), url=URL, day=today - timedelta(days=d), device=device, kind=kind,
                 selector=f"div.card:nth-of-type({s})" if kind == "click" else "", cx=x, cy=y, count=views)
        for d in range(days) for s in range(selectors) for x in range(10 if kind != "scroll" else 11) for y in range(1 if kind == "scroll" else 10)
    )


def test_a_busy_page_answers_in_a_fixed_number_of_queries(client, site, owner, django_assert_num_queries):
    today = timezone.localdate()  # once: a run across midnight must not move the window
    cells(site, days=30, selectors=30, views=11, today=today)  # 990,000 clicks in 90,000 cells
    headers = auth(owner)
    with django_assert_num_queries(3):  # the token, the membership, the cells
        answer = client.get(f"/api/v1/sites/{site.pk}/heatmaps/", {"url": URL, "date_to": today.isoformat()},
                            **headers).json()
    assert answer["total"] == 30 * 30 * 100 * 11 and len(answer["elements"]) == 30
    assert answer["elements"][0]["cells"][0]["count"] == 30 * 11


def test_scroll_depth_is_the_share_of_page_views_that_saw_each_tenth(client, site, owner):
    today = timezone.localdate()
    for deepest, views in ((1, 2), (5, 1), (10, 1)):
        HeatCell.objects.create(site=site, page=page_key(URL), url=URL, day=today, device="mobile", kind="scroll",
                                cx=deepest, cy=0, count=views)
    answer = client.get(f"/api/v1/sites/{site.pk}/heatmaps/", {"url": URL, "kind": "scroll"}, **auth(owner)).json()
    assert answer["views"] == 4
    assert answer["depth"] == [1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.25]


def test_filters_by_device_dates_and_url_pattern(client, site, owner):
    cells(site, days=3, device="tablet")
    get = lambda **params: client.get(f"/api/v1/sites/{site.pk}/heatmaps/", {"url": URL, **params}, **auth(owner)).json()  # noqa: E731
    assert get()["total"] == 300
    assert get(device="mobile")["total"] == 0 and get(device="tablet")["total"] == 300
    today = timezone.localdate()
    assert get(date_from=today.isoformat())["total"] == 100
    assert get(url="https://shop.example.com/*")["total"] == 300
    assert get(url="https://shop.example.com/blog/*")["total"] == 0


def test_a_pattern_of_many_stars_against_a_long_url_answers_at_once(client, site, owner):
    """SQLite matched patterns with Python's regular expressions, which try every placing of each `*`: five
    of them against a URL of 330 characters took 34 s a row, and more held the process. (Postgres's engine
    does not backtrack.) Runs of `*` are one `*`; on SQLite the distinct URLs are matched in Python."""
    long_url = "https://shop.example.com/" + "a" * 300 + "b"
    HeatCell.objects.create(site=site, page=page_key(long_url), url=long_url, day=timezone.localdate(), device="desktop",
                            kind="click", selector="p", cx=1, cy=1, count=3)
    get = lambda url: client.get(f"/api/v1/sites/{site.pk}/heatmaps/", {"url": url}, **auth(owner)).json()  # noqa: E731
    assert get("h*a*a*a*a*a*a*a*a*c")["total"] == 0
    assert get("h*a*a*a*a*a*a*a*a*b")["total"] == 3
    assert get("h*****b")["total"] == 3 and get("H*b")["total"] == 0  # case counts, as in the regular expression


@pytest.mark.parametrize("params, field", [
    ({}, "url"),
    ({"url": URL, "kind": "hover"}, "kind"),
    ({"url": URL, "device": "watch"}, "device"),
    ({"url": URL, "date_from": "2025-02-30"}, "date_from"),
    ({"url": URL, "date_from": "2025-03-02", "date_to": "2025-03-01"}, "date_from"),
    ({"url": "x" * 3000}, "url"),
])
def test_bad_parameters_get_a_400_naming_them(client, site, owner, params, field):
    response = client.get(f"/api/v1/sites/{site.pk}/heatmaps/", params, **auth(owner))
    assert response.status_code == 400 and field in response.json()["detail"]


def test_an_outsider_gets_404_from_the_api_and_the_page(client, site):
    outsider = UserFactory(username="outsider")
    SiteFactory(owner=outsider)
    assert client.get(f"/api/v1/sites/{site.pk}/heatmaps/", {"url": URL}, **auth(outsider)).status_code == 404
    client.force_login(outsider)
    assert client.get(f"/sites/{site.pk}/heatmaps/", {"url": URL}).status_code == 404


def test_the_page_says_when_no_page_view_can_be_drawn_on_and_refuses_bad_input(client, site, owner):
    cells(site)
    client.force_login(owner)
    page = client.get(f"/sites/{site.pk}/heatmaps/", {"url": URL})
    assert page.status_code == 200 and b"heatmap-no-page" in page.content and b"div.card" in page.content
    assert client.get(f"/sites/{site.pk}/heatmaps/", {"url": URL, "kind": "nope"}).status_code == 400
    assert client.get(f"/sites/{site.pk}/heatmaps/").status_code == 200


def test_the_page_lists_the_recorded_pages_to_pick_from_until_one_is_drawn(client, site, owner):
    client.force_login(owner)
    empty = client.get(f"/sites/{site.pk}/heatmaps/").content.decode()
    assert "None yet" in empty and f'href="/sites/{site.pk}/install/"' in empty
    now = timezone.now()
    PageView.objects.create(session=SessionFactory(site=site, started_at=now), site=site, url=URL, at=now)
    link = 'href="?url=https%3A%2F%2Fshop.example.com%2Fpricing"'

    assert link in client.get(f"/sites/{site.pk}/heatmaps/").content.decode()
    # A path, as the overview lists pages, draws nothing: the page says what a URL is and offers the pages.
    by_path = client.get(f"/sites/{site.pk}/heatmaps/", {"url": "/pricing"}).content.decode()
    assert 'data-testid="heatmap-no-page"' in by_path and "with its https:// or http://" in by_path and link in by_path


def test_the_pages_to_pick_from_keep_the_kind_device_and_days_chosen(client, site, owner):
    """Their links kept the kind alone: a pick after choosing a device and days drew all devices, 30 days."""
    client.force_login(owner)
    now = timezone.now()
    PageView.objects.create(session=SessionFactory(site=site, started_at=now), site=site, url=URL, at=now)
    since = (timezone.localdate() - timedelta(days=3)).isoformat()

    page = client.get(f"/sites/{site.pk}/heatmaps/", {"url": "/pricing", "kind": "scroll", "device": "mobile",
                                                      "date_from": since, "date_to": ""}).content.decode()

    assert (f'href="?url=https%3A%2F%2Fshop.example.com%2Fpricing&amp;kind=scroll&amp;device=mobile'
            f'&amp;date_from={since}"') in page


def test_after_a_400_the_page_names_every_bad_parameter_and_its_links_and_form_leave_them_out(client, site, owner):
    """The pages to pick from kept a bad kind, device or day, so each of them led to the same 400 again."""
    client.force_login(owner)
    now = timezone.now()
    PageView.objects.create(session=SessionFactory(site=site, started_at=now), site=site, url=URL, at=now)

    response = client.get(f"/sites/{site.pk}/heatmaps/", {"url": URL, "kind": "scroll", "device": "watch",
                                                          "date_from": "2025-02-30", "date_to": "2025-01-01"})
    page = response.content.decode()

    assert response.status_code == 400
    assert "device must be" in page and "date_from must be a date" in page
    assert 'href="?url=https%3A%2F%2Fshop.example.com%2Fpricing&amp;kind=scroll&amp;date_to=2025-01-01"' in page
    assert "watch" not in page and "2025-02-30" not in page
    followed = client.get(f"/sites/{site.pk}/heatmaps/", {"url": URL, "kind": "scroll", "date_to": "2025-01-01"})
    assert followed.status_code == 200


def test_the_rebuild_command_sums_the_facts_again(site):
    from io import StringIO

    from django.core.management import call_command

    HeatCell.objects.create(site=site, page="x", url="x", day=date.today(), device="desktop", kind="click", cx=0, cy=0, count=5)
    out = StringIO()
    call_command("heatmaps_rebuild", stdout=out)
    assert "0 heatmap cells rebuilt" in out.getvalue() and not HeatCell.objects.exists()


def test_the_device_switch_keeps_the_other_parameters(client, site, owner):
    client.force_login(owner)
    page = client.get(f"/sites/{site.pk}/heatmaps/", {"url": URL, "kind": "scroll", "device": "tablet"}).content.decode()
    assert 'href="?url=https%3A%2F%2Fshop.example.com%2Fpricing&amp;kind=scroll&amp;device=mobile"' in page
    assert 'data-device="tablet" aria-current="page"' in page


@pytest.mark.parametrize("kind", ["click", "scroll", "move"])
def test_each_heatmap_says_which_days_it_sums(client, site, owner, kind):
    """Scroll depth and pointer movement said how many page views or positions, but not of which days (the
    form's dates stay empty for the last 30)."""
    client.force_login(owner)
    page = client.get(f"/sites/{site.pk}/heatmaps/", {"url": URL, "kind": kind, "date_from": "2026-11-02",
                                                       "date_to": "2026-11-30"}).content.decode()
    assert "from 2026-11-02 to 2026-11-30" in page


def test_the_overview_sums_signals_per_page(client, site, owner):
    from insights.models import Signal
    from tests.factories import SessionFactory

    session = SessionFactory(site=site, started_at=timezone.now(), duration_ms=5000, chunk_count=1)
    now_ms = int(timezone.now().timestamp() * 1000)
    for kind, url in (("rage", URL), ("rage", URL), ("dead", URL), ("quick_back", URL + "/faq")):
        Signal.objects.create(site=site, session=session, kind=kind, ts=now_ms, url=url)
    client.force_login(owner)
    rows = client.get(f"/sites/{site.pk}/overview/").context["overview"].frustration
    assert rows[0] == {"url": URL, "sessions": 1, "total": 3, "rage": 2, "dead": 1, "error": 0, "quick_back": 0}
    assert rows[1]["url"] == URL + "/faq"


def test_a_url_too_long_for_a_heatmap_gets_a_400_saying_so_and_the_overview_offers_no_link_to_it(client, site, owner):
    """A URL over 2,048 characters (longer than page views keep) got a 400 saying "url is required", and the
    overview's Heatmap link for such a page led to it."""
    from django.template.loader import render_to_string
    from types import SimpleNamespace

    long_url = URL + "?q=" + "x" * 2100
    client.force_login(owner)
    page = client.get(f"/sites/{site.pk}/heatmaps/", {"url": long_url})
    assert page.status_code == 400 and "url is too long: 2135 characters" in page.content.decode()
    answer = client.get(f"/api/v1/sites/{site.pk}/heatmaps/", {"url": long_url}, **auth(owner))
    assert answer.status_code == 400 and "too long" in answer.json()["detail"]
    assert "required" not in answer.json()["detail"]
    assert "required" in client.get(f"/api/v1/sites/{site.pk}/heatmaps/", **auth(owner)).json()["detail"]

    # Postgres keeps at most 2,048 characters of a signal's URL; SQLite (the embedded default) keeps what it is given.
    pages = [{"url": url, "sessions": 1, "total": 1, "rage": 1, "dead": 0, "error": 0, "quick_back": 0}
             for url in (long_url, URL)]
    html = render_to_string("insights/overview_frustration.html", {
        "site": site, "overview": SimpleNamespace(frustration=pages, date_range="date_from=2026-11-08")})
    assert html.count(">Heatmap</a>") == 1 and "url=https%3A//shop.example.com/pricing\"" in html
    assert "No heatmap: the URL is too long" in html


@pytest.mark.parametrize("text", ["tab\there", "line\nbreak\r", "back\\slash", "\\N", "\\.", "emoji 😀 ünï"])
def test_facts_written_by_copy_keep_every_character(site, text):
    """The worker writes heatmap facts with COPY on Postgres (bulk_create elsewhere): what COPY's text
    format treats specially (tabs, line breaks, backslashes, its null marker) arrives as it was."""
    from insights.models import HeatFact
    from insights.services import Fact, facts_insert
    from recorder.models import Session

    session = Session.objects.create(id=uuid.uuid4(), site=site, visitor_id="visitor-1")
    url = f"{URL}?q={text}"
    facts_insert([Fact(session.pk, site.pk, page_key(url), url, date(2026, 12, 5), "desktop", "click", f"a[title='{text}']",
                       3, 4, 2)])
    fact = HeatFact.objects.get()
    assert (fact.url, fact.selector, fact.session_id, fact.day, fact.cx, fact.cy, fact.count) == (
        url, f"a[title='{text}']", session.pk, date(2026, 12, 5), 3, 4, 2)


@pytest.mark.django_db(transaction=True)
def test_the_migration_counts_earlier_anchors_as_their_page(site):
    """Cells, facts and signals written before pages dropped their anchors are moved to the page (cells that
    then share a key summed into one); a hash router's route stays."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from insights.models import HeatFact, Signal
    from recorder.models import Session

    executor = MigrationExecutor(connection)
    executor.migrate([("insights", "0002_lighter_writes")])
    try:
        session = Session.objects.create(id=uuid.uuid4(), site=site, visitor_id="visitor-1")
        day, route = date(2026, 12, 1), "https://shop.example.com/#/cart"
        for url, count in ((URL, 2), (URL + "#plans", 3), (URL + "#faq", 1), (route, 4)):
            common = dict(site=site, page=page_key(url), url=url, day=day, device="desktop", kind="click",
                          selector="a#buy", cx=1, cy=2, count=count)
            HeatCell.objects.create(**common)
            HeatFact.objects.create(session=session, **common)
        Signal.objects.create(site=site, session=session, kind="rage", ts=1, url=URL + "#faq")
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert sorted(HeatCell.objects.values_list("url", "page", "count")) == [
        (route, page_key(route), 4), (URL, page_key(URL), 6)]
    assert sorted(HeatFact.objects.values_list("url", "page", "count")) == [
        (route, page_key(route), 4), (URL, page_key(URL), 1), (URL, page_key(URL), 2), (URL, page_key(URL), 3)]
    assert list(Signal.objects.values_list("url", flat=True)) == [URL]


def test_a_click_counts_for_its_day_in_the_dashboards_time_zone(settings):
    """The overview, the list and the heatmap's date filter use TIME_ZONE: so do the heatmap's days."""
    from datetime import datetime, timezone as tz

    from insights.detect import _day

    evening_utc = int(datetime(2026, 12, 6, 20, 0, tzinfo=tz.utc).timestamp() * 1000)
    settings.TIME_ZONE = "Asia/Tokyo"  # 05:00 the next morning there
    assert _day(evening_utc) == "2026-12-07"
    settings.TIME_ZONE = "America/St_Johns"  # 16:30 the same day (a zone half an hour off)
    assert _day(evening_utc) == "2026-12-06"
    assert _day(int(datetime(2026, 12, 7, 3, 29, tzinfo=tz.utc).timestamp() * 1000)) == "2026-12-06"
    assert _day(int(datetime(2026, 12, 7, 3, 30, tzinfo=tz.utc).timestamp() * 1000)) == "2026-12-07"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_rebuilds_at_once_take_turns_and_both_succeed(site):
    """An operator's heatmaps_rebuild while another runs (or the worker adds new cells meanwhile): the second
    rebuild's delete did not see the rows the first had just written, and its insert of the same cells was
    an IntegrityError's traceback."""
    import threading
    from io import StringIO

    import psycopg
    from django.core.management import call_command
    from django.db import connection

    from insights.models import HeatFact

    session = SessionFactory(site=site)
    HeatFact.objects.create(session=session, site=site, page=page_key(URL), url=URL, day=date.today(),
                            device="desktop", kind="click", selector="a", cx=1, cy=1, count=3)
    HeatCell.objects.create(site=site, page=page_key(URL), url=URL, day=date.today(), device="desktop",
                            kind="click", selector="a", cx=1, cy=1, count=3)
    other = psycopg.connect(**connection.get_connection_params())
    outcomes = []

    def rebuild():
        try:
            call_command("heatmaps_rebuild", stdout=StringIO())
            outcomes.append("ok")
        except Exception as error:  # noqa: BLE001 - what the test looks at
            outcomes.append(repr(error))
        finally:
            connection.close()

    try:
        # Given a transaction that holds the cell (a worker adding to it), and two rebuilds waiting for it
        other.execute("SELECT 1 FROM insights_heatcell FOR UPDATE")
        threads = [threading.Thread(target=rebuild) for _ in range(2)]
        for thread in threads:
            thread.start()
        until_waiting_for_locks(2, threads)
        # When it commits
        other.commit()
        for thread in threads:
            thread.join(60)
    finally:
        other.close()
    # Then both rebuilds ran, one after the other, and the cell is counted once
    assert outcomes == ["ok", "ok"]
    assert list(HeatCell.objects.values_list("selector", "count")) == [("a", 3)]
