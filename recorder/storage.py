"""Where recordings live: rows for the chunks of the last minutes, objects of the recordings storage
(Django storage: local files, or S3 through django-storages) for compacted segments.

Keys are grouped per site and session: sites/<site>/sessions/<session>/...
"""
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import storages

DELETE_BATCH = 1000  # keys per S3 DeleteObjects request


def recordings():
    return storages["recordings"]


def session_prefix(site_id: int, session_id: uuid.UUID) -> str:
    return f"sites/{site_id}/sessions/{session_id}/"


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


def objects_under(prefix: str) -> list[str]:
    """Every key under a prefix (for a deleted session: what a crashed run may have left)."""
    storage = recordings()
    bucket = getattr(storage, "bucket", None)
    if bucket is not None:
        return [item.key for item in bucket.objects.filter(Prefix=prefix)]
    directories, files = _listdir(storage, prefix.rstrip("/"))
    return [f"{prefix}{name}" for name in files]


def _listdir(storage, path: str) -> tuple[list[str], list[str]]:
    try:
        return storage.listdir(path)
    except FileNotFoundError:
        return [], []


def chunk_read(key: str) -> bytes:
    return object_read(key)


def chunk_blob(chunk) -> bytes:
    """A stored chunk's compressed JSON array (processing.chunk_text reads it): in its row, or (stored by an older version) in its object."""
    if chunk.data is not None:
        return bytes(chunk.data)
    return chunk_read(chunk.key)
