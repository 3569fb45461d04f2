from django.core.management.base import BaseCommand

from recorder.compaction import session_compact, sessions_compact


class Command(BaseCommand):
    help = "Compact finished sessions (and the older chunks of live ones) into segments; or one session, whole."

    def add_arguments(self, parser):
        parser.add_argument("--session", help="Compact this session's stored chunks, whatever its state.")

    def handle(self, *args, session=None, **options):
        made = session_compact(session_id=session) if session else sessions_compact()
        self.stdout.write(f"Made {made} segment{'s' if made != 1 else ''}.")
