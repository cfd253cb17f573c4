"""Plan limits enforced where a thing is created. ``staff_user_limit_check`` is in
settings.USER_CREATE_CHECKS (core.users calls it; core never imports billing)."""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext as _

from billing.errors import BillingErrors
from core.common.errors import ApplicationError
from core.users.selectors import staff_people
from tenants.services import tenant_url

from .models import Subscription


def staff_users_allowed(subscription: Subscription) -> int | None:
    """The plan's staff-user limit (``limits.staff_users``); None = no limit."""
    limit = (subscription.plan.limits or {}).get("staff_users")
    return int(limit) if limit is not None else None


def staff_user_limit_check(*, role: str, staff: bool) -> None:
    """Refuse a new staff login beyond the plan's limit, with the link to upgrade.
    Runs in the cooperative's schema (the users counted are that cooperative's)."""
    tenant = getattr(connection, "tenant", None)
    if not staff or tenant is None or getattr(tenant, "schema_name", "public") == "public":
        return
    if getattr(tenant, "is_practice", False):  # practice copies use no plan seats
        return
    sub = Subscription.objects.select_related("plan").filter(cooperative_id=tenant.pk).first()
    if sub is None:
        return
    limit = staff_users_allowed(sub)
    if limit is None:
        return
    # API keys act through users of their own and Lumbung's support look-in through a
    # pengawas of its own: they are not people and use no seat.
    count = staff_people().filter(is_active=True).count()
    if count >= limit:
        url = tenant_url(tenant.slug).rstrip("/") + "/langganan/"
        raise ApplicationError(
            BillingErrors.PLAN_STAFF_LIMIT,
            _(
                "Paket %(plan)s hanya untuk %(limit)s pengguna pengurus dan koperasi sudah "
                "memiliki %(count)s. Naikkan paket untuk menambah pengguna: %(url)s"
            )
            % {"plan": sub.plan.name, "limit": limit, "count": count, "url": url},
            fields={"role": [_("Batas pengguna pengurus paket tercapai.")]},
        )
