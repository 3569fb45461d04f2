from django.core.management.base import BaseCommand, CommandError

from recorder.services import chunks_redrive


class Command(BaseCommand):
    help = "Queue failed batches again (after fixing their cause): the ids given, a site's, or all."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="Ids of failed batches (see failedbatches).")
        parser.add_argument("--site", type=int, help="Every failed batch of this site.")
        parser.add_argument("--all", action="store_true", help="Every failed batch.")

    def handle(self, *args, ids, site=None, all=False, **options):
        if not (ids or site or all):
            raise CommandError("Name batch ids, --site ID or --all.")
        count = chunks_redrive(ids=ids or None, site_id=site)
        self.stdout.write(f"Queued {count} failed batch{'es' if count != 1 else ''} again.")
