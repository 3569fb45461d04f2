from django.core.management.base import BaseCommand

from privacy.services import retention_purge


class Command(BaseCommand):
    help = "Delete every recording past its site's retention period (sessions, rows, stored objects)."

    def handle(self, *args, **options):
        self.stdout.write(f"Deleted {retention_purge()} expired sessions.")
