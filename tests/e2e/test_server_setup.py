"""The browser tests' server must run against this run's test database, never the
developer's. (Also makes pytest-django create the test database when tests/e2e runs
alone: the journeys themselves use scratch tenants, not the ``db`` fixture.)"""

from django.db import connection

from tests.e2e.conftest import _db_url


def test_server_database_is_the_test_database(db):
    url = _db_url(connection.settings_dict)
    assert url.rsplit("/", 1)[1].startswith("test_")
