"""Delivery under faults: nothing sent is lost, nothing is stored twice."""
import gzip
import json
import re
import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from recorder.models import Chunk, Session
from recorder.processing import chunk_text
from replay.recordings import session_all_parts, session_events
from sites.snippet import site_snippet
from tests.e2e.conftest import UploadSpy, flush_now, recorder_started, wait_for
from tests.e2e.test_capture import html, make_site, stored_events

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

BODY = """<h1>Log</h1><button id="add">add</button><input id="note" class="hindsight-unmask"><div id="log"></div><script>
let n = 0;
document.getElementById('add').onclick = () => {
  const p = document.createElement('p'); p.textContent = 'marker-' + (n++); document.getElementById('log').appendChild(p);
};
</script>"""


def open_log_page(live_server, customer, context):
    """A new site, and a visitor on its log page with the recorder running."""
    site = make_site(customer)
    customer.pages = {"/": html(site_snippet(site, live_server.url), BODY)}
    page = context.new_page()
    page.goto(customer.url("/"))
    recorder_started(page)
    return site, page


def markers_in(events) -> set[str]:
    return {word for word in json.dumps(events).replace('"', " ").split() if word.startswith("marker-")}


def markers_added(events) -> list[tuple[int, str]]:
    """(time, marker) of each DOM change that adds a marker."""
    return [(e["timestamp"], marker) for e in events if e["type"] == 3 and e["data"]["source"] == 0
            for marker in re.findall(r'"(marker-\d+)"', json.dumps(e))]


def no_duplicates(events) -> bool:
    keys = [json.dumps(e, sort_keys=True) for e in events]
    return len(keys) == len(set(keys))


def seqs_are_contiguous(site) -> bool:
    seqs = list(Chunk.objects.filter(site=site).order_by("seq").values_list("seq", flat=True))
    return seqs == list(range(len(seqs)))


def click_markers(page, count: int, pause: int = 150):
    for _ in range(count):
        page.click("#add")
        page.wait_for_timeout(pause)


def test_network_cut_then_restored_loses_nothing(live_server, celery_worker, customer, context):
    failed = []
    context.on("requestfailed", lambda request: "/api/v1/ingest" in request.url and failed.append(request.url))
    site, page = open_log_page(live_server, customer, context)
    click_markers(page, 5)
    context.set_offline(True)
    click_markers(page, 12, pause=1000)  # ~12 s offline, past the 10 s upload interval
    assert failed, "no upload was attempted while the network was cut"
    context.set_offline(False)
    click_markers(page, 5)
    page.wait_for_timeout(500)
    page.close()
    expected = {f"marker-{i}" for i in range(22)}
    events = stored_events(site, until=lambda events: expected <= markers_in(events), timeout=60)
    assert no_duplicates(events)
    assert seqs_are_contiguous(site)


def test_server_errors_then_success_store_everything_once(live_server, celery_worker, customer, context):
    failures = {"left": 3, "seen": 0}

    def flaky(route):
        if failures["left"] > 0:
            failures["left"] -= 1
            failures["seen"] += 1
            route.fulfill(status=503, body='{"error": "unavailable"}', headers={
                "Access-Control-Allow-Origin": customer.origin, "Access-Control-Allow-Credentials": "true"})
        else:
            route.continue_()

    context.route("**/api/v1/ingest*", flaky)
    site, page = open_log_page(live_server, customer, context)
    click_markers(page, 12, pause=600)
    for _ in range(40):  # the retries (1 s, then 2 s, ...) meet all three failures before the page closes
        if not failures["left"]:
            break
        page.wait_for_timeout(500)
    page.close()
    expected = {f"marker-{i}" for i in range(12)}
    events = stored_events(site, until=lambda events: expected <= markers_in(events), timeout=90)
    assert failures["seen"] == 3
    assert no_duplicates(events)
    assert seqs_are_contiguous(site)


def test_an_action_right_before_the_page_closes_is_stored(live_server, celery_worker, customer, context):
    site, page = open_log_page(live_server, customer, context)
    page.wait_for_timeout(300)
    page.click("#add")
    page.close()
    events = stored_events(site, until=lambda events: "marker-0" in markers_in(events))
    assert no_duplicates(events)


def test_text_typed_right_before_the_page_closes_is_stored(live_server, celery_worker, customer, context):
    site, page = open_log_page(live_server, customer, context)
    page.wait_for_timeout(300)
    page.click("#note")
    page.keyboard.type("typed-then-closed", delay=10)
    page.close()  # the field still has focus: no change event ever fires
    stored_events(site, until=lambda events: "typed-then-closed" in json.dumps(events))


def test_uploads_do_not_repeat_the_page_s_address_in_a_referer_header(live_server, celery_worker, customer, context):
    """The batch carries the page's URL as the privacy rules leave it; the browser's Referer header would
    repeat it as the browser has it (in full where the server shares the site's origin)."""
    from django.core.signals import request_started

    uploads = []

    def seen(sender, environ, **kwargs):
        if environ.get("PATH_INFO") == "/api/v1/ingest" and environ.get("REQUEST_METHOD") == "POST":
            uploads.append(environ.get("HTTP_REFERER"))

    request_started.connect(seen)
    try:
        site, page = open_log_page(live_server, customer, context)
        click_markers(page, 2)
        flush_now(page)
        stored_events(site, until=lambda events: "marker-1" in markers_in(events))
    finally:
        request_started.disconnect(seen)
    assert uploads and uploads == [None] * len(uploads), uploads


def test_what_a_closing_page_sends_was_gzipped_beforehand(live_server, celery_worker, customer, context):
    site, page = open_log_page(live_server, customer, context)
    # A big change (about 60 KB of JSON), then the page closes before any upload:
    # everything leaves in the pagehide beacon, which has no time to gzip.
    page.evaluate("""() => {
        const block = document.createElement('pre');
        block.textContent = 'ledger line, the same again and again\\n'.repeat(1500);
        document.body.appendChild(block);
    }""")
    page.wait_for_timeout(500)
    click_markers(page, 1)
    page.close()
    events = stored_events(site, until=lambda events: "marker-0" in markers_in(events))
    assert "ledger line" in json.dumps(events)
    chunk = Chunk.objects.get(site=site)  # one batch: the beacon
    as_json = len(json.dumps(events, separators=(",", ":")))
    assert as_json > 55_000
    # The change was gzipped while the page was open; a plain beacon would be as big as its JSON.
    assert chunk.received_bytes < as_json / 5, (chunk.received_bytes, as_json)


def test_what_a_closing_page_could_not_gzip_beforehand_is_compressed_as_it_closes(live_server, celery_worker, customer,
                                                                                   context):
    site, page = open_log_page(live_server, customer, context)
    flush_now(page)
    stored_events(site)  # the first batch, the snapshot's
    # A few KB of changes, less than the recorder hands its gzip worker at a time: nothing of them is
    # compressed when the page closes, so the recorder compresses them then, on the page's thread.
    page.evaluate("""() => {
        const block = document.createElement('pre');
        block.textContent = 'ledger line, the same again and again\\n'.repeat(120);
        document.body.appendChild(block);
    }""")
    click_markers(page, 3)
    page.close()
    stored_events(site, until=lambda events: "marker-2" in markers_in(events))
    last = Chunk.objects.filter(site=site).order_by("-seq").first()
    as_json = len(chunk_text(last.data))
    assert as_json > 4500
    assert last.received_bytes < as_json / 3, (last.received_bytes, as_json)


BOARD = "<h1>Board</h1><table>" + "".join(f'<tr><td>row {i}</td><td class="p">0.00</td></tr>' for i in range(40)) + """
</table><script>
let tick = 0;
window.tickBoard = () => {
  tick++;
  document.querySelectorAll('.p').forEach((td, i) => td.firstChild.nodeValue = (i + tick / 100).toFixed(2));
};
</script>"""


def dom_events(body: bytes) -> list[dict]:
    return [e for e in json.loads(body)["events"] if e["type"] == 2 or (e["type"] == 3 and e["data"]["source"] == 0)]


def test_what_a_closing_page_s_gzip_worker_had_not_taken_goes_in_the_same_encodings(live_server, celery_worker,
                                                                                      customer, context):
    """A live board's last ticks before the page closes were never handed to the recorder's gzip worker:
    they go in the closing request in the worker's encodings (docs/protocol.md), not as plain rrweb JSON,
    which cost the dashboard bench a third more bytes in its last request whenever the worker lagged."""
    site = make_site(customer)
    customer.pages = {"/": html(site_snippet(site, live_server.url), BOARD)}
    page = context.new_page()
    uploads = UploadSpy(page)
    page.goto(customer.url("/"))
    recorder_started(page)
    page.evaluate("tickBoard()")
    flush_now(page)  # the snapshot and a tick go out, formed by the worker
    uploads.wait(page)
    for _ in range(4):  # 5 KB of changes: less than the worker is handed at a time
        page.evaluate("tickBoard()")
        page.wait_for_timeout(50)
    # The page goes away (its pagehide; the page itself stays, so that its request can be read).
    page.evaluate("dispatchEvent(new PageTransitionEvent('pagehide', {persisted: false}))")
    page.wait_for_timeout(500)
    first, closing = uploads.bodies()
    for body in (first, closing):
        assert {e.get("ids") for e in dom_events(body)} == {"delta"}, body[:300]
    ticks = [e for e in dom_events(closing) if e["type"] == 3]
    assert len(ticks) == 4
    # Each tick after the first steps its prices from the one before it, in columns.
    assert all(len(e["data"]["textSteps"][0]) == 40 for e in ticks[1:])
    events = stored_events(site, until=lambda events: '"0.05"' in json.dumps(events))
    shown = [[t["value"] for t in e["data"]["texts"]] for e in events if e["type"] == 3 and e["data"]["source"] == 0]
    assert shown == [[f"{i + tick / 100:.2f}" for i in range(40)] for tick in range(1, 6)]


def events_stored_so_far(site) -> list[dict]:
    session = Session.objects.filter(site=site).first()
    return list(session_events(session_all_parts(session))) if session else []


def gap_then_snapshot(events) -> bool:
    gaps = [e["timestamp"] for e in events if e["type"] == 5 and e["data"]["tag"] == "hs.gap"]
    return bool(gaps) and any(e["type"] == 2 and e["timestamp"] >= gaps[-1] for e in events)


def test_memory_stays_bounded_while_offline_and_the_replay_resumes_after_the_gap(
    live_server, celery_worker, customer, context
):
    site, page = open_log_page(live_server, customer, context)
    context.set_offline(True)
    # About 9.6 MB of changes while no upload can leave, past the recorder's 8 MB cap,
    # on a page that itself stays small: each click replaces a panel's 320 KB of text.
    page.evaluate("""() => {
        const panel = document.createElement('div');
        const button = document.createElement('button');
        button.id = 'bulk';
        button.textContent = 'bulk';
        let i = 0;
        button.onclick = () => { panel.textContent = ('bulk-' + (i++ % 10) + ' ').repeat(40000); };
        document.body.append(button, panel);
    }""")
    for _ in range(30):
        page.click("#bulk")
        page.wait_for_timeout(300)
    context.set_offline(False)
    # The page stays open: the gap's fresh snapshot (at most one per 10 s) goes out with the next upload.
    for _ in range(60):
        if gap_then_snapshot(events_stored_so_far(site)):
            break
        page.wait_for_timeout(1000)
    click_markers(page, 1)
    page.close()
    events = stored_events(site, until=lambda events: gap_then_snapshot(events) and "marker-0" in markers_in(events))
    gap = [e for e in events if e["type"] == 5 and e["data"]["tag"] == "hs.gap"][-1]
    assert gap["data"]["payload"]["dropped"] > 0 and gap["data"]["payload"]["bytes"] > 0
    assert sum(len(json.dumps(e)) for e in events) < 9_000_000  # what was dropped is not there


def test_typing_keeps_every_value_a_frame_showed(live_server, celery_worker, customer, context):
    site, page = open_log_page(live_server, customer, context)
    page.click("#note")
    text = "a sentence typed steadily for about two seconds"
    page.keyboard.type(text, delay=45)
    page.click("h1")
    page.close()
    events = stored_events(site, until=lambda events: text in json.dumps(events))
    note_id = next(e["data"]["id"] for e in events if e["type"] == 3 and e["data"]["source"] == 5 and e["data"]["text"] == text)
    values = [e["data"]["text"] for e in events if e["type"] == 3 and e["data"]["source"] == 5 and e["data"]["id"] == note_id]
    assert values[-1] == text
    # One value per keystroke (47, 45 ms apart: each was on screen for a few frames), in order.
    assert values == [text[:n] for n in range(1, len(text) + 1)]


def test_a_clock_set_back_mid_visit_delays_nothing_and_keeps_every_event_in_order(live_server, celery_worker, customer,
                                                                                  context):
    """A visitor's clock set back an hour (by hand, or by a time sync on waking from sleep) while the visit goes
    on, then another page of the session: the batches still go out while the visitor is there (the session
    is old enough whatever the clock says now), and every event is stamped after the ones before it, so the
    replay, which plays events in time order, shows them in the order they happened."""
    site = make_site(customer, min_session_sec=2)
    customer.pages = {"/": html(site_snippet(site, live_server.url), BODY)}
    page = context.new_page()
    page.clock.install()  # the page's clock runs on, until it is set back below
    page.goto(customer.url("/"))
    recorder_started(page)
    click_markers(page, 3)
    page.wait_for_timeout(2500)  # past the site's minimum session length
    page.clock.set_system_time(page.evaluate("Date.now()") / 1000 - 3600)
    click_markers(page, 3)
    page.goto(customer.url("/"))  # another page of the session, the clock still an hour back
    recorder_started(page)
    assert page.evaluate("Date.now()") < time.time() * 1000 - 3_500_000
    click_markers(page, 3)
    flush_now(page)  # the page stays open: what it holds must go out now, not an hour later
    events = stored_events(site, until=lambda events: len(markers_added(events)) == 9, timeout=30)
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps), "an event is stamped before one that came before it"
    # The second page counts its markers from 0 again.
    assert [m for _, m in sorted(markers_added(events))] == [f"marker-{i}" for i in (0, 1, 2, 3, 4, 5, 0, 1, 2)]
    assert Session.objects.get(site=site).duration_ms < 60_000


def test_a_visitor_whose_clock_is_hours_off_is_listed_when_the_visit_happened(live_server, celery_worker, customer,
                                                                             context, client):
    """A visitor whose clock is five hours behind (a time zone set wrong is the usual cause): the session is at
    the server's time in the list, its details and its page views, not five hours in the past, below the
    sessions of visitors who came before it. The events keep the visitor's clock: the replay needs only their
    order and the gaps between them."""
    site = make_site(customer, min_session_sec=0)
    customer.pages = {"/": html(site_snippet(site, live_server.url), BODY)}
    page = context.new_page()
    page.clock.install(time=time.time() - 5 * 3600)
    page.goto(customer.url("/"))
    recorder_started(page)
    click_markers(page, 2)
    flush_now(page)
    visit_started = time.time()
    events = stored_events(site, until=lambda events: len(markers_added(events)) == 2, timeout=30)
    session = Session.objects.get(site=site)
    # A visitor who came ten minutes before, with a clock as the server's.
    earlier = Session.objects.create(id=uuid.uuid4(), site=site, visitor_id="earlier", chunk_count=1, duration_ms=5_000,
                                     started_at=timezone.now() - timedelta(minutes=10))
    assert abs(events[0]["timestamp"] / 1000 - (visit_started - 5 * 3600)) < 120  # the visitor's clock, kept
    assert abs(session.clock_offset_ms - 5 * 3600_000) < 60_000
    assert abs(session.started_at.timestamp() - visit_started) < 120
    assert abs(session.pageviews.get().at.timestamp() - visit_started) < 120
    client.force_login(site.owner)
    listed = client.get(f"/api/v1/sites/{site.pk}/sessions/").json()["results"]
    assert [row["id"] for row in listed] == [str(session.pk), str(earlier.pk)]


def test_a_page_left_unattended_sends_nothing_past_the_session_timeout(live_server, celery_worker, customer, context):
    """A page that keeps changing with nobody there (a live board left open): past the site's session timeout
    neither its changes nor the full snapshot rrweb takes of it every 5 minutes are sent. The visitor's next
    click is recorded again, with a snapshot before it."""
    site = make_site(customer, session_timeout_min=1, min_session_sec=0)
    ticker = BODY + "<p id='tick'>0</p><script>setInterval(() => { tick.textContent = String(+tick.textContent + 1) }, 250)</script>"
    customer.pages = {"/": html(site_snippet(site, live_server.url), ticker)}
    page = context.new_page()
    page.clock.install()  # the page's clock runs on, until it jumps below
    page.goto(customer.url("/"))
    recorder_started(page)
    click_markers(page, 2)
    page.wait_for_timeout(1500)  # (rrweb hands on the pointer's last moves a second after them)
    left_at = page.evaluate("Date.now()")
    page.clock.fast_forward("06:00")  # six minutes with nobody there: past the timeout and rrweb's 5-minute snapshot
    page.wait_for_timeout(1500)  # the ticks go on
    back_at = page.evaluate("Date.now()")
    click_markers(page, 1)  # the visitor is back
    page.wait_for_timeout(500)  # (the recorder takes the return's snapshot in a timer of its own, on the page's clock)
    flush_now(page)

    def stored():
        # (In the order they started: an unordered query may list the session that started later first.)
        sessions = Session.objects.filter(site=site, chunk_count__gt=0).order_by("started_at")
        if Chunk.objects.filter(session__site=site, status=Chunk.PENDING).exists():
            return None
        events = [e for s in sessions for e in session_events(session_all_parts(s))]
        return events if len(markers_added(events)) == 3 else None

    events = wait_for(stored, timeout=40, interval=0.5, message="the three markers")
    unattended = [(e["type"], e["timestamp"] - left_at, e["data"].get("source"), e["data"].get("type")) for e in events
                  if e["type"] in (2, 3, 4) and left_at + 60_000 < e["timestamp"] < back_at]
    assert not unattended, "the unattended page went on sending"
    snapshots = [e["timestamp"] for e in events if e["type"] == 2]
    assert max(snapshots) > back_at  # the visitor's return starts again from a snapshot


# A site's fetch wrapper, installed before the snippet, that takes the request's headers for a Headers
# object (as some do): a plain object of headers makes it throw.
HEADERS_WRAPPER = """<script>
const pageFetch = window.fetch;
window.fetch = function (input, init) {
  if (init && init.headers) init.headers.get('x-request-id');
  return pageFetch.apply(this, arguments);
};
</script>"""


def test_a_site_s_fetch_wrapper_that_breaks_on_plain_headers_does_not_stop_uploads(live_server, celery_worker, customer,
                                                                                   context):
    """The recorder uploads through the fetch the page has when it starts: it sends no headers of its own (a
    text/plain Blob gives the request its Content-Type), so a wrapper that breaks on them cannot fail every
    upload, to be retried forever while the page stays open."""
    site = make_site(customer)
    customer.pages = {"/": html(HEADERS_WRAPPER + site_snippet(site, live_server.url), BODY)}
    page = context.new_page()
    page.goto(customer.url("/"))
    recorder_started(page)
    click_markers(page, 3)
    flush_now(page)  # uploaded by fetch while the page stays open
    events = stored_events(site, until=lambda events: "marker-2" in markers_in(events), timeout=20)
    assert no_duplicates(events)


def test_uploads_resume_as_soon_as_the_network_is_back(live_server, celery_worker, customer, context):
    """While the network is gone each retry waits twice as long as the one before, up to a minute: the
    browser's `online` event sends what waits at once, not at the next retry."""
    failed = []
    context.on("requestfailed", lambda request: "/api/v1/ingest" in request.url and failed.append(request.url))
    site = make_site(customer)
    customer.pages = {"/": html(site_snippet(site, live_server.url), BODY)}
    page = context.new_page()
    page.clock.install()  # the page's clock runs on; each jump below brings the next retry
    page.goto(customer.url("/"))
    recorder_started(page)
    context.set_offline(True)
    click_markers(page, 3)
    for attempts in range(1, 8):  # the 7th failure leaves a retry 32 to 64 s away
        page.clock.fast_forward(61_000)
        for _ in range(50):
            if len(failed) >= attempts:
                break
            page.wait_for_timeout(100)
    assert len(failed) >= 7, failed
    context.set_offline(False)
    events = stored_events(site, until=lambda events: "marker-2" in markers_in(events), timeout=10)
    assert no_duplicates(events)
