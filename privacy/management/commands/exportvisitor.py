import json

from django.core.management.base import BaseCommand

from privacy.audit import audit_record
from privacy.management.commands._site import site_or_fail, visitor_or_fail
from privacy.services import visitor_export


class Command(BaseCommand):
    help = "Print everything kept about one visitor (identity or visitor id) on a site as one JSON document."

    def add_arguments(self, parser):
        parser.add_argument("--site", type=int, required=True, help="The site's id.")
        parser.add_argument("visitor", help="The visitor's identity or visitor id.")

    def handle(self, *args, site, visitor, **options):
        found, visitor = site_or_fail(site), visitor_or_fail(visitor)
        export = visitor_export(site=found, visitor=visitor)
        audit_record(user=None, site=found, action="visitor.export", target=visitor,
                     detail={"sessions": len(export["sessions"]), "via": "exportvisitor"})
        self.stdout.write(json.dumps(export, ensure_ascii=False))
