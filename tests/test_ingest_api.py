"""POST /api/v1/ingest on Postgres: what is accepted, what is refused, and that refusals change nothing."""
import gzip
import json
import uuid

import pytest
from django.test import override_settings

from recorder.models import Chunk, Session
from tests.conftest import ORIGIN, make_batch, post_batch

pytestmark = pytest.mark.django_db


def nothing_stored():
    return not Session.objects.exists() and not Chunk.objects.exists()


def test_good_batch_is_accepted_with_202_and_queued(client, site):
    batch = make_batch(site.pk)
    response = post_batch(client, batch)
    assert response.status_code == 202
    assert response.json() == {"status": "accepted"}
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    chunk = Chunk.objects.get()
    assert (str(chunk.session_id), chunk.seq, chunk.status) == (batch["sid"], 0, Chunk.PENDING)
    assert chunk.key == f"sites/{site.pk}/sessions/{batch['sid']}/00000000.json.gz"


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
    Chunk.objects.update(status=Chunk.STORED)
    assert post_batch(client, batch).status_code == 202
    assert Chunk.objects.get().status == Chunk.STORED


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


def test_malformed_json_is_a_400(client, site):
    response = post_batch(client, b'{"wid": 1, "events": [')
    assert response.status_code == 400
    assert response.json()["error"] == "malformed_json"
    assert nothing_stored()


@pytest.mark.parametrize("field, value", [
    ("wid", "1"), ("vid", 42), ("sid", "nope"), ("seq", "1"), ("sent", []),
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
    response = post_batch(client, {**batch, "wid": other.pk, "seq": 1})
    assert response.status_code == 409
    assert Chunk.objects.count() == 1


def test_get_is_a_405_json(client):
    response = client.get("/api/v1/ingest")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"


def test_preflight_from_an_allowed_origin_is_answered(client, site):
    response = client.options(
        f"/api/v1/ingest?wid={site.pk}", HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST", HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in response["Access-Control-Allow-Methods"]


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
    session = Session.objects.get(pk=uuid.UUID(batch["sid"]))
    assert (session.browser, session.os, session.device_type) == ("Mobile Safari", "iOS", "mobile")
