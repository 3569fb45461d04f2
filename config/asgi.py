import os

from django.core.asgi import get_asgi_application

from recorder.jobs import jobs_in_process_start

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_asgi_application()
jobs_in_process_start()  # the embedded default's periodic jobs, from the server's start
