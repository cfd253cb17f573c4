"""A proof of transfer whose amount differs from the invoice: accepted (the money has
moved; refusing the proof would leave a real transfer unrecorded) and the cooperative is
told at once, and on its billing page while the proof waits, what differs and what
happens next (docs/billing.md, "Bank transfer payments"). Only the operator was warned.
And the staff banner's "Bukti transfer … ditolak" goes once a new proof is sent."""

import re
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from billing import services
from billing.models import Invoice, Plan, Subscription
from core.common.money import format_rupiah

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _invoice(tenant) -> Invoice:
    sub = Subscription.objects.get(cooperative=tenant)
    return services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="year", by="t"
    )


def _upload(client, inv: Invoice, amount: str):
    return client.post(
        f"/langganan/transfer/{inv.number}/bukti/",
        {"file": SimpleUploadedFile("bukti.png", PNG, "image/png"), "amount": amount},
        follow=True,
    )


def _banner(html: str) -> str:
    found = re.search(r'<div class="msg [a-z]+" role="status">(.*?)</div>', html, re.S)
    return found.group(1) if found else ""


def test_a_proof_claiming_less_than_the_invoice_says_the_shortfall_and_what_next(
    admin_client_a, tenant_a
):
    inv = _invoice(tenant_a)
    claimed = inv.amount_due - Decimal(500_000)
    html = _upload(admin_client_a, inv, format_rupiah(claimed)).content.decode()
    told = (
        f"Jumlah di bukti transfer, {format_rupiah(claimed)}, kurang Rp 500.000 dari "
        f"tagihan {inv.number} ({format_rupiah(inv.amount_due)})"
    )
    assert told in html
    assert "transfer kekurangannya, Rp 500.000," in html
    assert inv.reference in html
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.AWAITING  # accepted: the operator decides
    assert inv.proofs.get().amount_claimed == claimed
    # still said on the billing page while the proof waits (the message shows once)
    page = admin_client_a.get("/langganan/").content.decode()
    assert "kurang Rp 500.000 dari tagihan" in page


def test_a_proof_claiming_more_says_the_excess_is_not_kept_as_credit(admin_client_a, tenant_a):
    inv = _invoice(tenant_a)
    claimed = inv.amount_due + Decimal(500_000)
    html = _upload(admin_client_a, inv, format_rupiah(claimed)).content.decode()
    assert (
        f"Jumlah di bukti transfer, {format_rupiah(claimed)}, lebih Rp 500.000 dari "
        f"tagihan {inv.number}"
    ) in html
    assert "tidak otomatis menjadi kredit" in html
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.AWAITING


def test_a_proof_of_the_exact_amount_says_nothing_more(admin_client_a, tenant_a):
    inv = _invoice(tenant_a)
    html = _upload(admin_client_a, inv, format_rupiah(inv.amount_due)).content.decode()
    assert "Bukti transfer terkirim" in html
    assert "Jumlah di bukti transfer" not in html


def test_the_rejected_proof_banner_goes_once_a_new_proof_is_sent(
    admin_client_a, tenant_a, operator, django_capture_on_commit_callbacks
):
    inv = _invoice(tenant_a)
    _upload(admin_client_a, inv, format_rupiah(inv.amount_due))
    with django_capture_on_commit_callbacks(execute=True):
        services.bank_transfer_reject(
            invoice=inv, operator=operator, reason="Mutasi tidak ditemukan"
        )
    assert "ditolak" in _banner(admin_client_a.get("/").content.decode())
    _upload(admin_client_a, inv, format_rupiah(inv.amount_due))
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.AWAITING
    assert "ditolak" not in _banner(admin_client_a.get("/").content.decode())
    # the billing page keeps it in its history of notices
    assert "Mutasi tidak ditemukan" in admin_client_a.get("/langganan/").content.decode()
