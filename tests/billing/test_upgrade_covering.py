"""Which upgrade carries a renewal's difference is one rule (billing.selectors): the
billing page (every invoice at once) and the services (one invoice) read it alike."""

from billing import selectors, services
from billing.models import Invoice, Plan
from tests.billing.test_credit import _period_begins, _renewal_and_upgrade_paid
from tests.billing.test_upgrade_awaiting_renewal import _page


def test_a_credited_difference_is_no_longer_shown_as_billed_by_the_upgrade(
    tenant_a, operator, clock, client_a, admin_a
):
    """The renewal and an upgrade's difference for its period are paid, then the
    cooperative goes back to the renewal's plan: the difference is credited when the
    period begins, so the upgrade no longer carries it, on the page as in the services."""
    sub, renewal, upgrade = _renewal_and_upgrade_paid(tenant_a, operator, clock)
    page = _page(client_a, tenant_a, admin_a)
    assert f"selisih ke paket Besar ditagih pada {upgrade.number}" in page

    services.plan_change(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="year", by="admin"
    )
    _period_begins(clock, renewal)
    assert services.credit_balance(subscription=sub) > 0  # the difference was credited
    page = _page(client_a, tenant_a, admin_a)
    assert "selisih ke paket Besar ditagih pada" not in page

    renewal = Invoice.objects.get(pk=renewal.pk)
    assert selectors.invoice_upgrade_covering(invoice=renewal) is None
    assert selectors.invoice_upgrades_covering(subscription=sub) == {}
    assert selectors.invoice_numbers_covered_by(subscription=sub, upgrade=upgrade) == []
