from django.core.management.base import BaseCommand

from recorder.services import chunks_sweep


class Command(BaseCommand):
    help = "Queue again the accepted batches that waited too long; mark failed those that keep killing workers."

    def handle(self, *args, **options):
        counts = chunks_sweep()
        self.stdout.write(f"Queued again: {counts['requeued']}. Given up: {counts['failed']}.")
