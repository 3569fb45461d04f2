"""The overview's daily roll-ups, kept by the worker as chunks are stored and by deletions, equal a rebuild."""
import threading
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from privacy.services import retention_purge, session_delete, visitor_forget
from recorder import services
from recorder.models import Chunk, DailyRollup, PageRollup, Session
from recorder.rollups import rollups_rebuild
from recorder.tasks import chunk_process
from sites.selectors import site_overview
from sites.services import site_settings_update
from tests.conftest import make_batch, post_batch
from tests.test_session_list import AGENTS, store_session, visit_events

pytestmark = pytest.mark.django_db


def rollups() -> tuple[set, set]:
    days = set(DailyRollup.objects.values_list("site_id", "day", "sessions", "duration_ms", "with_errors"))
    pages = set(PageRollup.objects.values_list("site_id", "day", "url", "sessions"))
    return days, pages


def rebuilt() -> tuple[set, set]:
    kept = rollups()
    rollups_rebuild()
    fresh = rollups()
    assert fresh[0], "the scenario should leave something to count"
    return kept, fresh


def store_chunk(client, site, sid: str, seq: int, started, *, duration_s: float, paths, errors=0, vid="visitor-grows"):
    """One more batch of a session, posted and stored as the worker stores it."""
    events = visit_events(int(started.timestamp() * 1000), duration_s=duration_s, paths=list(paths),
                          identity=None, tags=None, errors=errors)
    batch = make_batch(site.pk, sid=sid, seq=seq, vid=vid, events=events)
    response = post_batch(client, batch, HTTP_USER_AGENT=AGENTS["chrome-windows"])
    assert response.status_code == 202, response.json()
    chunk_process.apply(args=[Chunk.objects.get(session_id=sid, seq=seq).pk])


@pytest.fixture
def recorded(client, site):
    """Sessions stored through ingest: one-batch visits on several days, a session that grows over three
    batches (errors and a page seen again arrive later, a late batch moves its start to the previous day), one that crosses
    the site's minimum length only with its second batch."""
    site.min_session_sec = 10
    site.save(update_fields=["min_session_sec"])
    now = timezone.now().replace(microsecond=0)
    for days_ago, paths in ((0, ("/", "/checkout")), (0, ("/",)), (2, ("/blog/tea",)), (5, ("/", "/pay"))):
        store_session(client, site, started=now - timedelta(days=days_ago), duration_s=30, paths=paths,
                      vid=f"visitor-day-{days_ago}")
    grows = str(uuid.uuid4())
    midnight = timezone.localtime(now).replace(hour=0, minute=5, second=0)
    store_chunk(client, site, grows, 0, midnight, duration_s=20, paths=("/a",))
    store_chunk(client, site, grows, 1, midnight + timedelta(minutes=1), duration_s=20, paths=("/b", "/a"), errors=1)
    store_chunk(client, site, grows, 2, midnight - timedelta(minutes=20), duration_s=5, paths=("/early",))
    short = str(uuid.uuid4())
    store_chunk(client, site, short, 0, now - timedelta(days=1), duration_s=3, paths=("/short",), vid="visitor-short")
    store_chunk(client, site, short, 1, now - timedelta(days=1) + timedelta(seconds=30), duration_s=3,
                paths=("/short-2",), vid="visitor-short")
    return {"grows": grows, "short": short}


def test_roll_ups_kept_while_chunks_are_stored_equal_a_rebuild(recorded, site):
    kept, fresh = rebuilt()
    assert kept == fresh
    grows = Session.objects.get(pk=recorded["grows"])
    day = timezone.localtime(grows.started_at).date()
    assert (site.pk, day, "https://shop.example.com/early", 1) in fresh[1]  # the late batch moved it a day back


def test_roll_ups_equal_a_rebuild_after_deletions(recorded, site):
    session_delete(session=Session.objects.get(pk=recorded["grows"]))
    visitor_forget(site=site, visitor="visitor-day-0")
    kept, fresh = rebuilt()
    assert kept == fresh
    assert not any(row[2].endswith("/early") for row in fresh[1])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_deletions_of_the_same_session_at_once_take_it_out_of_the_roll_ups_once(client, site, monkeypatch):
    from django.db import connection
    from privacy import services as privacy_services

    now = timezone.now()
    kept = store_session(client, site, started=now, duration_s=30, paths=("/",), vid="visitor-kept")
    gone = store_session(client, site, started=now, duration_s=30, paths=("/", "/pay"), vid="visitor-gone")
    # The first deletion to take the session out of the roll-ups waits (up to 2 s) for the other to do the same.
    first, second = threading.Event(), threading.Event()
    real = privacy_services.rollups_sessions_removed

    def widened(*, session_ids):
        real(session_ids=session_ids)
        if not first.is_set():
            first.set()
            second.wait(timeout=2)
        else:
            second.set()

    monkeypatch.setattr(privacy_services, "rollups_sessions_removed", widened)
    errors = []

    def delete():
        try:
            privacy_services.sessions_delete(session_ids=[gone.pk])
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=delete) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors and not Session.objects.filter(pk=gone.pk).exists()
    counted, fresh = rebuilt()
    assert counted == fresh
    assert {row[2] for row in fresh[0]} == {1} and Session.objects.filter(pk=kept.pk).exists()


def test_retention_takes_expired_sessions_out_of_the_overview(recorded, site):
    site.retention_days = 3
    site.save(update_fields=["retention_days"])
    Session.objects.update(received_at=F("last_activity_at"))  # each received when it was recorded
    retention_purge()
    kept, fresh = rebuilt()
    assert kept == fresh
    assert min(day for _, day, *_ in fresh[0]) >= timezone.localdate() - timedelta(days=3)


def test_the_overview_counts_what_the_list_shows(recorded, site):
    overview = site_overview(site)
    shown = Session.objects.filter(site=site, chunk_count__gt=0, duration_ms__gte=10_000)
    assert overview.sessions == shown.count() == 6


def test_rebuildrollups_restores_lost_roll_ups(recorded, capsys):
    before = rollups()
    DailyRollup.objects.all().delete()
    PageRollup.objects.update(sessions=99)
    call_command("rebuildrollups")
    assert rollups() == before
    assert "Rebuilt" in capsys.readouterr().out


def test_roll_ups_of_many_sessions_stored_in_one_claim_equal_a_rebuild(client, site):
    """One transaction stores several sessions, new and growing, of one day and several: one roll-up write each."""
    site.min_session_sec = 10
    site.save(update_fields=["min_session_sec"])
    now = timezone.now().replace(microsecond=0)
    grows = str(uuid.uuid4())
    store_chunk(client, site, grows, 0, now - timedelta(hours=1), duration_s=20, paths=("/a",))
    ids = []
    for n, (days_ago, paths) in enumerate(((0, ("/", "/x")), (0, ("/",)), (3, ("/x",)), (0, ("/short",)))):
        sid = str(uuid.uuid4())
        events = visit_events(int((now - timedelta(days=days_ago)).timestamp() * 1000),
                              duration_s=3 if "/short" in paths else 30, paths=list(paths), identity=None, tags=None, errors=n % 2)
        assert post_batch(client, make_batch(site.pk, sid=sid, seq=0, vid=f"visitor-many-{n}", events=events)).status_code == 202
        ids.append(Chunk.objects.get(session_id=sid).pk)
    events = visit_events(int((now - timedelta(minutes=50)).timestamp() * 1000), duration_s=20, paths=["/b"],
                          identity=None, tags=None, errors=1)
    assert post_batch(client, make_batch(site.pk, sid=grows, seq=1, vid="visitor-grows", events=events)).status_code == 202
    ids.append(Chunk.objects.get(session_id=grows, seq=1).pk)
    assert services.chunks_process(chunk_ids=ids) == 5
    kept, fresh = rebuilt()
    assert kept == fresh
    assert sum(row[2] for row in fresh[0]) == 4  # the short one is not counted


def test_the_sites_distinct_urls_follow_their_page_views_and_a_rebuild_agrees(client, site):
    """"Visited URL contains" searches these: every URL visited is there once, and none outlives its last visit."""
    from django.http import QueryDict

    from recorder.models import SiteUrl
    from recorder.rollups import site_urls_rebuild
    from replay.filters import sessions_filter
    from replay.selectors import sessions_for_site

    now = timezone.now().replace(microsecond=0)
    gone = store_session(client, site, started=now, duration_s=30, paths=("/", "/secret-offer?ref=abc"),
                         vid="visitor-gone")
    store_session(client, site, started=now, duration_s=30, paths=("/", "/pricing"), vid="visitor-keep")
    urls = lambda: sorted(SiteUrl.objects.filter(site=site).values_list("url", flat=True))  # noqa: E731
    shop = "https://shop.example.com"
    assert urls() == [f"{shop}/", f"{shop}/pricing", f"{shop}/secret-offer?ref=abc"]
    assert [s.pk for s in sessions_filter(sessions_for_site(site), QueryDict("url=SECRET-offer"))] == [gone.pk]
    visitor_forget(site=site, visitor="visitor-gone")
    assert urls() == [f"{shop}/", f"{shop}/pricing"]  # "/" is still visited by the other session
    SiteUrl.objects.all().delete()
    assert site_urls_rebuild() == 2 and urls() == [f"{shop}/", f"{shop}/pricing"]


def test_other_sites_urls_do_not_use_up_a_sites_url_matches(client, site):
    """Past URL_MATCHES_MAX matching URLs the filter searches each session's page views, slowly:
    only the listed site's URLs count."""
    from django.db import connection
    from django.http import QueryDict
    from django.test.utils import CaptureQueriesContext

    from recorder.models import SiteUrl
    from recorder.rollups import url_key
    from replay.filters import URL_MATCHES_MAX, sessions_filter
    from replay.selectors import sessions_for_site
    from tests.factories import SiteFactory

    now = timezone.now().replace(microsecond=0)
    visited = store_session(client, site, started=now, duration_s=30, paths=("/", "/checkout"), vid="visitor-pays")
    others = [SiteFactory() for _ in range(3)]
    SiteUrl.objects.bulk_create([
        SiteUrl(site=other, key=url_key(url), url=url)
        for index in range(URL_MATCHES_MAX) for other in others
        for url in [f"https://other{other.pk}.example.com/checkout/{index}"]
    ])
    with CaptureQueriesContext(connection) as queries:
        found = [s.pk for s in sessions_filter(sessions_for_site(site), QueryDict("url=checkout"), site_id=site.pk)]
    assert found == [visited.pk]
    listed = queries.captured_queries[-1]["sql"]
    assert "https://shop.example.com/checkout" in listed and "LIKE" not in listed.upper(), listed


def test_a_new_minimum_length_recounts_the_overview(recorded, site, owner, settings,
                                                    django_capture_on_commit_callbacks):
    """Raising the minimum length takes the shorter sessions out of the overview, as the list does."""
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the task the change queues runs here, as a worker would
    before = site_overview(site).sessions
    with django_capture_on_commit_callbacks(execute=True):
        site_settings_update(site=site, user=owner, data={"min_session_sec": 60})
    after = site_overview(site).sessions
    shown = Session.objects.filter(site=site, chunk_count__gt=0, duration_ms__gte=60_000).count()
    assert after == shown < before
    kept, fresh = rebuilt()
    assert kept == fresh


def test_a_new_minimum_length_recounts_the_overview_while_the_broker_is_down(recorded, site, owner,
                                                                             django_capture_on_commit_callbacks):
    """The recount is queued once the change is committed: with the broker down, queuing it failed after the
    save (a 500 for a change that was made) and the overview kept counting by the old minimum."""
    from config.celery import app
    from tests.run import free_port

    before = site_overview(site).sessions
    broker = app.conf.broker_url
    app.conf.broker_url, app._pool, app.amqp._producer_pool = f"redis://127.0.0.1:{free_port()}/0", None, None
    try:
        with django_capture_on_commit_callbacks(execute=True):
            site_settings_update(site=site, user=owner, data={"min_session_sec": 60})
    finally:
        app.conf.broker_url, app._pool, app.amqp._producer_pool = broker, None, None
    shown = Session.objects.filter(site=site, chunk_count__gt=0, duration_ms__gte=60_000).count()
    assert site_overview(site).sessions == shown < before
