"""Web fonts for replays, relayed from the recorded site's own hosts.

A replay rebuilds the page inside a frame of the dashboard's origin, so the
browser loads the page's web fonts cross-origin, which needs the font's server
to answer CORS (Access-Control-Allow-Origin). A site serving its own fonts
seldom does, and the replay then drew every heading and paragraph in a
fallback font: other widths, other line breaks, a page the visitor never saw.

The player asks for such a font here instead (static/player-js/src/fonts.js);
the server fetches it from the site and hands it over from our origin. Only
for a site that lets replays load its resources (`replay_resources`), only
from one of the site's own domains (redirects too), and only what is a font by
its first bytes: the relay neither widens what a replay reveals to the site
(the site sees our server ask, not the viewer) nor reads anything else for
whoever asks (an address inside the server's network answers no font).
"""
import hashlib
import json
import logging
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import urllib3
from django.core.cache import cache
from django.urls import reverse

from sites.domains import DomainSet
from sites.models import Site

log = logging.getLogger(__name__)

MAX_URL = 2048
MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 3
TIMEOUT = urllib3.Timeout(connect=3.0, read=5.0)
CACHE_SECONDS = 24 * 3600
CACHE_MAX_BYTES = 2 * 1024 * 1024
# A font the site failed to give is not asked for again at every replay for a while: a site that is down or
# slow would otherwise hold a web worker for each of its fonts in every replay.
FAILURE_SECONDS = 600

# What a font file starts with, and the type it is served as.
MAGIC = (
    (b"wOF2", "font/woff2"),
    (b"wOFF", "font/woff"),
    (b"\x00\x01\x00\x00", "font/ttf"),
    (b"true", "font/ttf"),
    (b"OTTO", "font/otf"),
    (b"ttcf", "font/collection"),
)

_pool = None


@dataclass
class FontRefused(Exception):
    """Why a font is not relayed: an HTTP status for the player and the error's code and words."""
    status: int
    code: str
    detail: str


def font_type(data: bytes) -> str | None:
    """The font's media type by its first bytes (an EOT file: its magic number at byte 34), or None."""
    for magic, kind in MAGIC:
        if data.startswith(magic):
            return kind
    if len(data) > 36 and data[34:36] == b"LP":
        return "application/vnd.ms-fontobject"
    return None


def font_url_checked(site: Site, url: str) -> str:
    """`url` when the relay may fetch it for the site, else FontRefused."""
    if not site.replay_resources:
        raise FontRefused(403, "resources_blocked", "This site does not let replays load its images, styles and fonts.")
    if not url or len(url) > MAX_URL:
        raise FontRefused(400, "invalid_url", f"Give the font's address as `url`, at most {MAX_URL} characters.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port out of range raises here)
    except ValueError:
        raise FontRefused(400, "invalid_url", "The font's address is not a URL.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FontRefused(400, "invalid_url", "The font's address must be an http or https URL.")
    if not DomainSet.of(site.domains).allows(url):
        raise FontRefused(403, "not_site_domain", "Fonts are relayed from the site's own domains only.")
    return url


def font_fetch(site: Site, url: str) -> tuple[bytes, str]:
    """The font at `url` (checked by font_url_checked) and its media type, from the cache or the site."""
    url = font_url_checked(site, url)
    key = "font:" + hashlib.sha256(f"{site.pk} {url}".encode()).hexdigest()
    try:
        hit = cache.get(key)
    except Exception:  # the cache is an optimisation: a cache that is down only costs a fetch
        hit = None
    if isinstance(hit, FontRefused):
        raise hit
    if hit:
        return hit
    try:
        got = _fetched(site, url)
    except FontRefused as e:
        _cache_set(key, e, FAILURE_SECONDS)
        raise
    if len(got[0]) <= CACHE_MAX_BYTES:
        _cache_set(key, got, CACHE_SECONDS)
    return got


def _cache_set(key: str, value, seconds: int) -> None:
    try:
        cache.set(key, value, timeout=seconds)
    except Exception:
        pass


def _fetched(site: Site, url: str) -> tuple[bytes, str]:
    global _pool
    if _pool is None:
        _pool = urllib3.PoolManager(num_pools=20, maxsize=2, headers={"User-Agent": "Hindsight font relay"})
    for _ in range(MAX_REDIRECTS + 1):
        try:
            response = _pool.request("GET", url, redirect=False, retries=False, timeout=TIMEOUT, preload_content=False)
        except urllib3.exceptions.HTTPError as e:
            log.info("font relay: %s unreachable: %s", url, e)
            raise FontRefused(502, "unreachable", "The site did not answer for this font.") from None
        try:
            if response.status in (301, 302, 303, 307, 308) and response.headers.get("Location"):
                url = font_url_checked(site, urljoin(url, response.headers["Location"]))
                continue
            if response.status != 200:
                raise FontRefused(502, "upstream_status", f"The site answered {response.status} for this font.")
            data = response.read(MAX_BYTES + 1, decode_content=True)
        except urllib3.exceptions.HTTPError:
            raise FontRefused(502, "unreachable", "The site's answer for this font broke off.") from None
        finally:
            response.close()  # (what is left unread goes with the connection)
        if len(data) > MAX_BYTES:
            raise FontRefused(502, "too_large", f"The font is over {MAX_BYTES // (1024 * 1024)} MB.")
        kind = font_type(data)
        if kind is None:
            raise FontRefused(502, "not_a_font", "What the site answered is not a font.")
        return data, kind
    raise FontRefused(502, "too_many_redirects", "The site redirected this font too many times.")


def font_relay_attrs(site: Site) -> dict | None:
    """What the player and the heatmap need to relay fonts (the relay's address, the site's domains), or None."""
    if not site.replay_resources:
        return None
    return {"url": reverse("replay-font", args=[site.pk]), "hosts": json.dumps(list(site.domains))}
