"""Issue 19: the disbursement voucher and the loan agreement (surat perjanjian pinjaman)
as PDFs on the cooperative's letterhead, with the schedule and signature lines, linked
from the loan page. The text is checked on the HTML the PDF renderer was given."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.template import Context


def _pdf_html(client, url: str, template: str) -> str:
    r = client.get(url)
    assert r.status_code == 200
    assert r["Content-Type"] == "application/pdf" and r.content[:4] == b"%PDF"
    tpl = next(t for t in r.templates if t.name == template)
    ctx = next(c for c in r.context if "loan" in c)
    from django.utils import translation

    with translation.override("id"):
        return tpl.render(Context(ctx.flatten()))


def test_voucher_pdf_has_letterhead_fees_net_schedule_and_signatures(make_loan, staff, client_a):
    connection.tenant.legal_number = "123/BH/KDK.11/2001"
    connection.tenant.save(update_fields=["legal_number"])
    loan = make_loan(principal=D("10000000"), tenor=10)
    client_a.force_login(staff["bendahara"])
    page = client_a.get(f"/pinjaman/{loan.pk}/").content.decode()
    assert f"/pinjaman/{loan.pk}/bukti-pencairan.pdf" in page
    assert f"/pinjaman/{loan.pk}/perjanjian.pdf" in page
    html = _pdf_html(client_a, f"/pinjaman/{loan.pk}/bukti-pencairan.pdf", "loans/voucher_pdf.html")
    assert connection.tenant.name in html and "123/BH/KDK.11/2001" in html
    assert "BUKTI PENCAIRAN PINJAMAN" in html and "PCR" in html  # voucher series
    assert "Rp 10.000.000" in html
    assert "Biaya administrasi" in html and "(Rp 100.000)" in html
    assert "Diterima bersih anggota" in html and "Rp 9.650.000" in html
    sched = html.split('id="schedule"')[1]
    assert sched.count("<tr>") == 1 + 10 + 1  # head, 10 instalments, total
    assert "Rp 1.100.000" in sched and "Rp 11.000.000" in sched
    for who in ("Penerima", "Bendahara", "Ketua"):
        assert who in html.split('class="sign"')[1]
    assert loan.member.full_name in html.split('class="sign"')[1]


def test_agreement_pdf_has_parties_terms_schedule_and_signatures(make_loan, staff, client_a):
    loan = make_loan(principal=D("10000000"), tenor=10, until="approved")
    client_a.force_login(staff["ketua"])
    html = _pdf_html(client_a, f"/pinjaman/{loan.pk}/perjanjian.pdf", "loans/agreement_pdf.html")
    assert "SURAT PERJANJIAN PINJAMAN" in html and loan.number in html
    assert connection.tenant.name in html
    assert "PIHAK PERTAMA" in html and "PIHAK KEDUA" in html
    assert "sebesar Rp 10.000.000 (sepuluh juta rupiah)" in html
    assert "Rp 350.000" in html  # fees: 100.000 + 50.000 + 50.000 + 100.000 + 50.000
    assert "memotong angsuran dari gaji" in html
    assert html.split('id="schedule"')[1].count("<tr>") == 12
    sign = html.split('class="sign"')[1]
    assert loan.member.full_name in sign and "Saksi" in sign


@pytest.mark.parametrize("until", ["applied", "verified"])
def test_no_agreement_before_approval_and_no_voucher_before_disbursement(
    make_loan, staff, client_a, until
):
    loan = make_loan(until=until)
    client_a.force_login(staff["bendahara"])
    assert client_a.get(f"/pinjaman/{loan.pk}/perjanjian.pdf").status_code == 404
    assert client_a.get(f"/pinjaman/{loan.pk}/bukti-pencairan.pdf").status_code == 404
