"""Whether a site's snippet works: has any batch arrived yet, and why were the last ones refused?

The install page shows this and polls it as JSON. Refusals come from ingest's notes
(recorder/refusals.py): at most one per site and reason every few seconds, newest first. Each is
told in the owner's words, with what to do about it and which setting does it.
"""
from collections.abc import Callable
from urllib.parse import urlsplit

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from recorder.models import Session
from recorder.refusals import refusals_recent

from .domains import domain_normalise
from .models import Site

# Distinct (reason, origin) pairs shown; older ones drop off.
REFUSALS_SHOWN = 5


def install_status(site: Site) -> dict:
    """The live check: `state` (waiting, recording, refused or disabled), its label, and the refusals."""
    last = (
        Session.objects.filter(site=site, received_at__isnull=False)
        .order_by("-received_at").values_list("received_at", flat=True).first()
    )
    refusals = install_refusals(site)
    if not site.enabled:
        state, label = "disabled", "Recording is turned off for this site"
    elif last is not None:
        state, label = "recording", "Recording"
    elif refusals:
        state, label = "refused", "Visits arrive but are refused: see why below"
    else:
        state, label = "waiting", "Waiting for the first session"
    return {
        "state": state, "label": label, "last_received_at": last.isoformat() if last else None,
        "refusals": refusals,
    }


def install_refusals(site: Site) -> list[dict]:
    """The site's latest refused batches, one entry per reason and page origin, newest first.

    Each entry: `at` (the latest, ISO 8601) and `when` (its time of day in the dashboard's time
    zone), `reason` (ingest's code), `origin`, `what` (what happened), `fix` (what to do) and
    `setting` (the settings field that does it, or "").
    """
    shown: dict[tuple[str, str], dict] = {}
    for note in refusals_recent(site.pk):
        key = (str(note.get("reason", "")), str(note.get("origin", "")))
        at = parse_datetime(str(note.get("at", "")))
        if key in shown or at is None or len(shown) == REFUSALS_SHOWN:
            continue
        what, fix, setting = refusal_explain(site, *key)
        shown[key] = {
            "at": at.isoformat(), "when": timezone.localtime(at).strftime("%H:%M:%S"), "reason": key[0],
            "origin": key[1], "what": what, "fix": fix, "setting": setting,
        }
    return list(shown.values())


def refusal_explain(site: Site, reason: str, origin: str) -> tuple[str, str, str]:
    """(what happened, what to do, the settings field) for one refused batch, in the owner's words."""
    page = f"A page on {origin}" if origin and origin != "null" else "A page"
    if reason in _TOLD:
        what, fix, setting = _TOLD[reason]
        return what.format(page=page, site=site), fix, setting
    if reason in _EXPLAIN:
        return _EXPLAIN[reason](site, page, origin)
    return f"{page} sent a recording that was refused ({reason or 'no reason given'}).", "", ""


def _origin_not_allowed(site: Site, page: str, origin: str) -> tuple[str, str, str]:
    domains = ", ".join(site.domains) or "none yet"
    try:
        parts = urlsplit(origin)
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if not host or origin == "null":
        return (
            f"{page} without an address of its own (a local file, or a page whose origin the browser hides) "
            f"sent a recording. Only pages on the site's domains can record; the site's domains are {domains}.",
            "Serve the page from one of the site's domains.",
            "domains",
        )
    same_host = [d for d in map(domain_normalise, site.domains) if d.rpartition(":")[0] == host]
    if same_host and port is not None:
        return (
            f"{page} sent a recording, but the site's domains allow {host} only as {', '.join(same_host)}, "
            f"not on port {port}.",
            f"Add {host}:{port} (or {host} alone, for every port) to the site's domains in Settings.",
            "domains",
        )
    return (
        f"{page} sent a recording, but the site's domains are {domains}.",
        f"Add {host} to the site's domains in Settings"
        + (f" (or *.{_parent(host)} for all its subdomains)." if _parent(host) else "."),
        "domains",
    )


def _parent(host: str) -> str:
    """`shop.test` for `www.shop.test`; "" for a bare name, an address or a two-label domain."""
    labels = host.split(".")
    if len(labels) < 3 or host.replace(".", "").isdigit() or ":" in host:
        return ""
    return ".".join(labels[1:])


def _url_not_targeted(site: Site, page: str, origin: str) -> tuple[str, str, str]:
    rules = []
    if site.include_urls.strip():
        rules.append("only " + ", ".join(site.include_urls.split()))
    if site.exclude_urls.strip():
        rules.append("never " + ", ".join(site.exclude_urls.split()))
    return (
        f"{page} that the site does not record sent a recording (the site records {'; '.join(rules)}).",
        "Check \u201cRecord only these pages\u201d and \u201cNever record these pages\u201d in Settings.",
        "include_urls",
    )


# Reasons told from the site's settings alone: (what happened, what to do, the settings field), with
# {page} ("A page on <origin>") and {site} filled in.
_TOLD = {
    "opted_out": (
        "{page} was visited by someone who opted out of recording (at /exclude/{site.pk} or /optout): "
        "their visits are never recorded.",
        "Nothing to do: it is the visitor's choice. To test the snippet, use a browser that has not opted out.",
        "",
    ),
    "privacy_signal": (
        "{page} was visited with a browser that sends Global Privacy Control or Do Not Track, which the site honours.",
        "To test the snippet, use a browser without that signal; or turn off \u201cHonour Global Privacy Control "
        "and Do Not Track\u201d in Settings.",
        "honor_dnt",
    ),
    "ip_excluded": (
        "{page} was visited from an address in the site's excluded IP addresses.",
        "If that was you testing, remove your address from \u201cExcluded IP addresses\u201d in Settings.",
        "ip_rules",
    ),
    "not_sampled": (
        "{page} was visited by someone outside the site's sample: {site.sample_rate:g}% of visitors are recorded, "
        "and a visitor left out stays out.",
        "Raise the sample rate in Settings to record more visitors.",
        "sample_rate",
    ),
}
_EXPLAIN: dict[str, Callable[[Site, str, str], tuple[str, str, str]]] = {
    "origin_not_allowed": _origin_not_allowed,
    "url_not_targeted": _url_not_targeted,
}
