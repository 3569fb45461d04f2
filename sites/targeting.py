"""Targeting rules shared with the recorder (docs/protocol.md): URL patterns and sampling."""
import re
from functools import lru_cache
from urllib.parse import urlsplit


def patterns_parse(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@lru_cache(maxsize=1024)
def _compile(pattern: str) -> re.Pattern:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.S)


def url_matches(pattern: str, url: str) -> bool:
    """`*` is a wildcard; a pattern starting with `/` is matched against path and query."""
    if pattern.startswith("/"):
        parts = urlsplit(url)
        url = parts.path + (f"?{parts.query}" if parts.query else "")
    return _compile(pattern).fullmatch(url) is not None


def url_targeted(url: str, *, include: list[str], exclude: list[str]) -> bool:
    if include and not any(url_matches(p, url) for p in include):
        return False
    return not any(url_matches(p, url) for p in exclude)


def fnv1a32(text: str) -> int:
    value = 0x811C9DC5
    data = text.encode("utf-16-le")
    for index in range(0, len(data), 2):
        value ^= data[index] | data[index + 1] << 8
        value = (value * 0x01000193) & 0xFFFFFFFF
    return value


def visitor_sampled(visitor_id: str, rate: float) -> bool:
    """Stable per visitor: the same id is always in or always out at a given rate."""
    return fnv1a32(visitor_id) % 10000 < rate * 100
