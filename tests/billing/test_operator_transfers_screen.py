"""What an operator reads and downloads on the bank transfers screen: what the e-Faktur
data of a month holds (cancellation rows too) and any month's, the CSV served as
UTF-8, a transfer proof that opens as what it is, and what a confirmation did to a
cooperative an operator suspended."""

from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from billing import services
from billing.models import Plan, Subscription
from billing.pdf import invoice_html
from lumbung.console import services as console
from tests.billing.conftest import confirm_transfer
from tests.console.conftest import make_operator, verified_client

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64


def _screen(client) -> str:
    response = client.get("/billing/operator/transfer/")
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


def test_efaktur_csv_is_served_as_utf8(tenant_a, operator):
    today = timezone.localdate()
    client = verified_client(operator)
    csv = client.get(f"/billing/operator/efaktur/?tahun={today.year}&bulan={today.month}")
    assert csv.status_code == 200 and csv["Content-Type"] == "text/csv; charset=utf-8"
    assert csv.content.startswith(b"\xef\xbb\xbf")
    xlsx = client.get(
        f"/billing/operator/efaktur/?tahun={today.year}&bulan={today.month}&format=xlsx"
    )
    assert xlsx["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def test_the_screen_says_the_efaktur_data_holds_cancellations_of_earlier_months(tenant_a, operator):
    page = _screen(verified_client(operator))
    for text in (
        "tagihan yang terbit pada bulan itu, seperti saat terbit",
        "tagihan yang dibatalkan pada bulan terbitnya tidak ikut",
        "nota retur bulan itu",
        "pembatalan (STATUS batal) tagihan bulan sebelumnya yang dibatalkan pada bulan itu",
        "DPP dan PPN negatif",
        "Data bulan yang sudah lewat tidak berubah",
    ):
        assert text in page, text


def test_the_screen_downloads_any_months_efaktur_last_month_chosen(tenant_a, operator):
    """The accountant reports a month after it ends: the screen offers any month, last
    month chosen, not only the current one."""
    today = timezone.localdate()
    last = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    page = _screen(verified_client(operator))
    form = page.split('action="/billing/operator/efaktur/"', 1)[1].split("</form>", 1)[0]
    assert 'method="get"' in page.split('action="/billing/operator/efaktur/"', 1)[0][-200:]
    assert f'<option value="{last.month}" selected>' in form
    assert f'name="tahun" value="{last.year}"' in form
    assert 'name="format" value="csv"' in form and 'name="format" value="xlsx"' in form


def test_confirming_a_transfer_for_a_cooperative_an_operator_suspended_says_it_stays_so(
    tenant_a, operator
):
    admin = make_operator("admin", "admin-held@ops.lumbung.test")
    console.tenant_suspend(operator=admin, cooperative=tenant_a, reason="data diperiksa")
    sub = Subscription.objects.get(cooperative=tenant_a)
    inv = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="kecil"), interval="month", by="t"
    )
    client = verified_client(operator)
    response = confirm_transfer(client, inv)
    page = " ".join(response.content.decode().split())
    assert f"Pembayaran {inv.number} dikonfirmasi." in page
    assert (
        "Koperasi tetap ditangguhkan: penangguhannya keputusan operator, dan pembayaran "
        "tidak mencabutnya. Alasan: data diperiksa. Periode yang dibayar tetap tercatat; "
        "akses baru pulih setelah Aktifkan kembali di konsol."
    ) in page
    sub.refresh_from_db()
    assert sub.status == "suspended"


def test_confirming_a_transfer_says_nothing_of_a_suspension_when_there_is_none(tenant_a, operator):
    sub = Subscription.objects.get(cooperative=tenant_a)
    inv = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="kecil"), interval="month", by="t"
    )
    response = confirm_transfer(verified_client(operator), inv)
    page = response.content.decode()
    assert f"Pembayaran {inv.number} dikonfirmasi." in page and "ditangguhkan" not in page


def test_a_transfer_proof_downloads_named_after_its_invoice_with_its_type(tenant_a, operator):
    sub = Subscription.objects.get(cooperative=tenant_a)
    inv = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="kecil"), interval="month", by="t"
    )
    client = verified_client(operator)
    dashed = inv.number.replace("/", "-")
    for name, body, kind, ext in (
        ("bukti.PNG", PNG, "image/png", "png"),
        ("bukti.pdf", PDF, "application/pdf", "pdf"),
    ):
        proof = services.bank_proof_upload(
            invoice=inv,
            upload=SimpleUploadedFile(name, body, kind),
            by="bendahara",
            amount_claimed=inv.amount_due,
        )
        response = client.get(f"/billing/operator/bukti/{proof.pk}/")
        assert response.status_code == 200
        assert response["Content-Type"] == kind
        assert response["Content-Disposition"] == (
            f'attachment; filename="bukti-transfer-{dashed}-{proof.pk}.{ext}"'
        )
        assert b"".join(response.streaming_content) == body


def test_a_proof_whose_file_is_gone_from_storage_says_so_not_a_500(tenant_a, operator):
    """The storage lost the file (a restore without the media, a volume swapped): the
    operator is told which proof and what to do, not shown a server error."""
    sub = Subscription.objects.get(cooperative=tenant_a)
    inv = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="kecil"), interval="month", by="t"
    )
    proof = services.bank_proof_upload(
        invoice=inv,
        upload=SimpleUploadedFile("bukti.png", PNG, "image/png"),
        by="bendahara",
        amount_claimed=inv.amount_due,
    )
    proof.file.storage.delete(proof.file.name)
    client = verified_client(operator)
    response = client.get(f"/billing/operator/bukti/{proof.pk}/", follow=True)
    assert response.status_code == 200
    text = " ".join(response.content.decode().split())
    assert "tidak ditemukan di penyimpanan" in text and inv.number in text, text[:2000]


def test_a_void_invoices_pdf_says_so_and_asks_for_no_transfer(tenant_a, clock):
    sub = Subscription.objects.get(cooperative=tenant_a)
    kecil, sedang = Plan.objects.get(code="kecil"), Plan.objects.get(code="sedang")
    first = services.bank_invoice_issue(subscription=sub, plan=kecil, interval="month", by="t")
    assert "Cara membayar (transfer bank)" in invoice_html(invoice=first)
    clock.advance(days=3)
    services.bank_invoice_issue(subscription=sub, plan=sedang, interval="month", by="t")
    first.refresh_from_db()
    assert first.status == "void" and first.voided_on == timezone.localdate()

    html = " ".join(invoice_html(invoice=first).split())
    assert "DIBATALKAN" in html
    voided = timezone.localdate()
    assert f"Dibatalkan {voided.day} " in html and str(voided.year) in html
    assert "Cara membayar" not in html and "Berita/keterangan transfer" not in html
    assert "tidak perlu dibayar" in html


def test_the_void_stamp_uses_the_void_day_not_today(tenant_a, clock):
    sub = Subscription.objects.get(cooperative=tenant_a)
    first = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="kecil"), interval="month", by="t"
    )
    services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="month", by="t"
    )
    first.refresh_from_db()
    clock.now = clock.now + timedelta(days=40)
    html = invoice_html(invoice=first)
    assert f"Dibatalkan {first.voided_on.day} " in html
    assert first.voided_on < timezone.localdate() and isinstance(first.voided_on, date)
