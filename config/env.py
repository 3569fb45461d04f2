"""Typed readers for settings taken from environment variables.

Each reader fails loudly on a value it cannot parse, and accepts `NAME_FILE`
(a path whose content is the value) so that secrets can come from files.
"""
import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str) -> str | None:
    path = os.environ.get(f"{name}_FILE")
    if path:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    return os.environ.get(name)


def env_str(name: str, default: str = "") -> str:
    value = _raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean, got {value!r}")


def env_int(name: str, default: int, *, positive: bool = False) -> int:
    return _parsed(name, default, int, "an integer", positive)


def env_float(name: str, default: float, *, positive: bool = False) -> float:
    return _parsed(name, default, float, "a number", positive)


def _parsed(name: str, default, parse, kind: str, positive: bool = False):
    value = _raw(name)
    if value is None or value.strip() == "":
        return default
    try:
        parsed = parse(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be {kind}, got {value!r}") from None
    if positive and not parsed > 0:  # (not NaN either)
        raise ImproperlyConfigured(f"{name} must be {kind} above 0, got {value!r}")
    return parsed


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]

