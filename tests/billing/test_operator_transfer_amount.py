"""*Konfirmasi transfer diterima* takes the amount the bank statement shows (filled in
with what is still to be transferred) and records it (billing.bank_transfer_receive):
the amount due pays the invoice; less leaves it open for the rest; more pays it and
the excess is the cooperative's credit. An amount refused changes nothing."""

import re
from decimal import Decimal

import pytest

from billing import services
from billing.models import CreditEntry, Invoice, Plan, Subscription
from core.common.money import format_rupiah
from tests.console.conftest import verified_client

pytestmark = pytest.mark.django_db


def _invoice(tenant) -> Invoice:
    sub = Subscription.objects.get(cooperative=tenant)
    return services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="year", by="t"
    )


def _text(response) -> str:
    return " ".join(response.content.decode().split())


def _step(client, inv):
    url = f"/billing/operator/transfer/{inv.pk}/konfirmasi/"
    page = client.get(url).content.decode()
    seen = re.search(r'name="proof_seen" value="([^"]*)"', page).group(1)
    amount = re.search(r'name="amount" value="([^"]*)"', page)
    return url, seen, page, amount


def test_the_screen_asks_the_amount_received_filled_with_what_is_due(tenant_a, operator):
    inv = _invoice(tenant_a)
    _url, _seen, page, amount = _step(verified_client(operator), inv)
    assert amount is not None, "the screen has an amount field"
    assert amount.group(1) == format_rupiah(inv.amount_due).removeprefix("Rp ")
    assert "record_payment" not in page  # one screen: no detour to the console's tool


def test_the_amount_due_pays_the_invoice(tenant_a, operator):
    inv = _invoice(tenant_a)
    client = verified_client(operator)
    url, seen, _page, amount = _step(client, inv)
    done = client.post(
        url, {"note": "", "proof_seen": seen, "amount": amount.group(1)}, follow=True
    )
    assert f"Pembayaran {inv.number} dikonfirmasi." in _text(done)
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.PAID


def test_less_than_due_is_recorded_and_the_invoice_stays_open_for_the_rest(tenant_a, operator):
    inv = _invoice(tenant_a)
    client = verified_client(operator)
    url, seen, _page, _amount = _step(client, inv)
    done = client.post(
        url, {"note": "mutasi BRI", "proof_seen": seen, "amount": "100.000"}, follow=True
    )
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.OPEN
    assert inv.amount_due == inv.amount - Decimal(100_000)
    assert (
        f"Transfer Rp 100.000 untuk tagihan {inv.number} dicatat. Tagihan tetap terbuka: "
        f"sisa yang perlu ditransfer {format_rupiah(inv.amount_due)}."
    ) in _text(done)
    # the next step shows the rest as the amount to expect
    _url, _seen, _page, amount = _step(client, inv)
    assert amount.group(1) == format_rupiah(inv.amount_due).removeprefix("Rp ")


def test_more_than_due_pays_it_and_the_excess_is_credit(tenant_a, operator):
    inv = _invoice(tenant_a)
    client = verified_client(operator)
    url, seen, _page, _amount = _step(client, inv)
    typed = format_rupiah(inv.amount_due + Decimal(30_000))
    done = client.post(url, {"note": "", "proof_seen": seen, "amount": typed}, follow=True)
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.PAID
    assert (
        f"Pembayaran {inv.number} dikonfirmasi. Kelebihan Rp 30.000 menjadi kredit koperasi."
        in _text(done)
    )
    assert services.credit_balance(subscription=inv.subscription) == Decimal(30_000)


@pytest.mark.parametrize("typed", ["", "0", "satu juta", "-5"])
def test_an_amount_refused_changes_nothing(tenant_a, operator, typed):
    inv = _invoice(tenant_a)
    client = verified_client(operator)
    url, seen, _page, _amount = _step(client, inv)
    done = client.post(url, {"note": "", "proof_seen": seen, "amount": typed}, follow=True)
    errors = re.findall(r'<li class="msg error">(.*?)</li>', _text(done))
    assert errors and errors[0].startswith("Jumlah diterima"), errors
    assert done.redirect_chain[-1][0] == url  # back to the step, to type it again
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.OPEN and inv.credit_applied == 0
    assert not CreditEntry.objects.filter(subscription=inv.subscription).exists()
