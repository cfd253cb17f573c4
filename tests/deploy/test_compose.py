"""deploy/docker-compose.yml: valid Compose (the compose_spec parser, strict about unknown
keys), every service the platform needs, healthchecks, volumes, start order."""

import re
from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
APP_SERVICES = {"web", "worker", "beat", "migrate"}

_VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def env_example() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / ".env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
    return values


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's variable substitution: ${VAR}, ${VAR:-default}, ${VAR-default},
    ${VAR:?error}, ${VAR?error}; `$$` is a literal `$`."""

    def sub(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.groups()
        value = env.get(name)
        if op in (":-", ":?") and value == "":
            value = None
        if value is not None:
            return value
        if op in (":-", "-"):
            return arg
        if op in (":?", "?"):
            raise ValueError(f"compose would stop: {name}: {arg}")
        return ""

    return _VAR.sub(sub, text)


@pytest.fixture(scope="module")
def compose_text() -> str:
    return interpolate((DEPLOY / "docker-compose.yml").read_text(), env_example())


@pytest.fixture(scope="module")
def compose(compose_text) -> dict:
    from compose_spec import PyOptions

    parsed = PyOptions(apply_merge=True).from_yaml(compose_text)  # raises on invalid files
    parsed.validate()
    return parsed.to_dict()


def test_compose_file_is_valid_compose(compose):
    assert set(compose["services"]) == {"db", "redis", "pgbouncer", *APP_SERVICES}


def test_pgbouncer_is_an_opt_in_profile_in_transaction_mode(compose):
    bouncer = compose["services"]["pgbouncer"]
    assert bouncer["profiles"] == ["pgbouncer"]
    assert bouncer["environment"]["POOL_MODE"] == "transaction"
    # The app stays on PostgreSQL in session mode unless DB_HOST/DB_POOL_MODE say otherwise.
    assert compose["services"]["web"]["environment"]["DB_POOL_MODE"] == "session"


def test_compose_parser_rejects_an_unknown_key(compose_text):
    from compose_spec import PyOptions

    broken = compose_text.replace("  web:\n", "  web:\n    restart_policy: always\n", 1)
    with pytest.raises(ValueError, match="restart_policy"):
        PyOptions(apply_merge=True).from_yaml(broken)


def test_compose_needs_the_database_password():
    env = env_example()
    del env["POSTGRES_PASSWORD"]
    with pytest.raises(ValueError, match="POSTGRES_PASSWORD"):
        interpolate((DEPLOY / "docker-compose.yml").read_text(), env)


def test_app_services_share_one_image_and_run_their_role(compose):
    services = compose["services"]
    images = {services[name]["image"] for name in APP_SERVICES}
    assert images == {"lumbung:latest"}
    for name in APP_SERVICES:
        assert services[name]["command"] == [name]
        assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile"
        assert services[name]["read_only"] is True
        assert services[name]["tmpfs"] == ["/tmp"]
        assert services[name]["env_file"] in (".env", [".env"])
        env = services[name]["environment"]
        assert env["DATABASE_URL"] == "postgres://lumbung:change-me-db-password@db:5432/lumbung"
        assert env["REDIS_URL"] == "redis://redis:6379/0"


def _check(service: dict) -> str:
    test = service["healthcheck"]["test"]  # CMD-SHELL checks come back as one string
    return test if isinstance(test, str) else " ".join(test)


def test_healthchecks_cover_database_broker_web_and_worker(compose):
    services = compose["services"]
    assert "pg_isready -U lumbung" in _check(services["db"])
    assert _check(services["redis"]) == "CMD redis-cli ping"
    assert "/readyz" in _check(services["web"])
    assert "inspect ping --destination celery@$HOSTNAME" in _check(services["worker"])


def test_app_waits_for_healthy_services_and_finished_migrations(compose):
    services = compose["services"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        deps = services[name]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully"
        assert deps["redis"]["condition"] == "service_healthy"
    assert services["beat"]["deploy"]["replicas"] == 1


def test_named_volumes_are_declared_and_used(compose):
    declared = set(compose["volumes"])
    used = set()
    for service in compose["services"].values():
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0] if isinstance(mount, str) else mount["source"]
            if not source.startswith((".", "/")):
                used.add(source)
    assert used == declared == {"pgdata", "redisdata", "media"}
    assert "pgdata:/var/lib/postgresql/data" in compose["services"]["db"]["volumes"]


def test_web_port_is_published(compose):
    assert compose["services"]["web"]["ports"] == ["8000:8000"]


def test_compose_file_is_plain_yaml_too():
    # docker compose v1 and other tools read it with a YAML 1.1 parser.
    data = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    assert data["name"] == "lumbung"
