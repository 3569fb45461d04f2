from django.core.management.base import BaseCommand

from sites.demo import DEMO_PASSWORD, DEMO_USER, demo_setup


class Command(BaseCommand):
    help = "Create the demo user and demo site (safe to run again) and print the login."

    def add_arguments(self, parser):
        parser.add_argument("--domain", action="append", default=[], help="Allowed domain (repeatable).")

    def handle(self, *args, domain, **options):
        domains = domain or ["127.0.0.1", "localhost"]
        user, site, created = demo_setup(domains=domains)
        self.stdout.write(f"Demo site id {site.pk} ({', '.join(site.domains)})")
        if created:
            self.stdout.write(f"Log in at /accounts/login/ as {DEMO_USER} / {DEMO_PASSWORD}")
        else:
            self.stdout.write(f"Log in at /accounts/login/ as {DEMO_USER} (password set when it was created)")
