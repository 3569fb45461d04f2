"""Settings of the ingest benchmark's server: Hindsight's own, plus a no-op view to compare with."""
from config.settings import *  # noqa: F401,F403

ROOT_URLCONF = "ingest_urls"
