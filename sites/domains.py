"""Which page origins may send a site's batches."""
from urllib.parse import urlsplit


def domain_normalise(entry: str) -> str:
    """`https://Shop.Example.com:8080/x` or `shop.example.com:8080` -> `shop.example.com:8080`."""
    entry = entry.strip().lower()
    if "://" in entry:
        entry = urlsplit(entry).netloc
    return entry.split("/")[0].rstrip(".")


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
    entry_host, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
    if entry_port and (not entry_port.isdigit() or port != int(entry_port)):
        return False
    if entry_host.startswith("*."):
        base = entry_host[2:]
        return host == base or host.endswith("." + base)
    return host == entry_host
