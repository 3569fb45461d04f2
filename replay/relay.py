"""A site's web fonts and SVG sprites for replays, relayed from the recorded site's own hosts.

A replay rebuilds the page inside a frame of the dashboard's origin, where two
kinds of the page's files do not load from the site:

- a web font loads cross-origin only if its server answers CORS
  (Access-Control-Allow-Origin), which a site serving its own fonts seldom
  does: the replay drew every heading and paragraph in a fallback font, with
  other widths and line breaks than the visitor saw;
- an SVG `<use>` never takes a symbol from another origin's file: the icons of
  a sprite sheet (`<use href="/icons.svg#cart">`) were missing from replays.

The player asks for those here instead (static/player-js/src/relay.js); the
server fetches them from the site and hands them over from our origin. Only for
a site that lets replays load its resources (`replay_resources`), only from one
of the site's own domains (redirects too), and only what is a font by its first
bytes or an SVG document: the relay neither widens what a replay reveals to the
site (the site sees our server ask, not the viewer) nor reads anything else for
whoever asks. Nor does it reach into the server's own network: a site's domain
(or a redirect) whose name resolves to a loopback, private, link-local or
otherwise non-public address is refused before anything connects, unless
RELAY_PRIVATE_ADDRESSES says the sites live there (on by default only with
DEBUG). The address checked is the one connected to, so a name that resolves
elsewhere the next time cannot lead it in. An SVG goes out with a policy that
runs nothing in it, opened on its own or not.
"""
import hashlib
import ipaddress
import json
import logging
import re
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import urllib3
import urllib3.connection
from django.conf import settings
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
# A file the site failed to give is not asked for again at every replay for a while: a site that is down or
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

# An SVG document: what may come before its root element (a byte order mark, an XML declaration, comments
# and a doctype), then `<svg`. (A comment ends at its first `-->`, and the two kinds take turns in one loop:
# any text has one way through, so that a file of many comments costs a single pass.)
SVG = re.compile(rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--(?:(?!-->).)*-->\s*|<!DOCTYPE[^>]*>\s*)*<svg[\s>/]", re.S)
SVG_TYPE = "image/svg+xml"
# What an SVG served from our origin may do when opened on its own: show its shapes and inline styles, nothing
# else (no script, no request).
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"

_pool = None


@dataclass
class RelayRefused(Exception):
    """Why a file is not relayed: an HTTP status for the player and the error's code and words."""
    status: int
    code: str
    detail: str


def relayed_type(data: bytes) -> str | None:
    """The media type of a font by its first bytes (an EOT file: its magic number at byte 34) or of an SVG
    document, or None for anything else."""
    for magic, kind in MAGIC:
        if data.startswith(magic):
            return kind
    if len(data) > 36 and data[34:36] == b"LP":
        return "application/vnd.ms-fontobject"
    if SVG.match(data[:8192]):
        return SVG_TYPE
    return None


def relay_url_checked(site: Site, url: str) -> str:
    """`url` when the relay may fetch it for the site, else RelayRefused."""
    if not site.replay_resources:
        raise RelayRefused(403, "resources_blocked", "This site does not let replays load its images, styles and fonts.")
    if not url or len(url) > MAX_URL:
        raise RelayRefused(400, "invalid_url", f"Give the file's address as `url`, at most {MAX_URL} characters.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port out of range raises here)
    except ValueError:
        raise RelayRefused(400, "invalid_url", "The file's address is not a URL.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RelayRefused(400, "invalid_url", "The file's address must be an http or https URL.")
    if not DomainSet.of(site.domains).allows(url):
        raise RelayRefused(403, "not_site_domain", "Files are relayed from the site's own domains only.")
    return url


def relay_fetch(site: Site, url: str) -> tuple[bytes, str]:
    """The file at `url` (checked by relay_url_checked) and its media type, from the cache or the site."""
    url = relay_url_checked(site, url)
    key = "relay:" + hashlib.sha256(f"{site.pk} {url}".encode()).hexdigest()
    try:
        hit = cache.get(key)
    except Exception:  # the cache is an optimisation: a cache that is down only costs a fetch
        hit = None
    if isinstance(hit, RelayRefused):
        raise hit
    if hit:
        return hit
    try:
        got = _fetched(site, url)
    except RelayRefused as e:
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


def reachable_address(host: str, port: int) -> str:
    """The address of `host` to connect to (one that was checked), or RelayRefused when the name does not
    resolve or resolves to an address the relay does not reach (any of them: a name that also resolves into
    a private network is refused)."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise RelayRefused(502, "unreachable", "The site's domain does not resolve.") from None
    addresses = [info[4][0] for info in infos]
    if not settings.RELAY_PRIVATE_ADDRESSES:
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if not ip.is_global or ip.is_multicast:
                log.info("replay relay: %s resolves to %s, not a public address", host, address)
                raise RelayRefused(403, "private_address", "The site's domain resolves to an address inside a "
                                   "private network, which the relay does not reach (RELAY_PRIVATE_ADDRESSES).")
    return addresses[0]


class _CheckedConnection:
    """A connection made to the checked address of its host (reachable_address). urllib3 connects to
    `_dns_host`, which is also the connection's `host` (the Host header, the name TLS checks): it holds the
    address only while the socket is made."""

    def _new_conn(self):
        name = self._dns_host
        self._dns_host = reachable_address(name, self.port)
        try:
            return super()._new_conn()
        finally:
            self._dns_host = name


class _HTTPConnection(_CheckedConnection, urllib3.connection.HTTPConnection):
    pass


class _HTTPSConnection(_CheckedConnection, urllib3.connection.HTTPSConnection):
    pass


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


def pool_manager(**options) -> urllib3.PoolManager:
    """The relay's connections (urllib3's `options` for them), each made to its host's checked address."""
    pool = urllib3.PoolManager(num_pools=20, maxsize=2, headers={"User-Agent": "Hindsight replay relay"}, **options)
    pool.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
    return pool


def _fetched(site: Site, url: str) -> tuple[bytes, str]:
    global _pool
    if _pool is None:
        _pool = pool_manager()
    for _ in range(MAX_REDIRECTS + 1):
        try:
            response = _pool.request("GET", url, redirect=False, retries=False, timeout=TIMEOUT, preload_content=False)
        except urllib3.exceptions.HTTPError as e:
            log.info("replay relay: %s unreachable: %s", url, e)
            raise RelayRefused(502, "unreachable", "The site did not answer for this file.") from None
        try:
            if response.status in (301, 302, 303, 307, 308) and response.headers.get("Location"):
                url = relay_url_checked(site, urljoin(url, response.headers["Location"]))
                continue
            if response.status != 200:
                raise RelayRefused(502, "upstream_status", f"The site answered {response.status} for this file.")
            data = response.read(MAX_BYTES + 1, decode_content=True)
        except urllib3.exceptions.HTTPError:
            raise RelayRefused(502, "unreachable", "The site's answer for this file broke off.") from None
        finally:
            response.close()  # (what is left unread goes with the connection)
        if len(data) > MAX_BYTES:
            raise RelayRefused(502, "too_large", f"The file is over {MAX_BYTES // (1024 * 1024)} MB.")
        kind = relayed_type(data)
        if kind is None:
            raise RelayRefused(502, "not_relayed", "What the site answered is neither a font nor an SVG.")
        return data, kind
    raise RelayRefused(502, "too_many_redirects", "The site redirected this file too many times.")


def relay_attrs(site: Site) -> dict | None:
    """What the player and the heatmap need to use the relay (its address, the site's domains), or None."""
    if not site.replay_resources:
        return None
    return {"url": reverse("replay-relay", args=[site.pk]), "hosts": json.dumps(list(site.domains))}
