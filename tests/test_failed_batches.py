"""What an operator sees and does about batches the worker could not store: commands, admin, periodic jobs."""
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from recorder import jobs
from recorder.models import Chunk, Session
from recorder.tasks import chunk_process
from tests.conftest import make_batch, post_batch, process_pending
from tests.factories import UserFactory
from tests.test_fault_operator import host_clock_off

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed(client, site) -> Chunk:
    """An accepted batch whose body a bug made unreadable for the worker."""
    batch = make_batch(site.pk)
    assert post_batch(client, batch).status_code == 202
    chunk = Chunk.objects.get()
    good = bytes(chunk.body)
    Chunk.objects.filter(pk=chunk.pk).update(body=b"\x00broken")
    chunk_process.apply(args=[chunk.pk])
    chunk.refresh_from_db()
    assert chunk.status == Chunk.FAILED
    chunk.good_body = good
    return chunk


def run(command: str, *args) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def test_failedbatches_lists_each_failed_batch_with_its_reason(failed):
    out = run("failedbatches")
    assert f"{failed.pk}\tsite {failed.site_id}\tsession {failed.session_id} seq 0" in out
    assert "BatchError" in out and "1 failed batch." in out
    assert run("failedbatches", "--site", str(failed.site_id + 1)).strip() == "0 failed batches."
    with host_clock_off(timedelta(minutes=5)):  # its age is the database's clock's, which wrote its arrival
        assert int(re.search(r"\t(\d+) s ago\t", run("failedbatches"))[1]) < 60


@pytest.mark.parametrize("limit", ["-1", "0", "99999999999999999999", "1.5", "²"])
def test_failedbatches_refuses_a_limit_that_is_no_count(failed, limit):
    with pytest.raises(CommandError, match="--limit: must be a whole number from 1 to 100,000"):
        run("failedbatches", "--limit", limit)


def test_redrive_stores_a_failed_batch_after_the_fix(failed):
    Chunk.objects.filter(pk=failed.pk).update(body=failed.good_body)
    assert run("redrive", str(failed.pk)).strip() == "Queued 1 failed batch again."
    assert process_pending() == 1
    assert Session.objects.get(pk=failed.session_id).chunk_count == 1


def test_redrive_needs_to_be_told_what(failed):
    with pytest.raises(CommandError):
        run("redrive")
    assert Chunk.objects.get(pk=failed.pk).status == Chunk.FAILED


def test_failed_batches_are_deleted_with_the_sites_retention(failed, site):
    Chunk.objects.filter(pk=failed.pk).update(created_at=timezone.now() - timedelta(days=site.retention_days + 1))
    run("purgeexpired")
    assert not Chunk.objects.exists()


def test_the_admin_lists_failed_batches_and_re_drives_them(client, failed):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    page = client.get("/admin/recorder/failedchunk/")
    assert page.status_code == 200 and str(failed.session_id) in page.content.decode()
    assert "BatchError" in page.content.decode()
    found = client.get("/admin/recorder/failedchunk/", {"q": str(failed.session_id)})
    assert str(failed.session_id) in found.content.decode()
    Chunk.objects.filter(pk=failed.pk).update(body=failed.good_body)
    client.post("/admin/recorder/failedchunk/", {"action": "redrive", "_selected_action": [failed.pk]})
    assert Chunk.objects.get(pk=failed.pk).status == Chunk.PENDING


def test_sweepchunks_and_finishsessions_commands_run_their_jobs(client, site):
    post_batch(client, make_batch(site.pk))
    assert "Queued again: 0. Given up: 0." in run("sweepchunks")
    process_pending()
    assert "Finished 0 idle sessions." in run("finishsessions")


def test_the_jobs_runner_runs_each_job_when_due_and_survives_a_failing_one(client, site, settings, monkeypatch):
    """The embedded default's thread: a due sweep stores a chunk whose message never came."""
    post_batch(client, make_batch(site.pk))
    Chunk.objects.update(queued_at=timezone.now() - timedelta(seconds=settings.CHUNK_REQUEUE_SECONDS + 5))
    settings.CELERY_TASK_ALWAYS_EAGER = True
    due: dict[str, float] = {"purge expired recordings": 0}
    ran = []
    real = jobs.jobs
    monkeypatch.setattr(jobs, "jobs", lambda: [jobs.Job("broken", 60, lambda: 1 / 0)] + [
        jobs.Job(job.name, job.every_seconds, lambda job=job: ran.append(job.name) or job.run()) for job in real()
    ])
    jobs.jobs_run_due(due, now=1000.0)
    assert ran == ["sweep chunks", "finish idle sessions", "compact sessions", "purge expired recordings",
                   "resume site deletions", "delete objects no row points to"]
    assert Chunk.objects.get().status == Chunk.STORED
    jobs.jobs_run_due(due, now=1001.0)
    assert len(ran) == 6  # nothing due yet
    assert due["sweep chunks"] == 1000.0 + settings.SWEEP_SECONDS
