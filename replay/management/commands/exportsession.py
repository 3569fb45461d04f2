import sys

from django.core.management.base import BaseCommand, CommandError

from privacy.audit import audit_record
from recorder.models import Session
from replay.recordings import session_all_parts, session_events_json


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
        for part in session_events_json(session_all_parts(session)):
            sys.stdout.buffer.write(part)
        sys.stdout.buffer.write(b"\n")
        sys.stdout.flush()


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
