"""A long recording in the real player: the first frame comes from the first part, the rest streams in.

The recording is stored through ingest and the worker's task, then compacted
into segments on the S3 API; the browser fetches the parts as stored (zstd).
"""
import time

import pytest

from recorder.compaction import session_compact
from recorder.models import Segment, Session
from tests.conftest import make_batch, post_batch, process_pending
from tests.e2e.conftest import login, wait_for_js
from tests.factories import SiteFactory, UserFactory

pytestmark = pytest.mark.e2e
MINUTES = 15  # a full snapshot every five minutes: three segments


def minute_page(ts: int, minute: int) -> list[dict]:
    """A Meta and a full snapshot of a page that says which minute it is."""
    node = {"type": 0, "id": 1, "childNodes": [
        {"type": 1, "name": "html", "publicId": "", "systemId": "", "id": 2},
        {"type": 2, "tagName": "html", "attributes": {}, "id": 3, "childNodes": [
            {"type": 2, "tagName": "body", "attributes": {}, "id": 4, "childNodes": [
                {"type": 2, "tagName": "h1", "attributes": {}, "id": 5, "childNodes": [
                    {"type": 3, "textContent": f"minute {minute}", "id": 6}]}]}]}]}
    return [{"type": 4, "data": {"href": "https://shop.example.com/", "width": 1024, "height": 600}, "timestamp": ts},
            {"type": 2, "data": {"node": node, "initialOffset": {"left": 0, "top": 0}}, "timestamp": ts}]


def text_change(ts: int, minute: int) -> dict:
    return {"type": 3, "timestamp": ts, "data": {"source": 0, "texts": [{"id": 6, "value": f"minute {minute}"}],
                                                 "attributes": [], "removes": [], "adds": []}}


@pytest.fixture
def long_recording(client, live_server):
    owner = UserFactory(username="owner")
    site = SiteFactory(owner=owner, domains=["shop.example.com"])
    start = int(time.time() * 1000) - (MINUTES + 5) * 60_000
    sid = make_batch(site.pk)["sid"]
    for seq in range(MINUTES * 6):  # a batch every 10 s; the page's text says the minute
        ts = start + seq * 10_000
        events = minute_page(ts, seq // 6) if seq % 30 == 0 else [text_change(ts, seq // 6)]
        assert post_batch(client, make_batch(site.pk, sid=sid, seq=seq, events=events)).status_code == 202
    process_pending()
    Session.objects.filter(pk=sid).update(status=Session.FINISHED)
    assert session_compact(session_id=sid) == 3
    return owner, site, Session.objects.get(pk=sid)


def heading(page) -> str:
    return page.frame_locator("#hs-player iframe").locator("h1").inner_text(timeout=10_000)


def test_the_first_frame_shows_before_the_last_part_has_loaded(page, live_server, long_recording):
    owner, site, session = long_recording
    last = Segment.objects.filter(session=session).order_by("-first_ts").first()
    held = []
    page.route(f"**/recording/s{last.pk}/", lambda route: held.append(route))  # the last part hangs
    login(page, live_server, owner.username)
    encodings = []
    page.on("response", lambda r: "/recording/s" in r.url and encodings.append(r.headers.get("content-encoding")))

    page.goto(f"{live_server.url}/sites/{site.pk}/sessions/{session.pk}/")
    wait_for_js(page, "window.__hsPlayer && window.__hsPlayer.state.status === 'ready'", timeout=20_000)

    assert heading(page) == "minute 0"
    for _ in range(100):  # the parts after the first are asked for one after another, in the background
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the last part was not asked for"
    assert heading(page) == "minute 0", "the player moved on while the rest was loading"
    total = page.evaluate("window.__hsPlayer.controller.total()")
    assert total < 11 * 60_000, "the timeline already covers the part that has not arrived"
    held[0].continue_()
    wait_for_js(page, f"window.__hsPlayer.controller.total() > {(MINUTES - 1) * 60_000}", timeout=20_000)
    assert encodings and set(encodings) == {"zstd"}, "the segments were not sent as stored"


def test_a_deep_link_into_the_last_part_shows_that_moment_then_the_whole_recording(page, live_server, long_recording):
    owner, site, session = long_recording
    login(page, live_server, owner.username)
    page.goto(f"{live_server.url}/sites/{site.pk}/sessions/{session.pk}/?t={12 * 60 + 30}")
    wait_for_js(page, "window.__hsPlayer && window.__hsPlayer.state.status === 'ready'", timeout=20_000)
    assert heading(page) == "minute 12"
    wait_for_js(page, "window.__hsPlayer.state.complete === true", timeout=20_000)
    page.wait_for_timeout(200)
    assert heading(page) == "minute 12"
    assert abs(page.evaluate("window.__hsPlayer.controller.currentTime()") - (12 * 60 + 30) * 1000) < 1500
    page.evaluate("window.__hsPlayer.controller.seek(90_000)")
    page.wait_for_timeout(300)
    assert heading(page) == "minute 1"
