import uuid

from django.core.management.base import BaseCommand, CommandError

from config.commands import pieces_written
from privacy.audit import audit_record
from recorder.models import Session
from replay.recordings import session_events_stream


class Command(BaseCommand):
    help = "Print a session's events as a JSON array (rrweb-compatible)."

    def add_arguments(self, parser):
        parser.add_argument("session_id")

    def handle(self, *args, session_id, **options):
        session = Session.objects.filter(pk=session_id).first() if _is_uuid(session_id) else None
        if session is None:
            raise CommandError(f"No session {session_id}.")
        audit_record(user=None, site=session.site, action="session.export", target=str(session.pk),
                     detail={"via": "exportsession"})
        events, _ = session_events_stream(session, hold_at_gaps=False)
        complete = pieces_written(self.stdout, events)
        if not complete:  # what was printed is whole JSON, but not the whole session
            raise CommandError(f"Session {session_id} was deleted during the export: its events end where they were.")


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
