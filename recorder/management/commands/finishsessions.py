from django.core.management.base import BaseCommand

from recorder.services import sessions_finish_idle


class Command(BaseCommand):
    help = "Finish sessions idle past their site's timeout and drop finished ones shorter than its minimum."

    def handle(self, *args, **options):
        self.stdout.write(f"Finished {sessions_finish_idle()} idle sessions.")
