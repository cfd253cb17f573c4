"""HTML screens, PDF and XLSX downloads, and who may do what on them."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from core.ledger.models import Account, JournalEntry, LedgerSettings, ManualEntryRequest, Period
from core.ledger.services import LineSpec, journal_post

D = Decimal
REPORT_KINDS = ["neraca", "neraca-saldo", "phu", "perubahan-ekuitas", "arus-kas"]


@pytest.fixture
def posted(in_tenant_a, bendahara, today):
    journal_post(
        on=today,
        description="Modal awal",
        by=bendahara,
        lines=[LineSpec("1101", debit=D("5000000")), LineSpec("3106", credit=D("5000000"))],
    )
    return journal_post(
        on=today,
        description="Jasa pinjaman",
        by=bendahara,
        lines=[LineSpec("1101", debit=D("250000")), LineSpec("4101", credit=D("250000"))],
    )


@pytest.mark.parametrize("role", ["admin", "bendahara", "ketua", "petugas", "pengawas"])
def test_every_screen_renders_for_staff(login, posted, role):
    c = login(role)
    cash = Account.objects.get(code="1101")
    urls = [
        "/buku-besar/akun/",
        "/buku-besar/jurnal/",
        f"/buku-besar/jurnal/{posted.pk}/",
        "/buku-besar/laporan/",
        f"/buku-besar/akun/{cash.pk}/buku-besar/",
        "/buku-besar/periode/",
    ] + [f"/buku-besar/laporan/{k}/" for k in REPORT_KINDS]
    for url in urls:
        resp = c.get(url)
        assert resp.status_code == 200, (url, resp.status_code)
    assert "Rp 5.250.000" in c.get("/buku-besar/akun/").content.decode()


def test_anggota_cannot_see_ledger(login, posted):
    assert login("anggota").get("/buku-besar/laporan/neraca/").status_code == 403


def test_report_pdf_has_letterhead_and_xlsx_has_numbers(login, posted, tenant_a):
    c = login("pengawas")
    for kind in REPORT_KINDS:
        pdf = c.get(f"/buku-besar/laporan/{kind}/?format=pdf")
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert pdf.content[:5] == b"%PDF-"
        x = c.get(f"/buku-besar/laporan/{kind}/?format=xlsx")
        assert x.status_code == 200
        wb = load_workbook(io.BytesIO(x.content))
        ws = wb.active
        assert ws["A1"].value == tenant_a.name
    x = c.get("/buku-besar/laporan/neraca/?format=xlsx")
    values = [
        c.value for row in load_workbook(io.BytesIO(x.content)).active.iter_rows() for c in row
    ]
    assert 5250000 in values  # total assets as a number, not text


def test_pdf_layout_has_letterhead_and_rupiah(in_tenant_a, posted, tenant_a, today):
    from django.db import connection
    from django.template.loader import render_to_string

    from core.ledger import reports, tables

    table = tables.balance_sheet_table(reports.balance_sheet(as_of=today, compare_as_of=None))
    html = render_to_string(
        "ledger/report_pdf.html",
        {"cooperative": connection.tenant, "table": tables.with_cell_kinds(table)},
    )
    assert tenant_a.name in html
    assert "Rp 5.250.000" in html and "JUMLAH ASET" in html


def test_pengawas_cannot_post_manual_entry(login, in_tenant_a, today):
    c = login("pengawas")
    resp = c.post("/buku-besar/jurnal/baru/", {"date": today.isoformat(), "description": "x"})
    assert resp.status_code == 403
    assert login("petugas").get("/buku-besar/jurnal/baru/").status_code == 403


def test_manual_entry_form_posts_with_indonesian_amounts(login, in_tenant_a, today):
    c = login("bendahara")
    before = JournalEntry.objects.count()
    resp = c.post(
        "/buku-besar/jurnal/baru/",
        {
            "date": today.isoformat(),
            "description": "Bayar listrik",
            "account_0": "5306",
            "debit_0": "1.250.000",
            "account_1": "1101",
            "credit_1": "1250000,00",
        },
    )
    assert resp.status_code == 302
    assert JournalEntry.objects.count() == before + 1
    e = JournalEntry.objects.latest("id")
    assert e.lines.get(account__code="5306").debit == D("1250000")


def test_manual_entry_form_shows_error_and_writes_nothing(login, in_tenant_a, today):
    c = login("bendahara")
    before = JournalEntry.objects.count()
    resp = c.post(
        "/buku-besar/jurnal/baru/",
        {
            "date": today.isoformat(),
            "description": "Salah",
            "account_0": "5306",
            "debit_0": "100",
            "account_1": "1101",
            "credit_1": "90",
        },
        follow=True,
    )
    assert "tidak seimbang" in resp.content.decode()
    assert JournalEntry.objects.count() == before


def test_manual_entry_with_approval_needs_another_user(login, in_tenant_a, today):
    LedgerSettings.objects.update_or_create(id=1, defaults={"manual_entry_approval": True})
    c = login("bendahara")
    before = JournalEntry.objects.count()
    data = {
        "date": today.isoformat(),
        "description": "Beli ATK",
        "account_0": "5302",
        "debit_0": "300000",
        "account_1": "1101",
        "credit_1": "300000",
    }
    assert c.post("/buku-besar/jurnal/baru/", data).status_code == 302
    assert JournalEntry.objects.count() == before
    req = ManualEntryRequest.objects.get(status="pending")
    # the requester cannot approve their own entry
    c.post(f"/buku-besar/jurnal/permintaan/{req.pk}/", {"action": "approve"})
    req.refresh_from_db()
    assert req.status == "pending"
    ketua = login("ketua")
    resp = ketua.post(f"/buku-besar/jurnal/permintaan/{req.pk}/", {"action": "approve"})
    assert resp.status_code == 302
    req.refresh_from_db()
    assert req.status == "approved" and req.entry.lines.count() == 2


def test_reverse_from_entry_page(login, posted, today):
    from core.common.money import format_rupiah

    c = login("bendahara")
    data = {"date": today.isoformat(), "reason": "salah akun"}
    # first the confirmation: every line the other way round and the total; nothing posted
    resp = c.post(f"/buku-besar/jurnal/{posted.pk}/", data)
    assert resp.status_code == 200
    box = resp.content.decode().split('id="confirm"')[1]
    total = sum(ln.debit for ln in posted.lines.all())
    assert "Total dibalik" in box and f"Ya, posting pembalik {format_rupiah(total)}" in box
    assert "salah akun" in box
    assert not JournalEntry.objects.filter(reverses=posted).exists()
    resp = c.post(f"/buku-besar/jurnal/{posted.pk}/", data | {"confirmed": "1"})
    assert resp.status_code == 302
    assert JournalEntry.objects.filter(reverses=posted).exists()


def test_reverse_with_an_unreadable_date_is_refused_not_posted_today(login, posted):
    c = login("bendahara")
    data = {"date": "31/31/2026", "reason": "salah akun", "confirmed": "1"}
    resp = c.post(f"/buku-besar/jurnal/{posted.pk}/", data, follow=True)
    assert resp.status_code == 200
    assert list(resp.context["messages"])[0].level_tag == "error"
    assert not JournalEntry.objects.filter(reverses=posted).exists()


def test_period_close_and_reopen_roles(login, in_tenant_a, today):
    from core.ledger.services import fiscal_year_ensure

    prev_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    fiscal_year_ensure(year=prev_month.year)
    last = Period.objects.get(start_date=prev_month)
    assert (
        login("petugas")
        .post("/buku-besar/periode/", {"action": "close", "period": last.pk})
        .status_code
        == 403
    )
    data = {"action": "close", "period": last.pk}
    box = login("bendahara").post("/buku-besar/periode/", data).content.decode()
    assert "Total debet jurnal periode" in box.split('id="confirm"')[1]
    last.refresh_from_db()
    assert last.status == "open"  # only the confirmed POST closes
    login("bendahara").post("/buku-besar/periode/", data | {"confirmed": "1"})
    last.refresh_from_db()
    assert last.status == "closed"
    # bendahara may not reopen (admin only): the service refuses, nothing changes
    login("bendahara").post(
        "/buku-besar/periode/", {"action": "reopen", "period": last.pk, "reason": "x"}
    )
    last.refresh_from_db()
    assert last.status == "closed"
    login("admin").post(
        "/buku-besar/periode/", {"action": "reopen", "period": last.pk, "reason": "koreksi"}
    )
    last.refresh_from_db()
    assert last.status == "open"


def test_year_close_goes_through_the_year_end(login, client_a, in_tenant_a, bendahara, today):
    """A year is closed only by the year end (checklist, income tax, SHU belum dibagi):
    the ledger's screen action leads there and its API refuses, naming the endpoint."""
    from core.ledger.services import fiscal_year_ensure

    year = today.year - 1
    fy = fiscal_year_ensure(year=year)
    c = login("bendahara")
    resp = c.post("/buku-besar/periode/", {"action": "close_year", "year": fy.pk})
    assert resp.status_code == 302 and resp["Location"] == f"/tutup-buku/{year}/"
    page = c.get("/buku-besar/periode/").content.decode()
    assert f'href="/tutup-buku/{year}/"' in page
    api = c.post(f"/api/v1/ledger/fiscal-years/{year}/close/")
    assert api.status_code == 409
    assert api.json()["error"]["code"] == "year_close_elsewhere"
    assert f"/api/v1/yearend/{year}/close/" in api.json()["error"]["message"]
    fy.refresh_from_db()
    assert fy.status != "closed"


def test_buku_besar_picker_links_every_posting_account_to_its_page(login, posted):
    """The picker's options (made from one reverse) are the accounts' buku besar URLs,
    on the reports index and on a buku besar page, the current account selected."""
    import re

    from django.urls import reverse

    c = login("bendahara")
    cash = Account.objects.get(code="1101")
    want = [
        (reverse("ledger:account_ledger", args=[a.pk]), f"{a.code} {a.name}")
        for a in Account.objects.filter(is_group=False).order_by("code")
    ]
    for url in ("/buku-besar/laporan/", f"/buku-besar/akun/{cash.pk}/buku-besar/"):
        html = c.get(url).content.decode()
        got = re.findall(r'<option value="(/buku-besar/akun/\d+/buku-besar/)"[^>]*>([^<]*)<', html)
        assert [(u, label.replace("&amp;", "&").replace("&#x27;", "'")) for u, label in got] == want
    selected = re.findall(r'<option value="(/buku-besar/[^"]*)" selected>', html)
    assert selected == [reverse("ledger:account_ledger", args=[cash.pk])]


@pytest.mark.parametrize("year_close_url", ["/tutup-buku/{year}/", ""])
def test_ledger_never_closes_a_year_without_the_year_end(
    login, in_tenant_a, bendahara, today, settings, year_close_url
):
    """The ledger's own year close (the periods screen, confirmed or not, and its API)
    closes nothing, also when no year-end page is configured: a year closed there would
    have no income tax, no SHU belum dibagi and no year-end row. The API answers the one
    JSON error shape, naming the year end's endpoint and page."""
    from datetime import date

    from core.ledger.models import FiscalYear
    from core.ledger.selectors import account_for_role
    from core.ledger.services import fiscal_year_ensure

    settings.LEDGER_YEAR_CLOSE_URL = year_close_url
    year = today.year - 1
    fy = fiscal_year_ensure(year=year)
    journal_post(
        on=date(year, 12, 15),
        description="Jasa diterima",
        by=bendahara,
        lines=[
            LineSpec(account=account_for_role("cash"), debit=D("1234567")),
            LineSpec(account=account_for_role("loan_interest_income"), credit=D("1234567")),
        ],
    )
    c = login("bendahara")
    for data in (
        {"action": "close_year", "year": fy.pk},
        {"action": "close_year", "year": fy.pk, "confirmed": "1"},
    ):
        resp = c.post("/buku-besar/periode/", data, follow=True)
        assert resp.status_code == 200
        text = " ".join(str(m) for m in resp.context["messages"])
        assert "Tutup Buku" in text, text
        assert 'name="confirmed"' not in resp.content.decode()
    api = c.post(f"/api/v1/ledger/fiscal-years/{year}/close/")
    assert api.status_code == 409
    err = api.json()["error"]
    assert err["code"] == "year_close_elsewhere"
    assert f"/api/v1/yearend/{year}/close/" in err["message"]
    assert err["fields"].get("year_end_page") == (year_close_url.format(year=year) or None)
    fy.refresh_from_db()
    assert fy.status == FiscalYear.Status.OPEN and fy.closing_entry_id is None
    assert not JournalEntry.objects.filter(source="closing", fiscal_year=year).exists()
    assert not Period.objects.filter(fiscal_year=fy, status="closed").exists()
