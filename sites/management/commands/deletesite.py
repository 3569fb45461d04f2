from django.core.management.base import BaseCommand, CommandError

from privacy.management.commands._site import site_or_fail
from sites.services import site_delete, site_delete_counts


class Command(BaseCommand):
    help = "Delete a site with every session, row and stored recording of it."

    def add_arguments(self, parser):
        parser.add_argument("--site", type=int, required=True, help="The site's id.")
        parser.add_argument("--no-input", action="store_false", dest="interactive", help="Do not ask to confirm.")

    def handle(self, *args, site, interactive, **options):
        found = site_or_fail(site)
        counts = ", ".join(f"{count} {name}" for name, count in site_delete_counts(site=found).items())
        if interactive and input(f"Delete site {found} ({counts})? Type yes to confirm: ") != "yes":
            raise CommandError("Nothing deleted.")
        deleted = site_delete(site=found)
        self.stdout.write(f"Deleted site {site} and its {deleted} session{'s' if deleted != 1 else ''}.")
