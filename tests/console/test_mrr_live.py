"""The console's MRR follows billing at once: a cooperative archived (or suspended, paid,
reactivated) counts as it now bills in the overview total and the tenants list, not as it
did at the last statistics refresh. Asking for a refresh now is audited."""

from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Subscription
from core.audit.models import AuditEvent
from lumbung.console import selectors
from lumbung.console import services as console
from lumbung.console.models import TenantStats
from lumbung.console.stats import stats_refresh_one
from tests.billing.conftest import pay_by_bank

pytestmark = pytest.mark.django_db


def _paying(tenant, operators) -> Subscription:
    Subscription.objects.filter(cooperative=tenant).update(trial_ends_at=timezone.now())
    sub = Subscription.objects.get(cooperative=tenant)
    pay_by_bank(sub, "sedang", "month", operators["billing"])
    stats_refresh_one(cooperative=tenant)
    return sub


def _mrr_of(tenant) -> Decimal:
    return TenantStats.objects.get(cooperative=tenant).mrr


def test_archiving_takes_the_cooperative_out_of_the_mrr_at_once(tenant_a, operators):
    _paying(tenant_a, operators)
    monthly = _mrr_of(tenant_a)
    assert monthly > 0
    total = selectors.overview()["mrr"]

    console.tenant_archive(operator=operators["admin"], cooperative=tenant_a, reason="tutup")

    assert _mrr_of(tenant_a) == 0
    assert selectors.overview()["mrr"] == total - monthly


def test_a_payment_and_a_reactivation_count_at_once(tenant_a, operators):
    Subscription.objects.filter(cooperative=tenant_a).update(trial_ends_at=timezone.now())
    stats_refresh_one(cooperative=tenant_a)
    assert _mrr_of(tenant_a) == 0
    total = selectors.overview()["mrr"]

    sub = Subscription.objects.get(cooperative=tenant_a)
    paid = pay_by_bank(sub, "sedang", "month", operators["billing"])

    assert _mrr_of(tenant_a) == paid.dpp
    assert selectors.overview()["mrr"] == total + paid.dpp
    console.tenant_suspend(operator=operators["admin"], cooperative=tenant_a, reason="cek")
    assert _mrr_of(tenant_a) == 0
    console.tenant_reactivate(operator=operators["admin"], cooperative=tenant_a, reason="ok")
    assert _mrr_of(tenant_a) == paid.dpp


def test_mrr_follows_a_cooperative_never_refreshed_yet(tenant_a, operators):
    TenantStats.objects.filter(cooperative=tenant_a).delete()
    Subscription.objects.filter(cooperative=tenant_a).update(trial_ends_at=timezone.now())
    sub = Subscription.objects.get(cooperative=tenant_a)
    paid = pay_by_bank(sub, "sedang", "month", operators["billing"])
    assert _mrr_of(tenant_a) == paid.dpp


def test_refresh_statistics_now_is_audited(op_clients, operators):
    resp = op_clients["support"].post("/konsol/statistik/perbarui/", {"next": "/konsol/"})
    assert resp.status_code == 302
    event = AuditEvent.objects.get(action="console.stats_refresh_requested")
    assert event.actor_id == operators["support"].pk
    assert event.created_at is not None
