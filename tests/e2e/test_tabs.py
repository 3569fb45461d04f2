"""A visit in several tabs, and back to a page the browser kept: the replay follows the page in front.

Every tab of a visitor shares the session, and each page's rrweb events name nodes of its own DOM. Played as
one stream, a page behind that keeps changing (a ticking counter here) changes whatever node of the page in
front has the same id, and a page the visitor comes back to goes on changing the other page's DOM. The
recorder sends the DOM of the page the visitor last brought up, and a full snapshot when one comes back
(docs/protocol.md, "Tabs"). Real recorder, real worker, the real player.
"""
import json

import pytest

from recorder.models import Session
from sites.snippet import site_snippet
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, flush_now, login, recorder_started
from tests.e2e.test_capture import custom, html, make_site, stored_events
from tests.e2e.test_player import open_player

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

# A page that changes on its own four times a second, shown or not.
SHOP = """<h1>Shop</h1><p>Visitors here now: <span id="tick">0</span></p>
<button id="add" onclick="this.textContent = 'Added to cart'">Add to cart</button>
<button id="more" onclick="document.getElementById('extra').hidden = false">More</button>
<p id="extra" hidden>Free delivery over 40 euros</p>
<script>let n = 0; setInterval(() => { document.getElementById('tick').textContent = String(++n); }, 250);</script>"""

CART = """<h1>Cart</h1><ul><li>Kettle</li><li>Teapot</li></ul>
<label>Note <input id="note" class="hindsight-unmask"></label>
<button id="pay" onclick="this.textContent = 'Paid'; document.getElementById('thanks').hidden = false">Pay</button>
<p id="thanks" hidden>Thank you</p>"""

# What the page shows, at a moment every change made before it was stamped (the next millisecond, as
# bench/fidelity.py samples).
SEEN_JS = """() => {
    const before = Date.now();
    let t = before;
    while (t === before) t = Date.now();
    const note = document.getElementById('note');
    return { t, text: document.body.innerText, note: note ? note.value : null };
}"""

# (The player's seek to a moment shows the changes stamped at it too; the sample, those stamped before it.)
REPLAYED_JS = """(t) => {
    const P = window.__hsPlayer;
    P.controller.seek(t - 1 - P.replayer.service.state.context.events[0].timestamp);
    const d = P.replayer.iframe.contentDocument;
    const note = d.getElementById('note');
    return { t, text: d.body.innerText, note: note ? note.value : null };
}"""


# Whether rrweb observes the page: while it records, the stylesheets' insertRule is its wrapper.
NATIVE_JS = "window.__nativeInsertRule = CSSStyleSheet.prototype.insertRule"
OBSERVED_JS = "() => CSSStyleSheet.prototype.insertRule !== window.__nativeInsertRule"


def seen(page) -> dict:
    page.wait_for_timeout(400)
    return page.evaluate(SEEN_JS)


def shop_and_cart(live_server, customer):
    """A site whose pages /shop and /cart carry the real snippet (/plain does not)."""
    site = make_site(customer)
    snippet = site_snippet(site, live_server.url)
    customer.pages = {"/shop": html(snippet, SHOP, title="Shop"), "/cart": html(snippet, CART, title="Cart"),
                      "/plain": html("", "<p>No recorder here</p>")}
    return site


def batches_formed(context, customer, site) -> int:
    """How many batches the visit's tabs formed, once they are closed: the session's next batch number.

    Each closing tab sends its last batch as it goes, in no set order: the events of the tab closed first
    may be stored before the other's, so waiting for the newest moment alone is not enough.
    """
    page = context.new_page()
    page.goto(customer.url("/plain"))
    seq = page.evaluate(f"JSON.parse(localStorage.getItem('hs_ses_{site.pk}')).seq")
    page.close()
    return seq


def shop_in_front(context, customer) -> tuple:
    """The shop opened in a tab of its own, recording, its button clicked: (page, [what it shows])."""
    shop = context.new_page()
    shop.add_init_script(NATIVE_JS)
    shop.goto(customer.url("/shop"))
    recorder_started(shop)
    shop.click("#add")
    return shop, [seen(shop)]


def replays_as_seen(viewer, live_server, site, moments: list[dict], batches: int) -> list[dict]:
    """Asserts the player shows each moment as the visitor saw it; returns the stored events in time order.

    (A tab's batches go out when it forms them: the first tab's first batch may be stored after the second's.)
    """
    events = stored_events(site, until=lambda events: Session.objects.get(site=site).chunk_count >= batches)
    assert max(e["timestamp"] for e in events) >= moments[-1]["t"] - 400
    events.sort(key=lambda e: e["timestamp"])
    login(viewer, live_server, "owner")
    open_player(viewer, live_server, site, Session.objects.get(site=site))
    for moment in moments:
        assert viewer.evaluate(REPLAYED_JS, moment["t"]) == moment
    return events


def page_kinds(events: list[dict]) -> list[tuple[str, str]]:
    """(last path segment, kind) of each hs.page."""
    return [(p["url"].rsplit("/", 1)[1], p["kind"]) for p in custom(events, "hs.page")]


@pytest.fixture
def viewer(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    yield context.new_page()
    context.close()


def test_two_tabs_of_one_visit_replay_each_page_as_the_visitor_saw_it(live_server, celery_worker, customer, context,
                                                                        viewer):
    site = shop_and_cart(live_server, customer)
    shop, moments = shop_in_front(context, customer)
    assert shop.evaluate(OBSERVED_JS)
    # The visitor opens the cart in a second tab, types a note and pays; the shop ticks on behind.
    cart = context.new_page()
    cart.goto(customer.url("/cart"))
    recorder_started(cart)
    cart.click("#note")
    cart.keyboard.type("ring twice")
    moments.append(seen(cart))
    cart.click("#pay")
    moments.append(seen(cart))
    cart.wait_for_timeout(1000)  # four more ticks of the shop, behind
    moments.append(seen(cart))
    assert not shop.evaluate(OBSERVED_JS)  # rrweb stopped observing the shop at its first tick behind
    # Back to the shop's tab: what it shows now, and what the visitor does there.
    shop.click("#more")
    moments.append(seen(shop))
    assert shop.evaluate(OBSERVED_JS)
    shop.wait_for_timeout(600)
    moments.append(seen(shop))
    cart.close()
    shop.close()

    events = replays_as_seen(viewer, live_server, site, moments, batches_formed(context, customer, site))
    assert page_kinds(events) == [("shop", "load"), ("cart", "load"), ("shop", "tab")]
    assert Session.objects.get(site=site).page_count == 2  # (a switch back is not a page view)
    assert "Cart" in moments[2]["text"] and "Thank you" in moments[2]["text"] and moments[1]["note"] == "ring twice"
    assert "Free delivery" in moments[4]["text"]

    # The pages panel says the visitor came back to the shop's tab.
    viewer.get_by_role("tab", name="Pages").click()
    entries = viewer.get_by_test_id("page-entry")
    assert entries.count() == 3
    assert viewer.get_by_role("tab", name="Pages").text_content().strip().endswith("2")  # page views, as the session
    assert entries.nth(2).get_attribute("aria-label").startswith("Jump to switch back to a page open in another tab at")
    assert entries.nth(2).text_content().startswith("0:0") and "Tab" in entries.nth(2).text_content()
    assert entries.nth(1).get_attribute("aria-label").startswith("Jump to page view at")


def test_a_page_the_browser_kept_and_showed_again_replays_as_itself(live_server, celery_worker, customer, browser,
                                                                     viewer):
    site = shop_and_cart(live_server, customer)
    # Playwright turns Chromium's back-forward cache off; a visitor's browser has it on.
    kept = browser.browser_type.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                       ignore_default_args=["--disable-back-forward-cache"])
    try:
        page = kept.new_context(viewport={"width": 1280, "height": 800}).new_page()
        page.goto(customer.url("/shop"))
        recorder_started(page)
        page.evaluate("window.__kept = true")
        page.click("#add")
        moments = [seen(page)]
        page.goto(customer.url("/cart"))
        recorder_started(page)
        page.click("#note")
        page.keyboard.type("leave at the door")
        moments.append(seen(page))
        page.go_back(wait_until="commit")  # (a page shown from the cache has no load event)
        page.wait_for_function("window.__kept === true")  # the same page, not a new load
        moments.append(seen(page))
        page.click("#more")
        moments.append(seen(page))
        page.close()
        batches = batches_formed(page.context, customer, site)
    finally:
        kept.close()

    events = replays_as_seen(viewer, live_server, site, moments, batches)
    assert page_kinds(events) == [("shop", "load"), ("cart", "load"), ("shop", "back")]
    assert Session.objects.get(site=site).page_count == 3
    assert "Free delivery" in moments[3]["text"] and "Added to cart" in moments[3]["text"]


def test_a_tab_opened_behind_is_recorded_from_when_the_visitor_first_sees_it(live_server, celery_worker, customer,
                                                                             context, viewer):
    site = shop_and_cart(live_server, customer)
    shop = context.new_page()
    shop.goto(customer.url("/shop"))
    recorder_started(shop)
    # The cart opens in a background tab (a middle click): hidden from its first script on.
    cart = context.new_page()
    cart.add_init_script("""
        Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
        Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});""")
    cart.goto(customer.url("/cart"))
    recorder_started(cart)
    cart.evaluate("document.querySelector('li').textContent = 'Kettle (last one)'")  # changed while behind
    shop.click("#add")
    moments = [seen(shop)]
    # The visitor switches to the cart's tab.
    cart.evaluate("""() => {
        Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'visible'});
        Object.defineProperty(document, 'hidden', {configurable: true, get: () => false});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    moments.append(seen(cart))
    cart.click("#pay")
    moments.append(seen(cart))
    cart.close()
    shop.close()

    events = replays_as_seen(viewer, live_server, site, moments, batches_formed(context, customer, site))
    assert "Kettle (last one)" in moments[1]["text"]
    assert page_kinds(events) == [("shop", "load"), ("cart", "load")]  # the cart's load, said when first seen
    shown_at = next(e["timestamp"] for e in events if e["type"] == 5 and e["data"]["tag"] == "hs.page"
                    and e["data"]["payload"]["url"].endswith("/cart"))
    assert shown_at > moments[0]["t"]


def test_what_a_page_did_after_another_came_in_front_is_taken_back(live_server, celery_worker, customer, context):
    """A tab learns that another came in front when its copy of localStorage is updated, a moment after the
    write. A change it makes in that moment is stamped after the other page's snapshot and would play into
    it. Here the moment is made long: the page changes, then the other page's claim is written with a time
    before that change, then the page changes again (its next event reads the claim)."""
    site = shop_and_cart(live_server, customer)
    page = context.new_page()
    page.goto(customer.url("/shop"))
    recorder_started(page)
    page.click("#add")
    claimed = page.evaluate("""() => {
        const at = Date.now();
        while (Date.now() < at + 2) {}
        document.querySelector('h1').textContent = 'Changed after the other tab came in front';
        return at;
    }""")
    page.wait_for_timeout(100)  # (the change is recorded)
    page.evaluate(f"""() => {{
        localStorage.setItem('hs_front_{site.pk}', JSON.stringify('another-page {claimed}'));
        document.querySelector('h1').textContent = 'Changed again';
    }}""")
    page.wait_for_timeout(100)
    flush_now(page)
    events = stored_events(site, until=lambda events: any(e["type"] == 3 and e["data"].get("source") == 2
                                                          for e in events))
    text = json.dumps(events)
    assert "Added to cart" in text  # before the claim: kept
    assert "Changed after the other tab" not in text and "Changed again" not in text
    assert max(e["timestamp"] for e in events if e["type"] in (2, 3, 4)) < claimed


def test_a_page_hidden_a_while_is_not_observed_and_shows_again_with_a_snapshot(live_server, celery_worker, customer,
                                                                               context, viewer):
    """A page hidden for more than 10 s (another site's tab, a minimised window) stops being observed: its
    changes meanwhile are not sent, the replay holds what the visitor saw last. Shown again, it takes a full
    snapshot, so the replay shows what it shows then. A quick look elsewhere changes nothing."""
    site = shop_and_cart(live_server, customer)
    shop, moments = shop_in_front(context, customer)
    visibility = """(state) => {
        const at = Date.now();
        Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => state});
        Object.defineProperty(document, 'hidden', {configurable: true, get: () => state === 'hidden'});
        document.dispatchEvent(new Event('visibilitychange'));
        return at;
    }"""
    hidden_at = shop.evaluate(visibility, "hidden")
    shop.wait_for_timeout(3000)
    assert shop.evaluate(OBSERVED_JS)  # not yet
    shop.wait_for_timeout(8000)
    assert not shop.evaluate(OBSERVED_JS)
    shown_at = shop.evaluate(visibility, "visible")
    assert shop.evaluate(OBSERVED_JS)
    moments.append(seen(shop))
    shop.click("#more")
    moments.append(seen(shop))
    shop.close()

    events = replays_as_seen(viewer, live_server, site, moments, batches_formed(context, customer, site))
    changes = [e["timestamp"] for e in events if e["type"] == 3 and e["data"]["source"] == 0]
    assert any(hidden_at < t < hidden_at + 3000 for t in changes)  # the ticks of the first seconds hidden
    assert not any(hidden_at + 11_000 < t < shown_at for t in changes)  # none once it slept
    snapshots = [e["timestamp"] for e in events if e["type"] == 2]
    assert len(snapshots) == 2 and shown_at <= snapshots[1] < moments[1]["t"]
    assert page_kinds(events) == [("shop", "load")]
    assert "hidden visible" in " ".join(p["state"] for p in custom(events, "hs.visibility"))  # (then closed)


def test_a_still_page_comes_back_in_front_at_the_visitors_first_key(live_server, celery_worker, customer, context,
                                                                     viewer):
    """The page in front listens for what brings a page in front only once another page came in front (a
    listener on every key and click cost it more than rrweb's recording). A page that changes nothing learns of
    the other's claim from the storage event: the visitor's first key in it (its field still focused, as in
    side-by-side windows) brings it in front, and that key's character replays at its moment."""
    site = shop_and_cart(live_server, customer)
    first = context.new_page()
    first.goto(customer.url("/cart"))
    recorder_started(first)
    first.click("#note")
    first.keyboard.type("first tab")
    moments = [seen(first)]
    second = context.new_page()  # loads in view: in front
    second.goto(customer.url("/cart"))
    recorder_started(second)
    second.click("#note")
    second.keyboard.type("second tab")
    moments.append(seen(second))
    first.wait_for_timeout(300)  # (the first tab's copy of localStorage is updated)
    first.keyboard.press("!")  # no pointer moved: nothing of this page was recorded since the second's claim
    moments.append(seen(first))
    first.wait_for_timeout(300)
    second.close()
    first.close()

    events = replays_as_seen(viewer, live_server, site, moments, batches_formed(context, customer, site))
    assert page_kinds(events) == [("cart", "load"), ("cart", "load"), ("cart", "tab")]
    assert moments[2]["note"] == "first tab!"
