"""The store task against the S3 server over HTTP."""
import gzip
import json

import pytest

from recorder.models import Chunk, PageView, Session
from recorder.tasks import chunk_store
from tests.conftest import make_batch, post_batch, s3_objects

pytestmark = pytest.mark.django_db


def accept(client, site, **kwargs) -> tuple[Chunk, dict]:
    batch = make_batch(site.pk, **kwargs)
    assert post_batch(client, batch).status_code == 202
    return Chunk.objects.get(session_id=batch["sid"], seq=batch["seq"]), batch


def test_stored_object_is_in_s3_and_decompresses_to_the_batch(client, site):
    chunk, batch = accept(client, site)
    assert chunk_store.apply(args=[chunk.pk, batch["events"]]).get() is True
    objects = s3_objects(f"sites/{site.pk}/sessions/{batch['sid']}/")
    assert list(objects) == [chunk.key]
    assert json.loads(gzip.decompress(objects[chunk.key])) == batch["events"]
    chunk.refresh_from_db()
    assert chunk.status == Chunk.STORED and chunk.stored_bytes == len(objects[chunk.key])


def test_storing_updates_the_session(client, site):
    chunk, batch = accept(client, site)
    chunk_store.apply(args=[chunk.pk, batch["events"]])
    session = Session.objects.get(pk=batch["sid"])
    assert (session.page_count, session.event_count, session.chunk_count) == (1, 3, 1)
    assert session.duration_ms == 500
    assert (session.viewport_w, session.viewport_h) == (1280, 720)
    assert session.entry_url == "https://shop.example.com/"
    assert session.stored_bytes > 0


def test_a_rerun_changes_nothing(client, site):
    chunk, batch = accept(client, site)
    chunk_store.apply(args=[chunk.pk, batch["events"]])
    before_objects = s3_objects(f"sites/{site.pk}/")
    before = Session.objects.values().get(pk=batch["sid"])
    assert chunk_store.apply(args=[chunk.pk, batch["events"]]).get() is False
    assert s3_objects(f"sites/{site.pk}/") == before_objects
    assert Session.objects.values().get(pk=batch["sid"]) == before
    assert PageView.objects.count() == 1


def test_a_chunk_whose_row_is_gone_is_skipped(client, site):
    chunk, batch = accept(client, site)
    Chunk.objects.filter(pk=chunk.pk).delete()
    assert chunk_store.apply(args=[chunk.pk, batch["events"]]).get() is False


def custom(tag, payload, ts=1_700_000_000_000):
    return {"type": 5, "data": {"tag": tag, "payload": payload}, "timestamp": ts}


def test_odd_payloads_from_a_client_are_stored_without_failing(client, site):
    long = "x" * 5000
    events = [
        {"type": 4, "data": {"href": long, "width": 10**12, "height": -1}, "timestamp": 1_700_000_000_000},
        custom("hs.page", {"url": long, "title": long, "kind": long, "referrer": 5}),
        custom("hs.identify", {"id": long}),
        custom("hs.tag", {"tags": {long: long, "n": None, "list": [1, 2]}}),
        custom("hs.tag", {"tags": "not an object"}),
        custom("hs.device", {"screenW": 10**15, "screenH": "wide", "lang": long, "tz": long}),
        custom("hs.error", {"kind": "error", "message": None}),
        custom("hs.page", "not an object"),
        {"type": 3, "data": {"source": 4, "width": "1", "height": None}, "timestamp": 1_700_000_000_500},
    ]
    chunk, batch = accept(client, site, events=events)
    assert chunk_store.apply(args=[chunk.pk, batch["events"]]).get() is True
    session = Session.objects.get(pk=batch["sid"])
    assert len(session.identity) == 255 and len(session.language) <= 35 and session.screen_w is None
    assert session.page_count == 1 and session.error_count == 1
