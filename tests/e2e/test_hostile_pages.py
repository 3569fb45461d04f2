"""Pages nobody wrote for us: an emoji cut by a console message's limit, a DOM thousands of elements deep.

Each is recorded by the real recorder in Chromium, stored by a real worker,
served by the events API and replayed in the player.
"""
import re

import pytest

from recorder import jsontext
from recorder.models import Session
from sites.snippet import site_snippet
from tests.e2e.conftest import flush_now, login, recorder_started, wait_for_js
from tests.e2e.test_capture import custom, has, html, make_site, stored_events

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

LONE_SURROGATE = re.compile("[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]")
# Chromium itself crashes laying out 3,000 nested elements (its renderer, not our code), and
# rrweb's Replayer overflows its stack seeking through 2,000 (rrdom's diff is recursive).
DEEP, PLAYABLE = 2000, 1000


def events_api(client, session) -> list[dict]:
    answer = client.get(f"/api/v1/sessions/{session.pk}/events/")
    assert answer.status_code == 200
    return jsontext.loads(b"".join(answer.streaming_content) if answer.streaming else answer.content)


def test_a_console_message_cut_inside_an_emoji_keeps_the_session_replayable(
        live_server, celery_worker, customer, page, client):
    site = make_site(customer)
    customer.pages = {"/": html(site_snippet(site, live_server.url), "<h1>Emoji</h1>")}
    page.goto(customer.url("/"))
    recorder_started(page)
    # Each message puts an emoji across the recorder's 500-character cut.
    page.evaluate("""() => { for (let pad = 496; pad < 502; pad++) console.error('x'.repeat(pad) + '🔥🔥 sold out') }""")
    page.wait_for_timeout(300)
    page.close()
    events = stored_events(site, until=has("hs.error", lambda p: len(p["message"]) >= 500))
    messages = [p["message"] for p in custom(events, "hs.error")]
    assert len(messages) == 6 and not any(LONE_SURROGATE.search(m) for m in messages)
    assert any(e["type"] == 2 for e in events), "the full snapshot of the session's first batch was lost"
    client.force_login(site.owner)
    served = events_api(client, Session.objects.get(site=site))
    assert [p["message"] for p in custom(served, "hs.error")] == messages


def record_wells(live_server, customer, page, depth: int):
    """A visit of a page with a well `depth` elements deep, and a second one added while recording."""
    site = make_site(customer)
    # The HTML parser stops nesting at 512 levels; a script builds deeper, as frameworks do.
    build = f"""<script>
      function well(depth, words) {{
        let top = document.createElement('div'), at = top
        for (let i = 1; i < depth; i++) {{ const d = document.createElement('div'); at.appendChild(d); at = d }}
        at.textContent = words
        return top
      }}
      document.addEventListener('DOMContentLoaded', () => document.body.appendChild(well({depth}, 'bottom of the first well')))
    </script>"""
    customer.pages = {"/": html(site_snippet(site, live_server.url) + build, "<h1>Deep</h1>")}
    answers = []
    page.on("response", lambda r: "/ingest" in r.url and answers.append(r.status))
    page.goto(customer.url("/"))
    recorder_started(page)
    page.wait_for_timeout(500)
    page.evaluate(f"document.body.appendChild(well({depth}, 'bottom of the second well'))")
    page.wait_for_timeout(1000)
    flush_now(page)
    for _ in range(300):  # serialising a deep page takes the recorder a while
        if 202 in answers:
            break
        page.wait_for_timeout(100)
    page.close()
    stored_events(site, until=both_wells, timeout=60)
    return site, Session.objects.get(site=site)


def both_wells(events) -> bool:
    text = jsontext.dumps(events).decode()
    return "bottom of the first well" in text and "bottom of the second well" in text


def test_a_dom_thousands_of_elements_deep_is_recorded_stored_and_served(
        live_server, celery_worker, customer, page, client):
    # rrweb's recorder overflows its stack on a change this deep: the recorder takes a full snapshot again.
    site, session = record_wells(live_server, customer, page, DEEP)
    client.force_login(site.owner)
    assert both_wells(events_api(client, session))


def test_a_deep_dom_replays_in_the_player(live_server, celery_worker, customer, context, client):
    site, session = record_wells(live_server, customer, context.new_page(), PLAYABLE)
    viewer = context.new_page()
    login(viewer, live_server, site.owner.username)
    viewer.goto(f"{live_server.url}/sites/{site.pk}/sessions/{session.pk}/?t={session.duration_ms / 1000:.1f}")
    wait_for_js(viewer, "window.__hsPlayer && window.__hsPlayer.state.status === 'ready'", timeout=30_000)
    frame = viewer.frame_locator("#hs-player iframe")
    frame.locator("text=bottom of the first well").wait_for(state="attached", timeout=10_000)
    frame.locator("text=bottom of the second well").wait_for(state="attached", timeout=10_000)


def test_rules_the_browser_refuses_are_the_pages_to_catch_and_recording_goes_on(live_server, celery_worker, customer, page):
    """CSS-in-JS libraries (styled-components, Redoc's) insert rules written for other browsers
    (`::-moz-selection`) and count on insertRule throwing to keep their rule indexes right."""
    site = make_site(customer)
    customer.pages = {"/": html(site_snippet(site, live_server.url), "<h1>Styled</h1><style id='sc'></style>")}
    page.goto(customer.url("/"))
    recorder_started(page)
    thrown = page.evaluate("""() => {
        const sheet = document.getElementById('sc').sheet
        let thrown = 0, at = 0
        for (let i = 0; i < 8; i++) {
            try { sheet.insertRule('.x' + i + '::-moz-selection { color: red }', at); at++ } catch (e) { thrown++ }
            sheet.insertRule('.ok' + i + ' { color: rgb(0, 128, 0) }', at++)
        }
        const p = document.createElement('p')
        p.className = 'ok7'
        p.textContent = 'after the rules'
        document.body.appendChild(p)
        return thrown
    }""")
    assert thrown == 8, "the page's insertRule did not throw for rules the browser refuses"
    assert page.evaluate("document.getElementById('sc').sheet.cssRules.length") == 8
    assert page.evaluate("getComputedStyle(document.querySelector('p.ok7')).color") == "rgb(0, 128, 0)"
    page.wait_for_timeout(300)
    page.close()
    events = stored_events(site, until=lambda events: "after the rules" in jsontext.dumps(events).decode())
    assert sum(1 for e in events if e["type"] == 2) == 1, "a refused rule was taken for a recorder failure"
    rules = [add["rule"] for e in events if e["type"] == 3 and e["data"]["source"] == 8 for add in e["data"].get("adds", [])]
    assert rules == [f".ok{i} {{ color: rgb(0, 128, 0) }}" for i in range(8)]
