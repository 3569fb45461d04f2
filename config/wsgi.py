import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from config.runtime import collector_tune
from recorder.jobs import jobs_in_process_start

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 - views imported now, before the collector is tuned
collector_tune()
jobs_in_process_start()  # the embedded default's periodic jobs, from the server's start
