"""Periodic full snapshots: the real recorder re-snapshots a changing page, so the player can seek from there.

The recorder takes a fresh full snapshot every `checkoutMs` (five minutes by
default). The test shortens it to a few seconds in this browser only, by
rewriting the config the loader embeds in the recorder script.
"""
import re

import pytest

from recorder.models import Session
from sites.snippet import site_snippet
from tests.e2e.conftest import flush_now, login, recorder_started
from tests.e2e.test_capture import has, html, make_site, stored_events
from tests.e2e.test_player import now_ms, open_player

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

CHECKOUT_MS = 3000
VISIT_MS = 9000
META, FULL_SNAPSHOT, INCREMENTAL, MUTATION = 4, 2, 3, 0

# A page that changes on its own: a counter every 500 ms, one more list item every second.
TICKER = """<h1>Departures</h1><p id="counter">tick 0</p><ul id="list"></ul><script>
const list = document.getElementById('list'), counter = document.getElementById('counter');
list.dataset.start = (Date.now() / 1000).toFixed(3);  // seconds: a 13-digit run could pass Luhn and be masked as a card number
let ticks = 0;
setInterval(() => { counter.textContent = 'tick ' + (++ticks); }, 500);
setInterval(() => {
  const item = document.createElement('li');
  item.textContent = 'train ' + (list.children.length + 1);
  list.appendChild(item);
}, 1000);
</script>"""


def shorten_checkout(page, live_server) -> list[str]:
    """Serve the loader with `checkoutMs` added to its embedded config; returns the bodies served."""
    served = []

    def handle(route):
        response = route.fetch()
        # loader_script(): (function(__hsc){...bundle...\n})({"wid":...}); checked by the test, not here,
        # so that a loader of another shape fails the test instead of hanging the page.
        body = re.sub(r'\n\}\)\(\{"wid":', '\n})({"checkoutMs":%d,"wid":' % CHECKOUT_MS, response.text(), count=1)
        served.append(body)
        route.fulfill(response=response, body=body)

    page.route(re.compile(re.escape(live_server.url) + r"/recorder\.js\?"), handle)
    return served


def find(node: dict, predicate) -> dict | None:
    """The first serialized node (depth first) for which `predicate` holds."""
    if predicate(node):
        return node
    for child in node.get("childNodes", []):
        found = find(child, predicate)
        if found is not None:
            return found
    return None


def by_id(root: dict, element_id: str) -> dict:
    node = find(root, lambda n: n.get("type") == 2 and n.get("attributes", {}).get("id") == element_id)
    assert node is not None, f"#{element_id} is not in the snapshot"
    return node


def snapshot_state(event: dict) -> dict:
    """What the page showed in a full snapshot: item count, counter text, and the page's start time."""
    root = event["data"]["node"]
    items = [c for c in by_id(root, "list")["childNodes"] if c.get("tagName") == "li"]
    counter = "".join(c.get("textContent", "") for c in by_id(root, "counter")["childNodes"])
    return {"items": len(items), "counter": counter, "start": round(float(by_id(root, "list")["attributes"]["data-start"]) * 1000)}


def replayed_state(events: list[dict], snapshot: int, until: int, *, inclusive: bool) -> dict:
    """The page at `until` (ms since epoch) as the recording has it: a snapshot plus the changes after it."""
    root = events[snapshot]["data"]["node"]
    list_id, counter = by_id(root, "list")["id"], by_id(root, "counter")
    state = snapshot_state(events[snapshot])
    text_ids = {c["id"] for c in counter["childNodes"] if c.get("type") == 3}
    for e in events[snapshot + 1:]:
        if e["type"] != INCREMENTAL or e["data"]["source"] != MUTATION:
            continue
        if e["timestamp"] > until or (e["timestamp"] == until and not inclusive):
            continue
        for add in e["data"]["adds"]:
            node = add["node"]
            if add["parentId"] == list_id and node.get("tagName") == "li":
                state["items"] += 1
            elif add["parentId"] == counter["id"] and node.get("type") == 3:
                state["counter"], text_ids = node["textContent"], {node["id"]}
        state["items"] -= sum(1 for r in e["data"]["removes"] if r["parentId"] == list_id)
        for text in e["data"]["texts"]:
            if text["id"] in text_ids:
                state["counter"] = text["value"]
    return state


def test_a_changing_page_is_snapshotted_again_and_the_player_seeks_from_there(live_server, celery_worker, customer,
                                                                              page, browser):
    site = make_site(customer)
    customer.pages = {"/": html(site_snippet(site, live_server.url), TICKER, title="Departures")}
    served = shorten_checkout(page, live_server)

    page.goto(customer.url("/"))
    recorder_started(page)
    assert len(served) == 1, f"the loader was served {len(served)} times through the route"
    assert f'\n}})({{"checkoutMs":{CHECKOUT_MS},"wid":{site.pk},' in served[0], served[0][-300:]
    page.wait_for_timeout(VISIT_MS)
    flush_now(page)
    page.wait_for_timeout(300)
    page.close()

    events = stored_events(site, until=has("hs.visibility", lambda p: p["state"] == "hidden"))
    snapshots = [i for i, e in enumerate(events) if e["type"] == FULL_SNAPSHOT]
    assert len(snapshots) >= 2, (
        f"{len(snapshots)} full snapshot(s) in {VISIT_MS} ms with checkoutMs={CHECKOUT_MS}; expected a periodic one")
    for i in snapshots:
        assert i > 0 and events[i - 1]["type"] == META, f"full snapshot #{i} is not right after a Meta event"
    first, second = (events[i] for i in snapshots[:2])
    times = [events[i]["timestamp"] for i in snapshots]
    assert times == sorted(times)
    assert second["timestamp"] - first["timestamp"] >= CHECKOUT_MS, f"snapshots too close: {times}"

    # Each snapshot is the page as it was at its own moment.
    states = [snapshot_state(events[i]) for i in snapshots]
    for i, state in zip(snapshots, states):
        elapsed = events[i]["timestamp"] - state["start"]
        assert abs(state["items"] - elapsed / 1000) <= 1.5, f"{state['items']} items {elapsed} ms after load"
        ticks = int(state["counter"].split()[1])
        assert abs(ticks - elapsed / 500) <= 2.5, f"{state['counter']!r} {elapsed} ms after load"
    assert states[1]["items"] > states[0]["items"] and states[1]["counter"] != states[0]["counter"], states

    # Seek to between the second snapshot and the next one (or the end).
    window = (second["timestamp"], events[snapshots[2]]["timestamp"] if len(snapshots) > 2 else events[-1]["timestamp"])
    assert window[1] - window[0] >= 500, f"too little recorded after the second snapshot: {window}"
    target = (window[0] + window[1]) // 2

    viewer = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        player = viewer.new_page()
        login(player, live_server, "owner")
        session = Session.objects.get(site=site)
        frame = open_player(player, live_server, site, session)
        toggle = player.get_by_test_id("play-toggle")
        if toggle.get_attribute("data-state") == "playing":  # a session that just ended opens at its live edge
            toggle.click()
        assert toggle.get_attribute("data-state") == "paused"
        player.evaluate("""() => {
            window.__rebuilt = [];
            window.__hsPlayer.replayer.on('fullsnapshot-rebuilded', (e) => window.__rebuilt.push(e.timestamp));
        }""")

        start, total = player.evaluate(
            "[window.__hsPlayer.replayer.getMetaData().startTime, window.__hsPlayer.controller.total()]")
        seek = player.get_by_test_id("seek")
        box = seek.bounding_box()
        seek.click(position={"x": box["width"] * (target - start) / total, "y": box["height"] / 2})
        at = now_ms(player)
        assert window[0] - start <= at < window[1] - start, f"seeked to {at} ms, wanted {[t - start for t in window]}"
        assert toggle.get_attribute("data-state") == "paused"

        # The player rebuilt the page from the periodic snapshot, not from the first one.
        assert player.evaluate("window.__rebuilt") == [second["timestamp"]]
        # And shows the page as it was at that moment: the snapshot plus the changes recorded since.
        frame.locator("#counter").wait_for(timeout=5000)
        shown = {"items": frame.locator("#list li").count(), "counter": frame.locator("#counter").inner_text()}
        expected = [replayed_state(events, snapshots[1], start + at, inclusive=flag) for flag in (False, True)]
        assert any(shown == {k: e[k] for k in shown} for e in expected), f"replay shows {shown}, recorded {expected}"
        assert shown["items"] >= states[1]["items"] > states[0]["items"]
        elapsed = start + at - states[1]["start"]
        assert abs(shown["items"] - elapsed / 1000) <= 1.5, f"{shown} {elapsed} ms after the page loaded"
    finally:
        viewer.close()
