"""A session ends when the visitor's page goes away, not a minute later: the batch that says so
(`hs.visibility` hidden, which the recorder sends as the page hides or closes) finishes it, and a
batch of the visitor's next page makes it live again."""
import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from recorder.models import Chunk, Session
from recorder.processing import batch_summarise
from recorder.services import sessions_finish_idle
from recorder.tasks import chunk_process
from replay.selectors import session_is_live, sessions_live_marked
from tests.conftest import make_batch, post_batch

pytestmark = pytest.mark.django_db


def visibility(state: str, at: int) -> dict:
    return {"type": 5, "data": {"tag": "hs.visibility", "payload": {"state": state}}, "timestamp": at}


def click(at: int) -> dict:
    return {"type": 3, "data": {"source": 2, "type": 2, "id": 5, "x": 10, "y": 20}, "timestamp": at}


def page_load(at: int) -> list[dict]:
    return [
        {"type": 4, "data": {"href": "https://shop.example.com/", "width": 1280, "height": 720}, "timestamp": at},
        {"type": 5, "data": {"tag": "hs.page", "payload": {"url": "https://shop.example.com/", "title": "Shop",
                                                           "kind": "load", "referrer": ""}}, "timestamp": at},
    ]


def token(site) -> str:
    return Token.objects.get_or_create(user=site.owner)[0].key


def deliver(client, site, sid: str, seq: int, events: list[dict]) -> Session:
    batch = make_batch(site.pk, sid=sid, seq=seq, events=events)
    assert post_batch(client, batch).status_code == 202
    chunk_process.apply(args=[Chunk.objects.get(session_id=sid, seq=seq).pk])
    return sessions_live_marked(Session.objects).get(pk=sid)


@pytest.mark.parametrize("events, expected", [
    ([click(1)], None),
    ([visibility("hidden", 5), click(6)], "hidden"),
    ([visibility("hidden", 5), visibility("visible", 9)], "visible"),
    # By time, not by place in the batch.
    ([visibility("visible", 9), visibility("hidden", 5)], "visible"),
    ([{"type": 5, "data": {"tag": "hs.visibility", "payload": {"state": "gone"}}, "timestamp": 3}], None),
])
def test_a_batch_tells_what_its_last_visibility_event_said(events, expected):
    assert batch_summarise(events).visibility == expected


def test_a_page_that_went_away_ends_the_session_and_the_next_page_makes_it_live_again(client, site):
    sid, now = str(uuid.uuid4()), int(time.time() * 1000)
    session = deliver(client, site, sid, 0, [*page_load(now - 9000), click(now - 8000)])
    assert session.status == Session.ACTIVE and session_is_live(session)

    # The visitor closes the tab (or follows a link): the page's last batch says it is gone.
    session = deliver(client, site, sid, 1, [click(now - 3000), visibility("hidden", now - 2000)])
    assert session.status == Session.FINISHED
    assert not session_is_live(session)
    assert client.get(f"/api/v1/sessions/{sid}/", HTTP_AUTHORIZATION=f"Token {token(site)}").json()["is_live"] is False

    # The next page of the same session.
    session = deliver(client, site, sid, 2, [*page_load(now - 1000), click(now)])
    assert session.status == Session.ACTIVE and session_is_live(session)


def test_a_late_batch_of_an_earlier_moment_does_not_bring_an_ended_session_back(client, site):
    sid, now = str(uuid.uuid4()), int(time.time() * 1000)
    deliver(client, site, sid, 1, [click(now - 3000), visibility("hidden", now - 2000)])

    # seq 0 was retried and arrives last; its events are older than the page's going away.
    session = deliver(client, site, sid, 0, [*page_load(now - 9000), click(now - 8000)])

    assert session.status == Session.FINISHED and not session_is_live(session)
    assert session.duration_ms == 7000


def test_a_short_session_whose_page_went_away_is_dropped_only_once_it_cannot_go_on(client, site):
    site.min_session_sec = 30
    site.save()
    sid, now = str(uuid.uuid4()), int(time.time() * 1000)
    session = deliver(client, site, sid, 0, [*page_load(now - 5000), visibility("hidden", now)])
    assert session.status == Session.FINISHED and session.duration_ms < 30_000

    # Within the site's 30 minutes the visitor may still open another page of it: kept.
    assert sessions_finish_idle(now=timezone.now() + timedelta(minutes=5)) == 0
    assert Session.objects.filter(pk=sid).exists()
    # Past them, it is over and too short: dropped, as an idle one is.
    sessions_finish_idle(now=timezone.now() + timedelta(minutes=31))
    assert not Session.objects.filter(pk=sid).exists()
