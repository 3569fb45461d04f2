"""Celery entry points of the sites app; each calls one service."""
from celery import shared_task

from recorder.tasks import RETRIED

from . import deletion


@shared_task(bind=True, **RETRIED, soft_time_limit=240, time_limit=300)
def site_delete_step(self, site_id: int) -> int:
    """Delete a site whose deletion was asked for, for about SITE_DELETE_STEP_SECONDS, then queue the next step
    (run in-process, without a broker: to the end). Safe to run twice, at once too: a run holds the site
    under a lease, a step left unfinished is resumed by the next, or by the periodic resume."""
    seconds = None if self.request.is_eager else deletion.SITE_DELETE_STEP_SECONDS
    run = deletion.site_delete_run(site_id=site_id, seconds=seconds)
    if run.held and not run.done:
        site_delete_step.delay(site_id)
    return run.sessions


@shared_task(acks_late=True, ignore_result=True)
def site_deletions_resume() -> int:
    """Queue again the site deletions no run holds. Safe to rerun."""
    return deletion.site_deletions_resume()
