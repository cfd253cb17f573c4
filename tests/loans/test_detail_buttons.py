"""The loan page's buttons say what they open: the loan card's PDF was a bare *PDF*
beside *Kartu pinjaman*, *Surat perjanjian (PDF)* and *Bukti pencairan (PDF)*."""

import re


def test_loan_card_pdf_button_is_named(login, staff, make_loan):
    loan = make_loan()
    html = login(staff["petugas"]).get(f"/pinjaman/{loan.pk}/").content.decode()
    link = re.search(rf'<a [^>]*href="/pinjaman/{loan.pk}/kartu/\?format=pdf"[^>]*>(.*?)</a>', html)
    assert link and link.group(1) == "Kartu pinjaman (PDF)"
