"""Logs, metrics and Sentry context in tasks and requests: the Celery signal handlers of
lumbung.celery, the /metrics middleware, the request and user log context."""

import json
import logging
import socket
import urllib.request

import pytest
import sentry_sdk
from django.db import connection
from django.test import Client
from prometheus_client import REGISTRY
from pythonjsonlogger.json import JsonFormatter

from lumbung.celery import app
from lumbung.logging import ContextFilter, task_id_var, tenant_var
from lumbung.observability import init_sentry
from tests.deploy.test_sentry_scrubbing import NIK, _Keep

log = logging.getLogger("tests.deploy.probe")


@app.task(name="tests.deploy.probe")
def probe(fail: bool = False) -> str:
    log.warning("probe running in %s", connection.schema_name)
    if fail:
        raise RuntimeError(f"probe failed for NIK {NIK}")
    return connection.schema_name


class Capture(logging.Handler):
    """Records as the production handler formats them (JSON with the context filter)."""

    def __init__(self):
        super().__init__()
        self.addFilter(ContextFilter())
        self.setFormatter(
            JsonFormatter(
                "%(levelname)s %(name)s %(message)s %(tenant)s %(request_id)s %(user_id)s "
                "%(task_id)s %(service)s",
                rename_fields={"levelname": "level", "name": "logger"},
                timestamp=True,
            )
        )
        self.lines: list[dict] = []

    def emit(self, record):
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def captured():
    handler = Capture()
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_task_logs_carry_task_id_and_the_tasks_tenant(in_tenant_a, captured):
    tenant_var.set("caller-context")
    result = probe.apply()
    assert result.get() == "coop_alpha"
    lines = [r for r in captured if r["logger"] == "tests.deploy.probe"]
    assert len(lines) == 1
    assert lines[0]["task_id"] == result.id
    assert lines[0]["tenant"] == "coop_alpha"
    assert lines[0]["message"] == "probe running in coop_alpha"
    # After the task the context is the caller's again.
    assert task_id_var.get() == "-"
    assert tenant_var.get() == "caller-context"
    tenant_var.set("-")


def test_task_counts_by_state_and_run_time(in_tenant_a):
    labels = {"task": "tests.deploy.probe"}
    before = {
        state: sample("lumbung_celery_tasks_total", state=state, **labels)
        for state in ("started", "succeeded", "failed")
    }
    runs_before = sample("lumbung_celery_task_runtime_seconds_count", **labels)

    probe.apply()
    probe.apply()
    failed = probe.apply(kwargs={"fail": True}, throw=False)
    assert failed.failed()

    assert sample("lumbung_celery_tasks_total", state="started", **labels) == before["started"] + 3
    assert (
        sample("lumbung_celery_tasks_total", state="succeeded", **labels) == before["succeeded"] + 2
    )
    assert sample("lumbung_celery_tasks_total", state="failed", **labels) == before["failed"] + 1
    assert sample("lumbung_celery_task_runtime_seconds_count", **labels) == runs_before + 3


def test_published_tasks_are_counted(in_tenant_a):
    before = sample("lumbung_celery_tasks_published_total", task="tests.deploy.probe")
    # An in-memory broker: nothing reaches the shared Redis.
    with app.connection_for_write("memory://") as conn:
        probe.apply_async(connection=conn)
    assert sample("lumbung_celery_tasks_published_total", task="tests.deploy.probe") == before + 1


def test_task_failure_reaches_sentry_with_the_tenant_tag_and_without_personal_data(in_tenant_a):
    transport = _Keep()
    init_sentry(
        dsn="https://public@sentry.example.invalid/1",
        environment="production",
        release="test",
        transport=transport,
    )
    try:
        with sentry_sdk.isolation_scope():
            sentry_sdk.set_tag("tenant", "public")  # whatever the caller had
            probe.apply(kwargs={"fail": True}, throw=False)
        sentry_sdk.flush()
    finally:
        sentry_sdk.init(dsn=None)
    events = [i.payload.json for e in transport.envelopes for i in e.items if i.type == "event"]
    failures = [e for e in events if e.get("exception")]
    assert failures, events
    event = failures[-1]
    assert event["tags"]["tenant"] == "coop_alpha"
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert NIK not in repr(event)


def test_metrics_endpoint_answers_on_any_host_without_tenant_lookup():
    # No django_db mark: any database access would fail the test.
    response = Client(HTTP_HOST="tidak-ada.example.org").get("/metrics")
    assert response.status_code == 200
    assert b"django_http_requests_before_middlewares_total" in response.content


def test_metrics_endpoint_wants_the_token_when_one_is_set(settings):
    settings.METRICS_TOKEN = "s3cret-token"
    client = Client(HTTP_HOST="localhost")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert response.status_code == 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_worker_metrics_server_serves_task_counts(in_tenant_a):
    from lumbung.metrics import start_worker_metrics_server

    probe.apply()
    port = _free_port()
    assert start_worker_metrics_server(port) is True
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    assert 'lumbung_celery_tasks_total{state="succeeded",task="tests.deploy.probe"}' in body
    # A taken port is reported, not fatal to the worker.
    assert start_worker_metrics_server(port) is False


def test_request_log_context_has_request_id_tenant_and_user(in_tenant_a, client_a, captured):
    from core.users.models import User

    admin = User.objects.get(username="admin@alpha.test")
    client_a.force_login(admin)
    response = client_a.get("/tidak-ada/", HTTP_X_REQUEST_ID="req-ctx-1")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "req-ctx-1"
    records = [r for r in captured if r["logger"] == "django.request"]
    assert records, captured
    record = records[-1]
    assert record["request_id"] == "req-ctx-1"
    assert record["tenant"] == "coop_alpha"
    assert record["user_id"] == str(admin.pk)


def test_request_id_from_outside_is_used_only_when_sane(client_public):
    response = client_public.get("/healthz", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    response = client_public.get("/healthz", HTTP_X_REQUEST_ID="x\nFAKE LOG LINE")
    assert response["X-Request-ID"] != "x\nFAKE LOG LINE"
    assert len(response["X-Request-ID"]) == 32


def test_anonymous_request_logs_no_user(client_a, captured):
    client_a.get("/tidak-ada/", HTTP_X_REQUEST_ID="req-anon-1")
    records = [r for r in captured if r.get("request_id") == "req-anon-1"]
    assert records and all(r["user_id"] == "-" for r in records)
