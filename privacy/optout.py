"""Visitor opt-out cookies, set by /exclude/<site_id> and /optout on this server."""
ALL_SITES_COOKIE = "hs_optout"
SITE_COOKIE_PREFIX = "hs_optout_"
# Ten years: an opt-out should outlive any session or retention period.
MAX_AGE = 10 * 365 * 24 * 3600


def site_cookie(site_id: int) -> str:
    return f"{SITE_COOKIE_PREFIX}{site_id}"


def opted_out(cookies: dict, site_id: int) -> bool:
    return cookies.get(ALL_SITES_COOKIE) == "1" or cookies.get(site_cookie(site_id)) == "1"


def privacy_signal(meta: dict) -> bool:
    """Global Privacy Control or Do Not Track sent by the browser."""
    return meta.get("HTTP_SEC_GPC") == "1" or meta.get("HTTP_DNT") == "1"
