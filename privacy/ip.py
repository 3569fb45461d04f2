"""Visitor IP addresses: who sent a request, exclusion rules, and what is kept."""
import ipaddress
import re

from django.conf import settings


def client_ip(meta: dict) -> str | None:
    """The visitor's address; X-Forwarded-For counts only when the peer is a trusted proxy."""
    peer = meta.get("REMOTE_ADDR")
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if not forwarded or not _in_any(peer, settings.TRUSTED_PROXIES):
        return peer
    # Walk from the nearest hop back, skipping our own proxies.
    for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        if not _in_any(hop, settings.TRUSTED_PROXIES):
            return hop if _parse(hop) else peer
    return peer


def proxy_trusted(ip: str | None) -> bool:
    """Whether `ip` is one of our own proxies (TRUSTED_PROXIES), whose headers are believed."""
    return _in_any(ip, settings.TRUSTED_PROXIES)


def ip_rules_parse(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def ip_excluded(rules: list[str], ip: str | None) -> bool:
    """Whether `ip` matches an exact address, a wildcard (192.168.*.*) or a CIDR range."""
    address = _parse(ip)
    return address is not None and any(_rule_matches(rule, address) for rule in rules)


def ip_truncate(ip: str | None) -> str | None:
    """IPv4 to its /24, IPv6 to its /48: enough for rough location, not for a person."""
    address = _parse(ip)
    if address is None:
        return None
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


def _rule_matches(rule: str, address) -> bool:
    if "*" in rule:
        pattern = re.escape(rule).replace(r"\*", r"[0-9a-fA-F]+")
        return re.fullmatch(pattern, str(address)) is not None
    try:
        return address in ipaddress.ip_network(rule, strict=False)
    except ValueError:
        return False


def _in_any(ip: str | None, networks: list[str]) -> bool:
    address = _parse(ip)
    if address is None:
        return False
    for network in networks:
        try:
            if address in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False


def _parse(ip: str | None):
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        return address.ipv4_mapped
    return address
