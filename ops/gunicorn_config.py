"""Gunicorn's settings in the image: `gunicorn -c python:ops.gunicorn_config config.wsgi`.

Plain os.environ here: importing the `config` package would load the app (and
its metrics) into the master process.
"""
import os

from ops.multiproc import multiproc_dir_reset

# Address and port gunicorn listens on.
bind = os.environ.get("BIND", "0.0.0.0:8000")
# Worker processes (gunicorn's usual variable).
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# Seconds before a silent worker is restarted.
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
# No access log: the app writes one line per request itself, with its request id.
accesslog = None
# Gunicorn's own messages go to stderr, like the app's.
errorlog = "-"


def on_starting(server):
    """Before the workers start: clear the per-process metric files of the previous run."""
    multiproc_dir_reset()
