from argparse import ArgumentTypeError

from django.core.management.base import BaseCommand

from recorder.selectors import chunks_failed
from recorder.sql import db_now


LIMIT_MAX = 100_000


def _limit(text: str) -> int:
    """--limit's value: a count from 1 to LIMIT_MAX (a negative one was a traceback; a huge one, a database error)."""
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= LIMIT_MAX:
        raise ArgumentTypeError(f"must be a whole number from 1 to {LIMIT_MAX:,}, not {text[:40]!r}")
    return int(text)


class Command(BaseCommand):
    help = "List the accepted batches the worker could not store, with their reason (newest first)."

    def add_arguments(self, parser):
        parser.add_argument("--site", type=int, help="Only this site's.")
        parser.add_argument("--limit", type=_limit, default=100, help="At most this many (default 100).")

    def handle(self, *args, site=None, limit=100, **options):
        failed, total = chunks_failed(site_id=site, limit=limit)
        now = db_now()  # a batch's created_at is the database's moment, and so is its age
        for chunk in failed:
            age = int((now - chunk.created_at).total_seconds())
            reason = chunk.error.splitlines()[0] if chunk.error else "?"
            self.stdout.write(
                f"{chunk.pk}\tsite {chunk.site_id}\tsession {chunk.session_id} seq {chunk.seq}\t"
                f"{age} s ago\t{chunk.attempts} attempts\t{reason}"
            )
        self.stdout.write(f"{total} failed batch{'es' if total != 1 else ''}.")
