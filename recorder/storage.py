"""Where recordings live: rows for the chunks of the last minutes, objects of the recordings storage
(Django storage: local files, or S3 through django-storages) for compacted segments.

Keys are grouped per site and session: sites/<site>/sessions/<session>/...
"""
import os
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from botocore.config import Config
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, storages
from storages.backends.s3 import S3Storage

DELETE_BATCH = 1000  # keys per S3 DeleteObjects request


class DurableFileSystemStorage(FileSystemStorage):
    """Local files (the embedded default) that are on the disk once saved or deleted.

    What is saved is relied on at once (compaction deletes a segment's chunk
    rows once its object is written), so the file and each directory that
    leads to it (makedirs may have just made them) are flushed first: a power
    cut must not lose a batch that got 202. A deletion is flushed too, so that
    a deleted recording does not come back.
    """

    def _save(self, name, content):
        name = super()._save(name, content)
        path = Path(self.path(name))
        _fsync(path)
        root = Path(self.location)
        for directory in path.parents:
            _fsync(directory)
            if directory == root:
                break
        return name

    def delete(self, name):
        super().delete(name)
        try:
            _fsync(Path(self.path(name)).parent)
        except FileNotFoundError:
            pass  # a key under no directory was never written


class RecordingsS3Storage(S3Storage):
    """S3 through django-storages, with waits bounded by S3_CONNECT_TIMEOUT, S3_READ_TIMEOUT and S3_MAX_ATTEMPTS.

    boto's own are 60 s to connect and 60 s for each read, tried up to five
    times: an object store that takes connections and never answers held a
    web process (ingest shares them) or a worker for minutes. Bounded, the
    call fails with a timeout, which the web answers with 503 and the worker
    retries later. A `client_config` in the options replaces these.
    """

    def __init__(self, **options):
        options.setdefault("client_config", Config(
            connect_timeout=settings.S3_CONNECT_TIMEOUT, read_timeout=settings.S3_READ_TIMEOUT,
            retries={"total_max_attempts": settings.S3_MAX_ATTEMPTS, "mode": "standard"},
        ))
        super().__init__(**options)


def _fsync(path: Path) -> None:
    """Flush a file's bytes, or a directory's entries, to the disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def recordings():
    return storages["recordings"]


def site_prefix(site_id: int) -> str:
    return f"sites/{site_id}/"


def session_prefix(site_id: int, session_id: uuid.UUID) -> str:
    return f"{site_prefix(site_id)}sessions/{session_id}/"


def segment_key(site_id: int, session_id: uuid.UUID, first_seq: int, last_seq: int, run: str) -> str:
    """The object of one segment written by one compaction run (`run` tells the runs apart)."""
    return f"{session_prefix(site_id, session_id)}{first_seq:08d}-{last_seq:08d}-{run}.json.zst"


def object_write(key: str, blob: bytes) -> None:
    """Write (or overwrite with the same bytes) one object."""
    recordings().save(key, ContentFile(blob))


def object_read(key: str) -> bytes:
    with recordings().open(key, "rb") as handle:
        return handle.read()


def objects_delete(keys: list[str]) -> None:
    """Delete objects in bulk (a thousand per request on S3); keys that are gone already are fine."""
    storage = recordings()
    bucket = getattr(storage, "bucket", None)
    if bucket is None:
        for key in keys:
            storage.delete(key)
        return
    for start in range(0, len(keys), DELETE_BATCH):
        part = keys[start:start + DELETE_BATCH]
        bucket.delete_objects(Delete={"Objects": [{"Key": key} for key in part], "Quiet": True})


def objects_listed(prefix: str) -> Iterator[tuple[str, datetime]]:
    """Every object under a prefix, with when it was written: on S3 the bucket's listing (a thousand keys a
    request), on local files each directory's, depth first. Objects deleted meanwhile are fine."""
    storage = recordings()
    bucket = getattr(storage, "bucket", None)
    if bucket is not None:
        for item in bucket.objects.filter(Prefix=prefix):
            yield item.key, item.last_modified
        return
    yield from _files_under(storage, prefix.rstrip("/"))


def _files_under(storage, path: str) -> Iterator[tuple[str, datetime]]:
    directories, files = _listdir(storage, path)
    for name in files:
        try:
            yield f"{path}/{name}", storage.get_modified_time(f"{path}/{name}")
        except FileNotFoundError:
            pass  # deleted since the directory was listed
    for name in directories:
        yield from _files_under(storage, f"{path}/{name}")


def _listdir(storage, path: str) -> tuple[list[str], list[str]]:
    try:
        return storage.listdir(path)
    except FileNotFoundError:
        return [], []


def objects_pages(prefix: str) -> Iterator[list[tuple[str, datetime]]]:
    """objects_listed a thousand at a time (what one bulk delete takes)."""
    page = []
    for item in objects_listed(prefix):
        page.append(item)
        if len(page) == DELETE_BATCH:
            yield page
            page = []
    if page:
        yield page


def objects_delete_under(prefix: str, *, until: float | None = None) -> bool:
    """Delete every object under a prefix, whatever row points to them or not; with `until` (a
    time.monotonic() value) stop after the thousand that passes it. Returns whether all went."""
    for page in objects_pages(prefix):
        objects_delete([key for key, _ in page])
        if until is not None and time.monotonic() > until:
            return False
    return True


def chunk_read(key: str) -> bytes:
    return object_read(key)


def chunk_blob(chunk) -> bytes:
    """A stored chunk's compressed JSON array (processing.chunk_text reads it): in its row, or (stored by an older version) in its object."""
    if chunk.data is not None:
        return bytes(chunk.data)
    return chunk_read(chunk.key)
