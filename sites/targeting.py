"""Targeting rules shared with the recorder (docs/protocol.md): URL patterns and sampling."""
from urllib.parse import urlsplit


def patterns_parse(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def url_matches(pattern: str, url: str) -> bool:
    """`*` is a wildcard; a pattern starting with `/` is matched against path and query. An address that
    cannot be read (`http://[oops/`, which no browser sends) matches no such pattern."""
    if pattern.startswith("/"):
        try:
            parts = urlsplit(url)
        except ValueError:
            return False
        url = parts.path + (f"?{parts.query}" if parts.query else "")
    return wildcard_match(pattern, url)


def wildcard_match(pattern: str, text: str) -> bool:
    """Whether `text` is `pattern` with each `*` standing for any characters, in time linear in the text.

    The fixed parts are found from the left, each at its first place after the one before: if any
    placing fits, that one does. (A regular expression of `.*` between them tried every placing: a
    URL of 50,000 `/admin/` held a request 25 s against `*/admin/*/edit`.)
    """
    first, *middle = pattern.split("*")
    if not middle:
        return text == first
    *middle, last = middle
    if len(text) < len(first) + len(last) or not text.startswith(first) or not text.endswith(last):
        return False
    at, end = len(first), len(text) - len(last)
    for part in middle:
        found = text.find(part, at, end)
        if found < 0:
            return False
        at = found + len(part)
    return True


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
