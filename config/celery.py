import os

from celery import Celery, signals
from django.db import close_old_connections

from config.runtime import collector_tune
from ops import celery_hooks as ops_celery_hooks

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("hindsight")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# One log line and metrics per task, the queuing request's id, the worker's metrics endpoint.
ops_celery_hooks.connect()


@signals.worker_process_init.connect  # each child of the prefork pool
@signals.worker_ready.connect  # the worker itself (solo and thread pools run tasks in it)
def _collector_tune(**_):
    collector_tune()


@signals.task_prerun.connect
@signals.task_postrun.connect
def _connections_tidy(task=None, **_):
    """Before and after each task, what Django does around each request: a broken connection, or one older
    than DATABASE_CONN_MAX_AGE, is closed; any other is kept (opening one costs more than most tasks).
    A task run eagerly, inside a request or a test's transaction, leaves the connection to its caller."""
    if task is not None and getattr(task.request, "is_eager", False):
        return
    close_old_connections()
