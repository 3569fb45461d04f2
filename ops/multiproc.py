"""prometheus_client's multiprocess directory, without importing prometheus_client.

Gunicorn's master clears it before its workers start; it must not load any
metric itself, or its own files would be among those it clears.
"""
import os
from pathlib import Path


def multiproc_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def multiproc_dir_ensure() -> None:
    """Create the directory (prometheus_client writes to it as soon as a metric is defined)."""
    if multiproc_dir():
        Path(multiproc_dir()).mkdir(parents=True, exist_ok=True)


def multiproc_dir_reset() -> None:
    """Start a process group with no counts left by its previous run (before its processes start)."""
    multiproc_dir_ensure()
    if multiproc_dir():
        for stale in Path(multiproc_dir()).glob("*.db"):
            stale.unlink(missing_ok=True)
