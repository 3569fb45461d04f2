"""What a site's pages receive: the install snippet and the recorder's embedded settings."""
import json

from django.conf import settings

from privacy.scrub import url_names_parse

from .models import Site
from .targeting import patterns_parse

SNIPPET = """<script type="text/javascript">
(function() {
window.__insp = window.__insp || [];
__insp.push(['wid', %(wid)d]);
var ldinsp = function(){
if(typeof window.__inspld != "undefined") return;
window.__inspld = 1;
var insp = document.createElement('script');
insp.type = 'text/javascript';
insp.async = true;
insp.id = "inspsync";
insp.src = '%(base)s/recorder.js?wid=%(wid)d&r=' + Math.floor(new Date().getTime()/3600000);
var x = document.getElementsByTagName('script')[0];
x.parentNode.insertBefore(insp, x);
};
setTimeout(ldinsp, 0);
document.readyState == "complete" ? ldinsp() : window.addEventListener("load", ldinsp, false);
})();
</script>"""


# The same recorder from two static tags, for a page whose policy requires Trusted Types (it refuses the
# snippet's `script.src`).
STATIC_TAGS = """<script>window.__insp = window.__insp || []; __insp.push(['wid', %(wid)d]);</script>
<script async src="%(base)s/recorder.js?wid=%(wid)d"></script>"""


def site_snippet(site: Site, base_url: str) -> str:
    """The asynchronous loader to paste in a page's <head>."""
    return _filled(SNIPPET, site, base_url)


def site_static_tags(site: Site, base_url: str) -> str:
    """The snippet's equivalent in two tags, for pages that require Trusted Types."""
    return _filled(STATIC_TAGS, site, base_url)


def _filled(template: str, site: Site, base_url: str) -> str:
    return template % {"wid": site.pk, "base": base_url.rstrip("/")}


def recorder_config(site: Site, base_url: str) -> dict:
    """The settings the loader embeds in the recorder (keys of docs/protocol.md)."""
    return {
        "wid": site.pk,
        "endpoint": f"{base_url.rstrip('/')}/api/v1/ingest?wid={site.pk}",
        "sessionTimeoutMin": site.session_timeout_min,
        "maxSessionHours": 24,
        "sampleRate": site.sample_rate,
        "include": patterns_parse(site.include_urls),
        "exclude": patterns_parse(site.exclude_urls),
        "minSessionSec": site.min_session_sec,
        "recordConsole": site.record_console,
        "recordNetwork": site.record_network,
        "networkQueryAllow": site.network_query_allow,
        "urlMaskParams": sorted(url_names_parse(site.url_mask_params)),
        "consentRequired": site.consent_required,
        "honorDnt": site.honor_dnt,
        "maskAllInputs": site.mask_all_inputs,
        "maskAllText": site.mask_all_text,
        "maskSelectors": _selectors(site.mask_selectors),
        "ignoreSelectors": _selectors(site.ignore_selectors),
        "unmaskSelectors": _selectors(site.unmask_selectors),
        "notice": site.notice,
        "noticeText": site.notice_text,
        # The unsent data a page keeps in memory, twice its largest snapshot or change (which goes in a batch
        # of its own): a server that takes larger batches records larger pages (docs/protocol.md, `hs.stop`).
        "capBytes": settings.INGEST_MAX_INFLATED_BYTES,
    }


def _selectors(text: str) -> str:
    return ", ".join(line.strip() for line in text.splitlines() if line.strip())


def loader_script(bundle: str, config: dict) -> str:
    # `</` is escaped so the JSON can never close a script element it is pasted into.
    payload = json.dumps(config, separators=(",", ":")).replace("</", "<\\/")
    return f"(function(__hsc){{{bundle}\n}})({payload});\n"
