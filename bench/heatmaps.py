"""Heatmaps at scale: the heatmaps API for a page with 100,000 recorded page views, against a control.

    .venv/bin/python bench/heatmaps.py       # a fresh Postgres database, about a minute; run it alone

The page's aggregates are what the worker keeps as batches are stored
(insights.HeatCell): 100,000 page views over 30 days, 30 clicked elements,
every tenth-by-tenth place of each clicked, plus scroll depth and pointer
movement. Each kind is asked for 20 times through the API (Django's test
client, token auth, the real URL routing and serializers); the control is
the API's session detail of one session, a small read through the same stack.
"""
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "hs_bench_heatmaps"
sys.path.insert(0, str(ROOT))


def setup_database() -> None:
    for sql in (f"DROP DATABASE IF EXISTS {DATABASE}", f"CREATE DATABASE {DATABASE}"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)


def main() -> None:
    setup_database()
    os.environ.update(DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DATABASE}", DJANGO_SETTINGS_MODULE="config.settings",
                      DEBUG="false", SECRET_KEY="bench-" + "x" * 50, ALLOWED_HOSTS="testserver", SECURE_SSL_REDIRECT="false",
                      API_RATE="1000000/hour", LOG_LEVEL="WARNING", JOBS_IN_PROCESS="false")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from django.contrib.auth.models import User
    from insights.models import HeatCell
    from insights.services import page_key
    from recorder.models import Session
    from sites.services import site_create

    call_command("migrate", verbosity=0)
    owner = User.objects.create_user("bench")
    site = site_create(owner=owner, name="Bench", domains=["shop.example.com"])
    token = Token.objects.create(user=owner).key
    url = "https://shop.example.com/pricing"
    today = timezone.localdate()
    views_per_day = 100_000 // 30
    cells = []
    for day in range(30):
        at = today - timezone.timedelta(days=day)
        common = {"site": site, "page": page_key(url), "url": url, "day": at, "device": "desktop"}
        # Clicks: each view clicks about one element; spread over 30 elements and their 100 places.
        cells += [HeatCell(**common, kind="click", selector=f"main section:nth-of-type({s}) button.buy",
                           cx=x, cy=y, count=max(1, views_per_day // 3000)) for s in range(30) for x in range(10) for y in range(10)]
        cells += [HeatCell(**common, kind="scroll", selector="", cx=d, cy=0, count=views_per_day // 11) for d in range(11)]
        cells += [HeatCell(**common, kind="move", selector="", cx=c, cy=r, count=views_per_day // 50) for c in range(20) for r in range(60)]
    HeatCell.objects.bulk_create(cells, batch_size=5000)
    session = Session.objects.create(id="6c1b4e0e-43d5-4a8c-9b8a-5d2b0b1c9c11", site=site, visitor_id="v",
                                     started_at=timezone.now(), last_activity_at=timezone.now())
    call_command("shell", "-c", "from django.db import connection; connection.cursor().execute('ANALYZE')", verbosity=0)
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    cases = {
        "control: one session": f"/api/v1/sessions/{session.pk}/",
        **{f"heatmap {kind}": f"/api/v1/sites/{site.pk}/heatmaps/?url={url}&kind={kind}" for kind in ("click", "scroll", "move")},
    }
    print(f"{len(cells):,} cells for 100,000 page views over 30 days")
    results = {}
    for _ in range(2):  # the first round warms up
        for name, path in cases.items():
            times = []
            for _ in range(20):
                started = time.perf_counter()
                answer = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, (path, answer.status_code)
            results[name] = (statistics.median(times), max(times))
    control = results["control: one session"][0]
    for name, (median, worst) in results.items():
        print(f"{name:24} median {median:7.1f} ms  max {worst:7.1f} ms  {median / control:5.1f}x the control")


if __name__ == "__main__":
    main()
