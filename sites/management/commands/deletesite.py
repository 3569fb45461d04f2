from django.core.management.base import BaseCommand, CommandError

from privacy.management.commands._site import site_or_fail
from sites.deletion import site_delete, site_delete_counts, site_deletions_resume


class Command(BaseCommand):
    help = (
        "Delete a site with every session, row and stored recording of it, here; or (--resume) queue again "
        "the deletions asked for that no worker is running (what the periodic job does)."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--site", type=int, help="The site's id.")
        which.add_argument("--resume", action="store_true", help="Queue again the stalled deletions.")
        parser.add_argument("--no-input", action="store_false", dest="interactive", help="Do not ask to confirm.")

    def handle(self, *args, site, resume, interactive, **options):
        if resume:
            self.stdout.write(f"Deletions queued again: {site_deletions_resume()}.")
            return
        found = site_or_fail(site)
        counts = ", ".join(f"{count} {name}" for name, count in site_delete_counts(site=found).items())
        if interactive and input(f"Delete site {found} ({counts})? Type yes to confirm: ") != "yes":
            raise CommandError("Nothing deleted.")
        run = site_delete(site=found)
        if not run.held:
            raise CommandError(f"Site {site} is being deleted by a worker (or a run that died, whose hold on it "
                               "runs out ten minutes after its last step); it goes on there.")
        self.stdout.write(f"Deleted site {site} and its {run.sessions} session{'s' if run.sessions != 1 else ''}.")
