"""Issue 17 item 9: one gap-free receipt series per kind and year (savings deposit SET,
withdrawal TAR, loan repayment ANG, disbursement voucher PCR), numbered inside the
posting transaction (a rolled-back posting gives its number back); loan receipts no
longer use the global row id and the savings "KW" prefix; messages say ``Rp 1.100.000``
and dates in Indonesian."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.utils import timezone

from core.common.dates import format_tanggal
from core.ledger.models import Receipt, ReceiptSeries
from core.ledger.selectors import receipt_gaps
from core.ledger.services import receipt_number_take
from tests.loans.conftest import approval_backdate
from tests.loans.conftest import assert_reconciled as loans_reconciled
from tests.members import factories as f


def test_series_are_per_kind_and_year_and_a_rollback_leaves_no_gap(in_tenant_a):
    on = date(2026, 3, 1)
    with transaction.atomic():
        assert receipt_number_take(kind="SET", on=on) == "SET-2026-000001"
        assert receipt_number_take(kind="ANG", on=on) == "ANG-2026-000001"
        assert receipt_number_take(kind="SET", on=date(2025, 12, 31)) == "SET-2025-000001"
    with pytest.raises(RuntimeError), transaction.atomic():
        receipt_number_take(kind="SET", on=on)  # "SET-2026-000002", then the posting fails
        raise RuntimeError("posting failed")
    with transaction.atomic():
        assert receipt_number_take(kind="SET", on=on) == "SET-2026-000002"
    assert receipt_gaps(kind="SET", year=2026) == []
    assert ReceiptSeries.objects.get(kind="SET", year=2026).last == 2
    with pytest.raises(ValueError), transaction.atomic():
        receipt_number_take(kind="KW", on=on)


def test_format_tanggal_is_indonesian():
    assert format_tanggal(date(2027, 1, 5)) == "5 Januari 2027"
    assert format_tanggal(date(2026, 8, 17)) == "17 Agustus 2026"


@pytest.fixture
def loans_setup(in_tenant_a):
    from core.loans.models import LoanProduct
    from core.savings.seeding import savings_products_seed

    savings_products_seed()
    staff = {r: f.user(r) for r in ("admin", "ketua", "bendahara", "petugas")}
    product = LoanProduct.objects.create(
        code="PR",
        name="Pinjaman Reguler",
        method="flat",
        rate=D("1"),
        rate_period="month",
        min_amount=D("1000000"),
        max_amount=D("50000000"),
        min_tenor=1,
        max_tenor=24,
        late_penalty_rate=D("0"),
        max_instalment_share=D("50"),
        min_membership_months=0,
    )
    return staff, product


def _loan(staff, product, member, on):
    from core.loans.services import loan_apply, loan_approve, loan_disburse, loan_verify
    from tests.loans.conftest import docs

    ln = loan_apply(
        member=member,
        product=product,
        principal=D("10000000"),
        tenor=10,
        by=staff["petugas"],
        on=on,
        documents=docs(),
    )
    loan_verify(loan=ln, by=staff["bendahara"])
    loan_approve(loan=ln, by=staff["ketua"])
    approval_backdate(ln, on)  # approved on the day it is paid out
    with transaction.atomic():
        loan_disburse(loan=ln, by=staff["bendahara"], on=on)
    ln.refresh_from_db()
    return ln


def test_loan_repayments_and_disbursements_have_their_own_series(
    loans_setup, settings, django_capture_on_commit_callbacks
):
    from core.loans.services import loan_repay
    from core.savings.models import SavingsProduct
    from core.savings.services import savings_account_open, teller_deposit

    settings.MEDIA_ROOT = "/tmp/i17-media"
    staff, product = loans_setup
    today = timezone.localdate()
    on = today.replace(day=1)
    m = f.member(take_home_pay=D("15000000"), email="anggota@example.test")
    # a savings deposit first: it must not take a loan receipt number (today's code: the
    # loan receipt was KW-<year>-<row id>, the savings deposit series' prefix)
    acc = savings_account_open(member=m, product=SavingsProduct.objects.get(kind="sukarela"), on=on)
    txn = teller_deposit(account=acc, amount=D("50000"), channel="cash", on=on, by=staff["petugas"])
    assert txn.receipt_number == f"SET-{today.year}-000001"
    with django_capture_on_commit_callbacks(execute=True):
        loan = _loan(staff, product, m, on)
    assert Receipt.objects.get(source_ref=f"loan:{loan.pk}:disburse").number == (
        f"PCR-{today.year}-000001"
    )
    body = mail.outbox[-1].body
    assert f"PCR-{today.year}-000001" in body and "Rp 1.100.000" in body
    assert format_tanggal(loan.instalments.order_by("number").first().due_date) in body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        r1 = loan_repay(loan=loan, amount=D("1100000"), by=staff["petugas"], on=today)
    with django_capture_on_commit_callbacks(execute=True):
        r2 = loan_repay(loan=loan, amount=D("1100000"), by=staff["petugas"], on=today)
    assert (r1.receipt_number, r2.receipt_number) == (
        f"ANG-{today.year}-000001",
        f"ANG-{today.year}-000002",
    )
    assert "Rp 1.100.000" in mail.outbox[0].body and "Rp 8.000.000" in mail.outbox[-1].body
    assert "1,100,000" not in mail.outbox[0].body
    assert receipt_gaps(kind="ANG", year=today.year) == []
    # the receipt page and the API show the series number
    from tenants.services import tenant_host

    c = Client(HTTP_HOST=tenant_host(in_tenant_slug()))
    c.force_login(staff["bendahara"])
    page = c.get(f"/pinjaman/kuitansi/{r2.pk}/").content.decode()
    assert f"ANG-{today.year}-000002" in page
    loans_reconciled()


def in_tenant_slug():
    from django.db import connection

    return connection.tenant.slug
