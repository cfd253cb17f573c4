"""The member portal against the staff screens and the books: staff, a member with a
portal login and the helpers that build a member's history through the real services."""

import copy
import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Q, Sum
from django.test import Client
from django.utils import timezone

from tenants.services import tenant_host
from tests.conftest import TENANTS
from tests.members import factories as f
from tests.module_coop import module_uncommitted

D = Decimal
ZERO = D("0")
# The loan story's year and the per-test payroll and exit stories': last year, on any day
# (the shared cooperatives' books start in the year the suite runs; a fixed 2026 was
# refused under a clock in 2028). Taken once, at import: a run that passes midnight of
# 31 December keeps one year (``books_open_back_to`` opens the years between).
Y = timezone.localdate().year - 1
# The savings story's year, closed, its SHU paid in ``Y`` (the loan story's year, open).
CLOSED = Y - 1


def books_open_back_to(year: int) -> None:
    """Every fiscal year from this one back to ``year`` opened, one at a time, as an admin
    entering an earlier year's books would: the test cooperatives' books start in the year
    the suite runs, and each year may reach back one before the first. The stories' years
    (``CLOSED`` and ``Y``, the two before this one) are always in the past."""
    from core.ledger.services import fiscal_year_ensure

    for y in range(timezone.localdate().year, year - 1, -1):
        fiscal_year_ensure(year=y)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def staff(in_tenant_a):
    return staff_made()


def staff_made() -> dict:
    return {r: f.user(r) for r in ("admin", "ketua", "bendahara", "petugas", "pengawas")}


@pytest.fixture
def products(in_tenant_a):
    return products_seeded()


def products_seeded() -> dict:
    from core.savings.seeding import product_by_kind, savings_products_seed

    savings_products_seed()
    return {k: product_by_kind(k) for k in ("pokok", "wajib", "sukarela")}


@pytest.fixture
def rina(in_tenant_a, products):
    """The member whose portal is read, with her anggota login."""
    return member_with_login("Rina Wulandari")


@pytest.fixture
def other(in_tenant_a, products):
    """Another member of the same cooperative, with a login of her own."""
    return member_with_login("Orang Lain")


def member_with_login(full_name: str):
    from core.members.services import member_user_link

    m = f.member(full_name=full_name, take_home_pay=D("20000000"))
    member_user_link(member=m, user=f.user("anggota"), by="tests")
    m.refresh_from_db()
    return m


def client_for(tenant, user) -> Client:
    c = Client(HTTP_HOST=tenant_host(tenant.slug))
    c.force_login(user)
    return c


def docs():
    return [
        ("application_letter", SimpleUploadedFile("surat.pdf", b"%PDF-1.4 surat")),
        ("payslip", SimpleUploadedFile("slip.pdf", b"%PDF-1.4 slip")),
    ]


def account_of(member, kind):
    from core.savings.models import SavingsAccount

    return SavingsAccount.objects.get(member=member, product__kind=kind, status="open")


def deposit(member, kind, amount, on, by, channel="cash"):
    from core.savings.seeding import product_by_kind
    from core.savings.services import savings_account_get_or_open, teller_deposit

    acc = savings_account_get_or_open(member=member, product=product_by_kind(kind), on=on, by=by)
    return teller_deposit(account=acc, amount=D(amount), channel=channel, on=on, by=by)


def withdraw(member, kind, amount, on, by):
    from core.savings.services import teller_withdraw

    return teller_withdraw(
        account=account_of(member, kind), amount=D(amount), channel="cash", on=on, by=by
    )


def text(html: str) -> str:
    """The page's words, tags dropped and white space folded (an amount's own
    ``<span class="nowrap">``, inline in its sentence, leaves no space behind)."""
    html = re.sub(r'<span class="nowrap">([^<]*)</span>', r"\1", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


# --- the books ------------------------------------------------------------------------


def ledger_member_balance(member, account) -> Decimal:
    """The member's lines on a ledger account, on the account's normal side."""
    from core.ledger.models import JournalLine

    s = JournalLine.objects.filter(member_id=member.pk, account=account).aggregate(
        d=Sum("debit", default=ZERO), c=Sum("credit", default=ZERO)
    )
    if account.type in ("asset", "expense"):
        return s["d"] - s["c"]
    return s["c"] - s["d"]


def assert_books_hold():
    """Deferred DB checks hold now; savings and loans sub-ledgers equal their control
    accounts (savings per member too)."""
    from core.loans.selectors import loans_reconciliation
    from core.savings.selectors import savings_reconciliation

    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("SET CONSTRAINTS ALL DEFERRED")
    rec = loans_reconciliation()
    assert rec["principal_subledger"] == rec["principal_ledger"], rec
    s = savings_reconciliation()
    assert s.ok, (s.rows, s.account_mismatches, s.member_mismatches)


__all__ = ["CLOSED", "D", "Q", "Y", "ZERO", "date"]


# --- a member's loans last year -------------------------------------------------------


def loan_product(code="PTL"):
    from core.loans.models import LoanProduct

    return LoanProduct.objects.create(
        code=code,
        name="Pinjaman Uang",
        method="flat",
        rate=D("1"),
        rate_period="month",
        min_amount=D("1000000"),
        max_amount=D("50000000"),
        min_tenor=1,
        max_tenor=24,
        late_penalty_rate=D("2"),
        late_penalty_basis="per_month",
        late_penalty_grace_days=5,
        max_instalment_share=D("90"),
        min_membership_months=0,
    )


def loan_disbursed(member, product, staff, principal, tenor, on, first_due, topup_of=None):
    from core.loans.services import loan_apply, loan_approve, loan_disburse, loan_verify

    by = staff["bendahara"]
    ln = loan_apply(
        member=member,
        product=product,
        principal=D(principal),
        tenor=tenor,
        by=staff["petugas"],
        on=on,
        documents=docs(),
        topup_of=topup_of,
    )
    loan_verify(loan=ln, by=by, on=on)
    loan_approve(loan=ln, by=staff["ketua"], on=on)
    loan_disburse(loan=ln, by=by, on=on, first_due_date=first_due)
    ln.refresh_from_db()
    return ln


def payroll_month(member, month, amount, post_on, by, year=Y):
    """The month's payroll list generated, the agency's return (``amount`` cut from
    ``member``) uploaded and posted on ``post_on``."""
    from core.deductions.services import (
        deduction_import_post,
        deduction_import_upload,
        deduction_run_create,
        deduction_run_generate,
    )

    run = deduction_run_generate(run=deduction_run_create(year=year, month=month, by=by), by=by)
    imp = deduction_import_upload(
        run=run,
        agency=member.agency,
        content=f"NIP,Jumlah\n{member.nip},{amount}\n".encode(),
        file_name=f"realisasi-{year}-{month}.csv",
        by=by,
    )
    assert imp.status == "valid", (imp.errors, imp.file_errors)
    return deduction_import_post(imp=imp, by=by, on=post_on)


@pytest.fixture
def loan_story(staff, rina):
    """``loan_story_build`` per test, in A: for a module with a single test of it
    (test_empty_and_format). Modules of several tests that only read it take
    ``loan_story_read`` (built once per module)."""
    return loan_story_build(staff, rina)


def loan_story_build(staff, rina) -> dict:
    """Rina's last year (``Y``): loan A (10.000.000, flat 1 %/month, 10 months) paid by
    payroll in February (in full, 50.000 over: to sukarela) and March (600.000 of
    1.150.000), then 300.000 at the counter in May; topped up in June by loan B
    (15.000.000, 12 months: A in arrears, so a restructuring), B rescheduled to 18 months
    in August (its overdue jasa capitalised), paid 500.000 in September and paid off early
    in October; loan C (5.000.000, 24 months, from July: still running on any day of the
    next year, with a next instalment) paid 200.000 in August and 100.000 in September,
    the latter reversed: C is in arrears today with its late penalty."""
    from core.deductions.services import deduction_settings_update
    from core.loans.models import Repayment
    from core.loans.services import loan_payoff, loan_repay, loan_repayment_reverse, loan_reschedule

    by = staff["bendahara"]
    books_open_back_to(Y)
    deduction_settings_update(by=by, cutoff_day=20, priority="jasa,principal,wajib,others")
    product = loan_product()
    deposit(rina, "pokok", "100000", date(Y, 1, 5), by)
    a = loan_disbursed(rina, product, staff, "10000000", 10, date(Y, 1, 15), date(Y, 2, 20))
    payroll_month(rina, 2, "1200000", date(Y, 2, 25), by)
    payroll_month(rina, 3, "600000", date(Y, 3, 25), by)
    loan_repay(loan=a, amount=D("300000"), by=by, on=date(Y, 5, 2))
    b = loan_disbursed(
        rina, product, staff, "15000000", 12, date(Y, 6, 10), date(Y, 7, 20), topup_of=a
    )
    loan_reschedule(loan=b, by=staff["ketua"], tenor=18, reason="gaji turun", on=date(Y, 8, 5))
    b.refresh_from_db()
    loan_repay(loan=b, amount=D("500000"), by=by, on=date(Y, 9, 21))
    c = loan_disbursed(rina, product, staff, "5000000", 24, date(Y, 7, 1), date(Y, 8, 1))
    loan_repay(loan=c, amount=D("200000"), by=by, on=date(Y, 8, 3))
    wrong = loan_repay(loan=c, amount=D("100000"), by=by, on=date(Y, 9, 2))
    loan_repayment_reverse(
        repayment=Repayment.objects.get(pk=wrong.pk),
        by=by,
        reason="salah input",
        on=date(Y, 9, 3),
    )
    b.refresh_from_db()
    loan_payoff(loan=b, by=by, on=date(Y, 10, 10))
    for ln in (a, b, c):
        ln.refresh_from_db()
    assert (a.status, b.status, c.status) == ("closed", "closed", "disbursed")
    return {"a": a, "b": b, "c": c, "reversed": wrong}


# --- a member's savings and SHU, the year before last into last year ------------------


@pytest.fixture
def savings_story(staff, rina, other):
    """``savings_story_build`` per test, in A: as ``loan_story``
    (``savings_story_read`` built once per module)."""
    return savings_story_build(staff, rina, other)


def savings_story_build(staff, rina, other) -> dict:
    """Rina's ``CLOSED`` year (the year before last): pokok 100.000, wajib 1.200.000 and sukarela 100.000.000 on 10
    January; 2.000.000 withdrawn on 3 March; a deposit of 1.000.000 on 2 April reversed
    the next day; jasa simpanan every month (3 % a year on the month's lowest balance:
    about 250.000, so 10 % PPh withheld). The year closed, its SHU posted at the RAT of
    1 March of ``Y``; her share credited to sukarela on 10 March, that payout reversed on 12
    March and paid in cash on 13 March. ``other`` saved too (the capital pool's other
    member)."""
    from core.ledger.selectors import account_for_role
    from core.ledger.services import LineSpec, fiscal_year_ensure, journal_post
    from core.savings.seeding import product_by_kind
    from core.savings.services import savings_interest_accrue, teller_reverse
    from core.yearend.models import ShuPayout
    from core.yearend.reversal import shu_payout_reverse
    from core.yearend.services import shu_payout, shu_post, yearend_close
    from tests.yearend.conftest import close_preliminaries

    by = staff["bendahara"]
    books_open_back_to(CLOSED)
    deposit(rina, "pokok", "100000", date(CLOSED, 1, 10), by)
    deposit(rina, "wajib", "1200000", date(CLOSED, 1, 10), by)
    deposit(rina, "sukarela", "100000000", date(CLOSED, 1, 10), by)
    deposit(other, "pokok", "100000", date(CLOSED, 1, 10), by)
    deposit(other, "wajib", "2400000", date(CLOSED, 1, 10), by)
    deposit(other, "sukarela", "10000", date(CLOSED, 1, 10), by)
    withdraw(rina, "sukarela", "2000000", date(CLOSED, 3, 3), by)
    wrong = deposit(rina, "sukarela", "1000000", date(CLOSED, 4, 2), by)
    teller_reverse(txn=wrong, on=date(CLOSED, 4, 3), reason="salah rekening", by=by)
    for month in range(1, 12):  # December: the close's preliminaries
        savings_interest_accrue(
            product=product_by_kind("sukarela"), year=CLOSED, month=month, by=by
        )
    journal_post(
        on=date(CLOSED, 6, 30),
        description="Pendapatan lain",
        source="manual",
        by=by,
        lines=[
            LineSpec(account_for_role("cash"), debit=D("50000000")),
            LineSpec(account_for_role("other_income"), credit=D("50000000")),
        ],
    )
    close_preliminaries(by, year=CLOSED)
    yearend_close(year=CLOSED, by=by)
    fiscal_year_ensure(year=Y)
    ye = shu_post(year=CLOSED, rat_date=date(Y, 3, 1), rat_decision=f"01/RAT/{Y}", by=by)
    paid = shu_payout(
        year=CLOSED,
        items=[(rina.pk, None), (other.pk, None)],
        method="sukarela",
        by=by,
        on=date(Y, 3, 10),
    )
    to_sukarela = next(p for p in paid if p.share.member_id == rina.pk)
    shu_payout_reverse(
        payout=ShuPayout.objects.get(pk=to_sukarela.pk),
        reason="salah rekening",
        by=by,
        on=date(Y, 3, 12),
    )
    (cash,) = shu_payout(
        year=CLOSED, items=[(rina.pk, None)], method="cash", by=by, on=date(Y, 3, 13)
    )
    return {"year_end": ye, "wrong": wrong, "to_sukarela": to_sukarela, "cash": cash}


# --- the stories built once per module, for tests that only read them -------------------


class Told(NamedTuple):
    """A story as a test reads it: the cooperative it is in, its staff, Rina, and what
    the story returned."""

    coop: Any
    staff: dict
    rina: Any
    story: dict


def _told_once(django_db_blocker, tmp_path_factory, build_story) -> Iterator[tuple]:
    """``build_story()`` once for the module, with the staff, the savings products and Rina
    made first as the per-test fixtures make them, in cooperative B inside a transaction
    held open for the module and rolled back at its end
    (``tests.module_coop.module_uncommitted``): each test's own writes are rolled back on
    top of it. In B, so that a test of the same module that builds its own Rina (per test,
    in A) starts from A as every other test does."""

    def build():
        staff = staff_made()
        products_seeded()
        rina = member_with_login("Rina Wulandari")
        return staff, rina, build_story(staff, rina)

    with module_uncommitted(django_db_blocker, tmp_path_factory, build, slug=TENANTS["b"]) as made:
        yield made


@pytest.fixture(scope="module")
def loan_story_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """``loan_story`` once for the module (``_told_once``)."""
    yield from _told_once(django_db_blocker, tmp_path_factory, loan_story_build)


@pytest.fixture(scope="module")
def savings_story_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """``savings_story`` once for the module (``_told_once``), ``other`` made for it."""

    def build(staff, rina):
        return savings_story_build(staff, rina, member_with_login("Orang Lain"))

    yield from _told_once(django_db_blocker, tmp_path_factory, build)


@pytest.fixture
def loan_story_read(loan_story_once, in_tenant_b) -> Told:
    """The module's ``loan_story_once`` in its cooperative (entered), its objects copied
    so that a test that changes one in memory leaves the next test's copy as built."""
    return Told(in_tenant_b, *copy.deepcopy(loan_story_once))


@pytest.fixture
def savings_story_read(savings_story_once, in_tenant_b) -> Told:
    """The module's ``savings_story_once``, as ``loan_story_read``."""
    return Told(in_tenant_b, *copy.deepcopy(savings_story_once))
