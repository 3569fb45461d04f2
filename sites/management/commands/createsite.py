from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from sites.forms import SiteCreateForm
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
        form = SiteCreateForm(data={"name": name, "domains": "\n".join(domain)})  # the dashboard's rules
        if not form.is_valid():
            raise CommandError(" ".join(f"--{field.rstrip('s')}: {' '.join(errors)}" for field, errors in form.errors.items()))
        site = site_create(name=form.cleaned_data["name"], domains=form.cleaned_data["domains"], owner=user)
        self.stdout.write(str(site.pk))
