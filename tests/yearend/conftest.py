"""A cooperative's last year (``YEAR``) on cooperative A: three members with pokok / wajib / sukarela,
a loan repaid during the year (jasa paid), other income, and the close's preliminaries
(months closed, December interest, the arrears run)."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from core.ledger.models import Account
from core.ledger.selectors import account_for_role
from core.ledger.services import LineSpec, journal_post
from tests.loans.conftest import approval_backdate, docs, loan_paid_out
from tests.members import factories as f
from tests.module_coop import module_uncommitted

D = Decimal
# Last year, whatever day the suite runs on: the test cooperatives' books start on 1 January
# of this year (they are made when the test database is set up), and the year-end tests
# build, close and pay out the year before it, as an admin brings last year's books in.
YEAR = timezone.localdate().year - 1


def yearend_today(real: date) -> date:
    """The day the year-end tests run on: the real today from 1 July on, before it 1 July
    of this year. Their scenarios live in last year (``YEAR``) and the first half of this
    one: the RAT in March, payouts and their reversals in March and April, March's jasa
    run, an exit in April, months closed through May, a deposit in June. Each of those
    days must be past, as the services refuse a date in the future (a RAT, a payout, a
    month closed before it ends, jasa of a month not ended)."""
    return max(real, date(real.year, 7, 1))


@pytest.fixture(scope="module", autouse=True)
def _yearend_today():
    """``yearend_today`` for every module here, its module-wide fixtures (``year_once``,
    ``module_cooperative``) included: the cooperative's today (``timezone.localdate()``
    with no argument, as every service asks for it) is fixed to it when it is not the real
    one, as ``tests.conftest.today_is`` does for one test. Cooperatives made when the test
    database is set up keep this year as their first fiscal year either way."""
    real = timezone.localdate()
    day = yearend_today(real)
    if day == real:
        yield real
        return
    real_localdate = timezone.localdate

    def localdate(value=None, timezone=None):
        if value is None:
            return day
        return real_localdate(value, timezone)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("django.utils.timezone.localdate", localdate)
        yield day


@pytest.fixture
def staff(in_tenant_a):
    return {r: f.user(r) for r in ("admin", "ketua", "bendahara", "petugas", "pengawas")}


def _deposit(member, kind, amount, on, by):
    from core.savings.models import SavingsProduct
    from core.savings.services import savings_account_get_or_open, teller_deposit

    product = SavingsProduct.objects.filter(kind=kind, is_active=True).order_by("id").first()
    acc = savings_account_get_or_open(member=member, product=product, on=on, by=by)
    return teller_deposit(account=acc, amount=D(amount), channel="cash", on=on, by=by)


def year_result_post(
    by,
    amount: str,
    *,
    debit: str = "cash",
    credit: str = "other_income",
    description: str = "Pendapatan lain",
):
    """The year's result in one manual journal on 30 June: Dr ``debit`` / Cr ``credit``
    (account roles) ``amount`` rupiah — other income received in cash by default; an
    expense with ``debit="savings_interest_expense", credit="cash"``."""
    from core.ledger.selectors import account_for_role
    from core.ledger.services import LineSpec, journal_post

    return journal_post(
        on=date(YEAR, 6, 30),
        description=description,
        source="manual",
        by=by,
        lines=[
            LineSpec(account_for_role(debit), debit=D(amount)),
            LineSpec(account_for_role(credit), credit=D(amount)),
        ],
    )


@pytest.fixture(scope="module")
def year_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """The staff and the year (``year_of``) built once for a module in cooperative A,
    never committed (``tests.module_coop.module_uncommitted``): ``{"staff", "year"}``. A
    module whose tests all start from them opts in by defining ``staff`` and
    ``year_data`` as copies of these (each test's writes are rolled back on top); keep
    tests that commit for real out of such a module."""

    def build():
        staff = {r: f.user(r) for r in ("admin", "ketua", "bendahara", "petugas", "pengawas")}
        return {"staff": staff, "year": year_of(staff)}

    with module_uncommitted(django_db_blocker, tmp_path_factory, build) as built:
        yield built


@pytest.fixture
def year_data(staff):
    """See ``year_of``."""
    return year_of(staff)


def year_of(staff):
    """Members: m1 capital 5,000,000 (pokok 100,000 + wajib 4,900,000), pays jasa;
    m2 capital 2,600,000; m3 capital 0 in pokok/wajib but sukarela 1,000,000. Income:
    Rp 100,000,000 other income, plus the loan's jasa."""
    from core.ledger.selectors import account_for_role
    from core.ledger.services import LineSpec, fiscal_year_ensure, journal_post
    from core.loans.models import LoanProduct
    from core.loans.services import (
        loan_apply,
        loan_approve,
        loan_disburse,
        loan_repay,
        loan_verify,
    )

    by = staff["bendahara"]
    fiscal_year_ensure(year=YEAR)
    m1 = f.member(full_name="Satu", take_home_pay=D("15000000"))
    m2 = f.member(full_name="Dua")
    m3 = f.member(full_name="Tiga")
    journal_post(
        on=date(YEAR, 1, 2),
        description="Saldo awal",
        source="opening",
        source_ref="yearend-test-opening",
        by=by,
        lines=[
            LineSpec(account_for_role("bank"), debit=D("500000000")),
            LineSpec(account_for_role("opening_balance"), credit=D("500000000")),
        ],
    )
    _deposit(m1, "pokok", "100000", date(YEAR, 1, 10), by)
    _deposit(m1, "wajib", "4900000", date(YEAR, 1, 10), by)
    _deposit(m2, "pokok", "100000", date(YEAR, 1, 10), by)
    _deposit(m2, "wajib", "2500000", date(YEAR, 7, 10), by)
    _deposit(m3, "sukarela", "1000000", date(YEAR, 1, 10), by)
    _deposit(m1, "sukarela", "1", date(YEAR, 1, 10), by)
    _deposit(m2, "sukarela", "1", date(YEAR, 1, 10), by)
    year_result_post(by, "100000000")
    product = LoanProduct.objects.create(
        code="YE",
        name="Produk Uji SHU",
        method="flat",
        rate=D("1"),
        rate_period="month",
        min_amount=D("1000000"),
        max_amount=D("50000000"),
        min_tenor=1,
        max_tenor=24,
        max_instalment_share=D("90"),
        min_membership_months=0,
    )
    on = date(YEAR, 2, 1)
    loan = loan_apply(
        member=m1,
        product=product,
        principal=D("10000000"),
        tenor=10,
        by=staff["petugas"],
        on=on,
        documents=docs(),
    )
    loan = loan_verify(loan=loan, by=by)
    loan = loan_approve(loan=loan, by=staff["ketua"])
    approval_backdate(loan, on)  # approved on the day it is paid out
    loan_disburse(loan=loan, by=by, on=on)
    loan.refresh_from_db()
    for month in range(3, 7):
        loan_repay(loan=loan, amount=D("1100000"), by=by, on=date(YEAR, month, 1))
    return {"m1": m1, "m2": m2, "m3": m3, "loan": loan, "by": by}


def interest_run_in_order(*, product, year: int, month: int, by):
    """``product``'s jasa simpanan of (``year``, ``month``), the months before it that were
    never run first, in order (a month after one never run is refused)."""
    from core.savings.services import interest_months_missing, savings_interest_accrue

    for y, m in interest_months_missing(product_id=product.pk, year=year, month=month):
        savings_interest_accrue(product=product, year=y, month=m, by=by)
    return savings_interest_accrue(product=product, year=year, month=month, by=by)


def close_preliminaries(by, *, year: int = YEAR) -> None:
    """Everything the close checklist asks for: the arrears run of 31 December, December
    interest, every month of the year closed (``year``: last year unless another is
    named, as the portal's and the Dinas' stories of 2025 do)."""
    from core.ledger.models import Period
    from core.ledger.services import period_close
    from core.loans.arrears import loans_arrears_update
    from core.savings.models import SavingsProduct

    loans_arrears_update(on=date(year, 12, 31), by=by)
    for p in SavingsProduct.objects.filter(interest_enabled=True, interest_rate_annual__gt=0):
        interest_run_in_order(product=p, year=year, month=12, by=by)
    for period in Period.objects.filter(fiscal_year__year=year):
        period_close(period=period, by=by)


@pytest.fixture
def ready(year_data, staff):
    """Everything the close checklist asks for, done."""
    close_preliminaries(staff["bendahara"])
    return year_data


@pytest.fixture
def no_loans_year(staff):
    """Two savers (m1 pokok + wajib 1,000,000, m2 pokok 100,000), Rp 10,000,000 other
    income and no loan at all in the year: nobody paid jasa, so the jasa anggota pool has
    nobody to receive it. Ready to close."""
    from core.ledger.services import fiscal_year_ensure

    by = staff["bendahara"]
    fiscal_year_ensure(year=YEAR)
    m1, m2 = f.member(full_name="Satu"), f.member(full_name="Dua")
    _deposit(m1, "pokok", "100000", date(YEAR, 1, 10), by)
    _deposit(m1, "wajib", "900000", date(YEAR, 1, 10), by)
    _deposit(m2, "pokok", "100000", date(YEAR, 1, 10), by)
    year_result_post(by, "10000000")
    close_preliminaries(by)
    return {"m1": m1, "m2": m2, "by": by}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def client_as(tenant_a, staff):
    """A client of tenant A logged in as the ``staff`` user of ``role``."""
    from django.test import Client

    from tenants.services import tenant_host

    def make(role):
        c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
        c.force_login(staff[role])
        return c

    return make


def loan_disbursed(product, member, staff, *, on, principal: str):
    """A loan of ``principal`` over 10 months paid out on ``on`` (the member's take-home
    pay raised to 15,000,000 so it passes the DSR)."""
    from core.members.models import Member

    Member.objects.filter(pk=member.pk).update(take_home_pay=Decimal("15000000"))
    member.refresh_from_db()
    return loan_paid_out(
        member=member, product=product, principal=principal, tenor=10, on=on, staff=staff
    )


@pytest.fixture
def seven_rupiah_year(staff):
    """Three members with pokok 100,000 each (equal capital), no loans, Rp 7 other
    income: SHU after tax Rp 7. Closed. Its members' pool leaves units to hand out
    (``REMAINDER_NOTE``: what the RAT pack, the preview and the portal say of them)."""
    from core.ledger.services import fiscal_year_ensure
    from core.yearend.services import yearend_close

    by = staff["bendahara"]
    fiscal_year_ensure(year=YEAR)
    members = [f.member(full_name=n) for n in ("Satu", "Dua", "Tiga")]
    for m in members:
        _deposit(m, "pokok", "100000", date(YEAR, 1, 10), by)
    year_result_post(by, "7")
    close_preliminaries(by)
    ye = yearend_close(year=YEAR, by=by)
    assert ye.shu_after_tax == D("7")
    return {"members": sorted(members, key=lambda m: m.number), "by": by}


REMAINDER_NOTE = (
    "Jasa modal (anggota): bagian tiap anggota dibulatkan ke bawah ke kelipatan Rp 1; "
    "sisanya, Rp 2, dibagikan Rp 1 seorang kepada 2 anggota dengan pecahan terbesar "
    "(bila sama, nomor anggota terkecil), sehingga jumlahnya tepat Rp 2."
)


def opening_lump(by, amount: str = "300000") -> None:
    """The move-in's opening trial balance: old unpaid SHU on 2105 naming no member."""
    journal_post(
        on=timezone.localdate(),
        description="Neraca saldo awal",
        source="opening",
        by=by,
        lines=[
            LineSpec(Account.objects.get(code="3103"), debit=D(amount)),
            LineSpec(account_for_role("shu_members_payable"), credit=D(amount)),
        ],
    )


@pytest.fixture
def old_books(in_tenant_a, tenant_a):
    """Old books' unpaid SHU at a move-in (tests/yearend/test_old_books_*): a treasurer,
    two members, Rp 300.000 on SHU payable naming no member (the opening trial balance's
    lump), and an old year (before the books' first) with its RAT."""
    by = f.user("bendahara")
    opening_lump(by)
    year = timezone.localdate().year - 2
    return {
        "tenant": tenant_a,
        "by": by,
        "year": year,
        "rat": date(year + 1, 3, 15),
        "m": [f.member(full_name="Satu"), f.member(full_name="Dua")],
    }
