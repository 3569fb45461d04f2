from django.core.management.base import BaseCommand

from privacy.audit import audit_record
from privacy.management.commands._site import site_or_fail, visitor_or_fail
from privacy.services import visitor_forget


class Command(BaseCommand):
    help = "Delete every session, row and stored recording of one visitor (identity or visitor id) on a site."

    def add_arguments(self, parser):
        parser.add_argument("--site", type=int, required=True, help="The site's id.")
        parser.add_argument("visitor", help="The visitor's identity or visitor id.")

    def handle(self, *args, site, visitor, **options):
        found, visitor = site_or_fail(site), visitor_or_fail(visitor)
        deleted = visitor_forget(site=found, visitor=visitor)
        audit_record(user=None, site=found, action="visitor.forget", target=visitor,
                     detail={"sessions": deleted, "via": "forgetvisitor"})
        self.stdout.write(f"Deleted {deleted} session{'s' if deleted != 1 else ''} of {visitor} on site {found.pk}.")
