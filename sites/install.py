"""Whether a site's snippet works: has any batch arrived yet?"""
from recorder.models import Session

from .models import Site


def install_status(site: Site) -> dict:
    last = (
        Session.objects.filter(site=site, received_at__isnull=False)
        .order_by("-received_at").values_list("received_at", flat=True).first()
    )
    if last is None:
        return {"state": "waiting", "label": "Waiting for the first session", "last_received_at": None}
    return {"state": "recording", "label": "Recording", "last_received_at": last.isoformat()}
