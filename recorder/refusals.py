"""The last batches a site refused and why, for the install page: an owner whose domain list is wrong sees it.

Kept in the cache (Redis in production), at most one note per site and
reason every few seconds, so a page that is refused on every batch costs
the cache little.
"""
import logging
import time

from django.core.cache import cache
from django.utils import timezone

log = logging.getLogger(__name__)

KEEP = 20
NOTE_EVERY_SECONDS = 5
_noted: dict[tuple[int, str], float] = {}


def refusal_note(*, site_id: int, code: str, origin: str | None) -> None:
    now = time.monotonic()
    if _noted.get((site_id, code), -NOTE_EVERY_SECONDS) > now - NOTE_EVERY_SECONDS:
        return
    if len(_noted) > 10_000:
        _noted.clear()
    _noted[(site_id, code)] = now
    note = {"at": timezone.now().isoformat(), "reason": code, "origin": (origin or "")[:200]}
    try:
        key = _key(site_id)
        cache.set(key, ([note] + (cache.get(key) or []))[:KEEP], timeout=7 * 24 * 3600)
    except Exception as error:  # noqa: BLE001 - a note is not worth failing a request
        log.warning("refusal not noted: %s", error)


def refusals_recent(site_id: int) -> list[dict]:
    """Newest first: {"at": ISO time, "reason": error code, "origin": the page's origin}."""
    try:
        return cache.get(_key(site_id)) or []
    except Exception:  # noqa: BLE001
        return []


def _key(site_id: int) -> str:
    return f"refusals:{site_id}"
