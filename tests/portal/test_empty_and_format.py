"""Every portal page renders for a member with nothing yet (each section says so), and
every amount on the pages is written ``Rp 1.234.567`` (negatives ``-Rp 25.000``), never
as a bare or a machine number."""

import re
from datetime import date, timedelta

from .conftest import CLOSED, Y, client_for, docs, loan_product, text

PAGES = [
    "/portal/",
    "/portal/transaksi/",
    "/portal/pinjaman/",
    "/portal/pinjaman/simulasi/",
    "/portal/potong-gaji/",
    "/portal/shu/",
]
# what may carry 4+ digits on a portal page besides amounts: years, receipt and loan
# numbers (SET-2025-000003, PJ-2026-000001; a payroll payment's batch JU-2026-00012), member and account numbers (A00001-SS)
NOT_AMOUNTS = re.compile(r"\b(?:19|20)\d\d\b|\b[A-Z]+-\d{4}-\d{5,7}\b|\bA\d{5}(?:-[A-Z]+)?\b")
BARE = re.compile(r"\d{4,}|\d[.,]\d{2}(?!\d)|\d,\d{3}")
RP = re.compile(r"-?Rp (\d(?:[\d.,]*\d)?)")
GROUPED = re.compile(r"^\d{1,3}(?:\.\d{3})*$")
# the savings story's February, to its last day (the 29th in a leap year: its jasa posts then)
FEBRUARY_END = date(CLOSED, 3, 1) - timedelta(days=1)


def assert_amounts_written_as_rupiah(page: str, where: str) -> None:
    words = NOT_AMOUNTS.sub(" ", text(page))
    for amount in RP.findall(words):
        assert GROUPED.match(amount), (where, amount)
    bare = BARE.findall(RP.sub(" ", words))
    assert not bare, (where, bare)


def test_every_page_says_what_is_not_there_yet(tenant_a, rina):
    portal = client_for(tenant_a, rina.user)
    expected = {
        "/portal/": [
            "Tidak ada angsuran yang harus dibayar.",
            "Belum ada potong gaji.",
            "Belum ada rekening simpanan.",
            "Tidak ada pinjaman.",
        ],
        "/portal/transaksi/": ["Belum ada rekening simpanan."],
        "/portal/pinjaman/": ["Tidak ada pinjaman."],
        "/portal/pinjaman/simulasi/": [],
        "/portal/potong-gaji/": ["Belum ada potong gaji."],
        "/portal/shu/": ["Belum ada SHU yang dibagikan."],
    }
    for url, says in expected.items():
        resp = portal.get(url)
        assert resp.status_code == 200, url
        page = text(resp.content.decode())
        assert all(s in page for s in says), (url, [s for s in says if s not in page])
        assert_amounts_written_as_rupiah(resp.content.decode(), url)


def test_an_application_not_disbursed_has_an_empty_schedule_and_no_payments(tenant_a, staff, rina):
    from core.loans.services import loan_apply

    loan = loan_apply(
        member=rina,
        product=loan_product(),
        principal="5000000",
        tenor=10,
        by=staff["petugas"],
        on=date.today(),
        documents=docs(),
    )
    portal = client_for(tenant_a, rina.user)
    resp = portal.get(f"/portal/pinjaman/{loan.pk}/")
    assert resp.status_code == 200
    page = text(resp.content.decode())
    assert "Status Diajukan" in page and "Pokok pinjaman Rp 5.000.000" in page
    assert "Belum ada jadwal." in page and "Belum ada pembayaran." in page
    assert_amounts_written_as_rupiah(resp.content.decode(), "application")


def test_amounts_on_a_full_history_are_written_as_rupiah(tenant_a, rina, loan_story):
    portal = client_for(tenant_a, rina.user)
    urls = PAGES + [f"/portal/pinjaman/{loan_story[k].pk}/" for k in "abc"]
    for url in urls:
        resp = portal.get(url, {"date_from": f"{Y}-01-01", "date_to": f"{Y}-12-31"})
        assert resp.status_code == 200, url
        assert_amounts_written_as_rupiah(resp.content.decode(), url)


def test_savings_and_shu_amounts_are_written_as_rupiah(tenant_a, rina, savings_story):
    portal = client_for(tenant_a, rina.user)
    for url in ("/portal/", "/portal/transaksi/", "/portal/shu/"):
        resp = portal.get(url, {"date_from": f"{CLOSED}-01-01", "date_to": f"{Y}-12-31"})
        page = resp.content.decode()
        assert_amounts_written_as_rupiah(page, url)
    assert "-Rp 25.000" in text(
        portal.get(
            "/portal/transaksi/",
            {"date_from": f"{CLOSED}-02-01", "date_to": f"{FEBRUARY_END:%Y-%m-%d}"},
        ).content.decode()
    )
