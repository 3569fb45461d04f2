"""Where recordings live: rows for new chunks, objects of the recordings storage (Django storage) for the rest."""
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import storages


def recordings():
    return storages["recordings"]


def session_prefix(site_id: int, session_id: uuid.UUID) -> str:
    return f"sites/{site_id}/sessions/{session_id}/"


def chunk_key(site_id: int, session_id: uuid.UUID, seq: int) -> str:
    return f"{session_prefix(site_id, session_id)}{seq:08d}.json.gz"


def chunk_write(key: str, blob: bytes) -> None:
    """Write (or overwrite with the same bytes) one chunk object."""
    recordings().save(key, ContentFile(blob))


def chunk_read(key: str) -> bytes:
    with recordings().open(key, "rb") as handle:
        return handle.read()


def chunk_delete(key: str) -> None:
    recordings().delete(key)


def chunk_exists(key: str) -> bool:
    return recordings().exists(key)


def chunk_blob(chunk) -> bytes:
    """A stored chunk's gzipped JSON array: in its row, or (stored by an older version) in its object."""
    if chunk.data is not None:
        return bytes(chunk.data)
    return chunk_read(chunk.key)
