"""Exit 0 when this host's Celery worker answers a ping, 1 otherwise: a health check for worker containers."""
import socket

from django.core.management.base import BaseCommand, CommandError
from kombu.exceptions import OperationalError

from config.celery import app


class Command(BaseCommand):
    help = "Ping a Celery worker through the broker (default: celery@<this host>); exit 1 when it does not answer."

    def add_arguments(self, parser):
        parser.add_argument("--node", default=f"celery@{socket.gethostname()}", help="the worker's node name")
        parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the answer")

    def handle(self, *args, node: str, timeout: float, **options):
        try:
            replies = app.control.ping(destination=[node], timeout=timeout)
        except OperationalError as error:  # kombu's, for a broker that refuses or drops the connection
            raise CommandError(f"cannot reach the broker: {error}") from None
        if not any(node in reply for reply in replies):
            raise CommandError(f"{node} did not answer within {timeout:g} s")
        self.stdout.write(f"{node}: pong")
