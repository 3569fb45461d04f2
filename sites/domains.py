"""Which page origins may send a site's batches."""
import re
from urllib.parse import urlsplit

# A site's domain once normalised: a host name (`*.` for its subdomains too) or an IPv6 address in
# brackets, and maybe a port.
DOMAIN = re.compile(r"(?:\*\.)?[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?(?::[0-9]{1,5})?|\[[0-9a-f:.]+\](?::[0-9]{1,5})?")
# DNS's limit on one label, a part between dots (RFC 1035): no browser sends a longer name.
LABEL_MAX = 63
# And on a whole name (RFC 1035's 255 bytes on the wire, 253 characters written out).
NAME_MAX = 253


def domain_normalise(entry: str) -> str:
    """`https://Shop.Example.com:8080/x` or `shop.example.com:8080` -> `shop.example.com:8080`.

    A name in another script becomes the ASCII form a browser's Origin header gives (`bücher.de` ->
    `xn--bcher-kva.de`). "" when the entry cannot be read (`http://[oops`)."""
    entry = entry.strip().lower()
    if "://" in entry:
        try:
            entry = urlsplit(entry).netloc
        except ValueError:
            return ""
    entry = entry.split("/")[0].rstrip(".")
    if not entry.isascii():
        try:
            entry = entry.encode("idna").decode("ascii")
        except UnicodeError:
            return ""
    return entry


def domains_clean(entries: list[str]) -> list[str]:
    """The entries normalised, once each; ValueError names the first that is not a domain."""
    cleaned = []
    for entry in entries:
        if not entry.strip():
            continue
        domain = domain_normalise(entry)
        if not DOMAIN.fullmatch(domain):
            raise ValueError(f"Not a domain: {entry.strip()[:100]}")
        host = domain.split(":")[0].removeprefix("*.")
        if not domain.startswith("[") and max(map(len, host.split("."))) > LABEL_MAX:
            raise ValueError(f"Not a domain: {entry.strip()[:100]}; a part between dots has at most {LABEL_MAX} characters")
        if not domain.startswith("[") and len(host) > NAME_MAX:
            raise ValueError(f"Not a domain: {entry.strip()[:100]}; a host name has at most {NAME_MAX} characters")
        port = domain.rpartition("]")[2].partition(":")[2] if domain.startswith("[") else domain.partition(":")[2]
        if port and not 0 < int(port) <= 65535:
            raise ValueError(f"Not a domain: {entry.strip()[:100]}; a port is a number from 1 to 65535")
        if domain not in cleaned:
            cleaned.append(domain)
    return cleaned


def origin_allowed(domains: list[str], origin: str | None) -> bool:
    """Whether `origin` (an Origin header) is one of the site's domains.

    An entry without a port matches any port; `*.example.com` matches
    example.com and every subdomain of it.
    """
    if not origin or origin == "null":
        return False
    try:
        parts = urlsplit(origin)
        host, port = parts.hostname, parts.port
    except ValueError:  # a port out of range or a malformed IPv6 host
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    return any(_matches(domain_normalise(entry), host, port) for entry in domains)


def _matches(entry: str, host: str, port: int | None) -> bool:
    if not entry:
        return False
    try:  # read as an Origin's host is: an IPv6 address ([::1]:8080) is `::1`, on port 8080
        parts = urlsplit(f"//{entry}")
        entry_host, entry_port = parts.hostname or "", parts.port
    except ValueError:
        return False
    if entry_port is not None and port != entry_port:
        return False
    if entry_host.startswith("*."):
        base = entry_host[2:]
        return host == base or host.endswith("." + base)
    return host == entry_host
