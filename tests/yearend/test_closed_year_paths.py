"""A closed fiscal year takes no posting through any path: each refuses a date in it with
its specific Indonesian ``…period_closed`` error (the API's one JSON shape, status 400;
the HTML form's message), and nothing is written.

One cooperative of its own, built and closed once for the module (committed: a scratch
schema, dropped afterwards); each test runs in a transaction rolled back, so the cases
share it. The year before last (``CLOSED - 1``) is closed by the year end with its SHU
posted at the RAT of 1 March last year; last year (``CLOSED``) is closed by the year end
too. Dates typed: in last year. (The module's cooperative is made today, so its books
start on 1 January of this year, whatever day the suite runs on.)"""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from tenants.services import tenant_host
from tests.conftest import ADMIN_PASSWORD
from tests.loans.conftest import approval_backdate, docs
from tests.members import factories as f
from tests.yearend.conftest import interest_run_in_order

D = Decimal
CLOSED = timezone.localdate().year - 1  # last year
IN_CLOSED = date(CLOSED, 12, 15)


def _deposit(member, kind, amount, on, by):
    from core.savings.models import SavingsProduct
    from core.savings.services import savings_account_get_or_open, teller_deposit

    product = SavingsProduct.objects.filter(kind=kind, is_active=True).order_by("id").first()
    acc = savings_account_get_or_open(member=member, product=product, on=on, by=by)
    return teller_deposit(account=acc, amount=D(amount), channel="cash", on=on, by=by)


def _close_year(year, by):
    from core.ledger.models import Period
    from core.ledger.services import period_close
    from core.loans.arrears import loans_arrears_update
    from core.savings.models import SavingsProduct
    from core.yearend.services import yearend_close

    loans_arrears_update(on=date(year, 12, 31), by=by)
    for p in SavingsProduct.objects.filter(interest_enabled=True, interest_rate_annual__gt=0):
        # the months before December never run are run first (no month is skipped)
        interest_run_in_order(product=p, year=year, month=12, by=by)
    for period in Period.objects.filter(fiscal_year__year=year).order_by("start_date"):
        period_close(period=period, by=by)
    yearend_close(year=year, by=by)


def _build(by, ketua, petugas):
    from core.ledger.selectors import account_for_role
    from core.ledger.services import LineSpec, fiscal_year_ensure, journal_post
    from core.loans.models import LoanProduct
    from core.loans.services import loan_apply, loan_approve, loan_disburse, loan_verify
    from core.yearend.services import shu_post

    fiscal_year_ensure(year=CLOSED)  # a new cooperative's books may open the year before
    fiscal_year_ensure(year=CLOSED - 1)  # … and the one before that
    pay = {"take_home_pay": D("15000000")}
    m1, m2 = f.member(full_name="Satu", **pay), f.member(full_name="Dua", **pay)
    m3 = f.member(full_name="Tiga")
    journal_post(
        on=date(CLOSED - 1, 1, 2),
        description="Saldo awal",
        source="opening",
        source_ref="closed-year-opening",
        by=by,
        lines=[
            LineSpec(account_for_role("bank"), debit=D("500000000")),
            LineSpec(account_for_role("opening_balance"), credit=D("500000000")),
        ],
    )
    for m in (m1, m2, m3):
        _deposit(m, "pokok", "100000", date(CLOSED - 1, 1, 10), by)
        _deposit(m, "wajib", "900000", date(CLOSED - 1, 1, 10), by)
        _deposit(m, "sukarela", "2000000", date(CLOSED - 1, 1, 10), by)
    for year in (CLOSED - 1, CLOSED):
        journal_post(
            on=date(year, 6, 30),
            description="Pendapatan lain",
            source="manual",
            by=by,
            lines=[
                LineSpec(account_for_role("cash"), debit=D("10000000")),
                LineSpec(account_for_role("other_income"), credit=D("10000000")),
            ],
        )
    _close_year(CLOSED - 1, by)
    shu_post(year=CLOSED - 1, rat_date=date(CLOSED, 3, 1), rat_decision="RAT/1", by=by)

    product = LoanProduct.objects.create(
        code="CY",
        name="Produk Uji Tahun Tutup",
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

    def approved(member, on):
        loan = loan_apply(
            member=member,
            product=product,
            principal=D("5000000"),
            tenor=10,
            by=petugas,
            on=on,
            documents=docs(),
        )
        loan = loan_verify(loan=loan, by=by)
        loan = loan_approve(loan=loan, by=ketua)
        return approval_backdate(loan, on)

    running = approved(m1, date(CLOSED, 2, 1))
    loan_disburse(loan=running, by=by, on=date(CLOSED, 2, 1))
    waiting = approved(m2, date(CLOSED, 11, 1))  # approved, never paid out
    deposit = _deposit(m2, "sukarela", "300000", date(CLOSED, 5, 10), by)
    _close_year(CLOSED, by)
    return {
        "m1": m1.pk,
        "m2": m2.pk,
        "m3": m3.pk,
        "running": running.pk,
        "waiting": waiting.pk,
        "deposit": deposit.pk,
        "deposit_entry": deposit.journal_entry_id,
    }


@pytest.fixture(scope="module")
def closed_coop(django_db_setup, django_db_blocker):
    """A cooperative of its own with the year before last and last year closed by the year
    end (committed)."""
    import uuid

    from tenants.services import cooperative_create, cooperative_discard

    with django_db_blocker.unblock():
        slug = f"closed-{uuid.uuid4().hex[:8]}"
        made = cooperative_create(
            slug=slug,
            name=f"KPRI {slug}",
            admin_email=f"admin@{slug}.test",
            admin_password=ADMIN_PASSWORD,
            actor="tests",
        )
        coop = made.cooperative
        try:
            connection.set_tenant(coop)
            staff = {r: f.user(r) for r in ("bendahara", "ketua", "petugas", "admin")}
            ids = _build(staff["bendahara"], staff["ketua"], staff["petugas"])
            ids["staff"] = {r: u.pk for r, u in staff.items()}
            connection.set_schema_to_public()
            yield coop, ids
        finally:
            connection.set_schema_to_public()
            cooperative_discard(cooperative=coop)


@pytest.fixture
def coop(db, closed_coop):
    cooperative, ids = closed_coop
    connection.set_tenant(cooperative)
    yield cooperative, ids
    connection.set_schema_to_public()


def _client(coop, role="bendahara"):
    from core.users.models import User

    cooperative, ids = coop
    c = Client(HTTP_HOST=tenant_host(cooperative.slug))
    c.force_login(User.objects.get(pk=ids["staff"][role]))
    return c


def _user(coop, role="bendahara"):
    from core.users.models import User

    return User.objects.get(pk=coop[1]["staff"][role])


def _snapshot():
    """What a refused posting must leave as it was: the journal, savings movements,
    repayments, exits, SHU payouts."""
    from core.ledger.models import JournalEntry, JournalLine
    from core.loans.models import Loan, Repayment
    from core.savings.models import ExitSettlement, SavingsTransaction
    from core.yearend.models import ShuPayout

    return (
        JournalEntry.objects.count(),
        JournalLine.objects.count(),
        SavingsTransaction.objects.count(),
        Repayment.objects.count(),
        ExitSettlement.objects.count(),
        ShuPayout.objects.count(),
        sorted(Loan.objects.values_list("pk", "status")),
    )


def _closed_message(exc_info):
    assert exc_info.value.code.endswith("period_closed"), exc_info.value.code
    assert "ditutup" in str(exc_info.value.message)


# --- paths with a typed date through the API ---------------------------------------------


def _loan_disburse(coop):
    return _client(coop).post(
        f"/api/v1/loans/{coop[1]['waiting']}/disburse/",
        {"on": IN_CLOSED.isoformat()},
        content_type="application/json",
    )


def _loan_repay(coop):
    return _client(coop).post(
        f"/api/v1/loans/{coop[1]['running']}/repay/",
        {"amount": "550.000", "on": IN_CLOSED.isoformat()},
        content_type="application/json",
    )


def _exit(coop):
    # the figure the preview shows for that date (savings, jasa, the unpaid SHU of CLOSED - 1)
    c, on = _client(coop), date(CLOSED, 12, 31)  # after the member's last movement
    url = f"/api/v1/members/{coop[1]['m3']}/exit-settlement/"
    net = c.get(f"{url}preview/?on={on.isoformat()}").json()["net_payable"]
    return c.post(
        f"{url}confirm/",
        {"on": on.isoformat(), "reason": "resigned", "channel": "cash", "expected_net": net},
        content_type="application/json",
    )


def _shu_payout(coop):
    return _client(coop).post(
        f"/api/v1/yearend/{CLOSED - 1}/payout/",
        {"method": "cash", "on": IN_CLOSED.isoformat(), "items": [{"member_id": coop[1]["m1"]}]},
        content_type="application/json",
    )


def _journal_entry(coop):
    return _client(coop).post(
        "/api/v1/ledger/entries/",
        {
            "date": IN_CLOSED.isoformat(),
            "description": "Mundur",
            "lines": [
                {"account": "1101", "debit": "250000"},
                {"account": "3106", "credit": "250000"},
            ],
        },
        content_type="application/json",
    )


def _journal_reversal(coop):
    from core.ledger.models import JournalEntry

    manual = JournalEntry.objects.filter(source="manual", date=date(CLOSED, 6, 30)).get()
    return _client(coop).post(
        f"/api/v1/ledger/entries/{manual.pk}/reverse/",
        {"date": IN_CLOSED.isoformat(), "reason": "salah catat"},
        content_type="application/json",
    )


def _savings_reversal(coop):
    return _client(coop).post(
        f"/api/v1/savings/transactions/{coop[1]['deposit']}/reverse/",
        {"date": IN_CLOSED.isoformat(), "reason": "salah catat"},
        content_type="application/json",
    )


def _payroll_run(coop):
    return _client(coop).post(
        "/api/v1/deductions/runs/",
        {"year": CLOSED, "month": 12},
        content_type="application/json",
    )


def _move_in(coop):
    return _client(coop, "admin").post(
        "/api/v1/onboarding/",
        {"cutover_date": date(CLOSED, 6, 30).isoformat()},
        content_type="application/json",
    )


# path: (call, the error code, the status the module answers it with)
API_PATHS = {
    "loan_disbursement": (_loan_disburse, "period_closed", 400),
    "loan_repayment": (_loan_repay, "period_closed", 400),
    "exit_settlement": (_exit, "period_closed", 400),
    "shu_payout": (_shu_payout, "period_closed", 400),
    "journal_entry": (_journal_entry, "period_closed", 400),
    "journal_reversal": (_journal_reversal, "period_closed", 400),
    # the savings module answers a cancellation in a closed month as a conflict (409)
    "savings_reversal": (_savings_reversal, "savings_reversal_period_closed", 409),
    # a payroll list of a closed month cannot be made, so no batch of it can be posted
    "payroll_run": (_payroll_run, "deduction_period_closed", 400),
    # the move-in's cut-over is checked as the date it asks for (field cutover_date)
    "move_in": (_move_in, "onboarding_cutover_invalid", 400),
}


@pytest.mark.parametrize("path", list(API_PATHS))
def test_api_path_refuses_a_date_in_the_closed_year_and_writes_nothing(coop, path):
    call, code, status = API_PATHS[path]
    before = _snapshot()
    resp = call(coop)
    assert resp.status_code == status, resp.content
    err = resp.json()["error"]
    assert err["code"] == code, err
    assert "ditutup" in err["message"], err  # Indonesian, naming the closed books
    assert _snapshot() == before


# --- paths with no API for the date: the HTML form ------------------------------------------


def test_member_import_opening_balances_dated_in_the_closed_year_are_a_form_error(coop):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.members.models import Member
    from tests.members.test_import import rows, to_csv

    f.agency("DISDIK", "Dinas Pendidikan")
    f.agency("RSUD", "RSUD")
    c = _client(coop)
    r = c.post("/anggota/impor/", {"file": SimpleUploadedFile("a.csv", to_csv(rows(2)))})
    assert r.status_code == 302, r.content
    members, before = Member.objects.count(), _snapshot()
    r = c.post(r["Location"], {"opening_date": date(CLOSED, 6, 30).isoformat()})
    assert r.status_code == 200
    errors = r.context["form"].non_field_errors() or r.context["form"].errors
    text = " ".join(str(e) for e in errors)
    assert "sudah ditutup" in text and f"31 Desember {CLOSED}" in text, text
    assert Member.objects.count() == members and _snapshot() == before


def test_jasa_simpanan_run_for_a_month_of_the_closed_year_is_refused_on_the_screen(coop):
    from core.savings.models import InterestRun, SavingsProduct

    product = SavingsProduct.objects.filter(interest_enabled=True, is_active=True).first()
    before, runs = _snapshot(), InterestRun.objects.count()
    # a month never run of a closed year: the year before the product's first run
    # (December); every month of the later year was run in order
    r = _client(coop).post(
        "/simpanan/rekonsiliasi/",
        {"product": product.pk, "year": CLOSED - 1, "month": 6},
        follow=True,
    )
    shown = [str(m) for m in r.context["messages"]]
    assert shown == [
        f"Buku sudah ditutup sampai 31 Desember {CLOSED}; jasa Simpanan Sukarela bulan Juni {CLOSED - 1} tidak "
        "dapat dihitung lagi."
    ], shown
    assert InterestRun.objects.count() == runs and _snapshot() == before


# --- the counter: dated today on the screen and the API; the service refuses the closed year


@pytest.mark.parametrize("action", ["teller_deposit", "teller_withdraw"])
def test_counter_movement_dated_in_the_closed_year_is_refused(coop, action):
    from core.common.errors import ApplicationError
    from core.savings import services
    from core.savings.models import SavingsAccount

    account = SavingsAccount.objects.get(member_id=coop[1]["m2"], product__kind="sukarela")
    before = _snapshot()
    with pytest.raises(ApplicationError) as exc:
        getattr(services, action)(
            account=account, amount=D("10000"), channel="cash", on=IN_CLOSED, by=_user(coop)
        )
    _closed_message(exc)
    assert _snapshot() == before
