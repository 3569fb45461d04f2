"""GET /recorder.js: the bundle with the site's settings, or a no-op."""
import json
import re

import pytest

from sites.snippet import site_snippet

pytestmark = pytest.mark.django_db


def embedded_config(body: str) -> dict:
    match = re.search(r"\}\)\((\{.*\})\);\s*$", body, re.S)
    assert match, "the bundle is not wrapped with a config"
    return json.loads(match.group(1))


def test_loader_embeds_the_site_settings(client, site):
    site.sample_rate = 25
    site.exclude_urls = "/admin/*\n/account*"
    site.url_mask_params = "Q\n*"
    site.save()
    response = client.get(f"/recorder.js?wid={site.pk}&r=123")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    body = response.content.decode()
    assert body.startswith("(function(__hsc){")
    config = embedded_config(body)
    assert config["wid"] == site.pk
    assert config["endpoint"] == f"http://testserver/api/v1/ingest?wid={site.pk}"
    assert config["sampleRate"] == 25
    assert config["exclude"] == ["/admin/*", "/account*"]
    assert config["maskAllInputs"] is True
    assert config["urlMaskParams"] == ["*", "q"]
    head = client.head(f"/recorder.js?wid={site.pk}&r=123")  # an uptime check's or a CDN's
    assert (head.status_code, head["Content-Type"], head.content) == (200, response["Content-Type"], b"")


@pytest.mark.parametrize("recording", [True, False])
def test_a_changed_privacy_setting_reaches_browsers_within_five_minutes(client, site, recording):
    # Given a site, recording or not (a disabled site's visitors get the no-op script)
    site.enabled = recording
    site.save()
    # When a browser loads the recorder
    response = client.get(f"/recorder.js?wid={site.pk}&r=123")
    # Then it may keep its copy five minutes at most, and no shared cache keeps one at all
    directives = {part.strip().split("=")[0]: part.strip() for part in response["Cache-Control"].split(",")}
    assert "private" in directives and "s-maxage" not in directives and "public" not in directives
    assert 0 < int(directives["max-age"].split("=")[1]) <= 300
    assert ("not recording" in response.content.decode()) is not recording


@pytest.mark.parametrize("query", ["wid=999999", "wid=abc", ""])
def test_unknown_site_gets_a_noop(client, site, query):
    response = client.get(f"/recorder.js?{query}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "not recording" in response.content.decode()
    assert len(response.content) < 100


def test_disabled_site_gets_a_noop(client, site):
    site.enabled = False
    site.save()
    assert "not recording" in client.get(f"/recorder.js?wid={site.pk}").content.decode()


def test_config_cannot_break_out_of_a_script_element(client, site):
    site.notice_text = "</script><script>alert(1)</script>"
    site.save()
    body = client.get(f"/recorder.js?wid={site.pk}").content.decode()
    assert "</script>" not in body.split("})(", 1)[-1]


def test_snippet_is_the_async_loader_with_our_host_and_site_id(site):
    snippet = site_snippet(site, "https://hindsight.example.org/")
    assert f"__insp.push(['wid', {site.pk}]);" in snippet
    assert f"'https://hindsight.example.org/recorder.js?wid={site.pk}&r=' + Math.floor(new Date().getTime()/3600000)" in snippet
    assert "insp.async = true;" in snippet
