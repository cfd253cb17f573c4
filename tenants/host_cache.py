"""The hostname → cooperative lookup of every request, cached.

django-tenants' ``TenantMainMiddleware`` reads ``Domain`` joined to ``Cooperative`` on
every request. ``CachedTenantMainMiddleware`` (lumbung.middleware) keeps that row in the
shared cache (Redis, so every worker sees an invalidation) for ``TTL`` seconds. Saving or
deleting a cooperative or a domain drops its entries (signals below); the queryset
``update()`` calls that change a cooperative (billing status, practice copy) call
``host_cache_clear`` themselves. Redis down: the lookup goes to the database.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import transaction

log = logging.getLogger(__name__)

TTL = 60  # seconds; a missed invalidation is never older than this
PREFIX = "tenant-host:"


def _key(hostname: str) -> str:
    return PREFIX + hostname.lower()


def host_cache_get(hostname: str):
    try:
        return cache.get(_key(hostname))
    except Exception:  # Redis down: the database answers
        log.warning("tenant host cache unavailable", exc_info=True)
        return None


def host_cache_set(hostname: str, tenant) -> None:
    try:
        cache.set(_key(hostname), tenant, TTL)
    except Exception:
        log.warning("tenant host cache unavailable", exc_info=True)


def host_cache_clear(*, cooperative_id: int | None = None, hostnames=()) -> None:
    """Drop the cached lookups of a cooperative's domains (and of ``hostnames``)."""
    from .models import Domain

    names = {h.lower() for h in hostnames}
    if cooperative_id is not None:
        names.update(
            d.lower()
            for d in Domain.objects.filter(tenant_id=cooperative_id).values_list(
                "domain", flat=True
            )
        )
    if not names:
        return
    keys = [_key(h) for h in names]

    def drop() -> None:
        try:
            cache.delete_many(keys)
        except Exception:
            log.warning("tenant host cache unavailable", exc_info=True)

    drop()
    # again after commit: a request between the two may have cached the old row
    transaction.on_commit(drop)


def _cooperative_changed(sender, instance, **kwargs) -> None:
    host_cache_clear(cooperative_id=instance.pk)


def _domain_changed(sender, instance, **kwargs) -> None:
    host_cache_clear(cooperative_id=instance.tenant_id, hostnames=[instance.domain])


def connect() -> None:
    from django.db.models.signals import post_delete, post_save, pre_delete

    from .models import Cooperative, Domain

    post_save.connect(_cooperative_changed, sender=Cooperative, dispatch_uid="host_cache.coop")
    # before the delete, while the cooperative's domains can still be listed
    pre_delete.connect(_cooperative_changed, sender=Cooperative, dispatch_uid="host_cache.coopd")
    post_save.connect(_domain_changed, sender=Domain, dispatch_uid="host_cache.domain")
    post_delete.connect(_domain_changed, sender=Domain, dispatch_uid="host_cache.domaind")
