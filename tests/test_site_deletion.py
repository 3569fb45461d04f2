"""Deleting a site: the admin's delete answers at once and a worker deletes the rest, every object under the
site's prefix goes (whatever row points to it), and a deletion a dead worker left is taken up again."""
import uuid
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from privacy.models import AuditEntry
from recorder.models import Chunk, Segment, Session
from recorder.storage import object_write, segment_key
from sites import deletion
from sites.deletion import site_delete, site_delete_queue, site_delete_run, site_deletions_resume
from sites.models import Membership, Site
from sites.tasks import site_delete_step
from tests.conftest import make_batch, post_batch, s3_objects, stopped_at
from tests.factories import SessionFactory, SiteFactory, UserFactory
from tests.test_site_settings import settings_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def recorded_site(sessions: int = 2) -> tuple[Site, list[str]]:
    """A site whose sessions each have a segment with its object in storage; returns (site, keys)."""
    site = SiteFactory()
    keys = []
    for session in [SessionFactory(site=site) for _ in range(sessions)]:
        keys.append(segment_key(site.pk, session.pk, 0, 0, uuid.uuid4().hex[:12]))
        object_write(keys[-1], b"recording")
        Segment.objects.create(session=session, key=keys[-1], first_ts=0, last_ts=1, state=Segment.READY)
    return site, keys


def test_deleting_a_site_deletes_every_object_under_its_prefix_even_those_no_row_points_to(stored):
    # Given a site's recordings, and objects no row points to (a crashed compaction's, an older version's)
    site, keys = recorded_site()
    orphans = [f"sites/{site.pk}/sessions/{uuid.uuid4()}/00000000-00000003-run.json.zst",
               f"sites/{site.pk}/sessions/{uuid.uuid4()}/00000004.json.gz"]
    for key in orphans:
        object_write(key, b"left behind")
    other, other_keys = recorded_site(sessions=1)
    # When the site is deleted
    assert site_delete(site=site).done
    # Then nothing of it is left in storage, and another site keeps its own
    assert stored(f"sites/{site.pk}/") == set()
    assert set(other_keys) <= stored(f"sites/{other.pk}/")


def test_the_admins_delete_answers_before_deleting_the_recordings_and_hides_the_site_at_once(admin_client):
    # Given a site with recordings and a member
    site, keys = recorded_site()
    member = UserFactory()
    Membership.objects.create(site=site, user=member, role=Membership.VIEWER)
    # When an admin deletes it from its page, after a summary of what goes with it (counted, never listed)
    url = f"/admin/sites/site/{site.pk}/delete/"
    page = admin_client.get(url).content.decode()
    assert "2 sessions" in page and "Yes, I’m sure" in page
    assert str(Session.objects.filter(site=site).first().pk) not in page
    with CaptureQueriesContext(connection) as confirmed:  # (counted on the summary only: a big site takes long)
        answer = admin_client.post(url, {"post": "yes"}, follow=True)
    assert not [query for query in confirmed.captured_queries if "COUNT(" in query["sql"].upper()
                and "recorder_session" in query["sql"]]
    # Then the answer says the deletion is under way, and the work is left to the worker
    assert "is being deleted" in answer.content.decode()
    assert Session.objects.filter(site=site).count() == 2 and set(keys) <= set(s3_objects(f"sites/{site.pk}/"))
    # ... while the site takes no more batches and is gone from its members' dashboard and API
    visitor, viewer = Client(), Client()
    assert post_batch(visitor, make_batch(site.pk)).status_code == 403
    viewer.force_login(member)
    assert f"/sites/{site.pk}/" not in viewer.get("/sites/").content.decode()
    assert viewer.get(f"/sites/{site.pk}/overview/").status_code == 404
    assert viewer.get("/api/v1/sites/").json()["results"] == []
    assert AuditEntry.objects.filter(action="site.delete", target=str(site.pk), username="root").exists()
    # ... and the admin shows it, read-only, until it is gone
    assert "Deleting since" in admin_client.get("/admin/sites/site/").content.decode()
    assert admin_client.post(f"/admin/sites/site/{site.pk}/change/", {"name": "Back"}).status_code == 403
    # When the worker runs the task the delete queued
    site_delete_step.apply(args=[site.pk])
    # Then the site, its rows and its objects are gone
    assert not Site.objects.filter(pk=site.pk).exists() and not Session.objects.filter(site_id=site.pk).exists()
    assert s3_objects(f"sites/{site.pk}/") == {}


def test_the_list_action_deletes_the_sites_chosen_in_the_worker_and_says_so(admin_client):
    site, _ = recorded_site(sessions=3)
    kept = SessionFactory()
    data = {"action": "delete_selected", "_selected_action": [site.pk]}

    assert "3 sessions" in admin_client.post("/admin/sites/site/", data).content.decode()
    answer = admin_client.post("/admin/sites/site/", {**data, "post": "yes"}, follow=True).content.decode()

    assert "1 site is being deleted" in answer and "Successfully deleted" not in answer
    site_delete_step.apply(args=[site.pk])
    assert not Site.objects.filter(pk=site.pk).exists() and s3_objects(f"sites/{site.pk}/") == {}
    assert Session.objects.filter(pk=kept.pk).exists()


def test_without_a_broker_the_admins_delete_deletes_the_site_in_the_request(
        admin_client, settings, django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the embedded default: tasks run in-process
    site, _ = recorded_site()

    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(f"/admin/sites/site/{site.pk}/delete/", {"post": "yes"}).status_code == 302

    assert not Site.objects.filter(pk=site.pk).exists() and s3_objects(f"sites/{site.pk}/") == {}


def test_a_step_out_of_time_leaves_the_rest_to_the_next_which_finishes(monkeypatch):
    # Given a site being deleted, with more sessions than a round takes
    monkeypatch.setattr(deletion, "DELETE_BATCH", 2)
    site, _ = recorded_site(sessions=5)
    site_delete_queue(site=site)
    # When a step has no time left after its first round
    first = site_delete_run(site_id=site.pk, seconds=0)
    # Then it stops there and lets go of the site, and the next step finishes the deletion
    assert (first.held, first.done, first.sessions) == (True, False, 2)
    assert Site.objects.get(pk=site.pk).deletion_lease_until is None
    assert site_delete_run(site_id=site.pk).done and not Site.objects.filter(pk=site.pk).exists()


def test_a_workers_step_out_of_time_queues_the_next(monkeypatch, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the step it queues runs here (to the end), as a worker would
    monkeypatch.setattr(deletion, "DELETE_BATCH", 2)
    monkeypatch.setattr(deletion, "SITE_DELETE_STEP_SECONDS", 0)
    site, _ = recorded_site(sessions=5)
    site_delete_queue(site=site)

    assert site_delete_step(site.pk) == 2  # run as a worker runs it (not eagerly): one round, then the next step

    assert not Site.objects.filter(pk=site.pk).exists()


def test_a_deletion_whose_worker_died_is_queued_again_once_its_hold_runs_out(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the queued step runs here, as a worker would
    # Given a site whose deletion a worker took, then died in
    site, _ = recorded_site()
    site_delete_queue(site=site)
    held = timezone.now() + timedelta(minutes=5)
    Site.objects.filter(pk=site.pk).update(deleting_since=timezone.now() - timedelta(minutes=5),
                                           deletion_lease_until=held)
    # While its hold lasts, neither the periodic resume nor another run touches it
    assert site_deletions_resume() == 0 and not site_delete_run(site_id=site.pk).held
    with pytest.raises(CommandError, match="being deleted by a worker"):
        call_command("deletesite", "--site", str(site.pk), "--no-input")
    assert Session.objects.filter(site=site).count() == 2
    # Once it has run out, the periodic resume (or its command) queues it again, and the site goes
    Site.objects.filter(pk=site.pk).update(deletion_lease_until=timezone.now() - timedelta(seconds=1))
    call_command("deletesite", "--resume")
    assert not Site.objects.filter(pk=site.pk).exists() and s3_objects(f"sites/{site.pk}/") == {}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first_run", ["goes on", "fails"])
def test_a_run_whose_hold_ran_out_and_was_taken_leaves_the_site_to_the_run_that_took_it(monkeypatch, first_run):
    """A run took the site again after each round of sessions whatever held it: one whose round outlasted its
    hold took it back from the run that had taken it up meanwhile, and the two deleted the site at once. One
    that failed let go of the other's hold, which then stopped too (or a third run took it up)."""
    monkeypatch.setattr(deletion, "DELETE_BATCH", 2)
    site, _ = recorded_site(sessions=5)
    runs = {}

    def first():
        try:
            runs["first"] = site_delete(site=site)
        except OperationalError as error:
            runs["first"] = error

    def taken_up_later():
        # (what the first run's round took longer than SITE_DELETE_LEASE to do)
        Site.objects.filter(pk=site.pk).update(deletion_lease_until=timezone.now() - timedelta(seconds=1))
        runs["later"] = site_delete_run(site_id=site.pk)

    # Given `deletesite` holding the site, stopped in its first round of sessions (at their segments, which
    # another transaction holds), and a worker's run that took the site up once that hold ran out, waiting for
    # the same sessions; when the first goes on, or fails there (its statement cancelled, as a timeout does)
    segments = "SELECT 1 FROM recorder_segment s JOIN recorder_session r ON r.id = s.session_id WHERE r.site_id = %s"
    with stopped_at(f"{segments} FOR UPDATE OF s", [site.pk], first, taken_up_later):
        if first_run == "fails":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                               "AND wait_event_type = 'Lock' AND query LIKE 'DELETE FROM \"recorder_segment\"%'")

    # Then the first stops after its round, no longer holding the site (or fails); the later run deletes the rest
    if first_run == "goes on":
        assert (runs["first"].held, runs["first"].done, runs["first"].sessions) == (False, False, 2)
    else:
        assert isinstance(runs["first"], OperationalError)
    assert runs["later"].held and runs["later"].done
    assert not Site.objects.filter(pk=site.pk).exists() and s3_objects(f"sites/{site.pk}/") == {}


def test_a_site_being_deleted_takes_no_batch_from_a_web_process_that_read_its_rules_before(client):
    # Given a site whose visitor's batch a web process just accepted (it keeps the site's rules a few seconds)
    site = SiteFactory()
    assert post_batch(client, make_batch(site.pk, seq=0)).status_code == 202
    # When its deletion is asked (the worker has not run yet)
    site_delete_queue(site=site)
    # Then the visitor's next batch is refused at once, and nothing of it is kept
    response = post_batch(client, make_batch(site.pk, seq=1))
    assert (response.status_code, response.json()["error"]) == (403, "unknown_site")
    assert list(Chunk.objects.filter(site=site).values_list("seq", flat=True)) == [0]


def test_a_member_added_to_a_site_being_deleted_cannot_see_it_nor_turn_its_recording_on(admin_client):
    # Given a site whose deletion was asked (the admin still lists it until the worker is done)
    site = SiteFactory()
    site_delete_queue(site=site)
    # When an operator adds a user to it in the admin's Memberships (its site field offers every site)
    user = UserFactory()
    added = admin_client.post("/admin/sites/membership/add/", {"user": user.pk, "site": site.pk, "role": "owner"})
    assert added.status_code == 302 and Membership.objects.filter(site=site, user=user).exists()
    # Then the site is not theirs to see or change: not listed, its pages and API are "no such site"
    member = Client()
    member.force_login(user)
    assert f"/sites/{site.pk}/" not in member.get("/sites/").content.decode()
    assert member.get("/api/v1/sites/").json()["results"] == []
    assert member.get(f"/api/v1/sites/{site.pk}/sessions/").status_code == 404
    turn_on = settings_data(Site.objects.get(pk=site.pk), enabled=True)
    assert member.post(f"/sites/{site.pk}/settings/", turn_on).status_code == 404
    # ... and it stays disabled: ingest still refuses its batches
    assert not Site.objects.get(pk=site.pk).enabled
