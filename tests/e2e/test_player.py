"""The replay player in real Chromium, logged in through the login form.

Most tests replay a hand-built recording (rrweb events as the recorder sends them, posted to
ingest and stored to S3 by the worker's task), so that every moment is known to the
millisecond. The live test records a real visit with the real recorder and a real worker.
"""
import time
import uuid

import pytest

from recorder.models import Chunk, Session
from recorder.tasks import chunk_process
from sites.snippet import site_snippet
from tests.conftest import make_batch, post_batch
from tests.e2e.conftest import artifact, login, recorder_started, wait_for, wait_for_js
from tests.factories import SiteFactory, UserFactory

pytestmark = pytest.mark.e2e

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
HEADLINE = "Fresh oolong from the misty hills"
ADDED = "Added to basket"
AFTER_GAP = "Thanks for waiting"
ERROR = "Payment failed: card declined"
# Moments of the hand-built recording, in ms from its start.
CLICK, ADD_TEXT, GOOD_REQUEST, BAD_REQUEST, CONSOLE_ERROR = 2000, 3000, 4000, 5000, 6000
IDLE_FROM, IDLE_TO = 7000, 67000  # a minute with nothing going on
HEADING, SECOND_PAGE, LAST_CLICK = 68000, 69000, 70000


class Dom:
    """rrweb's serialized nodes, with ids handed out in order."""

    def __init__(self):
        self.last_id = 0

    def _id(self) -> int:
        self.last_id += 1
        return self.last_id

    def text(self, text: str, *, style: bool = False) -> dict:
        node = {"type": 3, "textContent": text, "id": self._id()}
        return {**node, "isStyle": True} if style else node

    def el(self, tag: str, attributes: dict | None = None, *children) -> dict:
        return {"type": 2, "tagName": tag, "attributes": attributes or {}, "childNodes": list(children),
                "id": self._id()}

    def document(self, html: dict) -> dict:
        doctype = {"type": 1, "name": "html", "publicId": "", "systemId": "", "id": self._id()}
        return {"type": 0, "childNodes": [doctype, html], "id": self._id()}


def custom(tag: str, payload: dict, timestamp: int) -> dict:
    return {"type": 5, "data": {"tag": tag, "payload": payload}, "timestamp": timestamp}


def mouse_move(at: int, node: int) -> dict:
    return {"type": 3, "data": {"source": 1, "positions": [{"x": 300, "y": 200, "id": node, "timeOffset": 0}]},
            "timestamp": at}


def click(at: int, node: int) -> dict:
    return {"type": 3, "data": {"source": 2, "type": 2, "id": node, "x": 120, "y": 160}, "timestamp": at}


def add_element(dom: Dom, at: int, parent: int, tag: str, text: str) -> dict:
    """A mutation adding <tag>text</tag> at the end of `parent` (rrweb lists each added node)."""
    element = dom.el(tag)
    words = dom.text(text)
    adds = [{"parentId": parent, "nextId": None, "node": element},
            {"parentId": element["id"], "nextId": None, "node": words}]
    return {"type": 3, "data": {"source": 0, "texts": [], "attributes": [], "removes": [], "adds": adds},
            "timestamp": at}


def shop_recording(start: int, *, headline: str = HEADLINE, identity: str = "alice@example.com",
                   tags: dict | None = None) -> list[dict]:
    """Seventy seconds on a tea shop: a click, requests (one failing), an error, a minute idle, a second page."""
    dom = Dom()
    button = dom.el("button", {"id": "buy"}, dom.text("Add to basket"))
    body = dom.el(
        "body", {"style": "font-family: sans-serif; margin: 32px; background: #fffdf7; color: #222"},
        dom.el("h1", {}, dom.text(headline)),
        dom.el("p", {}, dom.text("Hand-picked leaves, rolled by hand and shipped the same day.")),
        button,
        # Recorded content is data: neither of these may ever run in the dashboard.
        dom.el("img", {"src": "data:,nothing", "style": "display: none", "onerror": "parent.__pwned = 'img'"}),
        dom.el("script", {}, dom.text("parent.__pwned = 'script'")),
        dom.el("ul", {}, *[dom.el("li", {}, dom.text(f"Oolong no. {n}: floral, sweet, roasted")) for n in range(6)]),
    )
    head = dom.el("head", {}, dom.el("title", {}, dom.text("Tea shop")),
                  dom.el("style", {}, dom.text("h1 { color: #2e7d32; } button { font-size: 18px; }", style=True)))
    snapshot = dom.document(dom.el("html", {"lang": "en"}, head, body))
    events = [
        {"type": 4, "data": {"href": "https://shop.example.com/", "width": 1024, "height": 640}, "timestamp": start},
        {"type": 2, "data": {"node": snapshot, "initialOffset": {"left": 0, "top": 0}}, "timestamp": start},
        custom("hs.page", {"url": "https://shop.example.com/", "title": "Tea shop", "kind": "load", "referrer": ""},
               start + 10),
        custom("hs.identify", {"id": identity}, start + 20),
        custom("hs.tag", {"tags": tags or {"plan": "gold"}}, start + 30),
        mouse_move(start + 1000, body["id"]),
        click(start + CLICK, button["id"]),
        add_element(dom, start + ADD_TEXT, body["id"], "p", ADDED),
        custom("hs.net", {"kind": "fetch", "method": "GET", "url": "https://shop.example.com/api/cart", "status": 200,
                          "duration": 35, "reqSize": 0, "resSize": 120}, start + GOOD_REQUEST),
        custom("hs.net", {"kind": "fetch", "method": "post", "url": "https://shop.example.com/api/pay", "status": 500,
                          "duration": 120, "reqSize": 40, "resSize": 12}, start + BAD_REQUEST),
        custom("hs.error", {"kind": "console.error", "message": ERROR, "source": "https://shop.example.com/app.js",
                            "line": 42, "col": 7, "stack": ""}, start + CONSOLE_ERROR),
        mouse_move(start + IDLE_FROM, body["id"]),
        mouse_move(start + IDLE_TO, body["id"]),
        add_element(dom, start + HEADING, body["id"], "h2", AFTER_GAP),
        custom("hs.page", {"url": "https://shop.example.com/checkout", "title": "Checkout", "kind": "push",
                           "referrer": ""}, start + SECOND_PAGE),
        click(start + LAST_CLICK, button["id"]),
    ]
    return events


def store_recording(client, site, events: list[dict], *, agent: str = FIREFOX_WINDOWS, finished: bool = True,
                    vid: str = "visitor-0001") -> Session:
    """Through ingest and the worker's task, split in two batches as a recorder would send them."""
    sid = str(uuid.uuid4())
    half = len(events) // 2
    for seq, part in enumerate((events[:half], events[half:])):
        batch = make_batch(site.pk, sid=sid, seq=seq, vid=vid, events=part)
        assert post_batch(client, batch, HTTP_USER_AGENT=agent).status_code == 202
        chunk = Chunk.objects.get(session_id=sid, seq=seq)
        chunk_process.apply(args=[chunk.pk])
        # Where a test runs a Celery worker too, it may hold the session (the message ingest queued):
        # the eager run then leaves the chunk to it.
        wait_for(lambda: Chunk.objects.filter(pk=chunk.pk, status=Chunk.STORED).exists(), timeout=20,
                 message=f"chunk {seq} of {sid} stored")
    if finished:
        Session.objects.filter(pk=sid).update(status=Session.FINISHED)
    return Session.objects.get(pk=sid)


@pytest.fixture
def recording(client, live_server):
    owner = UserFactory(username="owner")
    site = SiteFactory(owner=owner, name="Tea shop", domains=["shop.example.com"])
    start = int(time.time() * 1000) - 5 * 60 * 1000
    return site, store_recording(client, site, shop_recording(start))


def open_player(page, live_server, site, session, query: str = ""):
    page.goto(f"{live_server.url}/sites/{site.pk}/sessions/{session.pk}/{query}")
    wait_for_js(page, "window.__hsPlayer && window.__hsPlayer.state.status === 'ready'", timeout=20_000)
    return page.frame_locator("#hs-player iframe")


@pytest.fixture
def player(page, live_server, recording):
    """The owner, logged in, with the recording open in the player (paused at the start)."""
    site, session = recording
    login(page, live_server, "owner")
    open_player(page, live_server, site, session)
    return page


def now_ms(page) -> float:
    return page.evaluate("window.__hsPlayer.replayer.getCurrentTime()")


def replay_rate(page, wall_ms: int = 800) -> float:
    """Replayed milliseconds per wall-clock millisecond, measured inside the page."""
    return page.evaluate("""async (wait) => {
        const r = window.__hsPlayer.replayer;
        const t0 = r.getCurrentTime(), w0 = performance.now();
        await new Promise((done) => setTimeout(done, wait));
        return (r.getCurrentTime() - t0) / (performance.now() - w0);
    }""", wall_ms)


def blur(page):
    page.evaluate("document.activeElement && document.activeElement.blur()")


def test_the_recorded_page_shows_in_a_frame_that_can_run_no_script(player):
    frame_element = player.locator("#hs-player iframe")
    sandbox = frame_element.get_attribute("sandbox")
    assert sandbox is not None and "allow-scripts" not in sandbox.split()

    frame = player.frame_locator("#hs-player iframe")
    assert frame.locator("h1").inner_text() == HEADLINE
    assert frame.locator("h1").is_visible()
    assert frame.locator("li").count() == 6
    assert player.get_by_test_id("current-url").inner_text() == "https://shop.example.com/"
    assert player.get_by_test_id("viewport-size").inner_text().replace("×", "x").replace(" ", "") == "1024x640"
    player.wait_for_timeout(300)
    assert player.evaluate("window.__pwned") is None


def test_play_pause_and_the_four_speeds(player):
    toggle = player.get_by_test_id("play-toggle")
    assert toggle.get_attribute("data-state") == "paused"

    toggle.click()
    assert toggle.get_attribute("data-state") == "playing"
    assert toggle.get_attribute("aria-label") == "Pause"
    assert 0.6 < replay_rate(player) < 1.6

    toggle.click()
    assert toggle.get_attribute("data-state") == "paused"
    assert replay_rate(player, 400) == 0

    for speed in (2, 4, 8, 1):
        player.get_by_test_id(f"speed-{speed}").click()
        pressed = {s: player.get_by_test_id(f"speed-{s}").get_attribute("aria-pressed") for s in (1, 2, 4, 8)}
        assert pressed == {s: str(s == speed).lower() for s in (1, 2, 4, 8)}
        assert player.evaluate("window.__hsPlayer.replayer.config.speed") == speed

    player.get_by_test_id("speed-8").click()
    toggle.click()
    assert 5 < replay_rate(player, 600) < 11


def test_clicking_the_timeline_seeks_there(player):
    seek = player.get_by_test_id("seek")
    box = seek.bounding_box()

    seek.click(position={"x": box["width"] * 0.25, "y": box["height"] / 2})
    assert abs(now_ms(player) - 0.25 * LAST_CLICK) < 1500
    assert player.get_by_test_id("time").inner_text() == "0:17 / 1:10"

    seek.click(position={"x": box["width"] * 0.75, "y": box["height"] / 2})
    assert abs(now_ms(player) - 0.75 * LAST_CLICK) < 1500
    assert player.get_by_test_id("play-toggle").get_attribute("data-state") == "paused"

    # Dragging shows the moment under the pointer as it goes, and seeks there on release.
    player.mouse.move(box["x"] + box["width"] * 0.25, box["y"] + box["height"] / 2)
    player.mouse.down()
    player.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2, steps=4)
    assert player.get_by_test_id("time").inner_text() == "0:35 / 1:10"
    assert abs(now_ms(player) - 0.75 * LAST_CLICK) < 1500
    player.mouse.up()
    assert abs(now_ms(player) - 0.5 * LAST_CLICK) < 1500
    assert player.get_by_test_id("time").inner_text() == "0:35 / 1:10"


def test_full_screen_gives_the_replay_the_whole_screen_and_f_leaves_it(player):
    def scale() -> float:
        return float(player.get_by_test_id("stage").locator(".replayer-wrapper").get_attribute("data-scale"))

    windowed = scale()
    button = player.get_by_test_id("full-screen")
    button.click()
    wait_for_js(player, "document.fullscreenElement && document.fullscreenElement.classList.contains('hsp-main')")
    # fullscreenElement is set before the fullscreenchange event that the button follows is fired.
    wait_for(lambda: button.get_attribute("aria-pressed") == "true")
    # The replay grows into the screen, and the controls stay on it.
    wait_for(lambda: scale() > windowed * 1.2)
    assert player.get_by_test_id("play-toggle").bounding_box()["y"] < player.viewport_size["height"]

    player.keyboard.press("f")
    wait_for_js(player, "document.fullscreenElement === null")
    wait_for(lambda: button.get_attribute("aria-pressed") == "false")
    wait_for(lambda: abs(scale() - windowed) < 0.01)


def test_space_plays_and_pauses_and_arrows_step_five_seconds(player):
    blur(player)
    player.keyboard.press("Space")
    assert player.get_by_test_id("play-toggle").get_attribute("data-state") == "playing"
    player.keyboard.press("Space")
    assert player.get_by_test_id("play-toggle").get_attribute("data-state") == "paused"

    before = now_ms(player)
    player.keyboard.press("ArrowRight")
    player.keyboard.press("ArrowRight")
    assert abs(now_ms(player) - (before + 10_000)) < 300
    player.keyboard.press("ArrowLeft")
    assert abs(now_ms(player) - (before + 5_000)) < 300

    # Typing in the search box is not a shortcut.
    player.get_by_test_id("search-input").type("a b")
    assert player.get_by_test_id("play-toggle").get_attribute("data-state") == "paused"


def test_a_deep_link_opens_the_replay_at_that_moment(page, live_server, recording):
    site, session = recording
    login(page, live_server, "owner")

    frame = open_player(page, live_server, site, session, "?t=30")
    assert abs(now_ms(page) - 30_000) < 500
    assert page.get_by_test_id("time").inner_text() == "0:30 / 1:10"
    assert frame.locator(f"text={ADDED}").count() == 1
    assert frame.locator(f"text={AFTER_GAP}").count() == 0

    frame = open_player(page, live_server, site, session, "?t=68.5")
    assert abs(now_ms(page) - 68_500) < 500
    frame.locator(f"text={AFTER_GAP}").wait_for(timeout=5000)
    assert page.get_by_test_id("current-url").inner_text() == "https://shop.example.com/"


def test_inactivity_is_skipped_quickly_and_said_so(page, live_server, recording):
    site, session = recording
    login(page, live_server, "owner")
    open_player(page, live_server, site, session, "?t=6.5")
    assert page.get_by_test_id("skip-toggle").get_attribute("aria-pressed") == "true"

    page.get_by_test_id("play-toggle").click()
    started = time.monotonic()
    page.get_by_test_id("skip-note").wait_for(state="visible", timeout=5000)
    wait_for_js(page, f"window.__hsPlayer.replayer.getCurrentTime() >= {IDLE_TO}", timeout=15_000)
    took = time.monotonic() - started

    assert took < 12, f"a minute of inactivity took {took:.1f} s to pass"
    page.get_by_test_id("skip-note").wait_for(state="hidden", timeout=3000)


def test_with_skipping_off_the_idle_minute_plays_in_real_time(page, live_server, recording):
    site, session = recording
    login(page, live_server, "owner")
    open_player(page, live_server, site, session, "?t=6.5")

    page.get_by_test_id("skip-toggle").click()
    assert page.get_by_test_id("skip-toggle").get_attribute("aria-pressed") == "false"
    page.get_by_test_id("play-toggle").click()

    assert replay_rate(page, 1500) < 1.6
    assert page.get_by_test_id("skip-note").is_hidden()


def test_a_deep_link_into_the_idle_minute_skips_the_rest_of_it_on_play(page, live_server, recording):
    site, session = recording
    login(page, live_server, "owner")
    open_player(page, live_server, site, session, "?t=30")

    page.get_by_test_id("play-toggle").click()

    page.get_by_test_id("skip-note").wait_for(state="visible", timeout=3000)
    assert replay_rate(page, 600) > 3
    wait_for_js(page, f"window.__hsPlayer.replayer.getCurrentTime() >= {IDLE_TO}", timeout=12_000)
    page.get_by_test_id("skip-note").wait_for(state="hidden", timeout=3000)


def test_a_seek_or_a_new_speed_in_the_idle_minute_keeps_skipping_it(player):
    player.get_by_test_id("play-toggle").click()
    seek = player.get_by_test_id("seek")
    box = seek.bounding_box()

    seek.click(position={"x": box["width"] * 20 / 70, "y": box["height"] / 2})  # 20 s: 47 s before anything happens
    player.get_by_test_id("skip-note").wait_for(state="visible", timeout=3000)
    assert replay_rate(player, 600) > 3

    player.get_by_test_id("speed-2").click()
    player.get_by_test_id("skip-note").wait_for(state="visible", timeout=3000)
    assert replay_rate(player, 600) > 4


def markers(page) -> set[tuple[str, int]]:
    return {(m.get_attribute("data-kind"), int(float(m.get_attribute("data-time"))))
            for m in page.get_by_test_id("marker").all()}


def test_the_timeline_marks_pages_clicks_errors_failed_requests_and_tags(player):
    assert markers(player) == {
        ("page", 10), ("page", SECOND_PAGE), ("tag", 30), ("click", CLICK), ("click", LAST_CLICK),
        ("error", CONSOLE_ERROR), ("network", BAD_REQUEST),
    }
    player.locator("[data-testid=marker][data-kind=error]").click()
    assert abs(now_ms(player) - CONSOLE_ERROR) < 50


def test_an_entry_of_the_console_panel_jumps_to_its_moment(page, live_server, recording):
    site, session = recording
    login(page, live_server, "owner")
    open_player(page, live_server, site, session, "?t=50")

    page.get_by_test_id("tab-console").click()
    assert page.get_by_test_id("panel-console").is_visible()
    assert page.get_by_test_id("panel-pages").is_hidden()
    (entry,) = page.get_by_test_id("console-entry").all()
    assert ERROR in entry.inner_text() and "app.js" in entry.inner_text()

    entry.click()
    assert abs(now_ms(page) - CONSOLE_ERROR) < 50
    assert page.get_by_test_id("time").inner_text().startswith("0:06")


def test_the_network_panel_lists_requests_and_marks_failures(player):
    player.get_by_test_id("tab-network").click()
    assert player.get_by_test_id("panel-network").is_visible()

    good, bad = player.get_by_test_id("network-entry").all()
    assert [good.locator(c).inner_text() for c in (".hsp-method", ".hsp-status")] == ["GET", "200"]
    assert "/api/cart" in good.inner_text()
    assert [bad.locator(c).inner_text() for c in (".hsp-method", ".hsp-status")] == ["POST", "500"]
    assert "/api/pay" in bad.inner_text()
    assert "hsp-failed" in bad.get_attribute("class") and "hsp-failed" not in good.get_attribute("class")

    bad.click()
    assert abs(now_ms(player) - BAD_REQUEST) < 50


def test_the_network_panel_shows_addresses_decoded_with_the_raw_one_in_its_tooltip(client, page, live_server):
    owner = UserFactory(username="owner")
    site = SiteFactory(owner=owner, name="Tea shop", domains=["shop.example.com"])
    start = int(time.time() * 1000) - 5 * 60 * 1000
    raw = {
        "https://shop.example.com/api/caf%C3%A9%20menu?q=%E2%9C%93": "/api/café menu?q=✓",
        # An escape that would change the address stays, and so does a malformed one.
        "https://shop.example.com/api/a%2Fb?x=%E2%9C": "/api/a%2Fb?x=%E2%9C",
        "javascript:alert(%22pwned%22)": 'javascript:alert("pwned")',
    }
    requests = [custom("hs.net", {"kind": "fetch", "method": "GET", "url": url, "status": 503 if n == 0 else 200,
                                  "duration": 5, "reqSize": 0, "resSize": 1}, start + 4100 + n)
                for n, url in enumerate(raw)]
    session = store_recording(client, site, sorted(shop_recording(start) + requests, key=lambda e: e["timestamp"]))
    login(page, live_server, "owner")
    open_player(page, live_server, site, session)

    page.get_by_test_id("tab-network").click()
    rows = page.get_by_test_id("network-entry").all()[1:4]
    assert [row.locator(".hsp-row-url").inner_text() for row in rows] == list(raw.values())
    assert [row.locator(".hsp-row-url").get_attribute("title") for row in rows] == list(raw)
    # So does the failed request's marker on the timeline.
    marker = page.locator("[data-testid=marker][data-kind=network][data-time='4100']")
    assert "GET /api/café menu?q=✓ (503)" in marker.get_attribute("title").replace("https://shop.example.com", "")
    # Addresses are words to read, never links.
    assert page.get_by_test_id("panel-network").locator("a").count() == 0


def test_each_list_marks_the_row_of_the_moment_shown_and_keeps_it_in_view(client, page, live_server):
    owner = UserFactory(username="owner")
    site = SiteFactory(owner=owner, name="Tea shop", domains=["shop.example.com"])
    start = int(time.time() * 1000) - 5 * 60 * 1000
    # A request every half second from 8 s on: far more rows than the panel shows at once.
    polls = [custom("hs.net", {"kind": "xhr", "method": "GET", "url": f"https://shop.example.com/api/poll?n={n}",
                               "status": 200, "duration": 5, "reqSize": 0, "resSize": 1}, start + 8000 + 500 * n)
             for n in range(100)]
    session = store_recording(client, site, sorted(shop_recording(start) + polls, key=lambda e: e["timestamp"]))
    login(page, live_server, "owner")
    open_player(page, live_server, site, session, "?t=40")
    panel = page.get_by_test_id("panel-network")

    def current() -> list[str]:
        return [row.get_attribute("data-time") for row in panel.locator("[aria-current=true]").all()]

    def shown(row) -> bool:
        return row.evaluate("""(row) => {
            const box = row.closest('[role=tabpanel]').getBoundingClientRect(), r = row.getBoundingClientRect();
            return r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
        }""")

    page.get_by_test_id("tab-network").click()
    assert current() == ["40000"]  # the request at 8 s + 64 × 0.5 s
    assert shown(panel.locator("[aria-current=true]"))
    page.get_by_test_id("tab-pages").click()
    assert [r.get_attribute("data-time") for r in page.locator("[data-testid=page-entry][aria-current=true]").all()] \
        == ["10"]

    # A viewer who scrolled the list away to read it is not pulled back by the replay moving on.
    page.get_by_test_id("tab-network").click()
    panel.evaluate("(panel) => { panel.scrollTop = 0; }")
    blur(page)
    page.keyboard.press("ArrowRight")
    assert current() == ["45000"]
    assert panel.evaluate("(panel) => panel.scrollTop") == 0


def test_the_pages_and_details_panels(player):
    pages = player.get_by_test_id("page-entry").all()
    assert [p.get_attribute("data-time") for p in pages] == ["10", str(SECOND_PAGE)]
    assert "Checkout" in pages[1].inner_text()
    pages[1].click()
    assert abs(now_ms(player) - SECOND_PAGE) < 50
    assert player.get_by_test_id("current-url").inner_text() == "https://shop.example.com/checkout"

    player.get_by_test_id("tab-details").click()
    details = player.get_by_test_id("panel-details").inner_text()
    for fact in ("alice@example.com", "plan: gold", "Firefox", "Windows", "desktop", "visitor-0001"):
        assert fact in details, fact


def test_a_session_without_a_snapshot_says_so_and_still_lists_its_pages_and_errors(client, page, live_server):
    """A visitor who left before the recorder took the page (or a page it could not take): nothing to replay,
    but what was recorded of the visit is shown, as the session list's "1 page" and "1 err" promise."""
    site = SiteFactory(owner=UserFactory(username="owner"), domains=["shop.example.com"])
    start = int(time.time() * 1000) - 60_000
    session = store_recording(client, site, [
        custom("hs.page", {"url": "https://shop.example.com/pay", "title": "Payment", "kind": "load", "referrer": ""},
               start),
        custom("hs.error", {"kind": "error", "message": ERROR, "source": "", "line": 0, "col": 0, "stack": ""},
               start + 500),
    ])
    login(page, live_server, "owner")
    page.goto(f"{live_server.url}/sites/{site.pk}/sessions/{session.pk}/")
    wait_for_js(page, "window.__hsPlayer && window.__hsPlayer.state.status === 'empty'", timeout=20_000)

    assert page.get_by_test_id("player-message").inner_text() == (
        "This session has no page snapshot, so there is nothing to replay.")
    (entry,) = page.get_by_test_id("page-entry").all()
    assert "Payment" in entry.inner_text() and "/pay" in entry.inner_text()
    assert page.get_by_test_id("tab-pages").inner_text().split() == ["Pages", "1"]
    page.get_by_test_id("tab-console").click()
    (error,) = page.get_by_test_id("console-entry").all()
    assert ERROR in error.inner_text()
    page.get_by_test_id("tab-frustration").click()
    assert "No rage, dead or error clicks" in page.get_by_test_id("panel-frustration").inner_text()


# Where a text's last character shows: left of its first, as a right-to-left line puts it.
ENDS_ON_THE_LEFT = """(el) => {
    const text = el.firstChild, range = document.createRange();
    range.setStart(text, 0); range.setEnd(text, 1);
    const first = range.getBoundingClientRect().left;
    range.setStart(text, text.length - 1); range.setEnd(text, text.length);
    return range.getBoundingClientRect().left < first;
}"""

# The same, for a text split among children: the last child's last character left of the first child's first.
LAST_CHILD_ENDS_LEFT_OF_THE_FIRST = """(el) => {
    const first = el.firstChild, last = el.lastChild, range = document.createRange();
    range.setStart(first, 0); range.setEnd(first, 1);
    const start = range.getBoundingClientRect().left;
    range.setStart(last, last.length - 1); range.setEnd(last, last.length);
    return range.getBoundingClientRect().left < start;
}"""


def test_words_in_a_right_to_left_script_read_right_to_left_in_the_list_and_the_player(client, page, live_server):
    """A Hebrew title's closing '!' belongs at its left end; in the dashboard's left-to-right lines it
    showed at the right, before the first word, as did an Arabic identity's or error message's."""
    site = SiteFactory(owner=UserFactory(username="owner"), domains=["shop.example.com"])
    start = int(time.time() * 1000) - 5 * 60 * 1000
    events = shop_recording(start, identity="סבתא רבקה!", headline="חנות התה הטובה!")
    for event in events:
        payload = event["data"].get("payload") if event["type"] == 5 else None
        if payload and event["data"]["tag"] == "hs.page" and payload["kind"] == "load":
            payload["title"] = "חנות התה!"
        if payload and event["data"]["tag"] == "hs.error":
            payload["message"] = "فشل الدفع!"
    session = store_recording(client, site, events)
    login(page, live_server, "owner")

    page.goto(f"{live_server.url}/sites/{site.pk}/")
    assert page.locator(f"tr[data-session='{session.pk}'] td.identity").evaluate(ENDS_ON_THE_LEFT)
    open_player(page, live_server, site, session)
    assert page.locator("h1 bdi").evaluate(ENDS_ON_THE_LEFT)
    assert page.get_by_test_id("page-entry").first.locator(".hsp-row-title").evaluate(ENDS_ON_THE_LEFT)
    page.get_by_test_id("tab-console").click()
    assert page.get_by_test_id("console-entry").locator(".hsp-row-message").evaluate(ENDS_ON_THE_LEFT)
    # Addresses stay left to right.
    assert not page.get_by_test_id("page-entry").first.locator(".hsp-row-url").evaluate(ENDS_ON_THE_LEFT)
    page.get_by_test_id("search-input").fill("התה")
    page.get_by_test_id("search-input").press("Enter")
    snippet = page.get_by_test_id("search-result").first.locator("mark").locator("..")  # (the match's line)
    assert snippet.inner_text() == "חנות התה הטובה!"
    assert snippet.evaluate(LAST_CHILD_ENDS_LEFT_OF_THE_FIRST)  # (the match is a <mark> between two texts)


def test_search_finds_text_seen_in_the_recording_and_jumps_there(player):
    search = player.get_by_test_id("search-input")

    search.fill("thanks for")
    search.press("Enter")
    (result,) = player.get_by_test_id("search-result").all()
    assert result.get_attribute("data-time") == str(HEADING)
    result.click()
    assert abs(now_ms(player) - HEADING) < 50
    player.frame_locator("#hs-player iframe").locator(f"text={AFTER_GAP}").wait_for(timeout=5000)

    search.fill("misty")
    search.press("Enter")
    assert [r.get_attribute("data-time") for r in player.get_by_test_id("search-result").all()] == ["0"]

    search.fill("earl grey")
    search.press("Enter")
    assert player.get_by_test_id("search-result").count() == 0
    assert "Not found" in player.locator(".hsp-search-status").inner_text()


def test_a_search_result_reads_as_the_recorded_text_with_the_match_marked_inside_it(player):
    search = player.get_by_test_id("search-input")
    search.fill("olon")  # inside "oolong"
    search.press("Enter")
    snippet = player.get_by_test_id("search-result").first.locator(".hsp-snippet")
    assert snippet.locator("mark").inner_text() == "olon"
    # The text either side of the match touches it, as in the word it came from.
    gaps = snippet.evaluate("""(body) => {
        const mark = body.querySelector('mark').getBoundingClientRect();
        const range = document.createRange();
        range.selectNodeContents(body.querySelector('mark').previousSibling);
        const before = range.getBoundingClientRect();
        range.selectNodeContents(body.querySelector('mark').nextSibling);
        const after = range.getClientRects()[0];
        return [mark.left - before.right, after.left - mark.right];
    }""")
    assert all(abs(gap) < 2 for gap in gaps), gaps
    assert snippet.inner_text().startswith(f"{HEADLINE[:7]}olon")


def test_previous_and_next_follow_the_filtered_list(client, page, live_server, recording):
    site, tagged_newest = recording
    start = int(time.time() * 1000)
    untagged = store_recording(client, site, shop_recording(start - 10 * 60_000, headline="Untagged visit",
                                                            tags={"other": "x"}))
    tagged_oldest = store_recording(client, site, shop_recording(start - 20 * 60_000, headline="Older gold visit"))
    assert untagged.started_at > tagged_oldest.started_at
    login(page, live_server, "owner")

    page.goto(f"{live_server.url}/sites/{site.pk}/?tag=plan")
    page.click(f"tr[data-session='{tagged_newest.pk}'] a")
    wait_for_js(page, "window.__hsPlayer && window.__hsPlayer.state.status === 'ready'")
    assert page.get_by_test_id("prev-session").count() == 0

    page.get_by_test_id("next-session").click()
    page.wait_for_url(f"**/sessions/{tagged_oldest.pk}/?tag=plan")
    frame = page.frame_locator("#hs-player iframe")
    frame.locator("text=Older gold visit").wait_for(timeout=20_000)
    assert page.get_by_test_id("next-session").count() == 0

    page.get_by_test_id("prev-session").click()
    page.wait_for_url(f"**/sessions/{tagged_newest.pk}/?tag=plan")


# --- a real visit, followed live ---------------------------------------------------------------

def visitor_page(snippet: str) -> str:
    return f"""<!doctype html><html><head><title>Live tea</title>{snippet}</head><body>
    <h1>Live tea tasting</h1><p id="status">Welcome.</p>
    <button id="order" onclick="document.getElementById('status').textContent = 'Ordering…'">Order</button>
    </body></html>"""


@pytest.mark.worker
def test_the_player_follows_a_visit_that_is_still_going_on(live_server, celery_worker, customer, browser):
    owner = UserFactory(username="owner")
    site = SiteFactory(owner=owner, name="Live tea", domains=[customer.domain])
    customer.pages = {"/": visitor_page(site_snippet(site, live_server.url))}
    visitor = browser.new_context(viewport={"width": 1100, "height": 700})
    viewer = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        tab = visitor.new_page()
        tab.goto(customer.url("/"))
        recorder_started(tab)
        tab.evaluate("""() => {
            __insp.push(['identify', 'live-visitor-7']);
            __insp.push(['tagSession', {plan: 'trial'}]);
            console.error('Live checkout exploded');
            fetch('/missing-endpoint').catch(() => {});
        }""")
        tab.click("#order")
        session = wait_for(lambda: Session.objects.filter(site=site, chunk_count__gt=0).first(), timeout=30,
                           message="the first stored batch")

        player = viewer.new_page()
        login(player, live_server, "owner")
        player.goto(f"{live_server.url}/sites/{site.pk}/sessions/{session.pk}/")
        player.get_by_test_id("live-badge").wait_for(state="visible", timeout=20_000)
        frame = player.frame_locator("#hs-player iframe")
        frame.locator("text=Live tea tasting").wait_for(timeout=20_000)
        # The badge jumps to the newest moment and follows it (opening the player alone stays at the start).
        player.get_by_test_id("live-badge").click()
        wait_for_js(player, "window.__hsPlayer.state.following === true")

        # The visitor does something new; the open player shows it without a reload.
        tab.evaluate("""() => {
            const h = document.createElement('h2');
            h.textContent = 'Brand new arrival';
            document.body.appendChild(h);
        }""")
        started = time.monotonic()
        frame.locator("text=Brand new arrival").wait_for(timeout=25_000)
        assert time.monotonic() - started < 25
        assert player.get_by_test_id("live-badge").is_visible()

        # What the real recorder sent reached the panels.
        player.get_by_test_id("tab-console").click()
        player.get_by_test_id("console-entry").filter(has_text="Live checkout exploded").wait_for(timeout=5000)
        player.get_by_test_id("tab-network").click()
        failed = player.locator("[data-testid=network-entry].hsp-failed").filter(has_text="missing-endpoint")
        failed.wait_for(timeout=5000)
        assert "404" in failed.inner_text()
        player.get_by_test_id("tab-details").click()
        player.get_by_test_id("panel-details").filter(has_text="live-visitor-7").wait_for(timeout=10_000)
        assert "plan: trial" in player.get_by_test_id("panel-details").inner_text()
        player.screenshot(path=str(artifact("player-live.png")))
    finally:
        visitor.close()
        viewer.close()


def two_loads(start: int) -> list[dict]:
    """A page loaded, then another: each load a Meta event, a full snapshot and its page view at one moment."""
    events = []
    for at, (url, headline) in ((start, ("https://shop.example.com/", "First page here")),
                                (start + 5000, ("https://shop.example.com/other", "Second page here"))):
        dom = Dom()
        html = dom.el("html", {}, dom.el("head", {}), dom.el("body", {}, dom.el("h1", {}, dom.text(headline))))
        events += [
            {"type": 4, "data": {"href": url, "width": 1024, "height": 640}, "timestamp": at},
            {"type": 2, "data": {"node": dom.document(html), "initialOffset": {"left": 0, "top": 0}}, "timestamp": at},
            custom("hs.page", {"url": url, "title": headline, "kind": "load", "referrer": ""}, at),
            mouse_move(at + 2000, 4),
        ]
    return events


def test_a_seek_to_a_page_load_or_back_to_the_start_shows_that_page(client, page, live_server):
    """rrweb's pause(t) leaves out the events at exactly t: the Pages panel's entry of a load (its snapshot
    at the same moment) showed the page before it, and the start after playing showed the last page."""
    owner = UserFactory(username="owner")
    site = SiteFactory(owner=owner, name="Tea shop", domains=["shop.example.com"])
    session = store_recording(client, site, two_loads(int(time.time() * 1000) - 60_000))
    login(page, live_server, "owner")
    frame = open_player(page, live_server, site, session)
    heading = frame.locator("h1")
    assert heading.inner_text() == "First page here"
    page.get_by_test_id("page-entry").all()[1].click()
    assert heading.inner_text() == "Second page here"
    assert page.get_by_test_id("current-url").inner_text() == "https://shop.example.com/other"
    page.get_by_test_id("seek").focus()  # the timeline's keys: End, then Home
    page.keyboard.press("End")
    assert heading.inner_text() == "Second page here"
    page.keyboard.press("Home")
    assert heading.inner_text() == "First page here"
    assert page.get_by_test_id("current-url").inner_text() == "https://shop.example.com/"
    page.get_by_test_id("page-entry").all()[1].click()
    page.get_by_test_id("page-entry").all()[0].click()
    assert heading.inner_text() == "First page here"


def test_following_a_live_session_shows_a_new_upload_s_last_moment_soon_after_it_arrives(client, page, live_server):
    """A batch holds the visitor's last seconds. Played at 1x from the viewer's edge, its last moment showed
    as long after the batch arrived as the batch lasted: the viewer stayed an upload behind the visitor."""
    owner = UserFactory(username="owner")
    site = SiteFactory(owner=owner, name="Tea shop", domains=["shop.example.com"])
    start = int(time.time() * 1000) - 70_000
    dom = Dom()
    body = dom.el("body", {}, dom.el("h1", {}, dom.text("Live shop")))
    snapshot = dom.document(dom.el("html", {}, dom.el("head", {}), body))
    first = [
        {"type": 4, "data": {"href": "https://shop.example.com/", "width": 1024, "height": 640}, "timestamp": start},
        {"type": 2, "data": {"node": snapshot, "initialOffset": {"left": 0, "top": 0}}, "timestamp": start},
        custom("hs.page", {"url": "https://shop.example.com/", "title": "Live shop", "kind": "load", "referrer": ""},
               start),
        mouse_move(start + 2000, body["id"]),
    ]
    session = store_recording(client, site, first, finished=False)
    login(page, live_server, "owner")
    frame = open_player(page, live_server, site, session)
    wait_for_js(page, "window.__hsPlayer.state.following && !window.__hsPlayer.replayer.service.state.matches('playing')")

    # A minute of the visitor moving about (no idle stretch to skip), then something new on the page.
    later = [mouse_move(start + 5000 + 1000 * n, body["id"]) for n in range(60)]
    later.append(add_element(dom, start + 65_000, body["id"], "h2", "Just arrived"))
    assert post_batch(client, make_batch(site.pk, sid=str(session.pk), seq=2, events=later)).status_code == 202
    chunk_process.apply(args=[Chunk.objects.get(session=session, seq=2).pk])

    # The poll brings it within seconds; played at 1x it would show a minute later.
    frame.locator("text=Just arrived").wait_for(timeout=20_000)
    assert page.evaluate("window.__hsPlayer.state.following")
    wait_for_js(page, "!window.__hsPlayer.replayer.service.state.matches('playing')")
    assert page.evaluate("window.__hsPlayer.replayer.config.speed") == 1
    assert page.evaluate("window.__hsPlayer.replayer.speedService.state.context.timer.speed") == 1
