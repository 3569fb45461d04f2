"""A Celery worker keeps its database connection from task to task, and replaces one that broke."""
import pytest
from celery import signals
from celery.fixups.django import DjangoWorkerFixup
from django.db import connection

from config.celery import app

pytestmark = pytest.mark.django_db(transaction=True)


class Request:
    is_eager = False


class Task:
    """A task as a worker runs it: taken from the broker, not run eagerly."""

    request = Request()


def run_task_signals(fixup):
    """What a worker does around a task: Celery's Django fixup, then our handlers."""
    task = Task()
    fixup.on_task_prerun(sender=task)
    signals.task_prerun.send(sender=task, task=task, task_id="t", args=(), kwargs={})
    fixup.on_task_postrun(sender=task)
    signals.task_postrun.send(sender=task, task=task, task_id="t", args=(), kwargs={}, retval=None)


def test_a_healthy_connection_serves_the_next_task():
    fixup = DjangoWorkerFixup(app)
    connection.ensure_connection()
    before = connection.connection
    for _ in range(3):
        run_task_signals(fixup)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    assert connection.connection is before


@pytest.mark.postgres  # SQLite's connections do not break; it tells no broken one from a healthy one
def test_a_broken_connection_is_replaced_after_the_task():
    fixup = DjangoWorkerFixup(app)
    connection.ensure_connection()
    broken = connection.connection
    connection.errors_occurred = True  # as after a query that met a database restart
    broken.close()
    run_task_signals(fixup)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert connection.connection is not broken
