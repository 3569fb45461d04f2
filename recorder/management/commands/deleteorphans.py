from django.core.management.base import BaseCommand

from recorder.orphans import orphans_delete


class Command(BaseCommand):
    help = "Delete the stored recording objects that no row points to, once they are a day old."

    def handle(self, *args, **options):
        self.stdout.write(f"Deleted {orphans_delete()} objects no row points to.")
