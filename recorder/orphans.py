"""Objects of the recordings storage that no row points to: deleted once they are ORPHAN_GRACE old.

Writers record an object's row before the object (compaction's `writing`
segment rows) and deletions delete objects before rows, so such an object
is rare, but it can be left: a session is deleted while compaction writes
one of its segments (the deletion deletes the segment's object before it
exists, then its row), and the compaction's worker dies before it deletes
what it wrote (a time limit, the memory, a restart), or storage fails that
delete; or a site's deletion lists its prefix while a compaction writes
there. Nothing else would ever find them again.
"""
import math
import re
import uuid
from datetime import datetime, timedelta

from django.db.models import Max
from django.utils import timezone

from sites.models import Site

from .models import Chunk, Segment
from .storage import objects_delete, objects_pages

# An object younger than this is left alone, whether a row points to it or not: its row may not be
# committed yet (the previous version wrote a batch's object before its row), and the storage's clock,
# which dates the object, may be off from this host's.
ORPHAN_GRACE = timedelta(days=1)

_SITE_KEY = re.compile(r"sites/(\d+)/")
_SESSION_KEY = re.compile(r"sites/\d+/sessions/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/")


def orphans_delete(*, grace: timedelta = ORPHAN_GRACE, now: datetime | None = None) -> int:
    """Delete the objects under sites/ older than `grace` that no segment or chunk row points to; how many.

    Safe to rerun, and beside any other job: a row never comes to point at an object older than the grace
    (compaction names each object afresh, after its row)."""
    cutoff = (now or timezone.now()) - grace
    # Sites made after the newest this database knows are another database's (a restored backup, a staging
    # copy pointed at the same bucket): their objects are never taken for orphans, nor any with no site.
    newest = Site.objects.aggregate(newest=Max("pk"))["newest"] or 0
    deleted = 0
    for page in objects_pages("sites/"):
        old = [key for key, written in page if written < cutoff and _site_id(key) <= newest]
        if not old:
            continue
        orphans = set(old) - _keys_known(old)
        objects_delete(sorted(orphans))
        deleted += len(orphans)
    return deleted


def _site_id(key: str) -> float:
    found = _SITE_KEY.match(key)
    return int(found[1]) if found else math.inf


def _keys_known(keys: list[str]) -> set[str]:
    """Those of these keys that a row points to (each looked up by an index: segments' keys, chunks' sessions)."""
    sessions = {uuid.UUID(found[1]) for key in keys if (found := _SESSION_KEY.match(key))}
    known = set(Segment.objects.filter(key__in=keys).values_list("key", flat=True))
    known |= set(Chunk.objects.filter(session_id__in=sessions, key__in=keys).values_list("key", flat=True))
    return known
