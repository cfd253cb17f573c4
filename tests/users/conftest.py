from tests.webapp.conftest import _own_cache_keys, role_client, role_users  # noqa: F401
