"""POST /api/v1/ingest on Postgres: what is accepted, what is refused, and that refusals change nothing."""
import base64
import gzip
import json
import os
import time
import uuid

import pytest
from django.test import override_settings
from django.utils import timezone

from recorder.models import Chunk, Session
from recorder.processing import events_decode
from tests.conftest import ORIGIN, make_batch, post_batch, process_pending

pytestmark = pytest.mark.django_db


def nothing_stored():
    return not Session.objects.exists() and not Chunk.objects.exists()


def test_good_batch_is_accepted_with_202_and_kept_before_the_answer(client, site):
    batch = make_batch(site.pk)
    response = post_batch(client, batch, gzip_it=True)
    assert response.status_code == 202
    assert response.json() == {"status": "accepted"}
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    chunk = Chunk.objects.get()
    assert (str(chunk.session_id), chunk.seq, chunk.status, chunk.site_id) == (batch["sid"], 0, Chunk.PENDING, site.pk)
    assert json.loads(gzip.decompress(chunk.body)) == batch
    assert chunk.sender == {"vid": batch["vid"], "ua": "", "ip": "127.0.0.0"}


def test_gzip_batch_is_accepted(client, site):
    assert post_batch(client, make_batch(site.pk), gzip_it=True).status_code == 202


def test_same_session_and_sequence_twice_is_one_chunk(client, site):
    batch = make_batch(site.pk)
    assert post_batch(client, batch).status_code == 202
    assert post_batch(client, batch).status_code == 202
    assert Chunk.objects.count() == 1


def test_duplicate_of_a_stored_chunk_is_not_queued_again(client, site):
    batch = make_batch(site.pk)
    post_batch(client, batch)
    process_pending()
    assert post_batch(client, batch).status_code == 202
    assert Chunk.objects.get().status == Chunk.STORED
    assert Session.objects.get().event_count == 3


def test_unknown_site_is_refused(client, site):
    response = post_batch(client, make_batch(site.pk + 1000))
    assert response.status_code == 403
    assert response.json()["error"] == "unknown_site"
    assert nothing_stored()


def test_disabled_site_is_refused(client, site):
    site.enabled = False
    site.save()
    assert post_batch(client, make_batch(site.pk)).status_code == 403
    assert nothing_stored()


@pytest.mark.parametrize("origin", ["https://evil.example.net", "https://shop.example.com.evil.net", None, "null"])
def test_disallowed_origin_is_refused(client, site, origin):
    response = post_batch(client, make_batch(site.pk), origin=origin)
    assert response.status_code == 403
    assert response.json()["error"] == "origin_not_allowed"
    assert nothing_stored()


@pytest.mark.parametrize("domain, origin, status", [
    ("[::1]:8080", "http://[::1]:8080", 202),  # a page served on an IPv6 address, as the site's form takes it
    ("[2001:db8::1]", "https://[2001:db8::1]:8443", 202),  # no port: any
    ("[::1]:8080", "http://[::1]:9090", 403),
    ("[::1]", "http://[::2]", 403),
])
def test_a_site_on_an_ipv6_address_takes_the_batches_of_its_pages_only(client, site, domain, origin, status):
    site.domains = [domain]
    site.save()

    response = post_batch(client, make_batch(site.pk), origin=origin)

    assert response.status_code == status, response.content


def test_malformed_json_is_a_400(client, site):
    response = post_batch(client, b'{"wid": 1, "events": [')
    assert response.status_code == 400
    assert response.json()["error"] == "malformed_json"
    assert nothing_stored()


@pytest.mark.parametrize("field, value", [
    ("wid", "1"), ("vid", 42), ("sid", "nope"), ("seq", "1"), ("sent", []),
    # Beyond 64 bits: ingest read it as an integer and took the batch, which the worker, reading it as a float,
    # then failed for good.
    ("sent", 2**80), ("sent", -(2**80)),
    ("events", "x"), ("events", [{"type": "x", "data": {}, "timestamp": 1}]),
    ("events", [{"type": 3, "data": "x", "timestamp": 1}]), ("events", [{"type": 3, "data": {}, "timestamp": 1.5}]),
])
def test_wrong_type_in_each_field_is_a_400_json_error(client, site, field, value):
    response = post_batch(client, {**make_batch(site.pk), field: value})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_field" and field in body["detail"]
    assert nothing_stored()


@override_settings(INGEST_MAX_BODY_BYTES=2000)
def test_oversize_body_is_a_413(client, site):
    batch = make_batch(site.pk)
    batch["events"][0]["data"]["padding"] = "x" * 5000
    response = post_batch(client, batch)
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"
    assert nothing_stored()


def test_a_chunked_body_without_a_length_is_a_411_that_says_so(client, site):
    """Django reads no body without a Content-Length, so a client (or a proxy that does not buffer) sending
    one chunked was told "The request body is empty." of the batch it sent."""
    response = post_batch(client, make_batch(site.pk), CONTENT_LENGTH="", HTTP_TRANSFER_ENCODING="chunked")
    assert (response.status_code, response.json()["error"]) == (411, "length_required")
    assert "Content-Length" in response.json()["detail"]
    assert nothing_stored()


def test_a_heavy_page_s_snapshot_that_barely_compresses_is_accepted(client, site):
    """The recorder sends an event of up to 4 MB of JSON; base64 images in a page's CSS do not compress,
    so its gzip can be over Django's own 2.5 MB limit on a request body."""
    batch = make_batch(site.pk)
    batch["events"][0]["data"]["css"] = base64.b64encode(os.urandom(2_900_000)).decode()  # 3.9 MB of JSON
    body = gzip.compress(json.dumps(batch).encode())
    assert len(body) > 2_621_440
    assert post_batch(client, body).status_code == 202
    assert Chunk.objects.count() == 1


def test_gzip_bomb_is_a_413(client, site):
    batch = make_batch(site.pk)
    batch["events"][0]["data"]["padding"] = " " * (40 * 1024 * 1024)
    bomb = gzip.compress(json.dumps(batch).encode(), compresslevel=9)
    assert len(bomb) < 1024 * 1024
    response = post_batch(client, bomb)
    assert response.status_code == 413
    assert nothing_stored()


def test_session_of_another_site_is_a_409(client, site, owner):
    from tests.factories import SiteFactory

    other = SiteFactory(owner=owner, domains=["shop.example.com"])
    batch = make_batch(site.pk)
    post_batch(client, batch)
    process_pending()
    response = post_batch(client, {**batch, "wid": other.pk, "seq": 1})
    assert response.status_code == 409
    assert response.json()["error"] == "session_conflict"
    assert Chunk.objects.count() == 1


def test_get_is_a_405_json(client):
    response = client.get("/api/v1/ingest")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"


def test_a_batch_sent_to_a_host_name_the_server_does_not_serve_is_a_400(client, site):
    # Ingest skips the dashboard's middleware (config/middleware.py), not the Host check
    response = post_batch(client, make_batch(site.pk), HTTP_HOST="hindsight.evil.example.net")
    assert response.status_code == 400
    assert nothing_stored()


def test_the_answer_to_a_batch_has_the_request_id_and_security_headers_and_nothing_of_the_dashboard(client, site):
    response = post_batch(client, make_batch(site.pk))
    assert response.status_code == 202
    assert response["X-Request-ID"] and response["X-Content-Type-Options"] == "nosniff"
    # No session, CSRF or login cookie, no page policy or framing header: an answer to a script
    assert not response.cookies
    assert "Content-Security-Policy" not in response and "X-Frame-Options" not in response


def test_preflight_from_an_allowed_origin_is_answered(client, site):
    response = client.options(
        f"/api/v1/ingest?wid={site.pk}", HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST", HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in response["Access-Control-Allow-Methods"]


@pytest.mark.parametrize("query", ["", "?wid=abc", "?wid=%00"])
def test_a_preflight_without_a_site_is_refused_without_reading_any(client, site, query, django_assert_num_queries):
    """It read every enabled site's domains (a row per site, for anyone) and let an origin of any site through."""
    with django_assert_num_queries(0):
        response = client.options(f"/api/v1/ingest{query}", HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert (response.status_code, response.json()["error"]) == (403, "origin_not_allowed")


def test_preflight_from_a_disallowed_origin_is_refused(client, site):
    response = client.options(
        f"/api/v1/ingest?wid={site.pk}", HTTP_ORIGIN="https://evil.example.net",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response


def test_wid_in_url_must_match_body(client, site):
    response = client.generic("POST", f"/api/v1/ingest?wid={site.pk + 1}", json.dumps(make_batch(site.pk)),
                              content_type="text/plain", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 400
    assert nothing_stored()


def test_a_new_session_records_browser_os_and_device(client, site):
    ua = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
    batch = make_batch(site.pk)
    post_batch(client, batch, HTTP_USER_AGENT=ua)
    process_pending()
    session = Session.objects.get(pk=uuid.UUID(batch["sid"]))
    assert (session.browser, session.os, session.device_type) == ("Mobile Safari", "iOS", "mobile")


def event_with(data: dict, kind: int = 3) -> dict:
    return {"type": kind, "data": data, "timestamp": 1_700_000_000_000}


MUTATION = {"source": 0, "texts": [], "attributes": [], "removes": [], "adds": []}


@pytest.mark.parametrize("event, field", [
    (event_with({**MUTATION, "adds": 5}), "adds"),
    (event_with({**MUTATION, "texts": [{"id": "7", "value": "x"}]}), "texts[0].id"),
    (event_with({**MUTATION, "removes": [{"id": 1}]}), "removes[0].parentId"),
    (event_with({**MUTATION, "adds": [{"parentId": 1, "nextId": None, "node": {"type": 2, "id": 3}}]}), "tagName"),
    (event_with({**MUTATION, "attributes": [{"id": 1, "attributes": {"class": ["a"]}}]}), "attributes[0].attributes"),
    (event_with({"source": 5, "id": [1], "text": "x"}), "data.id"),
    (event_with({"source": 5, "id": 1, "text": 4111111111111111}), "data.text"),
    (event_with({"source": 1, "positions": "many"}), "positions"),
    (event_with({"source": 3, "id": 1, "x": "left", "y": 0}), "data.x"),
    (event_with({"node": {"type": 0, "childNodes": {"a": 1}, "id": 1}}, kind=2), "childNodes"),
    (event_with({"node": None}, kind=2), "data.node"),
    (event_with({"tag": None, "payload": {}}, kind=5), "data.tag"),
    (event_with({"href": 5, "width": 1, "height": 1}, kind=4), "data.href"),
])
def test_a_batch_the_worker_could_not_store_is_refused_up_front(client, site, event, field):
    response = post_batch(client, make_batch(site.pk, events=[event]))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_field" and field in response.json()["detail"]
    assert nothing_stored()


@pytest.mark.parametrize("body", [
    b'{"wid": 1, "events": [NaN]}', b'{"a": Infinity}', b'{"a": 1e999}', b'[' * 50 + b'-' + b']' * 50,
])
def test_not_quite_json_is_a_400(client, site, body):
    response = post_batch(client, body)
    assert (response.status_code, response.json()["error"]) == (400, "malformed_json")
    assert nothing_stored()


def deep_node(depth: int) -> dict:
    node = {"type": 3, "textContent": "bottom", "id": depth + 10}
    for level in range(depth, 0, -1):
        node = {"type": 2, "tagName": "div", "attributes": {}, "childNodes": [node], "id": level + 1}
    return node


def test_a_dom_thousands_of_elements_deep_is_accepted_stored_and_served(client, site):
    snapshot = event_with({"node": {"type": 0, "childNodes": [deep_node(5000)], "id": 1},
                           "initialOffset": {"left": 0, "top": 0}}, kind=2)
    batch = make_batch(site.pk, events=[event_with({"href": "https://shop.example.com/", "width": 9, "height": 9}, 4),
                                        snapshot])
    assert post_batch(client, _deep_json(batch), gzip_it=True).status_code == 202
    assert process_pending() == 1
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="owner"))
    response = client.get(f"/api/v1/sessions/{batch['sid']}/events/")
    text = b"".join(response.streaming_content)
    assert text.count(b'"tagName":"div"') == 5000 and b'"bottom"' in text


@pytest.mark.parametrize("payload", [
    "[" * 100_001 + "]" * 100_001,  # deeper than a browser's JSON.stringify writes
    ("[" + "0," * 300) * 1100 + "0" + "]" * 1100,  # too many values among the containers walked by hand
    "[" * 1100 + "{}," * 250_000 + "0" + "]" * 1100,  # too many containers to measure around deep nesting
], ids=["levels", "values", "containers"])
def test_a_small_gzip_body_nested_deep_around_a_mass_of_values_is_a_400_not_a_worker_held_for_seconds(client, site, payload):
    """Read by hand (the C readers stop at about 1,000 levels), such a body of a few kilobytes of gzip held
    a web worker for 10 to 50 s, past gunicorn's timeout: the deep reader now walks only the deep containers
    and refuses what is beyond what a browser sends."""
    batch = make_batch(site.pk, events=[event_with({"tag": "x", "payload": "@"}, kind=5)])
    body = json.dumps(batch).replace('"@"', payload).encode()
    response = post_batch(client, body, gzip_it=True)
    assert (response.status_code, response.json()["error"]) == (400, "malformed_json")
    assert nothing_stored()


def _deep_json(value) -> bytes:
    from recorder import jsontext

    return jsontext._dumps_iterative(value).encode()


def test_a_title_cut_inside_an_emoji_is_stored_with_the_half_replaced(client, site):
    """A browser writes a lone surrogate as the JSON escape \ud83d; it becomes U+FFFD, the batch is kept."""
    text = "x" * 499 + "\\ud83d"  # the six characters of the escape, as JSON.stringify writes them
    body = json.dumps(make_batch(site.pk)).replace('"title": "Shop"', f'"title": "{text}"').encode()
    assert post_batch(client, body).status_code == 202
    assert process_pending() == 1
    stored = events_decode(Chunk.objects.get().data)
    assert stored[1]["data"]["payload"]["title"] == "x" * 499 + "\ufffd"
    assert Session.objects.get().pageviews.get().title == "x" * 499 + "\ufffd"


HOUR_MS = 3_600_000


def post_sent_at(client, batch, t):
    """A batch posted as the recorder posts it: the URL says the visitor's clock at sending (`t`)."""
    return client.generic("POST", f"/api/v1/ingest?wid={batch['wid']}&t={t}", json.dumps(batch).encode(),
                          content_type="text/plain", HTTP_ORIGIN=ORIGIN)


def visit_on_a_clock(site, offset_ms):
    """A batch whose events and `t` are on a visitor's clock `offset_ms` behind the server's."""
    batch = make_batch(site.pk)
    for event in batch["events"]:
        event["timestamp"] -= offset_ms
    return batch, int(time.time() * 1000) - offset_ms


@pytest.mark.parametrize("offset_ms", [5 * HOUR_MS, -3 * HOUR_MS, 26 * 365 * 24 * HOUR_MS])
def test_a_visitors_clock_far_off_the_servers_puts_the_session_at_the_servers_time(client, site, offset_ms):
    """Five hours behind (a time zone set wrong), three ahead, or 26 years behind (a clock that lost its
    battery): the session's start, end and page views are at the server's clock, so the list and the date
    filters place it when it happened. The events keep the visitor's times: a replay needs only their order."""
    batch, t = visit_on_a_clock(site, offset_ms)
    assert post_sent_at(client, batch, t).status_code == 202
    process_pending()
    session = Session.objects.get()
    assert abs(session.clock_offset_ms - offset_ms) < 5_000
    first = batch["events"][0]["timestamp"]
    assert abs(session.started_at.timestamp() * 1000 - (first + offset_ms)) < 5_000
    assert session.duration_ms == 500
    assert abs(session.pageviews.get().at.timestamp() * 1000 - (first + offset_ms)) < 5_000
    stored = events_decode(Chunk.objects.get().data)
    assert [e["timestamp"] for e in stored] == [e["timestamp"] for e in batch["events"]]


def test_a_clock_within_a_minute_of_the_servers_leaves_the_times_as_the_events_say(client, site):
    batch, t = visit_on_a_clock(site, 20_000)
    assert post_sent_at(client, batch, t).status_code == 202
    process_pending()
    session = Session.objects.get()
    assert session.clock_offset_ms == 0
    assert session.started_at.timestamp() * 1000 == batch["events"][0]["timestamp"]


def test_a_session_never_starts_after_the_server_received_it(client, site):
    """A clock years ahead with no `t` (an older recorder, or a forged batch) cannot pin a session to the
    top of the newest-first list."""
    batch, _ = visit_on_a_clock(site, -50 * 365 * 24 * HOUR_MS)
    assert post_batch(client, batch).status_code == 202
    process_pending()
    session = Session.objects.get()
    assert session.started_at == Chunk.objects.get().created_at


@pytest.mark.parametrize("t", ["", "soon", "-5", "1e12", "１７００", "9" * 16])
def test_a_time_of_sending_that_is_not_a_number_is_a_400(client, site, t):
    response = post_sent_at(client, make_batch(site.pk), t)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_field",
                               "detail": "t in the URL must be the time of sending, an integer in ms."}
    assert nothing_stored()


def test_heatmap_days_are_the_servers_and_its_replay_pauses_at_the_visitors_moment(client, site, owner):
    """A click on a visitor's clock 26 years behind counts on today's heatmap, and the heatmap page's replay
    of that page view pauses in the events (the visitor's clock) just after the page loaded."""
    from insights.models import HeatCell

    offset_ms = 26 * 365 * 24 * HOUR_MS
    batch, t = visit_on_a_clock(site, offset_ms)
    load = batch["events"][0]["timestamp"]
    batch["events"].append({"type": 5, "timestamp": load + 600, "data": {"tag": "hs.click", "payload": {
        "s": "button#buy", "rx": 500, "ry": 500, "w": 80, "h": 30, "x": 10, "y": 20, "q": False}}})
    assert post_sent_at(client, batch, t).status_code == 202
    process_pending()
    assert list(HeatCell.objects.filter(kind="click").values_list("day", flat=True)) == [timezone.now().date()]
    client.force_login(owner)
    page = client.get(f"/sites/{site.pk}/heatmaps/", {"url": "https://shop.example.com/"})
    assert load <= page.context["at"] <= load + 5_000
