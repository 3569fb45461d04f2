"""One log line per request and per task, with a request id; JSON with LOG_FORMAT=json."""
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import path

from ops.logs import request_id_var

ROOT = Path(__file__).resolve().parent.parent
PROXY = "10.0.0.1"


def request_lines(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "hindsight.request"]


def test_each_request_gets_a_new_id_echoed_in_the_answer_and_one_log_line(client, caplog):
    caplog.set_level(logging.INFO, logger="hindsight.request")
    # When a browser asks for the login page
    response = client.get("/accounts/login/?next=/sites/")
    # Then the answer carries a fresh request id, and one line says what was answered
    request_id = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    [line] = request_lines(caplog)
    assert (line.method, line.path, line.status, line.request_id) == ("GET", "/accounts/login/", 200, request_id)
    assert line.duration_ms >= 0
    assert line.getMessage().startswith("GET /accounts/login/ 200 ")
    assert "next=" not in line.getMessage()  # query strings can carry personal data: never logged


def test_two_requests_get_different_ids(client):
    assert client.get("/accounts/login/")["X-Request-ID"] != client.get("/accounts/login/")["X-Request-ID"]


def test_a_trusted_proxy_passes_its_request_id_on(client, settings, caplog):
    caplog.set_level(logging.INFO, logger="hindsight.request")
    settings.TRUSTED_PROXIES = [PROXY]
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID="lb-7f3a.91", REMOTE_ADDR=PROXY)
    assert response["X-Request-ID"] == "lb-7f3a.91"
    assert request_lines(caplog)[0].request_id == "lb-7f3a.91"


@pytest.mark.parametrize(
    ("peer", "header"),
    [("198.51.100.7", "chosen-by-a-visitor"), (PROXY, "two words"), (PROXY, "x" * 129), (PROXY, "line\nbreak")],
)
def test_a_request_id_from_anyone_else_or_of_a_bad_shape_is_replaced(client, settings, peer, header):
    settings.TRUSTED_PROXIES = [PROXY]
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID=header, REMOTE_ADDR=peer)
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def _boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom/", _boom)]  # this module is the URLconf of the test below


def test_a_server_error_is_logged_as_an_error_line(client, settings, caplog):
    # Given a view that raises
    caplog.set_level(logging.INFO, logger="hindsight.request")
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False
    # When it is asked for
    response = client.get("/boom/")
    # Then the request line is there, at ERROR, with the 500 and the request id
    assert response.status_code == 500
    [line] = request_lines(caplog)
    assert line.levelno == logging.ERROR and line.status == 500 and line.request_id == response["X-Request-ID"]


def test_a_task_run_logs_one_line_with_its_name_id_state_and_duration(db, caplog):
    from recorder.tasks import chunk_store

    caplog.set_level(logging.INFO, logger="hindsight.task")
    # When a task runs (in-process here; tests/test_ops_worker.py runs a real worker) while a request is handled
    token = request_id_var.set("req-1234")
    try:
        result = chunk_store.apply(args=[987654321, []])
    finally:
        request_id_var.reset(token)
    # Then one line says which task ran, how it ended and for which request
    [line] = [record for record in caplog.records if record.name == "hindsight.task"]
    assert (line.task, line.task_id, line.state) == ("recorder.tasks.chunk_store", result.id, result.state)
    assert line.request_id == "req-1234" and line.duration_ms >= 0


def run_request_in_a_process(**env) -> subprocess.CompletedProcess:
    script = "from django.test import Client; Client(HTTP_HOST='localhost').get('/accounts/login/')"
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, env={**os.environ, **env},
        capture_output=True, text=True, timeout=60,
    )


def test_json_format_writes_one_json_object_per_line():
    # Given LOG_FORMAT=json
    result = run_request_in_a_process(LOG_FORMAT="json")
    # Then every line on stderr is a JSON object, and the request's has its fields
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    [request] = [line for line in lines if line["logger"] == "hindsight.request"]
    assert request["method"] == "GET" and request["path"] == "/accounts/login/" and request["status"] == 200
    assert re.fullmatch(r"[0-9a-f]{32}", request["request_id"])
    assert {"time", "level", "message", "duration_ms"} <= set(request)


def test_text_format_is_one_readable_line_per_request():
    result = run_request_in_a_process(LOG_FORMAT="text")
    [line] = [line for line in result.stderr.splitlines() if "hindsight.request" in line]
    assert re.search(r" INFO hindsight\.request \[[0-9a-f]{32}\] GET /accounts/login/ 200 [0-9.]+ms$", line)


def test_an_unknown_log_format_refuses_to_start():
    result = run_request_in_a_process(LOG_FORMAT="xml")
    assert result.returncode != 0 and "LOG_FORMAT" in result.stderr
