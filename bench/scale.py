"""Scale benchmark: the session list, its filters and pages, the overview and the player page at a million sessions.

    .venv/bin/python bench/scale.py --fill     # (re)make hs_scale_bench: 1M sessions on one site, 5 x 200k others
    .venv/bin/python bench/scale.py            # time every list/filter/sort, page 1 and 21, dashboard and API

The fill writes rows with `generate_series` straight into Postgres (minutes,
not hours): sessions over the last 100 days with browsers, systems, devices,
errors, identities, tags and a few live ones in realistic shares, and 1.8
page views a session (about 3.6 million). The Postgres-only indexes of
recorder/migrations/0004_scale.py and 0006_site_urls.py are dropped for the
fill and made again after it (with the sites' distinct URLs), then the roll-ups are rebuilt and the tables analysed.

Timing goes through Django's test client in this process (the real views,
middleware, templates and serializers; no network): each URL is asked
`--reps` times after one warm-up; page 21 is reached by following the `next`
links. EXPLAIN (ANALYZE) of each list query is printed for the big site.
The machine is shared with other work: compare rows with each other, not
with another machine.
"""
import argparse
import importlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATABASE = "hs_scale_bench"
os.environ.update({
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}", "REDIS_URL": "", "CELERY_BROKER_URL": "",
    "CELERY_TASK_ALWAYS_EAGER": "true", "JOBS_IN_PROCESS": "false", "DEBUG": "false", "LOG_LEVEL": "WARNING",
    "SECRET_KEY": "bench-" + "x" * 50, "ALLOWED_HOSTS": "testserver", "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false", "INGEST_RATE_PER_MINUTE": "1000000",
    "API_RATE": "1000000/minute",
})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

BIG, OTHERS = 1_000_000, 200_000
BROWSERS = [("Chrome", 55), ("Mobile Safari", 15), ("Safari", 8), ("Firefox", 8), ("Edge", 6), ("Chrome Mobile", 5),
            ("Samsung Internet", 2), ("HeadlessChrome", 0.5), ("Opera", 0.5)]
SYSTEMS = [("Windows", 40), ("Mac OS X", 20), ("iOS", 17), ("Android", 15), ("Linux", 7), ("Chrome OS", 1)]
DEVICES = [("desktop", 65), ("mobile", 30), ("tablet", 4), ("bot", 1)]
# What the filters ask for on the big site; the shares above make some common and some rare.
CASES = [
    ("newest (default)", {}),
    ("longest", {"sort": "longest"}),
    ("date range (a week)", {"date_from": "@-20", "date_to": "@-14"}),
    ("min duration 10 min", {"min_duration": "600"}),
    ("max duration 5 s", {"max_duration": "5"}),
    ("duration 60-120 s", {"min_duration": "60", "max_duration": "120"}),
    ("tag key", {"tag": "plan"}),
    ("tag = enterprise", {"tag": "plan", "tag_value": "enterprise"}),
    ("browser chrome", {"browser": "chrome"}),
    ("browser opera (rare)", {"browser": "opera"}),
    ("os windows", {"os": "windows"}),
    ("os chrome os (rare)", {"os": "chrome os"}),
    ("device mobile", {"device": "mobile"}),
    ("device bot (rare)", {"device": "bot"}),
    ("errors", {"errors": "1"}),
    ("live now", {"live": "1"}),
    ("identity equals", {"identity": "user1234@example.com"}),
    ("identity contains", {"identity_contains": "user1234"}),
    ("identity contains (no match)", {"identity_contains": "nobody-at-all"}),
    ("url contains checkout", {"url": "checkout"}),
    ("url contains (rare)", {"url": "/blog/post-17"}),
    ("url contains (no match)", {"url": "/no-such-page"}),
    ("visitor", {"visitor": "v1234"}),
    ("errors+mobile, longest", {"errors": "1", "device": "mobile", "sort": "longest"}),
    ("url+firefox", {"url": "checkout", "browser": "firefox"}),
    ("tag+os+longest", {"tag": "plan", "os": "mac", "sort": "longest"}),
]


def pick(options, column: str) -> str:
    """SQL choosing one of `options` by weight from the uniform value in `column`."""
    total, edge, parts = sum(w for _, w in options), 0.0, []
    for name, weight in options[:-1]:
        edge += weight / total
        parts.append(f"WHEN {column} < {edge:.5f} THEN '{name}'")
    return f"CASE {' '.join(parts)} ELSE '{options[-1][0]}' END"


def fill_sql(site_id: int, count: int, salt: int) -> list[str]:
    paths = ("ARRAY['/', '/pricing', '/cart', '/checkout', '/checkout/pay', '/account', '/search?q=shoes']"
             " || ARRAY(SELECT '/product/' || k FROM generate_series(1, 150) k)"
             " || ARRAY(SELECT '/blog/post-' || k FROM generate_series(1, 60) k)")
    return [
        f"""INSERT INTO recorder_session (id, site_id, visitor_id, identity, tags, created_at, started_at,
            last_activity_at, received_at, duration_ms, page_count, event_count, error_count, chunk_count,
            stored_bytes, user_agent, browser, os, device_type, language, timezone, entry_url, referrer,
            scrub_ids, status)
        SELECT md5('{salt}-' || g)::uuid, {site_id}, 'v' || (g % 300000),
            CASE WHEN r.a < 0.3 THEN 'user' || (g % 50000) || '@example.com' ELSE '' END,
            CASE WHEN r.b < 0.2 THEN jsonb_build_object('plan', (ARRAY['free', 'pro', 'enterprise'])[1 + g % 3])
                 ELSE '{{}}'::jsonb END,
            t.started, t.started, t.started + t.dur, t.started + t.dur, (extract(epoch FROM t.dur) * 1000)::bigint,
            1 + (g % 5 < 3)::int + (g % 5 = 0)::int, 50 + g % 400, CASE WHEN r.c < 0.05 THEN 1 + g % 3 ELSE 0 END,
            1 + g % 8, 20000 + g % 90000, '', {pick(BROWSERS, 'r.d')}, {pick(SYSTEMS, 'r.e')},
            {pick(DEVICES, 'r.f')}, 'en-GB', 'Europe/London', 'https://site{site_id}.example.com/', '', '[]',
            CASE WHEN g <= 20 THEN 'active' ELSE 'finished' END
        FROM generate_series(1, {count}) g,
        LATERAL (SELECT random() a, random() b, random() c, random() d, random() e, random() f, g AS k) r,
        LATERAL (SELECT CASE WHEN g <= 20 THEN now() - g * interval '1 second'
                        ELSE now() - interval '100 days' * ((g::float8) / {count}) END AS started,
                        least(interval '2 hours', interval '1 second' * (-ln(1 - random() * 0.9999) * 150)) AS dur,
                        r.k AS k) t""",
        f"""INSERT INTO recorder_pageview (session_id, site_id, url, title, kind, at)
        SELECT s.id, s.site_id, 'https://site{site_id}.example.com' || p.paths[1 + floor(power(random(), 2.2) *
               array_length(p.paths, 1))::int], 'Page', 'load', s.started_at + n * interval '20 seconds'
        FROM recorder_session s, LATERAL (SELECT {paths} AS paths) p, generate_series(1, s.page_count) n
        WHERE s.site_id = {site_id}""",
    ]


def fill() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.contrib.auth.models import User
    from django.db import connection

    from recorder.rollups import rollups_rebuild
    from sites.models import Membership, Site

    migration = importlib.import_module("recorder.migrations.0004_scale")
    site_urls = importlib.import_module("recorder.migrations.0006_site_urls")
    owner = User.objects.create_user("bench", password="bench-password-123")
    with connection.cursor() as cursor:
        for statement in migration.POSTGRES_REVERSE + ["DROP INDEX IF EXISTS pageview_url_hash"]:
            cursor.execute(statement)
        for number, count in enumerate([BIG] + [OTHERS] * 5):
            site = Site.objects.create(name=f"Site {number}", domains=f"site{number}.example.com", retention_days=365,
                                       owner=owner)
            Membership.objects.create(site=site, user=owner, role=Membership.OWNER)
            for statement in fill_sql(site.pk, count, number):
                started = time.perf_counter()
                cursor.execute(statement)
                print(f"site {site.pk}: {cursor.rowcount} rows in {time.perf_counter() - started:.0f} s", flush=True)
        started = time.perf_counter()
        # 0004's indexes but the page views' trigram index (0006 replaced it), then 0006's: the site URLs.
        for statement in [sql for sql in migration.POSTGRES_SQL if "pageview_site_url_trgm" not in sql]:
            cursor.execute(statement)
        for statement in site_urls.POSTGRES_SQL:
            cursor.execute(statement)
        print(f"indexes and ANALYZE in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    rollups_rebuild()
    print(f"roll-ups rebuilt in {time.perf_counter() - started:.0f} s", flush=True)


def _query(params: dict) -> dict:
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    return {k: (str(today + timedelta(days=int(v[1:]))) if v.startswith("@") else v) for k, v in params.items()}


def _timed(client, url: str, params, reps: int, **headers) -> tuple[list[float], object]:
    response = client.get(url, params, **headers)  # warm-up, and the answer whose next link we follow
    assert response.status_code == 200, (url, params, response.status_code)
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        client.get(url, params, **headers)
        times.append((time.perf_counter() - started) * 1000)
    return times, response


def _next(response, api: bool):
    """The next page's query (a dict or a URL), or None."""
    if api:
        return response.json()["next"]
    page = response.context["page"]
    return f"?{page.next_query}" if page.next_query else None


def _stats(times: list[float]) -> dict:
    ordered = sorted(times)
    return {"p50": round(statistics.median(ordered), 1),
            "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 1)}


def measure(reps: int) -> dict:
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the dashboard's answers carry their context: where the next page's link is
    from django.urls import reverse
    from rest_framework.authtoken.models import Token

    from sites.models import Site

    owner = User.objects.get(username="bench")
    token, _ = Token.objects.get_or_create(user=owner)
    client = Client()
    client.force_login(owner)
    api_headers = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    big = Site.objects.order_by("pk").first()
    small = Site.objects.order_by("-pk").first()
    from django.urls import get_resolver

    from config.runtime import collector_tune

    get_resolver().url_patterns  # noqa: B018 - as config/wsgi.py does in a web process before it serves
    collector_tune()
    results = {"lists": [], "pages": []}
    for name, raw in CASES:
        params = _query(raw)
        for api in (False, True):
            url = reverse("api-site-sessions", args=[big.pk]) if api else reverse("session-list", args=[big.pk])
            headers = api_headers if api else {}
            first, response = _timed(client, url, params, reps, **headers)
            row = {"case": name, "via": "API" if api else "dashboard", "page1": _stats(first)}
            target, depth = response, 1
            while depth < 21 and (link := _next(target, api)):
                target = client.get(link if api else url + link, **headers)
                depth += 1
            if depth == 21:
                link = target.request["QUERY_STRING"]
                deep, _ = _timed(client, url + "?" + link, {}, reps, **headers)
                row["page21"] = _stats(deep)
            results["lists"].append(row)
            print(json.dumps(row), flush=True)
    for label, site in (("overview, 1M site", big), ("overview, 200k site", small)):
        times, _ = _timed(client, reverse("site-overview", args=[site.pk]), {}, reps)
        results["pages"].append({"page": label, **_stats(times)})
    middle = big.sessions.order_by("-started_at")[BIG // 2]
    for label, params in (("player", {}), ("player, sort=longest", {"sort": "longest"}),
                          ("player, errors+mobile", {"errors": "1", "device": "mobile"}),
                          ("player, url contains checkout", {"url": "checkout"})):
        times, _ = _timed(client, reverse("session-player", args=[big.pk, middle.pk]), params, reps)
        results["pages"].append({"page": label, **_stats(times)})
    for row in results["pages"]:
        print(json.dumps(row), flush=True)
    return results


def explain() -> dict:
    """EXPLAIN ANALYZE of page 1 of each list query on the big site (first lines of each plan)."""
    import django

    django.setup()
    from django.http import QueryDict

    from replay.filters import sessions_filter, sessions_sort
    from replay.selectors import sessions_for_site
    from sites.models import Site

    big = Site.objects.order_by("pk").first()
    plans = {}
    for name, raw in CASES:
        params = QueryDict(mutable=True)
        params.update(_query(raw))
        sessions = sessions_sort(sessions_filter(sessions_for_site(big), params, site_id=big.pk), params)[:51]
        plan = sessions.explain(analyze=True).splitlines()
        plans[name] = [line for line in plan if "Index" in line or "Scan" in line or "Execution" in line
                       or line is plan[0]][:8]
    return plans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fill", action="store_true", help="(Re)make the database first.")
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "scale.json"))
    args = parser.parse_args()
    if args.fill:
        fill()
    results = measure(args.reps)
    results["explain"] = explain()
    for name, lines in results["explain"].items():
        print(f"-- {name}")
        print("\n".join(lines))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
