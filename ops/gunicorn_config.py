"""Gunicorn's settings in the image: `gunicorn -c python:ops.gunicorn_config config.wsgi`."""
from config.env import env_int, env_str
from ops.multiproc import multiproc_dir_reset

# Address and port gunicorn listens on.
bind = env_str("BIND", "0.0.0.0:8000")
# Worker processes (gunicorn's usual variable).
workers = env_int("WEB_CONCURRENCY", 3)
# Seconds before a silent worker is restarted.
timeout = env_int("WEB_TIMEOUT", 30)
# No access log: the app writes one line per request itself, with its request id.
accesslog = None
# Gunicorn's own messages go to stderr, like the app's.
errorlog = "-"


def on_starting(server):
    """Before the workers start: clear the per-process metric files of the previous run."""
    multiproc_dir_reset()
