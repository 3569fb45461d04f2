"""The session list in real Chromium: the filter form gives a URL that can be bookmarked."""
from urllib.parse import parse_qs, urlparse

import pytest

from tests.e2e.conftest import login
from tests.factories import SiteFactory, UserFactory
from tests.test_session_list import catalog, day, many_sessions

pytestmark = pytest.mark.e2e


def rows(page) -> list[str]:
    return page.locator("tr[data-session]").evaluate_all("rows => rows.map(r => r.dataset.session)")


def test_filters_filled_in_the_form_land_in_a_bookmarkable_url(client, live_server, page):
    owner = UserFactory(username="owner")
    site = SiteFactory(owner=owner, domains=["shop.example.com"])
    sessions = catalog(client, site)
    login(page, live_server, "owner")
    page.goto(f"{live_server.url}/sites/{site.pk}/")
    assert len(rows(page)) == 4

    page.get_by_label("From").fill(day(30))
    page.get_by_label("Identity contains").fill("alice")
    page.get_by_label("Min length (s)").fill("30")
    page.get_by_label("Visited URL contains").fill("checkout")
    page.get_by_label("Device").select_option("tablet")
    page.get_by_label("Sort").select_option("longest")
    page.get_by_label("With errors").check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/?*")

    # Only the filters in use, so the address reads clearly when bookmarked or shared.
    query = parse_qs(urlparse(page.url).query, keep_blank_values=True)
    assert {k: v[0] for k, v in query.items()} == {
        "date_from": day(30), "identity_contains": "alice", "min_duration": "30", "url": "checkout",
        "device": "tablet", "sort": "longest", "errors": "1",
    }
    assert rows(page) == [str(sessions["dave"].pk)]

    # The bookmark, opened later in a fresh tab, shows the same list and the same form.
    bookmark = page.url
    again = page.context.new_page()
    again.goto(bookmark)
    assert rows(again) == [str(sessions["dave"].pk)]
    assert again.get_by_label("Identity contains").input_value() == "alice"
    assert again.get_by_label("From").input_value() == day(30)
    assert again.get_by_label("Device").input_value() == "tablet"
    assert again.get_by_label("With errors").is_checked()

    # Widening the filters in the same form.
    again.get_by_label("Device").select_option("")
    again.get_by_role("button", name="Apply filters").click()
    again.wait_for_load_state()
    assert rows(again) == [str(sessions["dave"].pk), str(sessions["alice"].pk)]

    again.get_by_role("link", name="Clear", exact=True).click()
    again.wait_for_url(f"{live_server.url}/sites/{site.pk}/")
    assert len(rows(again)) == 4


def test_older_sessions_page_on_with_the_filters(live_server, page):
    owner = UserFactory(username="owner")
    site = SiteFactory(owner=owner)
    sessions = many_sessions(site, 70)
    with_errors = sorted((s for s in sessions if s.error_count), key=lambda s: (s.started_at, s.pk), reverse=True)
    login(page, live_server, "owner")
    page.goto(f"{live_server.url}/sites/{site.pk}/?errors=1")
    assert rows(page) == [str(s.pk) for s in with_errors]  # 35: one page, no link
    assert page.get_by_role("link", name="Older sessions →").count() == 0

    page.get_by_label("With errors").uncheck()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_load_state()
    first = rows(page)
    page.get_by_role("link", name="Older sessions →").click()
    page.wait_for_url("**after=*")
    second = rows(page)

    everything = sorted(sessions, key=lambda s: (s.started_at, s.pk), reverse=True)
    assert (len(first), len(second)) == (50, 20)
    assert first + second == [str(s.pk) for s in everything]
