"""*Konfirmasi diterima* is two steps: the operator first sees the cooperative, the
invoice, the amount the cooperative says it transferred (typed with its proof) and
what the invoice asks, with a warning when they differ; only the second step (a POST)
confirms. Nothing changes before it, and a GET never confirms."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from billing import services
from billing.models import Invoice, PaymentProof, Plan, Subscription
from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.common.money import format_rupiah
from tests.billing.conftest import confirm_transfer
from tests.console.conftest import verified_client

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _invoice(tenant) -> Invoice:
    sub = Subscription.objects.get(cooperative=tenant)
    return services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="year", by="t"
    )


def _upload(client, inv: Invoice, amount: str):
    return client.post(
        f"/langganan/transfer/{inv.number}/bukti/",
        {"file": SimpleUploadedFile("bukti.png", PNG, "image/png"), "note": "", "amount": amount},
        follow=True,
    )


def _text(response) -> str:
    return " ".join(response.content.decode().split())


def test_the_first_step_shows_what_to_check_and_changes_nothing(tenant_a, admin_client_a, operator):
    inv = _invoice(tenant_a)
    typed = f"{inv.amount_due:,.0f}".replace(",", ".")  # as people type it: 1.234.567
    _upload(admin_client_a, inv, typed)
    [proof] = inv.proofs.all()
    assert proof.amount_claimed == inv.amount_due
    client = verified_client(operator)
    url = f"/billing/operator/transfer/{inv.pk}/konfirmasi/"

    step = client.get(url)
    assert step.status_code == 200
    page = _text(step)
    assert tenant_a.name in page and inv.number in page and inv.reference in page
    assert f"Jumlah di bukti transfer: {format_rupiah(inv.amount_due)}" in page
    assert f"Total tagihan: {format_rupiah(inv.amount)}" in page
    assert "berbeda" not in page
    assert f'<form method="post" action="{url}"' in page
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.AWAITING and inv.paid_at is None
    assert client.get(url).status_code == 200  # again: still nothing
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.AWAITING

    done = client.post(
        url,
        {"note": "mutasi BRI 12/3", "proof_seen": str(proof.pk), "amount": typed},
        follow=True,
    )
    assert f"Pembayaran {inv.number} dikonfirmasi." in _text(done)
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.PAID and inv.confirmed_by == operator


def test_an_amount_that_differs_from_the_invoice_is_warned(tenant_a, admin_client_a, operator):
    inv = _invoice(tenant_a)
    claimed = inv.amount_due - Decimal(100_000)
    _upload(admin_client_a, inv, f"Rp {claimed:,.0f}".replace(",", "."))
    page = _text(verified_client(operator).get(f"/billing/operator/transfer/{inv.pk}/konfirmasi/"))
    assert f"Jumlah di bukti transfer: {format_rupiah(claimed)}" in page
    assert (
        f"Jumlah di bukti transfer berbeda dari yang harus ditransfer "
        f"({format_rupiah(inv.amount_due)}): kurang {format_rupiah(Decimal(100_000))}."
    ) in page
    # another amount is typed on this screen (billing.bank_transfer_receive)
    assert "Isi jumlah yang diterima sesuai mutasi rekening di bawah" in page
    assert "record_payment" not in page
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.AWAITING


def test_an_older_proof_without_an_amount_still_shows_not_said(tenant_a, operator):
    """Proofs sent before the amount was asked have none: they still show, "tidak
    disebut", on the list and the first step."""
    inv = _invoice(tenant_a)
    old = PaymentProof.objects.create(
        invoice=inv, file=SimpleUploadedFile("b.png", PNG, "image/png"), uploaded_by="bendahara"
    )
    Invoice.objects.filter(pk=inv.pk).update(status=Invoice.Status.AWAITING)
    client = verified_client(operator)
    page = _text(client.get(f"/billing/operator/transfer/{inv.pk}/konfirmasi/"))
    assert "Jumlah di bukti transfer: tidak disebutkan koperasi" in page
    assert "periksa mutasi rekening" in page
    listing = _text(client.get("/billing/operator/transfer/"))
    row = listing.split(f"<td>{inv.number}</td>", 1)[1].split("</tr>", 1)[0]
    assert f"/billing/operator/bukti/{old.pk}/" in row and "(jumlah tidak disebut)" in row


def test_a_proof_without_an_amount_is_refused_nothing_changed(tenant_a, admin_client_a):
    inv = _invoice(tenant_a)
    page = _text(_upload(admin_client_a, inv, ""))
    assert (
        "Jumlah yang ditransfer: isi jumlah yang ditransfer seperti di bukti transfer "
        "(mis. 1.234.567)."
    ) in page
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.OPEN and not inv.proofs.exists()


@pytest.mark.parametrize("amount", [None, Decimal(0), Decimal(-5), Decimal("1000.5")])
def test_the_service_refuses_a_proof_without_a_whole_positive_amount(tenant_a, amount):
    inv = _invoice(tenant_a)
    with pytest.raises(ApplicationError) as refused:
        services.bank_proof_upload(
            invoice=inv,
            upload=SimpleUploadedFile("b.png", PNG, "image/png"),
            by="bendahara",
            amount_claimed=amount,
        )
    assert refused.value.code == "proof_invalid"
    assert "Jumlah yang ditransfer" in refused.value.message
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.OPEN and not inv.proofs.exists()


def test_a_confirmation_without_the_first_step_is_refused_nothing_changed(
    tenant_a, admin_client_a, operator
):
    """A POST that does not name the proof the first step showed (a form of another
    page, a script) confirms nothing: it is sent back to the first step, told why."""
    inv = _invoice(tenant_a)
    _upload(admin_client_a, inv, f"{inv.amount_due:,.0f}".replace(",", "."))
    client = verified_client(operator)
    url = f"/billing/operator/transfer/{inv.pk}/konfirmasi/"

    response = client.post(url, {"note": "langsung"}, follow=True)

    assert response.redirect_chain[-1][0] == url
    assert (
        f"Konfirmasi tagihan {inv.number} belum dilakukan: buka langkah pertama dan periksa "
        "bukti transfernya dulu."
    ) in _text(response)
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.AWAITING and inv.paid_at is None
    assert not AuditEvent.objects.filter(
        action="billing.bank_transfer_confirmed", target_id=str(inv.pk)
    ).exists()
    done = confirm_transfer(client, inv, "mutasi BRI")
    assert f"Pembayaran {inv.number} dikonfirmasi." in _text(done)


def test_the_list_links_to_the_step_instead_of_confirming_at_once(
    tenant_a, admin_client_a, operator
):
    inv = _invoice(tenant_a)
    page = _text(verified_client(operator).get("/billing/operator/transfer/"))
    row = page.split(f"<td>{inv.number}</td>", 1)[1].split("</tr>", 1)[0]
    url = f"/billing/operator/transfer/{inv.pk}/konfirmasi/"
    assert f'<a class="button primary small" href="{url}">' in row
    assert f'action="{url}"' not in row


def test_a_confirmed_or_void_invoice_has_no_step(tenant_a, operator):
    inv = _invoice(tenant_a)
    client = verified_client(operator)
    confirm_transfer(client, inv)
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.PAID
    response = client.get(f"/billing/operator/transfer/{inv.pk}/konfirmasi/", follow=True)
    assert "tidak dapat dikonfirmasi" in _text(response)


def test_a_proof_with_an_unreadable_amount_is_refused_nothing_changed(tenant_a, admin_client_a):
    inv = _invoice(tenant_a)
    page = _text(_upload(admin_client_a, inv, "satu juta"))
    assert "Jumlah yang ditransfer" in page
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.OPEN and not inv.proofs.exists()


def test_a_proof_sent_again_between_the_two_steps_is_shown_before_confirming(
    tenant_a, admin_client_a, operator
):
    """The cooperative sends another proof (another amount) while the operator reads the
    first step: the second step does not confirm against the proof the operator did not
    see; it goes back to the first step, which shows the new one."""
    inv = _invoice(tenant_a)
    _upload(admin_client_a, inv, f"{inv.amount_due - 50_000:,.0f}".replace(",", "."))
    client = verified_client(operator)
    url = f"/billing/operator/transfer/{inv.pk}/konfirmasi/"
    page = client.get(url).content.decode()
    [first] = inv.proofs.all()
    assert f'name="proof_seen" value="{first.pk}"' in page
    _upload(admin_client_a, inv, f"{inv.amount_due:,.0f}".replace(",", "."))  # sent again
    due = f"{inv.amount_due:,.0f}".replace(",", ".")
    back = client.post(url, {"note": "", "proof_seen": str(first.pk), "amount": due}, follow=True)
    assert "Bukti transfer tagihan" in _text(back) and "berubah" in _text(back)
    assert back.redirect_chain[-1][0] == url
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.AWAITING and inv.paid_at is None
    latest = inv.proofs.order_by("-pk").first()
    assert f'name="proof_seen" value="{latest.pk}"' in back.content.decode()
    done = client.post(url, {"note": "", "proof_seen": str(latest.pk), "amount": due}, follow=True)
    assert f"Pembayaran {inv.number} dikonfirmasi." in _text(done)
