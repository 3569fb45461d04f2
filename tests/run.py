"""Run the test suite against the real services on loopback.

Starts an S3 API over HTTP (moto's server mode) on a free port, points the
settings at it and at Postgres and Redis (defaults below, overridable by the
environment), runs pytest with the given arguments and stops the S3 server.

With `--sqlite` first, the same non-browser tests run on SQLite, the embedded
default's database, instead of Postgres: all but those marked `postgres`.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULTS = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "DEBUG": "true",
    "S3_BUCKET": "hindsight-test",
    "S3_ACCESS_KEY_ID": "testing",
    "S3_SECRET_ACCESS_KEY": "testing",
    "S3_REGION": "us-east-1",
    "CELERY_QUEUE": f"hindsight-test-{os.getpid()}",
    # Periodic jobs are run by the tests that test them, not by a thread of the live server.
    "JOBS_IN_PROCESS": "false",
    # Playwright's sync API runs an event loop in the test thread; the ORM calls there are safe.
    "DJANGO_ALLOW_ASYNC_UNSAFE": "true",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def s3_server_start(env: dict) -> subprocess.Popen | None:
    if env.get("S3_ENDPOINT_URL"):
        return None  # an S3 API is already given
    port = free_port()
    moto = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(
        [str(moto), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).read()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        raise SystemExit("moto_server did not start")
    env["S3_ENDPOINT_URL"] = endpoint
    return process


SQLITE_SELECTION = ["--ignore=tests/e2e", "-m", "not e2e and not postgres"]
NO_TESTS_COLLECTED = 5


def main(argv: list[str]) -> int:
    sqlite = argv[:1] == ["--sqlite"]
    argv = argv[1:] if sqlite else argv
    env = {**DEFAULTS, **os.environ}
    env.setdefault("AWS_ACCESS_KEY_ID", env["S3_ACCESS_KEY_ID"])
    env.setdefault("AWS_SECRET_ACCESS_KEY", env["S3_SECRET_ACCESS_KEY"])
    server = s3_server_start(env)
    try:
        if not sqlite:
            return subprocess.call([sys.executable, "-m", "pytest", *argv], cwd=ROOT, env=env)
        with tempfile.TemporaryDirectory(prefix="hindsight-sqlite-") as data:
            env.update(DATABASE_URL=f"sqlite:///{data}/hindsight.sqlite3", DATA_DIR=data)
            code = subprocess.call([sys.executable, "-m", "pytest", *argv, *SQLITE_SELECTION], cwd=ROOT, env=env)
            # Arguments that pick only browser or Postgres tests leave nothing for this pass.
            return 0 if code == NO_TESTS_COLLECTED else code
    finally:
        if server:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
