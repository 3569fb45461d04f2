"""The session list in real Chromium: the folded filter form gives a URL that can be bookmarked, the
filters in use show as chips that each remove their filter, a keyboard reaches the first session in a
few key presses, and "live" ends when the visitor's page does."""
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone

from recorder.models import Session
from sites.snippet import site_snippet
from tests.e2e.conftest import login, recorder_started, wait_for, wait_for_js
from tests.e2e.test_player import open_player
from tests.factories import SiteFactory, UserFactory
from tests.test_session_list import catalog, day, many_sessions, store_session

pytestmark = pytest.mark.e2e


def rows(page) -> list[str]:
    return page.locator("tr[data-session]").evaluate_all("rows => rows.map(r => r.dataset.session)")


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query, keep_blank_values=True).items()}


def chips(page) -> list[str]:
    return page.locator("[data-testid=filter-chips] .chip").evaluate_all(
        "chips => chips.map(c => c.textContent.replace(c.querySelector('.chip-x').textContent, '').trim())")


def field(page, label: str):
    """A field of the filter form (the chips' link names mention the same words)."""
    return page.locator("#session-filters").get_by_label(label)


@pytest.fixture
def shop(client, live_server, page):
    """The catalog's four sessions on a site, and its owner logged in."""
    site = SiteFactory(owner=UserFactory(username="owner"), domains=["shop.example.com"])
    sessions = catalog(client, site)
    login(page, live_server, "owner")
    return site, sessions


def open_filters(page):
    page.get_by_test_id("filters").locator("summary").click()


def test_filters_filled_in_the_form_land_in_a_bookmarkable_url_and_show_as_chips(shop, live_server, page):
    site, sessions = shop
    page.goto(f"{live_server.url}/sites/{site.pk}/")
    assert len(rows(page)) == 4
    # Folded until asked for, and no chips while no filter is in use.
    assert not field(page, "From").is_visible()
    assert page.get_by_test_id("filter-chips").count() == 0

    open_filters(page)
    field(page, "From").fill(day(30))
    field(page, "Identity contains").fill("alice")
    field(page, "Min length (s)").fill("30")
    field(page, "Visited URL contains").fill("checkout")
    field(page, "Device").select_option("tablet")
    field(page, "Sort").select_option("longest")
    field(page, "With errors").check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/?*")

    # Only the filters in use, so the address reads clearly when bookmarked or shared.
    assert query_of(page.url) == {
        "date_from": day(30), "identity_contains": "alice", "min_duration": "30", "url": "checkout",
        "device": "tablet", "sort": "longest", "errors": "1",
    }
    assert rows(page) == [str(sessions["dave"].pk)]
    # The form folds away again; the chips say what is applied.
    assert not field(page, "From").is_visible()
    assert chips(page) == [f"From {day(30)}", "At least 30 s long", "Identity contains alice",
                           "Visited URL contains checkout", "Device tablet", "With errors", "Longest first"]
    assert page.get_by_test_id("filters").locator(".filters-count").inner_text().startswith("6")  # not the order

    # The bookmark, opened later in a fresh tab, shows the same list, the same chips and the same form.
    bookmark = page.url
    again = page.context.new_page()
    again.goto(bookmark)
    assert rows(again) == [str(sessions["dave"].pk)]
    assert len(chips(again)) == 7
    open_filters(again)
    assert field(again, "Identity contains").input_value() == "alice"
    assert field(again, "From").input_value() == day(30)
    assert field(again, "Device").input_value() == "tablet"
    assert field(again, "With errors").is_checked()

    # Widening: the device chip takes the device filter away, and only it.
    again.get_by_role("link", name="Remove filter: Device tablet").click()
    again.wait_for_load_state()
    assert "device" not in query_of(again.url)
    assert rows(again) == [str(sessions["dave"].pk), str(sessions["alice"].pk)]

    again.get_by_role("link", name="Clear all").click()
    again.wait_for_url(f"{live_server.url}/sites/{site.pk}/")
    assert len(rows(again)) == 4
    assert again.get_by_test_id("filter-chips").count() == 0


def test_back_to_the_list_shows_the_filters_its_address_applies_not_those_typed_before(shop, live_server, page):
    """Chromium refilled the fields typed but never applied: back from a replay, the form said "alice, with
    errors" above the whole list."""
    site, _ = shop
    page.goto(f"{live_server.url}/sites/{site.pk}/?device=tablet")
    open_filters(page)
    field(page, "Identity contains").fill("alice")
    field(page, "Device").select_option("desktop")
    field(page, "With errors").check()
    page.locator("tr[data-session] td.replay a").first.click()
    page.wait_for_url("**/sessions/**")

    page.go_back()
    page.wait_for_url("**/?device=tablet")
    open_filters(page)
    assert field(page, "Identity contains").input_value() == ""
    assert field(page, "Device").input_value() == "tablet"
    assert not field(page, "With errors").is_checked()


def test_each_chip_removes_its_own_filter_and_keeps_the_others(shop, live_server, page):
    site, _ = shop
    query = {"date_to": day(0), "max_duration": "600", "identity": "bob@corp.test", "tag": "plan",
             "tag_value": "free", "browser": "firefox", "os": "linux", "live": "1", "after": "x_1"}
    listed = f"{live_server.url}/sites/{site.pk}/?" + "&".join(f"{k}={v}" for k, v in query.items())
    page.goto(listed)
    labels = chips(page)
    assert labels == [f"To {day(0)}", "At most 600 s long", "Identity is bob@corp.test", "Tag plan = free",
                      "Browser firefox", "OS linux", "Live now"]

    removes = {"To": ["date_to"], "At most": ["max_duration"], "Identity is": ["identity"],
               "Tag": ["tag", "tag_value"], "Browser": ["browser"], "OS": ["os"], "Live": ["live"]}
    for label in labels:
        page.goto(listed)
        page.get_by_role("link", name=f"Remove filter: {label}", exact=True).click()
        page.wait_for_load_state()
        gone = next(keys for start, keys in removes.items() if label.startswith(start))
        # The rest stays; the list starts again from its first page.
        expected = {k: v for k, v in query.items() if k not in gone and k != "after"}
        assert query_of(page.url) == expected, label
        assert label not in chips(page)


def test_a_keyboard_reaches_the_first_session_in_a_few_key_presses(shop, live_server, page):
    site, sessions = shop
    page.goto(f"{live_server.url}/sites/{site.pk}/")
    first = page.locator("tr[data-session] td.replay a").first

    # Tab alone: the site's navigation, then the folded filters (one stop), then the first session.
    presses = 0
    while presses < 40 and not first.evaluate("a => a === document.activeElement"):
        page.keyboard.press("Tab")
        presses += 1
    assert presses <= 15  # 35 while the form stood open (15 since the site nav has a Heatmaps tab)

    # The skip link: Tab, Enter, Tab.
    page.goto(f"{live_server.url}/sites/{site.pk}/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the sessions"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert first.evaluate("a => a === document.activeElement")
    assert str(sessions["alice"].pk) in first.get_attribute("href")

    # The filters open with Enter and close with Escape, from any of their fields, back on their summary
    # (Escape did nothing: the open form stood between the keyboard and the list).
    summary = page.get_by_test_id("filters").locator("summary")
    summary.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert field(page, "From").evaluate("f => f === document.activeElement")
    page.keyboard.press("Escape")
    assert not field(page, "From").is_visible()
    assert summary.evaluate("s => s === document.activeElement")


def test_older_sessions_page_on_with_the_filters(live_server, page):
    owner = UserFactory(username="owner")
    site = SiteFactory(owner=owner)
    sessions = many_sessions(site, 70)
    with_errors = sorted((s for s in sessions if s.error_count), key=lambda s: (s.started_at, s.pk), reverse=True)
    login(page, live_server, "owner")
    page.goto(f"{live_server.url}/sites/{site.pk}/?errors=1")
    assert rows(page) == [str(s.pk) for s in with_errors]  # 35: one page, no link
    assert page.get_by_role("link", name="Older sessions →").count() == 0

    page.get_by_role("link", name="Remove filter: With errors").click()
    page.wait_for_load_state()
    first = rows(page)
    page.get_by_role("link", name="Older sessions →").click()
    page.wait_for_url("**after=*")
    second = rows(page)
    everything = sorted(sessions, key=lambda s: (s.started_at, s.pk), reverse=True)
    assert (len(first), len(second)) == (50, 20)
    assert first + second == [str(s.pk) for s in everything]

    page.get_by_role("link", name="← Newer sessions").click()
    page.wait_for_load_state()
    assert rows(page) == first
    assert page.get_by_role("link", name="← Newer sessions").count() == 0


def test_a_session_with_many_long_tags_keeps_every_row_on_screen(client, live_server, page):
    """Tags are the site's to send: up to 50, values of up to 255 characters. As one unbroken line each, they
    made the table thousands of pixels wide, and every row's Replay button left the window. With a long
    identity and entry page, and every badge, as well, the row still fits a 1280 px window."""
    site = SiteFactory(owner=UserFactory(username="owner"), domains=["shop.example.com"])
    now = timezone.now().replace(microsecond=0)
    long_tags = {f"campaign{n}": f"spring-sale-{n}-" + "x" * 240 for n in range(50)}
    tagged = store_session(client, site, started=now - timedelta(minutes=5), tags=long_tags, identity="i" * 255,
                           paths=["/" + "p" * 2000], errors=3, agent="safari-iphone")
    plain = store_session(client, site, started=now - timedelta(minutes=9), tags={"plan": "gold"})
    # Every badge the Started column can hold (live, errors and the four frustration signals).
    Session.objects.filter(pk=tagged.pk).update(rage_clicks=2, dead_clicks=3, error_clicks=1, quick_backs=1)
    login(page, live_server, "owner")
    page.goto(f"{live_server.url}/sites/{site.pk}/")

    table = page.evaluate("() => { const w = document.querySelector('.table-wrap'); "
                          "return [w.scrollWidth, w.clientWidth]; }")
    assert table[0] <= table[1], f"the table is {table[0]} px wide in {table[1]} px"
    for session in (tagged, plain):
        replay = page.locator(f"tr[data-session='{session.pk}'] a.button").bounding_box()
        assert replay["x"] + replay["width"] <= 1280, f"Replay of {session.pk} is off screen: {replay}"
    row = page.locator(f"tr[data-session='{tagged.pk}']")
    assert row.bounding_box()["height"] < 200
    # A few tags show, each whole in its tooltip, and the list says how many more there are.
    first = row.locator(".tag").first
    assert first.get_attribute("title") == f"campaign0: {long_tags['campaign0']}"
    assert row.locator(".tags-more").inner_text() == f"+{50 - row.locator('.tag').count()} more"
    assert page.locator(f"tr[data-session='{plain.pk}'] .tag").inner_text() == "plan: gold"


# --- live, as the list and the player say it ------------------------------------------------------

def shop_page(snippet: str, heading: str, link: str = "") -> str:
    return (f"<!doctype html><html><head><title>{heading}</title>{snippet}</head><body><h1>{heading}</h1>"
            f"<button id='order'>Order</button>{link}</body></html>")


def live_badges(page) -> list[str]:
    return page.locator("tr[data-session]:has(.badge.live)").evaluate_all("rows => rows.map(r => r.dataset.session)")


@pytest.fixture
def visit(live_server, celery_worker, customer, browser):
    """A visitor on a customer's page (a link leads to a second one), its first batch stored; the owner logged in."""
    site = SiteFactory(owner=UserFactory(username="owner"), domains=[customer.domain])
    snippet = site_snippet(site, live_server.url)
    customer.pages = {"/": shop_page(snippet, "Teas", "<a id='next' href='/cart'>Cart</a>"),
                      "/cart": shop_page(snippet, "Your basket")}
    visitor, owner = browser.new_context(), browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        tab = visitor.new_page()
        tab.goto(customer.url("/"))
        recorder_started(tab)
        tab.click("#order")
        session = wait_for(lambda: Session.objects.filter(site=site, chunk_count__gt=0).first(), timeout=30,
                           message="the first stored batch")
        dashboard = owner.new_page()
        login(dashboard, live_server, "owner")
        yield SimpleNamespace(site=site, session=session, tab=tab, dashboard=dashboard)
    finally:
        visitor.close()
        owner.close()


@pytest.mark.worker
def test_a_session_whose_visitor_just_closed_the_page_is_not_live_in_the_list_or_the_player(visit, live_server):
    site, session, dashboard = visit.site, visit.session, visit.dashboard
    dashboard.goto(f"{live_server.url}/sites/{site.pk}/")
    assert live_badges(dashboard) == [str(session.pk)]  # the visitor is on the page

    visit.tab.close()  # the page's last batch says it went away
    wait_for(lambda: Session.objects.filter(pk=session.pk, status=Session.FINISHED).exists(), timeout=30,
             message="the closing page's batch to be stored")

    dashboard.goto(f"{live_server.url}/sites/{site.pk}/")
    assert live_badges(dashboard) == []
    open_player(dashboard, live_server, site, session)
    state = dashboard.evaluate("({...window.__hsPlayer.state})")
    assert (state["live"], state["following"], state["playing"]) == (False, False, False)
    assert state["currentTime"] < 1000  # at the start, not at its end
    assert not dashboard.get_by_test_id("live-badge").is_visible()


@pytest.mark.worker
def test_the_player_follows_a_visitor_onto_the_next_page_of_the_site(visit, live_server):
    player = visit.dashboard
    open_player(player, live_server, visit.site, visit.session)
    wait_for_js(player, "window.__hsPlayer.state.following === true")

    # Leaving the first page ends the session for a moment; the next page's batch comes within 10 s.
    visit.tab.click("#next")
    visit.tab.wait_for_url("**/cart")
    player.frame_locator("#hs-player iframe").locator("text=Your basket").wait_for(timeout=30_000)
    assert player.evaluate("window.__hsPlayer.state.live") is True
    assert player.get_by_test_id("live-badge").is_visible()
