"""Screens and REST API of members and savings, with permissions per role."""

import json
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.ledger.models import JournalEntry
from core.members.models import Agency, Member
from core.savings.models import SavingsAccount, SavingsTransaction
from core.savings.services import savings_account_open, teller_deposit
from tests.members import factories as f

from .conftest import assert_reconciled

D = Decimal


@pytest.fixture
def login(tenant_a, in_tenant_a):
    from tenants.services import tenant_host

    users = {}

    def make(role: str) -> Client:
        if role not in users:
            users[role] = f.user(role)
        c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
        c.force_login(users[role])
        return c

    return make


@pytest.fixture
def account(products, member_a):
    return savings_account_open(
        member=member_a, product=products["sukarela"], on=timezone.localdate()
    )


# --- members screens --------------------------------------------------------------


def test_member_list_search_filter_and_pagination(login, member_a):
    other = f.agency("RSUD", "RSUD dr. Doris Sylvanus")
    for i in range(30):
        f.member(agency_obj=other, full_name=f"Perawat {i:02d}")
    c = login("petugas")
    r = c.get(reverse("members:list"), {"q": member_a.nip[:12]})
    assert r.status_code == 200 and member_a.full_name in r.content.decode()
    r = c.get(reverse("members:list"), {"agency": other.pk, "status": "active"})
    body = r.content.decode()
    assert "Perawat 00" in body and member_a.full_name not in body
    assert "Halaman 1 dari 2" in body
    r = c.get(reverse("members:list"), {"agency": other.pk, "page": 2})
    assert "Perawat 29" in r.content.decode()


def test_member_create_screen_refuses_bad_nip_and_writes_nothing(login):
    agency = f.agency()
    c = login("petugas")
    before = Member.objects.count()
    nip, nik = f.unique_ids()
    r = c.post(
        reverse("members:create"),
        {
            "full_name": "Ani",
            "nip": "1234",
            "nik": nik,
            "agency": agency.pk,
            "join_date": "2022-01-03",
        },
    )
    assert r.status_code == 200
    assert "NIP harus 18 digit" in r.content.decode()
    assert Member.objects.count() == before
    r = c.post(
        reverse("members:create"),
        {
            "full_name": "Ani",
            "nip": nip,
            "nik": nik,
            "agency": agency.pk,
            "join_date": "2022-01-03",
        },
    )
    assert r.status_code == 302
    m = Member.objects.get(nip=nip)
    r = c.get(reverse("members:detail", args=[m.pk]))
    assert r.status_code == 200 and nip in r.content.decode()


def test_member_edit_records_history(login, member_a):
    c = login("bendahara")
    data = {
        "full_name": member_a.full_name,
        "nip": member_a.nip,
        "nik": member_a.nik,
        "golongan": "IV/a",
        "agency": member_a.agency_id,
        "reason": "SK pangkat",
    }
    r = c.post(reverse("members:edit", args=[member_a.pk]), data)
    assert r.status_code == 302
    assert member_a.changes.filter(field="golongan", new_value="IV/a", reason="SK pangkat").exists()


def test_agency_screens(login):
    c = login("admin")
    r = c.post(
        reverse("members:agency_create"),
        {
            "code": "bkpsdm",
            "name": "BKPSDM Kota Palangka Raya",
            "treasurer_phone": "0811-5222-333",
            "is_active": "on",
        },
    )
    assert r.status_code == 302
    a = Agency.objects.get(code="BKPSDM")
    assert a.treasurer_phone == "+628115222333"
    r = c.post(
        reverse("members:agency_edit", args=[a.pk]),
        {"code": "BKPSDM", "name": "BKPSDM", "treasurer_phone": "123"},
    )
    assert r.status_code == 200 and "+62" in r.content.decode()
    assert c.get(reverse("members:agencies")).status_code == 200


def test_import_screens_upload_report_and_confirm(login, products):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.members.test_import import rows, to_csv

    f.agency("DISDIK")
    f.agency("RSUD")
    c = login("bendahara")
    assert c.get(reverse("members:import_template", args=["xlsx"])).status_code == 200
    assert c.get(reverse("members:import_template", args=["csv"]))["Content-Type"].startswith(
        "text/csv"
    )
    bad = rows(3)
    bad[1]["nip"] = "99"
    r = c.post(reverse("members:import"), {"file": SimpleUploadedFile("a.csv", to_csv(bad))})
    assert r.status_code == 302
    r = c.get(r["Location"])
    assert (
        "Laporan kesalahan per baris" in r.content.decode()
        and "NIP harus 18 digit" in r.content.decode()
    )
    good = rows(3)
    r = c.post(reverse("members:import"), {"file": SimpleUploadedFile("b.csv", to_csv(good))})
    detail = r["Location"]
    r = c.post(detail, {"opening_date": timezone.localdate().replace(month=1, day=1).isoformat()})
    assert r.status_code == 302
    assert Member.objects.filter(nip__in=[g["nip"] for g in good]).count() == 3
    assert_reconciled()
    r = c.post(
        reverse("members:import"),
        {"file": SimpleUploadedFile("c.txt", "nama;nip\n".encode("utf-16"))},
    )
    assert r.status_code == 200 and "UTF-8" in r.content.decode()


# --- teller, receipts, statements ---------------------------------------------------


def test_teller_deposit_withdraw_receipt_and_summary(login, account):
    c = login("petugas")
    url = reverse("savings:teller")
    assert c.get(url, {"q": account.member.nip}).status_code == 200
    r = c.post(
        url, {"account": account.pk, "action": "deposit", "amount": "250.000", "channel": "cash"}
    )
    assert r.status_code == 302
    txn = SavingsTransaction.objects.get(account=account)
    assert txn.amount == D("250000") and txn.receipt_number
    pdf = c.get(reverse("savings:receipt", args=[txn.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    before = (SavingsTransaction.objects.count(), JournalEntry.objects.count())
    r = c.post(
        url, {"account": account.pk, "action": "withdraw", "amount": "300000", "channel": "cash"}
    )
    assert r.status_code == 200 and "Saldo tidak cukup" in r.content.decode()
    assert (SavingsTransaction.objects.count(), JournalEntry.objects.count()) == before
    r = c.post(
        url, {"account": account.pk, "action": "withdraw", "amount": "12,5", "channel": "cash"}
    )
    assert r.status_code == 200 and "rupiah utuh" in r.content.decode()
    r = c.get(reverse("savings:teller_summary"))
    assert r.status_code == 200 and "Rp 250.000" in r.content.decode()
    assert_reconciled()


def test_statement_html_and_pdf(login, account, teller):
    today = timezone.localdate()
    teller_deposit(account=account, amount=D("125000"), channel="cash", on=today, by=teller)
    c = login("pengawas")
    r = c.get(reverse("savings:statement", args=[account.member_id]))
    assert r.status_code == 200 and "Rp 125.000" in r.content.decode()
    r = c.get(reverse("savings:statement", args=[account.member_id]), {"format": "pdf"})
    assert r.status_code == 200 and r.content.startswith(b"%PDF")


def test_accounts_and_reconciliation_screens(login, account, teller):
    teller_deposit(
        account=account, amount=D("1000"), channel="cash", on=timezone.localdate(), by=teller
    )
    c = login("ketua")
    assert c.get(reverse("savings:accounts")).status_code == 200
    assert c.get(reverse("savings:account", args=[account.pk])).status_code == 200
    r = c.get(reverse("savings:reconciliation"))
    assert r.status_code == 200 and "Cocok" in r.content.decode()


def test_exit_screen_shows_net_and_confirms(login, account, teller):
    today = timezone.localdate()
    teller_deposit(account=account, amount=D("640000"), channel="cash", on=today, by=teller)
    c = login("bendahara")
    url = reverse("exits:settle", args=[account.member_id])
    r = c.get(url)
    assert r.status_code == 200 and "Rp 640.000" in r.content.decode()
    r = c.post(
        url,
        {
            "reason": "retired",
            "on": today.isoformat(),
            "channel": "bank",
            "payee": "member",
            "expected_net": "640000",
        },
    )
    assert r.status_code == 302
    assert Member.objects.get(pk=account.member_id).status == "retired"
    assert c.get(url).status_code == 200  # the done page
    assert_reconciled()


# --- permissions ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "get_ok", "post_ok"),
    [
        ("admin", True, True),
        ("ketua", True, True),
        ("bendahara", True, True),
        ("petugas", True, True),
        ("pengawas", True, False),
        ("anggota", False, False),
    ],
)
def test_teller_permissions_per_role(login, account, role, get_ok, post_ok):
    c = login(role)
    url = reverse("savings:teller")
    assert (c.get(url).status_code == 200) is get_ok
    r = c.post(
        url, {"account": account.pk, "action": "deposit", "amount": "1000", "channel": "cash"}
    )
    assert (r.status_code == 302) is post_ok
    if not post_ok:
        assert r.status_code == 403
        assert not SavingsTransaction.objects.filter(account=account).exists()


@pytest.mark.parametrize("role", ["petugas", "pengawas"])
def test_interest_and_exit_are_for_treasury_or_board(login, account, role):
    c = login(role)
    r = c.post(
        reverse("savings:reconciliation"), {"product": account.product_id, "year": 2026, "month": 1}
    )
    assert r.status_code == 403
    r = c.post(reverse("exits:settle", args=[account.member_id]), {"reason": "resigned"})
    assert r.status_code == 403
    assert Member.objects.get(pk=account.member_id).status == "active"


def test_anonymous_redirected_to_login(tenant_a, in_tenant_a):
    from tenants.services import tenant_host

    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    r = c.get(reverse("members:list"))
    assert r.status_code == 302 and "masuk" in r["Location"]


# --- REST API -----------------------------------------------------------------------


def test_api_members_create_list_and_errors(login):
    agency = f.agency()
    c = login("petugas")
    nip, nik = f.unique_ids()
    r = c.post(
        "/api/v1/members/",
        {
            "full_name": "Rina Ranan",
            "nip": nip,
            "nik": nik,
            "agency": agency.pk,
            "join_date": "2023-02-01",
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["number"] and r.json()["gender"] == "L"
    r = c.post(
        "/api/v1/members/",
        {
            "full_name": "Dup",
            "nip": nip,
            "nik": f.unique_ids()[1],
            "agency": agency.pk,
            "join_date": "2023-02-01",
        },
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "member_duplicate_nip"
    r = c.get("/api/v1/members/", {"q": "rina"})
    assert r.status_code == 200 and r.json()["results"][0]["nip"] == nip
    mid = r.json()["results"][0]["id"]
    r = c.patch(
        f"/api/v1/members/{mid}/",
        {"golongan": "III/c", "reason": "SK"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["golongan"] == "III/c"
    assert c.get("/api/v1/agencies/").status_code == 200


def test_api_pengawas_reads_never_writes_and_anggota_is_refused(login, account):
    p = login("pengawas")
    assert p.get("/api/v1/members/").status_code == 200
    assert p.get("/api/v1/savings/accounts/").status_code == 200
    r = p.post(
        "/api/v1/savings/transactions/",
        {"account": account.pk, "action": "deposit", "amount": "1000", "channel": "cash"},
        content_type="application/json",
    )
    assert r.status_code == 403
    a = login("anggota")
    for url in (
        "/api/v1/members/",
        "/api/v1/savings/accounts/",
        f"/api/v1/savings/statements/{account.member_id}/",
    ):
        assert a.get(url).status_code == 403


def test_api_transactions_and_statement(login, account):
    c = login("petugas")
    r = c.post(
        "/api/v1/savings/transactions/",
        {"account": account.pk, "action": "deposit", "amount": "400000", "channel": "bank"},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["receipt_number"].startswith("SET-")
    r = c.post(
        "/api/v1/savings/transactions/",
        {"account": account.pk, "action": "withdraw", "amount": "400001", "channel": "cash"},
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "savings_insufficient_balance"
    r = c.post(
        "/api/v1/savings/transactions/",
        {"account": account.pk, "action": "deposit", "amount": "10.50", "channel": "cash"},
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "savings_bad_amount"
    r = c.get("/api/v1/savings/transactions/", {"account": account.pk})
    assert r.json()["count"] == 1
    r = c.get(f"/api/v1/savings/statements/{account.member_id}/")
    body = json.loads(r.content)
    acc = next(a for a in body["accounts"] if a["account"]["id"] == account.pk)
    assert acc["closing"] == "400000.00" and len(acc["transactions"]) == 1
    assert c.get("/api/v1/savings/products/").status_code == 200
    assert SavingsAccount.objects.get(pk=account.pk).balance == D("400000")
    assert_reconciled()
