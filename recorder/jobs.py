"""The periodic jobs, and a thread that runs them inside the web process for the embedded default.

In production Celery beat schedules them (settings.CELERY_BEAT_SCHEDULE).
`make run` has no beat: with JOBS_IN_PROCESS, a serving process starts one
daemon thread that runs each job when it is due, as it loads the application
(config.wsgi, config.asgi): from the server's start, not its first request, so
a server restarted with no traffic still purges what expired. Management
commands never load it, nor does runserver's autoreloader, only the child
that serves. Every job also has a management command.
"""
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections, connections

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: int
    run: Callable[[], object]


def jobs() -> list[Job]:
    from privacy.services import retention_purge
    from sites.deletion import site_deletions_resume

    from .compaction import sessions_compact
    from .orphans import orphans_delete
    from .services import chunks_sweep, sessions_finish_idle

    return [
        Job("sweep chunks", settings.SWEEP_SECONDS, lambda: chunks_sweep()),
        Job("finish idle sessions", 300, lambda: sessions_finish_idle()),
        Job("compact sessions", 120, lambda: sessions_compact()),
        Job("purge expired recordings", 3600, retention_purge),
        Job("resume site deletions", 60, site_deletions_resume),
        Job("delete objects no row points to", 86400, lambda: orphans_delete()),
    ]


def jobs_run_due(due: dict[str, float], now: float) -> None:
    """Run every job whose time has come; `due` maps a job's name to when it runs next."""
    for job in jobs():
        if due.get(job.name, 0) > now:
            continue
        due[job.name] = now + job.every_seconds
        try:
            log.info("job %s: %s", job.name, job.run())
        except Exception:  # noqa: BLE001 - one failing job must not stop the others or the thread
            log.exception("job %s failed; it runs again in %s s", job.name, job.every_seconds)


def _loop() -> None:
    due: dict[str, float] = {}
    while True:
        close_old_connections()
        jobs_run_due(due, time.monotonic())
        connections.close_all()
        time.sleep(1)


_started = threading.Lock()


def jobs_in_process_start() -> None:
    """Start the jobs thread in this serving process (once), if JOBS_IN_PROCESS."""
    if not settings.JOBS_IN_PROCESS or not _started.acquire(blocking=False):
        return
    threading.Thread(target=_loop, name="hindsight-jobs", daemon=True).start()
    log.info("periodic jobs run in this process (JOBS_IN_PROCESS)")
