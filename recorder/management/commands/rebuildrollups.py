from django.core.management.base import BaseCommand

from recorder.rollups import rollups_rebuild, site_urls_rebuild


class Command(BaseCommand):
    help = "Recompute the overview's daily roll-ups and the sites' distinct page URLs from the sessions (all sites, or those given)."

    def add_arguments(self, parser):
        parser.add_argument("--site", type=int, action="append", help="Only this site (repeatable).")

    def handle(self, *args, site=None, **options):
        days = rollups_rebuild(site_ids=site)
        urls = site_urls_rebuild(site_ids=site)
        self.stdout.write(f"Rebuilt {days} site-day{'s' if days != 1 else ''} and {urls} page URL{'s' if urls != 1 else ''}.")
