from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from sites.services import site_create


class Command(BaseCommand):
    help = "Create a site and print its id (the snippet's wid) on its own line."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--domain", action="append", required=True, help="HOST[:PORT]; repeatable.")
        parser.add_argument("--owner", help="Username of the owner; default: the first superuser.")

    def handle(self, *args, name, domain, owner, **options):
        User = get_user_model()
        if owner:
            user = User.objects.filter(username=owner).first()
            if user is None:
                raise CommandError(f"No user named {owner!r}.")
        else:
            user = User.objects.filter(is_superuser=True).order_by("id").first()
            if user is None:
                raise CommandError("No superuser exists; pass --owner USER or run createsuperuser first.")
        try:
            site = site_create(name=name, domains=domain, owner=user)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(str(site.pk))
