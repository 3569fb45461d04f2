"""Which page origins may send a site's batches."""
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

import idna

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
    `xn--bcher-kva.de`, `straße.de` -> `xn--strae-oqa.de`). "" when the entry cannot be read (`http://[oops`)."""
    entry = entry.strip().lower()
    if "://" in entry:
        try:
            entry = urlsplit(entry).netloc
        except ValueError:
            return ""
    entry = entry.split("/")[0].rstrip(".")
    if not entry.isascii():
        try:
            entry = _ascii_name(entry)
        except UnicodeError:
            return ""
    return entry


def _ascii_name(entry: str) -> str:
    """A name's ASCII form as browsers make it (UTS 46, nontransitional: `straße.de` is `xn--strae-oqa.de`, not
    IDNA 2003's `strasse.de`, which no browser sends); what IDNA 2008 refuses (`☃.net`) by IDNA 2003, as browsers
    still accept it."""
    wildcard, host, port = _name_parts(entry)
    try:
        ascii_host = idna.encode(host, uts46=True, transitional=False).decode("ascii")
    except idna.IDNAError:
        ascii_host = host.encode("idna").decode("ascii")
    return wildcard + ascii_host + port


def _name_parts(entry: str) -> tuple[str, str, str]:
    """A named entry's `*.` (or ""), host, and `:port` (or "")."""
    wildcard, rest = ("*.", entry[2:]) if entry.startswith("*.") else ("", entry)
    host, colon, port = rest.partition(":")
    return wildcard, host, colon + port


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


def domain_readable(domain: str) -> str:
    """A stored domain as a person reads it: `xn--r8jz45g.jp` -> `例え.jp`, `*.xn--bcher-kva.de:8080` ->
    `*.bücher.de:8080`. The stored form where decoding is not safe: a name IDNA 2008 does not allow, one that
    would not be stored as the same ASCII again, or one that shows anything but letters, marks, digits, `-` and
    `.` (no invisible, reordering or look-alike punctuation)."""
    if "xn--" not in domain or domain.startswith("["):
        return domain
    wildcard, host, port = _name_parts(domain)
    try:
        readable = idna.decode(host)
    except (idna.IDNAError, UnicodeError):
        return domain
    if not all(c in "-." or unicodedata.category(c)[0] in "LMN" for c in readable):
        return domain
    shown = wildcard + readable + port
    return shown if domain_normalise(shown) == domain else domain  # saved again, it is the same


@dataclass(frozen=True)
class DomainSet:
    """A site's domains read once into sets, so that checking an origin costs a few lookups however many
    domains the site has (normalising each domain per batch was O(domains) for every request).

    Keys are (host, port), port None for an entry without one (any port matches it)."""
    hosts: frozenset[tuple[str, int | None]]
    wildcards: frozenset[tuple[str, int | None]]  # `*.example.com` as ("example.com", None)

    @classmethod
    def of(cls, domains) -> "DomainSet":
        hosts, wildcards = set(), set()
        for entry in domains:
            try:
                parts = urlsplit("//" + domain_normalise(entry))
                host, port = parts.hostname, parts.port
            except ValueError:  # a port out of range, a malformed IPv6 address
                continue
            if host and host.startswith("*."):
                wildcards.add((host[2:], port))
            elif host:
                hosts.add((host, port))
        return cls(frozenset(hosts), frozenset(wildcards))

    def allows(self, origin: str | None) -> bool:
        """Whether `origin` (an Origin header) is one of the domains. An entry without a port matches any
        port; `*.example.com` matches example.com and every subdomain of it."""
        if not origin or origin == "null":
            return False
        try:
            parts = urlsplit(origin)
            host, port = parts.hostname, parts.port
        except ValueError:  # a port out of range or a malformed IPv6 host
            return False
        if parts.scheme not in ("http", "https") or not host:
            return False
        if (host, None) in self.hosts or (host, port) in self.hosts:
            return True
        labels = host.split(".")
        bases = (".".join(labels[i:]) for i in range(len(labels)))
        return any((base, None) in self.wildcards or (base, port) in self.wildcards for base in bases)


def origin_allowed(domains, origin: str | None) -> bool:
    """Whether `origin` (an Origin header) is one of `domains`; ingest keeps a DomainSet per site instead."""
    return DomainSet.of(domains).allows(origin)
