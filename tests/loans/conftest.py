"""Loans test set-up: staff per role, a member who can borrow, a test product with every
fee, and a helper that walks a loan through the workflow to disbursement."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client

from core.common.errors import ApplicationError
from core.loans.models import LoanProduct
from tests.members import factories as f

# An instalment row as the excess-to-principal reversal tests compare it before and
# after (tests/loans/test_excess_reversal_property.py,
# tests/loans/test_repayment_reversal_excess.py): its id and version, so a row
# re-amortised and put back is seen as the same row, and every figure a payment changes.
ROW_FIELDS = (
    "id",
    "version",
    "number",
    "due_date",
    "principal",
    "jasa",
    "principal_paid",
    "jasa_paid",
    "jasa_waived",
    "penalty_paid",
    "penalty_periods",
    "penalty_charged",
    "settled",
    "settled_on",
)


def month_close_as_treasurer(*, period, by):
    """Close a month as the treasurer does: a fiscal year's last month only after the
    arrears/PPAP run dated its last day (the loans' close guard asks for it; a test whose
    month falls in December, from January on, makes it from the screen's service)."""
    from core.ledger.models import FiscalYear
    from core.ledger.services import period_close
    from core.loans.arrears_asof import arrears_close_refusal, loans_arrears_run

    end = period.end_date
    if FiscalYear.objects.filter(end_date=end).exists() and arrears_close_refusal(end):
        loans_arrears_run(on=end, by=by)
    return period_close(period=period, by=by)


def docs():
    return [
        ("application_letter", SimpleUploadedFile("surat.pdf", b"%PDF-1.4 surat")),
        ("payslip", SimpleUploadedFile("slip.pdf", b"%PDF-1.4 slip")),
    ]


def approval_backdate(loan, on):
    """History in a test written before the services took a date: the treasurer's
    verification and the chair's approval dated ``on`` (the business dates; the click
    stamps stay), so a back-dated disbursement on or after ``on`` follows the approval.
    New tests pass ``on=`` to ``loan_verify`` / ``loan_approve`` instead. Returns the
    loan, re-read."""
    from core.loans.models import Loan

    Loan.objects.filter(pk=loan.pk).update(verified_on=on, approved_on=on)
    loan.refresh_from_db()
    return loan


def loan_paid_out(*, member, product, principal: str, tenor: int, on, staff, by=None):
    """A loan of ``principal`` over ``tenor`` months applied (petugas), verified
    (``by``, the bendahara unless said), approved (ketua) on ``on`` and disbursed that day
    by ``by``; returned re-read."""
    from decimal import Decimal

    from core.loans.services import loan_apply, loan_approve, loan_disburse, loan_verify

    by = by or staff["bendahara"]
    loan = loan_apply(
        member=member,
        product=product,
        principal=Decimal(principal),
        tenor=tenor,
        by=staff["petugas"],
        on=on,
        documents=docs(),
    )
    loan = loan_approve(loan=loan_verify(loan=loan, by=by), by=staff["ketua"])
    approval_backdate(loan, on)
    loan_disburse(loan=loan, by=by, on=on)
    loan.refresh_from_db()
    return loan


def schedule_snapshot_forget(rep):
    """A payment with an excess to principal as made before its schedule was kept
    (``Repayment.schedule_before`` empty): the repayment table refuses updates, so its
    triggers are set aside (``session_replication_role``) for this one statement.
    Returns the repayment re-read."""
    from core.loans.models import Repayment

    with connection.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute("UPDATE loans_repayment SET schedule_before = '{}' WHERE id = %s", [rep.pk])
        cur.execute("SET LOCAL session_replication_role = origin")
    return Repayment.objects.get(pk=rep.pk)


def assert_reconciled():
    """Loan sub-ledger = ledger control accounts (principal and PPAP), and the deferred
    DB checks (balanced entries, repayments linked to entries) hold now."""
    from core.loans.selectors import loans_reconciliation

    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("SET CONSTRAINTS ALL DEFERRED")
    rec = loans_reconciliation()
    assert rec["principal_subledger"] == rec["principal_ledger"], rec
    assert rec["ppap_subledger"] == rec["ppap_ledger"], rec


@pytest.fixture(autouse=True)
def _reconciled_after_each_test(request):
    """After every test that used cooperative A (all money-moving tests do): the loan
    sub-ledger still equals the ledger's control accounts. Runs before the rollback."""
    if "in_tenant_a" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("db")
    yield
    from tenants.models import Cooperative

    connection.set_tenant(Cooperative.objects.get(slug="alpha"))
    try:
        assert_reconciled()
    finally:
        connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def login(client_a, in_tenant_a):
    """A client of tenant A logged in as ``user``: ``login(user).get(...)``."""

    def as_user(user):
        c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
        c.force_login(user)
        return c

    return as_user


@pytest.fixture
def staff(in_tenant_a):
    return {r: f.user(r) for r in ("admin", "ketua", "bendahara", "petugas", "pengawas")}


@pytest.fixture
def member(in_tenant_a):
    return f.member(take_home_pay=D("15000000"), email="anggota@x.test")


@pytest.fixture
def product(in_tenant_a):
    return product_with_every_fee()


def product_with_every_fee() -> LoanProduct:
    """The test product with every fee, created in the current schema."""
    return LoanProduct.objects.create(
        code="TST",
        name="Produk Uji",
        method="flat",
        rate=D("1"),
        rate_period="month",
        min_amount=D("1000000"),
        max_amount=D("50000000"),
        min_tenor=1,
        max_tenor=24,
        admin_fee_kind="percent",
        admin_fee_value=D("1"),
        provisi_kind="percent",
        provisi_value=D("0.5"),
        insurance_kind="fixed",
        insurance_value=D("50000"),
        wajib_pinjam_kind="percent",
        wajib_pinjam_value=D("1"),
        risk_fund_kind="percent",
        risk_fund_value=D("0.5"),
        late_penalty_rate=D("2"),
        late_penalty_basis="per_month",
        late_penalty_grace_days=5,
        early_payoff_kind="percent",
        early_payoff_value=D("1"),
        max_instalment_share=D("33.33"),
        min_membership_months=6,
    )


@pytest.fixture
def make_loan(staff, member, product, today):
    """Apply (petugas), verify (bendahara), approve (ketua), disburse (bendahara)
    ``days_ago`` days ago (each step dated that day). Stops early at ``until`` ("applied", "verified", "approved")."""

    def make(principal=D("10000000"), tenor=10, days_ago=0, until=None, who=None, prod=None, **kw):
        return loan_made(
            staff,
            who or member,
            prod or product,
            today,
            principal=principal,
            tenor=tenor,
            days_ago=days_ago,
            until=until,
            **kw,
        )

    return make


def loan_made(
    staff,
    member,
    product,
    today,
    *,
    principal=D("10000000"),
    tenor=10,
    days_ago=0,
    until=None,
    **kw,
):
    """What ``make_loan`` does, for a fixture that builds loans once (staff: a dict of
    users by role with petugas, bendahara and ketua)."""
    from core.ledger.services import fiscal_year_ensure
    from core.loans.services import loan_apply, loan_approve, loan_disburse, loan_verify

    on = today - timedelta(days=days_ago)
    # the ledger posts nothing before its books start: open the earlier years first,
    # one by one, as an admin would (fiscal_year_ensure)
    for year in range(today.year - 1, on.year - 1, -1):
        fiscal_year_ensure(year=year)
    loan = loan_apply(
        member=member,
        product=product,
        principal=principal,
        tenor=tenor,
        by=staff["petugas"],
        on=on,
        documents=docs(),
        **kw,
    )
    if until == "applied":
        return loan
    loan = loan_verify(loan=loan, by=staff["bendahara"], on=on)
    if until == "verified":
        return loan
    loan = loan_approve(loan=loan, by=staff["ketua"], on=on)
    if until == "approved":
        return loan
    loan_disburse(loan=loan, by=staff["bendahara"], on=on)
    loan.refresh_from_db()
    return loan


@pytest.fixture
def recovery_made(make_loan, staff, today):
    """A loan paid out 320 days ago, graded (Macet), written off today by the ketua
    (SK-9) and Rp 1.500.000 received on it by bank transfer: ``(loan, recovery)``."""
    from core.loans.arrears import loans_arrears_update
    from core.loans.services import loan_recovery_receive, loan_write_off

    loan = make_loan(days_ago=320)
    loans_arrears_update(on=today)
    loan_write_off(loan=loan, by=staff["ketua"], on=today, reason="Macet", decision_ref="SK-9")
    loan.refresh_from_db()
    rec = loan_recovery_receive(
        loan=loan, amount=D(1_500_000), by=staff["petugas"], on=today, channel="bank"
    )
    return loan, rec


def attempt(fn) -> bool:
    """Run ``fn`` in a savepoint: True if it went through, False if a service refused it
    (ApplicationError; the savepoint rolled back, so a refused step changes nothing).
    For the property tests' random steps."""
    try:
        with transaction.atomic():
            fn()
        return True
    except ApplicationError:
        return False
