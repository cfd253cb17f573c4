"""Django's Redis cache backend with one Redis client per connection pool.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` object around the
(kept) connection pool on every cache call; building it is half the CPU of a cache read
(the tenant lookup of every request, tenants.host_cache). A ``redis.Redis`` object over
a pool is safe to share, and Django keeps one cache backend per thread anyway: here it is
built once per pool and reused. Everything else (pools, serialisation, timeouts, errors)
is Django's."""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _SharedClientRedisCacheClient
