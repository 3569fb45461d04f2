import re
import unicodedata
from urllib.parse import urlsplit

from django import template

from insights.api import URL_MAX
from sites.domains import domain_readable

register = template.Library()

# Tags a row of the session list shows; the rest are counted ("+3 more"). A site may send 50.
TAGS_LISTED = 4
# Domains the site list and the install page show; the rest are counted ("and 1,995 more"). Settings lists all.
DOMAINS_LISTED = 5


@register.filter
def duration(seconds) -> str:
    """Seconds as `1:05:09`, `5:09` or `0:09`."""
    try:
        seconds = int(seconds)
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def page_path(url) -> str:
    """A page's URL as its table shows it: its path, query and anchor (`/teas/?p=2`), the site being known.
    (Whole, on a narrow screen every row of a site showed the same first characters.) As it is when it
    has no path, or cannot be read."""
    try:
        parts = urlsplit(str(url))
    except ValueError:
        return str(url)
    if not parts.netloc or not parts.path:
        return str(url)
    return parts.path + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")


@register.filter
def page_host(url) -> str:
    """The host `page_path` leaves out ("" where it leaves out nothing)."""
    return urlsplit(str(url)).netloc if page_path(url) != str(url) else ""


_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
# What decodeURI leaves escaped: the characters that would change what the address says.
_RESERVED = set(";/?:@&=+$,#")


@register.filter
def readable_url(url) -> str:
    """An address decoded for reading, as the player shows it (static/player-js/src/format.js readableUrl):
    `/caf%C3%A9%20menu` reads `/café menu`. Escapes of reserved characters, malformed ones and those of control
    or text-reordering characters (a format character, Cf) stay as written; the raw address goes in a title."""
    def decode(escapes: re.Match) -> str:
        try:
            text = bytes.fromhex(escapes.group(0).replace("%", "")).decode("utf-8")
        except UnicodeDecodeError:
            return escapes.group(0)
        if any(unicodedata.category(c) in ("Cc", "Cf") for c in text):
            return escapes.group(0)
        return "".join(f"%{ord(c):02X}" if c in _RESERVED else c for c in text)

    return _ESCAPES.sub(decode, str(url))


@register.filter
def tags_listed(tags) -> dict:
    """A session's first tags as the list shows them (`key: value`, or `key`), and how many more it has."""
    items = list((tags or {}).items())
    shown = [f"{key}: {value}" if value else str(key) for key, value in items[:TAGS_LISTED]]
    return {"shown": shown, "more": len(items) - len(shown)}


@register.inclusion_tag("sites/domains_brief.html")
def domains_brief(domains) -> dict:
    """{% domains_brief site.domains %}: the first few domains, readable (`例え.jp`, the stored `xn--r8jz45g.jp`
    in a title), and how many more."""
    shown = [{"raw": d, "readable": domain_readable(d)} for d in domains[:DOMAINS_LISTED]]
    return {"domains": shown, "more": max(len(domains) - DOMAINS_LISTED, 0)}


@register.filter
def heatmap_askable(url) -> bool:
    """Whether a page has a heatmap to link to: one with a URL longer than page views keep has none (the
    overview's link to it answered a 400)."""
    return len(str(url)) <= URL_MAX
