from django.core.management.base import BaseCommand, CommandError

from config.commands import pieces_written
from privacy.audit import audit_record
from privacy.management.commands._site import site_or_fail, visitor_or_fail
from privacy.services import visitor_export_json, visitor_export_sessions


class Command(BaseCommand):
    help = "Print everything kept about one visitor (identity or visitor id) on a site as one JSON document."

    def add_arguments(self, parser):
        parser.add_argument("--site", type=int, required=True, help="The site's id.")
        parser.add_argument("visitor", help="The visitor's identity or visitor id.")

    def handle(self, *args, site, visitor, **options):
        found, visitor = site_or_fail(site), visitor_or_fail(visitor)
        count = visitor_export_sessions(site=found, visitor=visitor).count()
        audit_record(user=None, site=found, action="visitor.export", target=visitor,
                     detail={"sessions": count, "via": "exportvisitor"})
        whole = pieces_written(self.stdout, visitor_export_json(site=found, visitor=visitor))  # (it may be huge)
        if not whole:  # what was printed is whole JSON, but a session in it is not
            raise CommandError("A session was deleted during the export: its events end where they were "
                               '(it says "deleted_during_export").')
