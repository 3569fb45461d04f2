"""Run the test suite against the real services on loopback.

Starts an S3 API over HTTP (moto's server mode) on a free port, points the
settings at it and at Postgres and Redis (defaults below, overridable by the
environment), runs pytest with the given arguments and stops the S3 server.

With `--sqlite` first, the same non-browser tests run on SQLite, the embedded
default's database, instead of Postgres: all but those marked `postgres`.

With `--lanes` first (what `make test` runs), the whole suite runs in two
lanes at once: the browser tests, and beside them the other tests on Postgres
then on SQLite, each lane with its own databases, Redis database, Celery queue
and S3 API. The arguments after it go to every pytest run (`-k`, `-x`, `-m`).
"""
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

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


def run(argv: list[str], env: dict, *, sqlite: bool = False, stdout=None) -> int:
    """One pytest run with its own S3 API, on Postgres or (with `sqlite`) on a fresh SQLite database."""
    env = dict(env)
    server = s3_server_start(env)

    def pytest(*args: str) -> int:
        return subprocess.call([sys.executable, "-m", "pytest", *args], cwd=ROOT, env=env, stdout=stdout,
                               stderr=subprocess.STDOUT if stdout else None)

    try:
        if not sqlite:
            return pytest(*argv)
        with tempfile.TemporaryDirectory(prefix="hindsight-sqlite-") as data:
            env.update(DATABASE_URL=f"sqlite:///{data}/hindsight.sqlite3", DATA_DIR=data)
            code = pytest(*argv, *SQLITE_SELECTION)
            # Arguments that pick only browser or Postgres tests leave nothing for this pass.
            return 0 if code == NO_TESTS_COLLECTED else code
    finally:
        if server:
            server.terminate()
            server.wait(timeout=10)


def lane_env(env: dict, name: str) -> dict:
    """The environment of a second lane: its own test database, Redis database and Celery queue, so that
    neither lane's flushes, cache clears or tasks reach the other's."""
    database = urlsplit(env["DATABASE_URL"])
    redis = urlsplit(env["REDIS_URL"])
    redis_db = int(redis.path.strip("/") or 0) + 1
    return {
        **env,
        "DATABASE_URL": urlunsplit(database._replace(path=f"{database.path}_{name}")),
        "REDIS_URL": urlunsplit(redis._replace(path=f"/{redis_db}")),
        "CELERY_QUEUE": f"{env['CELERY_QUEUE']}-{name}",
        "TEST_LANE": f"-{name}",  # names its worker's log in test-artifacts
    }


# Browser tests that run in the second lane, so that the lanes end about together (the browser lane took
# 16.4 min and the other 12 on a clean clone alone, before the first two were moved; 17.0 and 15.1 before the
# last three, about a minute of tests).
BESIDE = (
    "tests/e2e/test_hostile_pages_2.py", "tests/e2e/test_select_fields.py",
    "tests/e2e/test_frustration.py", "tests/e2e/test_periodic_snapshot.py", "tests/e2e/test_scroll_depth.py",
)


def lanes(argv: list[str], env: dict) -> int:
    """The whole suite in two lanes side by side: the browser tests, and beside them the others on Postgres
    (with the browser tests of BESIDE) then on SQLite. The browser tests spend most of their time waiting for
    pages, uploads and the worker, so on two cores the lanes take little more than the longer of them. The
    second lane's output is written to a file and printed when it ends."""
    with tempfile.NamedTemporaryFile(prefix="hindsight-lane-", suffix=".log") as log:
        other = lane_env(env, "lane2")
        codes: list[int] = []

        def second_lane():
            others = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "tests/e2e").glob("test_*.py"))
            ignored = [f"--ignore={path}" for path in others if path not in BESIDE]
            # The browser tests' worker lives as long as their run: a run of its own keeps it from storing the
            # batches of the tests after them, which store theirs in the test and count them
            # (and the fault tests, which the next run leaves out: they ran in both, a minute and a half twice)
            codes.append(run([*ignored, "--ignore-glob=tests/test_*.py", *argv], other, stdout=log))
            codes.append(run([*ignored, *[f"--ignore={path}" for path in BESIDE], "--ignore=tests/faults", *argv],
                             other, stdout=log))
            codes.append(run(argv, other, sqlite=True, stdout=log))

        second = threading.Thread(target=second_lane)
        second.start()
        codes.append(run(["tests/e2e", *[f"--ignore={path}" for path in BESIDE], *argv], env))
        second.join()
        log.seek(0)
        sys.stdout.write("\n==== the tests without a browser, on Postgres then on SQLite ====\n")
        sys.stdout.flush()
        sys.stdout.buffer.write(log.read())
        sys.stdout.flush()
    # Arguments that pick tests of one lane only leave nothing for the other.
    return next((code for code in codes if code not in (0, NO_TESTS_COLLECTED)), 0)


def main(argv: list[str]) -> int:
    mode = argv[0] if argv[:1] in (["--sqlite"], ["--lanes"]) else ""
    argv = argv[1:] if mode else argv
    env = {**DEFAULTS, **os.environ}
    env.setdefault("AWS_ACCESS_KEY_ID", env["S3_ACCESS_KEY_ID"])
    env.setdefault("AWS_SECRET_ACCESS_KEY", env["S3_SECRET_ACCESS_KEY"])
    if mode == "--lanes":
        return lanes(argv, env)
    return run(argv, env, sqlite=mode == "--sqlite")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
