"""The console's cooperative page shows its latest invoices and links to all of them:
the full list is paged (25 a page, the newest first) and every invoice, the oldest
too, is reachable; a page costs the same number of queries however many invoices the
cooperative has."""

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import CreditNote, Invoice, Plan, Subscription

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)


def _invoices(sub: Subscription, n: int) -> list[Invoice]:
    """``n`` paid invoices of ``sub``, one a month, the oldest first; every third with a
    credit note (the page shows each invoice's notes under it)."""
    plan = Plan.objects.get(code="kecil")
    made = []
    for i in range(n):
        seq = next(_numbers)
        inv = Invoice.objects.create(
            subscription=sub,
            provider="bank_transfer",
            number=f"INV/2033/{seq:06d}",
            reference=f"LMBPAGE{seq:05d}",
            plan=plan,
            interval="month",
            amount=Decimal(111000),
            dpp=Decimal(100000),
            ppn=Decimal(11000),
            ppn_rate=Decimal("0.11"),
            status=Invoice.Status.PAID,
            paid_at=timezone.now(),
            issued_on=date(2030, 1, 1) + timedelta(days=31 * i),
            due_on=date(2030, 1, 15) + timedelta(days=31 * i),
            buyer_name=sub.cooperative.name,
        )
        if i % 3 == 0:
            CreditNote.objects.create(
                subscription=sub,
                invoice=inv,
                number=f"{inv.number}-R1",
                issued_on=inv.issued_on,
                amount=Decimal(11100),
                dpp=Decimal(10000),
                ppn=Decimal(1100),
                ppn_rate=Decimal("0.11"),
                buyer_name=inv.buyer_name,
            )
        made.append(inv)
    return made


def _get(client, url: str) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(captured)


def test_every_invoice_is_reachable_page_by_page_the_newest_first(op_clients, tenant_a):
    sub = Subscription.objects.get(cooperative=tenant_a)
    made = _invoices(sub, 30)
    newest_first = list(reversed(made))
    client = op_clients["billing"]
    url = f"/konsol/koperasi/{tenant_a.pk}/tagihan/"

    detail, _ = _get(client, f"/konsol/koperasi/{tenant_a.pk}/")
    # the cooperative page: the latest 24, and the way to the rest
    assert newest_first[23].number in detail and newest_first[24].number not in detail
    assert f'href="{url}"' in detail and "Semua tagihan (30)" in detail

    first, _ = _get(client, url)
    second, _ = _get(client, f"{url}?page=2")
    assert all(inv.number in first for inv in newest_first[:25])
    assert newest_first[24].number in first  # the 25th: not on the cooperative page
    assert not any(inv.number in first for inv in newest_first[25:])
    assert all(inv.number in second for inv in newest_first[25:])
    assert "Halaman 2 dari 2" in second and "30 baris" in second
    oldest = made[0]
    assert f"{oldest.number}-R1" in second  # its credit note under it
    assert f'href="/billing/operator/tagihan/{oldest.number}/pdf/"' in second
    assert first.index(newest_first[0].number) < first.index(newest_first[1].number)


def test_a_page_costs_the_same_queries_for_5_and_30_invoices(op_clients, tenant_a):
    sub = Subscription.objects.get(cooperative=tenant_a)
    client = op_clients["billing"]
    url = f"/konsol/koperasi/{tenant_a.pk}/tagihan/"
    detail_url = f"/konsol/koperasi/{tenant_a.pk}/"
    _invoices(sub, 5)
    _get(client, url)  # warm the session, the user and the device
    _get(client, detail_url)
    _, list_few = _get(client, url)
    _, detail_few = _get(client, detail_url)
    _invoices(sub, 25)
    _, list_many = _get(client, url)
    _, list_many_last = _get(client, f"{url}?page=2")
    _, detail_many = _get(client, detail_url)
    assert list_many == list_few == list_many_last
    assert detail_many == detail_few


def test_the_list_is_for_every_operator_pdf_links_for_billing_ones(op_clients, tenant_a):
    sub = Subscription.objects.get(cooperative=tenant_a)
    [inv] = _invoices(sub, 1)
    url = f"/konsol/koperasi/{tenant_a.pk}/tagihan/"
    support, _ = _get(op_clients["support"], url)
    assert inv.number in support and "/billing/operator/tagihan/" not in support
    assert op_clients["billing"].get("/konsol/koperasi/999999999/tagihan/").status_code == 404
