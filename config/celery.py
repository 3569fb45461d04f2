import os

from celery import Celery, signals

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
