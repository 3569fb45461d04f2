"""The last batches a site refused and why, for the install page: an owner whose domain list is wrong sees it.

Kept in the cache (Redis in production), at most one note per site and
reason every few seconds, so a page that is refused on every batch costs
the cache little. Several web processes note at once: each note takes the
next number of the site's counter (an atomic increment) and its own slot of
KEEP, so no process writes over a note another has just made.
"""
import logging
import time

from django.core.cache import cache
from django.utils import timezone

log = logging.getLogger(__name__)

KEEP = 20
KEEP_SECONDS = 7 * 24 * 3600
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
        counter = _key(site_id)
        cache.add(counter, 0, timeout=KEEP_SECONDS)
        number = cache.incr(counter)
        cache.touch(counter, timeout=KEEP_SECONDS)  # the counter outlives every slot it numbered
        cache.set(f"{counter}:{number % KEEP}", {**note, "n": number}, timeout=KEEP_SECONDS)
    except Exception as error:  # noqa: BLE001 - a note is not worth failing a request
        log.warning("refusal not noted: %s", error)


def refusals_recent(site_id: int) -> list[dict]:
    """Newest first: {"at": ISO time, "reason": error code, "origin": the page's origin}."""
    counter = _key(site_id)
    try:
        notes = cache.get_many([f"{counter}:{slot}" for slot in range(KEEP)]).values()
    except Exception:  # noqa: BLE001
        return []
    ordered = sorted(notes, key=lambda note: note["n"], reverse=True)
    return [{k: v for k, v in note.items() if k != "n"} for note in ordered]


def _key(site_id: int) -> str:
    return f"refusals:v2:{site_id}"
