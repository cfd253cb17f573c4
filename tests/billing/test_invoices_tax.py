"""The platform's invoices: one gap-free series a year (INV/2026/000123, Stripe's number
kept as a reference), PPN (DPP + PPN = total, prices saying whether they include it),
both parties' NPWP, and the e-Faktur data for the accountant (CSV and XLSX)."""

import csv
import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from openpyxl import load_workbook

from billing import services
from billing.models import Invoice, Plan, Subscription
from billing.pdf import invoice_html
from billing.tax import tax_split
from tests.console.conftest import verified_client

from .test_checkout import subscribe


def _seq(number: str) -> tuple[int, int]:
    prefix, year, n = number.split("/")
    assert prefix == "INV" and len(n) == 6
    return int(year), int(n)


def test_invoice_numbers_are_one_gap_free_series_a_year(tenant_a, tenant_b, clock):
    plans = Plan.objects.get(code="kecil"), Plan.objects.get(code="sedang")
    numbers = []
    for i in range(6):
        tenant = (tenant_a, tenant_b)[i % 2]
        sub = Subscription.objects.get(cooperative=tenant)
        # alternating plans: each issue voids the previous open one (a void keeps its number)
        inv = services.bank_invoice_issue(
            subscription=sub, plan=plans[i // 2 % 2], interval="month", by="t"
        )
        numbers.append(inv.number)
    years = {_seq(n)[0] for n in numbers}
    assert years == {timezone.localdate().year}
    seq = [_seq(n)[1] for n in numbers]
    assert seq == list(range(seq[0], seq[0] + 6))
    assert Invoice.objects.filter(status="void").exists()

    # A failed transaction gives its number back.
    with pytest.raises(RuntimeError), transaction.atomic():
        services.invoice_number_next(on=timezone.localdate())
        raise RuntimeError("rolled back")
    nxt = services.invoice_number_next(on=timezone.localdate())
    assert _seq(nxt)[1] == seq[-1] + 1

    # A new year starts its own series at 1: midday of the next 1 January, local time (the
    # series' year is the local one; in the first hours of a local year UTC is still in the
    # old one)
    year = timezone.localdate().year
    clock.now = timezone.make_aware(datetime.combine(date(year + 1, 1, 1), time(12)))
    sub = Subscription.objects.get(cooperative=tenant_a)
    inv = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="besar"), interval="month", by="t"
    )
    assert _seq(inv.number) == (year + 1, 1)


def test_tax_split_keeps_the_total_and_rounds_half_up():
    assert tax_split(price=Decimal(350000), rate=Decimal("0.11"), includes_ppn=True) == (
        Decimal(315315),
        Decimal(34685),
    )
    assert tax_split(price=Decimal(350000), rate=Decimal("0.11"), includes_ppn=False) == (
        Decimal(350000),
        Decimal(38500),
    )
    for price in (1, 99, 150000, 3500000, 15000000):
        dpp, ppn = tax_split(price=Decimal(price), rate=Decimal("0.12"), includes_ppn=True)
        assert dpp + ppn == price and ppn >= 0


def test_invoice_shows_dpp_ppn_and_both_npwp(admin_client_a, tenant_a, settings):
    settings.BILLING_SELLER_NPWP = "01.234.567.8-901.000"
    resp = admin_client_a.post(
        "/langganan/npwp/", {"npwp": "02.345.678.9-012.000", "tax_address": "Jl. Merdeka 1"}
    )
    assert resp.status_code == 302
    bad = admin_client_a.post("/langganan/npwp/", {"npwp": "123", "tax_address": ""})
    assert bad.status_code == 302
    sub = Subscription.objects.get(cooperative=tenant_a)
    assert sub.npwp == "02.345.678.9-012.000"

    inv = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="month", by="t"
    )
    assert (inv.dpp, inv.ppn, inv.amount) == (Decimal(315315), Decimal(34685), Decimal(350000))
    assert inv.buyer_npwp == "02.345.678.9-012.000"
    html = invoice_html(invoice=inv)
    for text in (
        "DPP",
        "PPN 11%",
        "315.315",
        "34.685",
        "01.234.567.8-901.000",
        "02.345.678.9-012.000",
    ):
        assert text in html, text
    pdf = admin_client_a.get(f"/langganan/tagihan/{inv.number}/pdf/")
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"

    Plan.objects.filter(code="besar").update(prices_include_ppn=False)
    extra = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="besar"), interval="month", by="t"
    )
    assert extra.dpp == Decimal(750000) and extra.ppn == Decimal(82500)
    assert extra.amount == Decimal(832500)


def test_stripe_invoice_gets_our_number_and_keeps_stripes(admin_client_a, stripe_plans, deliver):
    from billing.providers.stripe_provider import stripe_client

    _, sub = subscribe(admin_client_a, deliver)
    remote = (
        stripe_client().v1.invoices.list({"customer": sub.stripe_customer_id})["data"][0].to_dict()
    )
    deliver("invoice.paid", {"id": remote["id"]})
    inv = Invoice.objects.get(stripe_invoice_id=remote["id"])
    assert inv.number.startswith("INV/") and inv.provider_number == (
        remote.get("number") or remote["id"]
    )
    assert inv.dpp + inv.ppn == inv.amount


def test_efaktur_export_csv_and_xlsx(tenant_a, operator):
    sub = Subscription.objects.get(cooperative=tenant_a)
    Subscription.objects.filter(pk=sub.pk).update(npwp="023456789012000")
    sub.refresh_from_db()
    inv = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="kecil"), interval="year", by="t"
    )
    today = timezone.localdate()
    client = verified_client(operator)
    resp = client.get(f"/billing/operator/efaktur/?tahun={today.year}&bulan={today.month}")
    assert resp.status_code == 200 and resp["Content-Type"] == "text/csv; charset=utf-8"
    # UTF-8 with a BOM; the NPWP as Excel's text formula (docs/billing.md)
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert rows[0][:6] == [
        "KD_JENIS_TRANSAKSI",
        "FG_PENGGANTI",
        "MASA_PAJAK",
        "TAHUN_PAJAK",
        "TANGGAL_FAKTUR",
        "NPWP",
    ]
    [row] = [r for r in rows[1:] if r[11] == inv.number]
    assert row[5] == '="023456789012000"' and int(row[8]) == inv.dpp and int(row[9]) == inv.ppn
    x = client.get(f"/billing/operator/efaktur/?tahun={today.year}&bulan={today.month}&format=xlsx")
    ws = load_workbook(io.BytesIO(x.content)).active
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    assert any(r[11] == inv.number and r[8] == int(inv.dpp) for r in values[1:])
    assert client.get("/billing/operator/efaktur/?tahun=x").status_code == 400


def test_tax_details_with_a_nul_character_are_refused_with_a_field_error(admin_client_a, tenant_a):
    response = admin_client_a.post(
        "/langganan/npwp/", {"npwp": "", "tax_address": "Jl. Merdeka\x00 1"}, follow=True
    )
    assert response.status_code == 200
    assert "Alamat NPWP: Karakter null tidak diizinkan." in response.content.decode()
    assert Subscription.objects.get(cooperative=tenant_a).tax_address == ""


def _stripe_invoice(sub, *, total: int, created, line_start, line_end, status="paid") -> dict:
    """A Stripe invoice as the API returns it: for a subscription invoice its own
    ``period_start``/``period_end`` look back (the first one's are both its creation
    time); the period paid for is its line's ``period``."""
    plan = sub.plan
    ts = int(created.timestamp())
    return {
        "id": "in_" + str(ts) + str(total),
        "object": "invoice",
        "customer": "cus_alpha",
        "status": status,
        "number": f"ALPHA-{total}",
        "total": total,
        "amount_due": total,
        "amount_paid": total if status == "paid" else 0,
        "created": ts,
        "period_start": ts,
        "period_end": ts,
        "status_transitions": {"paid_at": ts if status == "paid" else None},
        "lines": {
            "data": [
                {
                    "amount": total,
                    "price": {"id": plan.stripe_price_monthly_id or "price_x"},
                    "period": {
                        "start": int(line_start.timestamp()),
                        "end": int(line_end.timestamp()),
                    },
                }
            ]
        },
    }


def test_a_card_invoice_is_for_the_period_its_line_pays_and_counts_in_the_monthly_revenue(
    subscription_a,
):
    from billing.selectors import mrr_billed
    from billing.webhooks import _invoice_mirror

    Subscription.objects.filter(pk=subscription_a.pk).update(status="active")
    subscription_a.refresh_from_db()
    now = timezone.now()
    with transaction.atomic():
        inv = _invoice_mirror(
            subscription_a,
            _stripe_invoice(
                subscription_a,
                total=111_000_00,
                created=now,
                line_start=now,
                line_end=now + timedelta(days=30),
            ),
        )
    assert inv.period_start == timezone.localdate(now)
    assert inv.period_end == timezone.localdate(now + timedelta(days=30))
    # three weeks into the month the card paid for, it is still billed revenue
    later = timezone.localdate(now + timedelta(days=21))
    assert mrr_billed(subscription=subscription_a, today=later) == Decimal(100_000)


def test_a_zero_card_invoice_gets_no_tax_invoice_number_and_no_efaktur_row(subscription_a):
    """Stripe's Rp 0 invoice for a card's trial (or a deferred start) charges nothing:
    no number of the tax invoice series, no receipt, no e-Faktur row."""
    from billing.efaktur import efaktur_rows
    from billing.webhooks import _invoice_mirror

    now = timezone.now()
    with transaction.atomic():
        _invoice_mirror(
            subscription_a,
            _stripe_invoice(
                subscription_a,
                total=0,
                created=now,
                line_start=now,
                line_end=now + timedelta(days=30),
            ),
        )
    today = timezone.localdate()
    assert not Invoice.objects.filter(subscription=subscription_a).exists()
    assert efaktur_rows(year=today.year, month=today.month) == []


def test_stripe_amounts_in_hundredths_round_to_whole_rupiah_half_up():
    """Stripe counts IDR in hundredths; our invoices hold whole rupiah, rounded half up
    as every amount here (billing.tax), not to the even rupiah."""
    from billing.providers.stripe_provider import from_minor

    assert from_minor(1_234_450) == Decimal(12_345)
    assert from_minor(1_234_550) == Decimal(12_346)
    assert from_minor(1_234_449) == Decimal(12_344)
    assert from_minor(None) == Decimal(0)
