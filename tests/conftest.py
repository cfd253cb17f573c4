"""Test set-up shared by every app.

Tenant schemas are created once per test session (per xdist worker, each of which has
its own test database): cooperative A (`alpha`) and B (`beta`). Each test runs inside a
transaction that is rolled back, so tests share the schemas cheaply.

Fixtures:
- ``tenant_a`` / ``tenant_b``: the Cooperative rows.
- ``in_tenant_a`` / ``in_tenant_b``: the DB connection points at that schema for the
  test (needs ``db``; resets to public after).
- ``client_a`` / ``client_b`` / ``client_public``: Django test clients whose requests go
  to that cooperative's host (or the apex).
- ``admin_a_password``: the password of each cooperative's first admin (``admin@<slug>.test``).
- ``today`` / ``today_is``: the cooperative's real today, whatever day the suite runs on;
  ``today_is(day)`` fixes it for one test (see ``tests/test_any_day.py``).
"""

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# Property tests judge what is generated, not how fast: on a shared 2-core machine (CI runs
# two workers plus PostgreSQL) Hypothesis' timing checks fail healthy tests at random.
hypothesis_settings.register_profile(
    "lumbung", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("lumbung")


def _committing_tests_need_the_test_database() -> None:
    """pytest-django creates the test database only for tests that use ``db`` (or the
    marker); a run of tests that all commit for real (``scratch_tenant``, which needs
    ``django_db_setup`` only) would otherwise talk to the development database. Count
    every test that needs ``django_db_setup`` too."""
    import pytest_django.fixtures as fixtures

    original = fixtures._get_databases_for_setup

    def databases_for_setup(items):
        aliases, serialized = original(items)
        if any("django_db_setup" in getattr(i, "fixturenames", ()) for i in items):
            aliases = {*aliases, "default"}
        return aliases, serialized

    fixtures._get_databases_for_setup = databases_for_setup


_committing_tests_need_the_test_database()


def pytest_collection_modifyitems(config, items):
    """Longest files first (``tests/file_weights.py``): every worker sorts the same
    way, so their collections stay identical."""
    from tests import file_weights

    weights = file_weights.load()
    items[:] = sorted(items, key=lambda item: -weights.get(item.nodeid.split("::", 1)[0], 0))


def pytest_sessionfinish(session):
    """The bench smoke tests' databases (tests/bench_run.py): each process waits for the
    drops of its smoke runs' own databases; the shared migrated one is dropped once the
    whole run is over, by xdist's controller (its workers may all have used it) or by the
    one process of a run without xdist."""
    from tests.bench_run import bench_template_drop, smoke_databases_dropped

    try:
        smoke_databases_dropped()
    finally:
        if not hasattr(session.config, "workerinput"):
            bench_template_drop()


TENANTS = {"a": "alpha", "b": "beta"}
ADMIN_PASSWORD = "Rahasia-123!"


def _host(slug: str) -> str:
    from tenants.services import tenant_host

    return tenant_host(slug)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from tenants.models import Cooperative
    from tenants.services import cooperative_create, public_tenant_ensure

    with django_db_blocker.unblock():
        public_tenant_ensure()
        for slug in TENANTS.values():
            if not Cooperative.objects.filter(slug=slug).exists():
                cooperative_create(
                    slug=slug,
                    name=f"KPRI {slug.title()}",
                    admin_email=f"admin@{slug}.test",
                    admin_password=ADMIN_PASSWORD,
                    actor="tests",
                )
        connection.set_schema_to_public()
    yield


@pytest.fixture(autouse=True)
def _reset_schema():
    yield
    connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language (Bahasa Indonesia). Django's
    LocaleMiddleware activates the request's language on the thread and never
    deactivates it, so a test that sent the English cookie would leave English active
    for whatever test runs next on the same worker."""
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_tenant_host_cache():
    """Each test starts with no cached host lookups (tenants.host_cache): the previous
    test's writes were rolled back, so rows it cached may never have existed."""
    from tenants.host_cache import tenant_host_cache_reset

    tenant_host_cache_reset()
    yield


@pytest.fixture
def admin_password() -> str:
    return ADMIN_PASSWORD


def _tenant(slug):
    from tenants.models import Cooperative

    return Cooperative.objects.get(slug=slug)


@pytest.fixture
def tenant_a(db):
    return _tenant(TENANTS["a"])


@pytest.fixture
def tenant_b(db):
    return _tenant(TENANTS["b"])


@pytest.fixture
def in_tenant_a(tenant_a):
    connection.set_tenant(tenant_a)
    yield tenant_a
    connection.set_schema_to_public()


@pytest.fixture
def in_tenant_b(tenant_b):
    connection.set_tenant(tenant_b)
    yield tenant_b
    connection.set_schema_to_public()


@pytest.fixture
def client_a(tenant_a) -> Client:
    return Client(HTTP_HOST=_host(TENANTS["a"]))


@pytest.fixture
def client_b(tenant_b) -> Client:
    return Client(HTTP_HOST=_host(TENANTS["b"]))


@pytest.fixture
def client_public(db) -> Client:
    from django.conf import settings

    return Client(HTTP_HOST=settings.BASE_DOMAIN)


@pytest.fixture
def scratch_tenant(django_db_setup, django_db_blocker):
    """A cooperative of its own whose writes really commit (no wrapping transaction), for
    tests that need several connections (concurrency) or commit hooks. Do not combine
    with ``db``. Threads must close their connections (``connection.close()``) when done.
    The schema is dropped afterwards."""
    import uuid

    from tenants.services import cooperative_create, cooperative_discard

    with django_db_blocker.unblock():
        slug = f"scratch-{uuid.uuid4().hex[:8]}"
        made = cooperative_create(
            slug=slug,
            name=f"KPRI {slug}",
            admin_email=f"admin@{slug}.test",
            admin_password=ADMIN_PASSWORD,
            actor="tests",
        )
        connection.set_schema_to_public()
        try:
            yield made.cooperative
        finally:
            connection.set_schema_to_public()
            cooperative_discard(cooperative=made.cooperative)


@pytest.fixture
def today():
    """The cooperative's today (``timezone.localdate()``: Asia/Jakarta's date), for tests
    that date postings. It is the real day the suite runs on, which may be any day of
    the year (CI runs on 1 January and on 29 February too): a test that needs a month
    already ended, a year already begun or a date not in the future derives it from this
    day, or fixes the day with ``today_is``."""
    return timezone.localdate()


@pytest.fixture
def today_is(monkeypatch):
    """``today_is(date(2027, 2, 1))``: from then on the cooperative's today
    (``timezone.localdate()`` with no argument, as every service asks for it) is that
    day, for the rest of the test; returns it. ``timezone.now()`` and PostgreSQL's clock
    stay real, so use a day on or after the tenants' first fiscal year (this year)."""
    real_localdate = timezone.localdate

    def set_day(day):
        def localdate(value=None, timezone=None):
            if value is None:
                return day
            return real_localdate(value, timezone)

        monkeypatch.setattr(timezone, "localdate", localdate)
        return day

    return set_day


@pytest.fixture
def celery_eager():
    """Celery tasks run in-process when queued, as without a broker (the worker's work,
    done at once: the e-mail a mail task sends is in ``mail.outbox``). Errors a task lets
    out are raised (``task_eager_propagates``), so a test sees them."""
    from lumbung.celery import app

    old = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = old


@pytest.fixture
def committed(celery_eager, django_capture_on_commit_callbacks):
    """``with committed(): client.post(...)``: when the block ends, the commit callbacks
    of what ran in it run (each test is one transaction that is rolled back, so they
    would not otherwise), and the tasks they queue run at once (``celery_eager``)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def queued_tasks(monkeypatch):
    """Tasks sent to the broker are recorded instead of sent: each with its name, its
    arguments and the schema tenant-schemas-celery put on the message (the cooperative
    it will run in). ``run_queued(task)`` then runs one as a worker would: from the
    public schema, switched to the message's schema by tenant-schemas-celery."""
    from types import SimpleNamespace

    import celery

    from lumbung.celery import app

    sent: list[SimpleNamespace] = []

    def send_task(self, name, args=None, kwargs=None, **options):
        headers = options.get("headers") or {}
        sent.append(
            SimpleNamespace(
                name=name,
                args=tuple(args or ()),
                kwargs=dict(kwargs or {}),
                schema=headers.get("_schema_name"),
            )
        )
        return self.AsyncResult(options.get("task_id") or "queued")

    monkeypatch.setattr(app.conf, "task_always_eager", False)
    monkeypatch.setattr(celery.Celery, "send_task", send_task)
    return sent


def run_queued(task, *, propagate: bool = True):
    """Run a task recorded by ``queued_tasks`` as a worker would: from the public schema,
    in the schema its message names; its commit callbacks run when it ends, in that
    schema, as a worker's transaction commits inside the task (the tasks they queue are
    recorded in turn)."""
    from django.test import TestCase
    from django_tenants.utils import schema_context

    from lumbung.celery import app

    connection.set_schema_to_public()
    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        result = app.tasks[task.name].apply(
            args=task.args,
            kwargs=task.kwargs,
            headers={"_schema_name": task.schema},
            throw=propagate,
        )
    with schema_context(task.schema):
        for callback in callbacks:
            callback()
    connection.set_schema_to_public()
    return result
