"""The REST API with token auth: members see their sites' sessions, nobody else does."""
import uuid

import pytest
from rest_framework.authtoken.models import Token

from recorder.models import Chunk
from recorder.tasks import chunk_process
from sites.models import Membership
from tests.conftest import make_batch, post_batch
from tests.factories import SiteFactory, UserFactory

pytestmark = pytest.mark.django_db


def auth(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Token {Token.objects.get_or_create(user=user)[0].key}"}


@pytest.fixture
def stored_session(client, site):
    batch = make_batch(site.pk)
    post_batch(client, batch)
    chunk = Chunk.objects.get()
    chunk_process.apply(args=[chunk.pk])
    return batch


def test_anonymous_is_refused(client, site):
    response = client.get("/api/v1/sites/")
    assert response.status_code == 401
    assert "error" in response.json()


def test_sites_lists_only_the_users_sites(client, site, owner):
    SiteFactory()  # someone else's
    response = client.get("/api/v1/sites/", **auth(owner))
    assert response.status_code == 200
    assert [s["id"] for s in response.json()["results"]] == [site.pk]


def test_site_sessions_lists_stored_sessions(client, site, owner, stored_session):
    response = client.get(f"/api/v1/sites/{site.pk}/sessions/", **auth(owner))
    assert response.status_code == 200
    (session,) = response.json()["results"]
    assert session["id"] == stored_session["sid"]
    assert session["page_count"] == 1


def test_session_detail_has_replay_url_and_pages(client, site, owner, stored_session):
    response = client.get(f"/api/v1/sessions/{stored_session['sid']}/", **auth(owner))
    assert response.status_code == 200
    body = response.json()
    assert body["replay_url"] == f"/sites/{site.pk}/sessions/{stored_session['sid']}/"
    assert body["pages"][0]["url"] == "https://shop.example.com/"


def test_session_events_are_the_stored_events(client, site, owner, stored_session):
    response = client.get(f"/api/v1/sessions/{stored_session['sid']}/events/", **auth(owner))
    assert response.status_code == 200
    import json

    assert json.loads(b"".join(response.streaming_content)) == stored_session["events"]
    assert response["X-Next-Seq"] == "1"


def test_another_sites_session_is_a_404(client, site, stored_session):
    outsider = UserFactory(username="outsider")
    SiteFactory(owner=outsider)
    sid = stored_session["sid"]
    for url in (f"/api/v1/sessions/{sid}/", f"/api/v1/sessions/{sid}/events/", f"/api/v1/sites/{site.pk}/sessions/",
                f"/api/v1/sites/{site.pk}/"):
        response = client.get(url, **auth(outsider))
        assert (response.status_code, response.json()["error"]) == (404, "not_found"), url
    assert client.delete(f"/api/v1/sessions/{sid}/", **auth(outsider)).status_code == 404


def test_another_sites_session_is_answered_as_one_that_does_not_exist(client, site, stored_session):
    """An outsider got "Not found." for a session of another site and "No Session matches the given query." for an
    id nobody has: the answer told whether a session id exists."""
    outsider = UserFactory(username="outsider")
    SiteFactory(owner=outsider)
    for tail in ("", "events/", "recording/", "recording/c0-0/"):
        answers = [client.get(f"/api/v1/sessions/{sid}/{tail}", **auth(outsider))
                   for sid in (stored_session["sid"], uuid.uuid4())]
        assert [(a.status_code, a.json()) for a in answers] == [(404, answers[1].json())] * 2, tail
    deleted = [client.delete(f"/api/v1/sessions/{sid}/", **auth(outsider)) for sid in (stored_session["sid"], uuid.uuid4())]
    assert deleted[0].json() == deleted[1].json()


def test_viewer_cannot_delete_but_owner_can(client, site, owner, stored_session):
    viewer = UserFactory(username="viewer")
    Membership.objects.create(site=site, user=viewer, role=Membership.VIEWER)
    sid = stored_session["sid"]
    assert client.delete(f"/api/v1/sessions/{sid}/", **auth(viewer)).status_code == 403
    assert client.delete(f"/api/v1/sessions/{sid}/", **auth(owner)).status_code == 204
    assert client.get(f"/api/v1/sessions/{sid}/", **auth(owner)).status_code == 404


def test_a_session_deleted_while_its_visitor_is_still_on_the_site_does_not_come_back(client, site, owner, stored_session):
    """Its next batch was stored as a session of the same id, back in the list; now ingest refuses it (410)."""
    from datetime import timedelta

    from django.utils import timezone

    from privacy.services import DELETED_SESSION_DAYS, retention_purge
    from recorder.models import DeletedSession, Session

    sid = stored_session["sid"]
    assert client.delete(f"/api/v1/sessions/{sid}/", **auth(owner)).status_code == 204
    later = post_batch(client, make_batch(site.pk, sid=sid, seq=1, vid=stored_session["vid"]))
    assert (later.status_code, later.json()["error"]) == (410, "session_deleted")
    assert not Chunk.objects.filter(session_id=sid).exists() and not Session.objects.filter(pk=sid).exists()
    again = post_batch(client, make_batch(site.pk, sid=sid, seq=1, vid=stored_session["vid"]))
    assert again.status_code == 410  # every later batch, not only the first
    # The refusal outlives any visit, then goes with retention's run.
    retention_purge(now=timezone.now() + timedelta(days=DELETED_SESSION_DAYS - 1))
    assert DeletedSession.objects.filter(pk=sid).exists()
    retention_purge(now=timezone.now() + timedelta(days=DELETED_SESSION_DAYS + 1))
    assert not DeletedSession.objects.filter(pk=sid).exists()
    assert post_batch(client, make_batch(site.pk, sid=sid, seq=1, vid=stored_session["vid"])).status_code == 202
    # Retention deletes what no visitor is adding to, thousands at a time: it refuses nothing later.
    chunk_process.apply(args=[Chunk.objects.get(session_id=sid, seq=1).pk])
    retention_purge(now=timezone.now() + timedelta(days=site.retention_days + 1))
    assert not Session.objects.filter(pk=sid).exists() and not DeletedSession.objects.exists()


def test_openapi_schema_is_served(client, owner):
    response = client.get("/api/v1/schema/", **auth(owner))
    assert response.status_code == 200
    assert b"/api/v1/sessions/{id}/events/" in response.content


def test_events_stop_at_a_fresh_gap_and_skip_an_old_one(client, site, owner):
    from datetime import timedelta

    from django.utils import timezone

    from recorder.models import Chunk

    batch = make_batch(site.pk)
    for seq in (0, 2):
        part = make_batch(site.pk, sid=batch["sid"], seq=seq)
        post_batch(client, part)
        chunk_process.apply(args=[Chunk.objects.get(session_id=batch["sid"], seq=seq).pk])
    url = f"/api/v1/sessions/{batch['sid']}/events/?from_seq=0"
    response = client.get(url, **auth(owner))
    assert response["X-Next-Seq"] == "1"
    Chunk.objects.filter(seq=2).update(stored_at=timezone.now() - timedelta(minutes=5))
    response = client.get(url, **auth(owner))
    assert response["X-Next-Seq"] == "3"
