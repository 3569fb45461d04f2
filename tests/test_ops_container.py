"""The container image and the compose stack, checked by reading them (no Docker engine runs here)
and by `docker-compose config -q` (Debian's docker-compose 1.29)."""
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SECRETS = {
    "SECRET_KEY": "k" * 50, "PUBLIC_URL": "https://hindsight.example.com", "ALLOWED_HOSTS": "hindsight.example.com",
    "POSTGRES_PASSWORD": "p" * 20, "MINIO_ROOT_USER": "hindsight", "MINIO_ROOT_PASSWORD": "m" * 20,
}
LONG_RUNNING = ["postgres", "redis", "minio", "web", "worker", "beat"]


def stages() -> list[list[str]]:
    """The Dockerfile's instructions, joined across line continuations, split by FROM."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    found: list[list[str]] = []
    for line in lines:
        if line.upper().startswith("FROM "):
            found.append([])
        found[-1].append(line)
    return found


def compose_config(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    if not shutil.which("docker-compose"):
        pytest.skip("docker-compose is not installed (.ci/run installs Debian's package)")
    env_file = tmp_path / "compose.env"
    env_file.write_text("".join(f"{name}={value}\n" for name, value in env.items()))
    return subprocess.run(
        ["docker-compose", "--project-directory", str(ROOT), "-f", str(ROOT / "docker-compose.yml"),
         "--env-file", str(env_file), "config"],
        capture_output=True, text=True, timeout=60,
    )


@pytest.fixture
def compose(tmp_path) -> dict:
    result = compose_config(SECRETS, tmp_path)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_the_image_is_built_by_node_20_and_run_by_slim_python_311_without_node():
    build, runtime = stages()
    assert re.match(r"FROM node:20\.\d+\.\d+-\S+ AS bundles", build[0])
    assert "npm ci" in " ".join(build) and "npm run build" in " ".join(build)
    assert re.match(r"FROM python:3\.11\.\d+-slim-\S+ AS runtime", runtime[0])
    body = " ".join(runtime)
    assert "nodejs" not in body and "npm" not in body
    assert "COPY --from=bundles /src/static/build/ static/build/" in runtime


def test_the_image_runs_as_an_unprivileged_user_with_a_health_check():
    runtime = stages()[-1]
    users = [line.split()[1] for line in runtime if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    cmd_index = next(i for i, line in enumerate(runtime) if line.startswith("CMD "))
    assert runtime.index(f"USER {users[-1]}") < cmd_index
    [healthcheck] = [line for line in runtime if line.startswith("HEALTHCHECK ")]
    assert "/healthz" in healthcheck and "--timeout=" in healthcheck


def test_the_build_context_leaves_out_local_state_and_tooling():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    for entry in [".git", ".venv", "**/node_modules", "data", "test-artifacts", "bench/results", ".env"]:
        assert entry in ignored, entry


def test_compose_refuses_to_start_without_the_secrets_of_env(tmp_path):
    # Given the example .env as committed (every secret empty)
    result = compose_config(dict(line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines()
                                 if line and not line.startswith("#")), tmp_path)
    # Then compose refuses, naming what to set
    assert result.returncode != 0
    assert "in .env" in result.stderr


def test_the_example_env_and_the_compose_file_commit_no_secret():
    example = dict(line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines()
                   if line and not line.startswith("#"))
    assert all(example[name] == "" for name in SECRETS)
    text = (ROOT / "docker-compose.yml").read_text()
    for name in ("SECRET_KEY", "POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD", "MINIO_ROOT_USER"):
        assert re.search(rf"\$\{{{name}:\?", text), f"{name} must come from .env, without a default"


def test_compose_is_valid_with_the_secrets_set(compose):
    assert set(LONG_RUNNING) | {"createbucket", "migrate"} <= set(compose["services"])


def test_every_image_is_pinned_to_a_version(compose):
    for name, service in compose["services"].items():
        image = service["image"]
        if name in ("migrate", "web", "worker", "beat"):
            assert image == "hindsight:local" and "build" in service, name
            continue
        tag = image.rsplit(":", 1)[1] if ":" in image.split("/")[-1] else ""
        assert tag and tag != "latest" and re.search(r"\d", tag), f"{name}: {image}"


def test_long_running_services_restart_and_report_their_health(compose):
    for name in LONG_RUNNING:
        service = compose["services"][name]
        assert service["restart"] == "unless-stopped", name
        if name != "beat":  # beat has nothing to answer a probe; its restart policy covers a crash
            assert service["healthcheck"]["test"] and not service["healthcheck"].get("disable"), name
    assert "workerping" in compose["services"]["worker"]["healthcheck"]["test"]
    assert "/healthz" in " ".join(compose["services"]["web"]["healthcheck"]["test"])


def test_migrations_run_once_before_the_app_and_the_bucket_is_created_first(compose):
    services = compose["services"]
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert services["migrate"]["restart"] == "no" and services["createbucket"]["restart"] == "no"
    assert "migrate" not in " ".join(services["web"]["command"])
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert "mc mb --ignore-existing" in " ".join(services["createbucket"]["command"])
    assert services["createbucket"]["depends_on"] == {"minio": {"condition": "service_healthy"}}
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"}, "redis": {"condition": "service_healthy"},
            "createbucket": {"condition": "service_completed_successfully"},
            "migrate": {"condition": "service_completed_successfully"},
        }, name


def test_the_app_gets_its_secrets_from_env(compose):
    env = compose["services"]["web"]["environment"]
    assert env["SECRET_KEY"] == SECRETS["SECRET_KEY"]
    assert env["DATABASE_URL"] == f"postgres://hindsight:{SECRETS['POSTGRES_PASSWORD']}@postgres:5432/hindsight"
    assert env["DEBUG"] == "false" and env["SECURE_SSL_REDIRECT"] == "true"
