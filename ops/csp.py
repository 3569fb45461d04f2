"""The dashboard's Content-Security-Policy (django-csp), with the player page's exception.

The player rebuilds a recorded page inside a sandboxed about:blank frame,
which inherits the player page's policy. When the site lets replays load the
recorded site's images, styles, fonts and media, the player page allows them
from any web origin; otherwise only our origin and data: URLs, so no request
leaves for the recorded site.
"""
from csp.middleware import CSPMiddleware, PolicyParts

from sites.models import Site

PLAYER_URL_NAME = "session-player"
WEB = ["https:", "http:"]
RECORDED_RESOURCES = {"img-src": WEB, "style-src": WEB, "font-src": WEB, "media-src": WEB}


def replay_policy_update(site_id: int | None) -> dict | None:
    """The directives the player page adds for this site, or None when the site blocks its resources."""
    loads = site_id is not None and Site.objects.filter(pk=site_id, replay_resources=True).exists()
    return RECORDED_RESOURCES if loads else None


class DashboardCSPMiddleware(CSPMiddleware):
    """django-csp's middleware; on the player page, the site's replay_resources setting decides."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        match = getattr(request, "resolver_match", None)
        # Only on the page itself: a 404 for an outsider must not tell how another site is set.
        if not report_only and match and match.url_name in (PLAYER_URL_NAME, "site-heatmaps") and response.status_code == 200:
            parts.update = replay_policy_update(match.kwargs.get("site_id"))
        return parts
