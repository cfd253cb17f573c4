"""The worker role for real: `deploy/entrypoint.sh worker` (prefork pool) in production
mode against this session's test database and the test Redis, on a queue of its own. A
task sent from cooperative A's context runs in A's schema; the worker's metrics endpoint
(multi-process: the count comes from the pool child) shows it; its JSON log names the task
id and the tenant; and the chart's liveness command (`celery inspect ping --destination`)
succeeds against it."""

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from lumbung.celery import app
from tests.deploy.test_gunicorn import ROOT, _free_port, production_env

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _metrics(port: int) -> str:
    return urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("worker")
    suffix = uuid.uuid4().hex[:8]
    queue, node = f"deploy-test-{suffix}", f"deploytest-{suffix}@localhost"
    port = _free_port()
    with django_db_blocker.unblock():
        env = production_env(
            CELERY_QUEUES=queue,
            CELERY_CONCURRENCY="1",
            CELERY_METRICS_PORT=str(port),
            PROMETHEUS_MULTIPROC_DIR=str(tmp / "prometheus"),
        )
    log = tmp / "worker.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            ["bash", str(ROOT / "deploy" / "entrypoint.sh"), "worker", "--hostname", node],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 90  # a loaded CI machine
        while True:  # the metrics server starts when the worker is ready
            try:
                _metrics(port)
                break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"worker did not start:\n{log.read_text()[-4000:]}")
            time.sleep(0.3)
        yield {"queue": queue, "node": node, "port": port, "log": log, "env": env}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_task_runs_in_its_tenant_and_is_counted_and_logged(worker, in_tenant_a):
    task_id = uuid.uuid4().hex
    # Sent from cooperative A's context: tenant-schemas-celery adds the schema header.
    app.send_task("celery.accumulate", args=[1, 2], queue=worker["queue"], task_id=task_id)

    pattern = re.compile(
        r'^lumbung_celery_tasks_total\{state="succeeded",task="celery.accumulate"\} (\S+)$', re.M
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = pattern.search(_metrics(worker["port"]))
        if found and float(found.group(1)) >= 1:
            break
        time.sleep(0.3)
    else:
        pytest.fail(f"task not counted:\n{Path(worker['log']).read_text()[-3000:]}")

    records = [
        json.loads(line)
        for line in Path(worker["log"]).read_text().splitlines()
        if line.startswith("{")
    ]
    mine = [r for r in records if r.get("task_id") == task_id]
    assert mine, records[-10:]
    assert all(r["tenant"] == "coop_alpha" for r in mine)
    assert all(r["service"] == "worker" for r in mine)
    assert any("succeeded" in r["message"] for r in mine)
    # Outside the task: no task id.
    assert any(r["task_id"] == "-" for r in records)


def test_liveness_command_pings_this_worker(worker):
    command = f"celery --app lumbung inspect ping --destination {worker['node']} --timeout 10"
    result = subprocess.run(
        ["sh", "-c", command],
        cwd=ROOT,
        env=worker["env"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pong" in result.stdout
    missing = subprocess.run(
        ["sh", "-c", command.replace(worker["node"], "nobody@nowhere").replace("10", "2")],
        cwd=ROOT,
        env=worker["env"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode != 0  # a dead worker fails the probe
