from django.core.management.base import BaseCommand

from insights.services import heatmaps_rebuild


class Command(BaseCommand):
    help = "Rebuild the heatmaps' cells from the sessions' stored facts (all sites, or one)."

    def add_arguments(self, parser):
        parser.add_argument("--site", type=int, default=None, help="Only this site's heatmaps.")

    def handle(self, *args, site=None, **options):
        cells = heatmaps_rebuild(site_id=site)
        self.stdout.write(f"{cells} heatmap cells rebuilt")
