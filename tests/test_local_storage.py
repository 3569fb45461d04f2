"""The embedded default's recordings on local files: what compaction writes is on the disk before the
chunks it replaces are deleted, and a deleted recording stays deleted after a power cut."""
import os
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone

from recorder.compaction import sessions_compact
from recorder.models import Chunk, Segment, Session
from recorder.storage import objects_delete
from tests.conftest import make_batch, post_batch, process_pending

pytestmark = pytest.mark.django_db


@pytest.fixture
def flushed(monkeypatch) -> list[str]:
    """The paths this process asks the OS to flush to the disk (os.fsync, observed where it meets the OS)."""
    paths: list[str] = []
    fsync = os.fsync

    def observed(descriptor):
        paths.append(os.readlink(f"/proc/self/fd/{descriptor}"))
        return fsync(descriptor)

    monkeypatch.setattr(os, "fsync", observed)
    return paths


def test_a_segment_and_its_directories_are_flushed_to_disk_before_its_chunks_are_deleted(
        client, site, local_recordings, flushed):
    # Given a finished session whose batches were accepted and stored as chunk rows
    sid = make_batch(site.pk)["sid"]
    for seq in range(3):
        assert post_batch(client, make_batch(site.pk, sid=sid, seq=seq)).status_code == 202
    assert process_pending() == 3
    Session.objects.filter(pk=sid).update(status=Session.FINISHED)
    # When compaction turns them into a segment file and deletes the rows
    assert sessions_compact(now=timezone.now() + timedelta(minutes=11))["segments"] == 1
    # Then the file and every directory leading to it were flushed to the disk
    assert not Chunk.objects.filter(session_id=sid).exists()
    segment = local_recordings / Segment.objects.get(session_id=sid).key
    assert segment.is_file()
    made = [segment, *[path for path in segment.parents if path == local_recordings or local_recordings in path.parents]]
    assert {str(path) for path in made} <= set(flushed)


def test_a_deleted_recording_file_is_flushed_from_its_directory(site, local_recordings, flushed):
    # Given a recording's file on the local disk
    key = f"sites/{site.pk}/sessions/s/00000000-00000000-run.json.zst"
    storages["recordings"].save(key, ContentFile(b"x"))
    flushed.clear()
    # When it is deleted (a deletion request, retention), and when a key already gone is deleted again
    objects_delete([key])
    objects_delete([f"sites/{site.pk}/sessions/gone/x.json.zst"])
    # Then its directory's entry is flushed, so the file does not come back after a power cut
    assert flushed == [str((local_recordings / key).parent)]
