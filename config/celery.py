import os

from celery import Celery

from ops import celery_hooks as ops_celery_hooks

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("hindsight")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# One log line and metrics per task, the queuing request's id, the worker's metrics endpoint.
ops_celery_hooks.connect()
