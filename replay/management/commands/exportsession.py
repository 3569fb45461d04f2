import uuid

from django.core.management.base import BaseCommand, CommandError

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
        complete = _written(self.stdout, events)
        if not complete:  # what was printed is whole JSON, but not the whole session
            raise CommandError(f"Session {session_id} was deleted during the export: its events end where they were.")


def _written(out, pieces) -> bool:
    """Write the pieces one at a time, as they are read (a long session's events are far larger than a
    process should hold), then a newline; returns whether every part was read (the pieces' generator says).

    They are UTF-8 as stored, written as bytes where the output takes them: a terminal set to another
    encoding could not take them as text. (A StringIO, given by a caller, takes text.)
    """
    binary = getattr(out._out, "buffer", None)  # (OutputWrapper's stream)
    write = binary.write if binary else lambda piece: out.write(piece.decode(), ending="")
    while True:
        try:
            piece = next(pieces)
        except StopIteration as done:
            write(b"\n")
            if binary:
                binary.flush()
            return done.value
        write(piece)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
