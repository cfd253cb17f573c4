"""A suspension an operator made is lifted only by an operator, also once the daily sweep
has archived the cooperative (suspended longer than the archive days): a payment
confirmed then is recorded, and the cooperative stays archived until "Aktifkan kembali"."""

from django.utils import timezone

from billing import services
from billing.models import Invoice, Plan, Subscription
from tenants.models import Cooperative
from tests.billing.conftest import confirm_transfer


def _operator_suspended_then_archived(tenant_a, operator, clock) -> Subscription:
    sub = Subscription.objects.get(cooperative=tenant_a)
    services.subscription_status_override(
        subscription=sub, status="suspended", operator=operator, reason="Dugaan penyalahgunaan"
    )
    clock.advance(days=200)
    services.billing_sweep(now=clock.now)
    sub.refresh_from_db()
    assert sub.status == "archived" and sub.suspended_by_operator
    return sub


def test_a_transfer_confirmed_for_an_archived_cooperative_an_operator_suspended_keeps_it_archived(
    tenant_a, operator, clock
):
    sub = _operator_suspended_then_archived(tenant_a, operator, clock)
    inv = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="month", by="t"
    )

    services.bank_transfer_confirm(invoice=inv, operator=operator)

    sub.refresh_from_db()
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.PAID  # the payment is recorded
    assert sub.status == "archived" == Cooperative.objects.get(pk=tenant_a.pk).status
    assert sub.suspended_by_operator
    # the period it bought runs from today (nothing else was covered)
    assert inv.period_start == timezone.localdate(clock.now)
    assert timezone.localdate(sub.current_period_end) == inv.period_end


def test_the_confirm_screen_says_an_archived_cooperative_an_operator_suspended_stays_so(
    client_public, tenant_a, operator, clock
):
    from tests.billing.conftest import login_operator

    sub = _operator_suspended_then_archived(tenant_a, operator, clock)
    inv = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="month", by="t"
    )
    login_operator(client_public, operator)

    page = confirm_transfer(client_public, inv)

    text = " ".join(page.content.decode().split())
    assert "dikonfirmasi" in text
    # archived, not "suspended": the operator's suspension, then the sweep's archive
    assert "ditangguhkan oleh operator lalu diarsipkan otomatis setelah lebih dari" in text
    assert "Alasan penangguhan: Dugaan penyalahgunaan." in text
    assert "Aktifkan kembali di konsol" in text
    assert "tetap ditangguhkan" not in text
