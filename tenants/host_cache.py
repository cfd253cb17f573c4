"""The host → cooperative lookup of every request, cached in Django's cache (Redis in
production, shared by every web process).

django-tenants' ``TenantMainMiddleware`` reads ``Domain`` joined to ``Cooperative`` on
each request; ``tenants.middleware.CachedTenantMiddleware`` asks here first.

- The key names the database (``connection.settings_dict["NAME"]``): two databases that
  share one Redis (test workers, a bench next to development) never see each other's
  entries.
- What is kept is the cooperative's row (its column values), rebuilt as an unsaved-state
  model instance; it is dropped whenever a domain or the cooperative changes: saving or
  deleting a ``Domain`` or a ``Cooperative`` (signals, connected in ``TenantsConfig``)
  and the writes that use ``QuerySet.update`` (``tenant_host_forget``, called by the
  services that do so). It is dropped at once and again after the commit, so a request
  that read the old row meanwhile cannot keep it. A suspension takes effect on the next
  request.
- Entries live ``TENANT_HOST_CACHE_SECONDS`` (300 s) at most; 0 turns the cache off.
- A host that is not ours (a scanner asking for the server's IP address, a mistyped
  name) is remembered as missing for ``TENANT_HOST_MISS_SECONDS`` (30 s), so the same
  wrong host sent again and again costs no query; adding that domain drops the entry
  like any other change.
- The cache unreachable: the lookup goes to the database, the request is served.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from redis.exceptions import RedisError

from .models import Cooperative, Domain

log = logging.getLogger(__name__)

# Replaced by tenant_host_cache_reset with a token of its own (tests: each test starts
# from an empty cache, its rolled-back writes never happened, and a later run on a
# re-created test database of the same name never reads this one's entries). Every
# process starts at "0", so web and worker processes share entries and invalidations.
_generation = "0"
_FIELDS = [f.attname for f in Cooperative._meta.concrete_fields]


def _timeout() -> int:
    return int(getattr(settings, "TENANT_HOST_CACHE_SECONDS", 300))


def _miss_timeout() -> int:
    return min(_timeout(), int(getattr(settings, "TENANT_HOST_MISS_SECONDS", 30)))


_MISSING = "missing"  # the cached answer for a host of no cooperative


def _key(host: str) -> str:
    return f"tenant-host:{connection.settings_dict['NAME']}:{_generation}:{host}"


def _cache_get(key: str):
    try:
        return cache.get(key)
    except (RedisError, OSError) as exc:
        log.warning("Tenant host cache unavailable (read): %s", exc)
        return None


def _cache_set(key: str, value, timeout: int | None = None) -> None:
    try:
        cache.set(key, value, timeout=_timeout() if timeout is None else timeout)
    except (RedisError, OSError) as exc:
        log.warning("Tenant host cache unavailable (write): %s", exc)


def _cache_delete(keys: list[str]) -> None:
    if not keys:
        return
    try:
        cache.delete_many(keys)
    except (RedisError, OSError) as exc:
        log.warning("Tenant host cache unavailable (delete): %s", exc)


def tenant_for_host(host: str) -> Cooperative:
    """The cooperative served at ``host`` (raises ``Domain.DoesNotExist``)."""
    if _timeout() <= 0:
        return Domain.objects.select_related("tenant").get(domain=host).tenant
    key = _key(host)
    values = _cache_get(key)
    if values == _MISSING:
        raise Domain.DoesNotExist(f"No cooperative at {host!r} (cached).")
    if values is not None:
        return Cooperative.from_db(connection.alias, _FIELDS, values)
    try:
        tenant = Domain.objects.select_related("tenant").get(domain=host).tenant
    except Domain.DoesNotExist:
        if _miss_timeout() > 0:
            _cache_set(key, _MISSING, timeout=_miss_timeout())
        raise
    _cache_set(key, [getattr(tenant, name) for name in _FIELDS])
    return tenant


def _forget_hosts(hosts: list[str]) -> None:
    keys = [_key(h) for h in hosts if h]
    _cache_delete(keys)
    if keys and connection.in_atomic_block:
        transaction.on_commit(lambda: _cache_delete(keys))


def tenant_host_forget(*, cooperative_id: int | None = None, hosts: list[str] = ()) -> None:
    """Drop the cached lookups of ``hosts`` and of every domain of the cooperative."""
    names = list(hosts)
    if cooperative_id is not None:
        names += list(
            Domain.objects.filter(tenant_id=cooperative_id).values_list("domain", flat=True)
        )
    _forget_hosts(sorted(set(names)))


def tenant_host_cache_reset() -> None:
    """Forget every entry of this process's view of the cache (tests)."""
    global _generation
    _generation = uuid.uuid4().hex[:12]


# -- signals (connected in TenantsConfig.ready) -----------------------------------------


def domain_pre_save(sender, instance: Domain, **kwargs) -> None:
    # A renamed domain: its old host must stop resolving at once.
    if instance.pk:
        old = Domain.objects.filter(pk=instance.pk).values_list("domain", flat=True).first()
        if old and old != instance.domain:
            _forget_hosts([old])


def domain_changed(sender, instance: Domain, **kwargs) -> None:
    _forget_hosts([instance.domain])


def cooperative_changed(sender, instance: Cooperative, **kwargs) -> None:
    if instance.pk:
        tenant_host_forget(cooperative_id=instance.pk)
