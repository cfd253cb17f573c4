"""Settings accept what operators type, and bad configuration stops start-up with one
line naming the variable and the fix: LOG_LEVEL in any case (`warning` used to stop every
gunicorn worker at boot with "Unknown level: 'warning'"), a DATABASE_URL whose socket
directory is percent-encoded or given as `?host=`, and `lumbung-dev demo` with a
DATABASE_URL or REDIS_URL that does not answer."""

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(DJANGO_SETTINGS_MODULE="lumbung.settings", **overrides)
    return env


def _django(code: str, *, setup: bool = True, **env: str) -> subprocess.CompletedProcess:
    """``code`` in a new Python with the environment ``env``: after ``django.setup()`` (apps
    loaded, logging configured), or with ``setup=False`` where reading the settings module
    is the whole point (it is imported on first access; the apps are not loaded)."""
    return subprocess.run(
        [sys.executable, "-c", ("import django; django.setup(); " if setup else "") + code],
        env=_env(**env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- LOG_LEVEL ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "level"),
    [("warning", "WARNING"), ("Info", "INFO"), (" debug ", "DEBUG"), ("warn", "WARNING")],
)
def test_log_level_in_any_case_starts_django(typed, level):
    result = _django(
        "import logging; from django.conf import settings; "
        "print(settings.LOG_LEVEL, logging.getLevelName(logging.getLogger().level))",
        LOG_LEVEL=typed,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == [level, level]


def test_a_log_level_that_is_none_is_refused_naming_the_variable():
    result = _django("pass", LOG_LEVEL="loud")
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert "LOG_LEVEL='loud' is not a log level" in last
    assert "DEBUG, INFO, WARNING, ERROR, CRITICAL" in last


def _gunicorn_conf(monkeypatch, value: str) -> dict:
    monkeypatch.setenv("LOG_LEVEL", value)
    return runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))


def test_gunicorn_takes_the_log_level_in_any_case(monkeypatch):
    conf = _gunicorn_conf(monkeypatch, "WARN")
    assert conf["loglevel"] == "warning"
    assert conf["logconfig_dict"]["loggers"]["gunicorn.error"]["level"] == "WARNING"


def test_gunicorn_refuses_a_bad_log_level_in_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "deploy" / "gunicorn.conf.py")],
        env=_env(LOG_LEVEL="verbose", GUNICORN_BIND="127.0.0.1:0"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "LOG_LEVEL='verbose' is not a log level: set LOG_LEVEL to one of "
        "DEBUG, INFO, WARNING, ERROR, CRITICAL (any case)."
    ]


# --- DATABASE_URL with a Unix socket directory ---------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "postgres://postgres@%2Fvar%2Frun%2Fpostgresql/lumbung",
        "postgres://postgres@/lumbung?host=/var/run/postgresql",
    ],
)
def test_a_socket_directory_reaches_host_intact(url):
    result = _django(
        "from django.conf import settings; d = settings.DATABASES['default']; "
        "print(d['HOST'], 'host' in d.get('OPTIONS', {}))",
        setup=False,  # the settings module parses DATABASE_URL; no app needs loading
        DATABASE_URL=url,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["/var/run/postgresql", "False"]


def test_django_connects_through_a_percent_encoded_socket_directory():
    from django.db import connection

    s = connection.settings_dict
    socket_dir = Path("/var/run/postgresql")
    if s["HOST"] not in ("", "127.0.0.1", "localhost") or not any(
        socket_dir.glob(f".s.PGSQL.{s['PORT'] or 5432}")
    ):
        pytest.skip(f"no PostgreSQL socket in {socket_dir} for this server")
    url = f"postgres://{s['USER']}@%2Fvar%2Frun%2Fpostgresql:{s['PORT'] or 5432}/postgres"
    result = _django(
        "from django.db import connection; connection.ensure_connection(); print('connected')",
        DATABASE_URL=url,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "connected"


# --- lumbung-dev demo: services named in the environment must answer -----------------------


def _lumbung_dev(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lumbung.devenv", *args],
        env=_env(**env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _reachable_database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/postgres"


def test_demo_stops_in_one_line_when_database_url_does_not_answer():
    result = _lumbung_dev("demo", DATABASE_URL="postgres://postgres@127.0.0.1:1/lumbung")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("[lumbung-dev] DATABASE_URL does not answer (")
    assert "unset it" in lines[0]
    assert "migrate" not in result.stdout  # nothing was started


def test_demo_stops_in_one_line_when_redis_url_refuses():
    result = _lumbung_dev(
        "demo", DATABASE_URL=_reachable_database_url(), REDIS_URL="redis://127.0.0.1:1/0"
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("[lumbung-dev] REDIS_URL does not answer (")
    assert "unset it" in lines[0]
    assert "migrate" not in result.stdout


# --- EMAIL_FILE_PATH ----------------------------------------------------------------------


def test_the_filebased_mail_backend_writes_where_email_file_path_says(tmp_path):
    """EMAIL_BACKEND=…filebased with EMAIL_FILE_PATH delivers into that folder (settings
    never read the variable: every mail task died with a TypeError from the backend)."""
    result = _django(
        "from django.core.mail import send_mail; "
        "print(send_mail('Subjek', 'Isi', 'a@lumbung.localhost', ['b@example.id']))",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(tmp_path / "mail"),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["1"]
    (written,) = (tmp_path / "mail").iterdir()
    assert "Subject: Subjek" in written.read_text()


def test_the_filebased_mail_backend_without_a_folder_is_refused_naming_the_variable():
    result = _django(
        "from django.conf import settings; settings.EMAIL_BACKEND",
        setup=False,
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH="",
    )
    assert result.returncode != 0
    assert "EMAIL_FILE_PATH" in result.stderr.strip().splitlines()[-1]
