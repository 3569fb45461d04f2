"""The player fits the window in real Chromium: the recorded page, the play button and the timeline are
all on screen without scrolling, a tall phone recording scales down to fit, and a keyboard user reaches
the controls at once.

Each case also leaves a screenshot in test-artifacts/ (player-fit-*.png) to look at.
"""
import time

import pytest

from tests.e2e.conftest import artifact, login, wait_for_js
from tests.e2e.test_dashboard_phone import RING_IN_ROW
from tests.e2e.test_player import mouse_move, open_player, shop_recording, store_recording
from tests.factories import SiteFactory, UserFactory
from tests.test_session_list import AGENTS

pytestmark = pytest.mark.e2e

WINDOWS = [(1280, 720), (1440, 900)]
# The recorded viewports: a laptop's, and a phone's held upright (taller than any window here).
DESKTOP, PHONE = (1024, 640), (390, 844)


def recording_of_viewport(start: int, width: int, height: int) -> list[dict]:
    """The tea shop recording, as seen in a viewport of this size."""
    events = shop_recording(start)
    meta = events[0]
    return [{**meta, "data": {**meta["data"], "width": width, "height": height}}, *events[1:]]


@pytest.fixture
def recordings(client, live_server):
    site = SiteFactory(owner=UserFactory(username="owner"), name="Tea shop", domains=["shop.example.com"])
    start = int(time.time() * 1000) - 5 * 60 * 1000
    desktop = store_recording(client, site, recording_of_viewport(start, *DESKTOP))
    phone = store_recording(client, site, recording_of_viewport(start, *PHONE), agent=AGENTS["safari-iphone"])
    return site, {"desktop": desktop, "phone": phone}


def on_screen(page, selector: str) -> dict:
    """The element's box, checked to lie wholly inside the window as the page opens (no scrolling)."""
    box = page.locator(selector).bounding_box()
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    assert box is not None, f"{selector} is not shown"
    assert box["x"] >= 0 and box["y"] >= 0, f"{selector} starts off screen: {box}"
    assert box["x"] + box["width"] <= width + 0.5, f"{selector} ends right of the window: {box}"
    assert box["y"] + box["height"] <= height + 0.5, f"{selector} ends under the window ({height}px): {box}"
    return box


def inside(inner: dict, outer: dict) -> bool:
    return (inner["x"] >= outer["x"] - 0.5 and inner["y"] >= outer["y"] - 0.5
            and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
            and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5)


@pytest.mark.parametrize("window", WINDOWS, ids=lambda w: f"{w[0]}x{w[1]}")
@pytest.mark.parametrize("kind", ["desktop", "phone"])
def test_the_recorded_page_the_play_button_and_the_timeline_fit_the_window(recordings, live_server, browser,
                                                                           window, kind):
    site, sessions = recordings
    context = browser.new_context(viewport={"width": window[0], "height": window[1]})
    try:
        page = context.new_page()
        login(page, live_server, "owner")

        open_player(page, live_server, site, sessions[kind])
        page.wait_for_timeout(200)  # the fit is measured on the next frame after the controls arrive

        stage = on_screen(page, "[data-testid=stage]")
        frame = on_screen(page, "#hs-player iframe")  # its box is the scaled replay
        on_screen(page, "[data-testid=play-toggle]")
        on_screen(page, "[data-testid=seek]")
        on_screen(page, "[data-testid=marker] >> nth=0")
        on_screen(page, "[data-testid=time]")
        assert page.evaluate("window.scrollY") == 0
        # The whole recorded viewport is on the stage, at its own proportions.
        assert inside(frame, stage)
        width, height = (DESKTOP if kind == "desktop" else PHONE)
        assert frame["width"] / frame["height"] == pytest.approx(width / height, rel=0.01)
        scale = float(page.locator(".replayer-wrapper").get_attribute("data-scale"))
        assert scale == pytest.approx(min(stage["width"] / width, stage["height"] / height), rel=0.02)
        if kind == "phone":
            # Taller than the window: shrunk to the stage's height, not cut or pushing the controls down.
            assert scale < 1
            assert frame["height"] == pytest.approx(stage["height"] - 2, abs=2)  # the stage's 1 px borders
        page.screenshot(path=str(artifact(f"player-fit-{kind}-{window[0]}x{window[1]}.png")))
    finally:
        context.close()


def test_a_keyboard_user_reaches_the_play_button_with_one_tab_and_enter(recordings, live_server, page):
    site, sessions = recordings
    login(page, live_server, "owner")
    open_player(page, live_server, site, sessions["desktop"])
    start = page.url

    page.keyboard.press("Tab")
    skip = page.evaluate("document.activeElement.textContent")
    assert skip == "Skip to the player controls"
    assert page.locator(".skip-link").bounding_box()["y"] >= 0  # shown once focused
    page.keyboard.press("Enter")

    assert page.evaluate("document.activeElement.dataset.testid") == "play-toggle"
    assert page.url == start  # no #fragment that would end up in copied links
    page.keyboard.press("Space")
    assert page.get_by_test_id("play-toggle").get_attribute("data-state") == "playing"


def test_without_the_skip_link_the_play_button_is_the_first_stop_after_the_timeline(recordings, live_server,
                                                                                    page):
    """The count that the skip link saves, written down: every Tab stop from the top to the play button."""
    site, sessions = recordings
    login(page, live_server, "owner")
    open_player(page, live_server, site, sessions["desktop"])

    stops = []
    while len(stops) < 40:
        page.keyboard.press("Tab")
        stops.append(page.evaluate("document.activeElement.dataset.testid || document.activeElement.textContent.trim()"))
        if stops[-1] == "play-toggle":
            break
    assert stops[0] == "Skip to the player controls"
    # The timeline's markers are one stop (arrows move between them), then the seek bar, then play.
    assert stops[-3:] == ["marker", "seek", "play-toggle"]
    assert len(stops) <= 20


TAB_ROW = """() => {
    const row = document.querySelector('[role=tablist]');
    return {tops: [...row.children].map((tab) => tab.offsetTop), width: row.clientWidth, scrolls: row.scrollWidth,
            page: document.documentElement.scrollWidth};
}"""


@pytest.mark.parametrize("window", [(1280, 800), *WINDOWS], ids=lambda w: f"{w[0]}x{w[1]}")
def test_the_panel_tabs_sit_in_one_row_beside_the_replay(recordings, live_server, browser, window):
    site, sessions = recordings
    context = browser.new_context(viewport={"width": window[0], "height": window[1]})
    try:
        page = context.new_page()
        login(page, live_server, "owner")
        open_player(page, live_server, site, sessions["desktop"])

        row = page.evaluate(TAB_ROW)
        assert len(row["tops"]) == 5
        assert len(set(row["tops"])) == 1, f"the tabs wrap onto {len(set(row['tops']))} lines"
        assert row["scrolls"] <= row["width"], "the tab row has to be scrolled"
        page.screenshot(path=str(artifact(f"player-tabs-{window[0]}x{window[1]}.png")))
    finally:
        context.close()


def test_on_a_phone_the_tab_row_scrolls_and_the_page_does_not(recordings, live_server, browser):
    site, sessions = recordings
    context = browser.new_context(viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        login(page, live_server, "owner")
        open_player(page, live_server, site, sessions["desktop"])

        row = page.evaluate(TAB_ROW)
        assert len(set(row["tops"])) == 1
        assert row["scrolls"] > row["width"]  # the row scrolls within itself...
        assert row["page"] == 320  # ...and the page stays the window's width
        # A tab reached with the arrow keys comes into view, its focus ring whole (the row clipped the ring drawn
        # around each tab).
        page.get_by_test_id("search-input").focus()
        page.keyboard.press("Tab")
        for _ in range(4):
            page.keyboard.press("ArrowRight")
            assert page.evaluate(f"({RING_IN_ROW})(document.activeElement)") == {"ring": True, "inside": True}
        details = page.get_by_test_id("tab-details").bounding_box()
        assert details["x"] >= 0 and details["x"] + details["width"] <= 320 + 0.5
    finally:
        context.close()


def test_a_long_identity_keeps_to_one_line_of_the_heading(client, live_server, page):
    """An identity may be 255 characters. The heading wrapped it over four lines, and the replay under it was
    shrunk by as much to keep the controls in the window; then it kept to one line but ran on past the
    window, which the whole page then scrolled sideways to show, on a phone and on a desktop alike.
    A long address (a campaign's tracking parameters) took twenty lines of its row in the Pages panel."""
    site = SiteFactory(owner=UserFactory(username="owner"), domains=["shop.example.com"])
    identity = "customer-" + "0123456789abcdef" * 15
    long_url = "https://shop.example.com/checkout?utm_campaign=" + "spring-sale-" * 40 + "&gclid=" + "x" * 300
    start = int(time.time() * 1000) - 5 * 60 * 1000
    events = shop_recording(start, identity=identity)
    for event in events:
        if event.get("data", {}).get("tag") == "hs.page" and event["data"]["payload"]["kind"] == "push":
            event["data"]["payload"]["url"] = long_url
    session = store_recording(client, site, events)
    login(page, live_server, "owner")
    open_player(page, live_server, site, session)

    heading = page.locator("h1")
    line = float(heading.evaluate("h => getComputedStyle(h).lineHeight.replace('px', '')"))
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 800})
        box = heading.bounding_box()
        assert box["height"] < 1.5 * line
        assert box["x"] + box["width"] <= width, f"the heading runs to {box['x'] + box['width']} px of {width}"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.locator("h1 bdi").get_attribute("title") == identity
    address = page.get_by_test_id("page-entry").nth(1).locator(".hsp-row-url")
    assert address.get_attribute("title") == long_url  # whole in its tooltip
    lines = address.evaluate("u => u.getBoundingClientRect().height / parseFloat(getComputedStyle(u).lineHeight)")
    assert lines <= 3.05, f"the address takes {lines:.1f} lines"
    page.get_by_test_id("tab-details").click()
    assert identity in page.get_by_test_id("panel-details").inner_text()


CONTROLS = """() => [...document.querySelector('.hsp-controls').children].map((control) => {
    const box = control.getBoundingClientRect();
    return [control.className, Math.round(box.left), Math.round(box.top + box.height / 2)];
})"""


def test_the_controls_stay_in_place_as_the_time_of_an_hour_long_replay_grows(client, live_server, browser):
    """The time grew wider as the replay played (0:00 / 1:01:00, then 10:00 /, then 1:00:00 /): the speeds and
    the buttons after it moved under the viewer's pointer, and past the hour the full-screen button dropped
    onto a line of its own, on a laptop's 1280 px."""
    site = SiteFactory(owner=UserFactory(username="owner"), domains=["shop.example.com"])
    start = int(time.time() * 1000) - 2 * 60 * 60 * 1000
    events = shop_recording(start)
    events.append(mouse_move(start + 61 * 60 * 1000, events[1]["data"]["node"]["id"]))
    session = store_recording(client, site, events)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        login(page, live_server, "owner")
        open_player(page, live_server, site, session)
        at_start = page.evaluate(CONTROLS)

        page.evaluate("window.__hsPlayer.controller.seek(window.__hsPlayer.controller.total())")
        wait_for_js(page, "document.querySelector('[data-testid=time]').textContent.startsWith('1:01:00')")

        assert page.evaluate(CONTROLS) == at_start
        assert len({middle for _, _, middle in at_start}) == 1, f"the controls take more than one line: {at_start}"
        page.screenshot(path=str(artifact("player-controls-hour.png")))
    finally:
        context.close()
