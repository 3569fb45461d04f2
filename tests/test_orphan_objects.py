"""Stored objects that no row points to (what a compaction that died while its session was deleted leaves)
are deleted once they are a day old; an object a row points to, or a younger one, never is."""
import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from privacy.services import sessions_delete
from recorder.compaction import STALE_WRITING, sessions_compact
from recorder.models import Chunk, Segment
from recorder.orphans import ORPHAN_GRACE, orphans_delete
from recorder.storage import object_write, segment_key
from tests.factories import SessionFactory, SiteFactory

pytestmark = pytest.mark.django_db


def segment_made(session, state=Segment.READY) -> str:
    key = segment_key(session.site_id, session.pk, 0, 0, uuid.uuid4().hex[:12])
    Segment.objects.create(session=session, key=key, first_ts=0, last_ts=1, state=state)
    return key


def test_a_segment_written_as_its_session_was_deleted_by_a_compaction_that_then_died_goes_a_day_later(stored):
    # Given a compaction that recorded its segment's row (`writing`), as it does before writing the object
    session = SessionFactory()
    key = segment_made(session, Segment.WRITING)
    # When the session is deleted meanwhile (its objects first: this one is not written yet, then its rows),
    sessions_delete(session_ids=[session.pk])
    # the compaction's write lands, and its worker dies before it finds the session gone
    object_write(key, b"segment")
    # Then no later compaction finds the object (no row names it), and a day is left to any run in flight
    later = timezone.now() + STALE_WRITING + timedelta(minutes=1)
    sessions_compact(now=later)
    orphans_delete()
    assert key in stored("sites/")
    # A day later, it is deleted
    orphans_delete(now=timezone.now() + ORPHAN_GRACE + timedelta(minutes=1))
    assert key not in stored("sites/")


def test_an_object_a_row_points_to_or_of_a_site_this_database_never_had_is_never_deleted(stored):
    # Given objects that rows point to (segments ready and being written, a batch an older version stored
    # as an object), beside them objects no row points to under two sites
    session = SessionFactory()
    kept = [segment_made(session), segment_made(session, Segment.WRITING),
            f"sites/{session.site_id}/sessions/{session.pk}/00000007.json.gz"]
    Chunk.objects.create(site_id=session.site_id, session=session, seq=7, status=Chunk.STORED, key=kept[-1])
    other = SiteFactory()
    orphans = [f"sites/{session.site_id}/sessions/{uuid.uuid4()}/00000000-00000001-run.json.zst",
               f"sites/{other.pk}/sessions/{session.pk}/00000007.json.gz", f"sites/{other.pk}/stray"]
    # ... and objects of a site newer than any this database knows (another database's: a restored backup's,
    # a staging copy's), and of no site at all
    kept += [f"sites/{other.pk + 1}/sessions/{uuid.uuid4()}/00000000-00000001-run.json.zst", "sites/stray"]
    for key in kept + orphans:
        object_write(key, b"x")
    # When the periodic job runs a day later
    assert orphans_delete(now=timezone.now() + ORPHAN_GRACE + timedelta(minutes=1)) >= 3
    # Then only the objects no row points to are gone (the bucket may hold other tests' too)
    assert stored("sites/") & {*kept, *orphans} == set(kept)


def test_the_command_leaves_objects_younger_than_a_day(stored):
    key = f"sites/{SiteFactory().pk}/sessions/{uuid.uuid4()}/00000000-00000001-run.json.zst"
    object_write(key, b"x")
    out = StringIO()

    call_command("deleteorphans", stdout=out)

    assert out.getvalue().startswith("Deleted ") and key in stored("sites/")
